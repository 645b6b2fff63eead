"""What the workshops keep about a person, for access (Art. 15) and erasure (Art. 17) requests
and the retention view; connected to core.signals in the package's init_app."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..actors.models import Contact
from ..core.timeutil import aware
from ..extensions import db
from ..mail.models import PENDING, MailMessage, MailStatus
from . import compose, tokens
from .models import (
    Invitation,
)
from .timefmt import iso


def _stamp(value: datetime | None) -> str | None:
    return aware(value).isoformat() if value is not None else None


def personal_data(contact: Contact) -> list[dict]:
    """Everything the workshops keep about one person: invitations, answers, poll votes,
    attendance and mails (used by the Art. 15 DSGVO access export in exchange/privacy.py)."""
    rows = db.session.scalars(
        sa.select(Invitation).where(Invitation.contact_id == contact.id).order_by(Invitation.id)
    )
    result = []
    for inv in rows:
        workshop = inv.workshop
        mails = db.session.scalars(
            sa.select(MailMessage).where(compose.of_invitations(inv.id)).order_by(MailMessage.id)
        )
        result.append(
            {
                "workshop_id": workshop.id,
                "workshop": workshop.title,
                "starts_at": iso(workshop.starts_at, workshop.timezone),
                "timezone": workshop.timezone,
                "invited_at": _stamp(inv.created_at),
                "response": inv.response.value,
                "responded_at": _stamp(inv.responded_at),
                "comment": inv.comment,
                "waitlisted": inv.waitlisted,
                "attended": inv.attended,
                "removed_at": _stamp(inv.removed_at),
                "poll_votes": [
                    {"slot_starts_at": _stamp(v.slot.starts_at), "answer": v.answer.value}
                    for v in inv.votes
                ],
                "mails": [
                    {
                        "kind": m.kind.value,
                        "subject": m.subject,
                        "recipient": m.recipient,
                        "status": m.status.value,
                        "sent_at": _stamp(m.sent_at),
                    }
                    for m in mails
                ],
            }
        )
    return result


def personal_data_section(contact: Contact) -> tuple[str, list[dict]]:
    """The workshops' part of an Art. 15 export (receiver of core.signals.personal_data)."""
    return "workshops", personal_data(contact)


def erase_personal_data(contact: Contact) -> dict[str, int]:
    """Art. 17 DSGVO: blank the person's comments and stored mails, block what is still queued
    and kill the RSVP links; answers, seats and attendance stay so the counts remain right.
    Runs inside the erasure service's transaction (no commit here)."""
    ids = list(
        db.session.scalars(sa.select(Invitation.id).where(Invitation.contact_id == contact.id))
    )
    if not ids:
        return {"invitations": 0, "mails": 0}
    db.session.execute(
        sa.update(MailMessage)
        .where(compose.of_invitations(ids), MailMessage.status.in_(PENDING))
        .values(status=MailStatus.BLOCKED)
    )
    mails = db.session.execute(
        sa.update(MailMessage)
        .where(compose.of_invitations(ids))
        .values(recipient="", raw="", subject="", last_error="gelöscht (Art. 17 DSGVO)")
    ).rowcount
    for invitation in db.session.scalars(sa.select(Invitation).where(Invitation.id.in_(ids))):
        invitation.comment = ""
        tokens.new_rsvp_link(invitation)  # the old RSVP link stops working
    return {"invitations": len(ids), "mails": mails}


def last_activity(_sender: Any = None) -> dict[int, datetime]:
    """contact id → the latest invitation, answer or mail about them (retention view; receiver
    of core.signals.contact_activity)."""
    latest: dict[int, datetime] = {}
    rows = db.session.execute(
        sa.select(
            Invitation.contact_id,
            sa.func.max(sa.func.coalesce(Invitation.responded_at, Invitation.created_at)),
        )
        .where(Invitation.contact_id.is_not(None))
        .group_by(Invitation.contact_id)
    )
    for contact_id, when_ in rows:
        latest[contact_id] = when_
    sent = db.session.execute(
        sa.select(Invitation.contact_id, sa.func.max(MailMessage.sent_at))
        .join(
            MailMessage,
            sa.and_(MailMessage.source == compose.SOURCE, MailMessage.source_id == Invitation.id),
        )
        .where(Invitation.contact_id.is_not(None), MailMessage.sent_at.is_not(None))
        .group_by(Invitation.contact_id)
    )
    for contact_id, when_ in sent:
        if when_ is not None and (contact_id not in latest or when_ > latest[contact_id]):
            latest[contact_id] = when_
    return latest
