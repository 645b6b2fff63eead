"""The map page (/karte), its table view (/karte/tabelle) and the vis-network files."""

from __future__ import annotations

from io import BytesIO

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_wtf.csrf import generate_csrf

from ..auth.permissions import can_edit, public
from ..core.errors import DomainError
from . import landscape_picture, map_data, map_filters, map_styles, past
from . import vendor as vendor_files
from .blueprint import bp

VENDOR_MAX_AGE = 365 * 24 * 3600  # the URL carries the version, so it may be cached long


def _filters() -> map_filters.MapFilters:
    """The filters from the URL; a wrong one is reported and the unfiltered map shown."""
    try:
        return map_filters.parse_filters(request.args)
    except DomainError as exc:
        flash(exc.message, "error")
        return map_filters.MapFilters()


@bp.route("/karte")
def map():  # the endpoint name network.map is what the navigation links to
    filters = _filters()
    try:
        focus = map_filters.parse_focus(request.args)
    except DomainError as exc:
        flash(exc.message, "error")
        focus = None
    config = {
        "focus": focus,
        "api": url_for("api.graph"),
        "positions": url_for("api.save_positions"),
        "layout": url_for("api.relayout"),
        "table": url_for("network.map_table"),
        "svg": url_for("network.landscape_svg"),
        "page": url_for("network.map"),
        "csrf": generate_csrf(),
        "can_edit": can_edit(),
        "labels": map_styles.vocabulary_labels(),
        # above this many actors the map draws communities until one zooms in (map.js)
        "group_above": current_app.config.get("MAP_GROUP_ABOVE", 3000),
    }
    return render_template(
        "network/map.html",
        filters=filters,
        query=filters.query(),
        choices=map_filters.filter_choices(),
        legend=map_styles.legend(),
        today=past.today().isoformat(),
        timeline=_timeline(filters),
        config=config,
        vis_version=vendor_files.VIS_VERSION,
    )


def _timeline(filters) -> dict | None:
    """The slider under "Stand am": one step per day from the first recorded change to today."""
    first, today = past.first_day(), past.today()
    if first is None or first >= today:
        return None
    at = filters.at or today
    return {
        "first": first.isoformat(),
        "days": (today - first).days,
        "value": max(0, (at - first).days),
    }


@bp.route("/map")
def map_en():
    """English address of the map; keeps the filters."""
    return redirect(url_for("network.map", **request.args.to_dict(flat=False)), code=301)


@bp.route("/karte/tabelle")
def map_table():
    """The same filtered data as an HTML table, for keyboard and screen-reader users."""
    filters = _filters()
    data = map_data.map_data(filters)
    by_id = {node["id"]: node for node in data["nodes"]}
    return render_template(
        "network/map_table.html",
        filters=filters,
        query=filters.query(),
        choices=map_filters.filter_choices(),
        actors=[n for n in data["nodes"] if n["kind"] == "actor"],
        topics=[n for n in data["nodes"] if n["kind"] == "topic"],
        workshops=[n for n in data["nodes"] if n["kind"] == "workshop"],
        projects=[n for n in data["nodes"] if n["kind"] == "project"],
        gaps=[n for n in data["nodes"] if n["kind"] == "gap"],
        nominations=[n for n in data["nodes"] if n["kind"] == "nomination"],
        closed_gaps=[n for n in data["nodes"] if n["kind"] == map_data.CLOSED_GAP],
        today=past.today().isoformat(),
        edges=data["edges"],
        by_id=by_id,
        counts=data["counts"],
        labels=map_styles.vocabulary_labels(),
    )


@bp.route("/karte/akteurslandkarte.svg")
def landscape_svg():
    """The Akteurslandkarte of the map's filters as an SVG file with title, date and legend
    (drawn on the server from the same positions as the map)."""
    scene, title, description, _key = landscape_picture.picture(_filters())
    response = current_app.response_class(scene.svg(title, description), mimetype="image/svg+xml")
    response.headers["Content-Disposition"] = 'attachment; filename="akteurslandkarte.svg"'
    return response


@bp.route("/vendor/<name>")
@public
def vendor(name: str):
    """vis-network from the installed pyvis package: no CDN, works offline."""
    try:
        content, mimetype, etag = vendor_files.vendor_file(name)
    except KeyError:
        abort(404)
    response = send_file(
        BytesIO(content),
        mimetype=mimetype,
        etag=etag,
        max_age=VENDOR_MAX_AGE if request.args.get("v") else 3600,
        conditional=True,
        download_name=name,
    )
    response.headers["Content-Disposition"] = "inline"
    return response
