"""The respondents' side: the personal link, what the form shows, and saving an answer.

An answer is kept as proposals (models.SurveyProposal). Saving again replaces what the
respondent no longer says: a pending proposal that is not in the new answer is withdrawn, one
that is kept stays as it is (with its place in the review queue), and what an editor has
already decided on stays decided. Nothing in the network changes here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from ..actors.models import Actor, Category
from ..actors.vocab import RelationKind, Status
from ..audit.services import record
from ..core.errors import Invalid, NotFound
from ..core.timeutil import utcnow
from ..core.validation import has_illegal_characters
from ..extensions import db
from ..topics.models import ActorTopic, TopicRole
from . import tokens
from .matching import normalise
from .models import (
    STANDING,
    ProposalKind,
    ProposalStatus,
    Question,
    Survey,
    SurveyProposal,
    SurveyRecipient,
)

# the parts of an organisation's record a respondent sees and may correct (never power,
# interest, status or internal notes)
RECORD_FIELDS = ("name", "short_name", "city", "website", "description")
RECORD_LIMITS = {"name": 200, "short_name": 60, "city": 120, "website": 500, "description": 2000}
NAME_LIMIT = 200
REASON_LIMIT = 1000
COMMENT_LIMIT = 5000
MAX_PARTNERS = 50  # per topic
MAX_NOMINATIONS = 20
AUTOCOMPLETE_LIMIT = 20


class Closed(Invalid):
    """The survey has ended: the link still opens, but takes no answer."""

    status = 403


def recipient_by_token(token: str) -> SurveyRecipient:
    """The recipient behind a personal link, found by the token's hash."""
    recipient = db.session.scalar(
        sa.select(SurveyRecipient).where(SurveyRecipient.token_hash == tokens.token_hash(token))
    )
    if recipient is None or recipient.contact_id is None:
        raise NotFound(_("Diesen Befragungslink gibt es nicht (mehr). Bitte prüfen Sie den Link."))
    return recipient


def closed_reason(recipient: SurveyRecipient) -> str | None:
    survey = recipient.survey
    if survey.is_closed:
        return "closed"
    return None


# --- what the form shows -------------------------------------------------------------------------


def _standing(recipient: SurveyRecipient, kind: ProposalKind) -> list[SurveyProposal]:
    return list(
        db.session.scalars(
            sa.select(SurveyProposal)
            .where(
                SurveyProposal.recipient_id == recipient.id,
                SurveyProposal.kind == kind,
                SurveyProposal.status.in_(STANDING),
            )
            .order_by(SurveyProposal.id)
        )
    )


def form_state(recipient: SurveyRecipient) -> dict[str, Any]:
    """The current answer, or what the network knows where nothing was answered yet."""
    survey, actor = recipient.survey, recipient.actor
    state: dict[str, Any] = {
        "record": {f: getattr(actor, f) if actor else "" for f in RECORD_FIELDS},
        "record_confirmed": bool(recipient.record_confirmed),
        "partners": {t.id: [] for t in survey.topics},
        "roles": {},
        "nominations": [],
        "comment": recipient.comment,
        "consent_map": bool(recipient.consent_map),
    }
    for proposal in _standing(recipient, ProposalKind.RECORD)[-1:]:
        state["record"].update({f: new for f, (_old, new) in proposal.changes.items()})
    for proposal in _standing(recipient, ProposalKind.RELATION):
        state["partners"].setdefault(proposal.topic_id, []).append(
            {
                "name": proposal.partner_name,
                "kind": proposal.relation_kind.value if proposal.relation_kind else "",
                "strength": proposal.strength or 2,
            }
        )
    if actor is not None:
        for link in db.session.scalars(
            sa.select(ActorTopic).where(ActorTopic.actor_id == actor.id)
        ):
            state["roles"][link.topic_id] = link.role.value
    for proposal in _standing(recipient, ProposalKind.TOPIC_ROLE):
        state["roles"][proposal.topic_id] = proposal.role.value if proposal.role else ""
    for proposal in _standing(recipient, ProposalKind.NOMINATION):
        state["nominations"].append(
            {
                "name": proposal.name,
                "topic_id": proposal.topic_id,
                "category": proposal.category_key or "",
                "reason": proposal.reason,
            }
        )
    return state


def organisation_names(recipient: SurveyRecipient, query: str) -> list[dict[str, Any]]:
    """At most 20 names of organisations in the network that contain `query` (for the
    partner autocomplete): names only, never contacts, notes or anything else; inactive
    actors and the respondent's own organisation are left out."""
    text = " ".join((query or "").split())[:100]
    if len(text) < 2:
        return []
    like = f"%{text.casefold()}%"
    rows = db.session.execute(
        sa.select(Actor.id, Actor.name)
        .where(
            sa.or_(Actor.name_key.like(like), sa.func.lower(Actor.short_name).like(like)),
            Actor.status != Status.INACTIVE,
            Actor.id != (recipient.actor_id or 0),
        )
        .order_by(Actor.name_key)
        .limit(AUTOCOMPLETE_LIMIT)
    ).all()
    return [{"id": ident, "name": name} for ident, name in rows]


# --- reading an answer ---------------------------------------------------------------------------


def _text(value: Any, field: str, limit: int, one_line: bool = True) -> str:
    text = "" if value is None else str(value)
    text = " ".join(text.split()) if one_line else text.strip()
    if len(text) > limit:
        raise Invalid(_("Höchstens %(limit)s Zeichen.", limit=limit), field=field)
    if has_illegal_characters(text):  # NUL and the like: they break the XLSX/GraphML exports
        raise Invalid(_("Enthält unzulässige Steuerzeichen."), field=field)
    return text


class _Actors:
    """Actors by normalised name and short name, read once per answer."""

    def __init__(self) -> None:
        self.by_key: dict[str, int] = {}
        rows = db.session.execute(sa.select(Actor.id, Actor.name, Actor.short_name)).all()
        for ident, name, _short in rows:
            self.by_key.setdefault(normalise(name), ident)
        for ident, _name, short in rows:
            if short:
                self.by_key.setdefault(normalise(short), ident)

    def find(self, key: str) -> int | None:
        return self.by_key.get(key)


def clean_answer(survey: Survey, recipient: SurveyRecipient, data: dict[str, Any]) -> dict:
    """The form's or a test's input as checked values. Field names in errors are those of the
    form (partners-<topic>-<n>-name, nominations-<n>-reason, ...)."""
    topics = {t.id: t for t in survey.topics}
    own = recipient.actor_id
    result: dict[str, Any] = {
        "record": {},
        "record_confirmed": False,
        "partners": [],
        "roles": {},
        "nominations": [],
        "comment": "",
        "consent_map": bool(data.get("consent_map")),
    }
    if survey.asks(Question.RECORD) and recipient.actor is not None:
        record_data = data.get("record") or {}
        for f in RECORD_FIELDS:
            if f in record_data:
                value = _text(record_data[f], f"record-{f}", RECORD_LIMITS[f], f != "description")
                result["record"][f] = value
        if "name" in result["record"] and not result["record"]["name"]:
            raise Invalid(_("Der Name der Organisation fehlt."), field="record-name")
        result["record_confirmed"] = bool(data.get("record_confirmed"))
    if survey.asks(Question.PARTNERS):
        actors = _Actors()
        seen = set()
        for topic_id, rows in (data.get("partners") or {}).items():
            topic_id = int(topic_id)
            if topic_id not in topics:
                raise Invalid(
                    _("Unbekanntes Thema: %(topic_id)s", topic_id=topic_id), field="partners"
                )
            rows = [r for r in rows if (r.get("name") or "").strip()]
            if len(rows) > MAX_PARTNERS:
                raise Invalid(
                    _("Höchstens %(MAX_PARTNERS)s Partner je Thema.", MAX_PARTNERS=MAX_PARTNERS),
                    field=f"partners-{topic_id}",
                )
            for n, row in enumerate(rows):
                field = f"partners-{topic_id}-{n}"
                name = _text(row.get("name"), f"{field}-name", NAME_LIMIT)
                kind = RelationKind.parse(row.get("kind") or RelationKind.COOPERATION.value)
                if kind is None:
                    raise Invalid(_("Unbekannte Art der Beziehung."), field=f"{field}-kind")
                try:
                    strength = int(row.get("strength") or 2)
                except (TypeError, ValueError):
                    strength = 0
                if not 1 <= strength <= 3:
                    raise Invalid(_("Die Stärke ist 1, 2 oder 3."), field=f"{field}-strength")
                key = normalise(name)
                if not key:
                    raise Invalid(_("Bitte einen Namen angeben."), field=f"{field}-name")
                target = actors.find(key)
                if own is not None and target == own:
                    raise Invalid(
                        _("Das ist Ihre eigene Organisation; bitte nennen Sie Partner."),
                        field=f"{field}-name",
                    )
                identity = (topic_id, target or key, kind)
                if identity in seen:
                    continue
                seen.add(identity)
                result["partners"].append(
                    {
                        "topic_id": topic_id,
                        "name": name,
                        "key": key,
                        "target": target,
                        "kind": kind,
                        "strength": strength,
                    }
                )
    if survey.asks(Question.TOPICS):
        for topic_id, value in (data.get("roles") or {}).items():
            topic_id = int(topic_id)
            if topic_id not in topics:
                raise Invalid(
                    _("Unbekanntes Thema: %(topic_id)s", topic_id=topic_id), field="roles"
                )
            role = TopicRole.parse(value) if value else None
            if value and role is None:
                raise Invalid(_("Unbekannte Rolle."), field=f"roles-{topic_id}")
            result["roles"][topic_id] = role
    if survey.asks(Question.NOMINATIONS):
        rows = [r for r in (data.get("nominations") or []) if (r.get("name") or "").strip()]
        if len(rows) > MAX_NOMINATIONS:
            raise Invalid(
                _("Höchstens %(MAX_NOMINATIONS)s Nennungen.", MAX_NOMINATIONS=MAX_NOMINATIONS),
                field="nominations",
            )
        known_categories = set(db.session.scalars(sa.select(Category.key)))
        seen = set()
        for n, row in enumerate(rows):
            field = f"nominations-{n}"
            name = _text(row.get("name"), f"{field}-name", NAME_LIMIT)
            key = normalise(name)
            if not key:
                raise Invalid(_("Bitte einen Namen angeben."), field=f"{field}-name")
            topic_id = row.get("topic_id") or (next(iter(topics)) if len(topics) == 1 else None)
            topic_id = int(topic_id) if topic_id not in (None, "") else None
            if topic_id is not None and topic_id not in topics:
                raise Invalid(_("Unbekanntes Thema."), field=f"{field}-topic_id")
            category = (row.get("category") or "").strip() or None
            if category is not None and category not in known_categories:
                raise Invalid(_("Unbekannte Art der Organisation."), field=f"{field}-category")
            if (topic_id, key) in seen:
                continue
            seen.add((topic_id, key))
            result["nominations"].append(
                {
                    "topic_id": topic_id,
                    "name": name,
                    "key": key,
                    "category": category,
                    "reason": _text(row.get("reason"), f"{field}-reason", REASON_LIMIT, False),
                }
            )
    if survey.asks(Question.COMMENT):
        result["comment"] = _text(data.get("comment"), "comment", COMMENT_LIMIT, one_line=False)
    return result


# --- saving --------------------------------------------------------------------------------------


def _sync(
    recipient: SurveyRecipient,
    kind: ProposalKind,
    wanted: list[dict],
    identity: Callable[[SurveyProposal], tuple],
    build: Callable[[dict], SurveyProposal],
    wanted_identity: Callable[[dict], tuple],
    refresh: Callable[[SurveyProposal, dict], None] | None = None,
) -> tuple[int, int]:
    """Bring the recipient's proposals of one kind in line with the answer: (added,
    withdrawn). Decided ones are history and stay."""
    existing = _standing(recipient, kind)
    by_identity: dict[tuple, SurveyProposal] = {}
    for proposal in existing:
        by_identity.setdefault(identity(proposal), proposal)
    keep = set()
    added = 0
    for item in wanted:
        key = wanted_identity(item)
        found = by_identity.get(key)
        if found is not None:
            keep.add(found.id)
            if refresh is not None and found.status == ProposalStatus.PENDING:
                refresh(found, item)
            continue
        proposal = build(item)
        proposal.survey_id = recipient.survey_id
        proposal.recipient_id = recipient.id
        proposal.actor_id = recipient.actor_id
        proposal.kind = kind
        proposal.status = ProposalStatus.PENDING
        db.session.add(proposal)
        by_identity[key] = proposal
        added += 1
    withdrawn = 0
    for proposal in existing:
        if proposal.id not in keep and proposal.status == ProposalStatus.PENDING:
            proposal.status = ProposalStatus.WITHDRAWN
            withdrawn += 1
    return added, withdrawn


def save_answer(recipient: SurveyRecipient, data: dict[str, Any], commit: bool = True) -> dict:
    """Store the answer as proposals (until the closing date); {kind: added} for the page."""
    survey = recipient.survey
    if survey.is_closed:
        raise Closed(_("Die Befragung ist beendet; Antworten werden nicht mehr angenommen."))
    values = clean_answer(survey, recipient, data)
    actor = recipient.actor
    counts: dict[str, int] = {}

    # the record: one proposal with every field that differs from what is stored
    if survey.asks(Question.RECORD) and actor is not None:
        changes = {
            f: [getattr(actor, f) or "", value]
            for f, value in values["record"].items()
            if value != (getattr(actor, f) or "")
        }
        wanted = [{"changes": changes}] if changes else []
        counts["record"], _kept = _sync(
            recipient,
            ProposalKind.RECORD,
            wanted,
            identity=lambda p: tuple(sorted((f, v[1]) for f, v in p.changes.items())),
            wanted_identity=lambda item: tuple(
                sorted((f, v[1]) for f, v in item["changes"].items())
            ),
            build=lambda item: SurveyProposal(changes=item["changes"]),
        )
        recipient.record_confirmed = values["record_confirmed"]

    if survey.asks(Question.PARTNERS):

        def relation_identity(p: SurveyProposal) -> tuple:
            target = p.target_actor_id or p.name_key
            return (p.topic_id, target, p.relation_kind.value if p.relation_kind else "")

        def refresh_relation(p: SurveyProposal, item: dict) -> None:
            p.strength = item["strength"]
            p.name = item["name"]

        counts["relation"], _kept = _sync(
            recipient,
            ProposalKind.RELATION,
            values["partners"],
            identity=relation_identity,
            wanted_identity=lambda item: (
                item["topic_id"],
                item["target"] or item["key"],
                item["kind"].value,
            ),
            build=lambda item: SurveyProposal(
                topic_id=item["topic_id"],
                target_actor_id=item["target"],
                name=item["name"] if item["target"] is None else "",
                name_key=item["key"] if item["target"] is None else "",
                relation_kind=item["kind"],
                strength=item["strength"],
            ),
            refresh=refresh_relation,
        )

    if survey.asks(Question.TOPICS) and actor is not None:
        current = {
            link.topic_id: link.role
            for link in db.session.scalars(
                sa.select(ActorTopic).where(ActorTopic.actor_id == actor.id)
            )
        }
        wanted = [
            {"topic_id": topic_id, "role": role}
            for topic_id, role in values["roles"].items()
            if role is not None and current.get(topic_id) != role
        ]
        counts["topic_role"], _kept = _sync(
            recipient,
            ProposalKind.TOPIC_ROLE,
            wanted,
            identity=lambda p: (p.topic_id, p.role.value if p.role else ""),
            wanted_identity=lambda item: (item["topic_id"], item["role"].value),
            build=lambda item: SurveyProposal(topic_id=item["topic_id"], role=item["role"]),
        )

    if survey.asks(Question.NOMINATIONS):

        def refresh_nomination(p: SurveyProposal, item: dict) -> None:
            p.name, p.category_key, p.reason = item["name"], item["category"], item["reason"]

        counts["nomination"], _kept = _sync(
            recipient,
            ProposalKind.NOMINATION,
            values["nominations"],
            identity=lambda p: (p.topic_id, p.name_key),
            wanted_identity=lambda item: (item["topic_id"], item["key"]),
            build=lambda item: SurveyProposal(
                topic_id=item["topic_id"],
                name=item["name"],
                name_key=item["key"],
                category_key=item["category"],
                reason=item["reason"],
            ),
            refresh=refresh_nomination,
        )

    now = utcnow()
    if recipient.answered_at is None:
        recipient.answered_at = now
    recipient.saved_at = now
    recipient.comment = values["comment"]
    recipient.consent_map = values["consent_map"]
    who = recipient.name + (f" ({actor.name})" if actor is not None else "")
    record(
        "survey_recipient",
        recipient.id,
        "answer",
        {f"new_{kind}": [None, n] for kind, n in counts.items() if n},
        label=f"Antwort von {who} – Befragung „{survey.title}“",
    )
    if commit:
        db.session.commit()
    return counts


def answer_source(proposal: SurveyProposal) -> str:
    """How the audit trail names where an accepted change came from."""
    who = proposal.recipient.name if proposal.recipient is not None else "(gelöschter Kontakt)"
    org = proposal.actor.name if proposal.actor is not None else ""
    return f"Befragung „{proposal.survey.title}“, Antwort von {who}" + (f" ({org})" if org else "")
