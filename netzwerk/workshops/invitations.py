"""Invitations: who is invited, sending, updates and cancellations, replies, the waitlist and
attendance. Each public function is one transaction with one audit entry; those that queue mail
return the batch id, and the caller decides whether to deliver it now (API, CLI) or in the
background while the page shows the progress (web)."""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa
from flask_babel import gettext as _

from ..actors.models import Actor, Contact
from ..audit.services import record
from ..core.errors import Conflict, Invalid
from ..core.timeutil import utcnow
from ..extensions import db
from ..mail import queue
from ..mail.models import MailKind, MailMessage, MailStatus
from . import compose, ical, tokens
from .models import (
    Invitation,
    Response,
    Workshop,
    WorkshopStatus,
)
from .timefmt import times_for

# --- invitations ---------------------------------------------------------------------------------


def add_invitations(
    workshop: Workshop, contact_ids: list[int], commit: bool = True
) -> list[Invitation]:
    """Invite contacts (all or none). Already invited ones are kept as they are; a contact that
    may not be invited (no address, consent revoked) is refused with the reason."""
    if workshop.status in (WorkshopStatus.CANCELLED, WorkshopStatus.DONE):
        raise Invalid(
            _(
                "Der Workshop ist %(label)s; Einladen ist nicht mehr möglich.",
                label=workshop.status.label,
            )
        )
    if not isinstance(contact_ids, list | tuple) or not contact_ids:
        raise Invalid(
            _("Bitte mindestens einen Kontakt auswählen (contact_ids)."), field="contact_ids"
        )
    existing = {inv.contact_id: inv for inv in workshop.invitations}
    added = []
    for raw_id in contact_ids:
        try:
            contact_id = int(raw_id)
        except (TypeError, ValueError) as exc:
            raise Invalid(
                _("Ungültige Kontaktnummer: %(raw_id)s", raw_id=raw_id), field="contact_ids"
            ) from exc
        contact = db.session.get(Contact, contact_id)
        if contact is None:
            raise Invalid(
                _("Kontakt %(contact_id)s nicht gefunden.", contact_id=contact_id),
                field="contact_ids",
            )
        if reason := compose.block_reason(contact):
            raise Invalid(
                _(
                    "%(name)s (%(name2)s) kann nicht eingeladen werden: %(reason)s",
                    name=contact.name,
                    name2=contact.actor.name,
                    reason=reason,
                ),
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
            label=workshop.title,
        )
    if commit:
        db.session.commit()
    return added


def remove_invitation(invitation: Invitation) -> str | None:
    """Withdraw one invitation: whoever already has it in the calendar gets a CANCEL (only they);
    an invitation that never went out simply disappears."""
    workshop = invitation.workshop
    label = f"{invitation.name} – {workshop.title}"
    was_sent = compose.has_calendar(compose.calendar_state(workshop), invitation)
    held_seat = invitation.holds_seat
    batch = None
    if not was_sent:
        queue.supersede(compose.of_invitations(invitation.id), "Einladung zurückgezogen")
        record("invitation", invitation.id, "delete", {"contact": [invitation.name, None]}, label)
        workshop.invitations.remove(invitation)
        db.session.flush()
    else:
        invitation.removed_at = utcnow()
        invitation.waitlisted = False
        workshop.sequence += 1
        cancel_batch = queue.new_batch()
        if compose.block_reason(invitation.contact) is None and compose.enqueue(
            [compose.wanted(invitation, MailKind.CANCEL, workshop.sequence)], cancel_batch
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
        batch = promote(workshop, batch) or batch
    db.session.commit()
    return batch


def was_announced(workshop: Workshop) -> bool:
    """Some invitee was sent (or is about to be sent) the invitation."""
    state = compose.calendar_state(workshop)
    return any(statuses & set(compose.SENT_OR_PENDING) for statuses in state.values())


def _check_sendable(workshop: Workshop) -> None:
    if workshop.status == WorkshopStatus.CANCELLED:
        raise Invalid(_("Der Workshop ist abgesagt; es werden keine Einladungen mehr verschickt."))
    if workshop.status == WorkshopStatus.DONE:
        raise Invalid(_("Der Workshop hat schon stattgefunden."))
    if workshop.starts_at is None:
        raise Invalid(
            _(
                "Der Workshop hat noch keinen Termin. Bitte erst Beginn und Ende "
                "eintragen oder in der Terminumfrage einen Termin festlegen."
            )
        )
    if workshop.starts_at <= utcnow():
        raise Invalid(_("Der Workshop liegt in der Vergangenheit; Einladungen sind nicht möglich."))
    if not workshop.organizer_email:
        raise Invalid(
            _("Die E-Mail-Adresse der einladenden Person fehlt."), field="organizer_email"
        )


def send_invitations(workshop: Workshop, note: str = "") -> tuple[str, dict]:
    """Queue a REQUEST for every invitee who has none for the current version yet, and take
    along whatever is still unsent from earlier. Contacts who may not be invited are skipped
    and counted with their reason. `note`: a personal text in the new mails."""
    _check_sendable(workshop)
    batch = queue.new_batch()
    counts = Counter()
    blocked = []
    if workshop.status == WorkshopStatus.DRAFT:
        workshop.status = WorkshopStatus.PLANNED
    state = compose.calendar_state(workshop)
    wanted = []
    for invitation in workshop.active_invitations:
        if invitation.response == Response.DECLINED:
            continue
        if reason := compose.block_reason(invitation.contact):
            blocked.append(
                {"invitation_id": invitation.id, "name": invitation.name, "reason": reason}
            )
            continue
        update = compose.has_calendar(state, invitation)
        wanted.append(
            compose.wanted(
                invitation, MailKind.REQUEST, workshop.sequence, update, note=note.strip()
            )
        )
    counts["queued"] += compose.enqueue(wanted, batch)
    db.session.flush()
    counts["queued"] += queue.take_into(batch, compose.scope(workshop))
    record(
        "workshop",
        workshop.id,
        "send",
        {"queued": [None, counts["queued"]], "blocked": [None, len(blocked)]},
        label=workshop.title,
    )
    db.session.commit()
    return batch, {"queued": counts["queued"], "blocked": blocked}


def queue_updates(workshop: Workshop, previous: dict | None = None) -> str | None:
    """An updated REQUEST (new SEQUENCE) to everyone who was invited and has not declined;
    `previous` (time, zone, place before the change) lets the mail say what changed."""
    batch = queue.new_batch()
    state = compose.calendar_state(workshop)
    wanted = []
    for invitation in workshop.active_invitations:
        if invitation.response == Response.DECLINED or invitation.contact is None:
            continue
        if not compose.was_invited(state, invitation):
            continue  # never invited yet: "send" will invite with the current version
        if compose.block_reason(invitation.contact):
            continue
        update = compose.has_calendar(state, invitation)
        wanted.append(
            compose.wanted(
                invitation, MailKind.REQUEST, workshop.sequence, update, previous=previous
            )
        )
    return batch if compose.enqueue(wanted, batch) else None


def cancel_workshop(workshop: Workshop, note: str = "") -> str | None:
    """Cancel: STATUS:CANCELLED, SEQUENCE raised, METHOD:CANCEL (same UID) to everyone who ever
    received a REQUEST and was not removed, whatever they answered; unsent invitations are
    dropped from the queue."""
    if workshop.status == WorkshopStatus.CANCELLED:
        raise Conflict(_("Der Workshop ist bereits abgesagt."))
    if workshop.status == WorkshopStatus.DONE:
        raise Invalid(_("Ein durchgeführter Workshop kann nicht mehr abgesagt werden."))
    old_status = workshop.status
    workshop.status = WorkshopStatus.CANCELLED
    workshop.sequence += 1
    batch = queue.new_batch()
    state = compose.calendar_state(workshop)
    unsent, wanted = [], []
    for invitation in workshop.active_invitations:
        if not compose.has_calendar(state, invitation):
            unsent.append(invitation.id)
            continue
        # also to those who declined: a DECLINED to an older SEQUENCE may stand beside an
        # accepted update in their calendar, and a CANCEL for an event a calendar does not
        # hold is ignored there
        if compose.block_reason(invitation.contact):
            continue
        wanted.append(
            compose.wanted(invitation, MailKind.CANCEL, workshop.sequence, note=note.strip())
        )
    if unsent:
        queue.supersede(compose.of_invitations(unsent), "Workshop abgesagt")
    queued = compose.enqueue(wanted, batch)
    changes = {
        "status": [old_status.value, WorkshopStatus.CANCELLED.value],
        "sequence": [workshop.sequence - 1, workshop.sequence],
    }
    if note:
        changes["note"] = [None, note]
    record("workshop", workshop.id, "cancel", changes, label=workshop.title)
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


def promote(workshop: Workshop, batch: str | None) -> str | None:
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
    batch = batch or queue.new_batch()
    state = compose.calendar_state(workshop)
    wanted = []
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
            and compose.was_invited(state, invitation)
            and compose.block_reason(invitation.contact) is None
        ):
            wanted.append(compose.wanted(invitation, MailKind.PROMOTE, workshop.sequence))
    return batch if compose.enqueue(wanted, batch) else None


def _check_open(workshop: Workshop) -> None:
    if workshop.status == WorkshopStatus.CANCELLED:
        raise Invalid(_("Der Workshop wurde abgesagt."))
    if workshop.status == WorkshopStatus.DONE or (
        workshop.ends_at is not None and workshop.ends_at <= utcnow()
    ):
        raise Invalid(_("Der Workshop hat schon stattgefunden; Antworten sind nicht mehr möglich."))


def closed_reason(invitation: Invitation) -> str | None:
    """Why the invitee can no longer answer, or None."""
    if invitation.removed_at is not None:
        return _("Diese Einladung wurde zurückgezogen.")
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
        raise Invalid(_("Diese Einladung wurde zurückgezogen."))
    workshop = invitation.workshop
    _check_open(workshop)
    value = Response.parse(response)
    if value is None or value == Response.NEEDS_ACTION:
        raise Invalid(_("Bitte zusagen, vielleicht oder absagen wählen."), field="response")
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
    batch = promote(workshop, None) if held_seat and not invitation.holds_seat else None
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
        raise Invalid(_("Der Workshop hat noch keinen Termin."))
    changed = []
    for invitation in workshop.active_invitations:
        came = invitation.id in attended_ids
        if invitation.attended != came:
            invitation.attended = came
            changed.append(f"{invitation.name}: {'anwesend' if came else 'nicht anwesend'}")
    if changed:
        record(
            "workshop", workshop.id, "attendance", {"attendance": [None, changed]}, workshop.title
        )
    db.session.commit()
    return workshop


# --- views of invitations ------------------------------------------------------------------------


def _reconfirm(invitation: Invitation, message: MailMessage | None) -> bool:
    """The answer was given to an older version: the update (a REQUEST with a higher SEQUENCE)
    came later, and the invitee's calendar asks them to confirm again, as the page does."""
    if invitation.response not in (Response.ACCEPTED, Response.TENTATIVE):
        return False
    if message is None or message.kind != MailKind.REQUEST or not message.sequence:
        return False
    answered = invitation.responded_at
    return answered is None or message.created_at > answered


def invitation_rows(workshop: Workshop, viewer_tz: str | None = None) -> list[dict]:
    """Each invitation with its delivery state and, where needed, why it cannot be sent."""
    messages = db.session.scalars(
        sa.select(MailMessage)
        .where(MailMessage.scope == compose.scope(workshop))
        .order_by(MailMessage.id)
    )
    latest: dict[int, MailMessage] = {}
    for message in messages:
        if message.status != MailStatus.SUPERSEDED:
            latest[message.source_id] = message
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
                "blocked": compose.block_reason(contact),
                "message": message,
                "waitlist": positions.get(invitation.id),
                "reconfirm": _reconfirm(invitation, message),
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
            MailMessage.scope == compose.scope(workshop), MailMessage.status == MailStatus.FAILED
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
        {"contact": c, "actor": a, "reason": compose.block_reason(c)}
        for c, a in rows
        if c.id not in invited
    ]
