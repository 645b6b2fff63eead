"""Sending a survey and its reminders through the workshops' mail queue (channel "survey").

Each message is composed once (text and HTML, in the recipient's language), stored whole with
the link placeholder and delivered by workshops.mail.deliver over one connection; the queue's
rules apply: a message is sent at most once (its Message-ID is unique and a retry sends the
very same bytes), a lost connection leaves the rest for `mail retry`. The personal link is put
in while sending and never stored. A reminder round is a new message (sequence = its number),
so a reminder is never a second copy of the invitation.
"""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa
from flask import current_app, render_template

from ..audit.services import record
from ..core.errors import Invalid
from ..core.timeutil import DEFAULT_TZ, in_zone, utcnow
from ..extensions import db
from ..workshops import mail
from ..workshops import tokens as link_placeholder
from ..workshops.models import MailKind, MailMessage, MailStatus
from . import tokens
from .models import Survey, SurveyRecipient
from .services import closes_on, label

CHANNEL = "survey"


def survey_url(token: str) -> str:
    return mail.public_url(f"/befragung/{token}")


def _domain() -> str:
    return mail.sender().domain or "netzwerk.invalid"


def message_id(recipient: SurveyRecipient, kind: MailKind, sequence: int) -> str:
    """Stable per recipient, kind and round: the same message keeps its Message-ID."""
    return f"<{kind.value}-{sequence}-r{recipient.id}.survey{recipient.survey_id}@{_domain()}>"


def _date_text(day: date, lang: str) -> str:
    from babel.dates import format_date

    return format_date(day, format="long", locale=lang)


SUBJECTS = {
    "de": {MailKind.SURVEY: "Befragung", MailKind.REMINDER: "Erinnerung an die Befragung"},
    "en": {MailKind.SURVEY: "Survey", MailKind.REMINDER: "Reminder: survey"},
}


def compose(recipient: SurveyRecipient, kind: MailKind, sequence: int) -> MailMessage:
    """The whole message for one recipient: multipart/alternative (text/plain, text/html), in
    their language, with the placeholder where their personal link goes."""
    survey, contact = recipient.survey, recipient.contact
    lang = recipient.language if recipient.language in ("de", "en") else "de"
    now = utcnow()
    context = {
        "lang": lang,
        "reminder": kind == MailKind.REMINDER,
        "survey": survey,
        "name": contact.name,
        "organisation": recipient.actor.name if recipient.actor is not None else "",
        "url": survey_url(link_placeholder.PLACEHOLDER),
        "closes_on": _date_text(closes_on(survey), lang),
        "topics": [t.label for t in survey.topics],
    }
    text = _tidy(render_template(f"surveys/mail/{lang}.txt", **context))
    html = render_template(f"surveys/mail/{lang}.html", **context)
    subject = mail.header_text(f"{SUBJECTS[lang][kind]}: {survey.title}")
    mid = message_id(recipient, kind, sequence)
    email = mail.build_message(
        to=mail.address(contact.name, contact.email),
        reply_to=None,
        subject=subject,
        text=text,
        html=html,
        calendar=None,
        method=None,
        message_id=mid,
        date=now,
        lang=lang,
    )
    return MailMessage(
        channel=CHANNEL,
        ref_id=recipient.id,
        kind=kind,
        sequence=sequence,
        message_id=mid,
        recipient=contact.email,
        subject=subject[:400],
        raw=email.as_string(),
        status=MailStatus.QUEUED,
        created_at=now,
    )


def _tidy(text: str) -> str:
    """At most one blank line in a row: the templates' conditionals leave more."""
    return re.sub(r"\n[ \t]*(\n[ \t]*){2,}", "\n\n", text).strip() + "\n"


class SurveyChannel:
    """What the mail queue asks about survey messages (workshops.mail.Channel)."""

    def _recipient(self, message: MailMessage) -> SurveyRecipient | None:
        return db.session.get(SurveyRecipient, message.ref_id) if message.ref_id else None

    def blocked(self, message: MailMessage) -> str | None:
        recipient = self._recipient(message)
        if recipient is None:
            return "Die Person wurde von der Befragung genommen."
        if recipient.survey.is_closed:
            return "Die Befragung ist beendet."
        if message.kind == MailKind.REMINDER and recipient.answered:
            return "Hat inzwischen geantwortet."
        return mail.block_reason(recipient.contact)

    def token(self, message: MailMessage) -> str | None:
        recipient = self._recipient(message)
        return tokens.link_token(recipient) if recipient is not None else None

    def sent(self, message: MailMessage) -> None:
        recipient = self._recipient(message)
        if recipient is None:
            return
        if message.kind == MailKind.REMINDER:
            recipient.reminded_at = message.sent_at
        elif recipient.invited_at is None:
            recipient.invited_at = message.sent_at


def init_app() -> None:
    mail.register_channel(CHANNEL, SurveyChannel())


# --- queueing ------------------------------------------------------------------------------------


def _messages(
    survey: Survey, kind: MailKind | None = None
) -> dict[tuple[int, str, int], MailMessage]:
    query = (
        sa.select(MailMessage)
        .join(SurveyRecipient, SurveyRecipient.id == MailMessage.ref_id)
        .where(MailMessage.channel == CHANNEL, SurveyRecipient.survey_id == survey.id)
    )
    if kind is not None:
        query = query.where(MailMessage.kind == kind)
    return {(m.ref_id, m.kind.value, m.sequence): m for m in db.session.scalars(query)}


def _enqueue(
    recipient: SurveyRecipient,
    kind: MailKind,
    sequence: int,
    batch: str,
    existing: dict[tuple[int, str, int], MailMessage],
) -> bool:
    """Queue one message unless it exists; a waiting or failed one joins the batch."""
    found = existing.get((recipient.id, kind.value, sequence))
    if found is not None:
        if found.status in mail.PENDING:
            found.batch = batch
            return True
        return False
    message = compose(recipient, kind, sequence)
    message.batch = batch
    db.session.add(message)
    return True


def send_survey(survey: Survey) -> tuple[str, dict]:
    """Queue the survey mail for every recipient who has not had it; (batch, counts). Those
    who may not get mail (address gone, consent revoked) are listed, not queued."""
    if survey.is_closed:
        raise Invalid("Die Befragung ist beendet; es wird nichts mehr verschickt.")
    if not survey.recipients:
        raise Invalid("Noch niemand ausgewählt: bitte zuerst Empfänger*innen hinzufügen.")
    batch = mail.new_batch()
    existing = _messages(survey, MailKind.SURVEY)
    counts: dict = {"queued": 0, "blocked": []}
    for recipient in survey.recipients:
        if recipient.contact is None:
            continue
        if reason := mail.block_reason(recipient.contact):
            counts["blocked"].append({"name": recipient.name, "reason": reason})
            continue
        if _enqueue(recipient, MailKind.SURVEY, 0, batch, existing):
            counts["queued"] += 1
    if counts["queued"]:
        if survey.sent_at is None:
            survey.sent_at = utcnow()
        record(
            "survey", survey.id, "send", {"queued": [None, counts["queued"]]}, label=label(survey)
        )
    db.session.commit()
    return batch, counts


def remind(survey: Survey) -> tuple[str, dict]:
    """A reminder to everyone who got the survey and has not answered (a new round each time,
    never a copy of an earlier mail); (batch, counts)."""
    if survey.is_closed:
        raise Invalid("Die Befragung ist beendet; es gibt nichts mehr zu erinnern.")
    invited = {
        ref_id
        for (ref_id, _kind, _seq), m in _messages(survey, MailKind.SURVEY).items()
        if m.status == MailStatus.SENT
    }
    waiting = [
        r for r in survey.recipients if r.id in invited and not r.answered and r.contact is not None
    ]
    if not waiting:
        raise Invalid("Niemand zu erinnern: alle haben geantwortet oder noch keine Mail bekommen.")
    sequence = survey.reminders + 1
    batch = mail.new_batch()
    counts: dict = {"queued": 0, "blocked": []}
    for recipient in waiting:
        if reason := mail.block_reason(recipient.contact):
            counts["blocked"].append({"name": recipient.name, "reason": reason})
            continue
        if _enqueue(recipient, MailKind.REMINDER, sequence, batch, {}):
            counts["queued"] += 1
    survey.reminders = sequence
    survey.reminded_at = utcnow()
    record(
        "survey",
        survey.id,
        "remind",
        {"round": [None, sequence], "queued": [None, counts["queued"]]},
        label=label(survey),
    )
    db.session.commit()
    return batch, counts


def due_reminders(today: date | None = None) -> list[Survey]:
    """Open, sent surveys whose reminder day has come and that have not reminded since."""
    today = today or in_zone(utcnow(), DEFAULT_TZ).date()
    result = []
    for survey in db.session.scalars(
        sa.select(Survey).where(Survey.remind_on.is_not(None), Survey.sent_at.is_not(None))
    ):
        if survey.is_closed or survey.remind_on > today:
            continue
        reminded = in_zone(survey.reminded_at, DEFAULT_TZ).date() if survey.reminded_at else None
        if reminded is None or reminded < survey.remind_on:
            result.append(survey)
    return result


def failed_ids(survey: Survey) -> list[int]:
    return [m.id for m in _messages(survey).values() if m.status in mail.PENDING]


def retry(survey: Survey) -> str | None:
    """Put the survey's failed and waiting messages into a new batch; None when there are none."""
    ids = failed_ids(survey)
    if not ids:
        return None
    return mail.requeue_failed(ids=ids)


def delivery_rows(survey: Survey) -> dict[int, MailMessage]:
    """Recipient id → the newest message for them (for the progress page)."""
    latest: dict[int, MailMessage] = {}
    for message in sorted(_messages(survey).values(), key=lambda m: m.id):
        latest[message.ref_id] = message
    return latest


def batch_status(survey: Survey, batch: str) -> dict:
    """Progress of one batch, limited to this survey's messages."""
    status = mail.batch_status(batch)
    ids = {r.id for r in survey.recipients}
    belongs = db.session.scalar(
        sa.select(sa.func.count(MailMessage.id)).where(
            MailMessage.batch == batch,
            MailMessage.channel == CHANNEL,
            MailMessage.ref_id.in_(ids) if ids else sa.false(),
        )
    )
    if not belongs:
        return {**status, "total": 0}
    return status


def deliver_now(batch: str) -> mail.Report:
    return mail.deliver(batch=batch)


def deliver_in_background(batch: str) -> None:
    mail.deliver_in_background(current_app._get_current_object(), batch)
