"""JSON API for workshops and invitations. Sending happens within the request here (the caller
waits for the report); the web pages send in the background and show the progress."""

from __future__ import annotations

import sqlalchemy as sa
from flask import jsonify
from flask_babel import gettext as _

from ..auth.permissions import editor_required
from ..core.api import api_bp, checked, json_body, paged
from ..core.errors import Invalid
from ..mail import queue
from . import invitations, services, suggestions
from .models import Workshop

# what a client may send (README: the workshop JSON); the rest of a GET's answer is read-only
WORKSHOP_FIELDS = {
    "title": "text",
    "topic_ids": "refs",
    "topics": "refs",
    "phase": "text",
    "format": "text",
    "starts_at": "text?",
    "ends_at": "text?",
    "timezone": "text",
    "location": "text?",
    "online_url": "text?",
    "capacity": "int?",
    "agenda": "text?",
    "status": "text",
    "organizer_name": "text?",
    "organizer_email": "text?",
}
WORKSHOP_READONLY = frozenset({"id", "uid", "sequence", "organizer", "summary"})


def _delivered(batch: str | None) -> dict | None:
    return queue.deliver(batch=batch).as_dict() if batch else None


@api_bp.get("/workshops")
def workshops_list():
    query = sa.select(Workshop).order_by(
        Workshop.starts_at.is_(None), Workshop.starts_at, Workshop.id
    )
    return paged(query, services.workshop_json)


@api_bp.post("/workshops")
@editor_required
def workshops_create():
    workshop = services.create_workshop(checked(json_body(), WORKSHOP_FIELDS, WORKSHOP_READONLY))
    return jsonify(services.workshop_json(workshop)), 201


@api_bp.get("/workshops/<int:workshop_id>")
def workshops_get(workshop_id: int):
    return jsonify(services.workshop_json(services.get_workshop(workshop_id)))


@api_bp.patch("/workshops/<int:workshop_id>")
@editor_required
def workshops_patch(workshop_id: int):
    """A new time or place sends the updated invitations (higher SEQUENCE) by itself."""
    workshop = services.get_workshop(workshop_id)
    data = checked(
        json_body(),
        WORKSHOP_FIELDS,
        WORKSHOP_READONLY,
        current=services.workshop_json(workshop),
    )
    batch = services.update_workshop(workshop, data)
    body = services.workshop_json(workshop)
    body["delivery"] = _delivered(batch)
    return jsonify(body)


@api_bp.get("/workshops/<int:workshop_id>/invitations")
def invitations_list(workshop_id: int):
    workshop = services.get_workshop(workshop_id)
    rows = invitations.invitation_rows(workshop)
    return jsonify(items=[services.invitation_json(r) for r in rows], total=len(rows))


@api_bp.post("/workshops/<int:workshop_id>/invitations")
@editor_required
def invitations_add(workshop_id: int):
    workshop = services.get_workshop(workshop_id)
    ids = checked(json_body(), {"contact_ids": "ids"}).get("contact_ids")
    if ids is None:
        raise Invalid(
            _("contact_ids muss eine Liste von Kontaktnummern sein."), field="contact_ids"
        )
    added = invitations.add_invitations(workshop, ids)
    rows = {r["invitation"].id: r for r in invitations.invitation_rows(workshop)}
    return jsonify(items=[services.invitation_json(rows[inv.id]) for inv in added]), 201


@api_bp.post("/workshops/<int:workshop_id>/send")
@editor_required
def workshops_send(workshop_id: int):
    """Send what is still unsent: new invitees and earlier failures."""
    workshop = services.get_workshop(workshop_id)
    batch, counts = invitations.send_invitations(workshop)
    report = queue.deliver(batch=batch)
    return jsonify(
        batch=batch, queued=counts["queued"], not_sendable=counts["blocked"], **report.as_dict()
    )


@api_bp.post("/workshops/<int:workshop_id>/cancel")
@editor_required
def workshops_cancel(workshop_id: int):
    workshop = services.get_workshop(workshop_id)
    batch = invitations.cancel_workshop(workshop)
    body = services.workshop_json(workshop)
    body["delivery"] = _delivered(batch)
    return jsonify(body)


@api_bp.get("/workshops/<int:workshop_id>/suggestions")
def workshops_suggestions(workshop_id: int):
    workshop = services.get_workshop(workshop_id)
    return jsonify(suggestions.suggestions(workshop))
