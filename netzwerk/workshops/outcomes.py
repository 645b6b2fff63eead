"""Workshop outcomes: the statements recorded in the room (goals, measure ideas, problems,
commitments) with topic, actors concerned and dot votes; confirming a commitment creates the
topic role or relation it implies; an organisation named in the room becomes a candidate actor;
follow-ups with owner and date. One transaction and audit entry per change."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import gettext as _

from ..actors import services as actor_services
from ..actors.models import Actor
from ..actors.vocab import RelationKind, Status
from ..audit.services import apply_changes, record, reverse, snapshot
from ..core.errors import Conflict, Invalid, NotFound
from ..core.timeutil import utcnow
from ..core.validation import int_in_range, parse_bool, parse_date, vocab_value
from ..extensions import db
from ..topics import services as topic_services
from ..topics.models import ActorTopic, Topic, TopicRole
from .models import FollowUp, Outcome, OutcomeKind, Workshop
from .timefmt import local

OUTCOME_FIELDS = ["kind", "topic_id", "text", "votes", "named_organisation"]
FOLLOW_UP_FIELDS = ["text", "owner_actor_id", "owner", "due_on", "done"]


def _label(outcome: Outcome) -> str:
    return f"{outcome.workshop.title}: {outcome.text[:120]}"


def get_outcome(outcome_id: int, workshop: Workshop | None = None) -> Outcome:
    outcome = db.session.get(Outcome, outcome_id)
    if outcome is None or (workshop is not None and outcome.workshop_id != workshop.id):
        raise NotFound(_("Ergebnis %(outcome_id)s nicht gefunden.", outcome_id=outcome_id))
    return outcome


def _actors(refs: Any, field: str = "actor_ids") -> list[Actor]:
    if refs in (None, ""):
        return []
    if not isinstance(refs, list | tuple | set):
        raise Invalid(_("%(field)s muss eine Liste sein.", field=field), field=field)
    found: list[Actor] = []
    for ref in refs:
        try:
            actor = db.session.get(Actor, int(ref))
        except (TypeError, ValueError):
            actor = None
        if actor is None:
            raise Invalid(_("Unbekannter Akteur: %(ref)s", ref=ref), field=field)
        if actor not in found:
            found.append(actor)
    return found


def clean_outcome(data: dict[str, Any], outcome: Outcome | None) -> dict[str, Any]:
    def current(field: str, default: Any = None) -> Any:
        return data[field] if field in data else getattr(outcome, field, default)

    text = str(current("text", "") or "").strip()
    if not text:
        raise Invalid(_("Der Text fehlt."), field="text")
    if len(text) > 5000:
        raise Invalid(_("Der Text ist zu lang (höchstens 5000 Zeichen)."), field="text")
    kind = vocab_value(OutcomeKind, data, "kind", outcome.kind if outcome else None)
    if kind is None:
        raise Invalid(_("Die Art fehlt (Ziel, Maßnahmenidee, Problem oder Zusage)."), field="kind")
    topic_ref = current("topic_id")
    topic = None
    if topic_ref not in (None, "", 0, "0"):
        topic = topic_services.find_topic(topic_ref)
        if topic is None:
            raise Invalid(
                _("Unbekanntes Thema: %(topic_ref)s", topic_ref=topic_ref), field="topic_id"
            )
    if topic is None:
        raise Invalid(_("Das Thema fehlt."), field="topic_id")
    organisation = " ".join(str(current("named_organisation", "") or "").split())
    if len(organisation) > 200:
        raise Invalid(
            _("Der Name ist zu lang (höchstens 200 Zeichen)."), field="named_organisation"
        )
    values = {
        "kind": kind,
        "topic_id": topic.id,
        "text": text,
        "votes": int_in_range(data, "votes", 0, 100000, outcome.votes if outcome else 0),
        "named_organisation": organisation,
    }
    if "actor_ids" in data or outcome is None:
        values["actors"] = _actors(data.get("actor_ids"))
    return values


def _apply(outcome: Outcome, values: dict[str, Any]) -> dict[str, list]:
    actors = values.pop("actors", None)
    changes = apply_changes(outcome, values)
    if actors is not None:
        before = sorted(a.id for a in outcome.actors)
        if sorted(a.id for a in actors) != before:
            outcome.actors = actors
            changes["actors"] = [before, sorted(a.id for a in actors)]
    return changes


def create_outcome(workshop: Workshop, data: dict[str, Any], commit: bool = True) -> Outcome:
    values = clean_outcome(data, None)
    position = max((o.position for o in workshop.outcomes), default=0) + 1
    outcome = Outcome(workshop=workshop, position=position, kind=values["kind"], text="")
    _apply(outcome, values)
    db.session.add(outcome)
    db.session.flush()
    changes = snapshot(outcome, OUTCOME_FIELDS)
    changes["actors"] = [None, [a.id for a in outcome.actors]]
    record("outcome", outcome.id, "create", changes, label=_label(outcome))
    if commit:
        db.session.commit()
    return outcome


def update_outcome(outcome: Outcome, data: dict[str, Any]) -> Outcome:
    changes = _apply(outcome, clean_outcome(data, outcome))
    if changes:
        record("outcome", outcome.id, "update", changes, label=_label(outcome))
    db.session.commit()
    return outcome


def delete_outcome(outcome: Outcome) -> None:
    record(
        "outcome", outcome.id, "delete", reverse(snapshot(outcome, OUTCOME_FIELDS)), _label(outcome)
    )
    db.session.delete(outcome)
    db.session.commit()


def grouped(workshop: Workshop) -> list[tuple[OutcomeKind, list[tuple[Topic | None, list]]]]:
    """Outcomes by kind (in the vocabulary's order), then by topic, most votes first."""
    by_kind: dict[OutcomeKind, dict] = {kind: defaultdict(list) for kind in OutcomeKind}
    for outcome in workshop.outcomes:
        by_kind[outcome.kind][outcome.topic].append(outcome)
    result = []
    for kind, topics in by_kind.items():
        if not topics:
            continue
        ordered = sorted(
            topics.items(),
            key=lambda kv: (kv[0] is None, topic_services.natural_key(kv[0].code) if kv[0] else ()),
        )
        result.append(
            (
                kind,
                [(t, sorted(items, key=lambda o: (-o.votes, o.position))) for t, items in ordered],
            )
        )
    return result


def source_label(outcome: Outcome) -> str:
    """Where a goal or measure came from: "aus Fokusgruppe SDG 12, 14.05.2025, 7 Punkte"."""
    workshop = outcome.workshop
    day = (
        format_date(local(workshop.starts_at, workshop.timezone).date(), "medium")
        if workshop.starts_at
        else ""
    )
    parts = [workshop.title] + ([day] if day else [])
    return _("aus %(source)s, %(n)s Punkte", source=", ".join(parts), n=outcome.votes)


# --- confirming what a commitment implies --------------------------------------------------------


def confirm_commitment(outcome: Outcome, data: dict[str, Any]) -> str:
    """Create the topic role (what="role": actor_id, role) or the relation (what="relation":
    actor_id, target_id, kind) a commitment implies; returns what was created, in German for
    the audit trail and the outcome."""
    if outcome.kind != OutcomeKind.COMMITMENT:
        raise Invalid(_("Nur eine Zusage kann übernommen werden."), field="kind")
    if outcome.applied_at is not None:
        raise Conflict(
            _(
                "Diese Zusage wurde schon übernommen: %(applied_note)s",
                applied_note=outcome.applied_note,
            )
        )
    what = data.get("what")
    actor = _actors([data.get("actor_id")], "actor_id")[0] if data.get("actor_id") else None
    if actor is None:
        raise Invalid(_("Bitte den Akteur wählen, der die Zusage gibt."), field="actor_id")
    if what == "role":
        topic = outcome.topic
        if topic is None:
            raise Invalid(_("Die Zusage hat kein Thema."), field="topic_id")
        role = vocab_value(TopicRole, data, "role", None)
        if role is None:
            raise Invalid(_("Bitte die Rolle im Thema wählen."), field="role")
        link = db.session.scalar(
            sa.select(ActorTopic).where(
                ActorTopic.actor_id == actor.id, ActorTopic.topic_id == topic.id
            )
        )
        if link is None:
            topic_services.link_actor(actor, topic, role, _note(outcome), commit=False)
        elif link.role != role:
            changes = apply_changes(link, {"role": role})
            record("actor_topic", link.id, "update", changes, label=f"{actor.name} – {topic.code}")
        else:
            raise Conflict(
                _(
                    "%(name)s hat in %(code)s schon die Rolle „%(label)s“.",
                    name=actor.name,
                    code=topic.code,
                    label=role.label,
                ),
                field="role",
            )
        note = f"Themenrolle: {actor.name} – {topic.code} ({role.value})"
    elif what == "relation":
        target = _actors([data.get("target_id")], "target_id")[0] if data.get("target_id") else None
        if target is None:
            raise Invalid(_("Bitte den anderen Akteur der Beziehung wählen."), field="target_id")
        kind = vocab_value(RelationKind, data, "kind", None)
        if kind is None:
            raise Invalid(_("Bitte die Art der Beziehung wählen."), field="kind")
        actor_services.create_relation(
            {
                "source_id": actor.id,
                "target_id": target.id,
                "kind": kind,
                "directed": kind in (RelationKind.FUNDING, RelationKind.INSTRUCTION),
                "note": _note(outcome),
            },
            commit=False,
        )
        note = f"Beziehung: {actor.name} → {target.name} ({kind.value})"
    else:
        raise Invalid(_("Bitte wählen: Themenrolle oder Beziehung."), field="what")
    changes = apply_changes(outcome, {"applied_at": utcnow(), "applied_note": note[:300]})
    if actor not in outcome.actors:
        outcome.actors.append(actor)
    record("outcome", outcome.id, "apply", changes, label=_label(outcome))
    db.session.commit()
    return note


def _note(outcome: Outcome) -> str:
    return f"Zusage im Workshop „{outcome.workshop.title}“: {outcome.text[:200]}"


def create_candidate(outcome: Outcome, data: dict[str, Any]) -> Actor:
    """The organisation named in the room as a candidate actor, linked to the outcome's topic
    (interessiert) and to the outcome; an existing actor of that name is linked instead."""
    name = " ".join(str(data.get("name") or outcome.named_organisation or "").split())
    if not name:
        raise Invalid(_("Der Name der Organisation fehlt."), field="name")
    actor = actor_services.find_actor_by_name(name)
    if actor is None:
        actor = actor_services.create_actor(
            {
                "name": name,
                "category": data.get("category"),
                "status": Status.CANDIDATE,
                "description": f"Genannt im Workshop „{outcome.workshop.title}“.",
            },
            commit=False,
        )
    if outcome.topic is not None and not any(
        link.topic_id == outcome.topic_id for link in actor.topic_links
    ):
        topic_services.link_actor(
            actor, outcome.topic, TopicRole.INTERESTED, _note(outcome), commit=False
        )
    changes = apply_changes(outcome, {"named_organisation": ""})
    if actor not in outcome.actors:
        outcome.actors.append(actor)
        changes["actors"] = [None, actor.id]
    record("outcome", outcome.id, "candidate", changes, label=_label(outcome))
    db.session.commit()
    return actor


# --- follow-ups ----------------------------------------------------------------------------------


def get_follow_up(follow_up_id: int, workshop: Workshop | None = None) -> FollowUp:
    item = db.session.get(FollowUp, follow_up_id)
    if item is None or (workshop is not None and item.workshop_id != workshop.id):
        raise NotFound(_("Aufgabe %(follow_up_id)s nicht gefunden.", follow_up_id=follow_up_id))
    return item


def clean_follow_up(data: dict[str, Any], item: FollowUp | None) -> dict[str, Any]:
    def current(field: str, default: Any = None) -> Any:
        return data[field] if field in data else getattr(item, field, default)

    text = " ".join(str(current("text", "") or "").split())
    if not text:
        raise Invalid(_("Was ist zu tun? Der Text fehlt."), field="text")
    if len(text) > 500:
        raise Invalid(_("Der Text ist zu lang (höchstens 500 Zeichen)."), field="text")
    owner = " ".join(str(current("owner", "") or "").split())[:200]
    owner_actor = current("owner_actor_id")
    owner_actor = _actors([owner_actor], "owner_actor_id")[0] if owner_actor else None
    if owner_actor is None and not owner:
        raise Invalid(_("Wer kümmert sich? Bitte einen Akteur oder Namen angeben."), field="owner")
    return {
        "text": text,
        "owner_actor_id": owner_actor.id if owner_actor else None,
        "owner": owner,
        "due_on": parse_date(current("due_on"), "due_on"),
        "done": parse_bool(current("done", False), "done"),
    }


def create_follow_up(workshop: Workshop, data: dict[str, Any]) -> FollowUp:
    item = FollowUp(workshop=workshop, **clean_follow_up(data, None))
    db.session.add(item)
    db.session.flush()
    record("follow_up", item.id, "create", snapshot(item, FOLLOW_UP_FIELDS), label=item.text)
    db.session.commit()
    return item


def update_follow_up(item: FollowUp, data: dict[str, Any]) -> FollowUp:
    changes = apply_changes(item, clean_follow_up(data, item))
    if changes:
        record("follow_up", item.id, "update", changes, label=item.text)
    db.session.commit()
    return item


def delete_follow_up(item: FollowUp) -> None:
    record("follow_up", item.id, "delete", reverse(snapshot(item, FOLLOW_UP_FIELDS)), item.text)
    db.session.delete(item)
    db.session.commit()
