"""The analysis as the report pages, the API and the exports need it: cached and labelled.

Building the graph and computing findings and metrics costs up to seconds at 8,000 actors, and
the answer only changes when the data does. Every change writes an audit entry, so the newest
audit id is the change counter: results are kept per app until it moves. Each process keeps its
own cache, and a cache can never be stale, because the counter is read from the database on every
call (one indexed SELECT).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import networkx as nx
import sqlalchemy as sa
from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..actors.models import Actor
from ..actors.services import actor_query, get_actor, update_actor
from ..actors.vocab import Sector, Status
from ..audit.models import AuditEntry
from ..core.errors import Invalid
from ..extensions import db
from ..topics.models import TopicRole
from . import analysis
from .graph import actor_node, build_graph
from .reference_store import ensure_reference, reference_dict

EXTENSION = "network_reports"

QUADRANT_HINTS = {
    "eng_einbinden": _l("Großer Einfluss, großes Interesse: eng einbinden, mitentscheiden lassen."),
    "zufriedenstellen": _l(
        "Großer Einfluss, geringes Interesse: zufriedenstellen, über Entscheidungen informieren."
    ),
    "informieren": _l("Geringer Einfluss, großes Interesse: regelmäßig informieren, beteiligen."),
    "beobachten": _l(
        "Geringer Einfluss, geringes Interesse: beobachten, mit wenig Aufwand pflegen."
    ),
}
SEVERITY_LABELS = {"hoch": _l("hoch"), "mittel": _l("mittel"), "niedrig": _l("niedrig")}
METRIC_SORTS = ("label", "category", "sector", "degree", "betweenness", "community")
DEFAULT_METRIC_SORT = "-betweenness"
GRID_LIMIT = 400
SCALE = range(1, 6)


# --- the cache -----------------------------------------------------------------------------------


class Snapshot:
    """The graph and reference of one state of the database, and whatever was derived from it."""

    def __init__(self, key: int, graph: nx.MultiDiGraph, reference: dict):
        self.key = key
        self.graph = graph
        self.reference = reference
        self._values: dict[str, Any] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def value(self, name: str, compute: Callable[[], Any]) -> Any:
        """Compute once per name; a slow name (metrics) does not block a fast one (gaps)."""
        if name not in self._values:
            with self._lock:
                lock = self._locks.setdefault(name, threading.Lock())
            with lock:
                if name not in self._values:
                    self._values[name] = compute()
        return self._values[name]

    def gaps(self) -> list[dict]:
        return self.value("gaps", lambda: analysis.gaps(self.graph, self.reference))

    def findings(self) -> list[dict]:
        """Structural findings; the category gaps have their own table and endpoint."""
        return self.value("findings", lambda: analysis.findings(self.graph))

    def metrics(self) -> list[dict]:
        return self.value("metrics", lambda: analysis.metrics(self.graph))

    def coverage(self, all_actors: bool = False) -> dict:
        return self.value(
            f"coverage-{all_actors}",
            lambda: analysis.coverage(self.graph, self.reference, all_actors=all_actors),
        )


def change_counter() -> int:
    return db.session.scalar(sa.select(sa.func.max(AuditEntry.id))) or 0


def snapshot() -> Snapshot:
    """The analysis state for the current data, rebuilt only after a change."""
    store = current_app.extensions.setdefault(
        EXTENSION, {"snapshot": None, "lock": threading.Lock()}
    )
    current = store["snapshot"]
    if current is not None and current.key == change_counter():
        return current
    with store["lock"]:
        key = change_counter()
        current = store["snapshot"]
        if current is not None and current.key == key:
            return current
        if ensure_reference():
            key = change_counter()
        # the key is read before the data, so a change in between only makes the cache fresher
        current = Snapshot(key, build_graph(), reference_dict())
        store["snapshot"] = current
        return current


def clear_cache() -> None:
    current_app.extensions.pop(EXTENSION, None)


# --- topics --------------------------------------------------------------------------------------


def topics(snap: Snapshot | None = None) -> list[dict]:
    snap = snap or snapshot()
    return [_topic_summary(snap.graph, node) for node in analysis.topic_nodes(snap.graph)]


def _topic_summary(graph: nx.MultiDiGraph, node: str) -> dict:
    attrs = graph.nodes[node]
    return {
        "id": attrs["id"],
        "code": attrs["code"],
        "title": attrs["title"],
        "label": attrs["label"],
        "node": node,
    }


def resolve_topic(ref: str | int | None, snap: Snapshot | None = None) -> dict | None:
    """A topic by id ("2") or code ("SDG12", "sdg 12"); None for no filter; Invalid if unknown."""
    if ref is None or str(ref).strip() == "":
        return None
    text = str(ref).strip()
    for topic in topics(snap):
        if text.isdigit() and topic["id"] == int(text):
            return topic
        if analysis.normalize_code(topic["code"]) == analysis.normalize_code(text):
            return topic
    raise Invalid(f"Unbekanntes Thema: {text}", field="topic")


# --- gaps ----------------------------------------------------------------------------------------


def gap_list(topic_ref: str | int | None = None) -> list[dict]:
    """Gaps with labels and the candidate actors already noted for each, for page and API."""
    snap = snapshot()
    topic = resolve_topic(topic_ref, snap)
    labels = snap.graph.graph.get("category_labels", {})
    candidates = snap.value("candidates", lambda: _candidates(snap.graph))
    titles = {t["code"]: t["label"] for t in topics(snap)}
    return [
        {
            "topic": gap["topic"],
            "topic_id": gap["topic_id"],
            "topic_label": titles.get(gap["topic"], gap["topic"]),
            "category": gap["category"],
            "category_label": labels.get(gap["category"], gap["category"]),
            "have": gap["have"],
            "need": gap["need"],
            "candidates": gap["candidates"],
            "candidate_actors": candidates.get((gap["topic"], gap["category"]), []),
            "reason": gap["reason"],
        }
        for gap in snap.gaps()
        if topic is None or gap["topic"] == topic["code"]
    ]


def gaps_by_topic(topic_ref: str | int | None = None) -> list[dict]:
    """[{"topic": summary, "gaps": [...]}] for every topic (or the one asked for), also those
    without gaps, so the page can say that nothing is missing."""
    snap = snapshot()
    chosen = resolve_topic(topic_ref, snap)
    grouped: dict[str, list] = defaultdict(list)
    for gap in gap_list(chosen["code"] if chosen else None):
        grouped[gap["topic"]].append(gap)
    return [
        {"topic": t, "gaps": grouped.get(t["code"], [])}
        for t in topics(snap)
        if chosen is None or t["id"] == chosen["id"]
    ]


def _candidates(graph: nx.MultiDiGraph) -> dict[tuple[str, str], list[dict]]:
    """(topic code, category) -> candidate actors linked to the topic."""
    found: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for topic in analysis.topic_nodes(graph):
        code = graph.nodes[topic]["code"]
        for node in analysis.linked_actors(graph, topic):
            attrs = graph.nodes[node]
            if attrs["status"] == Status.CANDIDATE:
                found[(code, attrs["category"])].append(_actor_ref(graph, node))
    return found


def _actor_ref(graph: nx.Graph, node: str) -> dict:
    attrs = graph.nodes[node]
    return {"id": attrs["id"], "label": attrs["label"]}


# --- findings ------------------------------------------------------------------------------------


def finding_list(topic_ref: str | int | None = None) -> list[dict]:
    """Structural findings with the actors concerned; with a topic, those about the topic or
    about actors linked to it."""
    snap = snapshot()
    topic = resolve_topic(topic_ref, snap)
    code = topic["code"] if topic else None
    return snap.value(f"findings:{code}", lambda: _findings_for(snap, topic))


def _findings_for(snap: Snapshot, topic: dict | None) -> list[dict]:
    linked: set[int] = set()
    if topic is not None:
        nodes = analysis.linked_actors(snap.graph, topic["node"])
        linked = {snap.graph.nodes[n]["id"] for n in nodes}
    result = []
    for finding in snap.findings():
        if topic is not None:
            if finding["topic"] not in (None, topic["code"]):
                continue
            if finding["topic"] is None and not linked.intersection(finding["actors"]):
                continue
        refs = [
            _actor_ref(snap.graph, actor_node(i))
            for i in finding["actors"]
            if actor_node(i) in snap.graph
        ]
        result.append({**finding, "actor_refs": refs})
    return result


def severity_label(severity: str) -> str:
    return str(SEVERITY_LABELS.get(severity, severity))


# --- metrics -------------------------------------------------------------------------------------


def parse_sort(sort: str | None) -> tuple[str, bool]:
    """ "-degree" → ("degree", descending). Unknown keys are an error, not silently ignored."""
    sort = (sort or DEFAULT_METRIC_SORT).strip()
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key not in METRIC_SORTS:
        raise Invalid(
            f"Unbekannte Sortierung: {sort} (erlaubt: {', '.join(METRIC_SORTS)})", field="sort"
        )
    return key, descending


def metric_rows(sort: str | None = None, topic_ref: str | int | None = None) -> list[dict]:
    """Degree, betweenness and community per actor, sorted on the server (works without JS).

    Kept per sort, topic and language, so paging through 8,000 rows does not sort each time.
    """
    key, descending = parse_sort(sort)
    snap = snapshot()
    topic = resolve_topic(topic_ref, snap)
    code = topic["code"] if topic else None
    name = f"metrics:{key}:{descending}:{code}:{get_locale()}"
    return snap.value(name, lambda: _metric_rows(snap, key, descending, topic))


def _metric_rows(snap: Snapshot, key: str, descending: bool, topic: dict | None) -> list[dict]:
    """A new order of the same row dicts: each sort and filter costs a list of references."""
    rows = snap.value(f"metrics-labelled:{get_locale()}", lambda: _labelled_metrics(snap))
    if topic is not None:
        nodes = analysis.linked_actors(snap.graph, topic["node"])
        linked = {snap.graph.nodes[n]["id"] for n in nodes}
        rows = [r for r in rows if r["id"] in linked]

    def order(row: dict):
        value = row[key]
        return value.casefold() if isinstance(value, str) else value

    rows = sorted(rows, key=lambda r: r["label"].casefold())
    rows.sort(key=order, reverse=descending)
    return rows


def _labelled_metrics(snap: Snapshot) -> list[dict]:
    labels = snap.graph.graph.get("category_labels", {})
    sectors = {member.value: member.label for member in Sector}
    return [
        {
            **row,
            "category_label": labels.get(row["category"], row["category"]),
            "sector_label": sectors.get(row["sector"], row["sector"]),
            "group": row["community"] + 1,
        }
        for row in snap.metrics()
    ]


# --- coverage ------------------------------------------------------------------------------------


def coverage_view(category: str | None = None, all_actors: bool = False) -> dict:
    """The actor × topic matrix and the have/need table, ready for the template."""
    snap = snapshot()
    data = snap.coverage(all_actors)
    labels = snap.graph.graph.get("category_labels", {})
    codes = [t["code"] for t in data["topics"]]
    needs: dict[str, dict[str, dict]] = {}
    for item in data["categories"]:
        cell = {**item, "missing": item["have"] < item["need"]}
        needs.setdefault(item["category"], {})[item["topic"]] = cell
    need_rows = [
        {
            "category": key,
            "label": labels.get(key, key),
            "cells": [cells.get(code) for code in codes],
        }
        for key, cells in needs.items()
    ]
    roles = {role.value: role.label for role in TopicRole}
    rows = [
        {
            "actor": row["actor"],
            "label": row["label"],
            "category": row["category"],
            "category_label": labels.get(row["category"], row["category"]),
            "cells": [
                {"role": row["roles"][code], "label": roles.get(row["roles"][code], "")}
                if code in row["roles"]
                else None
                for code in codes
            ],
        }
        for row in data["rows"]
        if not category or row["category"] == category
    ]
    used = sorted({row["category"] for row in data["rows"]})
    return {
        "topics": data["topics"],
        "need_rows": need_rows,
        "rows": rows,
        "categories": [(key, labels.get(key, key)) for key in used],
    }


# --- power/interest grid -------------------------------------------------------------------------


def quadrant_label(key: str) -> str:
    return _(analysis.QUADRANT_LABELS[key])


def grid_view(filters: dict[str, str]) -> dict:
    """Actors placed on the 5 × 5 power/interest grid; inactive actors only when asked for."""
    query = actor_query({k: v for k, v in filters.items() if k in ("topic", "category", "status")})
    if not filters.get("status"):
        query = query.where(Actor.status != Status.INACTIVE)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    query = query.order_by(None).order_by(Actor.power.desc(), Actor.interest.desc(), Actor.name_key)
    actors = list(db.session.scalars(query.limit(GRID_LIMIT)).unique())
    cells: dict[tuple[int, int], list] = defaultdict(list)
    entries = []
    for actor in actors:
        key = analysis.quadrant(actor.power, actor.interest)
        entry = {"actor": actor, "quadrant": key, "quadrant_label": quadrant_label(key)}
        cells[(actor.power, actor.interest)].append(entry)
        entries.append(entry)
    counts = defaultdict(int)
    for entry in entries:
        counts[entry["quadrant"]] += 1
    rows = [
        {
            "power": power,
            "cells": [
                {
                    "power": power,
                    "interest": interest,
                    "quadrant": analysis.quadrant(power, interest),
                    "quadrant_label": quadrant_label(analysis.quadrant(power, interest)),
                    "entries": cells.get((power, interest), []),
                }
                for interest in SCALE
            ],
        }
        for power in reversed(SCALE)
    ]
    quadrants = [
        {
            "key": key,
            "label": quadrant_label(key),
            "hint": str(QUADRANT_HINTS[key]),
            "count": counts[key],
        }
        for key in analysis.QUADRANT_LABELS
    ]
    return {
        "rows": rows,
        "entries": sorted(entries, key=lambda e: e["actor"].name_key),
        "quadrants": quadrants,
        "total": total,
        "shown": len(actors),
        "scale": list(SCALE),
    }


def set_power_interest(actor_id: int, power: Any, interest: Any, version: Any = None) -> Actor:
    """Move an actor on the grid: the usual actor update (validated, audited, versioned)."""
    actor = get_actor(actor_id)
    return update_actor(actor, {"power": power, "interest": interest}, version=version or None)
