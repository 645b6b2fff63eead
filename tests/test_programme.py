"""The action programme: goals and measures with validation, traced to workshop outcomes;
frozen drafts that later edits leave alone; the diff; the API; actor and topic pages."""

from __future__ import annotations

import html

import pytest
import sqlalchemy as sa

from netzwerk.core.errors import Conflict, Invalid
from netzwerk.extensions import db
from netzwerk.programme import drafts, services
from netzwerk.programme.models import Draft, Measure
from netzwerk.workshops import outcomes
from netzwerk.workshops import services as workshops
from tests import factories

pytestmark = pytest.mark.usefixtures("fast_passwords")


@pytest.fixture
def world(app):
    with app.app_context():
        sdg12 = factories.topic(code="SDG12", title="Fairer Handel", priority=1)
        fb60 = factories.actor(name="FB60 Vergabe", category="verwaltung")
        e26 = factories.actor(name="Gebäudemanagement E26", category="verwaltung")
        workshop = workshops.create_workshop(
            {
                "title": "Fokusgruppe SDG 12",
                "topic_ids": [sdg12.id],
                "starts_at": "2025-05-14T10:00",
                "ends_at": "2025-05-14T13:00",
                "status": "geplant",
            }
        )
        idea = outcomes.create_outcome(
            workshop,
            {
                "kind": "massnahmenidee",
                "topic_id": sdg12.id,
                "text": "Fairer Kaffee in allen Kantinen",
                "votes": 7,
                "actor_ids": [fb60.id, e26.id],
            },
        )
        goal_outcome = outcomes.create_outcome(
            workshop,
            {"kind": "ziel", "topic_id": sdg12.id, "text": "Die Stadt beschafft fair", "votes": 9},
        )
        return {
            "sdg12": sdg12.id,
            "fb60": fb60.id,
            "e26": e26.id,
            "workshop": workshop.id,
            "idea": idea.id,
            "goal_outcome": goal_outcome.id,
        }


def make_goal(app, world, **kw) -> int:
    with app.app_context():
        data = {"topic_id": world["sdg12"], "title": "Die Stadt beschafft fair"} | kw
        return services.create_goal(data).id


def make_measure(app, goal_id, **kw) -> int:
    with app.app_context():
        data = {"goal_id": goal_id, "title": "Fairer Kaffee"} | kw
        return services.create_measure(data).id


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"title": ""}, "title", "Titel der Maßnahme fehlt"),
        ({"goal_id": 999}, "goal_id", "Unbekanntes Ziel"),
        ({"starts_on": "2026-05-01", "ends_on": "2026-04-01"}, "ends_on", "vor dem Beginn"),
        ({"budget": "-100"}, "budget", "nicht kleiner als 0"),
        ({"staff_fte": "-0,5"}, "staff_fte", "nicht kleiner als 0"),
        ({"indicator_scale": "anzahl", "target": "viele"}, "target", "keine Zahl"),
        ({"indicator_scale": "prozent", "target": "120"}, "target", "zwischen 0 und 100"),
        ({"indicator_scale": "euro", "baseline": "ca. 5"}, "baseline", "keine Zahl"),
        ({"lead_actor_id": 999}, "lead_actor_id", "Unbekannter Akteur"),
        ({"status": "irgendwie"}, "status", "Unbekannter Wert"),
        ({"outcome_ids": [999]}, "outcome_ids", "Unbekanntes Workshop-Ergebnis"),
    ],
)
def test_bad_measure_input_names_the_field(app, world, data, field, words):
    goal_id = make_goal(app, world)
    with app.app_context():
        with pytest.raises(Invalid) as info:
            services.create_measure({"goal_id": goal_id, "title": "M"} | data)
        assert info.value.field == field and words in info.value.message


def test_numeric_and_text_indicators(app, world):
    goal_id = make_goal(app, world)
    with app.app_context():
        measure = services.create_measure(
            {
                "goal_id": goal_id,
                "title": "Kaffee",
                "indicator_scale": "prozent",
                "baseline": "20 %",
                "target": "100",
                "budget": "8.000,50",
                "staff_fte": "0,25",
            }
        )
        assert (measure.baseline, measure.target) == ("20", "100")
        assert str(measure.budget) == "8000.50" and str(measure.staff_fte) == "0.25"
        qualitative = services.create_measure(
            {
                "goal_id": goal_id,
                "title": "Leitbild",
                "indicator_scale": "text",
                "target": "Ratsbeschluss gefasst",
            }
        )
        assert qualitative.target == "Ratsbeschluss gefasst"
        with pytest.raises(Invalid, match="Das Thema fehlt"):
            services.create_goal({"title": "ohne Thema"})


# --- from an outcome to goal and measure -----------------------------------------------------


def test_outcomes_become_a_goal_and_measures_with_their_source(app, world, login):
    editor = login("editor")
    prefilled = html.unescape(
        editor.get(f"/programm/ziele/neu?outcome={world['goal_outcome']}").get_data(as_text=True)
    )
    assert 'value="Die Stadt beschafft fair"' in prefilled
    response = editor.post(
        "/programm/ziele/neu",
        data={
            "csrf_token": editor.csrf,
            "topic_id": world["sdg12"],
            "title": "Die Stadt beschafft fair",
            "sdg_targets": "12.7",
            "outcome_ids": [world["goal_outcome"]],
        },
    )
    assert response.status_code == 302
    with app.app_context():
        goal_id = services.goals()[0].id

    pick = html.unescape(
        editor.get(f"/programm/massnahme-aus-ergebnis?outcome={world['idea']}").get_data(
            as_text=True
        )
    )
    assert f"/programm/ziele/{goal_id}/massnahmen/neu?outcome={world['idea']}" in pick
    form = html.unescape(
        editor.get(f"/programm/ziele/{goal_id}/massnahmen/neu?outcome={world['idea']}").get_data(
            as_text=True
        )
    )
    assert 'value="Fairer Kaffee in allen Kantinen"' in form
    assert f'<option selected value="{world["fb60"]}">' in form  # the first concerned actor leads
    response = editor.post(
        f"/programm/ziele/{goal_id}/massnahmen/neu",
        data={
            "csrf_token": editor.csrf,
            "goal_id": goal_id,
            "title": "Fairer Kaffee in allen Kantinen",
            "lead_actor_id": world["fb60"],
            "partner_actor_ids": [world["e26"]],
            "status": "geplant",
            "indicator_scale": "prozent",
            "baseline": "20",
            "target": "100",
            "starts_on": "2025-10-01",
            "ends_on": "2026-06-30",
            "budget": "8.000",
            "outcome_ids": [world["idea"]],
        },
    )
    assert response.status_code == 302, html.unescape(response.get_data(as_text=True))[-3000:]
    page = html.unescape(editor.get(response.headers["Location"]).get_data(as_text=True))
    assert "aus Fokusgruppe SDG 12, 14.05.2025, 7 Punkte" in page
    assert "FB60 Vergabe" in page and "8.000,00" in page
    programme = html.unescape(editor.get("/programm/").get_data(as_text=True))
    assert (
        "Ziel 1" in programme
        and "1.1" in programme
        and "Fairer Kaffee in allen Kantinen" in programme
    )
    # the outcomes page offers the way into the programme
    outcomes_page = editor.get(f"/workshops/{world['workshop']}/aussagen").get_data(as_text=True)
    assert f"/programm/massnahme-aus-ergebnis?outcome={world['idea']}" in outcomes_page
    assert f"/programm/ziele/neu?outcome={world['goal_outcome']}" in outcomes_page


def test_measure_form_shows_field_errors(app, world, login):
    goal_id = make_goal(app, world)
    editor = login("editor")
    page = editor.post(
        f"/programm/ziele/{goal_id}/massnahmen/neu",
        data={
            "csrf_token": editor.csrf,
            "goal_id": goal_id,
            "title": "M",
            "lead_actor_id": 0,
            "status": "geplant",
            "indicator_scale": "anzahl",
            "target": "viele",
        },
    )
    assert page.status_code == 200
    text = html.unescape(page.get_data(as_text=True))
    assert "„viele“ ist keine Zahl" in text and 'aria-invalid="true"' in text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Measure.id))) == 0


# --- drafts ----------------------------------------------------------------------------------


def test_a_frozen_draft_stays_as_it_was_and_the_diff_shows_what_changed(app, world, login):
    goal_id = make_goal(app, world)
    kaffee = make_measure(
        app, goal_id, title="Fairer Kaffee", target="80", indicator_scale="prozent"
    )
    editor = login("editor")
    empty_note = editor.post(
        "/programm/entwuerfe/neu", data={"csrf_token": editor.csrf, "note": "v1"}
    )
    assert empty_note.headers["Location"].endswith("/programm/entwuerfe/v1")

    editor.post(
        f"/programm/massnahmen/{kaffee}/bearbeiten",
        data={
            "csrf_token": editor.csrf,
            "goal_id": goal_id,
            "title": "Fairer Kaffee überall",
            "lead_actor_id": world["fb60"],
            "status": "laufend",
            "indicator_scale": "prozent",
            "target": "100",
        },
    )
    make_measure(app, goal_id, title="Faire Dienstkleidung")
    v1 = html.unescape(editor.get("/programm/entwuerfe/v1").get_data(as_text=True))
    assert "Fairer Kaffee" in v1 and "überall" not in v1 and "Dienstkleidung" not in v1

    diff = html.unescape(
        editor.get("/programm/entwuerfe/vergleich?von=v1&zu=aktuell").get_data(as_text=True)
    )
    for words in (
        "Fairer Kaffee überall",
        "Faire Dienstkleidung",
        "Zielwert",
        "80",
        "100",
        "federführend",
        "FB60 Vergabe",
    ):
        assert words in diff, words
    api = editor.get(
        "/api/programme/drafts/1/diff/current", headers={"X-CSRFToken": editor.csrf}
    ).json
    assert api["summary"] == {"added": 1, "removed": 0, "changed": 1}
    changed = {f["field"]: (f["before"], f["after"]) for f in api["measures"][0]["fields"]}
    assert changed["title"] == ("Fairer Kaffee", "Fairer Kaffee überall")
    assert changed["status"] == ("geplant", "laufend")

    editor.post("/programm/entwuerfe/neu", data={"csrf_token": editor.csrf, "note": "v2"})
    with app.app_context():
        assert [d.label for d in drafts.drafts()] == ["v2", "v1"]
        assert drafts.get_draft(2).content["counts"] == {"goals": 1, "measures": 2}
        assert drafts.get_draft(1).content["counts"] == {"goals": 1, "measures": 1}


def test_a_frozen_draft_cannot_be_altered_through_any_route(app, world, api, login):
    goal_id = make_goal(app, world)
    make_measure(app, goal_id)
    with app.app_context():
        drafts.freeze("v1")
        before = db.session.execute(sa.select(Draft.__table__)).all()
    editor = api("editor", bearer=True)
    for method in ("PATCH", "PUT", "DELETE"):
        response = editor.open(method, "/api/programme/drafts/1", json={"note": "anders"})
        assert response.status_code == 409, method
        assert "eingefrorener Entwurf" in response.json["error"]
    # no page offers an edit, and the ORM refuses one too
    session = login("admin")
    for url in ("/programm/entwuerfe/v1/bearbeiten", "/programm/entwuerfe/v1/loeschen"):
        assert session.post(url, data={"csrf_token": session.csrf}).status_code in (404, 405)
    with app.app_context():
        draft = drafts.get_draft(1)
        draft.note = "heimlich"
        with pytest.raises(Conflict):
            db.session.commit()
        db.session.rollback()
        with pytest.raises(Conflict):
            db.session.delete(drafts.get_draft(1))
            db.session.commit()
        db.session.rollback()
        assert db.session.execute(sa.select(Draft.__table__)).all() == before
    # every route that names a draft is a read, answers 409, or works on the draft's
    # reflection links; none of them changes the draft's row
    linked = {"programme.create_reflection_links", "programme.send_reflection_links"}
    rules = [r for r in app.url_map.iter_rules() if "number" in r.arguments]
    for rule in rules:
        writes = rule.methods - {"GET", "HEAD", "OPTIONS"}
        assert writes <= {"PATCH", "PUT", "DELETE"} or rule.endpoint in linked, rule
    for url in ("/programm/entwuerfe/v1/reflexion", "/programm/entwuerfe/v1/reflexion/senden"):
        session.post(url, data={"csrf_token": session.csrf, "workshop_id": 0})
    with app.app_context():
        assert db.session.execute(sa.select(Draft.__table__)).all() == before


def test_an_empty_programme_cannot_be_frozen(app, world, login):
    editor = login("editor")
    page = editor.post(
        "/programm/entwuerfe/neu", data={"csrf_token": editor.csrf}, follow_redirects=True
    )
    assert "keine Ziele" in html.unescape(page.get_data(as_text=True))
    with app.app_context():
        assert not drafts.drafts()


# --- API -------------------------------------------------------------------------------------


def test_api_goals_and_measures(app, world, api):
    editor = api("editor", bearer=True)
    goal = editor.post(
        "/api/programme/goals",
        json={
            "topic": "SDG12",
            "title": "Fair beschaffen",
            "sdg_targets": ["12.7"],
            "outcome_ids": [world["goal_outcome"]],
        },
    )
    assert goal.status_code == 201 and goal.headers["Location"].endswith(
        f"/goals/{goal.json['id']}"
    )
    measure = editor.post(
        "/api/programme/measures",
        json={
            "goal_id": goal.json["id"],
            "title": "Kaffee",
            "lead_actor_id": world["fb60"],
            "indicator_scale": "prozent",
            "baseline": 20,
            "target": 100,
            "budget": 8000,
            "starts_on": "2025-10-01",
            "ends_on": "2026-06-30",
            "outcome_ids": [world["idea"]],
        },
    )
    assert measure.status_code == 201, measure.json
    assert measure.json["target"] == "100" and measure.json["budget"] == 8000.0
    viewer = api("viewer", bearer=True)
    listed = viewer.get("/api/programme/measures?topic=SDG12").json
    assert listed["total"] == 1 and listed["items"][0]["title"] == "Kaffee"
    assert viewer.get(f"/api/programme/measures?actor={world['fb60']}").json["total"] == 1
    assert viewer.get("/api/programme/goals?topic=SDG12").json["items"][0]["measure_ids"] == [
        measure.json["id"]
    ]
    patched = editor.patch(
        f"/api/programme/measures/{measure.json['id']}", json={**measure.json, "status": "laufend"}
    )
    assert patched.status_code == 200 and patched.json["status"] == "laufend"
    bad = editor.patch(f"/api/programme/measures/{measure.json['id']}", json={"target": 120})
    assert bad.status_code == 422 and "target" in bad.json["fields"]
    bad = editor.post(
        "/api/programme/measures", json={"goal_id": goal.json["id"], "title": "X", "budget": -1}
    )
    assert bad.status_code == 422 and "budget" in bad.json["fields"]
    assert (
        editor.post("/api/programme/measures", json={"title": "X", "kosten": 1}).status_code == 422
    )
    assert viewer.get("/api/programme/measures?lead=1").status_code == 422
    assert (
        viewer.post("/api/programme/goals", json={"topic": "SDG12", "title": "X"}).status_code
        == 403
    )

    frozen = editor.post("/api/programme/drafts", json={"note": "über die API"})
    assert frozen.status_code == 201 and frozen.json["label"] == "v1"
    assert frozen.json["content"]["counts"] == {"goals": 1, "measures": 1}
    assert viewer.get("/api/programme/drafts").json["total"] == 1
    assert editor.delete(f"/api/programme/goals/{goal.json['id']}").status_code == 204
    # the draft keeps what the programme lost
    assert viewer.get("/api/programme/drafts/1").json["content"]["counts"]["measures"] == 1


# --- other pages -----------------------------------------------------------------------------


def test_actor_and_topic_pages_and_deleting_a_lead(app, world, login, api):
    goal_id = make_goal(app, world)
    measure_id = make_measure(
        app,
        goal_id,
        title="Fairer Kaffee",
        lead_actor_id=world["fb60"],
        partner_actor_ids=[world["e26"]],
    )
    viewer = login("viewer")
    actor_page = html.unescape(viewer.get(f"/akteure/{world['fb60']}").get_data(as_text=True))
    assert "Maßnahmen im Handlungsprogramm" in actor_page and "Fairer Kaffee" in actor_page
    topic_page = html.unescape(viewer.get(f"/themen/{world['sdg12']}").get_data(as_text=True))
    assert "Ziele im Handlungsprogramm" in topic_page and "Die Stadt beschafft fair" in topic_page

    editor = login("editor")
    confirm = html.unescape(editor.get(f"/akteure/{world['fb60']}/loeschen").get_data(as_text=True))
    assert "Maßnahme „Fairer Kaffee“ (federführend)" in confirm
    assert api("editor", bearer=True).delete(f"/api/actors/{world['fb60']}").status_code == 409
    editor.post(f"/akteure/{world['fb60']}/loeschen", data={"csrf_token": editor.csrf})
    with app.app_context():
        measure = db.session.get(Measure, measure_id)
        assert measure is not None and measure.lead_actor_id is None


def test_text_is_escaped(app, world, login):
    evil = '<img src=x onerror="alert(1)">'
    goal_id = make_goal(app, world, title=evil, description=evil)
    make_measure(app, goal_id, title=evil, indicator=evil, indicator_scale="text", target=evil[:90])
    with app.app_context():
        drafts.freeze(evil)
    viewer = login("viewer")
    for url in (
        "/programm/",
        f"/programm/ziele/{goal_id}",
        "/programm/entwuerfe",
        "/programm/entwuerfe/v1",
        f"/themen/{world['sdg12']}",
    ):
        body = viewer.get(url).get_data(as_text=True)
        assert "<img src=x" not in body and "&lt;img src=x" in body, url


def test_the_demo_brings_a_programme_traced_to_its_workshops(app, login):
    from netzwerk.demo.services import load_demo

    with app.app_context():
        counts = load_demo()
        assert counts["goals"] == 3 and counts["measures"] == 6 and counts["outcomes"] == 9
        assert [d.label for d in drafts.drafts()] == ["v1"]
    page = html.unescape(login("viewer").get("/programm/").get_data(as_text=True))
    assert "Fairer und regionaler Kaffee in allen Kantinen und Sitzungen" in page
    with app.app_context():
        measure = db.session.scalar(sa.select(Measure).where(Measure.title.like("Schulpartner%")))
        assert {o.kind.value for o in measure.outcomes} == {"massnahmenidee", "zusage"}
