"""Where the map's nodes sit: the layout is computed on the server, stored in NodePosition and
reused on every visit.

A request that reads writes nothing: nodes without a stored position (new since the last
change was placed) are placed in memory, next to their neighbours. Positions are stored when
the data changes (place_new_nodes, after every write request and by `setup`/`demo`), when an
editor drags nodes and on "Neu anordnen"."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from ..core.errors import Invalid
from ..extensions import db
from . import layout
from .models import NodePosition


def layout_graph(base: dict[str, Any]) -> nx.Graph:
    """Actors, topics, workshops and projects with their links, for placing nodes; only
    needed when nodes are placed, so it is built then."""
    if "layout_graph" not in base:
        graph = base["graph"]
        placed = nx.Graph()
        placed.add_nodes_from(graph.nodes)
        placed.add_edges_from((u, v) for u, v in graph.edges() if u != v)
        for workshop in base["workshops"]:
            placed.add_node(workshop["node"])
            placed.add_edges_from((workshop["node"], n) for n in workshop["members"])
            placed.add_edges_from((workshop["node"], t) for t in workshop["topics"])
        for project in base.get("projects", []):
            placed.add_node(project["node"])
            placed.add_edges_from((project["node"], n) for n in project["members"])
            placed.add_edges_from((project["node"], t) for t in project["topics"])
        base["layout_graph"] = placed
    return base["layout_graph"]


# --- positions -----------------------------------------------------------------------------------

_position_lock = threading.Lock()
POSITIONS = "network_map_positions"


def _stored_positions() -> dict[str, tuple[float, float]]:
    """The stored positions (read only); read again only when their count or newest change
    moved, which every placement, drag and "Neu anordnen" does."""
    stamp = positions_stamp()
    cached = current_app.extensions.get(POSITIONS)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    rows = db.session.execute(sa.select(NodePosition.key, NodePosition.x, NodePosition.y))
    stored = {key: (x, y) for key, x, y in rows}
    current_app.extensions[POSITIONS] = (stamp, stored)
    return stored


def positions(base: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """A position for every node of the map: the stored ones, and for nodes without one a
    place next to their neighbours, computed here and kept with the state (not stored)."""
    stored = _stored_positions()
    wanted = base["layout_nodes"]
    if len(stored) == len(wanted) and wanted.issuperset(stored):
        return stored
    placed = base.setdefault("placed", {})
    stamp = positions_stamp()
    if stamp not in placed:
        kept, new, _ = _placement(base, stored)
        placed.clear()
        placed[stamp] = {**kept, **new}
    return placed[stamp]


def _placement(base: dict[str, Any], stored: Mapping[str, tuple[float, float]]):
    """(stored positions still used, positions for the nodes without one, stored keys of
    nodes that are gone)."""
    wanted = layout_graph(base)
    kept = {k: p for k, p in stored.items() if k in wanted}
    missing = [n for n in wanted if n not in kept]
    orphans = [k for k in stored if k not in wanted]
    new = layout.place_new(wanted, kept, missing) if kept else layout.compute_layout(wanted)
    return kept, new, orphans


READS = frozenset({"GET", "HEAD", "OPTIONS"})


def init_app(app) -> None:
    """After a request that changed data, store positions for the nodes it added."""
    from flask import g, request

    from ..audit.services import data_version

    @app.before_request
    def note_data_version():
        if request.method not in READS and request.endpoint != "static":
            g.netzwerk_version_before = data_version()

    @app.after_request
    def place_after_change(response):
        before = g.pop("netzwerk_version_before", None)
        if before is None or response.status_code >= 400:
            return response
        try:
            if data_version() != before:
                place_new_nodes()
        except Exception:  # the change itself is saved; placing waits for the next one
            db.session.rollback()
            current_app.logger.exception("Neue Knoten konnten nicht platziert werden")
        return response


def place_new_nodes() -> int:
    """After a change: store positions for nodes that have none yet and forget those of nodes
    that are gone (so a reused id does not inherit them). Returns how many were placed."""
    from .map_data import current_base  # the map's data needs the positions: imported here

    base = current_base()
    stored = _stored_positions()
    wanted = base["layout_nodes"]
    if len(stored) == len(wanted) and wanted.issuperset(stored):
        return 0
    with _position_lock:
        _, new, orphans = _placement(base, _stored_positions())
        _write(new, delete=orphans)
    return len(new)


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
        raise Invalid(_("positions muss eine nicht leere Liste sein."), field="positions")
    if len(items) > MAX_SAVE:
        raise Invalid(
            _("Höchstens %(MAX_SAVE)s Positionen auf einmal.", MAX_SAVE=MAX_SAVE), field="positions"
        )
    from .map_data import current_base  # the map's data needs the positions: imported here

    base = current_base()
    known = base["layout_nodes"]
    values: dict[str, tuple[float, float]] = {}
    for item in items:
        if not isinstance(item, dict):
            raise Invalid(_("Jede Position braucht id, x und y."), field="positions")
        key = str(item.get("id", ""))
        if key not in known:
            raise Invalid(
                _(
                    "Unbekannter Knoten: %(value)s (Lücken-Knoten werden nicht gespeichert).",
                    value=key or "–",
                ),
                field="positions",
            )
        try:
            x, y = float(item["x"]), float(item["y"])
        except (KeyError, TypeError, ValueError) as exc:
            raise Invalid(
                _("x und y von %(key)s müssen Zahlen sein.", key=key), field="positions"
            ) from exc
        if not all(math.isfinite(v) and abs(v) < COORDINATE_LIMIT for v in (x, y)):
            raise Invalid(
                _("Die Position von %(key)s liegt außerhalb der Karte.", key=key), field="positions"
            )
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
    from .map_data import current_base  # the map's data needs the positions: imported here

    base = current_base()
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


def positions_stamp() -> tuple:
    """(count, newest change) of the stored positions: moves with every write."""
    return tuple(
        db.session.execute(
            sa.select(sa.func.count(NodePosition.key), sa.func.max(NodePosition.updated_at))
        ).one()
    )
