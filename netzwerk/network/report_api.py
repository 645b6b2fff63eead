"""Analysis API: gaps, findings, metrics and the reference checklist, read-only for every role.

The answers come from the cache in reports.py, so repeated calls cost one SELECT for the change
counter plus the JSON encoding.
"""

from __future__ import annotations

from flask import jsonify, request

from ..core.api import api_bp
from . import past, reports, state


@api_bp.get("/gaps")
def gaps():
    """?topic=SDG12 (code or id) → [{source, topic, category, have, need, candidates, reason,
    ...}]: the checklist gaps (source "checklist"), then the organisations the actors named as
    missing in surveys (source "survey": name, named_by, named_by_actors, reasons, status).
    ?at=YYYY-MM-DD: the checklist gaps of the network at the end of that day (past.py)."""
    topic = request.args.get("topic")
    day = past.parse_day(request.args.get("at"), "at")
    if day is not None and day < past.today():
        return jsonify(reports.gap_list(topic, past.snapshot_at(day)))
    return jsonify(reports.gap_list(topic) + reports.nomination_list(topic))


@api_bp.get("/findings")
def findings():
    """Structural findings: [{kind, severity, text, actors: [ids], actor_refs, topic}]."""
    return jsonify(reports.finding_list(request.args.get("topic")))


@api_bp.get("/metrics")
def metrics():
    """?sort=-degree&topic=SDG12&limit=20 → [{id, label, degree, betweenness, community, ...}]."""
    rows = reports.metric_rows(request.args.get("sort"), request.args.get("topic"))
    limit = request.args.get("limit", type=int)
    if limit is not None and limit >= 0:
        rows = rows[:limit]
    return jsonify(rows)


@api_bp.get("/reference")
def reference():
    """The checklist in the shape of reference.json: {"all": [...], "SDG12": [...]}."""
    return jsonify(state.snapshot().reference)
