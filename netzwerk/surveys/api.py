"""JSON API for surveys, their recipients and the review queue. Sending happens within the
request (the caller waits for the report), as for the workshops."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request, url_for
from flask_babel import gettext as _

from ..auth.permissions import editor_required
from ..core.api import api_bp, checked, created, filter_args, iso, json_body, no_content, paged
from ..core.errors import Invalid
from . import analysis, review, sending, services
from .models import Survey, SurveyRecipient

SURVEY_FIELDS = {
    "title": "text",
    "intro": "text?",
    "questions": "list",
    "topic_ids": "list",
    "closes_on": "text",
    "remind_on": "text?",
}
SURVEY_READONLY = {
    "id",
    "status",
    "closes_at",
    "sent_at",
    "reminded_at",
    "reminders",
    "created_at",
    "progress",
    "proposals",
}
PROPOSAL_FILTERS = ("kind", "status", "topic", "actor_id")


def survey_json(survey: Survey) -> dict[str, Any]:
    progress = analysis.progress(survey)
    counts = review.counts(survey)
    return {
        "id": survey.id,
        "title": survey.title,
        "intro": survey.intro,
        "questions": list(survey.questions),
        "topic_ids": [t.id for t in survey.topics],
        "closes_on": services.closes_on(survey).isoformat(),
        "remind_on": survey.remind_on.isoformat() if survey.remind_on else None,
        "status": survey.status.value,
        "closes_at": iso(survey.closes_at),
        "sent_at": iso(survey.sent_at),
        "reminded_at": iso(survey.reminded_at),
        "reminders": survey.reminders,
        "created_at": iso(survey.created_at),
        "progress": {k: v for k, v in progress.items() if k != "non_respondents"},
        "proposals": {kind: c["offen"] for kind, c in counts.items()},
    }


def recipient_json(r: SurveyRecipient, times: tuple = (None, None)) -> dict[str, Any]:
    return {
        "id": r.id,
        "contact_id": r.contact_id,
        "name": r.contact.name if r.contact is not None else None,
        "actor_id": r.actor_id,
        "actor": r.actor.name if r.actor is not None else None,
        "language": r.language,
        "invited_at": iso(times[0]),
        "reminded_at": iso(times[1]),
        "answered_at": iso(r.answered_at),
        "saved_at": iso(r.saved_at),
        "consent_map": r.consent_map,
        "record_confirmed": r.record_confirmed,
    }


@api_bp.get("/surveys")
def surveys_list():
    return paged(services.survey_query(), survey_json)


@api_bp.post("/surveys")
@editor_required
def surveys_create():
    survey = services.create_survey(checked(json_body(), SURVEY_FIELDS, SURVEY_READONLY))
    return created(survey_json(survey), url_for("api.surveys_get", survey_id=survey.id))


@api_bp.get("/surveys/<int:survey_id>")
def surveys_get(survey_id: int):
    return jsonify(survey_json(services.get_survey(survey_id)))


@api_bp.patch("/surveys/<int:survey_id>")
@editor_required
def surveys_patch(survey_id: int):
    survey = services.get_survey(survey_id)
    data = checked(json_body(), SURVEY_FIELDS, SURVEY_READONLY, current=survey_json(survey))
    return jsonify(survey_json(services.update_survey(survey, data)))


@api_bp.delete("/surveys/<int:survey_id>")
@editor_required
def surveys_delete(survey_id: int):
    services.delete_survey(services.get_survey(survey_id))
    return no_content()


@api_bp.get("/surveys/<int:survey_id>/recipients")
def surveys_recipients(survey_id: int):
    survey = services.get_survey(survey_id)
    rows = services.recipient_rows(survey)
    items = [
        recipient_json(row["recipient"], (row["invited_at"], row["reminded_at"])) for row in rows
    ]
    return jsonify(items=items, total=len(items))


@api_bp.post("/surveys/<int:survey_id>/recipients")
@editor_required
def surveys_add_recipients(survey_id: int):
    """{"contact_ids": [...]} → the recipients added (all or none)."""
    survey = services.get_survey(survey_id)
    data = checked(json_body(), {"contact_ids": "list"})
    if "contact_ids" not in data:
        raise Invalid(_("contact_ids fehlt."), field="contact_ids")
    added = services.add_recipients(survey, data["contact_ids"])
    return jsonify(items=[recipient_json(r) for r in added]), 201


def _delivery(batch: str, counts: dict) -> dict:
    report = sending.deliver_now(batch) if counts["queued"] else None
    return {
        "batch": batch,
        "queued": counts["queued"],
        "not_sendable": counts["blocked"],
        **(report.as_dict() if report else {"sent": 0, "failed": 0, "blocked": 0}),
    }


@api_bp.post("/surveys/<int:survey_id>/send")
@editor_required
def surveys_send(survey_id: int):
    """Send the survey to everyone who has not had it; the delivery report."""
    batch, counts = sending.send_survey(services.get_survey(survey_id))
    return jsonify(_delivery(batch, counts))


@api_bp.post("/surveys/<int:survey_id>/remind")
@editor_required
def surveys_remind(survey_id: int):
    """A reminder to everyone who has not answered; the delivery report."""
    batch, counts = sending.remind(services.get_survey(survey_id))
    return jsonify(_delivery(batch, counts))


@api_bp.get("/surveys/<int:survey_id>/proposals")
def surveys_proposals(survey_id: int):
    """?kind=beziehung&status=offen&topic=ID&actor_id=ID (status=alle: every status)."""
    survey = services.get_survey(survey_id)
    args = filter_args(PROPOSAL_FILTERS)
    filters = review.parse_filters({"kind": "", "status": "alle", **args}, survey)
    if "kind" not in args:
        filters = _all_kinds(filters)
    return paged(review.proposal_query(survey, filters), review.proposal_json)


def _all_kinds(filters: review.QueueFilters) -> review.QueueFilters:
    filters.kind = None  # proposal_query: every kind
    return filters


def _decision_body(outcome: review.Outcome, proposal) -> dict:
    return {**outcome.as_dict(), "proposal": review.proposal_json(proposal)}


@api_bp.post("/proposals/<int:proposal_id>/accept")
@editor_required
def proposals_accept(proposal_id: int):
    """{"category": key, "name": "…"} where a new actor is made (nominations, new partners)."""
    proposal = services.get_proposal(proposal_id)
    data = checked(json_body(), {"category": "text?", "name": "text?"}) if request.data else {}
    outcome = review.accept(proposal, data)
    return jsonify(_decision_body(outcome, proposal))


@api_bp.post("/proposals/<int:proposal_id>/reject")
@editor_required
def proposals_reject(proposal_id: int):
    proposal = services.get_proposal(proposal_id)
    data = checked(json_body(), {"note": "text?"}) if request.data else {}
    outcome = review.reject(proposal, data.get("note") or "")
    return jsonify(_decision_body(outcome, proposal))


@api_bp.post("/proposals/<int:proposal_id>/reopen")
@editor_required
def proposals_reopen(proposal_id: int):
    """A decided proposal back to open; what accepting created stays (see review.reopen)."""
    proposal = services.get_proposal(proposal_id)
    outcome = review.reopen(proposal)
    return jsonify(_decision_body(outcome, proposal))


@api_bp.post("/proposals/<int:proposal_id>/merge")
@editor_required
def proposals_merge(proposal_id: int):
    """{"actor_id": N}: the named organisation is that actor."""
    proposal = services.get_proposal(proposal_id)
    data = checked(json_body(), {"actor_id": "int"})
    if "actor_id" not in data:
        raise Invalid(_("actor_id fehlt."), field="actor_id")
    outcome = review.merge(proposal, data["actor_id"])
    return jsonify(_decision_body(outcome, proposal))
