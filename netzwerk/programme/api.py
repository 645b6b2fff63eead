"""JSON API of the programme: /api/programme/goals, /measures, /drafts, with the list format,
paging, typed fields and errors of /api/actors. A frozen draft answers every change with 409."""

from __future__ import annotations

import sqlalchemy as sa
from flask import jsonify, url_for

from ..auth.permissions import editor_required
from ..core.api import api_bp, checked, created, filter_args, json_body, no_content, paged
from ..core.errors import Conflict
from . import drafts, services
from .models import FROZEN, Draft

GOAL_FIELDS = {
    "topic": "ref",
    "title": "text",
    "description": "text?",
    "sdg_targets": "list",
    "outcome_ids": "list",
}
GOAL_READONLY = frozenset({"id", "measure_ids"})
GOAL_FILTERS = ("topic", "q")

MEASURE_FIELDS = {
    "goal_id": "int",
    "title": "text",
    "description": "text?",
    "lead_actor_id": "int?",
    "partner_actor_ids": "list",
    "starts_on": "text?",
    "ends_on": "text?",
    "staff_fte": "number?",
    "budget": "number?",
    "funding_source": "text?",
    "indicator": "text?",
    "indicator_scale": "text?",
    "indicator_unit": "text?",
    "baseline": "number?",
    "target": "number?",
    "status": "text?",
    "outcome_ids": "list",
}
MEASURE_READONLY = frozenset({"id"})
MEASURE_FILTERS = ("goal", "topic", "status", "actor", "q")


# --- goals ---------------------------------------------------------------------------------------


@api_bp.get("/programme/goals")
def goals_index():
    query = services.goal_query(filter_args(GOAL_FILTERS)).options(*services.GOAL_LOAD)
    return paged(query, services.goal_json)


@api_bp.post("/programme/goals")
@editor_required
def goals_create():
    goal = services.create_goal(checked(json_body(), GOAL_FIELDS, GOAL_READONLY))
    return created(services.goal_json(goal), url_for("api.goals_show", goal_id=goal.id))


@api_bp.get("/programme/goals/<int:goal_id>")
def goals_show(goal_id: int):
    return jsonify(services.goal_json(services.get_goal(goal_id)))


@api_bp.patch("/programme/goals/<int:goal_id>")
@editor_required
def goals_update(goal_id: int):
    goal = services.get_goal(goal_id)
    data = checked(json_body(), GOAL_FIELDS, GOAL_READONLY, current=services.goal_json(goal))
    services.update_goal(goal, data)
    return jsonify(services.goal_json(goal))


@api_bp.delete("/programme/goals/<int:goal_id>")
@editor_required
def goals_delete(goal_id: int):
    """Removes the goal with its measures (frozen drafts keep them)."""
    services.delete_goal(services.get_goal(goal_id))
    return no_content()


# --- measures ------------------------------------------------------------------------------------


@api_bp.get("/programme/measures")
def measures_index():
    query = services.measure_query(filter_args(MEASURE_FILTERS)).options(*services.MEASURE_LOAD)
    return paged(query, services.measure_json)


@api_bp.post("/programme/measures")
@editor_required
def measures_create():
    measure = services.create_measure(checked(json_body(), MEASURE_FIELDS, MEASURE_READONLY))
    return created(
        services.measure_json(measure), url_for("api.measures_show", measure_id=measure.id)
    )


@api_bp.get("/programme/measures/<int:measure_id>")
def measures_show(measure_id: int):
    return jsonify(services.measure_json(services.get_measure(measure_id)))


@api_bp.patch("/programme/measures/<int:measure_id>")
@editor_required
def measures_update(measure_id: int):
    measure = services.get_measure(measure_id)
    data = checked(
        json_body(), MEASURE_FIELDS, MEASURE_READONLY, current=services.measure_json(measure)
    )
    services.update_measure(measure, data)
    return jsonify(services.measure_json(measure))


@api_bp.delete("/programme/measures/<int:measure_id>")
@editor_required
def measures_delete(measure_id: int):
    services.delete_measure(services.get_measure(measure_id))
    return no_content()


# --- drafts --------------------------------------------------------------------------------------


@api_bp.get("/programme/drafts")
def drafts_index():
    filter_args(())
    return paged(sa.select(Draft).order_by(Draft.number.desc()), drafts.draft_json)


@api_bp.post("/programme/drafts")
@editor_required
def drafts_create():
    """Freeze the programme as the next version: {"note": "…"} (optional)."""
    data = checked(json_body(), {"note": "text?"}, frozenset({"number", "label"}))
    draft = drafts.freeze(data.get("note") or "")
    return created(
        drafts.draft_json(draft, content=True), url_for("api.drafts_show", number=draft.number)
    )


@api_bp.get("/programme/drafts/<int:number>")
def drafts_show(number: int):
    return jsonify(drafts.draft_json(drafts.get_draft(number), content=True))


@api_bp.route("/programme/drafts/<int:number>", methods=["PATCH", "PUT", "DELETE"])
@editor_required
def drafts_change(number: int):
    """A frozen draft stays as it is: every change is refused with 409."""
    drafts.get_draft(number)
    raise Conflict(FROZEN)


@api_bp.get("/programme/drafts/<ref_from>/diff/<ref_to>")
def drafts_diff(ref_from: str, ref_to: str):
    """What changed between two drafts (numbers, or "current" for the programme now)."""
    old_label, old = drafts.content_of(ref_from)
    new_label, new = drafts.content_of(ref_to)
    changes = drafts.diff(old, new)
    for group in ("goals", "measures"):
        for entry in changes[group]:
            entry["item"] = {k: entry["item"].get(k) for k in ("id", "number", "title")}
            for field in entry["fields"]:
                field["label"] = str(field["label"])
    return jsonify({"from": old_label, "to": new_label, **changes})


# --- monitoring ----------------------------------------------------------------------------------


def update_json(update) -> dict:
    return {
        "id": update.id,
        "measure_id": update.measure_id,
        "noted_on": update.noted_on.isoformat(),
        "status": update.status.value,
        "note": update.note,
        "created_by": update.created_by,
    }


def value_json(item) -> dict:
    return {
        "id": item.id,
        "measure_id": item.measure_id,
        "measured_on": item.measured_on.isoformat(),
        "value": float(item.value),
        "note": item.note,
    }


@api_bp.get("/programme/measures/<int:measure_id>/updates")
def updates_index(measure_id: int):
    from .models import StatusUpdate

    measure = services.get_measure(measure_id)
    filter_args(())
    query = (
        sa.select(StatusUpdate)
        .where(StatusUpdate.measure_id == measure.id)
        .order_by(StatusUpdate.noted_on, StatusUpdate.id)
    )
    return paged(query, update_json)


@api_bp.post("/programme/measures/<int:measure_id>/updates")
@editor_required
def updates_create(measure_id: int):
    """{"noted_on": "2026-05-01" (default today), "status"*: "laufend", "note": "…"}; the
    measure takes the status of its latest update."""
    from . import monitoring

    measure = services.get_measure(measure_id)
    data = checked(
        json_body(),
        {"noted_on": "text?", "status": "text", "note": "text?"},
        frozenset({"id", "measure_id", "created_by"}),
    )
    update = monitoring.add_update(measure, data)
    return created(update_json(update), url_for("api.measures_show", measure_id=measure.id))


@api_bp.get("/programme/measures/<int:measure_id>/values")
def values_index(measure_id: int):
    from .models import IndicatorValue

    measure = services.get_measure(measure_id)
    filter_args(())
    query = (
        sa.select(IndicatorValue)
        .where(IndicatorValue.measure_id == measure.id)
        .order_by(IndicatorValue.measured_on, IndicatorValue.id)
    )
    return paged(query, value_json)


@api_bp.post("/programme/measures/<int:measure_id>/values")
@editor_required
def values_create(measure_id: int):
    """{"measured_on": "2026-05-01" (default today), "value"*: 55, "note": "…"}; only for
    countable indicators, a percentage between 0 and 100."""
    from . import monitoring

    measure = services.get_measure(measure_id)
    data = checked(
        json_body(),
        {"measured_on": "text?", "value": "number?", "note": "text?"},
        frozenset({"id", "measure_id"}),
    )
    item = monitoring.add_value(measure, data)
    return created(value_json(item), url_for("api.measures_show", measure_id=measure.id))
