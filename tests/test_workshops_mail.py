"""Invitations by e-mail (iMIP): what a real SMTP server on loopback receives, parsed with the
standard library, icalendar and vobject; updates, cancellations, failures and retries."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
import sqlalchemy as sa
import vobject
from aiosmtpd.controller import Controller

from netzwerk.core.errors import Invalid
from netzwerk.core.timeutil import utcnow
from netzwerk.extensions import db
from netzwerk.mail import queue, transport
from netzwerk.mail.models import MailMessage, MailStatus
from netzwerk.workshops import invitations, services
from netzwerk.workshops.models import Workshop
from netzwerk.workshops.tokens import rsvp_token
from tests.workshops_support import (
    body_text,
    calendar_part,
    event_of,
    plan,
    received,
    send,
    wait_for_batch,
)

GERMAN = {"name": "Andrea Kessler", "email": "a.kessler@example.org", "language": "de"}
CAPE_TOWN = {
    "name": "Thandiwe Mokoena",
    "email": "t.mokoena@example.org",
    "language": "en",
    "timezone": "Africa/Johannesburg",
    "actor": {"category": "partnerstadt", "country": "ZA"},
}
KYIV = {
    "name": "Olena Kovalenko",
    "email": "o.kovalenko@example.org",
    "language": "uk",
    "timezone": "Europe/Kyiv",
    "actor": {"category": "partnerstadt", "country": "UA"},
}


@pytest.fixture
def smtp_app(app, smtp_server):
    app.config["SMTP_URL"] = smtp_server.url
    app.config["MAIL_FROM"] = "KEpol Aachen <kepol@aachen.example>"
    return app


def by_recipient(messages):
    return {m["To"].addresses[0].addr_spec: m for m in messages}


def test_each_invitee_gets_a_meeting_request_that_calendars_accept(smtp_app, smtp_server):
    ws = plan(smtp_app, [dict(GERMAN), dict(CAPE_TOWN)])
    report = send(smtp_app, ws["id"])
    assert (report.sent, report.failed, report.connections) == (2, 0, 1)

    # one envelope per invitee, addressed to that invitee only
    assert sorted(e.rcpt_tos[0] for e in smtp_server.messages) == [
        "a.kessler@example.org",
        "t.mokoena@example.org",
    ]
    assert all(len(e.rcpt_tos) == 1 for e in smtp_server.messages)
    assert all(e.mail_from == "kepol@aachen.example" for e in smtp_server.messages)
    messages = by_recipient(received(smtp_server))
    de, en = messages["a.kessler@example.org"], messages["t.mokoena@example.org"]
    for address, msg in messages.items():
        assert [a.addr_spec for a in msg["To"].addresses] == [address]
        assert msg["Cc"] is None and msg["Bcc"] is None
        assert str(msg["From"]) == "KEpol Aachen <kepol@aachen.example>"
        assert msg["Reply-To"].addresses[0].addr_spec == "m.albers@example.org"
        assert re.fullmatch(r"<request-0-i\d+\.[^@]+@[^>]+>", msg["Message-ID"])
    assert de["Subject"] == "Einladung: Fokusgruppe SDG 12 – Faire Beschaffung – 15.01.2030"
    assert en["Subject"] == "Invitation: Fokusgruppe SDG 12 – Faire Beschaffung – Jan 15, 2030"

    with smtp_app.app_context():
        tokens = {
            inv.contact.email: rsvp_token(inv)
            for inv in db.session.get(Workshop, ws["id"]).invitations
        }
    for address, msg in messages.items():
        # multipart/mixed → multipart/alternative (plain, html, calendar) + invite.ics
        assert msg.get_content_type() == "multipart/mixed"
        alternative, attachment = msg.get_payload()
        assert alternative.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in alternative.get_payload()] == [
            "text/plain",
            "text/html",
            "text/calendar",
        ]
        cal_part = alternative.get_payload()[2]
        assert cal_part.get_param("method") == "REQUEST"
        assert cal_part.get_content_charset() == "utf-8"
        assert attachment.get_filename() == "invite.ics"
        assert attachment.get_content_disposition() == "attachment"
        assert attachment.get_content().replace(b"\r\n", b"\n") == cal_part.get_content().encode(
            "utf-8"
        ).replace(b"\r\n", b"\n")

        cal, event = event_of(msg)
        rsvp = f"http://127.0.0.1/einladung/{tokens[address]}"
        assert str(cal["METHOD"]) == "REQUEST"
        assert str(event["UID"]) == ws["uid"]
        assert event.decoded("DTSTAMP").tzinfo is not None
        assert event.decoded("DTSTART") == datetime(2030, 1, 15, 9, 0, tzinfo=UTC)
        assert event.decoded("DTEND") == datetime(2030, 1, 15, 11, 0, tzinfo=UTC)
        assert str(event["SUMMARY"]) == "Fokusgruppe SDG 12 – Faire Beschaffung"
        assert "1. Bestandsaufnahme" in str(event["DESCRIPTION"])
        assert rsvp in str(event["DESCRIPTION"])
        assert "https://meet.example.org/sdg12" in str(event["DESCRIPTION"])
        assert "Katschhof" in str(event["LOCATION"])
        assert str(event["URL"]) == rsvp
        assert str(event["ORGANIZER"]) == "mailto:m.albers@example.org"
        assert event["ORGANIZER"].params["CN"] == "Miriam Albers"
        attendees = event["ATTENDEE"]
        assert not isinstance(attendees, list), "exactly one ATTENDEE: the recipient"
        assert str(attendees) == f"mailto:{address}"
        assert attendees.params["ROLE"] == "REQ-PARTICIPANT"
        assert attendees.params["PARTSTAT"] == "NEEDS-ACTION"
        assert attendees.params["RSVP"] == "TRUE"
        assert attendees.params["CN"] in ("Andrea Kessler", "Thandiwe Mokoena")
        assert int(event["SEQUENCE"]) == 0
        assert str(event["STATUS"]) == "CONFIRMED"

        # a second, independent parser agrees
        vcal = vobject.readOne(calendar_part(msg).get_content())
        assert vcal.method.value == "REQUEST"
        assert vcal.vevent.uid.value == ws["uid"]
        assert vcal.vevent.dtstart.value == datetime(2030, 1, 15, 9, 0, tzinfo=UTC)
        assert vcal.vevent.sequence.value == "0"
        assert vcal.vevent.organizer.value == "mailto:m.albers@example.org"
        assert len(vcal.vevent.attendee_list) == 1
        assert vcal.vevent.attendee.value == f"mailto:{address}"
        assert vcal.vevent.attendee.params["RSVP"] == ["TRUE"]

        html = msg.get_body(preferencelist=("html",)).get_content()
        assert rsvp in html and rsvp in body_text(msg)

    german = body_text(de)
    assert "wir laden Sie herzlich ein" in german
    assert "Dienstag, 15. Januar 2030, 10:00–12:00 (CET, Europe/Berlin)" in german
    assert "Bei Ihnen" not in german  # same zone as the workshop
    assert "Verwaltungsgebäude Katschhof, Raum 1.12" in german
    assert "https://meet.example.org/sdg12" in german
    assert "1. Bestandsaufnahme\n2. Ziele" in german
    english = body_text(en)
    assert "we cordially invite you" in english
    assert "When: Tuesday, January 15, 2030, 10:00–12:00 (CET, Europe/Berlin)" in english
    assert "Your time (Africa/Johannesburg): Tuesday, January 15, 2030, 11:00–13:00 (SAST" in (
        english
    )


@pytest.mark.parametrize(
    ("month", "contact", "expected"),
    [
        (1, CAPE_TOWN, "11:00–13:00 (SAST, Africa/Johannesburg)"),
        (7, CAPE_TOWN, "10:00–12:00 (SAST, Africa/Johannesburg)"),
        (1, KYIV, "11:00–13:00 (EET, Europe/Kyiv)"),
        (7, KYIV, "11:00–13:00 (EEST, Europe/Kyiv)"),
    ],
)
def test_the_mail_shows_the_time_in_the_invitees_zone(app, month, contact, expected):
    """10:00 Europe/Berlin: Cape Town reads 11:00 in January, 10:00 in July (no summer time
    there); Chernihiv/Kyiv reads 11:00 in both."""
    start = datetime(2030, month, 15, 10, 0)
    ws = plan(app, [dict(contact)], starts_at=start, ends_at=start.replace(hour=12))
    send(app, ws["id"])
    outbox = Path(app.config["OUTBOX_DIR"])
    (eml,) = outbox.glob("*.eml")
    text = body_text(message_from_bytes(eml.read_bytes(), policy=default))
    assert f"Your time ({contact['timezone']}):" in text
    assert expected in text
    assert "10:00–12:00 (CE" in text  # and the workshop's own time beside it


def test_without_smtp_server_every_message_lands_in_the_outbox(app):
    ws = plan(app, [dict(GERMAN), dict(CAPE_TOWN)])
    report = send(app, ws["id"])
    assert report.sent == 2 and report.connections == 0
    files = sorted(Path(app.config["OUTBOX_DIR"]).glob("*.eml"))
    assert len(files) == 2
    msg = message_from_bytes(files[0].read_bytes(), policy=default)
    cal, event = event_of(msg)
    assert str(cal["METHOD"]) == "REQUEST" and str(event["UID"]) == ws["uid"]


def test_moving_the_time_raises_sequence_and_updates_everyone_not_declined(
    smtp_app, smtp_server, api_token
):
    third = {"name": "Felix Jansen", "email": "f.jansen@example.org"}
    ws = plan(smtp_app, [dict(GERMAN), dict(CAPE_TOWN), third])
    send(smtp_app, ws["id"])
    with smtp_app.app_context():
        workshop = db.session.get(Workshop, ws["id"])
        declined = next(
            i for i in workshop.invitations if i.contact.email == "f.jansen@example.org"
        )
        invitations.respond(declined, "declined", "Leider verhindert")
        late = plan_contact(smtp_app, workshop, "Nachzügler", "late@example.org")
    smtp_server.messages.clear()

    response = smtp_app.test_client().patch(
        f"/api/workshops/{ws['id']}",
        json={"starts_at": "2030-01-22T14:00", "ends_at": "2030-01-22T16:00"},
        headers=api_token("editor"),
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["sequence"] == 1
    assert body["starts_at"] == "2030-01-22T14:00:00+01:00"
    assert body["delivery"]["sent"] == 2

    messages = by_recipient(received(smtp_server))
    assert set(messages) == {"a.kessler@example.org", "t.mokoena@example.org"}
    assert late not in messages  # never invited yet: "send" will invite with the new time
    for msg in messages.values():
        cal, event = event_of(msg)
        assert str(cal["METHOD"]) == "REQUEST"
        assert str(event["UID"]) == ws["uid"]
        assert int(event["SEQUENCE"]) == 1
        assert event.decoded("DTSTART") == datetime(2030, 1, 22, 13, 0, tzinfo=UTC)
        assert vobject.readOne(calendar_part(msg).get_content()).vevent.sequence.value == "1"
    assert messages["a.kessler@example.org"]["Subject"].startswith("Aktualisierte Einladung:")
    assert "hat sich geändert" in body_text(messages["a.kessler@example.org"])
    assert messages["t.mokoena@example.org"]["Subject"].startswith("Updated invitation:")

    # "send" now invites the newcomer with the current version and nobody twice
    smtp_server.messages.clear()
    report = send(smtp_app, ws["id"])
    assert report.sent == 1
    (msg,) = received(smtp_server)
    assert msg["To"].addresses[0].addr_spec == late
    assert int(event_of(msg)[1]["SEQUENCE"]) == 1


def plan_contact(app, workshop, name, email) -> str:
    from tests import factories

    actor = factories.actor()
    contact = factories.contact(actor, name=name, email=email)
    invitations.add_invitations(workshop, [contact.id])
    return email


def test_cancelling_sends_method_cancel_with_the_same_uid(smtp_app, smtp_server, api_token):
    ws = plan(smtp_app, [dict(GERMAN), dict(CAPE_TOWN)])
    send(smtp_app, ws["id"])
    smtp_server.messages.clear()
    response = smtp_app.test_client().post(
        f"/api/workshops/{ws['id']}/cancel", headers=api_token("editor")
    )
    assert response.status_code == 200
    assert response.get_json()["status"] == "abgesagt"
    assert response.get_json()["delivery"]["sent"] == 2
    messages = received(smtp_server)
    assert len(messages) == 2
    for msg in messages:
        assert msg["Subject"].startswith(("Abgesagt:", "Cancelled:"))
        part = calendar_part(msg)
        assert part.get_param("method") == "CANCEL"
        cal, event = event_of(msg)
        assert str(cal["METHOD"]) == "CANCEL"
        assert str(event["UID"]) == ws["uid"]
        assert str(event["STATUS"]) == "CANCELLED"
        assert int(event["SEQUENCE"]) == 1
        vcal = vobject.readOne(part.get_content())
        assert vcal.method.value == "CANCEL" and vcal.vevent.status.value == "CANCELLED"
    # sending again is refused with a reason
    again = smtp_app.test_client().post(
        f"/api/workshops/{ws['id']}/send", headers=api_token("editor")
    )
    assert again.status_code == 422
    assert "abgesagt" in again.get_json()["error"]


def test_removing_one_invitee_sends_a_cancel_to_that_invitee_only(smtp_app, smtp_server, login):
    ws = plan(smtp_app, [dict(GERMAN), dict(CAPE_TOWN)])
    send(smtp_app, ws["id"])
    smtp_server.messages.clear()
    with smtp_app.app_context():
        inv = next(
            i
            for i in db.session.get(Workshop, ws["id"]).invitations
            if i.contact.email == "t.mokoena@example.org"
        )
        inv_id = inv.id
    editor = login("editor")
    url = f"/workshops/{ws['id']}/einladungen/{inv_id}/entfernen"
    assert "METHOD:CANCEL" in editor.get(url).get_data(as_text=True)
    response = editor.post(url, data={"csrf_token": editor.csrf})
    assert response.status_code == 302 and "/versand/" in response.location
    status = wait_for_batch(editor, response.location + ".json")
    assert status["sent"] == 1
    (msg,) = received(smtp_server)
    assert msg["To"].addresses[0].addr_spec == "t.mokoena@example.org"
    cal, event = event_of(msg)
    assert str(cal["METHOD"]) == "CANCEL"
    assert str(event["UID"]) == ws["uid"]
    assert int(event["SEQUENCE"]) == 1
    assert "your invitation was withdrawn" in body_text(msg)
    page = editor.get(f"/workshops/{ws['id']}/einladungen").get_data(as_text=True)
    assert "zurückgezogen" in page


def test_cr_lf_in_names_and_titles_cannot_inject_headers(smtp_app, smtp_server, api_token):
    evil = {"name": "Eve\r\nBcc: spy@evil.example", "email": "eve@example.org"}
    ws = plan(smtp_app, [evil])
    with smtp_app.app_context():
        # stored data with line breaks (e.g. from an old import) reaches the mail layer
        workshop = db.session.get(Workshop, ws["id"])
        workshop.title = "Plan\r\nBcc: spy@evil.example\nX-Evil: 1"
        db.session.commit()
    report = send(smtp_app, ws["id"])
    assert report.sent == 1
    (envelope,) = smtp_server.messages
    assert envelope.rcpt_tos == ["eve@example.org"]
    header_block = envelope.content.decode().split("\r\n\r\n", 1)[0]
    names = [line.split(":", 1)[0] for line in header_block.splitlines() if line[:1].isalpha()]
    assert "Bcc" not in names and "X-Evil" not in names
    msg = received(smtp_server)[0]
    assert msg["Bcc"] is None and msg["X-Evil"] is None
    assert msg["Subject"].startswith("Einladung: Plan Bcc: spy@evil.example X-Evil: 1")
    assert "\n" not in str(msg["Subject"])
    assert [a.addr_spec for a in msg["To"].addresses] == ["eve@example.org"]
    assert msg["To"].addresses[0].display_name == "Eve Bcc: spy@evil.example"
    attendee = event_of(msg)[1]["ATTENDEE"]
    assert "\n" not in attendee.params["CN"] and "\r" not in attendee.params["CN"]

    # the services keep titles on one line in the first place
    created = smtp_app.test_client().post(
        "/api/workshops",
        json={"title": "Titel\r\nBcc: x@evil.example", "timezone": "Europe/Berlin"},
        headers=api_token("editor"),
    )
    assert created.status_code == 201
    assert created.get_json()["title"] == "Titel Bcc: x@evil.example"


def test_contacts_who_revoked_consent_are_never_mailed_and_the_page_says_why(
    smtp_app, smtp_server, login
):
    ws = plan(smtp_app, [dict(GERMAN), dict(CAPE_TOWN)])
    with smtp_app.app_context():
        workshop = db.session.get(Workshop, ws["id"])
        revoked = next(i.contact for i in workshop.invitations if i.contact.language == "de")
        revoked.consent_revoked_at = datetime(2029, 12, 1, 9, 0)
        db.session.commit()
        revoked_id = revoked.id
        # and a contact without consent cannot be added at all
        with pytest.raises(Invalid, match="Einwilligung am 01.12.2029 widerrufen"):
            invitations.add_invitations(workshop, [revoked_id])
    report = send(smtp_app, ws["id"])
    assert report.sent == 1
    assert [e.rcpt_tos for e in smtp_server.messages] == [["t.mokoena@example.org"]]
    page = login("editor").get(f"/workshops/{ws['id']}/einladungen").get_data(as_text=True)
    assert "Wird nicht verschickt" in page
    assert "Einwilligung am 01.12.2029 widerrufen." in page


def test_consent_revoked_between_queueing_and_delivery_blocks_the_message(smtp_app, smtp_server):
    ws = plan(smtp_app, [dict(GERMAN)])
    with smtp_app.app_context():
        batch, counts = invitations.send_invitations(services.get_workshop(ws["id"]))
        assert counts["queued"] == 1
        invitation = services.get_workshop(ws["id"]).invitations[0]
        invitation.contact.consent_invitations = False
        db.session.commit()
        report = queue.deliver(batch=batch)
        assert (report.sent, report.blocked) == (0, 1)
        message = db.session.scalar(sa.select(MailMessage))
        assert message.status == MailStatus.BLOCKED
        assert message.last_error == "Keine Einwilligung in Einladungen per E-Mail."
    assert smtp_server.messages == []


def test_a_451_for_one_recipient_is_recorded_and_retry_sends_only_that_one(
    smtp_app, smtp_server, runner, login
):
    third = {"name": "Felix Jansen", "email": "f.jansen@example.org"}
    ws = plan(smtp_app, [dict(GERMAN), dict(CAPE_TOWN), third])
    smtp_server.handler.fail_rcpt = {"t.mokoena@example.org"}
    report = send(smtp_app, ws["id"])
    assert (report.sent, report.failed, report.connections) == (2, 1, 1)
    assert "451" in report.errors[0]
    page = login("editor").get(f"/workshops/{ws['id']}/einladungen").get_data(as_text=True)
    assert "fehlgeschlagen" in page and "451" in page

    smtp_server.handler.fail_rcpt = set()
    result = runner.invoke(args=["mail", "retry"])
    assert result.exit_code == 0, result.output
    assert "1 gesendet, 0 fehlgeschlagen" in result.output
    recipients = [e.rcpt_tos[0] for e in smtp_server.messages]
    assert sorted(recipients) == sorted(
        ["a.kessler@example.org", "f.jansen@example.org", "t.mokoena@example.org"]
    )
    assert runner.invoke(args=["mail", "retry"]).output.strip() == "Keine offenen Nachrichten."
    assert len(smtp_server.messages) == 3


def test_a_dropped_connection_loses_nothing_and_retry_never_sends_twice(
    smtp_app, smtp_server, runner
):
    people = [{"name": f"Person {n}", "email": f"p{n}@example.org"} for n in range(6)]
    ws = plan(smtp_app, people)
    handler = smtp_server.handler

    async def drop_after_two(server, session, envelope, address, mail_options):
        if len(handler.messages) >= 2:
            server.transport.close()  # the server goes away mid-batch
            return "421 4.3.2 closing"
        envelope.mail_from = address
        return "250 OK"

    handler.handle_MAIL = drop_after_two
    report = send(smtp_app, ws["id"])
    assert report.sent == 2
    assert report.failed == 4
    assert "Verbindung" in report.errors[0]
    with smtp_app.app_context():
        statuses = sorted(m.status.value for m in db.session.scalars(sa.select(MailMessage)))
        assert statuses == ["failed"] * 4 + ["sent"] * 2
        stored_ids = set(db.session.scalars(sa.select(MailMessage.message_id)))

    del handler.handle_MAIL
    result = runner.invoke(args=["mail", "retry"])
    assert result.exit_code == 0, result.output
    assert "4 gesendet" in result.output and "1 Verbindung" in result.output
    ids = [m["Message-ID"] for m in received(smtp_server)]
    assert len(ids) == 6 and len(set(ids)) == 6  # each message exactly once
    assert set(ids) == stored_ids  # stable Message-IDs across the retry
    assert sorted(e.rcpt_tos[0] for e in smtp_server.messages) == sorted(p["email"] for p in people)
    assert runner.invoke(args=["mail", "retry"]).output.strip() == "Keine offenen Nachrichten."


def test_a_batch_uses_one_connection(smtp_app, smtp_server):
    sessions = []
    original = smtp_server.handler.handle_DATA

    async def counting(server, session, envelope):
        if session not in sessions:
            sessions.append(session)
        return await original(server, session, envelope)

    smtp_server.handler.handle_DATA = counting
    ws = plan(smtp_app, [{"name": f"P{n}", "email": f"q{n}@example.org"} for n in range(8)])
    report = send(smtp_app, ws["id"])
    assert report.sent == 8 and report.connections == 1
    assert len(sessions) == 1


def test_sending_from_the_page_shows_progress_and_finishes(smtp_app, smtp_server, login):
    ws = plan(smtp_app, [dict(GERMAN), dict(CAPE_TOWN)])
    editor = login("editor")
    response = editor.post(f"/workshops/{ws['id']}/senden", data={"csrf_token": editor.csrf})
    assert response.status_code == 302 and "/versand/" in response.location
    page = editor.get(response.location).get_data(as_text=True)
    assert "delivery-progress" in page and "<script" in page and "workshops.js" in page
    status = wait_for_batch(editor, response.location + ".json")
    assert status["total"] == 2 and status["sent"] == 2 and status["failed"] == 0
    done = editor.get(response.location).get_data(as_text=True)
    assert "Versand abgeschlossen." in done
    assert "data-delivery-status" not in done  # nothing left to poll
    assert len(smtp_server.messages) == 2
    # a second click sends nothing twice
    again = editor.post(f"/workshops/{ws['id']}/senden", data={"csrf_token": editor.csrf})
    assert again.status_code == 302 and again.location.endswith("/einladungen")
    assert len(smtp_server.messages) == 2


def test_viewers_cannot_send(app, login):
    ws = plan(app, [dict(GERMAN)])
    viewer = login("viewer")
    response = viewer.post(f"/workshops/{ws['id']}/senden", data={"csrf_token": viewer.csrf})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(MailMessage.id))) == 0


def test_past_workshops_are_not_sent(app):
    ws = plan(
        app, [dict(GERMAN)], starts_at=datetime(2020, 1, 1, 10), ends_at=datetime(2020, 1, 1, 12)
    )
    with app.app_context(), pytest.raises(Invalid, match="Vergangenheit"):
        invitations.send_invitations(services.get_workshop(ws["id"]))


def test_smtp_urls_are_understood():
    plain = transport.parse_smtp_url("smtp://127.0.0.1:2525")
    assert (plain.host, plain.port, plain.starttls, plain.username) == (
        "127.0.0.1",
        2525,
        False,
        "",
    )
    tls = transport.parse_smtp_url("smtp+starttls://kepol%40aachen.de:p%3Ass@mail.example:587")
    assert (tls.host, tls.port, tls.starttls) == ("mail.example", 587, True)
    assert (tls.username, tls.password) == ("kepol@aachen.de", "p:ss")
    assert transport.parse_smtp_url("smtps://u:p@mail.example").port == 465
    with pytest.raises(Invalid, match="NETZWERK_SMTP_URL"):
        transport.parse_smtp_url("http://mail.example")


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_login_uses_the_credentials_from_the_url(smtp_app):
    import socket

    from aiosmtpd.smtp import AuthResult

    logins, delivered = [], []

    class Collect:
        async def handle_DATA(self, server, session, envelope):
            delivered.append(envelope.rcpt_tos)
            return "250 OK"

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.login == b"kepol@aachen.de")

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(
        Collect(),
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator,
        auth_require_tls=False,
        auth_required=True,
    )
    controller.start()
    try:
        ws = plan(smtp_app, [dict(GERMAN)])
        smtp_app.config["SMTP_URL"] = f"smtp://kepol%40aachen.de:ge%3Aheim@127.0.0.1:{port}"
        assert send(smtp_app, ws["id"]).sent == 1
    finally:
        controller.stop()
    assert logins == [(b"kepol@aachen.de", b"ge:heim")]
    assert delivered == [["a.kessler@example.org"]]


def test_queue_keeps_utc_times(app):
    ws = plan(app, [dict(GERMAN)])
    with app.app_context():
        workshop = services.get_workshop(ws["id"])
        assert workshop.starts_at == datetime(2030, 1, 15, 9, 0)  # naive UTC in the database
        assert workshop.starts_at > utcnow()


def test_a_message_left_sending_by_a_crash_is_reported_not_resent(smtp_app, smtp_server, runner):
    ws = plan(smtp_app, [dict(GERMAN)])
    with smtp_app.app_context():
        invitations.send_invitations(services.get_workshop(ws["id"]))
        message = db.session.scalar(sa.select(MailMessage))
        message.status = MailStatus.SENDING  # the worker died between SMTP and commit
        message.attempted_at = utcnow() - timedelta(hours=1)
        db.session.commit()
    result = runner.invoke(args=["mail", "retry"])
    assert "1 Nachricht(en) wurden bei einem Abbruch gerade gesendet" in result.output
    assert "Keine offenen Nachrichten." in result.output
    assert smtp_server.messages == []
