"""What the workshops hand to the data-protection functions: everything about one person, and
their erasure (answers and attendance stay, so the counts remain right)."""

from __future__ import annotations

import sqlalchemy as sa

from netzwerk.extensions import db
from netzwerk.mail import queue
from netzwerk.mail.models import MailMessage, MailStatus
from netzwerk.workshops import invitations, polls, privacy, services
from netzwerk.workshops.models import Workshop
from tests.workshops_support import invitation_token, plan, send

ANNA = {"name": "Anna Becker", "email": "anna@example.org"}
BEN = {"name": "Ben Schmitz", "email": "ben@example.org"}


def test_personal_data_lists_invitations_answers_votes_attendance_and_mails(app):
    ws = plan(app, [dict(ANNA), dict(BEN)])
    send(app, ws["id"])
    with app.app_context():
        workshop = db.session.get(Workshop, ws["id"])
        anna = workshop.invitations[0]
        invitations.respond(anna, "accepted", "Ich bringe die Beschaffungszahlen mit.")
        slot = polls.add_slot(workshop, "2030-02-01T10:00", "2030-02-01T12:00")
        polls.vote(anna, {slot.id: "ja"})
        invitations.record_attendance(workshop, {anna.id})
        (item,) = privacy.personal_data(anna.contact)
        assert item["workshop"] == "Fokusgruppe SDG 12 – Faire Beschaffung"
        assert item["response"] == "accepted" and item["attended"] is True
        assert item["comment"] == "Ich bringe die Beschaffungszahlen mit."
        assert item["poll_votes"] == [
            {"slot_starts_at": "2030-02-01T09:00:00+00:00", "answer": "ja"}
        ]
        (sent,) = item["mails"]
        assert (sent["kind"], sent["recipient"], sent["status"]) == (
            "request",
            ANNA["email"],
            "sent",
        )
        assert privacy.last_activity()[anna.contact_id] is not None


def test_erasure_blanks_mails_blocks_the_queue_and_kills_the_link(app, client):
    ws = plan(app, [dict(ANNA), dict(BEN)])
    send(app, ws["id"])
    token = invitation_token(app, ws["id"], ws["contact_ids"][0])
    with app.app_context():
        workshop = db.session.get(Workshop, ws["id"])
        anna = workshop.invitations[0]
        invitations.respond(anna, "accepted", "persönlich")
        batch = services.update_workshop(workshop, {"ends_at": "2030-01-15T13:00"})  # a move
        assert batch
        counts = privacy.erase_personal_data(anna.contact)
        db.session.commit()
        assert counts == {"invitations": 1, "mails": 2}
        # ... which is never delivered to the erased person
        report = queue.deliver(batch=batch)
        assert report.sent == 1  # Ben's update only
        rows = db.session.scalars(
            sa.select(MailMessage).where(MailMessage.source_id == anna.id)
        ).all()
        assert {(m.recipient, m.raw) for m in rows} == {("", "")}
        assert MailStatus.BLOCKED in {m.status for m in rows}
        assert anna.comment == "" and anna.response.value == "accepted"
        assert invitations.summary(workshop)["accepted"] == 1
    assert client.get(f"/einladung/{token}").status_code == 404
