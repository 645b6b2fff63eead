"""Calendar edge cases seen with real clients: a decline to an older version and the later
CANCEL, a REPLY to a version netzwerk never sent, a REPLY with a byte order mark, sending on
behalf of an organizer (Sender, SENT-BY), an ORGANIZER nobody can answer to, and conditional
requests on the subscribed feeds. Mail goes through a real SMTP server on loopback."""

from __future__ import annotations

import logging
import re
from datetime import datetime
from email.message import EmailMessage

import pytest
from icalendar import Calendar, Event, vCalAddress

from netzwerk import create_app
from netzwerk.extensions import db
from netzwerk.mail import queue
from netzwerk.mail.message import undeliverable_reason
from netzwerk.workshops import invitations, services
from netzwerk.workshops.models import Response, Workshop
from tests.workshops_support import event_of, plan, received, send

ANNA = {"name": "Anna Becker", "email": "anna@example.org"}
BEN = {"name": "Ben Schmitz", "email": "ben@example.org"}
BOM = b"\xef\xbb\xbf"


@pytest.fixture
def smtp_app(app, smtp_server):
    app.config["SMTP_URL"] = smtp_server.url
    app.config["MAIL_FROM"] = "KEpol Aachen <kepol@aachen.example>"
    return app


def reply_ics(uid: str, email: str, partstat: str, sequence: int = 0) -> bytes:
    """What Outlook or Thunderbird send back to the ORGANIZER (RFC 5546 REPLY)."""
    cal = Calendar()
    cal.add("prodid", "-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN")
    cal.add("version", "2.0")
    cal.add("method", "REPLY")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", datetime(2029, 12, 20, 8, 0))
    event.add("dtstart", datetime(2030, 1, 15, 9, 0))
    event.add("sequence", sequence)
    attendee = vCalAddress(f"mailto:{email}")
    attendee.params["partstat"] = partstat
    event.add("attendee", attendee)
    event.add("organizer", vCalAddress("mailto:m.albers@example.org"))
    cal.add_component(event)
    return cal.to_ical()


def response_of(app, workshop_id: int, email: str) -> Response:
    with app.app_context():
        workshop = db.session.get(Workshop, workshop_id)
        return next(i for i in workshop.invitations if i.contact.email == email).response


def import_reply(runner, tmp_path, data: bytes, name: str = "antwort.ics"):
    path = tmp_path / name
    path.write_bytes(data)
    return runner.invoke(args=["rsvp", "import", str(path)])


# --- CANCEL after a decline to an older version ---------------------------------------------------


def test_a_decline_to_an_older_version_still_gets_the_cancel(
    smtp_app, smtp_server, runner, tmp_path
):
    ws = plan(smtp_app, [dict(ANNA), dict(BEN)])
    send(smtp_app, ws["id"])  # SEQUENCE 0 to both
    with smtp_app.app_context():
        batch = services.update_workshop(
            services.get_workshop(ws["id"]), {"location": "Rathaus, Krönungssaal"}
        )
        assert batch is not None
        queue.deliver(batch=batch)  # SEQUENCE 1 to both; Ben's calendar accepts the update
    # ... but Ben's answer to the first version (SEQUENCE 0, DECLINED) arrives only now
    result = import_reply(runner, tmp_path, reply_ics(ws["uid"], BEN["email"], "DECLINED", 0))
    assert result.exit_code == 0, result.output
    assert "ältere Fassung, SEQUENCE 0 < 1" in result.output
    assert response_of(smtp_app, ws["id"], BEN["email"]) == Response.DECLINED
    smtp_server.messages.clear()

    with smtp_app.app_context():
        batch = invitations.cancel_workshop(services.get_workshop(ws["id"]))
        queue.deliver(batch=batch)
    cancels = {m["To"].addresses[0].addr_spec: m for m in received(smtp_server)}
    # everyone who ever received a REQUEST gets the CANCEL, whatever they answered
    assert set(cancels) == {ANNA["email"], BEN["email"]}
    for message in cancels.values():
        cal, event = event_of(message)
        assert str(cal["METHOD"]) == "CANCEL" and str(event["UID"]) == ws["uid"]
        assert int(event["SEQUENCE"]) == 2


def test_a_removed_invitee_gets_no_second_cancel(smtp_app, smtp_server):
    ws = plan(smtp_app, [dict(ANNA), dict(BEN)])
    send(smtp_app, ws["id"])
    with smtp_app.app_context():
        workshop = services.get_workshop(ws["id"])
        ben = next(i for i in workshop.invitations if i.contact.email == BEN["email"])
        queue.deliver(batch=invitations.remove_invitation(ben))
        smtp_server.messages.clear()
        queue.deliver(batch=invitations.cancel_workshop(services.get_workshop(ws["id"])))
    assert [m["To"].addresses[0].addr_spec for m in received(smtp_server)] == [ANNA["email"]]


# --- REPLY files --------------------------------------------------------------------------------


def test_a_reply_to_a_version_never_sent_is_refused_with_the_reason(app, runner, tmp_path):
    ws = plan(app, [dict(ANNA)])
    send(app, ws["id"])
    result = import_reply(runner, tmp_path, reply_ics(ws["uid"], ANNA["email"], "ACCEPTED", 3))
    assert result.exit_code == 1
    output = " ".join(result.output.split())
    assert "Nicht übernommen" in output
    assert (
        "SEQUENCE 3, netzwerk hat „Fokusgruppe SDG 12 – Faire Beschaffung“ aber nur bis SEQUENCE 0"
        in output
    )
    assert "Diese Fassung stammt nicht von netzwerk" in output
    assert response_of(app, ws["id"], ANNA["email"]) == Response.NEEDS_ACTION


def test_a_reply_starting_with_a_byte_order_mark_is_accepted(app, runner, tmp_path, login):
    ws = plan(app, [dict(ANNA), dict(BEN)])
    send(app, ws["id"])
    # an .ics saved by a Windows editor
    result = import_reply(runner, tmp_path, BOM + reply_ics(ws["uid"], ANNA["email"], "ACCEPTED"))
    assert result.exit_code == 0, result.output
    assert response_of(app, ws["id"], ANNA["email"]) == Response.ACCEPTED
    # a saved answer mail whose calendar part starts with one
    answer = EmailMessage()
    answer["From"] = BEN["email"]
    answer["To"] = "m.albers@example.org"
    answer["Subject"] = "Abgelehnt: Fokusgruppe"
    answer.set_content("Ben hat abgelehnt.")
    answer.add_attachment(
        BOM + reply_ics(ws["uid"], BEN["email"], "DECLINED"),
        maintype="text",
        subtype="calendar",
        params={"method": "REPLY"},
        filename="reply.ics",
    )
    result = import_reply(runner, tmp_path, answer.as_bytes(), "antwort.eml")
    assert result.exit_code == 0, result.output
    assert response_of(app, ws["id"], BEN["email"]) == Response.DECLINED


# --- sending on behalf of the organizer -----------------------------------------------------------


def _one_invitation(smtp_app, smtp_server, **workshop):
    ws = plan(smtp_app, [dict(ANNA)], **workshop)
    send(smtp_app, ws["id"])
    (envelope,) = smtp_server.messages
    (message,) = received(smtp_server)
    return envelope, message, event_of(message)[1]


def test_an_organizer_in_the_senders_domain_is_the_from_with_a_sender_header(smtp_app, smtp_server):
    envelope, message, event = _one_invitation(
        smtp_app, smtp_server, organizer_email="m.albers@aachen.example"
    )
    assert message["From"].addresses[0].addr_spec == "m.albers@aachen.example"
    assert message["From"].addresses[0].display_name == "Miriam Albers"
    assert message["Sender"].addresses[0].addr_spec == "kepol@aachen.example"
    assert envelope.mail_from == "kepol@aachen.example"
    organizer = event["ORGANIZER"]
    assert str(organizer) == "mailto:m.albers@aachen.example"
    assert organizer.params["SENT-BY"] == "mailto:kepol@aachen.example"
    assert organizer.params["CN"] == "Miriam Albers"


def test_an_organizer_in_another_domain_gets_sent_by_and_reply_to(smtp_app, smtp_server):
    """From stays the town hall's address (a foreign From would fail SPF/DMARC at the
    recipient); the organizer is Reply-To and ORGANIZER, with SENT-BY naming the sender."""
    envelope, message, event = _one_invitation(
        smtp_app, smtp_server, organizer_email="m.albers@example.org"
    )
    assert message["From"].addresses[0].addr_spec == "kepol@aachen.example"
    assert message["Sender"] is None
    assert message["Reply-To"].addresses[0].addr_spec == "m.albers@example.org"
    assert event["ORGANIZER"].params["SENT-BY"] == "mailto:kepol@aachen.example"


def test_no_sender_and_no_sent_by_when_the_organizer_sends_himself(smtp_app, smtp_server):
    _envelope, message, event = _one_invitation(
        smtp_app, smtp_server, organizer_email="kepol@aachen.example", organizer_name="KEpol"
    )
    assert message["From"].addresses[0].addr_spec == "kepol@aachen.example"
    assert message["Sender"] is None
    assert "SENT-BY" not in event["ORGANIZER"].params


# --- an ORGANIZER nobody can answer to ------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "bad"),
    [
        ("kepol@localhost", True),
        ("kepol@rathaus", True),
        ("kepol@aachen.local", True),
        ("kepol@netzwerk.test", True),
        ("kepol@", True),
        ("kepol@aachen.de", False),
        ("m.albers@example.org", False),
    ],
)
def test_undeliverable_addresses(address, bad):
    assert bool(undeliverable_reason(address)) is bad


def test_the_default_organizer_is_warned_about_at_start_up(tmp_path, caplog):
    def start(mail_from: str):
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            create_app(
                {
                    "TESTING": True,
                    "INSTANCE_PATH": str(tmp_path),
                    "SECRET_KEY": "x",
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}",
                    "MAIL_FROM": mail_from,
                }
            )
        return " ".join(r.getMessage() for r in caplog.records)

    logged = start("KEpol Aachen <kepol@localhost>")
    assert "NETZWERK_MAIL_FROM=kepol@localhost is the ORGANIZER" in logged
    assert "will bounce" in logged
    assert "ORGANIZER" not in start("KEpol Aachen <kepol@aachen.de>")


def test_the_workshop_page_warns_when_replies_would_bounce(app, login):
    bad = plan(app, organizer_email="kepol@localhost")
    good = plan(app)
    viewer = login("viewer")
    page = viewer.get(f"/workshops/{bad['id']}").get_data(as_text=True)
    assert 'id="organizer-warning"' in page and "kepol@localhost" in page
    assert "kämen als unzustellbar zurück" in page
    editor = login("editor")
    invitations = editor.get(f"/workshops/{bad['id']}/einladungen").get_data(as_text=True)
    assert 'id="organizer-warning"' in invitations
    assert 'id="organizer-warning"' not in viewer.get(f"/workshops/{good['id']}").get_data(
        as_text=True
    )


# --- conditional requests on the feeds -----------------------------------------------------------


def _feed_url(login) -> str:
    editor = login("editor")
    html = editor.post("/workshops/kalender/neu", data={"csrf_token": editor.csrf}).get_data(
        as_text=True
    )
    return re.search(r'<code class="token">http://127\.0\.0\.1(/kalender/[^<]+\.ics)</code>', html)[
        1
    ]


def test_feeds_answer_conditional_requests(app, client, login):
    ws = plan(app)
    url = _feed_url(login)
    first = client.get(url)
    assert first.status_code == 200
    assert first.headers["Content-Type"] == "text/calendar; charset=utf-8; method=PUBLISH"
    etag = first.headers["ETag"]
    last_modified = first.headers["Last-Modified"]
    assert etag.startswith('"') and last_modified.endswith("GMT")
    assert first.cache_control.private and first.cache_control.max_age == 3600
    cal = Calendar.from_ical(first.data)
    assert str(cal["METHOD"]) == "PUBLISH"
    assert b"X-PUBLISHED-TTL:PT1H" in first.data
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H" in first.data

    # nothing changed: the same bytes, and 304 for a client that has them
    assert client.get(url).data == first.data
    by_etag = client.get(url, headers={"If-None-Match": etag})
    assert by_etag.status_code == 304 and by_etag.data == b""
    assert by_etag.headers["ETag"] == etag
    by_date = client.get(url, headers={"If-Modified-Since": last_modified})
    assert by_date.status_code == 304

    # a workshop changes: the feed changes, the old ETag no longer matches
    with app.app_context():
        services.update_workshop(services.get_workshop(ws["id"]), {"title": "Neuer Titel"})
    changed = client.get(url, headers={"If-None-Match": etag, "If-Modified-Since": last_modified})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert b"SUMMARY:Neuer Titel" in changed.data
    assert client.head(url, headers={"If-None-Match": changed.headers["ETag"]}).status_code == 304
