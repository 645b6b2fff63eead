"""The workshops' mail: invitations, updates, cancellations, waitlist confirmations and date
polls as iMIP messages (RFC 6047), composed for each invitee in their language and zone, and
queued through netzwerk.mail. The RSVP link goes in as a placeholder; the "invitation" source
registered here derives each invitee's token while the batch is sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import sqlalchemy as sa
from flask import render_template
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from ..actors.models import Contact
from ..core.timeutil import utcnow
from ..extensions import db
from ..mail import links, queue
from ..mail.message import address, build_message, header_text, sender, tidy
from ..mail.models import PENDING, MailKind, MailMessage, MailStatus
from . import ical, tokens
from .models import Invitation, Response, Workshop
from .timefmt import clock_span, mail_language, short_date, times_for

SOURCE = "invitation"
CALENDAR_KINDS = (MailKind.REQUEST, MailKind.CANCEL, MailKind.PROMOTE)
SENT_OR_PENDING = (MailStatus.SENT, MailStatus.SENDING, *PENDING)


def scope(workshop: Workshop | int) -> str:
    """The queue's group of a workshop's messages (progress, retries)."""
    return f"workshop:{workshop if isinstance(workshop, int) else workshop.id}"


def of_invitations(ids: int | Iterable[int]) -> sa.ColumnElement[bool]:
    """SQL condition: the messages to these invitations."""
    return queue.of(SOURCE, ids)


# --- links ---------------------------------------------------------------------------------------


def rsvp_url(token: str) -> str:
    return links.public_url(f"/einladung/{token}")


def poll_url(token: str) -> str:
    return links.public_url(f"/einladung/{token}/umfrage")


def invitation_ics_url(token: str) -> str:
    return links.public_url(f"/einladung/{token}/termin.ics")


def workshop_url(workshop: Workshop) -> str:
    return links.public_url(f"/workshops/{workshop.id}")


def block_reason(contact: Contact | None) -> str | None:
    """Why no mail may go to this contact (in the current language); None when it may."""
    if contact is None:
        return _("Der Kontakt wurde gelöscht.")
    if not contact.email:
        return _("Keine E-Mail-Adresse hinterlegt.")
    if contact.consent_revoked_at is not None:
        return _(
            "Einwilligung am %(date)s widerrufen.",
            date=format(contact.consent_revoked_at, "%d.%m.%Y"),
        )
    if not contact.consent_invitations:
        return _("Keine Einwilligung in Einladungen per E-Mail.")
    if not contact.may_invite:
        return _("Darf nicht eingeladen werden.")
    return None


# --- composing ---------------------------------------------------------------------------------


def message_id(invitation: Invitation, kind: MailKind, sequence: int) -> str:
    """Stable per invitation, kind and sequence: the same message keeps its Message-ID."""
    local, _, domain = invitation.workshop.uid.partition("@")
    return f"<{kind.value}-{sequence}-i{invitation.id}.{local}@{domain or 'netzwerk.invalid'}>"


def _subject(workshop: Workshop, kind: MailKind, lang: str, tz: str, update: bool) -> str:
    date = short_date(workshop.starts_at, tz, lang) if workshop.starts_at else ""
    prefixes = {
        "de": {
            MailKind.REQUEST: "Aktualisierte Einladung" if update else "Einladung",
            MailKind.PROMOTE: "Platz frei – Teilnahme bestätigt",
            MailKind.CANCEL: "Abgesagt",
            MailKind.POLL: "Terminumfrage",
        },
        "en": {
            MailKind.REQUEST: "Updated invitation" if update else "Invitation",
            MailKind.PROMOTE: "A place is free – participation confirmed",
            MailKind.CANCEL: "Cancelled",
            MailKind.POLL: "Date poll",
        },
    }
    subject = f"{prefixes[lang][kind]}: {workshop.title}"
    if date and kind != MailKind.POLL:
        subject += f" – {date}"
    return header_text(subject)


def _slot_lines(workshop: Workshop, tz: str, lang: str) -> list[str]:
    lines = []
    for slot in workshop.slots:
        text = times_for(slot.starts_at, slot.ends_at, workshop.timezone, None, lang)["workshop"]
        if tz != workshop.timezone:
            text += f" = {clock_span(slot.starts_at, slot.ends_at, tz, lang)} ({tz})"
        lines.append(text)
    return lines


def envelope_for(workshop: Workshop) -> dict:
    """From, Sender, Reply-To and ORGANIZER;SENT-BY of a workshop's mails (RFC 6047).

    The ORGANIZER is the workshop's organizer. When netzwerk sends from another address
    (NETZWERK_MAIL_FROM), the ORGANIZER gets SENT-BY with that address. If the organizer's
    address is in the sender's domain, the mail is From the organizer with a Sender header (what
    RFC 6047 and Outlook expect from a delegate); an organizer in another domain stays in
    Reply-To and the mail is From NETZWERK_MAIL_FROM, because a From in a foreign domain sent
    through the town hall's server fails the recipients' SPF/DMARC checks."""
    own = sender()
    organizer = (workshop.organizer_email or "").strip()
    result = {"from": own, "sender": None, "reply_to": None, "sent_by": None}
    if not organizer:
        return result
    result["reply_to"] = address(workshop.organizer_name, organizer)
    if organizer.lower() == own.addr_spec.lower():
        return result
    result["sent_by"] = own.addr_spec
    if organizer.rpartition("@")[2].lower() == own.domain.lower():
        result["from"] = result["reply_to"]
        result["sender"] = own
    return result


def preview(invitation: Invitation, note: str = "") -> dict:
    """The invitation mail as `invitation`'s invitee would get it (subject and plain text),
    without queueing anything; the link shows the placeholder its token replaces."""
    from email import message_from_string
    from email.policy import default

    message = compose(invitation, MailKind.REQUEST, invitation.workshop.sequence, note=note)
    parsed = message_from_string(message.raw, policy=default)
    body = parsed.get_body(preferencelist=("plain",))
    return {"subject": message.subject, "text": body.get_content() if body else ""}


def _before(workshop: Workshop, previous: dict | None, tz: str, lang: str) -> dict:
    """What changed for an update mail: the old time (in the reader's words) and place."""
    if not previous:
        return {}
    before = {}
    moved = (previous["starts_at"], previous["ends_at"], previous["timezone"]) != (
        workshop.starts_at,
        workshop.ends_at,
        workshop.timezone,
    )
    if moved and previous["starts_at"]:
        before["times"] = times_for(
            previous["starts_at"], previous["ends_at"], previous["timezone"], tz, lang
        )
    if (previous["location"] or "") != (workshop.location or ""):
        before["location"] = previous["location"] or "–"
    return before


def compose(
    invitation: Invitation,
    kind: MailKind,
    sequence: int,
    update: bool = False,
    note: str = "",
    previous: dict | None = None,
) -> MailMessage:
    """Build the whole message for one invitee: multipart/mixed → multipart/alternative
    (text/plain, text/html, text/calendar; method=...) plus invite.ics. The links carry the
    token placeholder; `wire_bytes` puts the invitee's token in when the message is sent."""
    workshop, contact = invitation.workshop, invitation.contact
    lang = mail_language(contact.language)
    tz = contact.timezone or workshop.timezone
    now = utcnow()
    context = {
        "lang": lang,
        "kind": kind.value,
        "update": update,
        "workshop": workshop,
        "name": contact.name,
        "times": times_for(workshop.starts_at, workshop.ends_at, workshop.timezone, tz, lang),
        "location": ical.location_text(workshop),
        "rsvp_url": rsvp_url(links.PLACEHOLDER),
        "poll_url": poll_url(links.PLACEHOLDER),
        "ics_url": invitation_ics_url(links.PLACEHOLDER),
        "slots": _slot_lines(workshop, tz, lang) if kind == MailKind.POLL else [],
        "reader_tz": tz,
        "note": note,  # the coordinator's words to the invitees (a cancellation's reason)
        "before": _before(workshop, previous, tz, lang) if update else {},
    }
    text = tidy(render_template(f"workshops/mail/{lang}.txt", **context))
    html = render_template(f"workshops/mail/{lang}.html", **context)
    calendar = None
    method = None
    envelope = envelope_for(workshop)
    if kind in CALENDAR_KINDS:
        method = "CANCEL" if kind == MailKind.CANCEL else "REQUEST"
        partstat = (
            Response.ACCEPTED.partstat
            if kind == MailKind.PROMOTE
            else Response.NEEDS_ACTION.partstat
        )
        calendar = ical.invitation_calendar(
            workshop,
            method=method,
            attendee_email=contact.email,
            attendee_name=contact.name,
            sequence=sequence,
            url=rsvp_url(links.PLACEHOLDER),
            description=tidy(render_template(f"workshops/mail/{lang}.description.txt", **context)),
            partstat=partstat,
            dtstamp=now,
            sent_by=envelope["sent_by"],
        )
    subject = _subject(workshop, kind, lang, tz, update)
    mid = message_id(invitation, kind, sequence)
    email = build_message(
        to=address(contact.name, contact.email),
        reply_to=envelope["reply_to"],
        from_=envelope["from"],
        sender_=envelope["sender"],
        subject=subject,
        text=text,
        html=html,
        calendar=calendar,
        method=method,
        message_id=mid,
        date=now,
        lang=lang,
    )
    return MailMessage(
        source=SOURCE,
        source_id=invitation.id,
        scope=scope(workshop),
        kind=kind,
        sequence=sequence,
        message_id=mid,
        recipient=contact.email,
        subject=subject[:400],
        raw=email.as_string(),
        status=MailStatus.QUEUED,
        created_at=now,
    )


# --- queueing ------------------------------------------------------------------------------------


def wanted(
    invitation: Invitation,
    kind: MailKind,
    sequence: int,
    update: bool = False,
    note: str = "",
    previous: dict | None = None,
) -> queue.Wanted:
    """The message `kind` of this version for one invitee; an unsent older message of the same
    family (calendar messages, or poll mails) is replaced by it."""
    family = CALENDAR_KINDS if kind in CALENDAR_KINDS else (MailKind.POLL,)
    return queue.Wanted(
        SOURCE,
        invitation.id,
        kind,
        sequence,
        compose=lambda: compose(
            invitation, kind, sequence, update=update, note=note, previous=previous
        ),
        supersedes=family,
    )


def enqueue(items: Iterable[queue.Wanted], batch: str) -> int:
    """Queue the messages (a few statements for the whole list); how many wait in `batch`."""
    return len(queue.enqueue(items, batch))


def calendar_state(workshop: Workshop) -> dict[int, set[MailStatus]]:
    """invitation id → the statuses of its REQUEST/PROMOTE messages (one query per workshop)."""
    rows = db.session.execute(
        sa.select(MailMessage.source_id, MailMessage.status).where(
            MailMessage.source == SOURCE,
            MailMessage.scope == scope(workshop),
            MailMessage.kind.in_((MailKind.REQUEST, MailKind.PROMOTE)),
        )
    )
    state: dict[int, set[MailStatus]] = {}
    for invitation_id, status in rows:
        state.setdefault(invitation_id, set()).add(MailStatus(status))
    return state


def has_calendar(state: Mapping[int, set[MailStatus]], invitation: Invitation) -> bool:
    """The invitee has the invitation in their calendar (a REQUEST/PROMOTE went out)."""
    return bool(state.get(invitation.id, set()) & {MailStatus.SENT, MailStatus.SENDING})


def was_invited(state: Mapping[int, set[MailStatus]], invitation: Invitation) -> bool:
    """A REQUEST/PROMOTE went out or waits to go out."""
    return bool(state.get(invitation.id, set()) & set(SENT_OR_PENDING))


def prepare_invitation_mail(messages: Sequence[MailMessage]) -> dict[int, queue.Prepared]:
    """The "invitation" source: each invitee's RSVP token and whether they may still get the
    message, for a whole batch with one query."""
    ids = {m.source_id for m in messages}
    invitations = {
        inv.id: inv
        for inv in db.session.scalars(
            sa.select(Invitation)
            .where(Invitation.id.in_(ids))
            .options(selectinload(Invitation.contact))
        )
    }
    result = {}
    for message in messages:
        invitation = invitations.get(message.source_id)
        if invitation is None:
            result[message.id] = queue.Prepared(blocked=_("Die Einladung gibt es nicht mehr."))
            continue
        if invitation.removed_at is not None and message.kind != MailKind.CANCEL:
            result[message.id] = queue.Prepared(blocked=_("Die Einladung wurde zurückgezogen."))
            continue
        if reason := block_reason(invitation.contact):
            result[message.id] = queue.Prepared(blocked=reason)
            continue
        result[message.id] = queue.Prepared(token=tokens.rsvp_token(invitation))
    return result
