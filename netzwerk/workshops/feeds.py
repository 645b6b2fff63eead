"""Calendar files and secret feeds of the workshops."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from ..audit.models import AuditEntry
from ..audit.services import record
from ..auth.models import hash_token
from ..core.errors import Invalid, NotFound
from ..core.timeutil import aware, utcnow
from ..extensions import db
from ..topics.models import Topic
from . import compose, ical, services, tokens
from .models import (
    CalendarFeed,
    Invitation,
    Workshop,
    WorkshopStatus,
)


def _plain_description(workshop: Workshop, url: str) -> str:
    parts = [workshop.agenda] if workshop.agenda else []
    if workshop.online_url:
        parts.append(f"Online: {workshop.online_url}")
    parts.append(url)
    return "\n\n".join(parts)


def workshop_ics(workshop: Workshop) -> bytes:
    """The download: no METHOD, so a calendar or a CalDAV server stores it as it is."""
    if workshop.starts_at is None:
        raise Invalid(_("Der Workshop hat noch keinen Termin."))
    url = compose.workshop_url(workshop)
    return ical.download_calendar(workshop, url=url, description=_plain_description(workshop, url))


def invitation_ics(invitation: Invitation, token: str) -> bytes:
    """The invitee's "add to calendar" file behind the RSVP link (`token`, from that link)."""
    workshop = invitation.workshop
    if workshop.starts_at is None:
        raise Invalid(_("Der Workshop hat noch keinen Termin."))
    url = compose.rsvp_url(token)
    return ical.download_calendar(workshop, url=url, description=_plain_description(workshop, url))


def feeds() -> list[dict]:
    """One subscribable feed for all workshops and one per topic (feed empty until created)."""
    existing = {feed.topic_id: feed for feed in db.session.scalars(sa.select(CalendarFeed))}
    rows = [{"topic": None, "feed": existing.get(None), "label": _("Alle Workshops")}]
    for topic in db.session.scalars(sa.select(Topic).order_by(Topic.priority, Topic.code)):
        rows.append({"topic": topic, "feed": existing.get(topic.id), "label": topic.label})
    return rows


def create_feed(topic_id: int | None) -> CalendarFeed:
    """Create the feed's secret link, or replace it (the old link stops working). Only the
    token's hash is stored; the returned feed carries the token in `.token` to be shown once."""
    if topic_id is not None and db.session.get(Topic, topic_id) is None:
        raise NotFound(_("Thema %(topic_id)s nicht gefunden.", topic_id=topic_id))
    feed = db.session.scalar(
        sa.select(CalendarFeed).where(
            CalendarFeed.topic_id.is_(None)
            if topic_id is None
            else CalendarFeed.topic_id == topic_id
        )
    )
    action = "renew" if feed else "create"
    if feed is None:
        feed = CalendarFeed(topic_id=topic_id)
        db.session.add(feed)
    token, feed.token_hash = tokens.new_feed_token()
    feed.created_at = utcnow()
    db.session.flush()
    record("calendar_feed", feed.id, action, {"topic_id": [None, topic_id]}, label="Kalender-Abo")
    db.session.commit()
    feed.token = token
    return feed


def feed_by_token(token: str) -> CalendarFeed:
    feed = db.session.scalar(
        sa.select(CalendarFeed).where(CalendarFeed.token_hash == hash_token(token))
    )
    if feed is None:
        raise NotFound(_("Diesen Kalender gibt es nicht (mehr)."))
    return feed


def _feed_workshops(feed: CalendarFeed) -> list[Workshop]:
    return [
        workshop
        for workshop in services.workshops(feed.topic_id)
        if workshop.status != WorkshopStatus.DRAFT and workshop.starts_at is not None
    ]


def feed_ics(feed: CalendarFeed) -> bytes:
    """Planned, held and cancelled workshops (cancelled ones as STATUS:CANCELLED), no drafts."""
    items = []
    for workshop in _feed_workshops(feed):
        url = compose.workshop_url(workshop)
        items.append((workshop, url, _plain_description(workshop, url)))
    name = "KEpol Aachen – Workshops"
    if feed.topic is not None:
        name += f" – {feed.topic.label}"
    return ical.feed_calendar(items, name)


def feed_last_modified(feed: CalendarFeed) -> datetime:
    """When the feed last changed: its workshops' last edits, and the last recorded change to
    any workshop or topic (a deleted workshop or a renamed topic leaves only that trace)."""
    stamps = [feed.created_at] + [w.updated_at for w in _feed_workshops(feed) if w.updated_at]
    last_change = db.session.scalar(
        sa.select(sa.func.max(AuditEntry.created_at)).where(
            AuditEntry.entity.in_(("workshop", "topic"))
        )
    )
    if last_change is not None:
        stamps.append(last_change)
    return max(aware(stamp) for stamp in stamps if stamp is not None)
