"""iCalendar objects (RFC 5545/5546) built with the icalendar package, and REPLY parsing.

Times go out in UTC: VTIMEZONE blocks for Europe/Berlin are read unevenly by clients, UTC is not.
A calendar stored on a CalDAV server or offered for download carries no METHOD; mail carries
REQUEST or CANCEL, a feed PUBLISH.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import message_from_bytes
from email.policy import default as default_policy

from flask_babel import gettext as _
from icalendar import Calendar, Event, vCalAddress, vDuration, vText

from ..core.errors import Invalid
from ..core.timeutil import aware, utcnow
from .models import Format, Workshop, WorkshopStatus

PRODID = "-//Stadt Aachen KEpol//netzwerk//DE"
# how often subscribers should fetch a feed again (REFRESH-INTERVAL, X-PUBLISHED-TTL, max-age)
FEED_TTL = timedelta(hours=1)
BOM = b"\xef\xbb\xbf"

STATUS = {
    WorkshopStatus.DRAFT: "TENTATIVE",
    WorkshopStatus.PLANNED: "CONFIRMED",
    WorkshopStatus.DONE: "CONFIRMED",
    WorkshopStatus.CANCELLED: "CANCELLED",
}


def param_text(value: str) -> str:
    """A CN parameter without the characters that clients without RFC 6868 trip over."""
    return re.sub(r'[\x00-\x1f\x7f"]+', " ", value or "").strip()


def location_text(workshop: Workshop) -> str:
    if workshop.format == Format.ONLINE:
        return workshop.online_url or workshop.location
    if workshop.format == Format.HYBRID and workshop.online_url:
        return " / ".join(p for p in (workshop.location, workshop.online_url) if p)
    return workshop.location


def _calendar(method: str | None, name: str | None = None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
    return cal


def _event(
    workshop: Workshop,
    *,
    url: str,
    description: str,
    dtstamp: datetime | None = None,
    sequence: int | None = None,
    status: str | None = None,
) -> Event:
    event = Event()
    event.add("uid", workshop.uid)
    event.add("dtstamp", aware(dtstamp or utcnow()))
    event.add("dtstart", aware(workshop.starts_at))
    if workshop.ends_at is not None:
        event.add("dtend", aware(workshop.ends_at))
    event.add("summary", workshop.title)
    if description:
        event.add("description", description)
    if location := location_text(workshop):
        event.add("location", location)
    if url:
        event.add("url", url)
    if workshop.online_url and workshop.format in (Format.ONLINE, Format.HYBRID):
        event.add("conference", workshop.online_url, parameters={"value": "URI"})
    event.add("sequence", workshop.sequence if sequence is None else sequence)
    event.add("status", status or STATUS[workshop.status])
    event.add("transp", "OPAQUE")
    event.add("last-modified", aware(workshop.updated_at or utcnow()))
    return event


def _address(email: str, name: str, sent_by: str | None = None) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    if cn := param_text(name):
        address.params["cn"] = vText(cn)
    if sent_by:
        address.params["sent-by"] = vText(f"mailto:{sent_by}")
    return address


def invitation_calendar(
    workshop: Workshop,
    *,
    method: str,
    attendee_email: str,
    attendee_name: str,
    sequence: int,
    url: str,
    description: str,
    partstat: str = "NEEDS-ACTION",
    dtstamp: datetime | None = None,
    sent_by: str | None = None,
) -> bytes:
    """METHOD:REQUEST or CANCEL for exactly one attendee (no one sees the other guests).
    `sent_by`: the address that sends on the organizer's behalf (ORGANIZER;SENT-BY, RFC 5545
    3.2.18), when it is not the organizer's own."""
    cal = _calendar(method)
    status = "CANCELLED" if method == "CANCEL" else None
    event = _event(
        workshop,
        url=url,
        description=description,
        dtstamp=dtstamp,
        sequence=sequence,
        status=status,
    )
    event.add("organizer", _address(workshop.organizer_email, workshop.organizer_name, sent_by))
    attendee = _address(attendee_email, attendee_name)
    attendee.params["role"] = "REQ-PARTICIPANT"
    attendee.params["partstat"] = partstat
    attendee.params["rsvp"] = "TRUE" if method == "REQUEST" else "FALSE"
    event.add("attendee", attendee)
    cal.add_component(event)
    return cal.to_ical()


def download_calendar(workshop: Workshop, *, url: str, description: str) -> bytes:
    """One event without METHOD, ORGANIZER or ATTENDEE: ready for a calendar or a CalDAV PUT."""
    cal = _calendar(None)
    cal.add_component(_event(workshop, url=url, description=description))
    return cal.to_ical()


def feed_calendar(items: list[tuple[Workshop, str, str]], name: str) -> bytes:
    """METHOD:PUBLISH with one event per (workshop, url, description); no personal data.

    The same workshops give the same bytes (DTSTAMP is the workshop's last change, not the
    time of the request), so the feed's ETag changes only when the calendar does."""
    cal = _calendar("PUBLISH", name)
    cal.add("refresh-interval", FEED_TTL, parameters={"value": "DURATION"})
    cal.add("x-published-ttl", vDuration(FEED_TTL))
    for workshop, url, description in items:
        if workshop.starts_at is not None:
            cal.add_component(
                _event(workshop, url=url, description=description, dtstamp=workshop.updated_at)
            )
    return cal.to_ical()


# --- replies -----------------------------------------------------------------------------------


@dataclass
class Reply:
    uid: str
    email: str
    partstat: str
    sequence: int
    comment: str


def _calendar_bytes(data: bytes) -> bytes:
    """The calendar part of a reply mail (.eml), or the data itself when it is an .ics file.
    A UTF-8 byte order mark in front (Windows editors, some Outlook versions) is dropped."""
    data = _without_bom(data)
    head = data.lstrip()[:200].upper()
    if head.startswith(b"BEGIN:VCALENDAR"):
        return data
    message = message_from_bytes(data, policy=default_policy)
    for part in message.walk():
        if part.get_content_type() in ("text/calendar", "application/ics"):
            payload = part.get_payload(decode=True)
            if payload:
                return _without_bom(payload)
    raise Invalid(
        _(
            "Die Datei enthält keinen Kalendereintrag (weder .ics noch eine Mail "
            "mit text/calendar)."
        ),
        field="file",
    )


def _without_bom(data: bytes) -> bytes:
    stripped = data.lstrip(b" \t\r\n")
    return stripped[len(BOM) :] if stripped.startswith(BOM) else data


def parse_replies(data: bytes) -> list[Reply]:
    """Read an iTIP REPLY (RFC 5546) from an .ics file or a saved answer mail."""
    try:
        cal = Calendar.from_ical(_calendar_bytes(data))
    except ValueError as exc:
        raise Invalid(
            _("Die Datei ist kein gültiges iCalendar: %(exc)s", exc=exc), field="file"
        ) from exc
    method = str(cal.get("method", "")).upper()
    if method != "REPLY":
        raise Invalid(
            _(
                "Die Datei ist keine Antwort (METHOD:REPLY), sondern METHOD:%(value)s.",
                value=method or _("fehlt"),
            ),
            field="file",
        )
    replies = []
    for event in cal.walk("VEVENT"):
        uid = str(event.get("uid", "")).strip()
        attendees = event.get("attendee", [])
        if not isinstance(attendees, list):
            attendees = [attendees]
        for attendee in attendees:
            email = str(attendee).strip()
            if email.lower().startswith("mailto:"):
                email = email[7:]
            replies.append(
                Reply(
                    uid=uid,
                    email=email.strip(),
                    partstat=str(attendee.params.get("PARTSTAT", "NEEDS-ACTION")).upper(),
                    sequence=int(event.get("sequence", 0)),
                    comment=str(event.get("comment", "") or ""),
                )
            )
    if not replies:
        raise Invalid(_("Die Antwort enthält keinen Teilnehmer (ATTENDEE)."), field="file")
    return replies
