"""Following the changes: after a change the graph is not built again from all rows.

The audit entries since the last state (stamped with the change counter their transaction
committed) say which actors, relations, topic links and contacts changed, and only those rows are
read and replaced, in a copy of the graph that shares every untouched part with the previous
one (which stays as it was for requests still using it). Entries of NEUTRAL entities leave the
graph alone (the map reads workshops per state anyway); any other entity (topics, categories,
the reference checklist, imports, restores, ...) or more than PATCH_LIMIT entries make the
next request build the graph from all rows. The patched graph equals the rebuilt one, in node
and edge order too, so the analyses give the same results (tests/test_network_cache.py).
"""

from __future__ import annotations

import networkx as nx
import sqlalchemy as sa

from ..audit.models import AuditEntry
from ..extensions import db
from . import graph as rows
from . import state
from .graph import actor_node

PATCHED = frozenset({"actor", "relation", "actor_topic", "contact"})
NEUTRAL = frozenset(
    {
        "user",
        "api_token",
        "calendar_feed",
        "workshop",
        "invitation",
        "export",
        # surveys: answers and decisions (accepted changes are audited as actors, relations, …)
        "survey",
        "survey_recipient",
    }
)
PATCH_LIMIT = 200


class _Rebuild(Exception):
    """The changes cannot be followed row by row."""


def _entries_between(low: int, high: int) -> list[tuple[str, int | None, str]]:
    """(entity, id, action) of the audit entries committed with a counter in (low, high]; at
    most PATCH_LIMIT + 1 (more means: build anew)."""
    return db.session.execute(
        sa.select(AuditEntry.entity, AuditEntry.entity_id, AuditEntry.action)
        .where(AuditEntry.data_version > low, AuditEntry.data_version <= high)
        .order_by(AuditEntry.id)
        .limit(PATCH_LIMIT + 1)
    ).all()


def followed(previous: state.Snapshot, key: int) -> state.Snapshot | None:
    """The next state from the previous one and the audit entries since; None: rebuild."""
    if key < previous.key:  # a restored backup
        return None
    new = _entries_between(previous.key, key)
    if len(new) > PATCH_LIMIT:
        return None
    changes: dict[str, set] = {name: set() for name in PATCHED}
    deleted: set[int] = set()
    for entity, entity_id, action in new:
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
    snap = state.Snapshot(
        key,
        graph,
        previous.reference,
        previous.analyses,
        state.Changes(
            entities=frozenset(entry[0] for entry in new),
            actors=frozenset(changes["actor"]),
            deleted=frozenset(deleted),
            nodes=draft is not None and (draft.added_nodes or draft.removed_nodes),
            links=bool(changes["actor_topic"]),
            before=draft.before if draft is not None else {},
            carried=previous.carried_values(),
        ),
    )
    snap.edge_keys = edge_keys
    if edges_version is not None:
        snap.edges_version = edges_version
    if structure is not None:
        snap._values["structure"] = structure
    return snap


def _patch(draft: _Draft, changes: dict[str, set], deleted: set[int]) -> bool:
    """Put the changed rows into the draft; whether relations or the set of actors changed."""
    structural = False
    if changes["actor"]:
        found = rows.read_actors(changes["actor"])
        present = {row[0] for row in found}
        for actor_id in sorted(changes["actor"]):
            node = actor_node(actor_id)
            if node in draft.nodes and (actor_id in deleted or actor_id not in present):
                draft.remove_node(node)
                structural = True
        for node, attrs in rows.actor_entries(found):
            structural = structural or node not in draft.nodes
            draft.set_node(node, attrs)
    if changes["contact"]:
        counts = rows.read_contact_counts()
        for node, attrs in list(draft.nodes.items()):
            if attrs.get("kind") != "actor":
                continue
            contacts, email = counts.get(attrs["id"], (0, False))
            if (attrs["contacts"], attrs["has_email"]) != (contacts, email):
                draft.set_node(node, {**attrs, "contacts": contacts, "has_email": email})
    for entity, prefix, read, edges in (
        ("relation", "r", rows.read_relations, rows.relation_entries),
        ("actor_topic", "l", rows.read_links, rows.link_entries),
    ):
        if not changes[entity]:
            continue
        for item in changes[entity]:
            if draft.remove_edge(f"{prefix}{item}"):
                structural = structural or entity == "relation"
        for source, target, key, attrs in edges(read(changes[entity])):
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
