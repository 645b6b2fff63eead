"""Helpers shared by the workshop tests: build a workshop through the services, read the mails
the loopback SMTP server received, wait for a background batch."""

from __future__ import annotations

import time
from datetime import datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

import sqlalchemy as sa
from icalendar import Calendar

from netzwerk.extensions import db
from netzwerk.mail import queue
from netzwerk.workshops import invitations, services
from tests import factories

FUTURE = datetime(2030, 1, 15, 10, 0)  # a Tuesday in winter, Europe/Berlin = UTC+1


def plan(app, contacts=(), **kw) -> dict:
    """A planned workshop (10:00–12:00 Europe/Berlin by default) with the given invitees;
    contacts are dicts for factories.contact (an actor is made per contact)."""
    with app.app_context():
        topic = factories.topic()
        data = {
            "title": "Fokusgruppe SDG 12 – Faire Beschaffung",
            "topic_ids": [topic.id],
            "phase": "fokusgruppe",
            "format": "hybrid",
            "starts_at": FUTURE,
            "ends_at": FUTURE.replace(hour=12),
            "timezone": "Europe/Berlin",
            "location": "Verwaltungsgebäude Katschhof, Raum 1.12",
            "online_url": "https://meet.example.org/sdg12",
            "agenda": "1. Bestandsaufnahme\n2. Ziele",
            "organizer_name": "Miriam Albers",
            "organizer_email": "m.albers@example.org",
            "status": "geplant",
        } | kw
        workshop = services.create_workshop(data)
        ids = []
        for spec in contacts:
            actor = factories.actor(**spec.pop("actor", {}))
            ids.append(factories.contact(actor, **spec).id)
        if ids:
            invitations.add_invitations(workshop, ids)
        return {"id": workshop.id, "uid": workshop.uid, "topic_id": topic.id, "contact_ids": ids}


def send(app, workshop_id: int) -> queue.Report:
    with app.app_context():
        batch, _ = invitations.send_invitations(services.get_workshop(workshop_id))
        return queue.deliver(batch=batch)


def parsed(envelope) -> EmailMessage:
    return message_from_bytes(envelope.content, policy=default)


def received(smtp_server) -> list[EmailMessage]:
    return [parsed(e) for e in smtp_server.messages]


def calendar_part(message: EmailMessage):
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return part
    raise AssertionError("no text/calendar part")


def event_of(message: EmailMessage):
    cal = Calendar.from_ical(calendar_part(message).get_content())
    return cal, cal.walk("VEVENT")[0]


def body_text(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def wait_until(predicate, what: str, seconds: float = 20.0) -> None:
    """Wait for background work (a mail batch in its thread); fails with `what` if it never
    happens. A bound, not a timed assertion: speed is measured in benchmarks/."""
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def wait_for_batch(client, status_url: str) -> dict:
    result = {}

    def done() -> bool:
        result.update(client.get(status_url).get_json())
        return result["done"]

    wait_until(done, status_url)
    return result


def invitation_token(app, workshop_id: int, contact_id: int) -> str:
    """The invitee's RSVP link token, derived as the mail does (only its hash is stored)."""
    from netzwerk.workshops import tokens
    from netzwerk.workshops.models import Invitation

    with app.app_context():
        invitation = db.session.scalar(
            sa.select(Invitation).where(
                Invitation.workshop_id == workshop_id, Invitation.contact_id == contact_id
            )
        )
        return tokens.rsvp_token(invitation)
