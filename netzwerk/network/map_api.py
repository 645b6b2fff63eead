"""Map API: the graph for vis-network (every role may read), positions (editors write)."""

from __future__ import annotations

from flask import Response, jsonify, request

from ..auth.permissions import editor_required
from ..core.api import api_bp, json_body
from . import map_data, map_filters, positions


@api_bp.get("/graph")
def graph():
    """?topic=SDG12&category=schule&sector=&level=&kind=&status=&ego=a12&depth=2&topics=1&ghosts=1
    → {"nodes": [{id, label, kind actor|topic|workshop|gap, category, sector, x, y, ...}],
    "edges": [{id, from, to, kind, ...}], "counts", "filters", "styles"}."""
    filters = map_filters.parse_filters(request.args)
    return Response(map_data.graph_json(filters), mimetype="application/json")


@api_bp.post("/graph/positions")
@editor_required
def save_positions():
    """{"positions": [{"id": "a12", "x": 10.5, "y": -3.0}, ...]} → {"saved": n}."""
    saved = positions.save_positions(json_body().get("positions"))
    return jsonify(saved=saved)


@api_bp.post("/graph/layout")
@editor_required
def relayout():
    """ "Neu anordnen": {"keep_pinned": false} → {"nodes", "kept", "seconds"}."""
    data = request.get_json(silent=True) or {}
    return jsonify(positions.relayout(keep_pinned=bool(data.get("keep_pinned"))))
