"""The review queue: what respondents propose, grouped and matched, and the editors' decisions.

Accepting writes through the normal services (actors.services, topics.services), inside
audit.services.source(...), so every audit entry names the survey and the respondent.
Nominations are decided as groups: the same organisation named by several respondents is one
entry ("genannt von 4 Akteuren"), and a decision on one proposal of a group is a decision on
the group. Two respondents proposing conflicting corrections of one record both stay in the
queue; accepting one marks the other as superseded.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_request_context
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from ..actors import services as actors
from ..actors.models import Actor, Relation
from ..actors.vocab import Reciprocity, Status
from ..audit.services import data_version, record, source
from ..core.errors import DomainError, Invalid
from ..core.timeutil import utcnow
from ..extensions import db
from ..topics import services as topics
from ..topics.models import ActorTopic, Topic, TopicRole
from .answers import answer_source
from .matching import Matcher, group_keys, normalise
from .models import (
    SETTLED,
    ProposalKind,
    ProposalStatus,
    Survey,
    SurveyProposal,
    SurveyRecipient,
)

PER_PAGE = 50


# --- who decides ---------------------------------------------------------------------------------


def _reviewer() -> str:
    if has_request_context() and current_user.is_authenticated:
        return current_user.username
    return "system"


def _settle(proposal: SurveyProposal, status: ProposalStatus, note: str = "") -> None:
    proposal.status = status
    proposal.reviewed_at = utcnow()
    proposal.reviewed_by = _reviewer()
    proposal.review_note = note[:300]


# --- groups of nominations -----------------------------------------------------------------------


def nomination_groups_of(survey_id: int) -> dict[str, str]:
    """name_key → group key for the named organisations of one survey: nominations and
    partners that are not in the network yet (the same organisation spelt alike)."""
    keys = db.session.scalars(
        sa.select(SurveyProposal.name_key).where(
            SurveyProposal.survey_id == survey_id,
            SurveyProposal.name_key != "",
            SurveyProposal.kind == ProposalKind.NOMINATION,
        )
    )
    return group_keys(keys)


def group_members(
    proposal: SurveyProposal, groups: dict[str, str] | None = None
) -> list[SurveyProposal]:
    """The open nominations of the same organisation and topic in the survey (the proposal
    itself first); `groups`: nomination_groups_of(the survey), if known."""
    if proposal.kind != ProposalKind.NOMINATION:
        return [proposal]
    if groups is None:
        groups = nomination_groups_of(proposal.survey_id)
    leader = groups.get(proposal.name_key, proposal.name_key)
    keys = [key for key, lead in groups.items() if lead == leader] or [proposal.name_key]
    others = db.session.scalars(
        sa.select(SurveyProposal)
        .where(
            SurveyProposal.survey_id == proposal.survey_id,
            SurveyProposal.kind == ProposalKind.NOMINATION,
            SurveyProposal.status == ProposalStatus.PENDING,
            SurveyProposal.name_key.in_(keys),
            SurveyProposal.topic_id.is_(None)
            if proposal.topic_id is None
            else SurveyProposal.topic_id == proposal.topic_id,
            SurveyProposal.id != proposal.id,
        )
        .order_by(SurveyProposal.id)
    )
    # the status in memory counts: a bulk decision settles groups before it flushes
    return [proposal, *(o for o in others if o.status == ProposalStatus.PENDING)]


def _display_name(members: Iterable[SurveyProposal]) -> str:
    """The spelling most respondents used (ties: the first)."""
    counts = Counter(m.name.strip() for m in members if m.name.strip())
    return counts.most_common(1)[0][0] if counts else ""


def _nominated_category(members: Iterable[SurveyProposal]) -> str | None:
    counts = Counter(m.category_key for m in members if m.category_key)
    return counts.most_common(1)[0][0] if counts else None


# --- decisions -----------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What a (bulk) decision did: proposals settled, and those left with the reason."""

    accepted: int = 0
    merged: int = 0
    rejected: int = 0
    superseded: int = 0
    reopened: int = 0
    skipped: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "merged": self.merged,
            "rejected": self.rejected,
            "superseded": self.superseded,
            "reopened": self.reopened,
            "skipped": self.skipped,
        }


class _Batch:
    """What one decision or a bulk decision reads again and again: relations by unordered
    pair of actors, who named whom, the nomination groups of a survey. A bulk accept of
    thousands of proposals reads each once (preload), a single decision only its own pair."""

    def __init__(self, preload: bool = False) -> None:
        self.preloaded = preload
        self.relations: dict[tuple[int, int], list[Relation]] = {}
        self.named: set[tuple[int, int]] = set()
        self.groups: dict[int, dict[str, str]] = {}
        # relations made in this decision: (relation, proposal, audit source or None when
        # the relation was made for an earlier proposal); written by finish() with one flush
        self.created: list[tuple[Relation, SurveyProposal, str | None]] = []
        self.new_relations: set[Relation] = set()
        if preload:
            for relation in db.session.scalars(sa.select(Relation)):
                pair = self.key(relation.source_id, relation.target_id)
                self.relations.setdefault(pair, []).append(relation)
            self.named = set(db.session.execute(self._named_query()).all())

    @staticmethod
    def key(a: int, b: int) -> tuple[int, int]:
        return (a, b) if a < b else (b, a)

    @staticmethod
    def _named_query() -> sa.Select:
        return sa.select(SurveyProposal.actor_id, SurveyProposal.target_actor_id).where(
            SurveyProposal.kind == ProposalKind.RELATION,
            SurveyProposal.status.in_(SETTLED),
            SurveyProposal.actor_id.is_not(None),
            SurveyProposal.target_actor_id.is_not(None),
        )

    def _load_pair(self, a: int, b: int) -> None:
        pair = self.key(a, b)
        if self.preloaded or pair in self.relations:
            return
        self.relations[pair] = list(
            db.session.scalars(
                sa.select(Relation).where(
                    sa.or_(
                        sa.and_(Relation.source_id == a, Relation.target_id == b),
                        sa.and_(Relation.source_id == b, Relation.target_id == a),
                    )
                )
            )
        )
        query = self._named_query().where(
            sa.or_(
                sa.and_(SurveyProposal.actor_id == a, SurveyProposal.target_actor_id == b),
                sa.and_(SurveyProposal.actor_id == b, SurveyProposal.target_actor_id == a),
            )
        )
        self.named.update(db.session.execute(query).all())

    def pair_relations(self, a: int, b: int) -> list[Relation]:
        self._load_pair(a, b)
        return self.relations.setdefault(self.key(a, b), [])

    def name(self, a: int, b: int) -> None:
        self._load_pair(a, b)
        self.named.add((a, b))

    def reciprocity(self, a: int, b: int) -> Reciprocity | None:
        self._load_pair(a, b)
        sides = ((a, b) in self.named) + ((b, a) in self.named)
        if sides == 2:
            return Reciprocity.CONFIRMED
        return Reciprocity.ONE_SIDED if sides == 1 else None

    def finish(self) -> None:
        """One flush for every relation made, then their audit entries, each with the source
        of the answer it came from, and the proposals point at their relations."""
        if not self.created:
            return
        db.session.flush()
        for relation, proposal, origin in self.created:
            proposal.result_relation_id = relation.id
            if origin is not None:
                with source(origin):
                    actors.record_new_relation(relation)
        self.created.clear()
        self.new_relations.clear()

    def survey_groups(self, survey_id: int) -> dict[str, str]:
        if survey_id not in self.groups:
            self.groups[survey_id] = nomination_groups_of(survey_id)
        return self.groups[survey_id]


def _record_decision(survey: Survey, action: str, outcome: Outcome) -> None:
    """One entry per decision in the survey's trail; it also moves the change counter, so the
    gap analysis sees a rejected nomination at once."""
    changes = {k: [None, v] for k, v in outcome.as_dict().items() if v and k != "skipped"}
    if outcome.skipped:
        changes["skipped"] = [None, len(outcome.skipped)]
    record("survey", survey.id, action, changes, label=f"Befragung „{survey.title}“: Prüfung")


def accept(proposal: SurveyProposal, options: dict[str, Any] | None = None) -> Outcome:
    """Accept one proposal (a nomination: its whole group); one transaction."""
    outcome = Outcome()
    batch = _Batch()
    _accept(proposal, options or {}, outcome, batch)
    batch.finish()
    _record_decision(proposal.survey, "accept", outcome)
    db.session.commit()
    return outcome


def _accept(
    proposal: SurveyProposal, options: dict[str, Any], outcome: Outcome, batch: _Batch
) -> None:
    if proposal.status != ProposalStatus.PENDING:
        raise Invalid(_("Der Vorschlag ist schon %(label)s.", label=proposal.status.label))
    with source(answer_source(proposal)):
        if proposal.kind == ProposalKind.RECORD:
            _accept_record(proposal, outcome)
        elif proposal.kind == ProposalKind.TOPIC_ROLE:
            _accept_role(proposal, outcome)
        elif proposal.kind == ProposalKind.RELATION:
            _accept_relation(proposal, options, outcome, batch)
        else:
            _accept_nomination(proposal, options, outcome, batch)


def _accept_record(proposal: SurveyProposal, outcome: Outcome) -> None:
    actor = proposal.actor
    if actor is None:
        raise Invalid(_("Die Organisation gibt es nicht mehr."))
    data = {f: new for f, (_old, new) in proposal.changes.items()}
    actors.update_actor(actor, data, commit=False)
    proposal.result_actor_id = actor.id
    _settle(proposal, ProposalStatus.ACCEPTED)
    outcome.accepted += 1
    fields = set(proposal.changes)
    rivals = db.session.scalars(
        sa.select(SurveyProposal).where(
            SurveyProposal.kind == ProposalKind.RECORD,
            SurveyProposal.actor_id == actor.id,
            SurveyProposal.status == ProposalStatus.PENDING,
            SurveyProposal.id != proposal.id,
        )
    )
    for rival in rivals:
        if fields & set(rival.changes):
            _settle(rival, ProposalStatus.SUPERSEDED, f"überholt durch Vorschlag #{proposal.id}")
            outcome.superseded += 1


def _accept_role(proposal: SurveyProposal, outcome: Outcome) -> None:
    actor, topic = proposal.actor, proposal.topic
    if actor is None or topic is None:
        raise Invalid(_("Organisation oder Thema gibt es nicht mehr."))
    link = db.session.scalar(
        sa.select(ActorTopic).where(
            ActorTopic.actor_id == actor.id, ActorTopic.topic_id == topic.id
        )
    )
    if link is None:
        topics.link_actor(actor, topic, proposal.role, commit=False)
    elif link.role != proposal.role:
        topics.update_link(link, {"role": proposal.role.value}, commit=False)
    _settle(proposal, ProposalStatus.ACCEPTED)
    outcome.accepted += 1
    rivals = db.session.scalars(
        sa.select(SurveyProposal).where(
            SurveyProposal.kind == ProposalKind.TOPIC_ROLE,
            SurveyProposal.actor_id == actor.id,
            SurveyProposal.topic_id == topic.id,
            SurveyProposal.status == ProposalStatus.PENDING,
            SurveyProposal.id != proposal.id,
        )
    )
    for rival in rivals:
        _settle(rival, ProposalStatus.SUPERSEDED, f"überholt durch Vorschlag #{proposal.id}")
        outcome.superseded += 1


def _new_partner(proposal: SurveyProposal, options: dict[str, Any]) -> Actor:
    """The partner a respondent typed in as new: an actor with that name if there is one
    now (someone accepted a nomination meanwhile), else a new candidate actor of the chosen
    category, linked to the topic."""
    found = actors.find_actor_by_name(proposal.name)
    if found is None:
        key = proposal.name_key or normalise(proposal.name)
        found = db.session.scalar(sa.select(Actor).where(Actor.name_key == key))
    if found is not None:
        return found
    category = options.get("category")
    if not category:
        raise Invalid(
            _(
                "„%(name)s“ ist noch kein Akteur: bitte eine Kategorie wählen oder mit "
                "einem vorhandenen Akteur zusammenführen.",
                name=proposal.name,
            ),
            field="category",
        )
    actor = actors.create_actor(
        {
            "name": options.get("name") or proposal.name,
            "category": category,
            "status": Status.CANDIDATE.value,
        },
        commit=False,
    )
    if proposal.topic is not None:
        topics.link_actor(actor, proposal.topic, TopicRole.CONTRIBUTING, commit=False)
    return actor


def _accept_relation(
    proposal: SurveyProposal,
    options: dict[str, Any],
    outcome: Outcome,
    batch: _Batch,
    target: Actor | None = None,
) -> None:
    source_actor = proposal.actor
    if source_actor is None:
        raise Invalid(_("Die Organisation der Antwort gibt es nicht mehr."))
    if target is None:
        target = proposal.target or _new_partner(proposal, options)
    if target.id == source_actor.id:
        raise Invalid(_("Ein Akteur kann keine Beziehung zu sich selbst haben."))
    merged = proposal.target_actor_id is None
    proposal.target_actor_id = target.id
    merging = merged and options.get("merge")
    _settle(proposal, ProposalStatus.MERGED if merging else ProposalStatus.ACCEPTED)
    batch.name(source_actor.id, target.id)
    value = batch.reciprocity(source_actor.id, target.id)
    existing = batch.pair_relations(source_actor.id, target.id)
    same_kind = next((r for r in existing if r.kind == proposal.relation_kind), None)
    if same_kind is None:
        relation = actors.add_relation(
            {
                "source_id": source_actor.id,
                "target_id": target.id,
                "kind": proposal.relation_kind,  # members, not keys: nothing to look up
                "strength": proposal.strength or 2,
                "reciprocity": value or "",
            },
            check_duplicate=False,  # the pair's relations are in `existing`
        )
        existing.append(relation)
        batch.new_relations.add(relation)
        batch.created.append((relation, proposal, answer_source(proposal)))
    else:
        relation = same_kind
        batch.created.append((relation, proposal, None))
    for other in existing:
        if other.reciprocity == value:
            continue
        if other in batch.new_relations:  # its audit entry is written with its final value
            other.reciprocity = value
        else:
            actors.update_relation(
                other, {"reciprocity": value.value if value else ""}, commit=False
            )
    if proposal.status == ProposalStatus.MERGED:
        outcome.merged += 1
    else:
        outcome.accepted += 1


def _accept_nomination(
    proposal: SurveyProposal, options: dict[str, Any], outcome: Outcome, batch: _Batch
) -> None:
    members = group_members(proposal, batch.survey_groups(proposal.survey_id))
    name = (options.get("name") or "").strip() or _display_name(members)
    category = options.get("category") or _nominated_category(members)
    if not category:
        raise Invalid(
            _(
                "Für „%(name)s“ bitte eine Kategorie wählen (niemand hat die Art der "
                "Organisation angegeben).",
                name=name,
            ),
            field="category",
        )
    existing = actors.find_actor_by_name(name)
    if existing is not None and existing.id in {m.result_actor_id for m in members}:
        # accepted before, reopened and accepted again: the actor made then is this one
        for member in members:
            member.result_actor_id = existing.id
            _settle(member, ProposalStatus.ACCEPTED)
            outcome.accepted += 1
        return
    if existing is not None:
        raise Invalid(
            _(
                "„%(name)s“ gibt es schon (#%(id)s): bitte zusammenführen.",
                name=existing.name,
                id=existing.id,
            ),
            field="name",
        )
    survey = proposal.survey
    named_by = sorted({m.actor.name for m in members if m.actor is not None})
    reasons = [m.reason for m in members if m.reason]
    description = f"Genannt in der Befragung „{survey.title}“ von {', '.join(named_by)}."
    if reasons:
        description += "\n" + "\n".join(f"– {r}" for r in reasons)
    actor = actors.create_actor(
        {
            "name": name,
            "category": category,
            "status": Status.CANDIDATE.value,
            "description": description[:20000],
        },
        commit=False,
    )
    if proposal.topic is not None:
        topics.link_actor(
            actor,
            proposal.topic,
            TopicRole.INTERESTED,
            note=f"genannt von {len(named_by)} Akteuren (Befragung „{survey.title}“)",
            commit=False,
        )
    for member in members:
        member.result_actor_id = actor.id
        _settle(member, ProposalStatus.ACCEPTED)
        outcome.accepted += 1


def merge(proposal: SurveyProposal, actor_id: Any) -> Outcome:
    """The organisation a respondent named is an actor already: a nomination group is linked
    to it (and to the topic); a relation to a new partner becomes a relation to it."""
    try:
        target = actors.get_actor(int(actor_id))
    except (TypeError, ValueError) as exc:
        raise Invalid(_("actor_id muss die Nummer eines Akteurs sein."), field="actor_id") from exc
    if proposal.status != ProposalStatus.PENDING:
        raise Invalid(_("Der Vorschlag ist schon %(label)s.", label=proposal.status.label))
    outcome = Outcome()
    with source(answer_source(proposal)):
        if proposal.kind == ProposalKind.RELATION:
            if proposal.target_actor_id is not None:
                raise Invalid(_("Der Partner ist schon ein Akteur; bitte annehmen."))
            batch = _Batch()
            _accept_relation(proposal, {"merge": True}, outcome, batch, target=target)
            batch.finish()
        elif proposal.kind == ProposalKind.NOMINATION:
            members = group_members(proposal)
            if proposal.topic is not None:
                linked = db.session.scalar(
                    sa.select(ActorTopic.id).where(
                        ActorTopic.actor_id == target.id, ActorTopic.topic_id == proposal.topic_id
                    )
                )
                if linked is None:
                    named = len({m.actor_id for m in members if m.actor_id})
                    topics.link_actor(
                        target,
                        proposal.topic,
                        TopicRole.INTERESTED,
                        note=f"genannt von {named} Akteuren (Befragung „{proposal.survey.title}“)",
                        commit=False,
                    )
            for member in members:
                member.result_actor_id = target.id
                _settle(member, ProposalStatus.MERGED, f"zusammengeführt mit {target.name}")
                outcome.merged += 1
        else:
            raise Invalid(_("Nur Nennungen und neue Partner lassen sich zusammenführen."))
    _record_decision(proposal.survey, "merge", outcome)
    db.session.commit()
    return outcome


def reject(proposal: SurveyProposal, note: str = "") -> Outcome:
    """Reject a proposal (a nomination: its whole group); nothing changes in the network."""
    if proposal.status != ProposalStatus.PENDING:
        raise Invalid(_("Der Vorschlag ist schon %(label)s.", label=proposal.status.label))
    outcome = Outcome()
    _reject(proposal, note, outcome, _Batch())
    _record_decision(proposal.survey, "reject", outcome)
    db.session.commit()
    return outcome


# decisions an editor can take back; a withdrawn proposal is the respondent's own doing
REOPENABLE = (
    ProposalStatus.ACCEPTED,
    ProposalStatus.MERGED,
    ProposalStatus.REJECTED,
    ProposalStatus.SUPERSEDED,
)


def reopen(proposal: SurveyProposal) -> Outcome:
    """Put a decided proposal back into the queue (a nomination: the decided members of its
    group with the same decision). What accepting created (an actor, a contact, a relation)
    stays: it may be linked, invited or edited since, and the audit trail shows where it came
    from; the coordinator removes it on its own page if it was wrong. The proposal keeps the
    link to it (result_actor/result_relation), so accepting again reuses it."""
    if proposal.status not in REOPENABLE:
        raise Invalid(
            _(
                "Der Vorschlag ist %(label)s und lässt sich nicht öffnen.",
                label=proposal.status.label,
            )
        )
    members = [proposal]
    if proposal.kind == ProposalKind.NOMINATION:
        groups = nomination_groups_of(proposal.survey_id)
        leader = groups.get(proposal.name_key, proposal.name_key)
        keys = [key for key, lead in groups.items() if lead == leader] or [proposal.name_key]
        members += db.session.scalars(
            sa.select(SurveyProposal).where(
                SurveyProposal.survey_id == proposal.survey_id,
                SurveyProposal.kind == ProposalKind.NOMINATION,
                SurveyProposal.status == proposal.status,
                SurveyProposal.name_key.in_(keys),
                SurveyProposal.topic_id.is_(None)
                if proposal.topic_id is None
                else SurveyProposal.topic_id == proposal.topic_id,
                SurveyProposal.id != proposal.id,
            )
        ).all()
    outcome = Outcome()
    for member in members:
        member.status = ProposalStatus.PENDING
        member.reviewed_at = None
        member.reviewed_by = ""
        member.review_note = ""
        outcome.reopened += 1
    _record_decision(proposal.survey, "reopen", outcome)
    db.session.commit()
    return outcome


def _reject(proposal: SurveyProposal, note: str, outcome: Outcome, batch: _Batch) -> None:
    for member in group_members(proposal, batch.survey_groups(proposal.survey_id)):
        _settle(member, ProposalStatus.REJECTED, note)
        outcome.rejected += 1


def decide_many(
    survey: Survey,
    action: str,
    ids: Iterable[Any] | None = None,
    kind: str | None = None,
    options: dict[str, Any] | None = None,
) -> Outcome:
    """Accept or reject many open proposals of a survey in one transaction: the given ids,
    or all open ones (of one kind). A proposal that cannot be accepted as it is (a new
    organisation without a category, a name taken meanwhile) is skipped with the reason."""
    if action not in ("accept", "reject"):
        raise Invalid(_("Unbekannte Aktion: %(action)s", action=action), field="action")
    query = sa.select(SurveyProposal).where(
        SurveyProposal.survey_id == survey.id, SurveyProposal.status == ProposalStatus.PENDING
    )
    if kind:
        parsed = ProposalKind.parse(kind)
        if parsed is None:
            raise Invalid(_("Unbekannte Art: %(kind)s", kind=kind), field="kind")
        query = query.where(SurveyProposal.kind == parsed)
    if ids is not None:
        try:
            wanted = [int(i) for i in ids]
        except (TypeError, ValueError) as exc:
            raise Invalid(_("ids müssen Nummern sein."), field="ids") from exc
        if not wanted:
            raise Invalid(_("Bitte mindestens einen Vorschlag auswählen."), field="ids")
        query = query.where(SurveyProposal.id.in_(wanted))
    proposals = list(db.session.scalars(query.order_by(SurveyProposal.id)))
    # everything a decision reads, loaded at once (thousands of proposals)
    db.session.scalars(sa.select(Actor)).all()
    db.session.scalars(sa.select(Topic)).all()
    db.session.scalars(
        sa.select(SurveyRecipient)
        .where(SurveyRecipient.survey_id == survey.id)
        .options(selectinload(SurveyRecipient.contact))
    ).all()
    outcome = Outcome()
    batch = _Batch(preload=action == "accept")
    options = options or {}
    with db.session.no_autoflush:
        for proposal in proposals:
            if proposal.status != ProposalStatus.PENDING:
                continue  # settled with its group or superseded in this batch
            try:
                if action == "accept":
                    _accept(proposal, options, outcome, batch)
                else:
                    _reject(proposal, options.get("note", ""), outcome, batch)
            except DomainError as exc:
                outcome.skipped.append({"id": proposal.id, "error": exc.message})
        batch.finish()
    _record_decision(survey, action, outcome)
    db.session.commit()
    return outcome


# --- the queue as the page and the API read it ---------------------------------------------------


def counts(survey: Survey) -> dict[str, dict[str, int]]:
    """{kind: {status: n}} of the survey's proposals."""
    result: dict[str, dict[str, int]] = {
        kind.value: dict.fromkeys((s.value for s in ProposalStatus), 0) for kind in ProposalKind
    }
    rows = db.session.execute(
        sa.select(SurveyProposal.kind, SurveyProposal.status, sa.func.count(SurveyProposal.id))
        .where(SurveyProposal.survey_id == survey.id)
        .group_by(SurveyProposal.kind, SurveyProposal.status)
    )
    for kind, status, n in rows:
        result[ProposalKind(kind).value][ProposalStatus(status).value] = n
    return result


@dataclass
class QueueFilters:
    kind: ProposalKind | None = ProposalKind.RELATION  # None: every kind (API)
    status: ProposalStatus | None = ProposalStatus.PENDING
    topic_id: int | None = None
    actor_id: int | None = None


def parse_filters(args: dict[str, Any], survey: Survey) -> QueueFilters:
    """?kind= status= (or "alle") topic= actor_id=; the kind defaults to the first one with
    open proposals."""
    result = QueueFilters()
    if value := args.get("kind"):
        kind = ProposalKind.parse(value)
        if kind is None:
            raise Invalid(_("Unbekannte Art: %(value)s", value=value), field="kind")
        result.kind = kind
    else:
        open_counts = counts(survey)
        result.kind = next(
            (k for k in ProposalKind if open_counts[k.value][ProposalStatus.PENDING.value]),
            ProposalKind.RELATION,
        )
    if value := args.get("status"):
        if value in ("alle", "all"):
            result.status = None
        else:
            status = ProposalStatus.parse(value)
            if status is None:
                raise Invalid(_("Unbekannter Status: %(value)s", value=value), field="status")
            result.status = status
    for name, attr in (("topic", "topic_id"), ("actor_id", "actor_id")):
        if value := args.get(name):
            try:
                setattr(result, attr, int(value))
            except (TypeError, ValueError) as exc:
                raise Invalid(_("%(name)s muss eine Nummer sein.", name=name), field=name) from exc
    return result


def _base_query(survey: Survey, f: QueueFilters) -> sa.Select:
    query = sa.select(SurveyProposal).where(SurveyProposal.survey_id == survey.id)
    if f.kind is not None:
        query = query.where(SurveyProposal.kind == f.kind)
    if f.status is not None:
        query = query.where(SurveyProposal.status == f.status)
    if f.topic_id is not None:
        query = query.where(SurveyProposal.topic_id == f.topic_id)
    if f.actor_id is not None:
        query = query.where(SurveyProposal.actor_id == f.actor_id)
    return query


def proposal_query(survey: Survey, f: QueueFilters) -> sa.Select:
    return _base_query(survey, f).order_by(SurveyProposal.id)


def _matcher() -> Matcher:
    """The likely-duplicate finder over every actor's name, kept on the app until the data
    changes (every change of an actor raises the data version), so a page of the review
    queue does not normalise all names again."""
    version = data_version()
    cache = current_app.extensions.setdefault("netzwerk.surveys.matcher", {})
    if cache.get("version") != version:
        cache["matcher"] = Matcher(
            {
                ident: normalise(name)
                for ident, name in db.session.execute(sa.select(Actor.id, Actor.name))
            }
        )
        cache["version"] = version
    return cache["matcher"]


def queue_page(survey: Survey, f: QueueFilters, page: int = 1) -> dict[str, Any]:
    """One page of the queue of one kind: rows (nominations: groups), with what the editor
    needs to decide (the diff, the partner's own answer, likely duplicates)."""
    if f.kind == ProposalKind.NOMINATION:
        return _nomination_page(survey, f, page)
    query = _base_query(survey, f)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(page, 1), pages)
    proposals = list(
        db.session.scalars(
            query.order_by(SurveyProposal.id)
            .limit(PER_PAGE)
            .offset((page - 1) * PER_PAGE)
            .options(
                selectinload(SurveyProposal.actor),
                selectinload(SurveyProposal.target),
                selectinload(SurveyProposal.topic),
                selectinload(SurveyProposal.recipient),
            )
        )
    )
    if f.kind == ProposalKind.RECORD:
        rows = _record_rows(proposals)
    elif f.kind == ProposalKind.RELATION:
        rows = _relation_rows(proposals)
    else:
        rows = _role_rows(proposals)
    return {"rows": rows, "total": total, "page": page, "pages": pages}


def _record_rows(proposals: list[SurveyProposal]) -> list[dict]:
    """Each correction as a diff against the stored record; other open corrections of the
    same record are named (a conflict the editor resolves by accepting one)."""
    actor_ids = {p.actor_id for p in proposals if p.actor_id}
    open_by_actor: dict[int, list[SurveyProposal]] = {}
    if actor_ids:
        for other in db.session.scalars(
            sa.select(SurveyProposal).where(
                SurveyProposal.kind == ProposalKind.RECORD,
                SurveyProposal.status == ProposalStatus.PENDING,
                SurveyProposal.actor_id.in_(actor_ids),
            )
        ):
            open_by_actor.setdefault(other.actor_id, []).append(other)
    rows = []
    for p in proposals:
        actor = p.actor
        diff = [
            {
                "field": f,
                "asked": old,
                "current": getattr(actor, f) if actor is not None else None,
                "proposed": new,
            }
            for f, (old, new) in p.changes.items()
        ]
        rivals = [
            o
            for o in open_by_actor.get(p.actor_id, [])
            if o.id != p.id and set(o.changes) & set(p.changes)
        ]
        rows.append({"proposal": p, "diff": diff, "rivals": rivals})
    return rows


def _relation_rows(proposals: list[SurveyProposal]) -> list[dict]:
    """Each named partner, with whether the partner named the respondent too and, for a
    partner typed in as new, the actors it most likely is."""
    pairs = {(p.actor_id, p.target_actor_id) for p in proposals if p.target_actor_id}
    answered_back: set[tuple[int, int]] = set()
    if pairs:
        sources = {a for a, _ in pairs} | {b for _, b in pairs}
        answered_back = set(
            db.session.execute(
                sa.select(SurveyProposal.actor_id, SurveyProposal.target_actor_id).where(
                    SurveyProposal.kind == ProposalKind.RELATION,
                    SurveyProposal.status.in_(
                        (ProposalStatus.PENDING, ProposalStatus.ACCEPTED, ProposalStatus.MERGED)
                    ),
                    SurveyProposal.actor_id.in_(sources),
                    SurveyProposal.target_actor_id.in_(sources),
                )
            ).all()
        )
    matcher = _matcher() if any(p.target_actor_id is None for p in proposals) else None
    actors_by_id = {}
    rows = []
    for p in proposals:
        matches = []
        if p.target_actor_id is None and matcher is not None:
            found = matcher.matches(p.name_key)
            missing = [i for i, _ in found if i not in actors_by_id]
            if missing:
                for a in db.session.scalars(sa.select(Actor).where(Actor.id.in_(missing))):
                    actors_by_id[a.id] = a
            matches = [(actors_by_id[i], score) for i, score in found if i in actors_by_id]
        rows.append(
            {
                "proposal": p,
                "mutual": (p.target_actor_id, p.actor_id) in answered_back,
                "matches": matches,
            }
        )
    return rows


def _role_rows(proposals: list[SurveyProposal]) -> list[dict]:
    keys = {(p.actor_id, p.topic_id) for p in proposals}
    current = {}
    if keys:
        actor_ids = {a for a, _ in keys}
        for link in db.session.scalars(
            sa.select(ActorTopic).where(ActorTopic.actor_id.in_(actor_ids))
        ):
            current[(link.actor_id, link.topic_id)] = link.role
    return [{"proposal": p, "current": current.get((p.actor_id, p.topic_id))} for p in proposals]


def nomination_groups(survey: Survey, f: QueueFilters) -> list[dict]:
    """The named organisations as groups: one entry per organisation and topic, "genannt von
    N Akteuren", most often named first. Read as plain rows (thousands of nominations); the
    objects a page shows are loaded for its groups only (_nomination_page)."""
    query = _base_query(survey, f).with_only_columns(
        SurveyProposal.id,
        SurveyProposal.name,
        SurveyProposal.name_key,
        SurveyProposal.topic_id,
        SurveyProposal.actor_id,
        SurveyProposal.category_key,
        SurveyProposal.reason,
        SurveyProposal.status,
    )
    rows = db.session.execute(query.order_by(SurveyProposal.id)).all()
    leaders = group_keys(r.name_key for r in rows)
    grouped: dict[tuple, list] = {}
    for r in rows:
        grouped.setdefault((r.topic_id, leaders.get(r.name_key, r.name_key)), []).append(r)
    groups = []
    for (topic_id, key), members in grouped.items():
        named_by = {m.actor_id for m in members if m.actor_id is not None}
        groups.append(
            {
                "key": key,
                "topic_id": topic_id,
                "name": _display_name(members),
                "spellings": sorted({m.name for m in members}),
                "named_by_ids": named_by,
                "count": len(named_by) or len(members),
                "category": _nominated_category(members),
                "reasons": [m.reason for m in members if m.reason],
                "proposal_ids": [m.id for m in members],
                "first_id": members[0].id,
                "status": ProposalStatus(members[0].status),
            }
        )
    groups.sort(key=lambda g: (-g["count"], g["name"].casefold()))
    return groups


def _nomination_page(survey: Survey, f: QueueFilters, page: int) -> dict[str, Any]:
    groups = nomination_groups(survey, f)
    total = len(groups)
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(page, 1), pages)
    shown = groups[(page - 1) * PER_PAGE : page * PER_PAGE]
    if shown:
        firsts = {
            p.id: p
            for p in db.session.scalars(
                sa.select(SurveyProposal).where(
                    SurveyProposal.id.in_([g["first_id"] for g in shown])
                )
            )
        }
        topic_ids = {g["topic_id"] for g in shown if g["topic_id"] is not None}
        topics_by_id = (
            {t.id: t for t in db.session.scalars(sa.select(Topic).where(Topic.id.in_(topic_ids)))}
            if topic_ids
            else {}
        )
        matcher = _matcher()
        found = {g["key"]: matcher.matches(g["key"]) for g in shown}
        ids = {i for hits in found.values() for i, _ in hits}
        ids |= {i for g in shown for i in g["named_by_ids"]}
        # plain rows: the page shows only names and links (whole actors cost a third of it)
        by_id = (
            {
                a.id: a
                for a in db.session.execute(
                    sa.select(Actor.id, Actor.name, Actor.name_key).where(Actor.id.in_(ids))
                )
            }
            if ids
            else {}
        )
        for g in shown:
            g["first"] = firsts[g["first_id"]]
            g["topic"] = topics_by_id.get(g["topic_id"])
            g["named_by"] = sorted(
                (by_id[i] for i in g["named_by_ids"] if i in by_id), key=lambda a: a.name_key
            )
            g["matches"] = [(by_id[i], score) for i, score in found[g["key"]] if i in by_id]
    return {"rows": shown, "total": total, "page": page, "pages": pages}


def proposal_json(p: SurveyProposal) -> dict[str, Any]:
    """A proposal for the API: what was proposed, by which organisation, and its state."""
    from ..core.api import iso

    body: dict[str, Any] = {
        "id": p.id,
        "survey_id": p.survey_id,
        "kind": p.kind.value,
        "status": p.status.value,
        "recipient_id": p.recipient_id,
        "actor_id": p.actor_id,
        "actor": p.actor.name if p.actor is not None else None,
        "topic_id": p.topic_id,
        "created_at": iso(p.created_at),
        "reviewed_at": iso(p.reviewed_at),
        "reviewed_by": p.reviewed_by or None,
        "review_note": p.review_note or None,
        "result_actor_id": p.result_actor_id,
        "result_relation_id": p.result_relation_id,
    }
    if p.kind == ProposalKind.RECORD:
        body["changes"] = p.changes
    elif p.kind == ProposalKind.RELATION:
        body.update(
            target_actor_id=p.target_actor_id,
            name=p.partner_name,
            relation_kind=p.relation_kind.value if p.relation_kind else None,
            strength=p.strength,
        )
    elif p.kind == ProposalKind.TOPIC_ROLE:
        body["role"] = p.role.value if p.role else None
    else:
        body.update(name=p.name, name_key=p.name_key, category=p.category_key, reason=p.reason)
    return body
