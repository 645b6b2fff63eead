"""The analysis pages and API on the Aachen demo data: gaps, findings, metrics, coverage, the
power/interest grid and the admin-edited reference checklist, through the Flask client."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from netzwerk.actors.models import Actor
from netzwerk.audit.models import AuditEntry
from netzwerk.core.errors import Invalid
from netzwerk.extensions import db
from netzwerk.network import reference_store, reports, state
from netzwerk.topics.models import Topic
from tests import factories

SDG12_GAPS = {
    "migrantenorganisation": "Migrant*innen-/Diaspora-Organisation",
    "kirche": "Kirche/Glaubensgemeinschaft",
    "handel-gastronomie": "Einzelhandel, Gastronomie",
}


@pytest.fixture
def demo(app):
    """The Aachen demo data; returns ids the tests need."""
    from netzwerk.demo.services import load_demo

    with app.app_context():
        load_demo()
        kepol = db.session.scalar(sa.select(Actor).where(Actor.short_name == "KEpol-Koordination"))
        sdg12 = db.session.scalar(sa.select(Topic).where(Topic.code == "SDG12"))
        return {"kepol": kepol.id, "sdg12": sdg12.id}


def section(html: str, element_id: str) -> str:
    """The HTML of the <section> with this id, up to the next section start."""
    start = html.index(f'id="{element_id}"')
    end = html.find("<section", start)
    return html[start : end if end != -1 else len(html)]


def metric_ids(html: str) -> list[int]:
    table = html[html.index('class="table metrics-table"') :]
    table = table[: table.index("</table>")]
    return [int(i) for i in re.findall(r'href="/akteure/(\d+)"', table)]


# --- /luecken ------------------------------------------------------------------------------------


def test_gaps_page_shows_the_deliberate_sdg12_gaps_with_reasons(app, demo, login):
    viewer = login("viewer")
    html = viewer.get("/luecken").get_data(as_text=True)
    sdg12 = section(html, "thema-SDG12")
    for label in SDG12_GAPS.values():
        assert label in sdg12
    assert "Kirchengemeinden mit fairen Produkten gehören zu den Fairtrade-Town-Kriterien" in sdg12
    assert "rund 35 Geschäfte und 18 Cafés und Restaurants" in sdg12
    assert "0 / 1" in sdg12
    # the weltladen is there in the demo, so it is no gap
    assert "Weltladen, Fair-Handels-Akteur" not in sdg12
    # viewers cannot create actors, so they get no link to the form
    assert "Akteur anlegen" not in sdg12


def test_checklist_reasons_are_english_in_english_and_an_admins_own_stays(app, demo, login):
    viewer = login("viewer")
    sdg12 = section(viewer.get("/luecken?lang=en").get_data(as_text=True), "thema-SDG12")
    assert "Parishes with fair products are part of the Fairtrade Town criteria" in sdg12
    assert "about 35 shops and 18 cafés and restaurants" in sdg12
    assert "Kirchengemeinden mit fairen Produkten" not in sdg12
    gaps = viewer.get("/api/gaps?topic=SDG12&lang=en").get_json()
    reasons = " ".join(g.get("reason") or "" for g in gaps)
    assert "church relief organisations have carried fair trade for decades" in reasons
    # a finding's text carries the reason as a part: rendered in the reader's language too
    from netzwerk.network import analysis

    german = "Jugendverbände erreichen junge Menschen außerhalb der Schule"
    reason = next(i["reason"] for i in analysis.load_reference()["SDG4"] if german in i["reason"])
    assert analysis.render_text([reason], language="en").startswith("Youth associations reach")
    assert analysis.render_text([reason], language="de") == reason
    with app.app_context():  # a reason an admin wrote is shown as written, in any language
        item = db.session.scalar(
            sa.select(reference_store.ReferenceItem).where(
                reference_store.ReferenceItem.category_key == "kirche",
                reference_store.ReferenceItem.topic_code == "SDG12",
            )
        )
        reference_store.update_item(item, {"reason": "Eigene Begründung der Verwaltung."})
    sdg12 = section(viewer.get("/luecken?lang=en").get_data(as_text=True), "thema-SDG12")
    assert "Eigene Begründung der Verwaltung." in sdg12


def test_editor_gets_a_prefilled_create_link_per_gap(app, demo, login):
    html = login("editor").get("/luecken?topic=SDG12").get_data(as_text=True)
    link = f'href="/akteure/neu?category=kirche&amp;topic={demo["sdg12"]}"'
    assert link in html
    assert "Akteur anlegen" in html
    form = login("editor", "editor-2").get(f"/akteure/neu?category=kirche&topic={demo['sdg12']}")
    assert form.status_code == 200


def test_gaps_page_filters_by_topic_and_survives_an_unknown_one(app, demo, login):
    viewer = login("viewer")
    html = viewer.get("/luecken?topic=SDG12").get_data(as_text=True)
    assert 'id="thema-SDG12"' in html
    assert 'id="thema-SDG4"' not in html and 'id="thema-SDG17"' not in html
    html = viewer.get("/luecken?topic=SDG99").get_data(as_text=True)
    assert "Unbekanntes Thema: SDG99" in html
    assert 'id="thema-SDG4"' in html  # falls back to all topics


def test_findings_name_kepol_as_articulation_point_with_actor_links(app, demo, login):
    viewer = login("viewer")
    html = viewer.get("/luecken").get_data(as_text=True)
    findings = section(html, "findings-title")
    assert "Nur KEpol-Koordination verbindet" in findings
    assert f'href="/akteure/{demo["kepol"]}"' in findings
    assert "HWK Aachen hat keine Beziehungen" in findings

    data = viewer.get("/api/findings").get_json()
    cut = [f for f in data if f["kind"] == "articulation_point" and f["actors"][0] == demo["kepol"]]
    assert len(cut) == 1 and cut[0]["severity"] == "hoch"
    assert cut[0]["text"].startswith("Nur KEpol-Koordination verbindet")
    assert {"kind", "severity", "text", "actors", "topic"} <= cut[0].keys()
    # the category gaps live in /api/gaps, not twice here
    assert not [f for f in data if f["kind"] == "category_gap"]


def test_metrics_are_sorted_on_the_server(app, demo, login):
    viewer = login("viewer")
    by_betweenness = viewer.get("/api/metrics").get_json()
    values = [row["betweenness"] for row in by_betweenness]
    assert values == sorted(values, reverse=True)
    assert by_betweenness[0]["id"] == demo["kepol"]
    assert {"id", "label", "degree", "betweenness", "community"} <= by_betweenness[0].keys()

    by_name = viewer.get("/api/metrics?sort=label").get_json()
    names = [row["label"].casefold() for row in by_name]
    assert names == sorted(names)
    by_degree = viewer.get("/api/metrics?sort=-degree&limit=5").get_json()
    assert len(by_degree) == 5
    assert [r["degree"] for r in by_degree] == sorted((r["degree"] for r in by_name), reverse=True)[
        :5
    ]

    # the page sorts the same way without JavaScript, and its headers link to the other order
    html = viewer.get("/luecken?sort=label").get_data(as_text=True)
    assert metric_ids(html) == [row["id"] for row in by_name][: len(metric_ids(html))]
    assert 'aria-sort="ascending"' in html
    assert "sort=-label" in html
    html = viewer.get("/luecken?sort=-degree").get_data(as_text=True)
    degrees = {row["id"]: row["degree"] for row in by_name}
    shown = [degrees[i] for i in metric_ids(html)]
    assert shown == sorted(shown, reverse=True) and len(shown) == 50

    bad = viewer.get("/api/metrics?sort=shoe_size")
    assert bad.status_code == 422 and "Unbekannte Sortierung" in bad.get_json()["error"]


def test_gaps_page_is_printable(app, demo, login):
    html = login("viewer").get("/luecken").get_data(as_text=True)
    assert "css/reports.css" in html
    css = app.test_client().get("/static/css/reports.css").get_data(as_text=True)
    assert "@media print" in css


# --- /api/gaps -----------------------------------------------------------------------------------


def test_api_gaps_for_sdg12(app, demo, api_token, login):
    headers = api_token("viewer")
    response = app.test_client().get("/api/gaps?topic=SDG12", headers=headers)
    assert response.status_code == 200
    gaps = response.get_json()
    assert isinstance(gaps, list) and gaps
    for gap in gaps:
        assert {"topic", "category", "have", "need", "reason", "candidates"} <= gap.keys()
        assert gap["topic"] == "SDG12"
        assert gap["have"] < gap["need"]
        assert gap["reason"]
    assert SDG12_GAPS.keys() <= {g["category"] for g in gaps}
    church = next(g for g in gaps if g["category"] == "kirche")
    assert (church["have"], church["need"], church["category_label"]) == (
        0,
        1,
        SDG12_GAPS["kirche"],
    )

    # codes compare without case and spaces; an id works too
    same = app.test_client().get("/api/gaps?topic=sdg 12", headers=headers).get_json()
    assert same == gaps
    assert (
        app.test_client().get(f"/api/gaps?topic={demo['sdg12']}", headers=headers).get_json()
        == gaps
    )
    every = app.test_client().get("/api/gaps", headers=headers).get_json()
    assert {g["topic"] for g in every} > {"SDG12"}

    unknown = app.test_client().get("/api/gaps?topic=SDG99", headers=headers)
    assert unknown.status_code == 422
    assert unknown.get_json()["error"] == "Unbekanntes Thema: SDG99"
    assert app.test_client().get("/api/gaps").status_code == 401


def test_gaps_follow_changes_to_the_data(app, demo, login):
    """The cache is keyed on the change counter: a new actor closes its gap at once."""
    viewer = login("viewer")
    before = viewer.get("/api/gaps?topic=SDG12").get_json()
    assert "kirche" in {g["category"] for g in before}
    with app.app_context():
        first = state.snapshot()
        assert state.snapshot() is first  # unchanged data: no recomputation
        church = factories.actor(name="Katholikenrat Aachen", category="kirche")
        factories.link(church, db.session.get(Topic, demo["sdg12"]))
        assert state.snapshot() is not first
    after = viewer.get("/api/gaps?topic=SDG12").get_json()
    assert "kirche" not in {g["category"] for g in after}


def test_candidates_are_listed_but_do_not_close_the_gap(app, demo, login):
    with app.app_context():
        church = factories.actor(name="Ev. Kirchenkreis", category="kirche", status="kandidat")
        factories.link(church, db.session.get(Topic, demo["sdg12"]))
        church_id = church.id
    viewer = login("viewer")
    gap = next(
        g for g in viewer.get("/api/gaps?topic=SDG12").get_json() if g["category"] == "kirche"
    )
    assert (gap["have"], gap["candidates"]) == (0, 1)
    assert gap["candidate_actors"] == [{"id": church_id, "label": "Ev. Kirchenkreis"}]
    html = viewer.get("/luecken?topic=SDG12").get_data(as_text=True)
    assert f'<a href="/akteure/{church_id}">Ev. Kirchenkreis</a>' in html


# --- /abdeckung ----------------------------------------------------------------------------------


def test_coverage_shows_roles_and_have_need(app, demo, login):
    viewer = login("viewer")
    html = viewer.get("/abdeckung").get_data(as_text=True)
    assert "federführend" in html and "mitwirkend" in html
    needs = html[html.index('class="table coverage-needs"') : html.index('id="matrix-title"')]
    church_row = needs[needs.index(SDG12_GAPS["kirche"]) :]
    church_row = church_row[: church_row.index("</tr>")]
    assert 'class="num missing">0 / 1' in church_row
    assert f'href="/akteure/{demo["kepol"]}"' in html
    only_schools = viewer.get("/abdeckung?category=schule").get_data(as_text=True)
    matrix = only_schools[only_schools.index('class="table coverage-matrix"') :]
    matrix = matrix[: matrix.index("</table>")]
    assert "Schule" in matrix and "Koordination Kommunale Entwicklungspolitik" not in matrix


# --- /einfluss-interesse -------------------------------------------------------------------------


def test_grid_shows_quadrants_and_only_editors_get_drag_and_forms(app, demo, login):
    viewer_html = login("viewer").get("/einfluss-interesse").get_data(as_text=True)
    for label in ("Eng einbinden", "Zufriedenstellen", "Informieren", "Beobachten"):
        assert label in viewer_html
    assert f'id="akteur-{demo["kepol"]}"' in viewer_html
    assert 'draggable="true"' not in viewer_html and "data-editable" not in viewer_html
    assert 'name="power"' not in viewer_html

    editor_html = login("editor").get("/einfluss-interesse?topic=SDG12").get_data(as_text=True)
    assert 'draggable="true"' in editor_html and "data-editable" in editor_html
    assert f'<label class="visually-hidden" for="power-{demo["kepol"]}">' in editor_html
    assert 'name="csrf-token"' in editor_html
    assert "js/grid.js" in editor_html


def test_viewer_cannot_move_an_actor(app, demo, login):
    viewer = login("viewer")
    response = viewer.post(
        f"/einfluss-interesse/{demo['kepol']}",
        data={"power": 1, "interest": 1, "csrf_token": viewer.csrf},
    )
    assert response.status_code == 403
    with app.app_context():
        actor = db.session.get(Actor, demo["kepol"])
        assert (actor.power, actor.interest) != (1, 1)


def test_editor_moves_an_actor_with_the_form(app, demo, login):
    editor = login("editor")
    with app.app_context():
        version = db.session.get(Actor, demo["kepol"]).version
    response = editor.post(
        f"/einfluss-interesse/{demo['kepol']}",
        data={
            "power": 2,
            "interest": 4,
            "version": version,
            "topic": "SDG12",
            "csrf_token": editor.csrf,
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/einfluss-interesse?topic=SDG12#akteur-{demo['kepol']}"
    )
    page = editor.get(response.headers["Location"]).get_data(as_text=True)
    assert "Einfluss 2, Interesse 4 – Informieren" in page
    with app.app_context():
        actor = db.session.get(Actor, demo["kepol"])
        assert (actor.power, actor.interest) == (2, 4)
        entry = db.session.scalar(
            sa.select(AuditEntry).where(AuditEntry.entity == "actor").order_by(AuditEntry.id.desc())
        )
        assert entry.entity_id == actor.id and entry.changes["interest"][1] == 4


def test_drag_request_answers_json_and_refuses_bad_input(app, demo, login):
    editor = login("editor")
    url = f"/einfluss-interesse/{demo['kepol']}"
    headers = {"X-CSRFToken": editor.csrf, "Accept": "application/json"}
    ok = editor.post(url, data={"power": 5, "interest": 5}, headers=headers)
    assert ok.status_code == 200
    body = ok.get_json()
    assert (body["power"], body["interest"], body["quadrant"]) == (5, 5, "eng_einbinden")
    assert body["quadrant_label"] == "Eng einbinden"

    stale = editor.post(url, data={"power": 1, "interest": 1, "version": 1}, headers=headers)
    assert stale.status_code == 409 and "inzwischen" in stale.get_json()["error"]
    out_of_range = editor.post(url, data={"power": 7, "interest": 1}, headers=headers)
    assert out_of_range.status_code == 422
    assert "zwischen 1 und 5" in out_of_range.get_json()["error"]
    no_token = editor.post(
        url, data={"power": 1, "interest": 1}, headers={"Accept": "application/json"}
    )
    assert no_token.status_code == 400
    with app.app_context():
        actor = db.session.get(Actor, demo["kepol"])
        assert (actor.power, actor.interest, actor.version) == (5, 5, body["version"])


# --- /admin/referenz -----------------------------------------------------------------------------


def test_only_admins_see_and_edit_the_reference(app, demo, login):
    for role in ("viewer", "editor"):
        client = login(role)
        assert client.get("/admin/referenz").status_code == 403
        refused = client.post(
            "/admin/referenz",
            data={
                "topic_code": "all",
                "category_key": "medien",
                "min_count": 1,
                "reason": "x",
                "csrf_token": client.csrf,
            },
        )
        assert refused.status_code == 403
    admin = login("admin")
    html = admin.get("/admin/referenz").get_data(as_text=True)
    assert "Referenz-Checkliste" in html
    assert "Die Vergabestelle (FB60) verantwortet die faire Beschaffung" in html
    with app.app_context():
        assert "medien" not in {i["category"] for i in reference_store.reference_dict()["all"]}


def _item(app, topic_code: str, category: str):
    with app.app_context():
        return db.session.scalar(
            sa.select(reference_store.ReferenceItem.id).where(
                reference_store.ReferenceItem.topic_code == topic_code,
                reference_store.ReferenceItem.category_key == category,
            )
        )


def test_reference_edits_change_the_gaps_and_are_audited(app, demo, login):
    admin = login("admin")
    viewer = login("viewer")

    def sdg12_gaps():
        return {g["category"]: g for g in viewer.get("/api/gaps?topic=SDG12").get_json()}

    assert "medien" not in sdg12_gaps()  # the demo has one local newspaper on SDG12
    # require three media outlets for SDG 12: a new gap appears with the admin's reason
    response = admin.post(
        f"/admin/referenz/{_item(app, 'SDG12', 'medien')}/bearbeiten",
        data={
            "topic_code": "SDG12",
            "category_key": "medien",
            "min_count": 3,
            "reason": "Drei Redaktionen berichten.",
            "csrf_token": admin.csrf,
        },
    )
    assert response.status_code == 302
    media = sdg12_gaps()["medien"]
    assert (media["need"], media["reason"]) == (3, "Drei Redaktionen berichten.")

    # removing the church from the SDG 12 list closes that gap
    church = _item(app, "SDG12", "kirche")
    assert admin.get(f"/admin/referenz/{church}/loeschen").status_code == 200
    response = admin.post(f"/admin/referenz/{church}/loeschen", data={"csrf_token": admin.csrf})
    assert response.status_code == 302
    assert "kirche" not in sdg12_gaps()

    # a new expectation for every topic
    response = admin.post(
        "/admin/referenz",
        data={
            "topic_code": "all",
            "category_key": "jugend",
            "min_count": 2,
            "reason": "Junge Menschen sollen mitreden.",
            "csrf_token": admin.csrf,
        },
    )
    assert response.status_code == 302
    assert sdg12_gaps()["jugend"]["need"] == 2
    assert "Junge Menschen sollen mitreden." in viewer.get("/luecken").get_data(as_text=True)

    with app.app_context():
        entries = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.entity == "reference").order_by(AuditEntry.id)
        ).all()
        assert [e.action for e in entries][-3:] == ["update", "delete", "create"]
        assert entries[-3].changes["min_count"] == [1, 3]
        assert entries[-3].username == "admin-user"

    # back to the shipped checklist
    assert (
        admin.post("/admin/referenz/zuruecksetzen", data={"csrf_token": admin.csrf}).status_code
        == 302
    )
    gaps = sdg12_gaps()
    assert "kirche" in gaps and "jugend" not in gaps and "medien" not in gaps


def test_reference_refuses_bad_input_and_keeps_it(app, demo, login):
    admin = login("admin")
    with app.app_context():
        before = len(reference_store.reference_items())
    html = admin.post(
        "/admin/referenz",
        data={
            "topic_code": "SDG12",
            "category_key": "kirche",
            "min_count": 2,
            "reason": "Noch einmal.",
            "csrf_token": admin.csrf,
        },
    ).get_data(as_text=True)
    assert "gibt es schon einen Eintrag" in html
    assert "Noch einmal." in html  # the admin's text is still in the form
    html = admin.post(
        "/admin/referenz",
        data={
            "topic_code": "SDG12",
            "category_key": "jugend",
            "min_count": 0,
            "reason": "",
            "csrf_token": admin.csrf,
        },
    ).get_data(as_text=True)
    assert 'aria-invalid="true"' in html
    with app.app_context():
        assert len(reference_store.reference_items()) == before
        with pytest.raises(Invalid, match="Unbekanntes Thema"):
            reference_store.create_item(
                {"topic_code": "SDG99", "category_key": "jugend", "min_count": 1, "reason": "x"}
            )


def test_emptied_checklist_is_not_seeded_again(app, demo):
    with app.app_context():
        reference = state.snapshot().reference
        assert reference == reference_store.reference_dict()
        assert reference["SDG4"][0] == {
            "category": "schule",
            "min": 3,
            "reason": reference["SDG4"][0]["reason"],
        }
        for item in reference_store.reference_items():
            reference_store.delete_item(item)
        assert reference_store.ensure_reference() == 0
        assert reference_store.reference_dict() == {}
        assert reports.gap_list() == []


def test_long_finding_lists_are_cut_with_a_link_to_all(app, login):
    with app.app_context():
        for n in range(105):
            factories.actor(name=f"Verein {n:03d}", category="eine-welt-gruppe")
    viewer = login("viewer")
    total = len(viewer.get("/api/findings").get_json())
    assert total >= 105  # each is isolated (and cannot be invited: no contact)
    html = viewer.get("/luecken").get_data(as_text=True)
    assert html.count('class="finding severity-') == 100
    assert f"100 von {total} Befunden gezeigt" in html
    assert re.search(r'href="/luecken\?[^"]*befunde=alle[^"]*#findings-title"', html)
    html = viewer.get("/luecken?befunde=alle").get_data(as_text=True)
    assert html.count('class="finding severity-') == total
