"""The analysis state of the current data: the graph and what is derived from it, kept per
process until the data changes.

Building the graph and computing findings and metrics costs up to seconds at 8,000 actors, and
the answer only changes when the data does. The change counter says when: results are kept per
app until it moves. Each process keeps its own cache, and the graph is never stale, because the
counter is read from the database on every call (one indexed SELECT). After a change the graph
follows it row by row (follow.py); betweenness, communities and findings, which take seconds,
are renewed in the background, and pages that may show them a little late (the map, /luecken)
get the previous ones, marked, in the meantime. The API and the exports always wait for the
current ones.

The metrics (seconds at 8,000 actors) are also kept in the database (models.SharedAnalysis),
so they are computed once per state for all workers: a freshly started worker, or one whose
data changed elsewhere, reads them there instead of computing them again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import networkx as nx
import sqlalchemy as sa
from flask import Flask, current_app, has_app_context

from ..audit.services import data_version
from ..core.timeutil import utcnow
from ..extensions import db
from . import analysis, follow
from .graph import TOPIC_LINK, actor_node, build_graph
from .models import SharedAnalysis
from .reference_store import reference_dict

EXTENSION = "network_reports"
# what analysis.gaps and reports.candidates read of an actor, besides its topic links (the test
# test_gap_inputs_are_all_that_gaps_read keeps this list honest)
GAP_INPUTS = ("id", "label", "status", "category")

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


@dataclass(frozen=True, eq=False)
class Carried:
    """A value derived from one state that the next, followed state keeps (or updates from
    the changes) instead of computing it from all rows. Each is declared once, by name, where
    it is computed (state.GAPS, reports.CANDIDATES, map_data.DESCRIPTIONS, ...) and read with
    Snapshot.carry(...)."""

    name: str
    compute: Callable[[Snapshot], Any]  # from the whole state
    # the previous value may be kept as it is after these changes
    unaffected_by: Callable[[Changes], bool] = lambda changes: False
    # or brought up to date from the previous value and the changes (None: compute anew)
    update: Callable[[Snapshot, Any], Any] | None = None

    def __repr__(self) -> str:
        return f"Carried({self.name})"


@dataclass(frozen=True)
class Changes:
    """What a followed state changed compared with the one it was made from."""

    entities: frozenset[str]  # of the audit entries in between
    actors: frozenset[int]  # actors whose row was read again (changed, added or deleted)
    deleted: frozenset[int]
    nodes: bool  # actors added or removed
    links: bool  # topic links changed
    before: dict[str, tuple[dict, dict]]  # changed actor node → (old, new attributes)
    carried: dict[Carried, Any]  # the previous state's carried values

    def leaves_gap_inputs(self) -> bool:
        """Gaps and gap candidates read the topic links and of each actor GAP_INPUTS: a change
        that touches neither leaves them as they were."""
        return not self.links and self.leaves_actors(*GAP_INPUTS)

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

    def __init__(self, app: Flask | None = None) -> None:
        self._app = app  # for the shared results (None: this process only)
        self._lock = threading.Lock()
        self._results: dict[str, Result] = {}
        self.sharing: threading.Thread | None = None  # the last write of a shared result
        self._wanted: Snapshot | None = None
        self._names: set[str] = set()
        self._thread: threading.Thread | None = None
        self._not_before = 0.0

    def latest(self, name: str) -> Result | None:
        """The newest result of `name` in this process, or else the shared one (metrics)."""
        result = self._results.get(name)
        if result is None and name in SHARED and self._app is not None and has_app_context():
            result = _shared(name)
            if result is not None:
                self._results.setdefault(name, result)
        return result

    def shared(self, name: str, signature: str) -> Result | None:
        """The shared result of `name` if it was computed from this structure."""
        if name not in SHARED or self._app is None or not has_app_context():
            return None
        result = _shared(name, signature)
        if result is not None:
            self._results[name] = result
        return result

    def publish(self, name: str, result: Result) -> None:
        self._results[name] = result
        if name in SHARED:
            self.share(name, result)

    def share(self, name: str, result: Result, payload: str | None = None) -> None:
        """Keep `result` in the database for the other processes (`payload`: its text as it
        is, else its JSON). Written by a thread of its own, as the request may hold the SQLite
        write lock; one write after the other, so joining `sharing` waits for all of them."""
        if self._app is None:
            return
        previous = self.sharing

        def write() -> None:
            if previous is not None:
                previous.join()
            _share(self._app, name, result, payload)

        self.sharing = threading.Thread(target=write, name="netzwerk-share", daemon=True)
        self.sharing.start()

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
        changes: Changes | None = None,
    ):
        self.key = key
        self.graph = graph
        self.reference = reference
        self.analyses = analyses if analyses is not None else Analyses()
        self.changes = changes  # None: built from all rows
        self.edge_keys: dict[str, tuple[str, str]] | None = None  # edge key → (source, target)
        # the same object as long as the edges are those of an earlier state (for the map)
        self.edges_version = object()
        self._values: dict[Any, Any] = {}
        self._locks: dict[Any, threading.Lock] = {}
        self._lock = threading.Lock()

    @property
    def followed(self) -> bool:
        """Made from the previous state and the changes since (not from all rows)."""
        return self.changes is not None

    def carry(self, item: Carried) -> Any:
        """The carried value of this state: kept from the previous state, updated from it, or
        computed from the whole state, whichever the changes allow."""
        return self.value(item, lambda: self._carried(item))

    def _carried(self, item: Carried) -> Any:
        previous = self.changes.carried.get(item) if self.changes is not None else None
        if previous is not None:
            if item.unaffected_by(self.changes):
                return previous
            if item.update is not None:
                return item.update(self, previous)
        return item.compute(self)

    def carried_values(self) -> dict[Carried, Any]:
        """What a state followed from this one may keep."""
        return {k: v for k, v in self._values.items() if isinstance(k, Carried)}

    def value(self, name: Any, compute: Callable[[], Any]) -> Any:
        """Compute once per name; a slow name (metrics) does not block a fast one (gaps)."""
        if name not in self._values:
            with self._lock:
                lock = self._locks.setdefault(name, threading.Lock())
            with lock:
                if name not in self._values:
                    self._values[name] = compute()
        return self._values[name]

    def gaps(self) -> list[dict]:
        """The checklist gaps per topic (analysis.gaps)."""
        return self.carry(GAPS)

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
            if latest is None or latest.signature != signature:
                # computed by another worker for this structure?
                latest = self.analyses.shared("metrics", signature) or latest
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


def _structure(graph: nx.MultiDiGraph) -> tuple[str, dict[str, int]]:
    """(a digest of the actors and relations in reading order, each actor's degree)."""
    actors = tuple(analysis.actor_nodes(graph))
    pairs = [
        f"{source}>{target}"
        for source, target, kind in graph.edges(data="kind")
        if kind != TOPIC_LINK and source != target
    ]
    degrees = dict.fromkeys(actors, 0)
    for pair in pairs:
        source, target = pair.split(">")
        degrees[source] += 1
        degrees[target] += 1
    digest = hashlib.sha256(" ".join(actors).encode())
    digest.update(b"|")
    digest.update(" ".join(pairs).encode())
    return digest.hexdigest(), degrees


# --- results shared by all processes ------------------------------------------------------------

SHARED = ("metrics",)  # plain JSON rows; findings carry translatable parts and stay per process


def _shared(
    name: str, signature: str | None = None, decode: Callable[[str], Any] = json.loads
) -> Result | None:
    """The shared result of `name`: whichever state it describes, or only if it was computed
    from the structure `signature` (then its payload is read only when it was)."""
    table = SharedAnalysis.__table__
    where = table.c.name == name
    if signature is not None:
        where = where & (table.c.signature == signature)
    row = db.session.execute(
        sa.select(table.c.version, table.c.signature, table.c.payload).where(where)
    ).first()
    if row is None:
        return None
    return Result(row.version, decode(row.payload), row.signature)


def shared_text(name: str, signature: str) -> str | None:
    """The text another process shared as `name` (Analyses.share with a payload) if it was
    made from what `signature` digests."""
    result = _shared(name, signature, decode=str)
    return None if result is None else result.value


def _share(app: Flask, name: str, result: Result, payload: str | None = None) -> None:
    """Keep `result` for every process unless a newer state's result is there already."""
    table = SharedAnalysis.__table__
    try:
        with app.app_context(), db.engine.begin() as conn:
            there = conn.execute(
                sa.select(table.c.version, table.c.signature).where(table.c.name == name)
            ).first()
            if there is not None and tuple(there) == (result.key, result.signature):
                return  # another process shared the same already
            values = {
                "version": result.key,
                "signature": result.signature,
                "payload": payload
                if payload is not None
                else json.dumps(result.value, separators=(",", ":")),
                "computed_at": utcnow(),
            }
            kept = conn.execute(
                sa.update(table)
                .where(table.c.name == name, table.c.version <= result.key)
                .values(values)
            ).rowcount
            if (
                not kept
                and conn.execute(sa.select(table.c.name).where(table.c.name == name)).first()
                is None
            ):
                conn.execute(sa.insert(table).values(name=name, **values))
    except (sa.exc.SQLAlchemyError, RuntimeError):  # another worker was first; database gone
        log.warning("shared %s of state %s not stored", name, result.key, exc_info=True)


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
    """The committed change counter (audit.models.DataVersion)."""
    return data_version()


def _store() -> dict:
    store = current_app.extensions.get(EXTENSION)
    if store is None:
        app = current_app._get_current_object()
        store = current_app.extensions.setdefault(
            EXTENSION, {"snapshot": None, "lock": threading.Lock(), "analyses": Analyses(app)}
        )
    return store


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
        following = follow.followed(current, key) if current is not None else None
        current = following or _rebuilt(key, store["analyses"])
        store["snapshot"] = current
        return current


def clear_cache() -> None:
    current_app.extensions.pop(EXTENSION, None)


def _rebuilt(key: int, analyses: Analyses) -> Snapshot:
    # the key is read before the data, so a change in between only makes the cache fresher
    return Snapshot(key, build_graph(), reference_dict(), analyses)


GAPS = Carried(
    "gaps",
    compute=lambda snap: analysis.gaps(snap.graph, snap.reference),
    unaffected_by=Changes.leaves_gap_inputs,
)
