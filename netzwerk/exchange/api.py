"""JSON API for admins: a person's data (Art. 15), its erasure (Art. 17) and the audit trail."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from flask import jsonify, request
from flask_babel import gettext as _

from ..actors import services as actor_services
from ..audit.models import AuditEntry
from ..audit.services import entry_query
from ..auth.permissions import admin_required
from ..core.api import api_bp, paged
from ..core.errors import Invalid
from ..core.timeutil import aware
from ..core.validation import int_value
from . import privacy

AUDIT_FILTERS = ("user", "entity", "entity_id", "action", "from", "to")


@api_bp.get("/contacts/<int:contact_id>/export")
@admin_required
def contact_export(contact_id: int):
    """Everything stored about the person (Art. 15 DSGVO); the request is logged."""
    contact = actor_services.get_contact(contact_id)
    data = privacy.subject_data(contact)
    privacy.record_access(contact, "api")
    return jsonify(data)


@api_bp.post("/contacts/<int:contact_id>/erase")
@admin_required
def contact_erase(contact_id: int):
    """Erase the person's data (Art. 17 DSGVO); answers what was done, without the data."""
    contact = actor_services.get_contact(contact_id)
    return jsonify(privacy.erase_contact(contact))


def audit_json(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "created_at": aware(entry.created_at).isoformat(),
        "user_id": entry.user_id,
        "username": entry.username,
        "entity": entry.entity,
        "entity_id": entry.entity_id,
        "action": entry.action,
        "label": entry.label,
        "changes": entry.changes,
    }


def _day(name: str) -> datetime | None:
    """A filter day (UTC): YYYY-MM-DD, or a full ISO 8601 time."""
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time.min)
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise Invalid(
            _("%(name)s ist kein Datum (JJJJ-MM-TT): %(value)s", name=name, value=value), field=name
        ) from exc


@api_bp.get("/audit")
@admin_required
def audit_list():
    """The audit trail, newest first: ?user=&entity=&entity_id=&action=&from=&to= (days in
    UTC, `to` inclusive), paged like every list."""
    unknown = sorted(set(request.args) - set(AUDIT_FILTERS) - {"page", "per_page"})
    if unknown:
        raise Invalid(
            _(
                "Unbekannter Parameter: %(value)s (erlaubt: %(value2)s, page, per_page)",
                value=", ".join(unknown),
                value2=", ".join(AUDIT_FILTERS),
            ),
            field=unknown[0],
        )
    entity_id = request.args.get("entity_id", "").strip()
    if entity_id:
        int_value(entity_id, "entity_id")
    until = _day("to")
    if until is not None and len(request.args.get("to", "").strip()) == 10:
        until += timedelta(days=1)
    query = entry_query(
        username=request.args.get("user", "").strip(),
        entity=request.args.get("entity", "").strip(),
        entity_id=int_value(entity_id, "entity_id") if entity_id else None,
        since=_day("from"),
        until=until,
    )
    if action := request.args.get("action", "").strip():
        query = query.where(AuditEntry.action == action)
    return paged(query, audit_json)
