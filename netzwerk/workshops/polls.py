"""Date polls: candidate slots, votes by token link, and fixing the best slot in one click."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _

from ..audit.services import record
from ..core.errors import Invalid, NotFound
from ..core.timeutil import aware
from ..extensions import db
from ..mail import queue
from ..mail.models import MailKind
from . import compose
from .models import (
    Answer,
    Invitation,
    PollSlot,
    PollVote,
    Response,
    Workshop,
    WorkshopStatus,
)
from .services import update_workshop
from .timefmt import clock_span, span, to_utc

SCORES = {Answer.YES: 2, Answer.MAYBE: 1, Answer.NO: 0}


def _check_open(workshop: Workshop) -> None:
    if workshop.status in (WorkshopStatus.CANCELLED, WorkshopStatus.DONE):
        raise Invalid(
            _("Der Workshop ist %(label)s; keine Terminumfrage mehr.", label=workshop.status.label)
        )


def get_slot(workshop: Workshop, slot_id: int) -> PollSlot:
    slot = db.session.get(PollSlot, slot_id)
    if slot is None or slot.workshop_id != workshop.id:
        raise NotFound(_("Terminvorschlag %(slot_id)s nicht gefunden.", slot_id=slot_id))
    return slot


def add_slot(workshop: Workshop, starts: datetime | str, ends: datetime | str) -> PollSlot:
    """A candidate slot; times are local in the workshop's zone (or carry their offset)."""
    _check_open(workshop)
    values = []
    for name, value in (("starts_at", starts), ("ends_at", ends)):
        if value in (None, ""):
            raise Invalid(_("Beginn und Ende des Vorschlags angeben."), field=name)
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError as exc:
                raise Invalid(
                    _("Kein gültiger Zeitpunkt: %(value)s", value=value), field=name
                ) from exc
        values.append(to_utc(value, workshop.timezone, field=name))
    starts_utc, ends_utc = values
    if ends_utc <= starts_utc:
        raise Invalid(_("Das Ende muss nach dem Beginn liegen."), field="ends_at")
    if any(s.starts_at == starts_utc and s.ends_at == ends_utc for s in workshop.slots):
        raise Invalid(_("Diesen Terminvorschlag gibt es schon."), field="starts_at")
    slot = PollSlot(workshop=workshop, starts_at=starts_utc, ends_at=ends_utc)
    db.session.add(slot)
    workshop.poll_open = True
    db.session.flush()
    record(
        "workshop",
        workshop.id,
        "poll_slot",
        {"slot": [None, span(starts_utc, ends_utc, workshop.timezone)]},
        label=workshop.title,
    )
    db.session.commit()
    return slot


class RowsInvalid(Invalid):
    """Some rows of a multi-date entry are wrong; `rows` maps the row index to its reason."""

    def __init__(self, rows: dict[int, str]):
        super().__init__(_("Bitte die markierten Daten prüfen; es wurde nichts gespeichert."))
        self.rows = rows


def add_slots(
    workshop: Workshop,
    start: time,
    end: time,
    dates: list[date | None],
    unreadable: dict[int, str] | None = None,
) -> list[PollSlot]:
    """Several candidate slots with the same local times, all or none. Empty rows are skipped;
    each bad row (past, repeated, already proposed, not existing in the zone, or `unreadable`
    as the form found it) gets its reason."""
    _check_open(workshop)
    if end <= start:
        raise Invalid(_("Das Ende muss nach dem Beginn liegen."), field="end_time")
    if not any(dates) and not unreadable:
        raise RowsInvalid({0: _("Mindestens ein Datum angeben.")})
    today = datetime.now(ZoneInfo(workshop.timezone)).date()
    existing = {(s.starts_at, s.ends_at) for s in workshop.slots}
    seen: set[date] = set()
    rows: dict[int, str] = dict(unreadable or {})
    spans: list[tuple[datetime, datetime]] = []
    for index, day in enumerate(dates):
        if day is None:
            continue
        if day < today:
            rows[index] = _("Dieses Datum liegt in der Vergangenheit.")
            continue
        if day in seen:
            rows[index] = _("Dieses Datum steht schon in einer Zeile darüber.")
            continue
        seen.add(day)
        try:
            pair = (
                to_utc(datetime.combine(day, start), workshop.timezone),
                to_utc(datetime.combine(day, end), workshop.timezone),
            )
        except Invalid as exc:
            rows[index] = exc.message
            continue
        if pair in existing:
            rows[index] = _("Diesen Terminvorschlag gibt es schon.")
            continue
        spans.append(pair)
    if rows:
        raise RowsInvalid(rows)
    slots = [PollSlot(workshop=workshop, starts_at=s, ends_at=e) for s, e in spans]
    db.session.add_all(slots)
    workshop.poll_open = True
    db.session.flush()
    record(
        "workshop",
        workshop.id,
        "poll_slot",
        {"slot": [None, [span(s, e, workshop.timezone) for s, e in spans]]},
        label=workshop.title,
    )
    db.session.commit()
    return slots


def remove_slot(slot: PollSlot) -> None:
    workshop = slot.workshop
    record(
        "workshop",
        workshop.id,
        "poll_slot_delete",
        {"slot": [span(slot.starts_at, slot.ends_at, workshop.timezone), None]},
        label=workshop.title,
    )
    workshop.slots.remove(slot)
    db.session.commit()


def send_poll(workshop: Workshop) -> tuple[str, int]:
    """Mail every invitee the link to the poll (one round per call; new slots → new round)."""
    _check_open(workshop)
    if not workshop.slots:
        raise Invalid(_("Die Umfrage hat noch keine Terminvorschläge."))
    if not workshop.active_invitations:
        raise Invalid(_("Es ist noch niemand eingeladen."))
    workshop.poll_open = True
    workshop.poll_round += 1
    batch = queue.new_batch()
    wanted = [
        compose.wanted(invitation, MailKind.POLL, workshop.poll_round)
        for invitation in workshop.active_invitations
        if invitation.response != Response.DECLINED
        and compose.block_reason(invitation.contact) is None
    ]
    queued = compose.enqueue(wanted, batch)
    record(
        "workshop",
        workshop.id,
        "poll_send",
        {"round": [None, workshop.poll_round], "queued": [None, queued]},
        label=workshop.title,
    )
    db.session.commit()
    return batch, queued


def vote(invitation: Invitation, answers: dict[int, Any]) -> None:
    """Replace the invitee's votes; slots left out count as no answer."""
    workshop = invitation.workshop
    if invitation.removed_at is not None:
        raise Invalid(_("Diese Einladung wurde zurückgezogen."))
    if not workshop.poll_open:
        raise Invalid(_("Die Terminumfrage ist beendet."))
    slots = {slot.id: slot for slot in workshop.slots}
    current = {v.slot_id: v for v in invitation.votes}
    for slot_id, raw in answers.items():
        if int(slot_id) not in slots:
            raise Invalid(_("Unbekannter Terminvorschlag: %(slot_id)s", slot_id=slot_id))
        answer = Answer.parse(raw)
        if answer is None:
            raise Invalid(_("Antwort %(raw)r: bitte ja, vielleicht oder nein.", raw=raw))
        existing = current.get(int(slot_id))
        if existing is None:
            invitation.votes.append(PollVote(slot_id=int(slot_id), answer=answer))
        else:
            existing.answer = answer
    record(
        "invitation",
        invitation.id,
        "poll_vote",
        {"answers": [None, {str(k): str(v) for k, v in answers.items()}]},
        label=f"{invitation.name} – {workshop.title}",
    )
    db.session.commit()


def results(workshop: Workshop) -> dict:
    """Per slot the yes/maybe/no counts and a score (yes 2, maybe 1); the best marked."""
    invitations = workshop.active_invitations
    votes = db.session.scalars(
        sa.select(PollVote).join(PollSlot).where(PollSlot.workshop_id == workshop.id)
    ).all()
    by_pair = {(v.slot_id, v.invitation_id): v.answer for v in votes}
    rows = []
    for slot in workshop.slots:
        counts = {answer: 0 for answer in Answer}
        for inv in invitations:
            if (answer := by_pair.get((slot.id, inv.id))) is not None:
                counts[answer] += 1
        score = sum(SCORES[a] * n for a, n in counts.items())
        rows.append(
            {
                "slot": slot,
                "text": span(slot.starts_at, slot.ends_at, workshop.timezone),
                "yes": counts[Answer.YES],
                "maybe": counts[Answer.MAYBE],
                "no": counts[Answer.NO],
                "score": score,
                "best": False,
            }
        )
    if rows and max(r["score"] for r in rows) > 0:
        best = max(rows, key=lambda r: (r["score"], r["yes"], -r["slot"].starts_at.timestamp()))
        best["best"] = True
    matrix = [
        {
            "invitation": inv,
            "answers": [by_pair.get((slot.id, inv.id)) for slot in workshop.slots],
        }
        for inv in invitations
    ]
    return {"slots": rows, "matrix": matrix}


def slots_for(invitation: Invitation) -> list[dict]:
    """The slots as the invitee reads them: in their own zone, with the workshop's beside it."""
    workshop = invitation.workshop
    contact = invitation.contact
    tz = contact.timezone if contact is not None else workshop.timezone
    lang = contact.language if contact is not None else "de"
    mine = {v.slot_id: v.answer for v in invitation.votes}
    return [
        {
            "slot": slot,
            "local": span(slot.starts_at, slot.ends_at, tz, lang),
            "workshop": (
                clock_span(slot.starts_at, slot.ends_at, workshop.timezone, lang)
                + f" ({workshop.timezone})"
                if tz != workshop.timezone
                else ""
            ),
            "answer": mine.get(slot.id),
        }
        for slot in workshop.slots
    ]


def fix_slot(workshop: Workshop, slot: PollSlot) -> str | None:
    """Take the slot as the workshop's time and close the poll. If invitations were already out,
    this is a move: SEQUENCE rises and the updates are queued (batch returned)."""
    _check_open(workshop)
    workshop.poll_open = False
    return update_workshop(
        workshop, {"starts_at": aware(slot.starts_at), "ends_at": aware(slot.ends_at)}
    )
