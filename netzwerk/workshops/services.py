"""Workshops: planning, invitations, sending, replies, waitlist, attendance, suggestions, feeds.

Each public function is one transaction with one audit entry. Functions that queue mail return
the batch id; the caller decides whether to deliver it now (API, CLI) or in the background while
the page shows the progress (web).
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections import Counter
from datetime import datetime, timedelta
from email.utils import getaddresses
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app

from ..actors.models import Actor, Contact
from ..actors.vocab import Sector, Status
from ..audit.models import AuditEntry
from ..audit.services import apply_changes, plain, record, reverse, snapshot
from ..auth.models import hash_token
from ..core.errors import Conflict, Invalid, NotFound
from ..core.timeutil import aware, utcnow
from ..core.validation import check_email, int_in_range, vocab_value
from ..extensions import db
from ..topics.models import Topic, TopicRole
from ..topics.services import find_topic
from . import ical, mail, tokens
from .models import (
    CalendarFeed,
    Format,
    Invitation,
    MailKind,
    MailMessage,
    MailStatus,
    Phase,
    Response,
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
SENT_OR_PENDING = (MailStatus.SENT, MailStatus.SENDING, *mail.PENDING)


# --- look-ups ------------------------------------------------------------------------------------


def get_workshop(workshop_id: int) -> Workshop:
    workshop = db.session.get(Workshop, workshop_id)
    if workshop is None:
        raise NotFound(f"Workshop {workshop_id} nicht gefunden.")
    return workshop


def get_invitation(invitation_id: int, workshop: Workshop | None = None) -> Invitation:
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or (workshop is not None and invitation.workshop_id != workshop.id):
        raise NotFound(f"Einladung {invitation_id} nicht gefunden.")
    return invitation


def invitation_by_token(token: str) -> Invitation:
    """The invitation behind an RSVP link, found by the token's hash (the token is not stored)."""
    invitation = db.session.scalar(
        sa.select(Invitation).where(Invitation.token_hash == hash_token(token))
    )
    if invitation is None:
        raise NotFound("Diese Einladung gibt es nicht (mehr). Bitte prüfen Sie den Link.")
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
    host = urlsplit(current_app.config["BASE_URL"]).hostname or ""
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
        raise Invalid(f"{name} ist zu lang (höchstens {limit} Zeichen).", field=name)
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
                f"{name}: kein gültiger Zeitpunkt (erwartet z. B. 2025-05-13T18:00 oder "
                f"2025-05-13T18:00:00+02:00): {value}",
                field=name,
            ) from exc
    if not isinstance(value, datetime):
        raise Invalid(f"{name}: kein gültiger Zeitpunkt.", field=name)
    return to_utc(value, tz, field=name)


def _topics(data: dict, workshop: Workshop | None) -> list[Topic]:
    if "topic_ids" not in data and "topics" not in data:
        return list(workshop.topics) if workshop else []
    refs = data.get("topic_ids", data.get("topics")) or []
    if not isinstance(refs, list | tuple):
        raise Invalid("topic_ids muss eine Liste sein.", field="topics")
    found = []
    for ref in refs:
        topic = find_topic(ref) if ref not in (None, "") else None
        if topic is None:
            raise Invalid(f"Unbekanntes Thema: {ref}", field="topics")
        if topic not in found:
            found.append(topic)
    return found


def _url(value: str, field: str) -> str:
    if value and not re.match(r"^https?://[^\s<>\"]+$", value):
        raise Invalid("Der Link muss mit http:// oder https:// beginnen.", field=field)
    return value


def _clean(data: dict[str, Any], workshop: Workshop | None) -> dict[str, Any]:
    """Normalise input from a form, the API or the demo file into model values."""
    title = _text(data, workshop, "title", 200, one_line=True)
    if not title:
        raise Invalid("Der Titel fehlt.", field="title")
    tz = check_zone(_text(data, workshop, "timezone", 64) or "Europe/Berlin")
    starts = _moment(data, workshop, "starts_at", tz)
    ends = _moment(data, workshop, "ends_at", tz)
    if starts is None and ends is not None:
        raise Invalid("Der Beginn fehlt.", field="starts_at")
    if starts is not None and ends is None:
        raise Invalid("Das Ende fehlt.", field="ends_at")
    if starts is not None and ends <= starts:
        raise Invalid("Das Ende muss nach dem Beginn liegen.", field="ends_at")
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


def _label(workshop: Workshop) -> str:
    return workshop.title


def create_workshop(data: dict[str, Any], commit: bool = True) -> Workshop:
    values = _clean(data, None)
    if values["status"] == WorkshopStatus.CANCELLED:
        raise Invalid("Ein neuer Workshop kann nicht abgesagt sein.", field="status")
    workshop = Workshop(uid=f"{uuid.uuid4()}@{_uid_domain()}", **values)
    workshop.topics = _topics(data, None)
    db.session.add(workshop)
    db.session.flush()
    changes = snapshot(workshop, WORKSHOP_FIELDS)
    changes["topics"] = [None, [t.code for t in workshop.topics]]
    record("workshop", workshop.id, "create", changes, label=_label(workshop))
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
                "Zum Absagen bitte „Workshop absagen“ verwenden: dabei gehen die Absagen raus.",
                field="status",
            )
        if workshop.status == WorkshopStatus.CANCELLED:
            raise Invalid(
                "Ein abgesagter Workshop kann nicht wieder geplant werden; bitte einen neuen "
                "anlegen.",
                field="status",
            )
    values["status"] = new_status
    topics = _topics(data, workshop)
    old_capacity = workshop.capacity
    changes = apply_changes(workshop, values)
    old_codes = [t.code for t in workshop.topics]
    if [t.code for t in topics] != old_codes:
        workshop.topics = topics
        changes["topics"] = [old_codes, [t.code for t in topics]]
    batch = None
    announced = [f for f in ANNOUNCED_FIELDS if f in changes]
    if announced and workshop.status != WorkshopStatus.CANCELLED and _was_announced(workshop):
        workshop.sequence += 1
        changes["sequence"] = [workshop.sequence - 1, workshop.sequence]
        batch = _queue_updates(workshop)
    if workshop.capacity != old_capacity:
        batch = _promote(workshop, batch) or batch
    if changes:
        record("workshop", workshop.id, "update", changes, label=_label(workshop))
    db.session.commit()
    return batch


def delete_workshop(workshop: Workshop) -> None:
    """Only workshops nobody was told about, or cancelled ones, can be deleted."""
    if workshop.status != WorkshopStatus.CANCELLED and _was_announced(workshop):
        raise Conflict(
            "Zu diesem Workshop sind schon Einladungen verschickt. Bitte zuerst absagen, "
            "damit die Kalender der Eingeladenen bereinigt werden."
        )
    changes = reverse(snapshot(workshop, WORKSHOP_FIELDS))
    changes["removed"] = [{"invitations": len(workshop.invitations)}, None]
    record("workshop", workshop.id, "delete", changes, label=_label(workshop))
    db.session.delete(workshop)
    db.session.commit()


def save_results(workshop: Workshop, data: dict[str, Any]) -> Workshop:
    """Results, agreed follow-ups and the link to the next workshop; may mark it as held."""
    next_id = data.get("next_workshop_id") or None
    if next_id is not None:
        next_id = int(next_id)
        if next_id == workshop.id:
            raise Invalid(
                "Ein Workshop kann nicht sein eigener Folgetermin sein.", field="next_workshop_id"
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
        record("workshop", workshop.id, "results", changes, label=_label(workshop))
    db.session.commit()
    return workshop


# --- invitations ---------------------------------------------------------------------------------


def add_invitations(
    workshop: Workshop, contact_ids: list[int], commit: bool = True
) -> list[Invitation]:
    """Invite contacts (all or none). Already invited ones are kept as they are; a contact that
    may not be invited (no address, consent revoked) is refused with the reason."""
    if workshop.status in (WorkshopStatus.CANCELLED, WorkshopStatus.DONE):
        raise Invalid(f"Der Workshop ist {workshop.status.label}; Einladen ist nicht mehr möglich.")
    if not isinstance(contact_ids, list | tuple) or not contact_ids:
        raise Invalid(
            "Bitte mindestens einen Kontakt auswählen (contact_ids).", field="contact_ids"
        )
    existing = {inv.contact_id: inv for inv in workshop.invitations}
    added = []
    for raw_id in contact_ids:
        try:
            contact_id = int(raw_id)
        except (TypeError, ValueError) as exc:
            raise Invalid(f"Ungültige Kontaktnummer: {raw_id}", field="contact_ids") from exc
        contact = db.session.get(Contact, contact_id)
        if contact is None:
            raise Invalid(f"Kontakt {contact_id} nicht gefunden.", field="contact_ids")
        if reason := mail.block_reason(contact):
            raise Invalid(
                f"{contact.name} ({contact.actor.name}) kann nicht eingeladen werden: {reason}",
                field="contact_ids",
            )
        invitation = existing.get(contact.id)
        if invitation is not None and invitation.removed_at is None:
            continue
        if invitation is None:
            invitation = Invitation(workshop=workshop, contact=contact)
            tokens.new_rsvp_link(invitation)
            db.session.add(invitation)
            existing[contact.id] = invitation
        else:  # invited again after being removed
            invitation.removed_at = None
            invitation.response = Response.NEEDS_ACTION
            invitation.waitlisted = False
            tokens.new_rsvp_link(invitation)  # the link of the withdrawn invitation stays dead
        invitation.actor_id = contact.actor_id
        added.append(invitation)
    db.session.flush()
    if added:
        record(
            "workshop",
            workshop.id,
            "invite",
            {
                "invited": [
                    None,
                    [f"{inv.contact.name} ({inv.contact.actor.name})" for inv in added],
                ]
            },
            label=_label(workshop),
        )
    if commit:
        db.session.commit()
    return added


def remove_invitation(invitation: Invitation) -> str | None:
    """Withdraw one invitation: whoever already has it in the calendar gets a CANCEL (only they);
    an invitation that never went out simply disappears."""
    workshop = invitation.workshop
    label = f"{invitation.name} – {workshop.title}"
    was_sent = _sent_calendar(invitation)
    held_seat = invitation.holds_seat
    batch = None
    if not was_sent:
        db.session.execute(
            sa.update(MailMessage)
            .where(MailMessage.invitation_id == invitation.id, MailMessage.status.in_(mail.PENDING))
            .values(status=MailStatus.SUPERSEDED, last_error="Einladung zurückgezogen")
        )
        record("invitation", invitation.id, "delete", {"contact": [invitation.name, None]}, label)
        workshop.invitations.remove(invitation)
        db.session.flush()
    else:
        invitation.removed_at = utcnow()
        invitation.waitlisted = False
        workshop.sequence += 1
        cancel_batch = mail.new_batch()
        if mail.block_reason(invitation.contact) is None and mail.enqueue(
            invitation, MailKind.CANCEL, workshop.sequence, cancel_batch
        ):
            batch = cancel_batch
        record(
            "invitation",
            invitation.id,
            "remove",
            {"removed": [None, True], "sequence": [workshop.sequence - 1, workshop.sequence]},
            label,
        )
    if held_seat:
        batch = _promote(workshop, batch) or batch
    db.session.commit()
    return batch


def _was_announced(workshop: Workshop) -> bool:
    return bool(
        db.session.scalar(
            sa.select(sa.func.count(MailMessage.id)).where(
                MailMessage.workshop_id == workshop.id,
                MailMessage.kind.in_((MailKind.REQUEST, MailKind.PROMOTE)),
                MailMessage.status.in_(SENT_OR_PENDING),
            )
        )
    )


def _calendar_messages(invitation: Invitation, statuses) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(MailMessage.id)).where(
            MailMessage.invitation_id == invitation.id,
            MailMessage.kind.in_((MailKind.REQUEST, MailKind.PROMOTE)),
            MailMessage.status.in_(statuses),
        )
    )


def _sent_calendar(invitation: Invitation) -> bool:
    return bool(_calendar_messages(invitation, (MailStatus.SENT, MailStatus.SENDING)))


def _check_sendable(workshop: Workshop) -> None:
    if workshop.status == WorkshopStatus.CANCELLED:
        raise Invalid("Der Workshop ist abgesagt; es werden keine Einladungen mehr verschickt.")
    if workshop.status == WorkshopStatus.DONE:
        raise Invalid("Der Workshop hat schon stattgefunden.")
    if workshop.starts_at is None:
        raise Invalid(
            "Der Workshop hat noch keinen Termin. Bitte erst Beginn und Ende eintragen oder "
            "in der Terminumfrage einen Termin festlegen."
        )
    if workshop.starts_at <= utcnow():
        raise Invalid("Der Workshop liegt in der Vergangenheit; Einladungen sind nicht möglich.")
    if not workshop.organizer_email:
        raise Invalid("Die E-Mail-Adresse der einladenden Person fehlt.", field="organizer_email")


def send_invitations(workshop: Workshop) -> tuple[str, dict]:
    """Queue a REQUEST for every invitee who has none for the current version yet, and take
    along whatever is still unsent from earlier. Contacts who may not be invited are skipped
    and counted with their reason."""
    _check_sendable(workshop)
    batch = mail.new_batch()
    counts = Counter()
    blocked = []
    if workshop.status == WorkshopStatus.DRAFT:
        workshop.status = WorkshopStatus.PLANNED
    for invitation in workshop.active_invitations:
        if invitation.response == Response.DECLINED:
            continue
        if reason := mail.block_reason(invitation.contact):
            blocked.append(
                {"invitation_id": invitation.id, "name": invitation.name, "reason": reason}
            )
            continue
        update = _sent_calendar(invitation)
        if mail.enqueue(invitation, MailKind.REQUEST, workshop.sequence, batch, update=update):
            counts["queued"] += 1
    db.session.flush()
    taken = db.session.execute(
        sa.update(MailMessage)
        .where(
            MailMessage.workshop_id == workshop.id,
            MailMessage.status.in_(mail.PENDING),
            MailMessage.batch != batch,
        )
        .values(batch=batch)
    ).rowcount
    counts["queued"] += taken
    record(
        "workshop",
        workshop.id,
        "send",
        {"queued": [None, counts["queued"]], "blocked": [None, len(blocked)]},
        label=_label(workshop),
    )
    db.session.commit()
    return batch, {"queued": counts["queued"], "blocked": blocked}


def _queue_updates(workshop: Workshop) -> str | None:
    """An updated REQUEST (new SEQUENCE) to everyone who was invited and has not declined."""
    batch = mail.new_batch()
    queued = 0
    for invitation in workshop.active_invitations:
        if invitation.response == Response.DECLINED or invitation.contact is None:
            continue
        if not _calendar_messages(invitation, SENT_OR_PENDING):
            continue  # never invited yet: "send" will invite with the current version
        if mail.block_reason(invitation.contact):
            continue
        update = _sent_calendar(invitation)
        if mail.enqueue(invitation, MailKind.REQUEST, workshop.sequence, batch, update=update):
            queued += 1
    return batch if queued else None


def cancel_workshop(workshop: Workshop, note: str = "") -> str | None:
    """Cancel: STATUS:CANCELLED, SEQUENCE raised, METHOD:CANCEL (same UID) to everyone who ever
    received a REQUEST and was not removed, whatever they answered; unsent invitations are
    dropped from the queue."""
    if workshop.status == WorkshopStatus.CANCELLED:
        raise Conflict("Der Workshop ist bereits abgesagt.")
    if workshop.status == WorkshopStatus.DONE:
        raise Invalid("Ein durchgeführter Workshop kann nicht mehr abgesagt werden.")
    old_status = workshop.status
    workshop.status = WorkshopStatus.CANCELLED
    workshop.sequence += 1
    batch = mail.new_batch()
    queued = 0
    for invitation in workshop.active_invitations:
        sent = _sent_calendar(invitation)
        if not sent:
            db.session.execute(
                sa.update(MailMessage)
                .where(
                    MailMessage.invitation_id == invitation.id,
                    MailMessage.status.in_(mail.PENDING),
                )
                .values(status=MailStatus.SUPERSEDED, last_error="Workshop abgesagt")
            )
            continue
        # also to those who declined: a DECLINED to an older SEQUENCE may stand beside an
        # accepted update in their calendar, and a CANCEL for an event a calendar does not
        # hold is ignored there
        if mail.block_reason(invitation.contact):
            continue
        if mail.enqueue(invitation, MailKind.CANCEL, workshop.sequence, batch):
            queued += 1
    changes = {
        "status": [old_status.value, WorkshopStatus.CANCELLED.value],
        "sequence": [workshop.sequence - 1, workshop.sequence],
    }
    if note:
        changes["note"] = [None, note]
    record("workshop", workshop.id, "cancel", changes, label=_label(workshop))
    db.session.commit()
    return batch if queued else None


# --- replies and waitlist ------------------------------------------------------------------------


def seats_taken(workshop: Workshop) -> int:
    return sum(1 for inv in workshop.invitations if inv.holds_seat)


def waitlist(workshop: Workshop) -> list[Invitation]:
    waiting = [inv for inv in workshop.active_invitations if inv.waitlisted]
    return sorted(waiting, key=lambda inv: (inv.responded_at or inv.created_at, inv.id))


def waitlist_position(invitation: Invitation) -> int | None:
    if not invitation.waitlisted:
        return None
    return waitlist(invitation.workshop).index(invitation) + 1


def _promote(workshop: Workshop, batch: str | None) -> str | None:
    """Move people up from the waitlist while seats are free; those who have the invitation in
    their calendar get a confirmation with PARTSTAT=ACCEPTED."""
    promoted = []
    for invitation in waitlist(workshop):
        if workshop.capacity is not None and seats_taken(workshop) >= workshop.capacity:
            break
        invitation.waitlisted = False
        promoted.append(invitation)
    if not promoted:
        return None
    batch = batch or mail.new_batch()
    queued = 0
    for invitation in promoted:
        record(
            "invitation",
            invitation.id,
            "promote",
            {"waitlisted": [True, False]},
            label=f"{invitation.name} – {workshop.title}",
        )
        if (
            workshop.status != WorkshopStatus.CANCELLED
            and _calendar_messages(invitation, SENT_OR_PENDING)
            and mail.block_reason(invitation.contact) is None
            and mail.enqueue(invitation, MailKind.PROMOTE, workshop.sequence, batch)
        ):
            queued += 1
    return batch if queued else None


def _check_open(workshop: Workshop) -> None:
    if workshop.status == WorkshopStatus.CANCELLED:
        raise Invalid("Der Workshop wurde abgesagt.")
    if workshop.status == WorkshopStatus.DONE or (
        workshop.ends_at is not None and workshop.ends_at <= utcnow()
    ):
        raise Invalid("Der Workshop hat schon stattgefunden; Antworten sind nicht mehr möglich.")


def closed_reason(invitation: Invitation) -> str | None:
    """Why the invitee can no longer answer, or None."""
    if invitation.removed_at is not None:
        return "Diese Einladung wurde zurückgezogen."
    try:
        _check_open(invitation.workshop)
    except Invalid as exc:
        return exc.message
    return None


def respond(
    invitation: Invitation, response: Response | str, comment: str = "", via: str = "link"
) -> str | None:
    """An answer by RSVP link or iTIP REPLY. Accepting a full workshop puts the invitee on the
    waitlist; giving up a seat moves the next one up. Returns the batch to deliver, if any."""
    if invitation.removed_at is not None:
        raise Invalid("Diese Einladung wurde zurückgezogen.")
    workshop = invitation.workshop
    _check_open(workshop)
    value = Response.parse(response)
    if value is None or value == Response.NEEDS_ACTION:
        raise Invalid("Bitte zusagen, vielleicht oder absagen wählen.", field="response")
    held_seat = invitation.holds_seat
    before = {"response": invitation.response.value, "waitlisted": invitation.waitlisted}
    if value == Response.ACCEPTED and not held_seat:
        full = workshop.capacity is not None and seats_taken(workshop) >= workshop.capacity
        invitation.waitlisted = full
    elif value != Response.ACCEPTED:
        invitation.waitlisted = False
    invitation.response = value
    invitation.comment = (comment or "").strip()[:2000]
    invitation.responded_at = utcnow()
    after = {"response": value.value, "waitlisted": invitation.waitlisted}
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    changes["via"] = [None, via]
    record(
        "invitation",
        invitation.id,
        "rsvp",
        changes,
        label=f"{invitation.name} – {workshop.title}",
    )
    batch = _promote(workshop, None) if held_seat and not invitation.holds_seat else None
    db.session.commit()
    return batch


def import_replies(data: bytes) -> tuple[list[dict], list[str]]:
    """Apply an iTIP REPLY (.ics, or the saved answer mail). Returns one line per attendee
    (German, for the page and the command line) and the batches to deliver."""
    results, batches = [], []
    for reply in ical.parse_replies(data):
        line = {"email": reply.email, "uid": reply.uid, "ok": False, "message": ""}
        results.append(line)
        workshop = db.session.scalar(sa.select(Workshop).where(Workshop.uid == reply.uid))
        if workshop is None:
            line["message"] = f"Kein Workshop mit der UID {reply.uid}."
            continue
        line["workshop"] = workshop.title
        invitation = next(
            (
                inv
                for inv in workshop.invitations
                if inv.contact is not None and inv.contact.email.lower() == reply.email.lower()
            ),
            None,
        )
        if invitation is None:
            line["message"] = f"{reply.email} ist zu „{workshop.title}“ nicht eingeladen."
            continue
        if reply.sequence > workshop.sequence:
            line["message"] = (
                f"Nicht übernommen: Die Antwort von {reply.email} bezieht sich auf SEQUENCE "
                f"{reply.sequence}, netzwerk hat „{workshop.title}“ aber nur bis SEQUENCE "
                f"{workshop.sequence} verschickt. Diese Fassung stammt nicht von netzwerk: Die "
                "Einladung wurde in einem anderen Kalender verändert und weitergeschickt, oder "
                "die Datei gehört zu einem anderen Termin mit derselben UID. Bitte fragen Sie "
                "bei der Person nach."
            )
            continue
        response = Response.parse(reply.partstat.lower())
        if response in (None, Response.NEEDS_ACTION):
            line["message"] = f"Antwort {reply.partstat} wird nicht unterstützt."
            continue
        try:
            batch = respond(invitation, response, reply.comment, via="itip-reply")
        except Invalid as exc:
            db.session.rollback()
            line["message"] = exc.message
            continue
        if batch:
            batches.append(batch)
        line["ok"] = True
        status = response.label
        if invitation.waitlisted:
            status = f"{status}, Warteliste Platz {waitlist_position(invitation)}"
        line["message"] = f"{invitation.name}: {status} – {workshop.title}"
        if reply.sequence < workshop.sequence:
            line["message"] += (
                f" (Antwort auf eine ältere Fassung, SEQUENCE {reply.sequence} < "
                f"{workshop.sequence})"
            )
    return results, batches


def record_attendance(workshop: Workshop, attended_ids: set[int]) -> Workshop:
    """Tick who came; invitees not ticked are recorded as absent."""
    if workshop.starts_at is None:
        raise Invalid("Der Workshop hat noch keinen Termin.")
    changed = []
    for invitation in workshop.active_invitations:
        came = invitation.id in attended_ids
        if invitation.attended != came:
            invitation.attended = came
            changed.append(f"{invitation.name}: {'anwesend' if came else 'nicht anwesend'}")
    if changed:
        record(
            "workshop", workshop.id, "attendance", {"attendance": [None, changed]}, _label(workshop)
        )
    db.session.commit()
    return workshop


# --- views of invitations ------------------------------------------------------------------------


def invitation_rows(workshop: Workshop, viewer_tz: str | None = None) -> list[dict]:
    """Each invitation with its delivery state and, where needed, why it cannot be sent."""
    messages = db.session.scalars(
        sa.select(MailMessage)
        .where(MailMessage.workshop_id == workshop.id)
        .order_by(MailMessage.id)
    )
    latest: dict[int, MailMessage] = {}
    for message in messages:
        if message.status != MailStatus.SUPERSEDED:
            latest[message.invitation_id] = message
    positions = {inv.id: n for n, inv in enumerate(waitlist(workshop), start=1)}
    rows = []
    for invitation in workshop.invitations:
        contact = invitation.contact
        message = latest.get(invitation.id)
        tz = contact.timezone if contact is not None else None
        rows.append(
            {
                "invitation": invitation,
                "contact": contact,
                "actor": invitation.actor,
                "blocked": mail.block_reason(contact),
                "message": message,
                "waitlist": positions.get(invitation.id),
                "local_time": (
                    times_for(workshop.starts_at, workshop.ends_at, workshop.timezone, tz, "de")[
                        "reader"
                    ]
                ),
                "timezone": tz,
            }
        )
    return rows


def summary(workshop: Workshop) -> dict:
    active = workshop.active_invitations
    counts = Counter(inv.response for inv in active)
    return {
        "invited": len(active),
        "accepted": sum(1 for inv in active if inv.holds_seat),
        "waitlisted": sum(1 for inv in active if inv.waitlisted),
        "tentative": counts[Response.TENTATIVE],
        "declined": counts[Response.DECLINED],
        "open": counts[Response.NEEDS_ACTION],
        "attended": sum(1 for inv in active if inv.attended),
        "capacity": workshop.capacity,
    }


def failed_messages(workshop: Workshop) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(MailMessage.id)).where(
            MailMessage.workshop_id == workshop.id, MailMessage.status == MailStatus.FAILED
        )
    )


def sign_in_rows(workshop: Workshop) -> list[Invitation]:
    """Everyone expected on the sign-in sheet: accepted first, then the undecided."""
    order = {Response.ACCEPTED: 0, Response.TENTATIVE: 1, Response.NEEDS_ACTION: 2}
    rows = [
        inv
        for inv in workshop.active_invitations
        if inv.response != Response.DECLINED and not inv.waitlisted
    ]
    return sorted(rows, key=lambda inv: (order.get(inv.response, 3), inv.name.casefold()))


def invited_contacts(workshop: Workshop) -> list[Contact]:
    """The contacts invited and not removed (erased people are no longer there)."""
    return [inv.contact for inv in workshop.active_invitations if inv.contact is not None]


def invitable_contacts(workshop: Workshop) -> list[dict]:
    """All contacts for the manual picker, with the reason where one cannot be invited."""
    invited = {inv.contact_id for inv in workshop.active_invitations}
    rows = db.session.execute(
        sa.select(Contact, Actor).join(Actor).order_by(Actor.name_key, Contact.name)
    ).all()
    return [
        {"contact": c, "actor": a, "reason": mail.block_reason(c)}
        for c, a in rows
        if c.id not in invited
    ]


# --- suggestions ---------------------------------------------------------------------------------

ROLE_SCORES = {
    TopicRole.LEAD.value: (5, "federführend bei {topic}"),
    TopicRole.CONTRIBUTING.value: (4, "wirkt bei {topic} mit"),
    TopicRole.INTERESTED.value: (2, "interessiert an {topic}"),
    TopicRole.AFFECTED.value: (2, "von {topic} betroffen"),
}
BALANCE_GROUPS = {
    Sector.ADMINISTRATION.value: ("Verwaltung", "aus der Verwaltung"),
    Sector.CIVIL_SOCIETY.value: ("Zivilgesellschaft", "aus der Zivilgesellschaft"),
    Sector.PARTNER_CITY.value: ("Partnerstädte", "aus Partnerstädten"),
}


def suggestions(workshop: Workshop, graph=None, reference: dict | None = None) -> dict:
    """Whom to invite for the workshop's topics, ranked, each with its reasons in German.

    Built on the network analysis (netzwerk.network.analysis): actors linked to the topics, the
    categories the reference checklist expects but the guest list lacks (and gaps the network
    itself has there), the balance between administration, civil society and partner cities,
    and actors of the topic left out of its earlier workshops.
    """
    from ..network import analysis
    from ..network.graph import actor_node, build_graph

    graph = graph if graph is not None else build_graph()
    reference = reference if reference is not None else analysis.load_reference()
    labels = graph.graph.get("category_labels", {})
    guests = [inv for inv in workshop.active_invitations if inv.actor_id is not None]
    guest_actors = {inv.actor_id for inv in guests}
    guest_categories = Counter()
    guest_sectors = Counter()
    for inv in guests:
        node = graph.nodes.get(actor_node(inv.actor_id))
        if node:
            guest_categories[node["category"]] += 1
            guest_sectors[node["sector"]] += 1

    scores: dict[int, int] = Counter()
    reasons: dict[int, list[str]] = {}

    def add(actor_id: int, points: int, reason: str) -> None:
        if actor_id in guest_actors:
            return
        attrs = graph.nodes.get(actor_node(actor_id))
        if not attrs or attrs["status"] == Status.INACTIVE:
            return
        scores[actor_id] += points
        reasons.setdefault(actor_id, [])
        if reason not in reasons[actor_id]:
            reasons[actor_id].append(reason)

    actors_by_category: dict[str, list[int]] = {}
    for node in analysis.actor_nodes(graph):
        attrs = graph.nodes[node]
        actors_by_category.setdefault(attrs["category"], []).append(attrs["id"])

    missing = []
    topic_nodes = {graph.nodes[t]["code"]: t for t in analysis.topic_nodes(graph)}
    for topic in workshop.topics:
        node = topic_nodes.get(topic.code)
        if node is None:
            continue
        name = f"{topic.code} {topic.title}"
        linked = set()
        for source, _, attrs in graph.in_edges(node, data=True):
            if attrs.get("kind") == "topic_link":
                points, text = ROLE_SCORES.get(attrs["role"], (1, "mit {topic} verbunden"))
                add(graph.nodes[source]["id"], points, text.format(topic=name))
                linked.add(graph.nodes[source]["id"])
        network_gaps = {g["category"]: g for g in analysis.gaps(graph, reference, topic.code)}
        for item in analysis.expected_for(reference, topic.code):
            category = item["category"]
            if guest_categories[category] >= item["min"]:
                continue
            label = labels.get(category, category)
            text = (
                f"Die Checkliste erwartet bei {topic.code} „{label}“; auf der Gästeliste fehlt "
                f"diese Gruppe noch. {item['reason']}"
            )
            candidates = actors_by_category.get(category, [])
            for actor_id in candidates:
                add(actor_id, 3, text)
            gap = network_gaps.get(category)
            if not candidates or gap:
                missing.append(
                    {
                        "topic": topic.code,
                        "category": category,
                        "label": label,
                        "have": gap["have"] if gap else len(candidates),
                        "need": item["min"],
                        "reason": item["reason"],
                    }
                )
        earlier = _earlier_workshops(workshop, topic)
        if earlier:
            invited_before = {
                inv.actor_id for w in earlier for inv in w.invitations if inv.actor_id
            }
            if len(earlier) == 1:
                text = (
                    f"Zum früheren Workshop „{earlier[0].title}“ ({topic.code}) nicht eingeladen."
                )
            else:
                text = (
                    f"Zu keinem der {len(earlier)} früheren Workshops zu {topic.code} eingeladen."
                )
            for actor_id in linked - invited_before:
                add(actor_id, 1, text)

    balance = {label: guest_sectors[sector] for sector, (label, _) in BALANCE_GROUPS.items()}
    if guests:
        top = max(guest_sectors[s] for s in BALANCE_GROUPS)
        state = ", ".join(f"{guest_sectors[s]} {words}" for s, (_, words) in BALANCE_GROUPS.items())
        for sector, (label, _) in BALANCE_GROUPS.items():
            if guest_sectors[sector] * 2 >= top:
                continue
            text = f"Ausgewogenheit: eingeladen sind bisher {state} – mehr {label} einbinden."
            for actor_id in list(scores):
                if graph.nodes[actor_node(actor_id)]["sector"] == sector:
                    add(actor_id, 2, text)

    ranked = sorted(scores, key=lambda a: (-scores[a], graph.nodes[actor_node(a)]["label"]))
    contacts = _contacts_of(ranked)
    items = []
    for actor_id in ranked:
        attrs = graph.nodes[actor_node(actor_id)]
        items.append(
            {
                "actor_id": actor_id,
                "actor": attrs["label"],
                "category": attrs["category"],
                "category_label": labels.get(attrs["category"], attrs["category"]),
                "sector": attrs["sector"],
                "status": attrs["status"],
                "score": scores[actor_id],
                "reasons": reasons[actor_id],
                "contacts": contacts.get(actor_id, []),
            }
        )
    return {"items": items, "missing": missing, "balance": balance}


def _contacts_of(actor_ids: list[int]) -> dict[int, list[dict]]:
    result: dict[int, list[dict]] = {}
    if not actor_ids:
        return result
    rows = db.session.scalars(
        sa.select(Contact).where(Contact.actor_id.in_(actor_ids)).order_by(Contact.name)
    )
    for contact in rows:
        reason = mail.block_reason(contact)
        result.setdefault(contact.actor_id, []).append(
            {
                "id": contact.id,
                "name": contact.name,
                "function": contact.function,
                "language": contact.language,
                "timezone": contact.timezone,
                "may_invite": reason is None,
                "reason": reason or "",
            }
        )
    return result


def _earlier_workshops(workshop: Workshop, topic: Topic) -> list[Workshop]:
    query = sa.select(Workshop).where(
        Workshop.id != workshop.id,
        Workshop.topics.any(Topic.id == topic.id),
        Workshop.status != WorkshopStatus.CANCELLED,
    )
    if workshop.starts_at is not None:
        query = query.where(Workshop.starts_at < workshop.starts_at)
    else:
        query = query.where(Workshop.created_at < workshop.created_at)
    return list(db.session.scalars(query))


# --- calendar files and feeds --------------------------------------------------------------------


def _plain_description(workshop: Workshop, url: str) -> str:
    parts = [workshop.agenda] if workshop.agenda else []
    if workshop.online_url:
        parts.append(f"Online: {workshop.online_url}")
    parts.append(url)
    return "\n\n".join(parts)


def workshop_ics(workshop: Workshop) -> bytes:
    """The download: no METHOD, so a calendar or a CalDAV server stores it as it is."""
    if workshop.starts_at is None:
        raise Invalid("Der Workshop hat noch keinen Termin.")
    url = mail.workshop_url(workshop)
    return ical.download_calendar(workshop, url=url, description=_plain_description(workshop, url))


def invitation_ics(invitation: Invitation, token: str) -> bytes:
    """The invitee's "add to calendar" file behind the RSVP link (`token`, from that link)."""
    workshop = invitation.workshop
    if workshop.starts_at is None:
        raise Invalid("Der Workshop hat noch keinen Termin.")
    url = mail.rsvp_url(token)
    return ical.download_calendar(workshop, url=url, description=_plain_description(workshop, url))


def feeds() -> list[dict]:
    """One subscribable feed for all workshops and one per topic (feed empty until created)."""
    existing = {feed.topic_id: feed for feed in db.session.scalars(sa.select(CalendarFeed))}
    rows = [{"topic": None, "feed": existing.get(None), "label": "Alle Workshops"}]
    for topic in db.session.scalars(sa.select(Topic).order_by(Topic.priority, Topic.code)):
        rows.append({"topic": topic, "feed": existing.get(topic.id), "label": topic.label})
    return rows


def create_feed(topic_id: int | None) -> CalendarFeed:
    """Create the feed's secret link, or replace it (the old link stops working). Only the
    token's hash is stored; the returned feed carries the token in `.token` to be shown once."""
    if topic_id is not None and db.session.get(Topic, topic_id) is None:
        raise NotFound(f"Thema {topic_id} nicht gefunden.")
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
        raise NotFound("Diesen Kalender gibt es nicht (mehr).")
    return feed


def _feed_workshops(feed: CalendarFeed) -> list[Workshop]:
    return [
        workshop
        for workshop in workshops(feed.topic_id)
        if workshop.status != WorkshopStatus.DRAFT and workshop.starts_at is not None
    ]


def feed_ics(feed: CalendarFeed) -> bytes:
    """Planned, held and cancelled workshops (cancelled ones as STATUS:CANCELLED), no drafts."""
    items = []
    for workshop in _feed_workshops(feed):
        url = mail.workshop_url(workshop)
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
        "summary": summary(workshop),
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
                "phase": workshop.phase.value,
            }
        )
    return result


def when(workshop: Workshop, reader_tz: str | None, lang: str = "de") -> dict:
    return times_for(workshop.starts_at, workshop.ends_at, workshop.timezone, reader_tz, lang)


# --- data protection -----------------------------------------------------------------------------


def _stamp(value: datetime | None) -> str | None:
    return aware(value).isoformat() if value is not None else None


def personal_data(contact: Contact) -> list[dict]:
    """Everything the workshops keep about one person: invitations, answers, poll votes,
    attendance and mails (used by the Art. 15 DSGVO access export in exchange/privacy.py)."""
    rows = db.session.scalars(
        sa.select(Invitation).where(Invitation.contact_id == contact.id).order_by(Invitation.id)
    )
    result = []
    for inv in rows:
        workshop = inv.workshop
        mails = db.session.scalars(
            sa.select(MailMessage)
            .where(MailMessage.invitation_id == inv.id)
            .order_by(MailMessage.id)
        )
        result.append(
            {
                "workshop_id": workshop.id,
                "workshop": workshop.title,
                "starts_at": iso(workshop.starts_at, workshop.timezone),
                "timezone": workshop.timezone,
                "invited_at": _stamp(inv.created_at),
                "response": inv.response.value,
                "responded_at": _stamp(inv.responded_at),
                "comment": inv.comment,
                "waitlisted": inv.waitlisted,
                "attended": inv.attended,
                "removed_at": _stamp(inv.removed_at),
                "poll_votes": [
                    {"slot_starts_at": _stamp(v.slot.starts_at), "answer": v.answer.value}
                    for v in inv.votes
                ],
                "mails": [
                    {
                        "kind": m.kind.value,
                        "subject": m.subject,
                        "recipient": m.recipient,
                        "status": m.status.value,
                        "sent_at": _stamp(m.sent_at),
                    }
                    for m in mails
                ],
            }
        )
    return result


def personal_data_section(contact: Contact) -> tuple[str, list[dict]]:
    """The workshops' part of an Art. 15 export (receiver of core.signals.personal_data)."""
    return "workshops", personal_data(contact)


def erase_personal_data(contact: Contact) -> dict[str, int]:
    """Art. 17 DSGVO: blank the person's comments and stored mails, block what is still queued
    and kill the RSVP links; answers, seats and attendance stay so the counts remain right.
    Runs inside the erasure service's transaction (no commit here)."""
    ids = list(
        db.session.scalars(sa.select(Invitation.id).where(Invitation.contact_id == contact.id))
    )
    if not ids:
        return {"invitations": 0, "mails": 0}
    db.session.execute(
        sa.update(MailMessage)
        .where(MailMessage.invitation_id.in_(ids), MailMessage.status.in_(mail.PENDING))
        .values(status=MailStatus.BLOCKED)
    )
    mails = db.session.execute(
        sa.update(MailMessage)
        .where(MailMessage.invitation_id.in_(ids))
        .values(recipient="", raw="", subject="", last_error="gelöscht (Art. 17 DSGVO)")
    ).rowcount
    for invitation in db.session.scalars(sa.select(Invitation).where(Invitation.id.in_(ids))):
        invitation.comment = ""
        tokens.new_rsvp_link(invitation)  # the old RSVP link stops working
    return {"invitations": len(ids), "mails": mails}


def last_activity(_sender: Any = None) -> dict[int, datetime]:
    """contact id → the latest invitation, answer or mail about them (retention view; receiver
    of core.signals.contact_activity)."""
    latest: dict[int, datetime] = {}
    rows = db.session.execute(
        sa.select(
            Invitation.contact_id,
            sa.func.max(sa.func.coalesce(Invitation.responded_at, Invitation.created_at)),
        )
        .where(Invitation.contact_id.is_not(None))
        .group_by(Invitation.contact_id)
    )
    for contact_id, when_ in rows:
        latest[contact_id] = when_
    sent = db.session.execute(
        sa.select(Invitation.contact_id, sa.func.max(MailMessage.sent_at))
        .join(MailMessage, MailMessage.invitation_id == Invitation.id)
        .where(Invitation.contact_id.is_not(None), MailMessage.sent_at.is_not(None))
        .group_by(Invitation.contact_id)
    )
    for contact_id, when_ in sent:
        if when_ is not None and (contact_id not in latest or when_ > latest[contact_id]):
            latest[contact_id] = when_
    return latest


# --- demo ----------------------------------------------------------------------------------------


def load_demo_workshops(items: list[dict], by_name: dict, by_code: dict) -> int:
    """Load the demo file's workshops with a few invitations each (none sent). Dates are local
    times in the workshop's zone; planned ones may say "in_days" to stay in the future."""
    count = 0
    for item in items:
        skip = ("invitations", "topics", "in_days", "status", "results", "follow_ups")
        data = {k: v for k, v in item.items() if k not in skip}
        if "in_days" in item:
            day = (utcnow() + timedelta(days=int(item["in_days"]))).date()
            start = datetime.fromisoformat(f"{day.isoformat()}T{item['time']}")
            data["starts_at"] = start
            data["ends_at"] = start + timedelta(minutes=int(item["minutes"]))
            data.pop("time", None)
            data.pop("minutes", None)
        data["topic_ids"] = [by_code[code].id for code in item.get("topics", [])]
        workshop = create_workshop(data, commit=False)
        contacts = []
        for entry in item.get("invitations", []):
            actor = by_name[entry["actor"]]
            contact = next(c for c in actor.contacts if c.name == entry["contact"])
            contacts.append((contact, entry))
        if contacts:
            invitations = add_invitations(workshop, [c.id for c, _ in contacts], commit=False)
            for invitation, (_, entry) in zip(invitations, contacts, strict=True):
                invitation.response = Response(entry.get("response", "needs-action"))
                invitation.attended = bool(entry.get("attended", False))
                invitation.comment = entry.get("comment", "")
                if invitation.response != Response.NEEDS_ACTION:
                    invitation.responded_at = workshop.starts_at - timedelta(days=7)
        workshop.results = item.get("results", "")
        workshop.follow_ups = item.get("follow_ups", "")
        # the status last: a held workshop takes no new invitations
        workshop.status = WorkshopStatus(item.get("status", WorkshopStatus.PLANNED.value))
        count += 1
    db.session.flush()
    return count
