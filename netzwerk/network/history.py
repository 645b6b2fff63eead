"""How the open gaps of a topic developed, rebuilt from the audit trail.

Every link of an actor to a topic is in the audit trail ("actor_topic" create/delete, and the
actor's own delete, which removes its links with it), so the actors a topic had on any past
day are known; the checklist of today is applied to them. A link created before the audit
trail (none in practice: the demo and imports go through the services) counts from its actor's
creation. Simplifications, said here and in the README: an actor counts with its category and
status of today (or of its deletion); the checklist is today's.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import gettext as _

from ..actors.models import Actor
from ..actors.vocab import Status
from ..audit.models import AuditEntry
from ..core.drawing import Scene
from ..extensions import db
from ..topics.models import ActorTopic, Topic
from ..workshops.models import Workshop, WorkshopStatus, workshop_topic
from . import analysis, reference_store

LINK = "actor_topic"


@dataclass(frozen=True)
class Span:
    """One actor on the topic from `start` until `end` (None: still), with its category."""

    actor_id: int
    category: str
    active: bool
    start: datetime | None
    end: datetime | None

    def holds(self, moment: datetime) -> bool:
        return (self.start is None or self.start <= moment) and (
            self.end is None or moment < self.end
        )


def _entries() -> list:
    return read_entries((LINK, "actor"))


def read_entries(entities: tuple[str, ...]) -> list:
    """The create and delete entries of these entities, oldest first: (entity, entity_id,
    action, changes, created_at). Also read by past.py, which rebuilds whole past networks."""
    return db.session.execute(
        sa.select(
            AuditEntry.entity,
            AuditEntry.entity_id,
            AuditEntry.action,
            AuditEntry.changes,
            AuditEntry.created_at,
        )
        .where(AuditEntry.entity.in_(entities), AuditEntry.action.in_(("create", "delete")))
        .order_by(AuditEntry.id)
    ).all()


def spans(topic_id: int, entries: list | None = None) -> list[Span]:
    """The topic's actor links over time, from the current rows and the audit trail."""
    entries = _entries() if entries is None else entries
    created: dict[int, datetime] = {}
    link_of: dict[int, tuple[int, int]] = {}  # link id → (actor, topic), also of removed links
    removed: dict[int, datetime] = {}
    actor_gone: dict[int, tuple[datetime, dict]] = {}
    for entity, entity_id, action, changes, at in entries:
        if entity == LINK:
            side = 1 if action == "create" else 0
            actor_id = (changes.get("actor_id") or [None, None])[side]
            topic = (changes.get("topic_id") or [None, None])[side]
            if actor_id is not None and topic is not None:
                link_of[entity_id] = (int(actor_id), int(topic))
            if action == "create":
                created[entity_id] = at
            else:
                removed[entity_id] = at
        elif action == "delete":
            actor_gone[entity_id] = (at, {k: v[0] for k, v in (changes or {}).items()})
    actors = {
        row.id: row
        for row in db.session.execute(
            sa.select(Actor.id, Actor.category_key, Actor.status, Actor.created_at)
        )
    }
    result = []
    current = db.session.execute(
        sa.select(ActorTopic.id, ActorTopic.actor_id).where(ActorTopic.topic_id == topic_id)
    ).all()
    for link_id, actor_id in current:
        actor = actors[actor_id]
        result.append(
            Span(
                actor_id,
                actor.category_key,
                actor.status == Status.ACTIVE,
                created.get(link_id, actor.created_at),
                None,
            )
        )
    now_ids = {link_id for link_id, _ in current}
    for link_id, (actor_id, topic) in link_of.items():
        if topic != topic_id or link_id in now_ids:
            continue
        end = removed.get(link_id) or (actor_gone.get(actor_id) or (None,))[0]
        if end is None:  # gone with its topic
            continue
        if actor_id in actors:
            category, active = actors[actor_id].category_key, actors[actor_id].status
        else:
            values = actor_gone.get(actor_id, (None, {}))[1]
            category, active = values.get("category_key") or "", values.get("status")
        result.append(
            Span(actor_id, category, active in (Status.ACTIVE, "aktiv"), created.get(link_id), end)
        )
    return result


def open_gaps(topic: Topic, moment: datetime, links: list[Span], reference: dict) -> int:
    """How many of today's checklist entries the topic's actors at `moment` did not fill."""
    there = {s.actor_id: s for s in links if s.holds(moment) and s.active}
    have = Counter(s.category for s in there.values())
    expected = analysis.expected_for(reference, topic.code)
    return sum(1 for item in expected if have[item["category"]] < item["min"])


def gap_history(
    topic: Topic, now: datetime, entries: list | None = None, reference: dict | None = None
) -> dict:
    """{"points": [(moment, open gaps)], "workshops": [(moment, title)]}: the open gaps at the
    start of the record, at each held workshop of the topic, and now."""
    links = spans(topic.id, entries)
    reference = reference if reference is not None else reference_store.reference_dict()
    workshops = db.session.execute(
        sa.select(Workshop.starts_at, Workshop.title)
        .join(workshop_topic)
        .where(
            workshop_topic.c.topic_id == topic.id,
            Workshop.status != WorkshopStatus.CANCELLED,
            Workshop.starts_at.is_not(None),
            Workshop.starts_at <= now,
        )
        .order_by(Workshop.starts_at)
    ).all()
    starts = [s.start for s in links if s.start is not None]
    first = min([*starts, *(w.starts_at for w in workshops)], default=now)
    moments = sorted({first, *(w.starts_at for w in workshops), now})
    return {
        "points": [(m, open_gaps(topic, m, links, reference)) for m in moments],
        "workshops": [(w.starts_at, w.title) for w in workshops],
    }


def gap_histories(topics: list[Topic], now: datetime) -> dict[int, dict]:
    """gap_history for several topics, reading the audit trail once."""
    entries = _entries()
    reference = reference_store.reference_dict()
    return {t.id: gap_history(t, now, entries, reference) for t in topics}


def gap_chart(topic: Topic, history: dict) -> dict[str, str] | None:
    """The open gaps over time as a small step chart with the workshops as markers: {"uri",
    "description"}; None while there is only one point in time."""
    points = history["points"]
    if len(points) < 2:
        return None
    width, height, left, right, top, bottom = 440, 120, 34, 16, 14, 30
    first, last = points[0][0], points[-1][0]
    span = (last - first).total_seconds() or 1.0
    most = max(n for _m, n in points) or 1

    def x(moment: datetime) -> float:
        return left + (width - left - right) * (moment - first).total_seconds() / span

    def y(n: int) -> float:
        return top + (height - top - bottom) * (1 - n / most)

    scene = Scene(width, height)
    scene.line(left, y(0), width - right, y(0), color="#8a94a3")
    for moment, _title in history["workshops"]:
        scene.line(x(moment), top - 4, x(moment), y(0), color="#8a5a00", dash=True)
        scene.rect(x(moment) - 3, y(0) + 2, 6, 6, fill="#8a5a00")
    steps = []
    for i, (moment, n) in enumerate(points):
        if i:
            steps.append((x(moment), y(points[i - 1][1])))
        steps.append((x(moment), y(n)))
    scene.polyline(steps, color="#b8860b", width=2.5)
    for moment, n in (points[0], points[-1]):
        anchor = "start" if moment == first else "end"
        scene.text(x(moment), y(n) - 5, str(n), size=11, anchor=anchor, bold=True)
    scene.text(left, height - 6, format_date(first.date(), "medium"), size=9, color="#5b6472")
    scene.text(width - right, height - 6, _("heute"), size=9, anchor="end", color="#5b6472")
    path = " → ".join(str(n) for _m, n in points)
    workshops = "; ".join(
        f"{format_date(m.date(), 'medium')} {title}" for m, title in history["workshops"]
    )
    description = _(
        "Offene Lücken bei %(topic)s seit %(day)s: %(path)s.",
        topic=topic.code,
        day=format_date(first.date(), "medium"),
        path=path,
    )
    if workshops:
        description += " " + _("Workshops: %(items)s.", items=workshops)
    title = _("Offene Lücken bei %(topic)s im Verlauf", topic=topic.code)
    return {"uri": scene.svg_data_uri(title, description), "description": description}
