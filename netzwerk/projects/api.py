"""JSON API for projects: the list format, paging, typed fields and errors of /api/actors."""

from __future__ import annotations

from flask import jsonify, url_for
from flask_babel import gettext as _

from ..auth.permissions import editor_required
from ..core.api import api_bp, checked, created, filter_args, json_body, no_content, paged
from . import services

FIELDS = {
    "title": "text",
    "description": "text?",
    "status": "text?",
    "topics": "list",
    "lead_actor_id": "int?",
    "partner_actor_ids": "list",
    "partner_city_id": "int?",
    "starts_on": "text?",
    "ends_on": "text?",
    "funding_amount": "number?",
    "funder_actor_id": "int?",
    "funding_programme": "text?",
    "sdg_targets": "list",
    "links": "list",
}
READONLY = frozenset({"id"})
FILTERS = ("q", "topic", "status", "actor", "partner_city")


@api_bp.get("/projects")
def projects_index():
    query = services.project_query(filter_args(FILTERS)).options(*services.LOAD)
    return paged(query, services.project_json)


@api_bp.post("/projects")
@editor_required
def projects_create():
    project = services.create_project(checked(json_body(), FIELDS, READONLY))
    return created(
        services.project_json(project), url_for("api.projects_show", project_id=project.id)
    )


@api_bp.get("/projects/<int:project_id>")
def projects_show(project_id: int):
    return jsonify(services.project_json(services.get_project(project_id)))


@api_bp.patch("/projects/<int:project_id>")
@editor_required
def projects_update(project_id: int):
    project = services.get_project(project_id)
    data = checked(json_body(), FIELDS, READONLY, current=services.project_json(project))
    services.update_project(project, data)
    return jsonify(services.project_json(project))


@api_bp.delete("/projects/<int:project_id>")
@editor_required
def projects_delete(project_id: int):
    services.delete_project(services.get_project(project_id))
    return no_content()


@api_bp.get("/projects/stocktaking")
def projects_stocktaking():
    """The interlocking findings (?topic= id or code; all topics without)."""
    args = filter_args(("topic",))
    topic = None
    if "topic" in args:
        topic = services.find_topic(args["topic"])
        if topic is None:
            raise services.Invalid(
                _("Unbekanntes Thema: %(value)s", value=args["topic"]), field="topic"
            )
    report = services.stocktaking(topic)
    return jsonify(
        topic=topic.code if topic else None,
        projects=len(report["projects"]),
        funding_total=float(report["funding_total"]),
        findings=[
            {k: f[k] for k in ("kind", "severity", "text", "actors", "projects")}
            for f in report["findings"]
        ],
    )
