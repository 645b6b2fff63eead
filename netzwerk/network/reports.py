"""The analysis as the report pages, the API and the exports need it: cached and labelled.

Building the graph and computing findings and metrics costs up to seconds at 8,000 actors, and
the answer only changes when the data does. Every change writes an audit entry, so the newest
audit id is the change counter: results are kept per app until it moves. Each process keeps its
own cache, and the graph is never stale, because the counter is read from the database on every
call (one indexed SELECT). After a change the graph follows it row by row (see "following the
changes"); betweenness, communities and findings, which take seconds, are renewed in the
background, and pages that may show them a little late (the map, /luecken) get the previous ones,
marked, in the meantime. The API and the exports always wait for the current ones.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import networkx as nx
import sqlalchemy as sa
from flask import current_app, g, has_request_context
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
from .graph import TOPIC_LINK, actor_node, build_graph
from .graph import _actor_nodes as graph_actor_nodes
from .graph import _link_edges as graph_link_edges
from .graph import _relation_edges as graph_relation_edges
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

# The slow analyses (metrics: betweenness and communities; findings) are renewed off the request
# by one thread per process, which gives them at most this share of the process's time, so a
# burst of edits does not turn every worker into a betweenness calculator.
BACKGROUND_SHARE = 0.2
BACKGROUND_PAUSE = 2.0  # seconds at least between two background runs of one process
BACKGROUND_SETTLE = 0.05  # seconds to wait for more requests of the same page to ask

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Result:
    """A slow analysis and the state of the data it describes (`key`, the change counter)."""

    key: int
    value: Any
    signature: Any = None  # metrics: the relation structure they were computed from


@dataclass(frozen=True)
class Changes:
    """What a followed state changed compared with the one it was made from."""

    entities: frozenset[str]  # of the audit entries in between
    actors: frozenset[int]  # actors whose row was read again (changed, added or deleted)
    deleted: frozenset[int]
    nodes: bool  # actors added or removed
    links: bool  # topic links changed
    before: dict[str, tuple[dict, dict]]  # changed actor node → (old, new attributes)
    carried: dict[str, Any]  # the previous state's "carry:" values

    def leaves_actors(self, *fields: str) -> bool:
        """No actor added or removed, and the changed ones kept these attributes."""
        return not self.nodes and all(
            all(old.get(f) == new.get(f) for f in fields) for old, new in self.before.values()
        )


class Analyses:
    """The newest results of the slow analyses in this process, and the thread renewing them.

    A page that may show a slightly older result (the map, /luecken) gets the newest one at
    once and asks for a renewal; the thread always works on the newest state, so a series of
    edits costs one computation, not one per edit.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._results: dict[str, Result] = {}
        self._wanted: Snapshot | None = None
        self._names: set[str] = set()
        self._thread: threading.Thread | None = None
        self._not_before = 0.0

    def latest(self, name: str) -> Result | None:
        return self._results.get(name)

    def publish(self, name: str, result: Result) -> None:
        self._results[name] = result

    def renew(self, snap: Snapshot, name: str) -> None:
        """Compute `name` for `snap` (or for a newer state asked for before the thread starts)."""
        with self._lock:
            if self._wanted is None or snap.key >= self._wanted.key:
                self._wanted = snap
            self._names.add(name)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="netzwerk-analyses", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            time.sleep(max(BACKGROUND_SETTLE, self._not_before - time.monotonic()))
            with self._lock:
                snap, names = self._wanted, self._names
                self._wanted, self._names = None, set()
                if snap is None:
                    self._thread = None
                    return
            started = time.monotonic()
            try:
                if "findings" in names:
                    snap.findings_result()
                if "metrics" in names:
                    snap.metrics_result()
            except Exception:  # the next request computes it again and shows the error
                log.exception("analysis of state %s failed", snap.key)
            spent = time.monotonic() - started
            self._not_before = started + max(BACKGROUND_PAUSE, spent / BACKGROUND_SHARE)


class Snapshot:
    """The graph and reference of one state of the database, and whatever was derived from it."""

    def __init__(
        self,
        key: int,
        graph: nx.MultiDiGraph,
        reference: dict,
        analyses: Analyses | None = None,
        seen: frozenset[int] = frozenset(),
        changes: Changes | None = None,
    ):
        self.key = key
        self.graph = graph
        self.reference = reference
        self.analyses = analyses if analyses is not None else Analyses()
        self.seen = seen  # the audit ids just below `key` this state includes
        self.changes = changes  # None: built from all rows
        self.edge_keys: dict[str, tuple[str, str]] | None = None  # edge key → (source, target)
        # the same object as long as the edges are those of an earlier state (for the map)
        self.edges_version = object()
        self._values: dict[str, Any] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    @property
    def followed(self) -> bool:
        """Made from the previous state and the changes since (not from all rows)."""
        return self.changes is not None

    def carried(self, name: str, unaffected_by: Callable[[Changes], bool]) -> Any:
        """The previous state's value of a "carry:" name if the changes cannot affect it."""
        if self.changes is None or name not in self.changes.carried:
            return None
        return self.changes.carried[name] if unaffected_by(self.changes) else None

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
        return self.value("carry:gaps", lambda: self._gaps_or_none("carry:gaps", self._gaps))

    def _gaps(self) -> list[dict]:
        return analysis.gaps(self.graph, self.reference)

    def _gaps_or_none(self, name: str, compute: Callable[[], Any]) -> Any:
        """Gaps and gap candidates read the topic links and of each actor GAP_INPUTS: a change
        that touches neither leaves them as they were."""
        kept = self.carried(name, lambda c: not c.links and c.leaves_actors(*GAP_INPUTS))
        return kept if kept is not None else compute()

    def findings(self) -> list[dict]:
        """Structural findings; the category gaps have their own table and endpoint."""
        return self.findings_result().value

    def metrics(self) -> list[dict]:
        """Exactly what analysis.metrics(self.graph) gives (computed now if need be)."""
        result = self.metrics_result()
        return self.value("metrics-rows", lambda: _relabelled(result.value, self.graph))

    def findings_result(self, stale_ok: bool = False) -> Result:
        """The findings of this state; with stale_ok, while they are being computed, those of
        an earlier state (Result.key tells which)."""
        if "findings" not in self._values and stale_ok:
            latest = self.analyses.latest("findings")
            if latest is not None:
                self.analyses.renew(self, "findings")
                return latest
        return Result(self.key, self.value("findings", self._compute_findings))

    def _compute_findings(self) -> list[dict]:
        found = analysis.findings(self.graph)
        self.analyses.publish("findings", Result(self.key, found))
        return found

    def structure(self) -> tuple[tuple, dict[str, int]]:
        """What degree, betweenness and communities are computed from (the actors and the
        relations in the order analysis.actor_relation_graph reads them), and each actor's
        number of relations. Two states with the same structure have the same metrics."""
        return self.value("structure", lambda: _structure(self.graph))

    def metrics_result(self, stale_ok: bool = False) -> Result:
        """Degree, betweenness and community per actor for this state; the rows' names and
        categories may be older (metric_rows and metrics() take them from the graph).

        An edit that leaves the relations alone (a name, a category, power and interest) gets
        the newest computed metrics, which is exactly what a new computation would give.
        Otherwise, with stale_ok and while the new ones are computed in the background, the
        newest metrics with today's degree (Result.key: the state they describe); actors added
        since have no betweenness or community yet (0.0 and None).
        """
        if "metrics" not in self._values:
            signature, degrees = self.structure()
            latest = self.analyses.latest("metrics")
            if latest is not None and latest.signature == signature:
                return Result(self.key, self.value("metrics", lambda: latest.value), signature)
            if latest is not None and stale_ok:
                self.analyses.renew(self, "metrics")
                rows = self.value(
                    f"metrics-of-{latest.key}",
                    lambda: _relabelled(latest.value, self.graph, degrees),
                )
                return Result(latest.key, rows, latest.signature)
        return Result(self.key, self.value("metrics", self._compute_metrics))

    def _compute_metrics(self) -> list[dict]:
        signature, _ = self.structure()
        rows = analysis.metrics(self.graph)
        self.analyses.publish("metrics", Result(self.key, rows, signature))
        return rows

    def coverage(self, all_actors: bool = False) -> dict:
        return self.value(
            f"coverage-{all_actors}",
            lambda: analysis.coverage(self.graph, self.reference, all_actors=all_actors),
        )


def _structure(graph: nx.MultiDiGraph) -> tuple[tuple, dict[str, int]]:
    actors = tuple(analysis.actor_nodes(graph))
    pairs = tuple(
        (source, target)
        for source, target, kind in graph.edges(data="kind")
        if kind != TOPIC_LINK and source != target
    )
    degrees = dict.fromkeys(actors, 0)
    for source, target in pairs:
        degrees[source] += 1
        degrees[target] += 1
    return (actors, pairs), degrees


def _relabelled(
    rows: list[dict], graph: nx.MultiDiGraph, degrees: dict[str, int] | None = None
) -> list[dict]:
    """Metric rows with the names and categories of `graph`, in analysis.metrics' order.

    With `degrees` (the relations changed since the rows were computed) degree is today's,
    actors gone are left out and new ones added with betweenness 0.0 and community None.
    """
    nodes = graph.nodes
    result = []
    seen = set()
    for row in rows:
        node = actor_node(row["id"])
        attrs = nodes.get(node)
        if attrs is None or attrs.get("kind") != "actor":
            continue
        seen.add(node)
        result.append(
            {
                **row,
                "label": attrs["label"],
                "category": attrs["category"],
                "sector": attrs["sector"],
                "degree": degrees[node] if degrees is not None else row["degree"],
            }
        )
    if degrees is not None:
        for node in degrees.keys() - seen:
            attrs = nodes[node]
            result.append(
                {
                    "id": attrs["id"],
                    "label": attrs["label"],
                    "category": attrs["category"],
                    "sector": attrs["sector"],
                    "degree": degrees[node],
                    "betweenness": 0.0,
                    "community": None,
                }
            )
    result.sort(key=lambda r: (-r["betweenness"], -r["degree"], r["label"]))
    return result


def change_counter() -> int:
    return db.session.scalar(sa.select(sa.func.max(AuditEntry.id))) or 0


def _store() -> dict:
    return current_app.extensions.setdefault(
        EXTENSION, {"snapshot": None, "lock": threading.Lock(), "analyses": Analyses()}
    )


def snapshot() -> Snapshot:
    """The analysis state for the current data, rebuilt only after a change."""
    store = _store()
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
        following = _followed(current, key) if current is not None else None
        current = following or _rebuilt(key, store["analyses"])
        store["snapshot"] = current
        return current


def clear_cache() -> None:
    current_app.extensions.pop(EXTENSION, None)


# --- following the changes -----------------------------------------------------------------------

# After a change the graph is not built again from all rows: the audit entries since the last
# state say which actors, relations, topic links and contacts changed, and only those rows are
# read and replaced, in a copy of the graph that shares every untouched part with the previous
# one (which stays as it was for requests still using it). Entries of NEUTRAL entities leave the
# graph alone (the map reads workshops per state anyway); any other entity (topics, categories,
# the reference checklist, imports, restores, ...) or more than PATCH_LIMIT entries make the
# next request build the graph from all rows. The patched graph equals the rebuilt one, in node
# and edge order too, so the analyses give the same results (tests/test_network_cache.py).
PATCHED = frozenset({"actor", "relation", "actor_topic", "contact"})
NEUTRAL = frozenset({"user", "api_token", "calendar_feed", "workshop", "invitation", "export"})
PATCH_LIMIT = 200
# what analysis.gaps and _candidates read of an actor, besides its topic links (the test
# test_gap_inputs_are_all_that_gaps_read keeps this list honest)
GAP_INPUTS = ("id", "label", "status", "category")
# audit ids this far below the counter are still checked for late arrivals: on PostgreSQL a
# transaction can commit after another that took a higher id
LATE_WINDOW = 64


class _Rebuild(Exception):
    """The changes cannot be followed row by row."""


def _recent_ids(low: int, high: int) -> list[tuple[int, str, int | None, str]]:
    return db.session.execute(
        sa.select(AuditEntry.id, AuditEntry.entity, AuditEntry.entity_id, AuditEntry.action)
        .where(AuditEntry.id > low, AuditEntry.id <= high)
        .order_by(AuditEntry.id)
    ).all()


def _rebuilt(key: int, analyses: Analyses) -> Snapshot:
    # the key is read before the data, so a change in between only makes the cache fresher
    seen = frozenset(row[0] for row in _recent_ids(key - LATE_WINDOW, key))
    return Snapshot(key, build_graph(), reference_dict(), analyses, seen=seen)


def _followed(previous: Snapshot, key: int) -> Snapshot | None:
    """The next state from the previous one and the audit entries since; None: rebuild."""
    if key < previous.key:  # a restored backup
        return None
    entries = _recent_ids(previous.key - LATE_WINDOW, key)
    new = [entry for entry in entries if entry[0] not in previous.seen]
    if len(new) > PATCH_LIMIT:
        return None
    seen = frozenset(entry[0] for entry in entries if entry[0] > key - LATE_WINDOW)
    changes: dict[str, set] = {name: set() for name in PATCHED}
    deleted: set[int] = set()
    for _id, entity, entity_id, action in new:
        if entity in NEUTRAL:
            continue
        if entity not in PATCHED or (entity_id is None and entity != "contact"):
            return None
        changes[entity].add(entity_id)
        if entity == "actor" and action == "delete":
            deleted.add(entity_id)
    graph, edge_keys = previous.graph, previous.edge_keys
    structure = previous._values.get("structure")
    edges_version = previous.edges_version
    draft = None
    if any(changes.values()):
        try:
            draft = _Draft(previous.graph, previous.edge_keys)
            structural = _patch(draft, changes, deleted)
        except _Rebuild:
            return None
        graph, edge_keys = draft.finish(), draft.keys
        if structural:
            structure = None
        if draft.edges_changed:
            edges_version = None
    snap = Snapshot(
        key,
        graph,
        previous.reference,
        previous.analyses,
        seen,
        Changes(
            entities=frozenset(entry[1] for entry in new),
            actors=frozenset(changes["actor"]),
            deleted=frozenset(deleted),
            nodes=draft is not None and (draft.added_nodes or draft.removed_nodes),
            links=bool(changes["actor_topic"]),
            before=draft.before if draft is not None else {},
            carried={k: v for k, v in previous._values.items() if k.startswith("carry:")},
        ),
    )
    snap.edge_keys = edge_keys
    if edges_version is not None:
        snap.edges_version = edges_version
    if structure is not None:
        snap._values["structure"] = structure
    return snap


def _plain_columns(*columns):
    """Vocabulary columns as plain strings, as build_graph reads them."""
    return [sa.type_coerce(c, sa.String) if isinstance(c.type, sa.Enum) else c for c in columns]


def _actor_rows(ids: set[int]) -> dict[int, tuple]:
    from ..actors.models import Contact

    columns = _plain_columns(
        Actor.id,
        Actor.name,
        Actor.short_name,
        Actor.category_key,
        Actor.sector,
        Actor.level,
        Actor.status,
        Actor.power,
        Actor.interest,
        Actor.city,
        Actor.country,
    )
    rows = db.session.execute(sa.select(*columns).where(Actor.id.in_(ids))).all()
    contacts = _contact_counts(Contact.actor_id.in_(ids))
    return {row[0]: (*row, *contacts.get(row[0], (0, False))) for row in rows}


def _contact_counts(where=None) -> dict[int, tuple[int, bool]]:
    from ..actors.models import Contact

    has_email = sa.func.max(sa.case((sa.func.trim(Contact.email) != "", 1), else_=0))
    query = sa.select(Contact.actor_id, sa.func.count(Contact.id), has_email)
    if where is not None:
        query = query.where(where)
    return {
        actor_id: (count, bool(email))
        for actor_id, count, email in db.session.execute(query.group_by(Contact.actor_id))
    }


def _edge_rows(entity: str, ids: set[int]) -> list[tuple]:
    from ..actors.models import Relation
    from ..topics.models import ActorTopic

    if entity == "relation":
        columns = _plain_columns(
            Relation.id,
            Relation.source_id,
            Relation.target_id,
            Relation.kind,
            Relation.directed,
            Relation.strength,
        )
        return db.session.execute(sa.select(*columns).where(Relation.id.in_(ids))).all()
    columns = _plain_columns(
        ActorTopic.id, ActorTopic.actor_id, ActorTopic.topic_id, ActorTopic.role
    )
    return db.session.execute(sa.select(*columns).where(ActorTopic.id.in_(ids))).all()


def _patch(draft: _Draft, changes: dict[str, set], deleted: set[int]) -> bool:
    """Put the changed rows into the draft; whether relations or the set of actors changed."""
    structural = False
    if changes["actor"]:
        rows = _actor_rows(changes["actor"])
        for actor_id in sorted(changes["actor"]):
            node = actor_node(actor_id)
            if node in draft.nodes and (actor_id in deleted or actor_id not in rows):
                draft.remove_node(node)
                structural = True
        for node, attrs in graph_actor_nodes([rows[i] for i in sorted(rows)]):
            structural = structural or node not in draft.nodes
            draft.set_node(node, attrs)
    if changes["contact"]:
        counts = _contact_counts()
        for node, attrs in list(draft.nodes.items()):
            if attrs.get("kind") != "actor":
                continue
            contacts, email = counts.get(attrs["id"], (0, False))
            if (attrs["contacts"], attrs["has_email"]) != (contacts, email):
                draft.set_node(node, {**attrs, "contacts": contacts, "has_email": email})
    for entity, prefix, edges in (
        ("relation", "r", graph_relation_edges),
        ("actor_topic", "l", graph_link_edges),
    ):
        if not changes[entity]:
            continue
        for item in changes[entity]:
            if draft.remove_edge(f"{prefix}{item}"):
                structural = structural or entity == "relation"
        for source, target, key, attrs in edges(_edge_rows(entity, changes[entity])):
            if source not in draft.nodes or target not in draft.nodes:
                raise _Rebuild(key)
            draft.add_edge(source, target, key, attrs)
            structural = structural or entity == "relation"
    return structural


def _node_order(node: str) -> tuple[int, int]:
    """build_graph's order: actors by id, then topics by id."""
    return (0 if node[0] == "a" else 1, int(node[1:]))


def _edge_order(key: str) -> tuple[int, int]:
    """build_graph's order: relations by id, then topic links by id."""
    return (0 if key[0] == "r" else 1, int(key[1:]))


class _Draft:
    """A copy of a MultiDiGraph that shares all it does not change with the original.

    networkx keeps a graph in dicts (node → attributes, node → neighbour → key → attributes,
    the last level shared by the successor and predecessor dicts); only the outer dicts are
    copied, an inner one when it is about to change, and attribute dicts are replaced, never
    changed, so the original stays valid for whoever still reads it. Neighbours and keys are
    kept in build_graph's order, so iterating the copy gives what iterating a rebuilt graph
    gives.
    """

    def __init__(self, graph: nx.MultiDiGraph, keys: dict[str, tuple[str, str]] | None = None):
        self.graph = graph
        self.nodes = dict(graph._node)
        self.succ = dict(graph._succ)
        self.pred = dict(graph._pred)
        if keys is None:
            keys = {key: (u, v) for u, v, key in graph.edges(keys=True)}
        self.keys = dict(keys)  # edge key → (source, target)
        self.copied: set[tuple[str, str]] = set()
        self.added_nodes = False
        self.removed_nodes = False
        self.edges_changed = False
        self.before: dict[str, tuple[dict, dict]] = {}  # changed node → (old, new attributes)

    def _own(self, side: str, node: str) -> dict:
        table = self.succ if side == "succ" else self.pred
        if (side, node) not in self.copied:
            table[node] = dict(table[node])
            self.copied.add((side, node))
        return table[node]

    def set_node(self, node: str, attrs: dict) -> None:
        if node not in self.nodes:
            self.succ[node], self.pred[node] = {}, {}
            self.copied.update({("succ", node), ("pred", node)})
            self.added_nodes = True
        else:
            old = self.before.get(node, (self.nodes[node], None))[0]
            self.before[node] = (old, attrs)
        self.nodes[node] = attrs

    def remove_node(self, node: str) -> None:
        for side, other_side in (("succ", "pred"), ("pred", "succ")):
            table = self.succ if side == "succ" else self.pred
            for other, keydict in table[node].items():
                self.edges_changed = True
                for key in keydict:
                    self.keys.pop(key, None)
                if other != node:
                    del self._own(other_side, other)[node]
        del self.nodes[node], self.succ[node], self.pred[node]
        self.before.pop(node, None)
        self.removed_nodes = True

    def add_edge(self, source: str, target: str, key: str, attrs: dict) -> None:
        succ = self._own("succ", source)
        keydict = dict(succ.get(target, {}))
        keydict[key] = attrs
        keydict = dict(sorted(keydict.items(), key=lambda item: _edge_order(item[0])))
        succ[target] = keydict
        self._own("pred", target)[source] = keydict
        self.keys[key] = (source, target)
        self.edges_changed = True
        self._reorder(source, target)

    def remove_edge(self, key: str) -> bool:
        if key not in self.keys:
            return False
        source, target = self.keys.pop(key)
        self.edges_changed = True
        keydict = {k: v for k, v in self.succ[source][target].items() if k != key}
        if keydict:
            self._own("succ", source)[target] = keydict
            self._own("pred", target)[source] = keydict
            self._reorder(source, target)
        else:
            del self._own("succ", source)[target]
            del self._own("pred", target)[source]
        return True

    def _reorder(self, source: str, target: str) -> None:
        """A neighbour comes where its first edge in build_graph's order puts it."""
        for side, node in (("succ", source), ("pred", target)):
            table = self._own(side, node)
            ordered = sorted(table.items(), key=lambda item: _edge_order(next(iter(item[1]))))
            table.clear()
            table.update(ordered)

    def finish(self) -> nx.MultiDiGraph:
        if self.added_nodes:
            order = sorted(self.nodes, key=_node_order)
            self.nodes = {n: self.nodes[n] for n in order}
            self.succ = {n: self.succ[n] for n in order}
            self.pred = {n: self.pred[n] for n in order}
        new = self.graph.__class__()
        new.graph = self.graph.graph
        new._node = self.nodes
        new._adj = self.succ  # networkx's descriptor sets _succ to the same dict
        new._pred = self.pred
        return new


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
    candidates = snap.value(
        "carry:candidates",
        lambda: snap._gaps_or_none("carry:candidates", lambda: _candidates(snap.graph)),
    )
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


def finding_list(topic_ref: str | int | None = None, stale_ok: bool = False) -> list[dict]:
    """Structural findings with the actors concerned; with a topic, those about the topic or
    about actors linked to it. stale_ok: see Snapshot.findings_result and analyses_pending."""
    snap = snapshot()
    topic = resolve_topic(topic_ref, snap)
    code = topic["code"] if topic else None
    result = snap.findings_result(stale_ok)
    _note_pending(snap, result)
    return snap.value(
        f"findings:{result.key}:{code}", lambda: _findings_for(snap, topic, result.value)
    )


def _findings_for(snap: Snapshot, topic: dict | None, findings: list[dict]) -> list[dict]:
    linked: set[int] = set()
    if topic is not None:
        nodes = analysis.linked_actors(snap.graph, topic["node"])
        linked = {snap.graph.nodes[n]["id"] for n in nodes}
    result = []
    for finding in findings:
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


def _note_pending(snap: Snapshot, result: Result) -> None:
    if result.key != snap.key and has_request_context():
        g.netzwerk_analyses_pending = True


def analyses_pending() -> bool:
    """Whether this request was answered with findings or metrics of an earlier state of the
    data (asked for with stale_ok) because those of the current one are still being computed."""
    return bool(g.get("netzwerk_analyses_pending"))


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


def metric_rows(
    sort: str | None = None, topic_ref: str | int | None = None, stale_ok: bool = False
) -> list[dict]:
    """Degree, betweenness and community per actor, sorted on the server (works without JS).

    Kept per sort, topic and language, so paging through 8,000 rows does not sort each time.
    With stale_ok (see Snapshot.metrics_result) actors added since the metrics were computed
    are left out until they are.
    """
    key, descending = parse_sort(sort)
    snap = snapshot()
    topic = resolve_topic(topic_ref, snap)
    code = topic["code"] if topic else None
    result = snap.metrics_result(stale_ok)
    _note_pending(snap, result)
    name = f"metrics:{result.key}:{key}:{descending}:{code}:{get_locale()}"
    return snap.value(name, lambda: _metric_rows(snap, result, key, descending, topic))


def _metric_rows(
    snap: Snapshot, result: Result, key: str, descending: bool, topic: dict | None
) -> list[dict]:
    """A new order of the same row dicts: each sort and filter costs a list of references."""
    rows = snap.value(
        f"metrics-labelled:{result.key}:{get_locale()}", lambda: _labelled_metrics(snap, result)
    )
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


def _labelled_metrics(snap: Snapshot, result: Result) -> list[dict]:
    """The rows with today's names and categories and their labels."""
    nodes = snap.graph.nodes
    labels = snap.graph.graph.get("category_labels", {})
    sectors = {member.value: member.label for member in Sector}
    rows = []
    for row in result.value:
        attrs = nodes.get(actor_node(row["id"]))
        if attrs is None or row["community"] is None:
            continue
        rows.append(
            {
                **row,
                "label": attrs["label"],
                "category": attrs["category"],
                "sector": attrs["sector"],
                "category_label": labels.get(attrs["category"], attrs["category"]),
                "sector_label": sectors.get(attrs["sector"], attrs["sector"]),
                "group": row["community"] + 1,
            }
        )
    return rows


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
