"""Planning workshops on the pages: forms, time zones, roles, the process overview, the demo,
attendance, the sign-in sheet, results and what the map gets."""

from __future__ import annotations

import re
from datetime import datetime
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import sqlalchemy as sa

from netzwerk.audit.models import AuditEntry
from netzwerk.auth.models import User
from netzwerk.extensions import db
from netzwerk.mail.models import MailMessage
from netzwerk.workshops import invitations, services
from netzwerk.workshops.models import Phase, Response, Workshop
from tests import factories
from tests.workshops_support import event_of, plan, send, wait_for_batch

FORM = {
    "title": "Fokusgruppe SDG 4 – Bildung für nachhaltige Entwicklung",
    "phase": "fokusgruppe",
    "format": "praesenz",
    "status": "geplant",
    "timezone": "Europe/Berlin",
    "starts_at": "2031-01-14T10:00",
    "ends_at": "2031-01-14T12:30",
    "location": "Volkshochschule Aachen",
    "capacity": "20",
    "agenda": "1. Angebote\n2. Ziele",
    "organizer_name": "Miriam Albers",
    "organizer_email": "m.albers@example.org",
}


def test_an_editor_plans_a_workshop_with_local_times(app, login):
    with app.app_context():
        topic_id = factories.topic(code="SDG4", title="Bildung").id
    editor = login("editor")
    form_page = editor.get("/workshops/neu").get_data(as_text=True)
    assert 'type="datetime-local"' in form_page
    response = editor.post(
        "/workshops/neu", data=FORM | {"csrf_token": editor.csrf, "topics": topic_id}
    )
    assert response.status_code == 302
    workshop_id = int(re.search(r"/workshops/(\d+)$", response.location)[1])
    page = editor.get(response.location).get_data(as_text=True)
    assert "Dienstag, 14. Januar 2031, 10:00–12:30 (CET, Europe/Berlin)" in page
    assert "SDG4 Bildung" in page
    with app.app_context():
        workshop = db.session.get(Workshop, workshop_id)
        assert workshop.starts_at == datetime(2031, 1, 14, 9, 0)  # stored as UTC
        assert workshop.capacity == 20 and workshop.sequence == 0
        assert workshop.uid.endswith("@netzwerk.local")
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.entity == "workshop"))
        assert entry.action == "create" and entry.changes["topics"] == [None, ["SDG4"]]

    # a reader in Cape Town sees the time in both zones
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "editor-user"))
        user.timezone = "Africa/Johannesburg"
        db.session.commit()
    page = editor.get(f"/workshops/{workshop_id}").get_data(as_text=True)
    assert "bei Ihnen" in page and "11:00–13:30 (SAST, Africa/Johannesburg)" in page


def test_bad_input_is_refused_with_a_german_reason_and_nothing_is_saved(app, login):
    editor = login("editor")
    cases = {
        "Das Ende muss nach dem Beginn liegen.": {"ends_at": "2031-01-14T09:00"},
        "Unbekannte Zeitzone: Mars/Olympus": {"timezone": "Mars/Olympus"},
        "gibt es in Europe/Berlin nicht (Zeitumstellung)": {
            "starts_at": "2031-03-30T02:30",
            "ends_at": "2031-03-30T04:00",
        },
        "Der Link muss mit http:// oder https:// beginnen.": {"online_url": "javascript:alert(1)"},
        "Das Ende fehlt.": {"ends_at": ""},
    }
    for message, change in cases.items():
        response = editor.post("/workshops/neu", data=FORM | change | {"csrf_token": editor.csrf})
        assert response.status_code == 200, message
        assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Workshop.id))) == 0


def test_viewers_read_but_cannot_change(app, login, client):
    ws = plan(app)
    viewer = login("viewer")
    index = viewer.get("/workshops/").get_data(as_text=True)
    assert "Fokusgruppe SDG 12" in index and "Workshop planen" not in index
    detail = viewer.get(f"/workshops/{ws['id']}").get_data(as_text=True)
    assert "Bearbeiten" not in detail
    assert viewer.get("/workshops/neu").status_code == 403
    assert (
        viewer.post(
            f"/workshops/{ws['id']}/bearbeiten", data={"csrf_token": viewer.csrf}
        ).status_code
        == 403
    )
    assert (
        viewer.post(f"/workshops/{ws['id']}/absagen", data={"csrf_token": viewer.csrf}).status_code
        == 403
    )
    assert client.get("/workshops/").status_code == 302  # login first
    assert "/login" in client.get(f"/workshops/{ws['id']}/einladungen").location


def test_the_process_overview_shows_the_phases_in_order_with_their_workshops(app, login):
    plan(app, title="Auftakt Akteursidentifikation", phase="akteursidentifikation")
    plan(app, title="Fokusgruppe Beschaffung", phase="fokusgruppe")
    plan(app, title="Beschluss im Rat", phase="ratsvorlage")
    page = login("viewer").get("/workshops/").get_data(as_text=True)
    headings = re.findall(r'<h2 id="phase-([a-z]+)">', page)
    assert headings == [phase.value for phase in Phase]
    sections = dict(re.findall(r'<h2 id="phase-([a-z]+)">(.*?)</li>', page, flags=re.S))
    assert "Auftakt Akteursidentifikation" in sections["akteursidentifikation"]
    assert "Fokusgruppe Beschaffung" in sections["fokusgruppe"]
    assert "Beschluss im Rat" in sections["ratsvorlage"]
    assert "Fokusgruppe" not in sections["bestandsanalyse"]


def test_the_demo_brings_the_papers_events_and_planned_focus_groups(app):
    from netzwerk.demo.services import load_demo

    with app.app_context():
        counts = load_demo()
        assert counts["workshops"] == 9
        by_title = {w.title: w for w in services.workshops()}
        seminar = by_title["SKEW-Online-Seminar „Entwicklungspolitik für Kommunalpolitiker*innen“"]
        assert (seminar.starts_at, seminar.ends_at) == (
            datetime(2025, 5, 13, 16, 0),
            datetime(2025, 5, 13, 17, 30),
        )  # 18:00–19:30 Europe/Berlin
        assert seminar.format.value == "online" and seminar.status.value == "durchgefuehrt"
        cape = by_title["Delegationsreise nach Kapstadt – 25 Jahre Städtepartnerschaft"]
        assert cape.timezone == "Africa/Johannesburg" and cape.starts_at.month == 3
        assert (
            by_title["Verwaltungsinternes Austauschtreffen Aachen–Chernihiv"].starts_at.month == 4
        )
        assert (
            by_title["Gegenbesuch aus Kapstadt und Festakt 25 Jahre Partnerschaft"].starts_at.month
            == 8
        )
        assert {"Aachen zeigt Engagement", "Lange Tafel der Vielfalt"} <= by_title.keys()
        focus = [w for w in by_title.values() if w.phase == Phase.FOCUS_GROUP]
        assert sorted(t.code for w in focus for t in w.topics) == ["SDG12", "SDG17", "SDG4"]
        assert all(w.status.value == "geplant" and not w.invitations for w in focus)
        assert all(w.starts_at > datetime.now() for w in focus)
        past = [w for w in by_title.values() if w.phase != Phase.FOCUS_GROUP]
        responses = {inv.response for w in past for inv in w.invitations}
        assert {Response.ACCEPTED, Response.DECLINED} <= responses
        assert any(inv.attended for w in past for inv in w.invitations)
        assert all(len(w.invitations) >= 3 for w in past)
        assert db.session.scalar(sa.select(sa.func.count(MailMessage.id))) == 0  # none sent
        graph = {item["title"]: item for item in services.workshop_graph_data()}
        cape_item = graph[cape.title]
        assert cape_item["status"] == "durchgefuehrt"
        assert cape_item["starts_at"] == "2025-03-17T09:00:00+02:00"
        assert len(cape_item["participant_actor_ids"]) == 5  # the five who came
        assert set(cape_item["participant_actor_ids"]) < set(cape_item["invited_actor_ids"])


def test_attendance_sign_in_sheet_and_results(app, login):
    people = [
        {"name": "Anna Becker", "email": "anna@example.org"},
        {"name": "Ben Schmitz", "email": "ben@example.org"},
        {"name": "Clara Wolff", "email": "clara@example.org"},
    ]
    ws = plan(app, people)
    nxt = plan(app, title="Reflexionsworkshop SDG 12", phase="reflexionsworkshop")
    with app.app_context():
        workshop = services.get_workshop(ws["id"])
        anna, ben, clara = workshop.invitations
        invitations.respond(anna, "accepted")
        invitations.respond(ben, "declined")
        anna_id, clara_id = anna.id, clara.id
    editor = login("editor")

    sheet = editor.get(f"/workshops/{ws['id']}/unterschriften").get_data(as_text=True)
    names = re.findall(r"<tr><td class=\"num\">\d+</td><td>([^<]*)</td>", sheet)
    assert names[:2] == ["Anna Becker", "Clara Wolff"]  # accepted first, declined left out
    assert "Ben Schmitz" not in sheet and names[2:] == [""] * 8  # blank rows for walk-ins
    assert "Unterschrift" in sheet

    response = editor.post(
        f"/workshops/{ws['id']}/teilnahme",
        data={"csrf_token": editor.csrf, "attended": [anna_id, clara_id]},
    )
    assert response.status_code == 302
    page = editor.get(f"/workshops/{ws['id']}/teilnahme").get_data(as_text=True)
    assert "2 von 3 Eingeladenen waren da." in page

    response = editor.post(
        f"/workshops/{ws['id']}/ergebnisse",
        data={
            "csrf_token": editor.csrf,
            "results": "Kriterien für fairen Kaffee abgestimmt.",
            "follow_ups": "- FB60 prüft Vergabekriterien\n- Weltladen liefert Bezugsquellen",
            "next_workshop_id": nxt["id"],
            "mark_done": "y",
        },
    )
    assert response.status_code == 302
    page = editor.get(f"/workshops/{ws['id']}").get_data(as_text=True)
    assert "<li>FB60 prüft Vergabekriterien</li>" in page
    assert "<li>Weltladen liefert Bezugsquellen</li>" in page
    assert f'href="/workshops/{nxt["id"]}">Reflexionsworkshop SDG 12</a>' in page
    assert "durchgeführt" in page
    with app.app_context():
        (item,) = [i for i in services.workshop_graph_data() if i["id"] == ws["id"]]
        came = services.get_workshop(ws["id"]).invitations
        assert item["participant_actor_ids"] == sorted(i.actor_id for i in came if i.attended)
        assert len(item["participant_actor_ids"]) == 2 and item["status"] == "durchgefuehrt"


def test_moving_the_time_on_the_edit_page_sends_updates_with_progress(app, login):
    ws = plan(app, [{"name": "Anna Becker", "email": "anna@example.org"}])
    send(app, ws["id"])
    editor = login("editor")
    form = FORM | {
        "csrf_token": editor.csrf,
        "title": "Fokusgruppe SDG 12 – Faire Beschaffung",
        "starts_at": "2030-01-15T14:00",
        "ends_at": "2030-01-15T16:00",
    }
    response = editor.post(f"/workshops/{ws['id']}/bearbeiten", data=form)
    assert response.status_code == 302 and "/versand/" in response.location
    assert wait_for_batch(editor, response.location + ".json")["sent"] == 1
    files = sorted(Path(app.config["OUTBOX_DIR"]).glob("request-1-*.eml"))
    assert len(files) == 1
    cal, event = event_of(message_from_bytes(files[0].read_bytes(), policy=default))
    assert int(event["SEQUENCE"]) == 1 and str(event["UID"]) == ws["uid"]
    assert event.decoded("DTSTART").hour == 13  # 14:00 CET in UTC


def test_workshops_with_sent_invitations_must_be_cancelled_before_deleting(app, login):
    ws = plan(app, [{"name": "Anna Becker", "email": "anna@example.org"}])
    send(app, ws["id"])
    editor = login("editor")
    response = editor.post(f"/workshops/{ws['id']}/loeschen", data={"csrf_token": editor.csrf})
    assert response.status_code == 409
    assert "Bitte zuerst absagen" in response.get_data(as_text=True)
    draft = plan(app, title="Nur ein Entwurf", status="entwurf")
    response = editor.post(f"/workshops/{draft['id']}/loeschen", data={"csrf_token": editor.csrf})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Workshop, draft["id"]) is None
        assert db.session.get(Workshop, ws["id"]) is not None
