"""Sending a survey and its reminders through the mail queue (netzwerk.mail, source "survey").

Each message is composed once (text and HTML, in the recipient's language), stored whole with
the link placeholder and delivered by mail.queue.deliver over one connection; the queue's rules
apply: a message is sent at most once (its Message-ID is unique and a retry sends the very same
bytes), a lost connection leaves the rest for `mail retry`. The personal link is put in while
sending and never stored. A reminder round is a new message (sequence = its number), so a
reminder is never a second copy of the invitation. When a recipient was invited or reminded is
read from the queue (the sent messages), never stored twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from ..audit.services import record
from ..core.errors import Invalid
from ..core.timeutil import DEFAULT_TZ, in_zone, utcnow
from ..extensions import db
from ..mail import links, queue
from ..mail.message import address, build_message, header_text, sender, tidy
from ..mail.models import PENDING, MailKind, MailMessage, MailStatus
from ..workshops.compose import block_reason
from . import tokens
from .models import Survey, SurveyRecipient
from .services import SOURCE, closes_on, delivery_times, label, scope


def survey_url(token: str) -> str:
    return links.public_url(f"/befragung/{token}")


def _domain() -> str:
    return sender().domain or "netzwerk.invalid"


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
        "url": survey_url(links.PLACEHOLDER),
        "closes_on": _date_text(closes_on(survey), lang),
        "topics": [t.label for t in survey.topics],
    }
    text = tidy(render_template(f"surveys/mail/{lang}.txt", **context))
    html = render_template(f"surveys/mail/{lang}.html", **context)
    subject = header_text(f"{SUBJECTS[lang][kind]}: {survey.title}")
    mid = message_id(recipient, kind, sequence)
    email = build_message(
        to=address(contact.name, contact.email),
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
        source=SOURCE,
        source_id=recipient.id,
        scope=scope(recipient.survey_id),
        kind=kind,
        sequence=sequence,
        message_id=mid,
        recipient=contact.email,
        subject=subject[:400],
        raw=email.as_string(),
        status=MailStatus.QUEUED,
        created_at=now,
    )


def prepare_survey_mail(messages: Sequence[MailMessage]) -> dict[int, queue.Prepared]:
    """The "survey" source: each recipient's link token and whether they may still get the
    message, for a whole batch with one query."""
    ids = {m.source_id for m in messages}
    recipients = {
        r.id: r
        for r in db.session.scalars(
            sa.select(SurveyRecipient)
            .where(SurveyRecipient.id.in_(ids))
            .options(selectinload(SurveyRecipient.contact), selectinload(SurveyRecipient.survey))
        )
    }
    result = {}
    for message in messages:
        recipient = recipients.get(message.source_id)
        if recipient is None:
            reason = _("Die Person wurde von der Befragung genommen.")
        elif recipient.survey.is_closed:
            reason = _("Die Befragung ist beendet.")
        elif message.kind == MailKind.REMINDER and recipient.answered:
            reason = _("Hat inzwischen geantwortet.")
        else:
            reason = block_reason(recipient.contact)
        if reason:
            result[message.id] = queue.Prepared(blocked=reason)
        else:
            result[message.id] = queue.Prepared(token=tokens.link_token(recipient))
    return result


def init_app() -> None:
    queue.register_source(SOURCE, prepare_survey_mail)


# --- queueing ------------------------------------------------------------------------------------


def _wanted(recipient: SurveyRecipient, kind: MailKind, sequence: int) -> queue.Wanted:
    return queue.Wanted(
        SOURCE, recipient.id, kind, sequence, compose=lambda: compose(recipient, kind, sequence)
    )


def send_survey(survey: Survey) -> tuple[str, dict]:
    """Queue the survey mail for every recipient who has not had it; (batch, counts). Those
    who may not get mail (address gone, consent revoked) are listed, not queued."""
    if survey.is_closed:
        raise Invalid(_("Die Befragung ist beendet; es wird nichts mehr verschickt."))
    if not survey.recipients:
        raise Invalid(_("Noch niemand ausgewählt: bitte zuerst Empfänger*innen hinzufügen."))
    batch = queue.new_batch()
    counts: dict = {"queued": 0, "blocked": []}
    wanted = []
    for recipient in survey.recipients:
        if recipient.contact is None:
            continue
        if reason := block_reason(recipient.contact):
            counts["blocked"].append({"name": recipient.name, "reason": reason})
            continue
        wanted.append(_wanted(recipient, MailKind.SURVEY, 0))
    counts["queued"] = len(queue.enqueue(wanted, batch))
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
        raise Invalid(_("Die Befragung ist beendet; es gibt nichts mehr zu erinnern."))
    invited = {rid for rid, (sent, _reminded) in delivery_times(survey).items() if sent}
    waiting = [
        r for r in survey.recipients if r.id in invited and not r.answered and r.contact is not None
    ]
    if not waiting:
        raise Invalid(
            _("Niemand zu erinnern: alle haben geantwortet oder noch keine Mail bekommen.")
        )
    sequence = survey.reminders + 1
    batch = queue.new_batch()
    counts: dict = {"queued": 0, "blocked": []}
    wanted = []
    for recipient in waiting:
        if reason := block_reason(recipient.contact):
            counts["blocked"].append({"name": recipient.name, "reason": reason})
            continue
        wanted.append(_wanted(recipient, MailKind.REMINDER, sequence))
    counts["queued"] = len(queue.enqueue(wanted, batch))
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


def _messages(survey: Survey) -> list[MailMessage]:
    return list(
        db.session.scalars(
            sa.select(MailMessage)
            .where(MailMessage.source == SOURCE, MailMessage.scope == scope(survey))
            .order_by(MailMessage.id)
        )
    )


def failed_ids(survey: Survey) -> list[int]:
    return [m.id for m in _messages(survey) if m.status in PENDING]


def retry(survey: Survey) -> str | None:
    """Put the survey's failed and waiting messages into a new batch; None when there are none."""
    if not failed_ids(survey):
        return None
    return queue.requeue_failed(scope(survey))


def delivery_rows(survey: Survey) -> dict[int, MailMessage]:
    """Recipient id → the newest message for them (for the progress page)."""
    return {message.source_id: message for message in _messages(survey)}


def batch_status(survey: Survey, batch: str) -> dict:
    """Progress of one batch, limited to this survey's messages."""
    return queue.batch_status(batch, scope(survey))


def deliver_now(batch: str) -> queue.Report:
    return queue.deliver(batch=batch)


def deliver_in_background(batch: str) -> None:
    queue.deliver_in_background(current_app._get_current_object(), batch)
