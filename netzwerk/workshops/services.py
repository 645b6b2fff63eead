"""Workshops: look-ups, planning (create, change, delete, results) and their JSON.

Each public function is one transaction with one audit entry. Invitations and their mail are in
invitations.py, suggestions, calendar feeds, data protection and the demo in their own modules.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from datetime import datetime
from email.utils import getaddresses
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from ..audit.services import apply_changes, plain, record, reverse, snapshot
from ..auth.models import hash_token
from ..core.errors import Conflict, Invalid, NotFound
from ..core.validation import check_email, int_in_range, vocab_value
from ..extensions import db
from ..mail import links
from ..mail.models import MailMessage
from ..topics.models import Topic
from ..topics.services import find_topic
from . import compose, invitations
from .models import (
    Format,
    Invitation,
    Phase,
    Workshop,
    WorkshopStatus,
)
from .timefmt import check_zone, iso, times_for, to_utc

WORKSHOP_FIELDS = [
    "title",
    "phase",
    "format",
    "starts_at",
    "ends_at",
    "timezone",
    "location",
    "online_url",
    "capacity",
    "agenda",
    "organizer_name",
    "organizer_email",
    "status",
]
# a change of any of these is announced to the invitees with a higher SEQUENCE
ANNOUNCED_FIELDS = ("starts_at", "ends_at", "location", "online_url", "format")


# --- look-ups ------------------------------------------------------------------------------------


def get_workshop(workshop_id: int) -> Workshop:
    workshop = db.session.get(Workshop, workshop_id)
    if workshop is None:
        raise NotFound(_("Workshop %(workshop_id)s nicht gefunden.", workshop_id=workshop_id))
    return workshop


def get_invitation(invitation_id: int, workshop: Workshop | None = None) -> Invitation:
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or (workshop is not None and invitation.workshop_id != workshop.id):
        raise NotFound(
            _("Einladung %(invitation_id)s nicht gefunden.", invitation_id=invitation_id)
        )
    return invitation


def invitation_by_token(token: str) -> Invitation:
    """The invitation behind an RSVP link, found by the token's hash (the token is not stored)."""
    invitation = db.session.scalar(
        sa.select(Invitation).where(Invitation.token_hash == hash_token(token))
    )
    if invitation is None:
        raise NotFound(_("Diese Einladung gibt es nicht (mehr). Bitte prüfen Sie den Link."))
    return invitation


def workshops(topic_id: int | None = None) -> list[Workshop]:
    query = sa.select(Workshop)
    if topic_id is not None:
        query = query.where(Workshop.topics.any(Topic.id == topic_id))
    return list(
        db.session.scalars(
            query.order_by(Workshop.starts_at.is_(None), Workshop.starts_at, Workshop.id)
        )
    )


def process_overview() -> list[tuple[Phase, list[Workshop]]]:
    """The process phases in their order, each with its workshops (by date)."""
    by_phase: dict[Phase, list[Workshop]] = {phase: [] for phase in Phase}
    for workshop in workshops():
        by_phase[workshop.phase].append(workshop)
    return list(by_phase.items())


def default_organizer() -> tuple[str, str]:
    pairs = getaddresses([current_app.config["MAIL_FROM"]])
    return pairs[0] if pairs else ("", "")


def _uid_domain() -> str:
    host = urlsplit(links.base_url()).hostname or ""
    try:
        ipaddress.ip_address(host)
        host = ""
    except ValueError:
        pass
    return host if host and host != "localhost" else "netzwerk.local"


# --- planning ------------------------------------------------------------------------------------


def _text(data: dict, workshop: Workshop | None, name: str, limit: int, one_line=False) -> str:
    value = data.get(name, getattr(workshop, name) if workshop else "")
    value = "" if value is None else str(value)
    value = " ".join(value.split()) if one_line else value.strip()
    if len(value) > limit:
        raise Invalid(
            _("%(name)s ist zu lang (höchstens %(limit)s Zeichen).", name=name, limit=limit),
            field=name,
        )
    return value


def _moment(data: dict, workshop: Workshop | None, name: str, tz: str) -> datetime | None:
    if name not in data:
        return getattr(workshop, name) if workshop else None
    value = data[name]
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise Invalid(
                _(
                    "%(name)s: kein gültiger Zeitpunkt (erwartet z. B. 2025-05-13T18:00 "
                    "oder 2025-05-13T18:00:00+02:00): %(value)s",
                    name=name,
                    value=value,
                ),
                field=name,
            ) from exc
    if not isinstance(value, datetime):
        raise Invalid(_("%(name)s: kein gültiger Zeitpunkt.", name=name), field=name)
    return to_utc(value, tz, field=name)


def _topics(data: dict, workshop: Workshop | None) -> list[Topic]:
    if "topic_ids" not in data and "topics" not in data:
        return list(workshop.topics) if workshop else []
    refs = data.get("topic_ids", data.get("topics")) or []
    if not isinstance(refs, list | tuple):
        raise Invalid(_("topic_ids muss eine Liste sein."), field="topics")
    found = []
    for ref in refs:
        topic = find_topic(ref) if ref not in (None, "") else None
        if topic is None:
            raise Invalid(_("Unbekanntes Thema: %(ref)s", ref=ref), field="topics")
        if topic not in found:
            found.append(topic)
    return found


def _url(value: str, field: str) -> str:
    if value and not re.match(r"^https?://[^\s<>\"]+$", value):
        raise Invalid(_("Der Link muss mit http:// oder https:// beginnen."), field=field)
    return value


def _clean(data: dict[str, Any], workshop: Workshop | None) -> dict[str, Any]:
    """Normalise input from a form, the API or the demo file into model values."""
    title = _text(data, workshop, "title", 200, one_line=True)
    if not title:
        raise Invalid(_("Der Titel fehlt."), field="title")
    tz = check_zone(_text(data, workshop, "timezone", 64) or "Europe/Berlin")
    starts = _moment(data, workshop, "starts_at", tz)
    ends = _moment(data, workshop, "ends_at", tz)
    if starts is None and ends is not None:
        raise Invalid(_("Der Beginn fehlt."), field="starts_at")
    if starts is not None and ends is None:
        raise Invalid(_("Das Ende fehlt."), field="ends_at")
    if starts is not None and ends <= starts:
        raise Invalid(_("Das Ende muss nach dem Beginn liegen."), field="ends_at")
    capacity = data.get("capacity", workshop.capacity if workshop else None)
    if capacity in (None, "", 0, "0"):
        capacity = None
    else:
        capacity = int_in_range({"capacity": capacity}, "capacity", 1, 100000, 1)
    default_name, default_email = default_organizer()
    organizer_name = _text(data, workshop, "organizer_name", 200, one_line=True)
    organizer_email = _text(data, workshop, "organizer_email", 254)
    if "organizer_email" in data and organizer_email != default_email:
        # the configured sender (kepol@localhost out of the box) is taken as it is
        organizer_email = check_email(organizer_email, field="organizer_email")
    if not organizer_email:
        organizer_name, organizer_email = organizer_name or default_name, default_email
    current_status = workshop.status if workshop else WorkshopStatus.DRAFT
    return {
        "title": title,
        "phase": vocab_value(
            Phase, data, "phase", workshop.phase if workshop else Phase.FOCUS_GROUP
        ),
        "format": vocab_value(
            Format, data, "format", workshop.format if workshop else Format.PRESENCE
        ),
        "starts_at": starts,
        "ends_at": ends,
        "timezone": tz,
        "location": _text(data, workshop, "location", 300, one_line=True),
        "online_url": _url(_text(data, workshop, "online_url", 500), "online_url"),
        "capacity": capacity,
        "agenda": _text(data, workshop, "agenda", 20000),
        "organizer_name": organizer_name,
        "organizer_email": organizer_email,
        "status": vocab_value(WorkshopStatus, data, "status", current_status),
    }


def create_workshop(data: dict[str, Any], commit: bool = True) -> Workshop:
    values = _clean(data, None)
    if values["status"] == WorkshopStatus.CANCELLED:
        raise Invalid(_("Ein neuer Workshop kann nicht abgesagt sein."), field="status")
    workshop = Workshop(uid=f"{uuid.uuid4()}@{_uid_domain()}", **values)
    workshop.topics = _topics(data, None)
    db.session.add(workshop)
    db.session.flush()
    changes = snapshot(workshop, WORKSHOP_FIELDS)
    changes["topics"] = [None, [t.code for t in workshop.topics]]
    record("workshop", workshop.id, "create", changes, label=workshop.title)
    if commit:
        db.session.commit()
    return workshop


def update_workshop(workshop: Workshop, data: dict[str, Any]) -> str | None:
    """Save changes; a new time or place raises SEQUENCE and queues an updated REQUEST for
    everyone who was invited and has not declined. Returns the batch to deliver, if any."""
    values = _clean(data, workshop)
    new_status = values.pop("status")
    if new_status != workshop.status:
        if new_status == WorkshopStatus.CANCELLED:
            raise Invalid(
                _("Zum Absagen bitte „Workshop absagen“ verwenden: dabei gehen die Absagen raus."),
                field="status",
            )
        if workshop.status == WorkshopStatus.CANCELLED:
            raise Invalid(
                _(
                    "Ein abgesagter Workshop kann nicht wieder geplant werden; bitte einen "
                    "neuen anlegen."
                ),
                field="status",
            )
    values["status"] = new_status
    topics = _topics(data, workshop)
    old_capacity = workshop.capacity
    # what the invitees' calendars hold now: the update mail names the old and the new time
    previous = {
        "starts_at": workshop.starts_at,
        "ends_at": workshop.ends_at,
        "timezone": workshop.timezone,
        "location": workshop.location,
    }
    changes = apply_changes(workshop, values)
    old_codes = [t.code for t in workshop.topics]
    if [t.code for t in topics] != old_codes:
        workshop.topics = topics
        changes["topics"] = [old_codes, [t.code for t in topics]]
    batch = None
    announced = [f for f in ANNOUNCED_FIELDS if f in changes]
    if (
        announced
        and workshop.status != WorkshopStatus.CANCELLED
        and invitations.was_announced(workshop)
    ):
        workshop.sequence += 1
        changes["sequence"] = [workshop.sequence - 1, workshop.sequence]
        batch = invitations.queue_updates(workshop, previous)
    if workshop.capacity != old_capacity:
        batch = invitations.promote(workshop, batch) or batch
    if changes:
        record("workshop", workshop.id, "update", changes, label=workshop.title)
    db.session.commit()
    return batch


def delete_workshop(workshop: Workshop) -> None:
    """Only workshops nobody was told about, or cancelled ones, can be deleted."""
    if workshop.status != WorkshopStatus.CANCELLED and invitations.was_announced(workshop):
        raise Conflict(
            _(
                "Zu diesem Workshop sind schon Einladungen verschickt. Bitte zuerst "
                "absagen, damit die Kalender der Eingeladenen bereinigt werden."
            )
        )
    changes = reverse(snapshot(workshop, WORKSHOP_FIELDS))
    changes["removed"] = [{"invitations": len(workshop.invitations)}, None]
    record("workshop", workshop.id, "delete", changes, label=workshop.title)
    db.session.execute(sa.delete(MailMessage).where(MailMessage.scope == compose.scope(workshop)))
    db.session.delete(workshop)
    db.session.commit()


def save_results(workshop: Workshop, data: dict[str, Any]) -> Workshop:
    """Results, agreed follow-ups and the link to the next workshop; may mark it as held."""
    next_id = data.get("next_workshop_id") or None
    if next_id is not None:
        next_id = int(next_id)
        if next_id == workshop.id:
            raise Invalid(
                _("Ein Workshop kann nicht sein eigener Folgetermin sein."),
                field="next_workshop_id",
            )
        get_workshop(next_id)
    values = {
        "results": str(data.get("results", workshop.results) or "").strip(),
        "follow_ups": str(data.get("follow_ups", workshop.follow_ups) or "").strip(),
        "next_workshop_id": next_id,
    }
    if data.get("mark_done") and workshop.status != WorkshopStatus.CANCELLED:
        values["status"] = WorkshopStatus.DONE
    changes = apply_changes(workshop, values)
    if changes:
        record("workshop", workshop.id, "results", changes, label=workshop.title)
    db.session.commit()
    return workshop


# --- JSON and the map ----------------------------------------------------------------------------


def workshop_json(workshop: Workshop) -> dict:
    return {
        "id": workshop.id,
        "uid": workshop.uid,
        "title": workshop.title,
        "topic_ids": [t.id for t in workshop.topics],
        "phase": workshop.phase.value,
        "format": workshop.format.value,
        "starts_at": iso(workshop.starts_at, workshop.timezone),
        "ends_at": iso(workshop.ends_at, workshop.timezone),
        "timezone": workshop.timezone,
        "location": workshop.location,
        "online_url": workshop.online_url,
        "capacity": workshop.capacity,
        "agenda": workshop.agenda,
        "status": workshop.status.value,
        "sequence": workshop.sequence,
        "organizer": {"name": workshop.organizer_name, "email": workshop.organizer_email},
        "summary": invitations.summary(workshop),
    }


def invitation_json(row: dict) -> dict:
    invitation, contact, message = row["invitation"], row["contact"], row["message"]
    return {
        "id": invitation.id,
        "contact_id": invitation.contact_id,
        "actor_id": invitation.actor_id,
        "name": invitation.name,
        "email": contact.email if contact else None,
        "response": invitation.response.value,
        "comment": invitation.comment,
        "responded_at": plain(invitation.responded_at),
        "waitlisted": invitation.waitlisted,
        "waitlist_position": row["waitlist"],
        "attended": invitation.attended,
        "removed": invitation.removed_at is not None,
        "blocked_reason": row["blocked"],
        "delivery": (
            {
                "kind": message.kind.value,
                "sequence": message.sequence,
                "status": message.status.value,
                "error": message.last_error,
                "sent_at": plain(message.sent_at),
            }
            if message
            else None
        ),
    }


def workshop_graph_data() -> list[dict]:
    """Workshops for the map: participants are the actors who attended (held workshops) or
    hold a seat (planned ones); `invited_actor_ids` lists every actor invited."""
    result = []
    for workshop in workshops():
        active = workshop.active_invitations
        if workshop.status == WorkshopStatus.DONE:
            present = [inv for inv in active if inv.attended]
        else:
            present = [inv for inv in active if inv.holds_seat]
        result.append(
            {
                "id": workshop.id,
                "title": workshop.title,
                "topic_ids": [t.id for t in workshop.topics],
                "participant_actor_ids": sorted({i.actor_id for i in present if i.actor_id}),
                "invited_actor_ids": sorted({i.actor_id for i in active if i.actor_id}),
                "starts_at": iso(workshop.starts_at, workshop.timezone),
                "status": workshop.status.value,
                "cancelled": workshop.status == WorkshopStatus.CANCELLED,
                "phase": workshop.phase.value,
            }
        )
    return result


def when(workshop: Workshop, reader_tz: str | None, lang: str = "de") -> dict:
    return times_for(workshop.starts_at, workshop.ends_at, workshop.timezone, reader_tz, lang)
