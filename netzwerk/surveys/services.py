"""Surveys and their recipients: planning, choosing whom to ask. One transaction and one audit
entry per public function. Sending and reminders are in sending.py, the respondents' side in
answers.py, the review queue in review.py, the figures in analysis.py.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _

from ..actors.models import Actor, Category, Contact
from ..actors.vocab import Sector
from ..audit.services import apply_changes, plain, record
from ..core.errors import Conflict, Invalid, NotFound
from ..core.timeutil import DEFAULT_TZ, as_utc, in_zone, utcnow
from ..core.validation import parse_date
from ..extensions import db
from ..mail.models import MailKind, MailMessage, MailStatus
from ..topics.models import ActorTopic, Topic
from ..topics.services import find_topic
from ..workshops.compose import block_reason
from ..workshops.timefmt import mail_language
from . import tokens
from .models import Question, Survey, SurveyProposal, SurveyRecipient

TITLE_LIMIT = 200
INTRO_LIMIT = 5000
SOURCE = "survey"  # the mail queue's source of survey mails (sending.py)
DEFAULT_QUESTIONS = [q.value for q in Question]
SURVEY_FIELDS = ["title", "intro", "questions", "closes_at", "remind_on", "topic_ids"]


# --- look-ups ------------------------------------------------------------------------------------


def get_survey(survey_id: int) -> Survey:
    survey = db.session.get(Survey, survey_id)
    if survey is None:
        raise NotFound(_("Befragung %(survey_id)s nicht gefunden.", survey_id=survey_id))
    return survey


def get_recipient(recipient_id: int, survey: Survey | None = None) -> SurveyRecipient:
    recipient = db.session.get(SurveyRecipient, recipient_id)
    if recipient is None or (survey is not None and recipient.survey_id != survey.id):
        raise NotFound(
            _("Empfänger*in %(recipient_id)s nicht gefunden.", recipient_id=recipient_id)
        )
    return recipient


def get_proposal(proposal_id: int) -> SurveyProposal:
    proposal = db.session.get(SurveyProposal, proposal_id)
    if proposal is None:
        raise NotFound(_("Vorschlag %(proposal_id)s nicht gefunden.", proposal_id=proposal_id))
    return proposal


def surveys() -> list[Survey]:
    return list(db.session.scalars(sa.select(Survey).order_by(Survey.created_at.desc())))


def survey_query() -> sa.Select:
    return sa.select(Survey).order_by(Survey.created_at.desc(), Survey.id.desc())


def label(survey: Survey) -> str:
    return f"Befragung „{survey.title}“"


# --- planning ------------------------------------------------------------------------------------


def closing_moment(day: date) -> datetime:
    """The end of the closing day in Germany, as naive UTC: answers are taken all that day."""
    local = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=ZoneInfo(DEFAULT_TZ))
    return as_utc(local) - timedelta(microseconds=1)


def closes_on(survey: Survey) -> date:
    """The closing day as the coordinator chose it (Europe/Berlin)."""
    return in_zone(survey.closes_at, DEFAULT_TZ).date()


def _questions(value: Any, current: list[str]) -> list[str]:
    if value is None:
        return current
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list | tuple):
        raise Invalid(_("questions muss eine Liste sein."), field="questions")
    chosen = []
    for item in value:
        question = Question.parse(item)
        if question is None:
            allowed = ", ".join(q.value for q in Question)
            raise Invalid(
                _("Unbekannte Frage: %(item)s (erlaubt: %(allowed)s)", item=item, allowed=allowed),
                field="questions",
            )
        chosen.append(question.value)
    if not chosen:
        raise Invalid(_("Mindestens eine Frage muss eingeschaltet sein."), field="questions")
    return [q.value for q in Question if q.value in chosen]  # form order


def _topics(value: Any, current: list[Topic]) -> list[Topic]:
    if value is None:
        return current
    if not isinstance(value, list | tuple):
        raise Invalid(_("topic_ids muss eine Liste sein."), field="topic_ids")
    found = []
    for ref in value:
        topic = find_topic(ref) if isinstance(ref, int | str) else None
        if topic is None:
            raise Invalid(_("Unbekanntes Thema: %(ref)s", ref=ref), field="topic_ids")
        if topic not in found:
            found.append(topic)
    return found


def clean_survey(data: dict[str, Any], survey: Survey | None) -> dict[str, Any]:
    """Form, API and CLI input as model values; `closes_on` is a day (Europe/Berlin)."""
    # one line: it is a mail subject and a heading (any line break becomes a space)
    title = " ".join(str(data.get("title", survey.title if survey else "") or "").split())
    if not title:
        raise Invalid(_("Der Titel fehlt."), field="title")
    if len(title) > TITLE_LIMIT:
        raise Invalid(
            _(
                "Der Titel ist zu lang (höchstens %(TITLE_LIMIT)s Zeichen).",
                TITLE_LIMIT=TITLE_LIMIT,
            ),
            field="title",
        )
    intro = str(data.get("intro", survey.intro if survey else "") or "").strip()
    if len(intro) > INTRO_LIMIT:
        raise Invalid(
            _("Der Text ist zu lang (höchstens %(INTRO_LIMIT)s Zeichen).", INTRO_LIMIT=INTRO_LIMIT),
            field="intro",
        )
    if "closes_on" in data:
        day = parse_date(data["closes_on"], "closes_on")
    else:
        day = closes_on(survey) if survey else None
    if day is None:
        raise Invalid(_("Das Enddatum fehlt."), field="closes_on")
    closes_at = closing_moment(day)
    if closes_at < utcnow() and (survey is None or closes_at != survey.closes_at):
        raise Invalid(_("Das Enddatum liegt in der Vergangenheit."), field="closes_on")
    remind_on = survey.remind_on if survey else None
    if "remind_on" in data:
        remind_on = parse_date(data["remind_on"], "remind_on")
    if remind_on is not None and remind_on > day:
        raise Invalid(_("Die Erinnerung muss vor dem Enddatum liegen."), field="remind_on")
    topics = _topics(data.get("topic_ids"), list(survey.topics) if survey else [])
    questions = _questions(data.get("questions"), list(survey.questions) if survey else [])
    if survey is None and "questions" not in data:
        questions = list(DEFAULT_QUESTIONS)
    if Question.PARTNERS.value in questions and not topics:
        raise Invalid(
            _("Für die Frage nach Partnern je Thema braucht die Befragung mindestens ein Thema."),
            field="topic_ids",
        )
    return {
        "title": title,
        "intro": intro,
        "questions": questions,
        "closes_at": closes_at,
        "remind_on": remind_on,
        "topics": topics,
    }


def _audit_values(values: dict[str, Any]) -> dict[str, Any]:
    result = {k: v for k, v in values.items() if k != "topics"}
    result["topic_ids"] = [t.id for t in values["topics"]]
    return result


def create_survey(data: dict[str, Any], commit: bool = True) -> Survey:
    values = clean_survey(data, None)
    survey = Survey(**values)
    db.session.add(survey)
    db.session.flush()
    record(
        "survey",
        survey.id,
        "create",
        {k: [None, plain(v)] for k, v in _audit_values(values).items()},
        label=label(survey),
    )
    if commit:
        db.session.commit()
    return survey


def update_survey(survey: Survey, data: dict[str, Any]) -> Survey:
    values = clean_survey(data, survey)
    topics = values.pop("topics")
    changes = apply_changes(survey, values)
    old_topics = [t.id for t in survey.topics]
    if old_topics != [t.id for t in topics]:
        changes["topic_ids"] = [old_topics, [t.id for t in topics]]
        survey.topics = topics
    if changes:
        record("survey", survey.id, "update", changes, label=label(survey))
    db.session.commit()
    return survey


def delete_survey(survey: Survey) -> dict[str, int]:
    """Delete a survey with its recipients and proposals; what was accepted stays in the
    network (it went through the normal services)."""
    counts = {
        "recipients": len(survey.recipients),
        "proposals": db.session.scalar(
            sa.select(sa.func.count(SurveyProposal.id)).where(SurveyProposal.survey_id == survey.id)
        ),
    }
    record(
        "survey",
        survey.id,
        "delete",
        {"title": [survey.title, None], "removed": [counts, None]},
        label=label(survey),
    )
    db.session.delete(survey)
    db.session.commit()
    return counts


def scope(survey: Survey | int) -> str:
    """The mail queue's group of a survey's messages (progress, retries)."""
    return f"survey:{survey if isinstance(survey, int) else survey.id}"


def delivery_times(survey: Survey) -> dict[int, tuple[datetime | None, datetime | None]]:
    """recipient id → (first survey mail sent, last reminder sent), from the queue."""
    rows = db.session.execute(
        sa.select(MailMessage.source_id, MailMessage.kind, MailMessage.sent_at).where(
            MailMessage.source == SOURCE,
            MailMessage.scope == scope(survey),
            MailMessage.status == MailStatus.SENT,
        )
    )
    result: dict[int, tuple[datetime | None, datetime | None]] = {}
    for rid, kind, sent_at in rows:
        invited, reminded = result.get(rid, (None, None))
        if MailKind(kind) == MailKind.REMINDER:
            reminded = max(reminded, sent_at) if reminded else sent_at
        else:
            invited = min(invited, sent_at) if invited else sent_at
        result[rid] = (invited, reminded)
    return result


# --- recipients ----------------------------------------------------------------------------------


def recipient_candidates(survey: Survey, filters: dict[str, Any] | None = None) -> list[dict]:
    """Contacts to choose from, with the reason where one cannot be asked (no address,
    consent revoked: shown but not addable, as for invitations).

    Filters: topic (id or code: actors linked to it), category (key), sector, unanswered
    (only organisations that have not answered an earlier survey)."""
    filters = filters or {}
    query = (
        sa.select(Contact, Actor)
        .join(Actor, Contact.actor_id == Actor.id)
        .order_by(Actor.name_key, Contact.name)
    )
    if ref := filters.get("topic"):
        topic = find_topic(ref)
        if topic is None:
            raise Invalid(_("Unbekanntes Thema: %(ref)s", ref=ref), field="topic")
        query = query.where(
            Actor.id.in_(sa.select(ActorTopic.actor_id).where(ActorTopic.topic_id == topic.id))
        )
    if key := filters.get("category"):
        if db.session.get(Category, key) is None:
            raise Invalid(_("Unbekannte Kategorie: %(key)s", key=key), field="category")
        query = query.where(Actor.category_key == key)
    if value := filters.get("sector"):
        sector = Sector.parse(value)
        if sector is None:
            raise Invalid(_("Unbekannter Sektor: %(value)s", value=value), field="sector")
        query = query.where(Actor.sector == sector)
    if filters.get("unanswered") in (True, "1", "on", "true", "ja"):
        answered = sa.select(SurveyRecipient.actor_id).where(
            SurveyRecipient.answered_at.is_not(None),
            SurveyRecipient.survey_id != survey.id,
            SurveyRecipient.actor_id.is_not(None),
        )
        query = query.where(Actor.id.not_in(answered))
    chosen = set(
        db.session.scalars(
            sa.select(SurveyRecipient.contact_id).where(SurveyRecipient.survey_id == survey.id)
        )
    )
    return [
        {"contact": contact, "actor": actor, "reason": block_reason(contact)}
        for contact, actor in db.session.execute(query).all()
        if contact.id not in chosen
    ]


def _contact_ids(value: Any) -> list[int]:
    if not isinstance(value, list | tuple) or not value:
        raise Invalid(
            _("Bitte mindestens einen Kontakt auswählen (contact_ids)."), field="contact_ids"
        )
    ids = []
    for raw in value:
        try:
            ids.append(int(raw))
        except (TypeError, ValueError) as exc:
            raise Invalid(
                _("Ungültige Kontaktnummer: %(raw)s", raw=raw), field="contact_ids"
            ) from exc
    return list(dict.fromkeys(ids))


def add_recipients(survey: Survey, contact_ids: Any, commit: bool = True) -> list[SurveyRecipient]:
    """Ask these contacts (all or none). Contacts already asked are kept as they are; one
    without an address or with revoked consent is refused with the reason."""
    if survey.is_closed:
        raise Invalid(_("Die Befragung ist beendet; niemand kann mehr hinzukommen."))
    ids = _contact_ids(contact_ids)
    existing = set(
        db.session.scalars(
            sa.select(SurveyRecipient.contact_id).where(SurveyRecipient.survey_id == survey.id)
        )
    )
    contacts = {c.id: c for c in db.session.scalars(sa.select(Contact).where(Contact.id.in_(ids)))}
    added = []
    for contact_id in ids:
        contact = contacts.get(contact_id)
        if contact is None:
            raise Invalid(
                _("Kontakt %(contact_id)s nicht gefunden.", contact_id=contact_id),
                field="contact_ids",
            )
        if reason := block_reason(contact):
            raise Invalid(
                _(
                    "%(name)s (%(name2)s) kann nicht befragt werden: %(reason)s",
                    name=contact.name,
                    name2=contact.actor.name,
                    reason=reason,
                ),
                field="contact_ids",
            )
        if contact.id in existing:
            continue
        recipient = SurveyRecipient(
            survey=survey,
            contact=contact,
            actor_id=contact.actor_id,
            language=mail_language(contact.language),
        )
        recipient.survey_id = survey.id
        tokens.new_link(recipient)
        db.session.add(recipient)
        existing.add(contact.id)
        added.append(recipient)
    db.session.flush()
    if added:
        record(
            "survey",
            survey.id,
            "add_recipients",
            {"recipients": [None, [f"{r.contact.name} ({r.contact.actor.name})" for r in added]]},
            label=label(survey),
        )
    if commit:
        db.session.commit()
    return added


def remove_recipient(recipient: SurveyRecipient) -> None:
    """Take someone off the list; their link stops working, an answer given goes with it."""
    if recipient.answered:
        raise Conflict(
            _(
                "%(name)s hat schon geantwortet; die Antwort bleibt in der Prüfliste.",
                name=recipient.name,
            )
        )
    survey = recipient.survey
    record(
        "survey",
        survey.id,
        "remove_recipient",
        {"recipients": [[recipient.name], None]},
        label=label(survey),
    )
    db.session.delete(recipient)
    db.session.commit()


def recipient_contacts(survey: Survey) -> list[Contact]:
    """The contacts asked in this survey (erased people are no longer there)."""
    return [r.contact for r in survey.recipients if r.contact is not None]


def recipient_rows(survey: Survey) -> list[dict]:
    """The recipients for the progress page: answered, opened, invited, reminded."""
    rows = db.session.execute(
        sa.select(SurveyRecipient, Contact, Actor)
        .outerjoin(Contact, SurveyRecipient.contact_id == Contact.id)
        .outerjoin(Actor, SurveyRecipient.actor_id == Actor.id)
        .where(SurveyRecipient.survey_id == survey.id)
        .order_by(Actor.name_key, Contact.name, SurveyRecipient.id)
    ).all()
    times = delivery_times(survey)
    return [
        {
            "recipient": recipient,
            "contact": contact,
            "actor": actor,
            "blocked": block_reason(contact) if contact is not None else None,
            "invited_at": times.get(recipient.id, (None, None))[0],
            "reminded_at": times.get(recipient.id, (None, None))[1],
        }
        for recipient, contact, actor in rows
    ]
