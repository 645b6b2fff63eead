"""Answers: the RSVP link without login, the waitlist, and iTIP REPLY files from calendars."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage

import pytest
import sqlalchemy as sa
from icalendar import Calendar, Event, vCalAddress

from netzwerk.audit.models import AuditEntry
from netzwerk.extensions import db
from netzwerk.workshops import invitations, services
from netzwerk.workshops.models import Invitation, Response, Workshop
from tests.workshops_support import (
    event_of,
    invitation_token,
    plan,
    received,
    send,
    wait_until,
)

ANNA = {"name": "Anna Becker", "email": "anna@example.org"}
BEN = {"name": "Ben Schmitz", "email": "ben@example.org"}
CLARA = {"name": "Clara Wolff", "email": "clara@example.org"}
THANDI = {
    "name": "Thandiwe Mokoena",
    "email": "t.mokoena@example.org",
    "language": "en",
    "timezone": "Africa/Johannesburg",
}


def invitation(app, workshop_id: int, email: str) -> Invitation:
    return next(
        i for i in db.session.get(Workshop, workshop_id).invitations if i.contact.email == email
    )


def test_the_rsvp_link_works_without_login_and_records_the_answer(app, client):
    ws = plan(app, [dict(THANDI)])
    token = invitation_token(app, ws["id"], ws["contact_ids"][0])
    page = client.get(f"/einladung/{token}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Fokusgruppe SDG 12 – Faire Beschaffung" in html
    assert "10:00–12:00 (CET, Europe/Berlin)" in html
    assert "11:00–13:00 (SAST, Africa/Johannesburg)" in html  # the invitee's own time
    assert 'href="/einladung/' + token + '/termin.ics"' in html

    # no answer chosen: a clear message, nothing stored
    csrf = _csrf(html)
    missing = client.post(f"/einladung/{token}", data={"csrf_token": csrf, "comment": "?"})
    # Thandi reads English (her contact language): the page and its messages are English
    assert "Please choose an answer." in missing.get_data(as_text=True)

    answered = client.post(
        f"/einladung/{token}",
        data={"csrf_token": csrf, "response": "accepted", "comment": "Ich bringe Zahlen mit."},
    )
    assert answered.status_code == 302
    after = client.get(answered.location).get_data(as_text=True)
    assert "Thank you, your answer has been saved." in after
    assert "Your answer: accepted" in after
    with app.app_context():
        inv = invitation(app, ws["id"], THANDI["email"])
        assert inv.response == Response.ACCEPTED
        assert inv.comment == "Ich bringe Zahlen mit."
        assert inv.responded_at is not None
        entry = db.session.scalar(
            sa.select(AuditEntry).where(
                AuditEntry.entity == "invitation", AuditEntry.action == "rsvp"
            )
        )
        assert entry.changes["response"] == ["needs-action", "accepted"]
        assert entry.username == "system"

    ics = client.get(f"/einladung/{token}/termin.ics")
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    assert b"METHOD" not in ics.data and ws["uid"].encode() in ics.data


def _csrf(html: str) -> str:
    import re

    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def test_unknown_tokens_and_withdrawn_invitations(app, client):
    assert client.get("/einladung/nicht-geraten").status_code == 404
    ws = plan(app, [dict(ANNA)])
    token = invitation_token(app, ws["id"], ws["contact_ids"][0])
    with app.app_context():
        invitations.remove_invitation(invitation(app, ws["id"], ANNA["email"]))
    # never sent: the invitation is gone, and so is the link
    assert client.get(f"/einladung/{token}").status_code == 404


def test_a_full_workshop_puts_acceptors_on_the_waitlist_and_a_decline_promotes_them(
    app, smtp_server, client
):
    app.config["SMTP_URL"] = smtp_server.url
    ws = plan(app, [dict(ANNA), dict(BEN), dict(CLARA)], capacity=1)
    send(app, ws["id"])
    smtp_server.messages.clear()
    tokens = {c: invitation_token(app, ws["id"], cid) for c, cid in zip("abc", ws["contact_ids"])}
    csrf = _csrf(client.get(f"/einladung/{tokens['a']}").get_data(as_text=True))

    def answer(who: str, response: str):
        result = client.post(
            f"/einladung/{tokens[who]}", data={"csrf_token": csrf, "response": response}
        )
        assert result.status_code == 302
        return client.get(f"/einladung/{tokens[who]}").get_data(as_text=True)

    answer("a", "accepted")
    ben_page = answer("b", "accepted")
    assert "Warteliste (Platz 1)" in ben_page
    clara_page = answer("c", "accepted")
    assert "Warteliste (Platz 2)" in clara_page
    with app.app_context():
        assert invitations.summary(services.get_workshop(ws["id"]))["waitlisted"] == 2

    answer("a", "declined")  # Anna's seat goes to Ben, who is told so
    wait_until(lambda: len(smtp_server.messages) == 1, "the promotion mail")
    (msg,) = received(smtp_server)
    assert msg["To"].addresses[0].addr_spec == BEN["email"]
    assert msg["Subject"].startswith("Platz frei – Teilnahme bestätigt:")
    cal, event = event_of(msg)
    assert str(cal["METHOD"]) == "REQUEST" and str(event["UID"]) == ws["uid"]
    assert event["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"
    with app.app_context():
        ben = invitation(app, ws["id"], BEN["email"])
        clara = invitation(app, ws["id"], CLARA["email"])
        assert ben.holds_seat and not ben.waitlisted
        assert clara.waitlisted and invitations.waitlist_position(clara) == 1
    assert "Warteliste (Platz 1)" in client.get(f"/einladung/{tokens['c']}").get_data(as_text=True)


def reply_ics(uid: str, email: str, partstat: str, sequence: int = 0, comment: str = "") -> bytes:
    """What Outlook or Thunderbird send back to the ORGANIZER (RFC 5546 REPLY)."""
    cal = Calendar()
    cal.add("prodid", "-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN")
    cal.add("version", "2.0")
    cal.add("method", "REPLY")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", datetime(2029, 12, 20, 8, 0))
    event.add("dtstart", datetime(2030, 1, 15, 9, 0))
    event.add("sequence", sequence)
    attendee = vCalAddress(f"MAILTO:{email.upper()}")
    attendee.params["partstat"] = partstat
    attendee.params["cn"] = "Someone"
    event.add("attendee", attendee)
    event.add("organizer", vCalAddress("mailto:m.albers@example.org"))
    if comment:
        event.add("comment", comment)
    cal.add_component(event)
    return cal.to_ical()


def test_rsvp_import_applies_a_calendar_reply(app, runner, tmp_path):
    ws = plan(app, [dict(ANNA), dict(BEN)])
    send(app, ws["id"])
    path = tmp_path / "antwort.ics"
    path.write_bytes(reply_ics(ws["uid"], ANNA["email"], "DECLINED", comment="Urlaub"))
    result = runner.invoke(args=["rsvp", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "✓ Anna Becker: abgesagt – Fokusgruppe SDG 12" in result.output
    with app.app_context():
        inv = invitation(app, ws["id"], ANNA["email"])
        assert inv.response == Response.DECLINED and inv.comment == "Urlaub"
        entry = db.session.scalar(
            sa.select(AuditEntry).where(AuditEntry.action == "rsvp").order_by(AuditEntry.id.desc())
        )
        assert entry.changes["via"] == [None, "itip-reply"]


def test_a_saved_reply_mail_can_be_uploaded_on_the_page(app, login):
    ws = plan(app, [dict(ANNA), dict(BEN)])
    send(app, ws["id"])
    mail = EmailMessage()
    mail["From"] = BEN["email"]
    mail["To"] = "m.albers@example.org"
    mail["Subject"] = "Angenommen: Fokusgruppe SDG 12"
    mail.set_content("Ben Schmitz hat angenommen.")
    mail.add_alternative(
        reply_ics(ws["uid"], BEN["email"], "ACCEPTED").decode(),
        subtype="calendar",
        params={"method": "REPLY"},
    )
    editor = login("editor")
    import io

    response = editor.post(
        f"/workshops/{ws['id']}/antworten",
        data={"csrf_token": editor.csrf, "file": (io.BytesIO(mail.as_bytes()), "antwort.eml")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "Ben Schmitz: zugesagt – Fokusgruppe SDG 12" in page
    with app.app_context():
        assert invitation(app, ws["id"], BEN["email"]).response == Response.ACCEPTED


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"Hallo, das ist keine Kalenderdatei.", "enthält keinen Kalendereintrag"),
        (
            b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:x\r\n"
            b"END:VEVENT\r\nEND:VCALENDAR\r\n",
            "keine Antwort (METHOD:REPLY), sondern METHOD:REQUEST",
        ),
    ],
)
def test_files_that_are_no_reply_are_refused_with_a_reason(app, runner, tmp_path, content, message):
    path = tmp_path / "datei.ics"
    path.write_bytes(content)
    result = runner.invoke(args=["rsvp", "import", str(path)])
    assert result.exit_code != 0
    assert message in result.output


def test_replies_for_unknown_workshops_or_people_are_reported(app, runner, tmp_path):
    ws = plan(app, [dict(ANNA)])
    path = tmp_path / "a.ics"
    path.write_bytes(reply_ics("gibt-es-nicht@x", ANNA["email"], "ACCEPTED"))
    result = runner.invoke(args=["rsvp", "import", str(path)])
    assert result.exit_code == 1 and "Kein Workshop mit der UID gibt-es-nicht@x." in result.output
    path.write_bytes(reply_ics(ws["uid"], "fremd@example.org", "ACCEPTED"))
    result = runner.invoke(args=["rsvp", "import", str(path)])
    assert result.exit_code == 1 and "fremd@example.org ist zu" in result.output.lower()


def test_answers_after_the_workshop_or_a_cancellation_are_refused(app, client):
    ws = plan(app, [dict(ANNA)])
    token = invitation_token(app, ws["id"], ws["contact_ids"][0])
    with app.app_context():
        invitations.cancel_workshop(services.get_workshop(ws["id"]))
    page = client.get(f"/einladung/{token}").get_data(as_text=True)
    assert "Der Workshop wurde abgesagt." in page
    assert 'name="response"' not in page

    past = plan(
        app, [dict(BEN)], starts_at=datetime(2020, 3, 1, 10), ends_at=datetime(2020, 3, 1, 12)
    )
    token = invitation_token(app, past["id"], past["contact_ids"][0])
    page = client.get(f"/einladung/{token}").get_data(as_text=True)
    assert "hat schon stattgefunden" in page
