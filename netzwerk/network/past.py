"""The network of a past day, rebuilt from the audit trail, and what changed since a day.

Actors, relations and topic links are created and deleted through the services, which write
an audit entry each time ("actor", "relation", "actor_topic"; create/delete). Deleting an
actor removes its relations and links with it, without entries of their own: they end with
their actor. So each of them has a life from its creation to its deletion (none: still
there), and the network of any day is the one of the lives that held at its end (midnight,
Europe/Berlin). Something created before the audit trail counts from its row's creation.

Simplifications, said here and in the README: an actor, a relation and a link show the
values of today (or of their deletion, when they are gone): a changed name, category,
status, relation kind or role is not turned back. Topics are today's, each from its
creation; deleted topics and their links are left out. The checklist is today's. Workshops,
projects and the organisations named in surveys are not rebuilt (the past map leaves
projects and nominations off and shows the workshops that had begun by then).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import networkx as nx
import sqlalchemy as sa
from flask_babel import gettext as _

from ..actors.models import Actor, Relation
from ..core.api import BadRequest
from ..core.errors import Invalid
from ..core.timeutil import DEFAULT_TZ, as_utc, in_zone, utcnow
from ..extensions import db
from ..topics.models import Topic
from . import history, state
from .graph import (
    graph_from_data,
    read_actors,
    read_category_labels,
    read_links,
    read_relations,
    read_topics,
    topic_node,
)

ENTITIES = ("actor", "relation", history.LINK)
KEPT_DAYS = 8  # past networks and comparisons kept per state of the data
ACTOR_VALUES = {  # graph field → audited actor field
    "name": "name",
    "short_name": "short_name",
    "category": "category_key",
    "sector": "sector",
    "level": "level",
    "status": "status",
    "power": "power",
    "interest": "interest",
    "city": "city",
    "country": "country",
}
RELATION_VALUES = ("source_id", "target_id", "kind", "directed", "strength", "reciprocity")
LINK_VALUES = ("actor_id", "topic_id", "role")


@dataclass(frozen=True)
class Life:
    """One actor, relation or link from `start` until `end` (None: unknown start, or still
    there), with the row the graph is built from."""

    id: int
    start: datetime | None
    end: datetime | None
    row: dict = field(compare=False, hash=False)

    def holds(self, moment: datetime) -> bool:
        return (self.start is None or self.start <= moment) and (
            self.end is None or moment < self.end
        )


@dataclass(frozen=True)
class Timeline:
    actors: list[Life]
    relations: list[Life]
    links: list[Life]
    topics: dict[int, datetime | None]  # today's topics: id → creation

    def ends(self) -> dict[str, datetime]:
        """Node or edge id ("a3", "r7", "l2") → when it was removed, of everything removed."""
        result = {}
        for prefix, lives in (("a", self.actors), ("r", self.relations), ("l", self.links)):
            for life in lives:
                if life.end is not None:
                    result[f"{prefix}{life.id}"] = life.end
        return result

    def starts(self) -> dict[str, datetime]:
        """Node or edge id → when it was created (where known)."""
        result = {}
        for prefix, lives in (("a", self.actors), ("r", self.relations), ("l", self.links)):
            for life in lives:
                if life.start is not None:
                    result[f"{prefix}{life.id}"] = life.start
        return result


# --- days ----------------------------------------------------------------------------------------


def end_of_day(day: date) -> datetime:
    """The last moment of `day` in Germany, as naive UTC (as the audit trail stores it)."""
    local = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=ZoneInfo(DEFAULT_TZ))
    return as_utc(local) - timedelta(microseconds=1)


def today() -> date:
    return in_zone(utcnow(), DEFAULT_TZ).date()


def first_day() -> date | None:
    """The day of the first recorded change (Germany): where the map's time line starts."""
    from ..audit.models import AuditEntry

    first = db.session.scalar(sa.select(sa.func.min(AuditEntry.created_at)))
    return in_zone(first, DEFAULT_TZ).date() if first is not None else None


def parse_day(value: str | None, name: str) -> date | None:
    """?at= or ?seit=: an ISO date (2026-03-01); empty → None. Not a date → BadRequest (400);
    a day after today → Invalid (422): the network of tomorrow is not known yet."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise BadRequest(
            _(
                "%(name)s: „%(text)s“ ist kein Datum (JJJJ-MM-TT, z. B. 2026-03-01).",
                name=name,
                text=text,
            ),
            field=name,
        ) from None
    if day > today():
        raise Invalid(
            _("%(name)s: %(day)s liegt in der Zukunft.", name=name, day=day.isoformat()),
            field=name,
        )
    return day


# --- the lives -----------------------------------------------------------------------------------


def _after(changes: dict, side: int, names) -> dict:
    return {n: (changes.get(n) or [None, None])[side] for n in names}


def timeline(entries: list | None = None) -> Timeline:
    """Every actor, relation and link with its life, from the current rows and the trail."""
    entries = history.read_entries(ENTITIES) if entries is None else entries
    opened: dict[tuple[str, int], tuple[datetime, dict]] = {}
    closed: dict[str, list[tuple[int, datetime | None, datetime, dict]]] = {e: [] for e in ENTITIES}
    actor_deleted: dict[int, list[datetime]] = {}
    for entity, entity_id, action, changes, at in entries:
        changes = changes or {}
        if action == "create":
            opened[(entity, entity_id)] = (at, changes)
            continue
        start, created = opened.pop((entity, entity_id), (None, {}))
        values = {n: v[0] for n, v in changes.items() if isinstance(v, list) and len(v) == 2}
        closed[entity].append((entity_id, start, at, {**_after(created, 1, created), **values}))
        if entity == "actor":
            actor_deleted.setdefault(entity_id, []).append(at)

    def start_of(entity: str, row_id: int, created_at: datetime | None) -> datetime | None:
        hit = opened.pop((entity, row_id), None)
        return hit[0] if hit is not None else created_at

    created = dict(db.session.execute(sa.select(Actor.id, Actor.created_at)).all())
    actors = [
        Life(row[0], start_of("actor", row[0], created.get(row[0])), None, _actor_row(row))
        for row in read_actors()
    ]
    for actor_id, start, end, values in closed["actor"]:
        row = {"id": actor_id, **{k: values.get(v) for k, v in ACTOR_VALUES.items()}}
        row = {k: v for k, v in row.items() if v is not None}
        row.setdefault("name", f"#{actor_id}")
        actors.append(Life(actor_id, start, end, row))

    def gone_with_actor(start: datetime | None, *actor_ids) -> datetime | None:
        times = [
            t for a in actor_ids for t in actor_deleted.get(a, []) if start is None or t >= start
        ]
        return min(times, default=None)

    created = dict(db.session.execute(sa.select(Relation.id, Relation.created_at)).all())
    relations = [
        Life(row[0], start_of("relation", row[0], created.get(row[0])), None, _row(row, "r"))
        for row in read_relations()
    ]
    for relation_id, start, end, values in closed["relation"]:
        relations.append(Life(relation_id, start, end, {"id": relation_id, **values}))
    links = [
        Life(row[0], start_of(history.LINK, row[0], None), None, _row(row, "l"))
        for row in read_links()
    ]
    for link_id, start, end, values in closed[history.LINK]:
        links.append(Life(link_id, start, end, {"id": link_id, **values}))
    # relations and links whose actor was deleted: created in the trail, never deleted there
    for (entity, row_id), (start, changes) in opened.items():
        if entity == "relation":
            row = {"id": row_id, **_after(changes, 1, RELATION_VALUES)}
            end = gone_with_actor(start, row["source_id"], row["target_id"])
            if end is not None:
                relations.append(Life(row_id, start, end, row))
        elif entity == history.LINK:
            row = {"id": row_id, **_after(changes, 1, LINK_VALUES)}
            end = gone_with_actor(start, row["actor_id"])
            if end is not None:
                links.append(Life(row_id, start, end, row))
    starts = {a.id: a.start for a in actors if a.end is None}
    links = [
        Life(life.id, life.start or starts.get(life.row.get("actor_id")), life.end, life.row)
        for life in links
    ]
    topics = dict(db.session.execute(sa.select(Topic.id, Topic.created_at)).all())
    return Timeline(actors, relations, links, topics)


def _actor_row(row: tuple) -> dict:
    from .graph import ACTOR_FIELDS

    return dict(zip(ACTOR_FIELDS, row, strict=True))


def _row(row: tuple, kind: str) -> dict:
    from .graph import LINK_FIELDS, RELATION_FIELDS

    names = RELATION_FIELDS if kind == "r" else LINK_FIELDS
    return dict(zip(names, row, strict=False))


# --- the graph of a moment -----------------------------------------------------------------------


def graph_at(moment: datetime, line: Timeline | None = None) -> nx.MultiDiGraph:
    """The network as it was at `moment` (naive UTC)."""
    line = line if line is not None else timeline()
    actors = {}
    for life in line.actors:
        if life.holds(moment):
            actors[life.id] = life.row
    topics = [
        row
        for row in read_topics()
        if line.topics.get(row[0]) is None or line.topics[row[0]] <= moment
    ]
    topic_ids = {row[0] for row in topics}
    links = [
        life.row
        for life in line.links
        if life.holds(moment)
        and life.row.get("actor_id") in actors
        and life.row.get("topic_id") in topic_ids
    ]
    relations = [
        life.row
        for life in line.relations
        if life.holds(moment)
        and life.row.get("source_id") in actors
        and life.row.get("target_id") in actors
    ]
    graph = graph_from_data(
        actors.values(),
        topics,
        [_clean(row, ("id", "actor_id", "topic_id", "role")) for row in links],
        [_clean(row, ("id", *RELATION_VALUES)) for row in relations],
        category_labels=read_category_labels(),
    )
    graph.graph["category_labels_en"] = read_category_labels(lang="en")
    return graph


def _clean(row: dict, names: tuple[str, ...]) -> dict:
    return {n: row[n] for n in names if row.get(n) is not None}


def _timeline(snap: state.Snapshot) -> Timeline:
    return snap.value("past-timeline", timeline)


def snapshot_at(day: date, snap: state.Snapshot | None = None) -> state.Snapshot:
    """The analysis state of the end of `day` (its gaps, metrics, map), kept with the current
    state: rebuilt only after the data changed."""
    snap = snap or state.snapshot()

    def build() -> state.Snapshot:
        graph = graph_at(end_of_day(day), _timeline(snap))
        return state.Snapshot(snap.key, graph, snap.reference, state.Analyses())

    return kept(snap, ("past", day), build)


def kept(snap: state.Snapshot, key: Any, build: Callable[[], Any]) -> Any:
    """A value of a past day kept with the current state, the last KEPT_DAYS of them (a user
    stepping through dates must not keep a graph per day in memory)."""
    store = snap.value("past-days", OrderedDict)
    with _kept_lock:
        hit = store.get(key)
        if hit is not None:
            store.move_to_end(key)
            return hit
    hit = build()  # outside the lock: two requests may build the same day once each
    with _kept_lock:
        store[key] = hit
        while len(store) > KEPT_DAYS:
            store.popitem(last=False)
    return hit


_kept_lock = threading.Lock()


# --- comparing two days --------------------------------------------------------------------------


def changes_since(since: date, now: state.Snapshot, snap: state.Snapshot | None = None) -> dict:
    """What changed between the end of `since` and the state `now` (today or a past day):
    {"since": graph of then, "added": ids, "removed": ids, "when": id → datetime of the change,
    "closed": gaps of then that `now` no longer has}. Ids are node and edge ids (a3, r7, l2)."""
    snap = snap or state.snapshot()
    then = snapshot_at(since, snap)
    line = _timeline(snap)
    old, new = then.graph, now.graph
    old_items = set(old.nodes) | {k for _u, _v, k in old.edges(keys=True)}
    new_items = set(new.nodes) | {k for _u, _v, k in new.edges(keys=True)}
    ends, starts = line.ends(), line.starts()
    added = {i for i in new_items - old_items if not i.startswith("t")}
    removed = {i for i in old_items - new_items if not i.startswith("t")}
    when = {i: starts[i] for i in added if i in starts}
    when.update({i: ends[i] for i in removed if i in ends})
    open_now = {(g["topic_id"], g["category"]) for g in now.gaps()}
    closed = [g for g in then.gaps() if (g["topic_id"], g["category"]) not in open_now]
    closed = [g for g in closed if topic_node(g["topic_id"]) in new]
    return {"since": old, "added": added, "removed": removed, "when": when, "closed": closed}
