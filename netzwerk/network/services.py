"""The map's data: the graph from the analysis cache (reports.snapshot), stored positions,
ghost nodes for the gaps and the workshops, filtered, as JSON for vis-network.

Nothing here lays out the whole graph on a normal request: positions come from NodePosition;
only nodes without one are placed (next to their neighbours) and stored. Styles are one table
(`styles()`) that the JSON carries and the legend is drawn from, so map and legend cannot drift.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from importlib import resources
from typing import Any

import networkx as nx
import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from ..actors.models import Actor
from ..actors.services import categories
from ..actors.vocab import Level, RelationKind, Sector, Status
from ..core.errors import Invalid
from ..extensions import db
from ..topics.models import TopicRole
from . import analysis, layout, reports
from .graph import TOPIC_LINK, actor_node, topic_node
from .models import NodePosition

# --- vendor files ---------------------------------------------------------------------------------

VIS_VERSION = "9.1.2"
VENDOR_DIR = f"lib/vis-{VIS_VERSION}"
VENDOR_FILES = {
    "vis-network.min.js": "text/javascript",
    "vis-network.css": "text/css",
}
_vendor_cache: dict[str, tuple[bytes, str]] = {}


def vendor_file(name: str) -> tuple[bytes, str, str]:
    """(content, mimetype, etag) of a vis-network file from the installed pyvis package, so the
    map works offline and loads nothing from a CDN."""
    if name not in VENDOR_FILES:
        raise KeyError(name)
    if name not in _vendor_cache:
        content = resources.files("pyvis").joinpath(VENDOR_DIR, name).read_bytes()
        etag = f"vis-{VIS_VERSION}-{len(content)}"
        _vendor_cache[name] = (content, etag)
    content, etag = _vendor_cache[name]
    return content, VENDOR_FILES[name], etag


# --- styles: one table for map, JSON and legend ---------------------------------------------------

SECTOR_SHAPES = {
    Sector.ADMINISTRATION: "square",
    Sector.POLITICS: "diamond",
    Sector.CIVIL_SOCIETY: "dot",
    Sector.EDUCATION: "triangle",
    Sector.ECONOMY: "hexagon",
    Sector.PARTNER_CITY: "star",
    Sector.STATE: "triangleDown",
    Sector.MEDIA: "pentagon",  # drawn by map.js (vis has seven shapes with the label below)
}
RELATION_STYLES = {
    RelationKind.COOPERATION: {"color": "#3969ac", "dashes": False},
    RelationKind.PARTNERSHIP: {"color": "#2ca02c", "dashes": False},
    RelationKind.FUNDING: {"color": "#b8860b", "dashes": [10, 5]},
    RelationKind.INSTRUCTION: {"color": "#4b4b4b", "dashes": False},
    RelationKind.MEMBERSHIP: {"color": "#7f3c8d", "dashes": [3, 4]},
    RelationKind.INFORMATION: {"color": "#8a94a3", "dashes": [6, 6]},
    RelationKind.CONFLICT: {"color": "#d62728", "dashes": [12, 4, 3, 4]},
}
ROLE_STYLES = {
    TopicRole.LEAD: {"width": 4, "dashes": False},
    TopicRole.CONTRIBUTING: {"width": 2.5, "dashes": False},
    TopicRole.INTERESTED: {"width": 1.5, "dashes": [2, 4]},
    TopicRole.AFFECTED: {"width": 1.5, "dashes": [8, 4]},
}
TOPIC_LINK_COLOR = "#9aa5b1"
KIND_STYLES = {
    "topic": {"shape": "box", "color": "#0b3b60", "border": "#06243b", "font": "#ffffff"},
    "workshop": {"shape": "box", "color": "#fff4d6", "border": "#8a5a00", "font": "#1d2430"},
    "gap": {"shape": "dot", "color": "#f1f1f1", "border": "#7a7a7a", "font": "#5b6472"},
    "gap_edge": {"color": "#9a9a9a", "dashes": [5, 5]},
    "workshop_edge": {"color": "#c79a3b", "dashes": [2, 3]},
}
STATUS_STYLES = {
    Status.CANDIDATE: {"border": "#8a5a00", "border_width": 3, "opacity": 1.0},
    Status.INACTIVE: {"border": "#9a9a9a", "border_width": 1, "opacity": 0.35},
}
GAP_DASHES = [5, 4]
DESCRIPTION_CHARS = 200
RESPONSE_CACHE = 24


COLOR = re.compile(r"#[0-9a-fA-F]{3,8}")
FALLBACK_COLOR = "#7f7f7f"


def safe_color(value: str | None) -> str:
    """Category colours end up in style attributes and on the canvas: only #rgb(a) values."""
    return value if value and COLOR.fullmatch(value) else FALLBACK_COLOR


def styles() -> dict[str, Any]:
    """Colours, shapes and dashes by vocabulary key: sent with the graph, drawn in the legend."""
    return {
        "categories": {c.key: safe_color(c.color) for c in categories()},
        "sectors": {str(s): shape for s, shape in SECTOR_SHAPES.items()},
        "relations": {str(k): style for k, style in RELATION_STYLES.items()},
        "roles": {str(r): {**style, "color": TOPIC_LINK_COLOR} for r, style in ROLE_STYLES.items()},
        "kinds": KIND_STYLES,
        "status": {str(s): style for s, style in STATUS_STYLES.items()},
        "gap_dashes": GAP_DASHES,
    }


def legend() -> dict[str, list[dict]]:
    """The legend's rows, from the same vocabularies and style table as the map."""
    table = styles()
    return {
        "categories": [
            {"key": c.key, "label": c.label, "color": safe_color(c.color), "sector": str(c.sector)}
            for c in categories()
        ],
        "sectors": [{"key": str(s), "label": s.label, "shape": SECTOR_SHAPES[s]} for s in Sector],
        "relations": [
            {"key": str(k), "label": k.label, **RELATION_STYLES[k]} for k in RelationKind
        ],
        "roles": [{"key": str(r), "label": r.label, **table["roles"][str(r)]} for r in TopicRole],
        "status": [{"key": str(s), "label": s.label, **STATUS_STYLES[s]} for s in STATUS_STYLES],
        "kinds": KIND_STYLES,
    }


# --- filters -------------------------------------------------------------------------------------

TRUE = ("1", "true", "ja", "yes", "on", "an")
FALSE = ("0", "false", "nein", "no", "off", "aus")
SIZES = ("degree", "power")
MAX_DEPTH = 3


@dataclass(frozen=True)
class MapFilters:
    """What the map shows. The same names are used in the page URL and on /api/graph."""

    topic: int | None = None
    category: tuple[str, ...] = ()
    sector: tuple[str, ...] = ()
    level: tuple[str, ...] = ()
    kind: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    ego: str | None = None
    depth: int = 1
    topics: bool = True
    ghosts: bool = True
    workshops: bool = True
    labels: bool = True
    size: str = "degree"

    @property
    def narrows_actors(self) -> bool:
        return bool(
            self.category or self.sector or self.level or self.kind or self.status or self.ego
        )

    def query(self) -> dict[str, Any]:
        """The non-default values as query parameters (for links and the JSON answer)."""
        result: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value == f.default or (f.name == "depth" and not self.ego):
                continue
            if isinstance(value, bool):
                value = "1" if value else "0"
            elif isinstance(value, tuple):
                value = list(value)
            result[f.name] = value
        return result


def _values(args: Mapping, name: str) -> list[str]:
    raw = args.getlist(name) if hasattr(args, "getlist") else args.get(name)
    if raw is None:
        raw = []
    elif isinstance(raw, str | int):
        raw = [raw]
    found = []
    for item in raw:
        found.extend(part.strip() for part in str(item).split(",") if part.strip())
    return found


def _vocab_values(enum_cls, args: Mapping, name: str) -> tuple[str, ...]:
    result = []
    for value in _values(args, name):
        member = enum_cls.parse(value)
        if member is None:
            allowed = ", ".join(m.value for m in enum_cls)
            raise Invalid(f"Unbekannter Wert für {name}: {value} (erlaubt: {allowed})", field=name)
        result.append(member.value)
    return tuple(dict.fromkeys(result))


def _flag(args: Mapping, name: str, default: bool) -> bool:
    values = _values(args, name)
    if not values:
        return default
    text = values[-1].casefold()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise Invalid(f"{name} muss 1 oder 0 sein, nicht {values[-1]}.", field=name)


def parse_filters(args: Mapping) -> MapFilters:
    """Read and check the filters; an unknown value is an error, never silently ignored."""
    snap = reports.snapshot()
    graph = snap.graph
    topic_refs = _values(args, "topic")
    topic = reports.resolve_topic(topic_refs[0], snap) if topic_refs else None
    known = graph.graph.get("category_labels", {})
    chosen = tuple(dict.fromkeys(_values(args, "category")))
    for key in chosen:
        if key not in known:
            raise Invalid(f"Unbekannte Kategorie: {key}", field="category")
    ego = None
    ego_values = _values(args, "ego")
    if ego_values:
        ref = ego_values[0]
        ego = ref if ref.startswith("a") else f"a{ref}"
        if graph.nodes.get(ego, {}).get("kind") != "actor":
            raise Invalid(f"Unbekannter Akteur für die Nachbarschaft: {ref}", field="ego")
    depth_values = _values(args, "depth")
    depth = 1
    if depth_values:
        try:
            depth = int(depth_values[0])
        except ValueError:
            depth = 0
        if not 1 <= depth <= MAX_DEPTH:
            raise Invalid(f"depth muss zwischen 1 und {MAX_DEPTH} liegen.", field="depth")
    size_values = _values(args, "size")
    size = size_values[0] if size_values else "degree"
    if size not in SIZES:
        raise Invalid(f"size muss degree oder power sein, nicht {size}.", field="size")
    return MapFilters(
        topic=topic["id"] if topic else None,
        category=chosen,
        sector=_vocab_values(Sector, args, "sector"),
        level=_vocab_values(Level, args, "level"),
        kind=_vocab_values(RelationKind, args, "kind"),
        status=_vocab_values(Status, args, "status"),
        ego=ego,
        depth=depth,
        topics=_flag(args, "topics", True),
        ghosts=_flag(args, "ghosts", True),
        workshops=_flag(args, "workshops", True),
        labels=_flag(args, "labels", True),
        size=size,
    )


def filter_choices() -> dict[str, Any]:
    """Options for the filter form: every vocabulary, from its one source."""
    return {
        "topics": reports.topics(),
        "categories": [(c.key, c.label) for c in categories()],
        "sectors": Sector.choices(),
        "levels": Level.choices(),
        "kinds": RelationKind.choices(),
        "statuses": Status.choices(),
        "depths": list(range(1, MAX_DEPTH + 1)),
    }


# --- the base data of one database state ---------------------------------------------------------


def _base(snap: reports.Snapshot) -> dict[str, Any]:
    """Everything the map derives from one state of the data, computed once per state. The
    metrics are not part of it: they may arrive later (reports.Snapshot.metrics_result)."""
    graph = snap.graph
    cats = {c.key: c for c in categories()}
    descriptions = snap.value("carry:map-descriptions", lambda: _descriptions(snap))
    workshops = _workshops(graph, snap.value("carry:map-workshops", lambda: _workshop_rows(snap)))
    layout_nodes = set(graph.nodes)
    layout_nodes.update(workshop["node"] for workshop in workshops)
    return {
        "graph": graph,
        "layout_nodes": layout_nodes,
        "category_sector": {key: str(c.sector) for key, c in cats.items()},
        "descriptions": descriptions,
        "workshops": workshops,
        "topic_nodes": analysis.topic_nodes(graph),
        "actor_nodes": analysis.actor_nodes(graph),
    }


def layout_graph(base: dict[str, Any]) -> nx.Graph:
    """Actors, topics and workshops with their links, for placing nodes; only needed when
    nodes are placed, so it is built then."""
    if "layout_graph" not in base:
        graph = base["graph"]
        placed = nx.Graph()
        placed.add_nodes_from(graph.nodes)
        placed.add_edges_from((u, v) for u, v in graph.edges() if u != v)
        for workshop in base["workshops"]:
            placed.add_node(workshop["node"])
            placed.add_edges_from((workshop["node"], n) for n in workshop["members"])
            placed.add_edges_from((workshop["node"], t) for t in workshop["topics"])
        base["layout_graph"] = placed
    return base["layout_graph"]


def _descriptions(snap: reports.Snapshot) -> dict[int, str]:
    """Actor id → the start of its description; after a change only the changed actors are
    read again."""
    query = sa.select(Actor.id, sa.func.substr(Actor.description, 1, DESCRIPTION_CHARS)).where(
        Actor.description != ""
    )
    kept = snap.carried("carry:map-descriptions", lambda changes: True)
    if kept is None:
        return dict(db.session.execute(query).all())
    changed = snap.changes.actors
    if not changed:
        return kept
    result = {k: v for k, v in kept.items() if k not in changed}
    result.update(db.session.execute(query.where(Actor.id.in_(changed))).all())
    return result


# audit entities that do not change what workshop_graph_data() answers
WORKSHOPS_UNAFFECTED = frozenset({"actor", "relation", "actor_topic", "user", "api_token"})


def _workshop_rows(snap: reports.Snapshot) -> list[dict]:
    """Workshops from the workshops domain (read again only after changes that can touch them:
    workshops, invitations, contacts, deleted actors)."""
    kept = snap.carried(
        "carry:map-workshops",
        lambda changes: changes.entities <= WORKSHOPS_UNAFFECTED and not changes.deleted,
    )
    if kept is not None:
        return kept
    from ..workshops.services import workshop_graph_data

    return workshop_graph_data()


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


# --- positions -----------------------------------------------------------------------------------

_position_lock = threading.Lock()
POSITIONS = "network_map_positions"


def _stored_positions() -> dict[str, tuple[float, float]]:
    """The stored positions (read only); read again only when their count or newest change
    moved, which every placement, drag and "Neu anordnen" does."""
    stamp = _positions_stamp()
    cached = current_app.extensions.get(POSITIONS)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    rows = db.session.execute(sa.select(NodePosition.key, NodePosition.x, NodePosition.y))
    stored = {key: (x, y) for key, x, y in rows}
    current_app.extensions[POSITIONS] = (stamp, stored)
    return stored


def positions(base: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """Stored positions for every node; nodes without one are placed now and stored, positions
    of nodes that no longer exist are removed (so a reused id does not inherit them)."""
    stored = _stored_positions()
    wanted = base["layout_nodes"]
    if len(stored) == len(wanted) and wanted.issuperset(stored):
        return stored
    with _position_lock:
        wanted = layout_graph(base)
        stored = _stored_positions()
        kept = {k: p for k, p in stored.items() if k in wanted}
        missing = [n for n in wanted if n not in kept]
        orphans = [k for k in stored if k not in wanted]
        if kept:
            new = layout.place_new(wanted, kept, missing)
        else:
            new = layout.compute_layout(wanted)
        _write(new, delete=orphans)
        return {**kept, **new}


def _write(new: Mapping[str, tuple[float, float]], delete: Iterable[str] = ()) -> None:
    delete = list(delete)
    if delete:
        db.session.execute(sa.delete(NodePosition).where(NodePosition.key.in_(delete)))
    rows = [{"key": k, "x": x, "y": y, "pinned": False} for k, (x, y) in new.items()]
    if rows:
        insert = _insert_ignoring_duplicates()
        for start in range(0, len(rows), 500):
            db.session.execute(insert, rows[start : start + 500])
    db.session.commit()


def _insert_ignoring_duplicates():
    """Two first visits at once may both place a node: the first write wins, nothing fails."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    elif dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        return sa.insert(NodePosition)
    return insert(NodePosition).on_conflict_do_nothing(index_elements=["key"])


MAX_SAVE = 10000
COORDINATE_LIMIT = 1e7


def save_positions(items: Any) -> int:
    """Store positions an editor dragged: [{"id": "a12", "x": 10.5, "y": -3}, ...]; pinned."""
    if not isinstance(items, list) or not items:
        raise Invalid("positions muss eine nicht leere Liste sein.", field="positions")
    if len(items) > MAX_SAVE:
        raise Invalid(f"Höchstens {MAX_SAVE} Positionen auf einmal.", field="positions")
    base = _current_base()
    known = base["layout_nodes"]
    values: dict[str, tuple[float, float]] = {}
    for item in items:
        if not isinstance(item, dict):
            raise Invalid("Jede Position braucht id, x und y.", field="positions")
        key = str(item.get("id", ""))
        if key not in known:
            raise Invalid(
                f"Unbekannter Knoten: {key or '–'} (Lücken-Knoten werden nicht gespeichert).",
                field="positions",
            )
        try:
            x, y = float(item["x"]), float(item["y"])
        except (KeyError, TypeError, ValueError) as exc:
            raise Invalid(f"x und y von {key} müssen Zahlen sein.", field="positions") from exc
        if not all(math.isfinite(v) and abs(v) < COORDINATE_LIMIT for v in (x, y)):
            raise Invalid(f"Die Position von {key} liegt außerhalb der Karte.", field="positions")
        values[key] = (round(x, 1), round(y, 1))
    existing = {
        p.key: p
        for p in db.session.scalars(
            sa.select(NodePosition).where(NodePosition.key.in_(list(values)))
        )
    }
    for key, (x, y) in values.items():
        row = existing.get(key)
        if row is None:
            db.session.add(NodePosition(key=key, x=x, y=y, pinned=True))
        else:
            row.x, row.y, row.pinned = x, y, True
    db.session.commit()
    return len(values)


def relayout(keep_pinned: bool = False) -> dict[str, Any]:
    """ "Neu anordnen": compute every position again and replace the stored ones. With
    keep_pinned the positions editors set by hand stay and the rest arrange around them."""
    base = _current_base()
    started = time.perf_counter()
    fixed = {}
    if keep_pinned:
        rows = db.session.execute(
            sa.select(NodePosition.key, NodePosition.x, NodePosition.y).where(NodePosition.pinned)
        )
        fixed = {key: (x, y) for key, x, y in rows}
    with _position_lock:
        new = layout.compute_layout(layout_graph(base), fixed=fixed or None)
        db.session.execute(sa.delete(NodePosition).where(NodePosition.key.not_in(list(fixed))))
        db.session.flush()
        _write({k: p for k, p in new.items() if k not in fixed})
    return {
        "nodes": len(new),
        "kept": len(fixed),
        "seconds": round(time.perf_counter() - started, 2),
    }


# --- the map data --------------------------------------------------------------------------------


def _current_base(snap: reports.Snapshot | None = None) -> dict[str, Any]:
    """The map's base data for the current state."""
    snap = snap or reports.snapshot()
    return snap.value("map-base", lambda: _base(snap))


def _positions_stamp() -> tuple:
    return tuple(
        db.session.execute(
            sa.select(sa.func.count(NodePosition.key), sa.func.max(NodePosition.updated_at))
        ).one()
    )


def graph_json(filters: MapFilters) -> bytes:
    """/api/graph's body. Kept per data state, positions state, language, filters and metrics
    state, so a repeated request costs two small SELECTs; after a change, the actors and edges
    that did not change are not encoded again (Part)."""
    snap = reports.snapshot()
    metrics = snap.metrics_result(stale_ok=True)
    responses = snap.value("map-responses", OrderedDict)
    key = (_positions_stamp(), str(get_locale()), filters, metrics.key)
    cached = responses.get(key)
    if cached is None:
        nodes, edges, rest = _map_parts(filters, snap, metrics)
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
        key = (_positions_stamp(), str(get_locale()), filters, metrics.key)  # placing may write
        responses[key] = cached
        while len(responses) > RESPONSE_CACHE:
            responses.popitem(last=False)
    return cached


def map_data(
    filters: MapFilters,
    snap: reports.Snapshot | None = None,
    metrics: reports.Result | None = None,
) -> dict[str, Any]:
    """{"nodes": [...], "edges": [...], "counts", "filters", "styles", "metrics_as_of",
    "metrics_current"} for one view.

    Degree, betweenness and community may come from an earlier state while the current one
    is computed in the background (reports.Snapshot.metrics_result): then "metrics_current"
    is false and "metrics_as_of" names the state (change counter) they describe."""
    nodes, edges, rest = _map_parts(filters, snap, metrics)
    return {"nodes": [p.data for p in nodes], "edges": [p.data for p in edges], **rest}


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
    """Actor id → metric row; the same rows serve many states (reports.Snapshot.metrics_result),
    so the index is kept with them."""
    store = current_app.extensions.setdefault(PARTS, {})
    indexed = store.get("metrics-by-id")
    if indexed is None or indexed[0] is not rows:
        indexed = (rows, {row["id"]: row for row in rows})
        store["metrics-by-id"] = indexed
    return indexed[1]


def _map_parts(
    filters: MapFilters,
    snap: reports.Snapshot | None = None,
    metrics: reports.Result | None = None,
) -> tuple[list[Part], list[Part], dict[str, Any]]:
    snap = snap or reports.snapshot()
    metrics = metrics or snap.metrics_result(stale_ok=True)
    base = _current_base(snap)
    pos = positions(base)
    graph = base["graph"]
    actors = _visible_actors(base, filters)
    actor_set = set(actors)
    topics = _visible_topics(base, filters, actor_set)
    topic_set = set(topics)
    workshops = _visible_workshops(base, filters, actor_set, topic_set)
    nodes = [Part(_topic_json(graph, t, pos)) for t in topics]
    by_id = _metrics_by_id(metrics.value)
    texts = _actor_texts()
    cache = _part_cache("actors", str(get_locale()))
    nodes += [_actor_part(cache, base, a, pos, by_id, texts) for a in actors]
    _pruned(cache, base["actor_nodes"], len(base["actor_nodes"]))
    nodes += [Part(_workshop_json(w, pos)) for w in workshops]
    ghosts = _ghosts(base, filters, topics, pos) if filters.topics and filters.ghosts else []
    nodes += [Part(g) for g in ghosts]
    edges = _edges(graph, filters, actor_set, topic_set, snap.edges_version)
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
    edges += [
        Part({"id": f"e{g['id']}", "from": g["id"], "to": topic_node(g["topic_id"]), "kind": "gap"})
        for g in ghosts
    ]
    rest = {
        "counts": {
            "actors": len(actors),
            "topics": len(topics),
            "workshops": len(workshops),
            "gaps": len(ghosts),
            "edges": len(edges),
            "all_actors": len(base["actor_nodes"]),
        },
        "filters": filters.query(),
        "styles": styles(),
        "metrics_as_of": metrics.key,
        "metrics_current": metrics.key == snap.key,
    }
    return nodes, edges, rest


def _visible_actors(base: dict[str, Any], f: MapFilters) -> list[str]:
    graph = base["graph"]
    linked = None
    if f.topic is not None:
        linked = set(analysis.linked_actors(graph, topic_node(f.topic)))
    with_kind = None
    if f.kind:
        with_kind = set()
        for u, v, kind in graph.edges(data="kind"):
            if kind in f.kind:
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
            if other not in seen:
                seen[other] = seen[node] + 1
                queue.append(other)
    return set(seen)


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
        if f.topic is not None and topic_node(f.topic) not in workshop["topics"]:
            continue
        if f.narrows_actors and not any(m in actors for m in workshop["members"]):
            continue
        result.append(workshop)
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
        graph.graph.get("category_labels", {}).get(attrs["category"]),
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
    labels = base["graph"].graph.get("category_labels", {})
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


def _ghosts(
    base: dict[str, Any], f: MapFilters, topics: list[str], pos: Mapping
) -> list[dict[str, Any]]:
    """One grey, dashed node per gap of a visible topic, fanned out around the topic."""
    visible = set(topics)
    sector_of = base["category_sector"]
    by_topic: dict[str, list[dict]] = {}
    for gap in reports.gap_list():
        node = topic_node(gap["topic_id"])
        if node not in visible:
            continue
        if f.category and gap["category"] not in f.category:
            continue
        if f.sector and sector_of.get(gap["category"]) not in f.sector:
            continue
        by_topic.setdefault(node, []).append(gap)
    centre = _centre(pos)
    result = []
    for node, gaps in by_topic.items():
        anchor = pos.get(node, (0.0, 0.0))
        for gap, (x, y) in zip(
            gaps, layout.ghost_positions(anchor, len(gaps), centre), strict=True
        ):
            result.append(
                {
                    "id": f"g{gap['topic_id']}-{gap['category']}",
                    "kind": "gap",
                    "label": _("fehlt: %(category)s", category=gap["category_label"]),
                    "category": gap["category"],
                    "category_label": gap["category_label"],
                    "sector": sector_of.get(gap["category"], ""),
                    "topic_id": gap["topic_id"],
                    "topic": gap["topic"],
                    "topic_label": gap["topic_label"],
                    "have": gap["have"],
                    "need": gap["need"],
                    "candidates": gap["candidates"],
                    "candidate_actors": gap["candidate_actors"],
                    "reason": gap["reason"],
                    "create_url": url_for(
                        "actors.new", category=gap["category"], topic=gap["topic_id"]
                    ),
                    "x": x,
                    "y": y,
                }
            )
    return result


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
        elif v not in actors or (f.kind and kind not in f.kind):
            continue
        result.append(part)
    return result


def _all_edges(graph: nx.MultiDiGraph, version: object) -> list[tuple[str, str, str, Part]]:
    """Every edge as (source, target, kind, Part), kept while the edges stay the same
    (reports.Snapshot.edges_version); a Part is made again only for an edge that changed."""
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
    return {
        "id": key,
        "from": u,
        "to": v,
        "kind": attrs["kind"],
        "directed": attrs["directed"],
        "strength": attrs["strength"],
    }


def vocabulary_labels() -> dict[str, dict[str, str]]:
    """Labels for relation kinds and roles, for the side panel and the table."""
    return {
        "relations": {k.value: k.label for k in RelationKind},
        "roles": {r.value: r.label for r in TopicRole},
    }
