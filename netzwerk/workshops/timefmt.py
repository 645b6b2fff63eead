"""Workshop times between the stored UTC, the workshop's zone and each reader's zone.

Mails are written in the invitee's language, not the page's, so formatting takes the language
explicitly instead of relying on the request's locale.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from flask_babel import gettext as _

from ..core.errors import Invalid
from ..core.timeutil import in_zone, is_timezone


def mail_language(language: str | None) -> str:
    """Mails exist in German and English; every other language reads the English one."""
    return "de" if (language or "de").lower().startswith("de") else "en"


def check_zone(tz: str, field: str = "timezone") -> str:
    tz = (tz or "").strip()
    if not is_timezone(tz):
        raise Invalid(_("Unbekannte Zeitzone: %(tz)s", tz=tz), field=field)
    return tz


def to_utc(value: datetime, tz: str, field: str = "starts_at") -> datetime:
    """A wall-clock time in `tz` (or an aware datetime) as naive UTC for storage.

    A local time that the clock skips when summer time starts does not exist; it is refused
    rather than silently shifted by an hour.
    """
    if value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    zone = ZoneInfo(tz)
    local = value.replace(tzinfo=zone)
    utc = local.astimezone(UTC)
    if utc.astimezone(zone).replace(tzinfo=None) != value:
        raise Invalid(
            _(
                "%(value)s gibt es in %(tz)s nicht (Zeitumstellung). Bitte eine andere "
                "Uhrzeit wählen.",
                value=format(value, "%d.%m.%Y %H:%M"),
                tz=tz,
            ),
            field=field,
        )
    return utc.replace(tzinfo=None)


def local(value: datetime, tz: str) -> datetime:
    return in_zone(value, tz)


def iso(value: datetime | None, tz: str) -> str | None:
    """ISO 8601 with the offset of the workshop's zone, e.g. 2025-05-13T18:00:00+02:00."""
    return local(value, tz).isoformat() if value is not None else None


def span(starts: datetime, ends: datetime | None, tz: str, lang: str = "de") -> str:
    """'Dienstag, 13. Mai 2025, 18:00–19:30 (CEST, Europe/Berlin)' in the given language."""
    lang = mail_language(lang)
    start = local(starts, tz)
    text = f"{format_date(start, 'full', locale=lang)}, {_clock(start, lang)}"
    if ends is not None:
        end = local(ends, tz)
        if end.date() == start.date():
            text += f"–{_clock(end, lang)}"
        else:
            text += f" – {format_date(end, 'full', locale=lang)}, {_clock(end, lang)}"
    return f"{text} ({start.tzname()}, {tz})"


def short_date(value: datetime, tz: str, lang: str = "de") -> str:
    return format_date(local(value, tz), "medium", locale=mail_language(lang))


def clock_span(starts: datetime, ends: datetime | None, tz: str, lang: str = "de") -> str:
    """'11:00–13:00 SAST' – the compact form used next to another zone's time."""
    start = local(starts, tz)
    text = _clock(start, lang)
    if ends is not None:
        text += f"–{_clock(local(ends, tz), lang)}"
    return f"{text} {start.tzname()}"


def _clock(value: datetime, lang: str) -> str:
    return format_time(value, "HH:mm", locale=mail_language(lang))


def times_for(
    starts: datetime | None, ends: datetime | None, workshop_tz: str, reader_tz: str | None, lang
) -> dict:
    """The time in the workshop's zone and, where the reader lives in another zone, theirs."""
    if starts is None:
        return {"workshop": "", "reader": ""}
    reader = ""
    if reader_tz and reader_tz != workshop_tz and is_timezone(reader_tz):
        reader = span(starts, ends, reader_tz, lang)
    return {"workshop": span(starts, ends, workshop_tz, lang), "reader": reader}
