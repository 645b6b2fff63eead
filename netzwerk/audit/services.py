"""Record who changed what. Services call `record` inside their own transaction."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from flask import has_request_context
from flask_login import current_user

from ..extensions import db
from .models import AuditEntry


def plain(value: Any) -> Any:
    """A JSON-friendly form of a field value."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def apply_changes(obj: Any, data: dict[str, Any]) -> dict[str, list]:
    """Set attributes on `obj` and return {field: [before, after]} for those that changed."""
    changes: dict[str, list] = {}
    for field, new in data.items():
        old = getattr(obj, field)
        if plain(old) != plain(new):
            changes[field] = [plain(old), plain(new)]
            setattr(obj, field, new)
    return changes


def snapshot(obj: Any, fields: list[str]) -> dict[str, list]:
    """{field: [None, value]} for a created object, {field: [value, None]} reversed for deletes."""
    return {f: [None, plain(getattr(obj, f))] for f in fields}


def reverse(changes: dict[str, list]) -> dict[str, list]:
    return {f: [after, before] for f, (before, after) in changes.items()}


def record(
    entity: str,
    entity_id: int | None,
    action: str,
    changes: dict | None = None,
    label: str = "",
    user=None,
) -> AuditEntry:
    """Add an audit entry to the current session; the caller's commit makes it permanent."""
    if user is None and has_request_context() and current_user.is_authenticated:
        user = current_user
    entry = AuditEntry(
        entity=entity,
        entity_id=entity_id,
        action=action,
        changes=changes or {},
        label=label[:300],
        user_id=user.id if user is not None else None,
        username=user.username if user is not None else "system",
    )
    db.session.add(entry)
    return entry
