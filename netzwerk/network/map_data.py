"""The map's data: the graph of the current state (state.snapshot), stored positions, ghost
nodes for the gaps and the workshops, filtered, as JSON for vis-network."""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict, deque
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import networkx as nx
import sqlalchemy as sa
from flask import current_app, has_request_context, request, url_for
from flask_babel import format_date, get_locale
from flask_babel import gettext as _

from ..actors.models import Actor
from ..actors.services import categories
from ..actors.vocab import Level, Sector, Status
from ..core.timeutil import DEFAULT_TZ, as_utc, in_zone
from ..extensions import db
from . import analysis, landscape, layout, past, reports, state
from .graph import TOPIC_LINK, actor_node, category_labels, topic_node
from .map_filters import MapFilters
from .map_styles import styles
from .positions import positions, positions_stamp

DESCRIPTION_CHARS = 200
RESPONSE_CACHE = 24


# --- the base data of one database state ---------------------------------------------------------


def _base(snap: state.Snapshot) -> dict[str, Any]:
    """Everything the map derives from one state of the data, computed once per state. The
    metrics are not part of it: they may arrive later (state.Snapshot.metrics_result)."""
    graph = snap.graph
    cats = {c.key: c for c in categories()}
    workshops = _workshops(graph, snap.carry(WORKSHOP_ROWS))
    projects = _projects(graph, snap.carry(PROJECT_ROWS))
    layout_nodes = set(graph.nodes)
    layout_nodes.update(workshop["node"] for workshop in workshops)
    layout_nodes.update(project["node"] for project in projects)
    return {
        "graph": graph,
        "layout_nodes": layout_nodes,
        "category_sector": {key: str(c.sector) for key, c in cats.items()},
        "descriptions": snap.carry(DESCRIPTIONS),
        "workshops": workshops,
        "projects": projects,
        "topic_nodes": analysis.topic_nodes(graph),
        "actor_nodes": analysis.actor_nodes(graph),
    }


def _description_query(ids=None) -> sa.Select:
    query = sa.select(Actor.id, sa.func.substr(Actor.description, 1, DESCRIPTION_CHARS)).where(
        Actor.description != ""
    )
    return query if ids is None else query.where(Actor.id.in_(ids))


def _updated_descriptions(snap: state.Snapshot, previous: dict[int, str]) -> dict[int, str]:
    """After a change only the changed actors' descriptions are read again."""
    changed = snap.changes.actors
    if not changed:
        return previous
    result = {k: v for k, v in previous.items() if k not in changed}
    result.update(db.session.execute(_description_query(changed)).all())
    return result


# actor id → the start of its description (tooltips and the side panel)
DESCRIPTIONS = state.Carried(
    "map descriptions",
    compute=lambda snap: dict(db.session.execute(_description_query()).all()),
    update=_updated_descriptions,
)

# audit entities that do not change what workshop_graph_data() answers
WORKSHOPS_UNAFFECTED = frozenset(
    {"actor", "relation", "actor_topic", "user", "api_token", "survey", "survey_recipient"}
)


def _workshop_rows(_snap: state.Snapshot) -> list[dict]:
    from ..workshops.services import workshop_graph_data  # workshops use the network too

    return workshop_graph_data()


# the workshops from the workshops domain, read again only after changes that can touch them:
# workshops, invitations, contacts, deleted actors
WORKSHOP_ROWS = state.Carried(
    "map workshops",
    compute=_workshop_rows,
    unaffected_by=lambda changes: changes.entities <= WORKSHOPS_UNAFFECTED and not changes.deleted,
)


def _workshops(graph: nx.MultiDiGraph, rows: list[dict]) -> list[dict]:
    """The workshops as map nodes, with only the actors and topics the graph has."""
    result = []
    for item in rows:
        members = [actor_node(i) for i in item.get("participant_actor_ids", [])]
        topics = [topic_node(i) for i in item.get("topic_ids", [])]
        result.append(
            {
                **item,
                "node": f"w{item['id']}",
                "members": [n for n in members if n in graph],
                "topics": [t for t in topics if t in graph],
            }
        )
    return result


def _project_rows(_snap: state.Snapshot) -> list[dict]:
    from ..projects.services import project_graph_data  # projects are a layer of the map

    return project_graph_data()


# the projects (stocktaking), read again only after changes of projects, topics or deletions;
# a title change of an actor does not touch them
PROJECT_ROWS = state.Carried(
    "map projects",
    compute=_project_rows,
    unaffected_by=lambda changes: (
        "project" not in changes.entities
        and "topic" not in changes.entities
        and not changes.deleted
    ),
)


def _projects(graph: nx.MultiDiGraph, rows: list[dict]) -> list[dict]:
    """The projects as map nodes, linked to their lead and partners and to their topics."""
    result = []
    for item in rows:
        ids = [item["lead_actor_id"]] if item.get("lead_actor_id") else []
        ids += item.get("partner_actor_ids", [])
        members = [actor_node(i) for i in ids]
        topics = [topic_node(i) for i in item.get("topic_ids", [])]
        result.append(
            {
                **item,
                "node": f"p{item['id']}",
                "lead": actor_node(item["lead_actor_id"]) if item.get("lead_actor_id") else None,
                "members": [n for n in dict.fromkeys(members) if n in graph],
                "topics": [t for t in topics if t in graph],
            }
        )
    return result


# --- the map data --------------------------------------------------------------------------------


def current_base(snap: state.Snapshot | None = None) -> dict[str, Any]:
    """The map's base data for the current state."""
    snap = snap or state.snapshot()
    return snap.value("map-base", lambda: _base(snap))


def graph_json(filters: MapFilters) -> bytes:
    """/api/graph's body. Kept per data state, positions state, language, filters and metrics
    state, so a repeated request costs two small SELECTs; after a change, the actors and edges
    that did not change are not encoded again (Part). The default view with current metrics
    is also shared with the other processes (_shared_body)."""
    default = filters == DEFAULT_FILTERS
    if default:
        shared = _shared_body(state.change_counter())
        if shared is not None:
            return shared
    snap = state.snapshot()
    view = _view(filters, snap)
    metrics = view.metrics_result(stale_ok=True)
    responses = snap.value("map-responses", OrderedDict)
    key = (positions_stamp(), str(get_locale()), filters, metrics.key)
    cached = responses.get(key)
    if cached is None:
        nodes, edges, rest = _map_parts(filters, view, metrics)
        cached = b"".join(
            (
                b'{"nodes":[',
                b",".join(part.json for part in nodes),
                b'],"edges":[',
                b",".join(part.json for part in edges),
                b"],",
                _encode(rest)[1:],
            )
        )
        key = (positions_stamp(), str(get_locale()), filters, metrics.key)  # placing may write
        responses[key] = cached
        while len(responses) > RESPONSE_CACHE:
            responses.popitem(last=False)
        if default and metrics.key == snap.key:
            _share_body(snap, cached)
    return cached


# --- the default view, shared by all processes ---------------------------------------------------
# Encoding the map of 8,000 actors (7 MB) and building the graph it comes from takes a fresh
# process more than a second. The default view (no filters), the first map everybody sees, is
# therefore kept in the database once one process made it with current metrics (table
# shared_analysis, one row per language), keyed by everything it is made from: the change
# counter, the stored positions, the language, the URL root and the code of this installation.

DEFAULT_FILTERS = MapFilters()
SHARED_BODY = "map-body"  # shared_analysis name: "map-body:<language>"


def _body_name() -> str:
    return f"{SHARED_BODY}:{get_locale()}"


def _body_signature(version: int) -> str:
    root = request.script_root if has_request_context() else ""
    made_of = (version, positions_stamp(), str(get_locale()), root, _code())
    return hashlib.sha256(repr(made_of).encode()).hexdigest()


def _shared_body(version: int) -> bytes | None:
    """The default view of this state with current metrics, as this process or another one
    made it, if there is one; one small SELECT when this process has it already."""
    signature = _body_signature(version)
    store = current_app.extensions.setdefault(PARTS, {})
    kept = store.get("shared-body")
    if kept is not None and kept[0] == signature:
        return kept[1]
    text = state.shared_text(_body_name(), signature)
    if text is None:
        return None
    body = text.encode()
    store["shared-body"] = (signature, body)
    return body


def _share_body(snap: state.Snapshot, body: bytes) -> None:
    signature = _body_signature(snap.key)
    current_app.extensions.setdefault(PARTS, {})["shared-body"] = (signature, body)
    snap.analyses.share(_body_name(), state.Result(snap.key, None, signature), body.decode())


_CODE: list[str] = []


def _code() -> str:
    """A digest of the installed code and translations (names, sizes, times): an update of
    the software makes the shared views of the earlier one unused."""
    if not _CODE:
        root = Path(__file__).resolve().parent.parent
        digest = hashlib.sha256()
        for path in sorted(root.rglob("*")):
            if path.suffix in (".py", ".mo", ".json"):
                info = path.stat()
                digest.update(
                    f"{path.relative_to(root)} {info.st_size} {info.st_mtime_ns}|".encode()
                )
        _CODE.append(digest.hexdigest())
    return _CODE[0]


def map_data(
    filters: MapFilters,
    snap: state.Snapshot | None = None,
    metrics: state.Result | None = None,
) -> dict[str, Any]:
    """{"nodes": [...], "edges": [...], "counts", "filters", "styles", "metrics_as_of",
    "metrics_current"} for one view.

    Degree, betweenness and community may come from an earlier state while the current one
    is computed in the background (state.Snapshot.metrics_result): then "metrics_current"
    is false and "metrics_as_of" names the state (change counter) they describe."""
    if snap is None:
        current = state.snapshot()
        snap = _view(filters, current)
        if snap is not current:
            metrics = None
    nodes, edges, rest = _map_parts(filters, snap, metrics)
    return {"nodes": [p.data for p in nodes], "edges": [p.data for p in edges], **rest}


def _view(filters: MapFilters, snap: state.Snapshot) -> state.Snapshot:
    """The state the map shows: today's, or that of the end of the day filters.at."""
    return past.snapshot_at(filters.at, snap) if filters.in_past else snap


def _compared(
    filters: MapFilters, view: state.Snapshot
) -> tuple[state.Snapshot, dict[str, Any]] | None:
    """With filters.since: the state drawn (the view plus the actors, relations and links
    removed since, which the map shows faded) and the changes (past.changes_since); kept with
    the current state."""
    if filters.since is None:
        return None
    current = state.snapshot()

    def build():
        changes = past.changes_since(filters.since, view, current)
        graph = view.graph.copy()
        old = changes["since"]
        for node in changes["removed"]:
            if node in old:
                graph.add_node(node, **old.nodes[node])
        for u, v, key, attrs in old.edges(keys=True, data=True):
            if key in changes["removed"] and u in graph and v in graph:
                graph.add_edge(u, v, key, **attrs)
        drawn = state.Snapshot(current.key, graph, current.reference, state.Analyses())
        return drawn, changes

    day = filters.at if filters.in_past else None
    drawn, changes = past.kept(current, ("map-compared", day, filters.since), build)
    return drawn, {**changes, "since_label": format_date(filters.since, "medium")}


class Part:
    """A node or edge of the map: its dict for map_data, its JSON for graph_json, encoded once.
    Actor nodes and edges are kept per process and reused while their inputs stay the same."""

    __slots__ = ("_json", "data")

    def __init__(self, data: dict[str, Any]):
        self.data = data
        self._json: bytes | None = None

    @property
    def json(self) -> bytes:
        if self._json is None:
            self._json = _encode(self.data)
        return self._json


def _encode(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


PARTS = "network_map_parts"


def _part_cache(kind: str, locale: str = "") -> dict[str, tuple[tuple, Part]]:
    """Node or edge id → (the inputs it was made from, Part), per process and language."""
    return current_app.extensions.setdefault(PARTS, {}).setdefault((kind, locale), {})


def _pruned(cache: dict, keep: Iterable[str], size: int) -> None:
    """Forget parts of nodes and edges that are gone, once they are many."""
    if len(cache) > 2 * size + 64:
        keep = set(keep)
        for key in list(cache):
            if key not in keep:
                cache.pop(key, None)


def _metrics_by_id(rows: list[dict]) -> dict[int, dict]:
    """Actor id → metric row; the same rows serve many states (state.Snapshot.metrics_result),
    so the index is kept with them."""
    store = current_app.extensions.setdefault(PARTS, {})
    indexed = store.get("metrics-by-id")
    if indexed is None or indexed[0] is not rows:
        indexed = (rows, {row["id"]: row for row in rows})
        store["metrics-by-id"] = indexed
    return indexed[1]


def _map_parts(
    filters: MapFilters,
    snap: state.Snapshot | None = None,
    metrics: state.Result | None = None,
) -> tuple[list[Part], list[Part], dict[str, Any]]:
    snap = snap or state.snapshot()
    metrics = metrics or snap.metrics_result(stale_ok=True)
    view = snap  # the state whose gaps and metrics the map shows
    compared = _compared(filters, view)
    changes = None
    if compared is not None:  # draw the removed ones too
        snap, changes = compared
    base = current_base(snap)
    pos = positions(base)
    graph = base["graph"]
    actors = _visible_actors(base, filters)
    actor_set = set(actors)
    topics = _visible_topics(base, filters, actor_set)
    topic_set = set(topics)
    ghosts = _ghosts(base, filters, topics, pos, view, changes) if filters.topics else []
    landscape_view = filters.view == landscape.VIEW
    geometry = None
    if landscape_view:  # sector slices and rings instead of the network's positions
        pos, geometry = _landscape(base, filters, actors, topics, ghosts)
        for ghost in ghosts:
            ghost["x"], ghost["y"] = pos[ghost["id"]]
    workshops = [] if landscape_view else _visible_workshops(base, filters, actor_set, topic_set)
    if filters.in_past:  # the workshops that had begun by the end of that day
        workshops = [w for w in workshops if _begun(w, past.end_of_day(filters.at))]
    nodes = [Part(_topic_json(graph, t, pos)) for t in topics]
    by_id = _metrics_by_id(metrics.value)
    texts = _actor_texts()
    cache = _part_cache("actors", str(get_locale()))
    nodes += [_actor_part(cache, base, a, pos, by_id, texts) for a in actors]
    _pruned(cache, base["actor_nodes"], len(base["actor_nodes"]))
    nodes += [Part(_workshop_json(w, pos)) for w in workshops]
    projects = []
    if not landscape_view and not filters.in_past:
        projects = _visible_projects(base, filters, actor_set, topic_set)
    nodes += [Part(_project_json(p, pos)) for p in projects]
    nodes += [Part(g) for g in ghosts]
    # in the Akteurslandkarte the ring shows the role: no lines to the topic in the middle
    edges = _edges(
        graph, filters, actor_set, set() if landscape_view else topic_set, snap.edges_version
    )
    for workshop in workshops:
        edges += [
            Part(
                {
                    "id": f"{workshop['node']}-{m}",
                    "from": workshop["node"],
                    "to": m,
                    "kind": "workshop",
                }
            )
            for m in workshop["members"]
            if m in actor_set
        ]
        edges += [
            Part(
                {
                    "id": f"{workshop['node']}-{t}",
                    "from": workshop["node"],
                    "to": t,
                    "kind": "workshop",
                }
            )
            for t in workshop["topics"]
            if t in topic_set
        ]
    for project in projects:
        edges += [
            Part(
                {
                    "id": f"{project['node']}-{m}",
                    "from": project["node"],
                    "to": m,
                    "kind": "project",
                    "lead": m == project["lead"],
                }
            )
            for m in project["members"]
            if m in actor_set
        ]
        edges += [
            Part(
                {
                    "id": f"{project['node']}-{t}",
                    "from": project["node"],
                    "to": t,
                    "kind": "project",
                }
            )
            for t in project["topics"]
            if t in topic_set
        ]
    edges += [
        Part({"id": f"e{g['id']}", "from": g["id"], "to": topic_node(g["topic_id"]), "kind": "gap"})
        for g in ghosts
        if not landscape_view
    ]
    named = sum(1 for g in ghosts if g["kind"] == "nomination")
    closed = sum(1 for g in ghosts if g["kind"] == CLOSED_GAP)
    if changes is not None:
        nodes = [_flagged(p, changes) for p in nodes]
        edges = [_flagged(p, changes) for p in edges]
    rest = {
        "counts": {
            "actors": sum(1 for p in nodes if p.data["kind"] == "actor")
            - sum(1 for p in nodes if p.data.get("change") == "removed"),
            "topics": len(topics),
            "workshops": len(workshops),
            "projects": len(projects),
            "gaps": len(ghosts) - named - closed,
            "nominations": named,
            "edges": len(edges),
            "all_actors": len(current_base(view)["actor_nodes"]),
        },
        "filters": filters.query(),
        "styles": styles(),
        "metrics_as_of": metrics.key,
        "metrics_current": metrics.key == snap.key,
    }
    if changes is not None:
        rest["counts"].update(
            added=sum(1 for p in nodes if p.data.get("change") == "new"),
            removed=sum(1 for p in nodes if p.data.get("change") == "removed"),
            closed_gaps=closed,
        )
        rest["since"] = filters.since.isoformat()
    if filters.at is not None:
        rest["at"] = filters.at.isoformat()
    if geometry is not None:
        rest["landscape"] = geometry
    return nodes, edges, rest


CLOSED_GAP = "closed_gap"


def _local_day(moment: datetime) -> str:
    return format_date(in_zone(moment, DEFAULT_TZ).date(), "medium")


def _flagged(part: Part, changes: dict[str, Any]) -> Part:
    """A node or edge added since filters.since ("change": "new") or removed since
    ("removed", drawn faded), with the text the map shows ("change_label")."""
    item = part.data["id"]
    if item in changes["added"]:
        when = changes["when"].get(item)
        day = _local_day(when) if when else changes["since_label"]
        label = _("neu seit %(day)s", day=changes["since_label"])
        return Part({**part.data, "change": "new", "changed_on": day, "change_label": label})
    if item in changes["removed"]:
        when = changes["when"].get(item)
        day = _local_day(when) if when else ""
        label = _("entfernt am %(day)s", day=day) if day else _("entfernt")
        return Part({**part.data, "change": "removed", "changed_on": day, "change_label": label})
    return part


def _begun(workshop: dict, moment: datetime) -> bool:
    starts = workshop.get("starts_at")
    if not starts:
        return False
    try:
        return as_utc(datetime.fromisoformat(starts)) <= moment
    except (TypeError, ValueError):
        return False


def _landscape(
    base: dict[str, Any], f: MapFilters, actors: list[str], topics: list[str], ghosts: list[dict]
) -> tuple[dict[str, tuple[float, float]], dict[str, Any]]:
    """Positions in the Akteurslandkarte and its geometry (landscape.geometry_json), kept per
    data state, filters and language."""
    snap = state.snapshot()
    store = snap.value("map-landscape", OrderedDict)
    key = (f, str(get_locale()))
    hit = store.get(key)
    if hit is not None:
        return hit
    graph = base["graph"]
    chosen = topic_node(f.topic) if f.topic is not None else None
    items = []
    counts: dict[str, int] = {}
    for node in actors:
        attrs = graph.nodes[node]
        roles = [
            role
            for _, target, attrs_edge in graph.out_edges(node, data=True)
            if attrs_edge["kind"] == TOPIC_LINK and (chosen is None or target == chosen)
            for role in (attrs_edge.get("role"),)
        ]
        item = landscape.Item(
            id=node,
            name=attrs["label"],
            slice=landscape.slice_of(attrs["sector"], attrs["level"]),
            ring=landscape.ring_of(roles, attrs["power"], attrs["interest"]),
            label=attrs["short_name"] or attrs["label"],
        )
        counts[item.slice] = counts.get(item.slice, 0) + 1
        items.append(item)
    for ghost in ghosts:
        items.append(
            landscape.Item(
                id=ghost["id"],
                name=ghost["label"],
                slice=landscape.slice_of(ghost["sector"]),
                ring=landscape.PRIMARY,
                label=ghost["label"],
            )
        )
        ghost["slice"] = items[-1].slice
    centre = [(t, graph.nodes[t]["code"]) for t in topics]
    pos, geometry = landscape.place(items, centre)
    hit = (pos, landscape.geometry_json(geometry, counts))
    store[key] = hit
    while len(store) > RESPONSE_CACHE:
        store.popitem(last=False)
    return hit


def _visible_actors(base: dict[str, Any], f: MapFilters) -> list[str]:
    graph = base["graph"]
    linked = None
    if f.topic is not None:
        linked = set(analysis.linked_actors(graph, topic_node(f.topic)))
    with_kind = None
    if f.kind or f.reciprocity:
        with_kind = set()
        for u, v, attrs in graph.edges(data=True):
            if _relation_shown(attrs, f):
                with_kind.update((u, v))
    reach = _neighbourhood(graph, f) if f.ego else None
    result = []
    for node in base["actor_nodes"]:
        attrs = graph.nodes[node]
        if node == f.ego:
            result.append(node)
            continue
        if (
            (linked is not None and node not in linked)
            or (with_kind is not None and node not in with_kind)
            or (reach is not None and node not in reach)
            or (f.category and attrs["category"] not in f.category)
            or (f.sector and attrs["sector"] not in f.sector)
            or (f.level and attrs["level"] not in f.level)
            or (f.status and attrs["status"] not in f.status)
        ):
            continue
        result.append(node)
    return result


def _neighbourhood(graph: nx.MultiDiGraph, f: MapFilters) -> set[str]:
    """Actors within f.depth relation steps of f.ego (either direction, chosen kinds only)."""
    seen = {f.ego: 0}
    queue = deque([f.ego])
    while queue:
        node = queue.popleft()
        if seen[node] >= f.depth:
            continue
        steps = [
            (other, kind)
            for _, other, kind in graph.out_edges(node, data="kind")
            if kind != TOPIC_LINK
        ] + [(other, kind) for other, _, kind in graph.in_edges(node, data="kind")]
        for other, kind in steps:
            if f.kind and kind not in f.kind:
                continue
            if f.reciprocity and not _reciprocity_between(graph, node, other, f):
                continue
            if other not in seen:
                seen[other] = seen[node] + 1
                queue.append(other)
    return set(seen)


def _relation_shown(attrs: Mapping, f: MapFilters) -> bool:
    """A relation edge passes the kind and reciprocity filters."""
    kind = attrs["kind"]
    if kind == TOPIC_LINK or (f.kind and kind not in f.kind):
        return False
    return not f.reciprocity or attrs.get("reciprocity") in f.reciprocity


def _reciprocity_between(graph: nx.MultiDiGraph, a: str, b: str, f: MapFilters) -> bool:
    edges = list(graph.get_edge_data(a, b, default={}).values())
    edges += list(graph.get_edge_data(b, a, default={}).values())
    return any(_relation_shown(attrs, f) for attrs in edges)


def _visible_topics(base: dict[str, Any], f: MapFilters, actors: set[str]) -> list[str]:
    if not f.topics:
        return []
    topics = base["topic_nodes"]
    if f.topic is not None:
        return [t for t in topics if t == topic_node(f.topic)]
    if f.ego:
        graph = base["graph"]
        return [t for t in topics if any(a in actors for a in analysis.linked_actors(graph, t))]
    return list(topics)


def _visible_workshops(
    base: dict[str, Any], f: MapFilters, actors: set[str], topics: set[str]
) -> list[dict]:
    if not f.workshops:
        return []
    result = []
    for workshop in base["workshops"]:
        if workshop.get("cancelled") and not f.cancelled:
            continue
        if f.topic is not None and topic_node(f.topic) not in workshop["topics"]:
            continue
        if f.narrows_actors and not any(m in actors for m in workshop["members"]):
            continue
        result.append(workshop)
    return result


def _visible_projects(
    base: dict[str, Any], f: MapFilters, actors: set[str], topics: set[str]
) -> list[dict]:
    """The project layer (off unless asked for): projects of the chosen topic, and when the
    actors are narrowed, those with a visible lead or partner."""
    if not f.projects:
        return []
    result = []
    for project in base["projects"]:
        if f.topic is not None and topic_node(f.topic) not in project["topics"]:
            continue
        if f.narrows_actors and not any(m in actors for m in project["members"]):
            continue
        result.append(project)
    return result


def _xy(pos: Mapping[str, tuple[float, float]], node: str) -> dict[str, float]:
    x, y = pos.get(node, (0.0, 0.0))
    return {"x": x, "y": y}


def _label(enum_cls, value: str) -> str:
    member = enum_cls.parse(value)
    return member.label if member else value


URL_ID = 987654321  # stands for the actor id in the URL patterns built once per response


def _actor_texts() -> dict[str, Any]:
    """Labels of the vocabularies in the current language and the actor URL patterns, looked
    up once per response instead of once per actor (thousands of gettext and url_for calls)."""
    return {
        "labels": {
            enum_cls: {member.value: member.label for member in enum_cls}
            for enum_cls in (Sector, Level, Status)
        },
        "show": url_for("actors.show", actor_id=URL_ID).replace(str(URL_ID), "{}"),
        "edit": url_for("actors.edit", actor_id=URL_ID).replace(str(URL_ID), "{}"),
    }


def _actor_part(
    cache: dict, base: dict[str, Any], node: str, pos: Mapping, metrics: Mapping, texts: Mapping
) -> Part:
    """The actor's node, made again only if something it shows changed."""
    graph = base["graph"]
    attrs = graph.nodes[node]
    inputs = (
        attrs,
        metrics.get(attrs["id"]),  # the row: degree, betweenness, community
        base["descriptions"].get(attrs["id"], ""),
        pos.get(node),
        category_labels(graph).get(attrs["category"]),
        texts["show"],
    )
    hit = cache.get(node)
    if hit is not None and hit[0] == inputs:
        return hit[1]
    part = Part(_actor_json(base, node, pos, metrics, texts))
    cache[node] = (inputs, part)
    return part


def _actor_json(
    base: dict[str, Any], node: str, pos: Mapping, metrics: Mapping, texts: Mapping
) -> dict[str, Any]:
    attrs = base["graph"].nodes[node]
    actor_id = attrs["id"]
    metric = metrics.get(actor_id, {})
    labels = category_labels(base["graph"])
    vocab = texts["labels"]

    def label(enum_cls, value: str) -> str:
        found = vocab[enum_cls].get(value)
        return found if found is not None else _label(enum_cls, value)

    return {
        "id": node,
        "kind": "actor",
        "actor_id": actor_id,
        "label": attrs["short_name"] or attrs["label"],
        "name": attrs["label"],
        "category": attrs["category"],
        "category_label": labels.get(attrs["category"], attrs["category"]),
        "sector": attrs["sector"],
        "sector_label": label(Sector, attrs["sector"]),
        "level": attrs["level"],
        "level_label": label(Level, attrs["level"]),
        "status": attrs["status"],
        "status_label": label(Status, attrs["status"]),
        "city": attrs["city"],
        "power": attrs["power"],
        "interest": attrs["interest"],
        "degree": metric.get("degree", 0),
        "betweenness": metric.get("betweenness", 0.0),
        "community": metric.get("community"),
        "description": base["descriptions"].get(actor_id, ""),
        "url": texts["show"].format(actor_id),
        "edit_url": texts["edit"].format(actor_id),
        **_xy(pos, node),
    }


def _topic_json(graph: nx.MultiDiGraph, node: str, pos: Mapping) -> dict[str, Any]:
    attrs = graph.nodes[node]
    return {
        "id": node,
        "kind": "topic",
        "topic_id": attrs["id"],
        "label": attrs["code"],
        "name": attrs["label"],
        "priority": attrs["priority"],
        "actors": len(analysis.linked_actors(graph, node)),
        "url": url_for("topics.show", topic_id=attrs["id"]),
        **_xy(pos, node),
    }


def _workshop_json(workshop: dict, pos: Mapping) -> dict[str, Any]:
    node = workshop["node"]
    url = None
    if "workshops.show" in current_app.view_functions:
        url = url_for("workshops.show", workshop_id=workshop["id"])
    return {
        "id": node,
        "kind": "workshop",
        "workshop_id": workshop["id"],
        "label": workshop.get("title", node),
        "name": workshop.get("title", node),
        "starts_at": workshop.get("starts_at"),
        "status": workshop.get("status"),
        "phase": workshop.get("phase"),
        "participants": len(workshop["members"]),
        "url": url,
        **_xy(pos, node),
    }


def _project_json(project: dict, pos: Mapping) -> dict[str, Any]:
    node = project["node"]
    url = None
    if "projects.show" in current_app.view_functions:
        url = url_for("projects.show", project_id=project["id"])
    return {
        "id": node,
        "kind": "project",
        "project_id": project["id"],
        "label": project["title"],
        "name": project["title"],
        "status": project["status_label"],
        "partner_city": project["partner_city"],
        "members": len(project["members"]),
        "url": url,
        **_xy(pos, node),
    }


def _ghosts(
    base: dict[str, Any],
    f: MapFilters,
    topics: list[str],
    pos: Mapping,
    view: state.Snapshot | None = None,
    changes: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Grey, dashed nodes around each visible topic: one per gap of the checklist (f.ghosts)
    of the state shown (`view`), one per organisation the actors named as missing in a survey
    (f.nominations, "genannt von N"; not on the map of a past day) and, in a comparison, one
    per gap closed since (`changes`), fanned out together around the topic."""
    visible = set(topics)
    sector_of = base["category_sector"]
    by_topic: dict[str, list[dict]] = {}

    def wanted(item: dict) -> bool:
        node = topic_node(item["topic_id"]) if item["topic_id"] is not None else None
        if node not in visible:
            return False
        if f.category and item["category"] not in f.category:
            return False
        return not (f.sector and sector_of.get(item["category"]) not in f.sector)

    if f.ghosts:
        for gap in reports.gap_list(snap=view):
            if wanted(gap):
                by_topic.setdefault(topic_node(gap["topic_id"]), []).append(_gap_json(gap))
    if f.ghosts and changes is not None:
        closed = {(g["topic_id"], g["category"]) for g in changes["closed"]}
        then = past.snapshot_at(f.since)
        for gap in reports.gap_list(snap=then):
            if (gap["topic_id"], gap["category"]) in closed and wanted(gap):
                item = _closed_gap_json(gap, changes["since_label"])
                by_topic.setdefault(topic_node(gap["topic_id"]), []).append(item)
    if f.nominations and not f.in_past:
        for item in reports.nomination_list():
            if wanted(item):
                by_topic.setdefault(topic_node(item["topic_id"]), []).append(_nomination_json(item))
    centre = _centre(pos)
    result = []
    for node, items in by_topic.items():
        anchor = pos.get(node, (0.0, 0.0))
        spots = layout.ghost_positions(anchor, len(items), centre)
        for item, (x, y) in zip(items, spots, strict=True):
            item["sector"] = sector_of.get(item["category"], "") if item["category"] else ""
            item["x"], item["y"] = x, y
            result.append(item)
    return result


def _checklist_gap(gap: dict) -> dict[str, Any]:
    """What an open and a closed gap of the checklist both show of it."""
    return {
        "source": "checklist",
        "category": gap["category"],
        "category_label": gap["category_label"],
        "topic_id": gap["topic_id"],
        "topic": gap["topic"],
        "topic_label": gap["topic_label"],
        "have": gap["have"],
        "need": gap["need"],
        "reason": gap["reason"],
    }


def _gap_json(gap: dict) -> dict[str, Any]:
    return {
        "id": f"g{gap['topic_id']}-{gap['category']}",
        "kind": "gap",
        "label": _("fehlt: %(category)s", category=gap["category_label"]),
        **_checklist_gap(gap),
        "candidates": gap["candidates"],
        "candidate_actors": gap["candidate_actors"],
        "create_url": url_for("actors.new", category=gap["category"], topic=gap["topic_id"]),
        "link_url": url_for(
            "topics.link_actor", topic_id=gap["topic_id"], category=gap["category"]
        ),
    }


def _closed_gap_json(gap: dict, since: str) -> dict[str, Any]:
    """A gap of the checklist that was open at the comparison day and is filled now."""
    return {
        "id": f"c{gap['topic_id']}-{gap['category']}",
        "kind": CLOSED_GAP,
        "label": _("geschlossen: %(category)s", category=gap["category_label"]),
        **_checklist_gap(gap),
        "change": "closed",
        "change_label": _("Lücke geschlossen seit %(day)s", day=since),
    }


def _nomination_json(item: dict) -> dict[str, Any]:
    """A candidate ghost node: an organisation named as missing by `named_by` actors."""
    review_url = None
    if "surveys.review" in current_app.view_functions:
        review_url = url_for("surveys.review", survey_id=item["survey_id"], kind="nennung")
    create = {"name": item["name"], "topic": item["topic_id"], "status": Status.CANDIDATE.value}
    if item["category"]:
        create["category"] = item["category"]
    return {
        "id": f"n{item['topic_id']}-{item['proposal_id']}",
        "kind": "nomination",
        "source": "survey",
        "label": _("%(name)s (genannt von %(n)s)", name=item["name"], n=item["named_by"]),
        "name": item["name"],
        "category": item["category"] or "",
        "category_label": item["category_label"] or "",
        "topic_id": item["topic_id"],
        "topic": item["topic"],
        "topic_label": item["topic_label"],
        "named_by": item["named_by"],
        "named_by_actors": item["named_by_actors"],
        "reasons": item["reasons"],
        "status": item["status"],
        "candidate_actors": item["candidate_actors"],
        "reason": item["reason"],
        "create_url": url_for("actors.new", **create),
        "review_url": review_url,
    }


def _centre(pos: Mapping[str, tuple[float, float]]) -> tuple[float, float]:
    if not pos:
        return (0.0, 0.0)
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    return (sum(xs) / len(xs), sum(ys) / len(ys))


def _edges(
    graph: nx.MultiDiGraph, f: MapFilters, actors: set[str], topics: set[str], version: object
) -> list[Part]:
    result = []
    for u, v, kind, part in _all_edges(graph, version):
        if u not in actors:
            continue
        if kind == TOPIC_LINK:
            if v not in topics:
                continue
        elif (
            v not in actors
            or (f.kind and kind not in f.kind)
            or (f.reciprocity and part.data.get("reciprocity") not in f.reciprocity)
        ):
            continue
        result.append(part)
    return result


def _all_edges(graph: nx.MultiDiGraph, version: object) -> list[tuple[str, str, str, Part]]:
    """Every edge as (source, target, kind, Part), kept while the edges stay the same
    (state.Snapshot.edges_version); a Part is made again only for an edge that changed."""
    store = current_app.extensions.setdefault(PARTS, {})
    listed = store.get("edge-list")
    if listed is not None and listed[0] is version:
        return listed[1]
    cache = _part_cache("edges")
    items = []
    for u, v, key, attrs in graph.edges(keys=True, data=True):
        hit = cache.get(key)
        if hit is None or hit[0] != (attrs, u, v):
            hit = ((attrs, u, v), Part(_edge_json(u, v, key, attrs)))
            cache[key] = hit
        items.append((u, v, attrs["kind"], hit[1]))
    _pruned(cache, (key for _, _, key in graph.edges(keys=True)), len(items))
    store["edge-list"] = (version, items)
    return items


def _edge_json(u: str, v: str, key: str, attrs: dict) -> dict[str, Any]:
    if attrs["kind"] == TOPIC_LINK:
        return {"id": key, "from": u, "to": v, "kind": TOPIC_LINK, "role": attrs["role"]}
    edge = {
        "id": key,
        "from": u,
        "to": v,
        "kind": attrs["kind"],
        "directed": attrs["directed"],
        "strength": attrs["strength"],
    }
    if attrs.get("reciprocity"):
        edge["reciprocity"] = attrs["reciprocity"]
    return edge
