"""Record who changed what. Services call `record` inside their own transaction."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import has_request_context
from flask_login import current_user
from sqlalchemy.orm import Session

from ..core.timeutil import as_utc
from ..extensions import db
from .models import AuditEntry, DataVersion

VERSION_KEY = "netzwerk_data_version"  # session.info: (root transaction, its data version)
# where the changes recorded now come from (e.g. a survey answer), see `source`
_SOURCE: ContextVar[str | None] = ContextVar("netzwerk_audit_source", default=None)


@contextmanager
def source(text: str) -> Iterator[None]:
    """Name the origin of every change recorded inside the block: the services write their
    entries as always, and each entry carries the source in its label and as the change
    "source" ("Befragung „…“, Antwort von …"), so the trail says where an accepted proposal
    came from without the services knowing about proposals."""
    token = _SOURCE.set(text)
    try:
        yield
    finally:
        _SOURCE.reset(token)


def plain(value: Any) -> Any:
    """A JSON-friendly form of a field value."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):  # amounts: a JSON number, equal whatever the scale
        return float(value)
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
    origin = _SOURCE.get()
    if origin:
        changes = {**(changes or {}), "source": [None, origin]}
        label = f"{label} ({origin})" if label else origin
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


# --- the change counter ----------------------------------------------------------------------


def data_version() -> int:
    """The committed change counter (one primary-key SELECT)."""
    table = DataVersion.__table__
    return db.session.scalar(sa.select(table.c.version).where(table.c.id == 1)) or 0


def transaction_data_version(session: Session | None = None) -> int:
    """The change counter of the current transaction: raised once, at its first audit entry.
    Bulk inserts of audit rows (imports) stamp their rows with it."""
    session = session if session is not None else db.session()
    transaction = session.get_transaction()
    known = session.info.get(VERSION_KEY)
    if known is not None and known[0] is transaction:
        return known[1]
    table = DataVersion.__table__
    connection = session.connection()
    version = connection.execute(
        table.update()
        .where(table.c.id == 1)
        .values(version=table.c.version + 1)
        .returning(table.c.version)
    ).scalar()
    if version is None:  # a schema made without the migration's row
        connection.execute(table.insert().values(id=1, version=1))
        version = 1
    session.info[VERSION_KEY] = (transaction, version)
    return version


def raise_data_version_above(value: int) -> None:
    """After a restore the counter must pass every number a cache may hold, so the next
    change is seen as one (the restored file brings its own, possibly lower, counter)."""
    table = DataVersion.__table__
    db.session.execute(
        table.update().where(table.c.id == 1, table.c.version <= value).values(version=value + 1)
    )


@sa.event.listens_for(Session, "before_flush")
def _stamp_audit_entries(session: Session, _context, _instances) -> None:
    entries = [obj for obj in session.new if isinstance(obj, AuditEntry)]
    if entries:
        version = transaction_data_version(session)
        for entry in entries:
            entry.data_version = version


@sa.event.listens_for(Session, "after_transaction_end")
def _forget_version(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(VERSION_KEY, None)


def entry_query(
    username: str = "",
    entity: str = "",
    entity_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> sa.Select:
    """The audit trail, newest first, narrowed by user, entity and a UTC time range
    (`since` inclusive, `until` exclusive)."""
    query = sa.select(AuditEntry)
    if username:
        query = query.where(AuditEntry.username == username)
    if entity:
        query = query.where(AuditEntry.entity == entity)
    if entity_id is not None:
        query = query.where(AuditEntry.entity_id == entity_id)
    if since is not None:
        query = query.where(AuditEntry.created_at >= as_utc(since))
    if until is not None:
        query = query.where(AuditEntry.created_at < as_utc(until))
    return query.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())


def filter_choices() -> dict[str, list[str]]:
    """The users and entity kinds that occur in the trail, for the filter form."""
    distinct = lambda column: list(  # noqa: E731
        db.session.scalars(sa.select(column).distinct().order_by(column))
    )
    return {"usernames": distinct(AuditEntry.username), "entities": distinct(AuditEntry.entity)}
