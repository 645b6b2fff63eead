"""UTC in the database, the user's zone on the screen."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, available_timezones

DEFAULT_TZ = "Europe/Berlin"


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def as_utc(value: datetime) -> datetime:
    """Naive UTC for storage (SQLite keeps no offsets)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def aware(value: datetime | None) -> datetime | None:
    """Attach UTC to a stored naive value."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def in_zone(value: datetime, tz: str) -> datetime:
    return aware(value).astimezone(ZoneInfo(tz))


_ZONES: set[str] | None = None


def is_timezone(name: str) -> bool:
    global _ZONES
    if _ZONES is None:
        _ZONES = available_timezones()
    return name in _ZONES
