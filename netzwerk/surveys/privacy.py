"""The surveys' part of the data-protection rights (receivers of core.signals): who was asked,
when, and what they answered (Art. 15), its erasure (Art. 17) and the last activity (retention).

What a person answered is personal data as long as it can be tied to them: erasure blanks
their comment, kills their link, blocks and empties their queued and stored mails and unties
the answer from the contact (the recipient row keeps only the organisation), so the response
rates and the decisions already taken stay right.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..actors.models import Contact
from ..core.api import iso
from ..extensions import db
from ..mail.models import PENDING, MailKind, MailMessage, MailStatus
from . import tokens
from .models import STANDING, SurveyProposal, SurveyRecipient
from .review import proposal_json
from .services import SOURCE


def _recipients(contact: Contact) -> list[SurveyRecipient]:
    return list(
        db.session.scalars(
            sa.select(SurveyRecipient)
            .where(SurveyRecipient.contact_id == contact.id)
            .order_by(SurveyRecipient.id)
        )
    )


def personal_data(contact: Contact) -> list[dict[str, Any]]:
    """Every survey the person was asked in, with the mails and what they answered."""
    result = []
    for recipient in _recipients(contact):
        survey = recipient.survey
        mails = list(
            db.session.scalars(
                sa.select(MailMessage)
                .where(MailMessage.source == SOURCE, MailMessage.source_id == recipient.id)
                .order_by(MailMessage.id)
            )
        )
        sent = [m for m in mails if m.status == MailStatus.SENT and m.sent_at is not None]
        invited = [m.sent_at for m in sent if m.kind != MailKind.REMINDER]
        reminded = [m.sent_at for m in sent if m.kind == MailKind.REMINDER]
        proposals = db.session.scalars(
            sa.select(SurveyProposal)
            .where(
                SurveyProposal.recipient_id == recipient.id,
                SurveyProposal.status.in_(STANDING),
            )
            .order_by(SurveyProposal.id)
        )
        result.append(
            {
                "survey_id": survey.id,
                "survey": survey.title,
                "organisation": recipient.actor.name if recipient.actor is not None else None,
                "asked_at": iso(recipient.created_at),
                "invited_at": iso(min(invited)) if invited else None,
                "reminded_at": iso(max(reminded)) if reminded else None,
                "answered_at": iso(recipient.answered_at),
                "saved_at": iso(recipient.saved_at),
                "comment": recipient.comment,
                "consent_map": recipient.consent_map,
                "record_confirmed": recipient.record_confirmed,
                "answers": [proposal_json(p) for p in proposals],
                "mails": [
                    {
                        "kind": m.kind.value,
                        "subject": m.subject,
                        "recipient": m.recipient,
                        "status": m.status.value,
                        "sent_at": iso(m.sent_at),
                    }
                    for m in mails
                ],
            }
        )
    return result


def personal_data_section(contact: Contact) -> tuple[str, list[dict]] | None:
    """Receiver of core.signals.personal_data."""
    return "surveys", personal_data(contact)


def erase_personal_data(contact: Contact) -> dict[str, int]:
    """Receiver of core.signals.erase_personal_data (inside the erasure's transaction)."""
    recipients = _recipients(contact)
    if not recipients:
        return {"survey_answers": 0, "survey_mails": 0}
    ids = [r.id for r in recipients]
    scope = (MailMessage.source == SOURCE, MailMessage.source_id.in_(ids))
    db.session.execute(
        sa.update(MailMessage)
        .where(*scope, MailMessage.status.in_(PENDING))
        .values(status=MailStatus.BLOCKED)
    )
    mails = db.session.execute(
        sa.update(MailMessage)
        .where(*scope)
        .values(recipient="", raw="", subject="", last_error="gelöscht (Art. 17 DSGVO)")
    ).rowcount
    for recipient in recipients:
        recipient.comment = ""
        tokens.new_link(recipient)  # the old link stops working
    return {"survey_answers": len(ids), "survey_mails": mails}


def last_activity(_sender: Any = None) -> dict[int, datetime]:
    """contact id → when they were last asked, reminded or answered (receiver of
    core.signals.contact_activity)."""
    rows = db.session.execute(
        sa.select(
            SurveyRecipient.contact_id,
            sa.func.max(SurveyRecipient.created_at),
            sa.func.max(SurveyRecipient.saved_at),
            sa.func.max(MailMessage.sent_at),
        )
        .outerjoin(
            MailMessage,
            sa.and_(MailMessage.source == SOURCE, MailMessage.source_id == SurveyRecipient.id),
        )
        .where(SurveyRecipient.contact_id.is_not(None))
        .group_by(SurveyRecipient.contact_id)
    )
    result = {}
    for contact_id, *moments in rows:
        known = [m for m in moments if m is not None]
        if known:
            result[contact_id] = max(known)
    return result
