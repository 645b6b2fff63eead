"""Date polls: each invitee sees the candidate slots in their own zone, votes by token link, the
organizer fixes the best slot in one click."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest

from netzwerk.extensions import db
from netzwerk.mail import queue
from netzwerk.workshops import polls, services
from netzwerk.workshops.models import Workshop
from netzwerk.workshops.timefmt import times_for, to_utc
from tests.workshops_support import body_text, invitation_token, plan

CAPE_TOWN = {
    "name": "Thandiwe Mokoena",
    "email": "t.mokoena@example.org",
    "language": "en",
    "timezone": "Africa/Johannesburg",
}
CHERNIHIV = {
    "name": "Olena Kovalenko",
    "email": "o.kovalenko@example.org",
    "language": "uk",
    "timezone": "Europe/Kyiv",
}
AACHEN = {"name": "Anna Becker", "email": "anna@example.org"}


@pytest.mark.parametrize(
    ("month", "zone", "expected"),
    [
        (1, "Africa/Johannesburg", "11:00"),
        (7, "Africa/Johannesburg", "10:00"),
        (1, "Europe/Kyiv", "11:00"),
        (7, "Europe/Kyiv", "11:00"),
    ],
)
def test_ten_o_clock_in_berlin_for_cape_town_and_chernihiv(month, zone, expected):
    start = to_utc(datetime(2030, month, 15, 10, 0), "Europe/Berlin")
    times = times_for(start, None, "Europe/Berlin", zone, "de")
    assert "10:00 (CE" in times["workshop"]
    assert f", {expected} (" in times["reader"] and zone in times["reader"]


def test_a_local_time_the_clock_skips_is_refused():
    from netzwerk.core.errors import Invalid

    with pytest.raises(Invalid, match="Zeitumstellung"):
        to_utc(datetime(2030, 3, 31, 2, 30), "Europe/Berlin")


def undated_workshop(app) -> dict:
    return plan(
        app,
        [dict(CAPE_TOWN), dict(CHERNIHIV), dict(AACHEN)],
        starts_at=None,
        ends_at=None,
        status="entwurf",
    )


def add_slots(app, workshop_id: int) -> list[int]:
    with app.app_context():
        workshop = services.get_workshop(workshop_id)
        january = polls.add_slot(workshop, datetime(2030, 1, 15, 10), datetime(2030, 1, 15, 12))
        july = polls.add_slot(workshop, "2030-07-16T10:00", "2030-07-16T12:00")
        return [january.id, july.id]


def test_each_invitee_sees_the_slots_in_their_own_zone(app, client):
    ws = undated_workshop(app)
    add_slots(app, ws["id"])
    cape, kyiv, aachen = (invitation_token(app, ws["id"], cid) for cid in ws["contact_ids"])

    page = client.get(f"/einladung/{cape}/umfrage").get_data(as_text=True)
    assert "Africa/Johannesburg" in page
    assert "Tuesday, January 15, 2030, 11:00–13:00 (SAST, Africa/Johannesburg)" in page
    assert "Tuesday, July 16, 2030, 10:00–12:00 (SAST, Africa/Johannesburg)" in page
    assert "10:00–12:00 CET (Europe/Berlin)" in page  # the workshop's own time beside it

    page = client.get(f"/einladung/{kyiv}/umfrage").get_data(as_text=True)
    assert "11:00–13:00 (EET, Europe/Kyiv)" in page
    assert "11:00–13:00 (EEST, Europe/Kyiv)" in page

    page = client.get(f"/einladung/{aachen}/umfrage").get_data(as_text=True)
    assert "Dienstag, 15. Januar 2030, 10:00–12:00 (CET, Europe/Berlin)" in page
    assert "Zeit des Workshops" not in page  # same zone: shown once


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def test_votes_pick_the_best_slot_which_the_organizer_fixes_in_one_click(app, client, login):
    ws = undated_workshop(app)
    january, july = add_slots(app, ws["id"])
    tokens = [invitation_token(app, ws["id"], cid) for cid in ws["contact_ids"]]
    votes = [
        {january: "nein", july: "ja"},
        {january: "vielleicht", july: "ja"},
        {january: "ja", july: "vielleicht"},
    ]
    # each invitee is thanked in their language (Ukrainian reads English, like the mails)
    english = "Thank you, your choice has been saved."
    thanks = [english, english, "Danke, Ihre Auswahl ist gespeichert."]
    for token, answers, thank in zip(tokens, votes, thanks, strict=True):
        url = f"/einladung/{token}/umfrage"
        data = {"csrf_token": _csrf(client.get(url).get_data(as_text=True))}
        data |= {f"slot-{slot}": answer for slot, answer in answers.items()}
        response = client.post(url, data=data)
        assert response.status_code == 302
        assert thank in client.get(url).get_data(as_text=True)

    editor = login("editor")
    page = editor.get(f"/workshops/{ws['id']}/umfrage").get_data(as_text=True)
    best_row = next(row for row in page.split("<tr") if "bester Termin" in row)
    assert "16. Juli 2030" in best_row
    with app.app_context():
        rows = polls.results(services.get_workshop(ws["id"]))["slots"]
        assert [(r["yes"], r["maybe"], r["no"]) for r in rows] == [(1, 1, 1), (2, 1, 0)]

    # the answers are headed by the dates, and fixing one asks first
    answers = page.split("<h2>Antworten</h2>")[1].split("</thead>")[0]
    assert "16. Juli 2030" in answers
    asked = editor.get(f"/workshops/{ws['id']}/umfrage/{july}/festlegen")
    assert asked.status_code == 200
    question = asked.get_data(as_text=True)
    assert "Termin festlegen" in question and "16. Juli 2030" in question
    with app.app_context():
        assert db.session.get(Workshop, ws["id"]).poll_open  # asking changed nothing
    response = editor.post(
        f"/workshops/{ws['id']}/umfrage/{july}/festlegen", data={"csrf_token": editor.csrf}
    )
    assert response.status_code == 302
    with app.app_context():
        workshop = db.session.get(Workshop, ws["id"])
        assert workshop.starts_at == datetime(2030, 7, 16, 8, 0)  # 10:00 CEST in UTC
        assert workshop.ends_at == datetime(2030, 7, 16, 10, 0)
        assert not workshop.poll_open
        assert workshop.sequence == 0  # nobody had the invitation yet: nothing to update

    # the poll is closed for voting now
    url = f"/einladung/{tokens[0]}/umfrage"
    closed = client.post(
        url,
        data={"csrf_token": _csrf(client.get(url).get_data(as_text=True)), f"slot-{january}": "ja"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Die Terminumfrage ist beendet." in closed


def test_the_poll_is_mailed_with_each_invitees_link_and_times(app):
    ws = undated_workshop(app)
    add_slots(app, ws["id"])
    with app.app_context():
        batch, queued = polls.send_poll(services.get_workshop(ws["id"]))
        assert queued == 3

        assert queue.deliver(batch=batch).sent == 3
    messages = [
        message_from_bytes(p.read_bytes(), policy=default)
        for p in Path(app.config["OUTBOX_DIR"]).glob("*.eml")
    ]
    cape = next(m for m in messages if "mokoena" in str(m["To"]))
    assert cape["Subject"] == "Date poll: Fokusgruppe SDG 12 – Faire Beschaffung"
    text = body_text(cape)
    assert "= 11:00–13:00 SAST (Africa/Johannesburg)" in text
    token = invitation_token(app, ws["id"], ws["contact_ids"][0])
    assert f"http://127.0.0.1/einladung/{token}/umfrage" in text
    assert not any(p.get_content_type() == "text/calendar" for p in cape.walk())


def test_bad_slots_are_refused_with_a_reason(app, login):
    ws = undated_workshop(app)
    editor = login("editor")
    response = editor.post(
        f"/workshops/{ws['id']}/umfrage",
        data={
            "csrf_token": editor.csrf,
            "starts_at": "2030-01-15T12:00",
            "ends_at": "2030-01-15T10:00",
        },
    )
    assert "Das Ende muss nach dem Beginn liegen." in response.get_data(as_text=True)
    viewer = login("viewer", username="leser")
    forbidden = viewer.post(
        f"/workshops/{ws['id']}/umfrage",
        data={
            "csrf_token": viewer.csrf,
            "starts_at": "2030-01-15T10:00",
            "ends_at": "2030-01-15T12:00",
        },
    )
    assert forbidden.status_code == 403
    with app.app_context():
        assert services.get_workshop(ws["id"]).slots == []


def test_several_dates_are_proposed_in_one_step_or_not_at_all(app, login):
    ws = undated_workshop(app)
    editor = login("editor")
    page = editor.get(f"/workshops/{ws['id']}/umfrage").get_data(as_text=True)
    assert page.count('type="date"') == 5  # five calendar rows, no script needed
    url = f"/workshops/{ws['id']}/umfrage/mehrere"
    times = {"csrf_token": editor.csrf, "start_time": "10:00", "end_time": "12:00"}

    # one row in the past and one repeated: nothing saved, each row says why
    refused = editor.post(
        url,
        data=times
        | {
            "date_0": "2030-01-15",
            "date_1": "2020-01-15",
            "date_2": "2030-01-15",
            "date_3": "kein Datum",
        },
    )
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'id="date_1-errors"' in html and "in der Vergangenheit" in html
    assert 'id="date_2-errors"' in html and "schon in einer Zeile darüber" in html
    assert 'id="date_3-errors"' in html
    assert 'id="date_0-errors"' not in html
    assert 'value="2030-01-15"' in html  # what was typed stays in the form
    with app.app_context():
        assert services.get_workshop(ws["id"]).slots == []

    # the good rows alone: all saved at once, the answers table is headed by the dates
    saved = editor.post(
        url, data=times | {"date_0": "2030-01-15", "date_2": "2030-07-16"}, follow_redirects=True
    )
    html = saved.get_data(as_text=True)
    assert "2 Terminvorschläge hinzugefügt." in html
    header = html.split("<h2>Antworten</h2>")[1].split("</thead>")[0]
    assert "15. Januar 2030" in header and "16. Juli 2030" in header
    with app.app_context():
        slots = services.get_workshop(ws["id"]).slots
        assert [(s.starts_at, s.ends_at) for s in slots] == [
            (datetime(2030, 1, 15, 9), datetime(2030, 1, 15, 11)),  # CET
            (datetime(2030, 7, 16, 8), datetime(2030, 7, 16, 10)),  # CEST
        ]

    # proposing an existing date again, or none at all, or ending before the start, is refused
    again = editor.post(url, data=times | {"date_0": "2030-01-15"}).get_data(as_text=True)
    assert "Diesen Terminvorschlag gibt es schon." in again
    empty = editor.post(url, data=times).get_data(as_text=True)
    assert "Mindestens ein Datum angeben." in empty
    backwards = editor.post(
        url, data=times | {"start_time": "12:00", "end_time": "10:00", "date_0": "2030-02-01"}
    ).get_data(as_text=True)
    assert "Das Ende muss nach dem Beginn liegen." in backwards
    with app.app_context():
        assert len(services.get_workshop(ws["id"]).slots) == 2

    viewer = login("viewer", username="leser")
    forbidden = viewer.post(url, data=times | {"csrf_token": viewer.csrf, "date_0": "2030-03-01"})
    assert forbidden.status_code == 403


def test_fixing_a_date_offers_the_invitations_that_tell_every_voter(app, client, login):
    """A draft polled before anyone was invited: after fixing the date the coordinator is
    offered to send the invitations; doing so plans the workshop and every voter gets the
    invitation with the chosen date."""
    from tests.workshops_support import event_of, wait_for_batch

    ws = undated_workshop(app)
    _january, july = add_slots(app, ws["id"])
    for token in [invitation_token(app, ws["id"], cid) for cid in ws["contact_ids"][:2]]:
        url = f"/einladung/{token}/umfrage"
        data = {"csrf_token": _csrf(client.get(url).get_data(as_text=True)), f"slot-{july}": "ja"}
        assert client.post(url, data=data).status_code == 302
    editor = login("editor")
    fixed = editor.post(
        f"/workshops/{ws['id']}/umfrage/{july}/festlegen", data={"csrf_token": editor.csrf}
    )
    offer_url = f"/workshops/{ws['id']}/umfrage/einladen"
    assert fixed.status_code == 302 and fixed.location.endswith(offer_url)
    offer = editor.get(offer_url).get_data(as_text=True)
    assert "16. Juli 2030" in offer and "alle 3 Eingeladenen" in offer
    assert "die 2, die abgestimmt haben" in offer and "„geplant“" in offer
    sent = editor.post(offer_url, data={"csrf_token": editor.csrf})
    assert sent.status_code == 302 and "/versand/" in sent.location
    wait_for_batch(editor, sent.location + ".json")
    with app.app_context():
        assert db.session.get(Workshop, ws["id"]).status == "geplant"
    messages = [
        message_from_bytes(p.read_bytes(), policy=default)
        for p in Path(app.config["OUTBOX_DIR"]).glob("*.eml")
    ]
    assert len(messages) == 3
    for message in messages:
        _cal, event = event_of(message)
        assert event["DTSTART"].dt.astimezone(UTC) == datetime(2030, 7, 16, 8, 0, tzinfo=UTC)
    # the viewer may not, and nothing is offered while no date is fixed
    assert login("viewer").get(offer_url).status_code == 403
