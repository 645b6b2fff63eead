"""iMIP messages (RFC 6047), the two transports (SMTP, outbox folder) and the delivery queue.

Every message is composed once, stored whole in the queue table and then sent; a retry sends
the same bytes with the same Message-ID. Delivery claims each row before sending it, so two
workers (a click twice, `mail retry` while the page sends) never send one message twice.

The stored message carries a placeholder instead of the invitee's RSVP link token; the token is
derived and put in while sending (tokens.fill), so the queue table holds no secret link. What
leaves the machine (and the .eml files of the outbox transport) carries the real link.
"""

from __future__ import annotations

import re
import smtplib
import ssl
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, getaddresses
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

import sqlalchemy as sa
from flask import Flask, current_app, render_template

from ..actors.models import Contact
from ..core.errors import Invalid
from ..core.timeutil import utcnow
from ..extensions import db
from . import ical, tokens
from .models import Invitation, MailKind, MailMessage, MailStatus, Response, Workshop
from .timefmt import clock_span, mail_language, short_date, times_for

CALENDAR_KINDS = (MailKind.REQUEST, MailKind.CANCEL, MailKind.PROMOTE)
PENDING = (MailStatus.QUEUED, MailStatus.FAILED)
SMTP_TIMEOUT = 30


# --- channels: other kinds of mail in the same queue ---------------------------------------------


class Channel(Protocol):
    """What the queue asks a channel about one of its messages (MailMessage.channel)."""

    def blocked(self, message: MailMessage) -> str | None:
        """Why the message may not go out (any more), in German; None when it may."""

    def token(self, message: MailMessage) -> str | None:
        """The link token to put in for tokens.PLACEHOLDER, or None for none."""

    def sent(self, message: MailMessage) -> None:
        """The server accepted the message (inside the transaction that records it)."""


CHANNELS: dict[str, Channel] = {}


def register_channel(name: str, channel: Channel) -> None:
    """Let another domain queue its mails here (same transports, same never-twice rules)."""
    CHANNELS[name] = channel


def _channel(message: MailMessage) -> Channel | None:
    if not message.channel:
        return None
    try:
        return CHANNELS[message.channel]
    except KeyError as exc:
        raise MessageRefused(f"Unbekannter Kanal: {message.channel}") from exc


# --- addresses and links -----------------------------------------------------------------------


def header_text(value: str) -> str:
    """One line of header text: CR, LF and other control characters become spaces, so a name
    or title can never start a header of its own."""
    return re.sub(r"[\x00-\x1f\x7f]+", " ", value or "").strip()


def sender() -> Address:
    """The configured sender (NETZWERK_MAIL_FROM), e.g. 'KEpol Aachen <kepol@aachen.de>'."""
    configured = current_app.config["MAIL_FROM"]
    pairs = getaddresses([configured])
    name, addr = pairs[0] if pairs else ("", "")
    if "@" not in addr:
        raise Invalid(f"NETZWERK_MAIL_FROM ist keine E-Mail-Adresse: {configured}")
    return address(name, addr)


def address(name: str, email: str) -> Address:
    local, _, domain = email.strip().rpartition("@")
    return Address(display_name=header_text(name), username=local, domain=domain)


def public_url(path: str) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + path


def rsvp_url(token: str) -> str:
    return public_url(f"/einladung/{token}")


def poll_url(token: str) -> str:
    return public_url(f"/einladung/{token}/umfrage")


def invitation_ics_url(token: str) -> str:
    return public_url(f"/einladung/{token}/termin.ics")


def workshop_url(workshop: Workshop) -> str:
    return public_url(f"/workshops/{workshop.id}")


def block_reason(contact: Contact | None) -> str | None:
    """Why no mail may go to this contact, in German; None when it may."""
    if contact is None:
        return "Der Kontakt wurde gelöscht."
    if not contact.email:
        return "Keine E-Mail-Adresse hinterlegt."
    if contact.consent_revoked_at is not None:
        return f"Einwilligung am {contact.consent_revoked_at:%d.%m.%Y} widerrufen."
    if not contact.consent_invitations:
        return "Keine Einwilligung in Einladungen per E-Mail."
    if not contact.may_invite:
        return "Darf nicht eingeladen werden."
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


def compose(
    invitation: Invitation, kind: MailKind, sequence: int, update: bool = False
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
        "rsvp_url": rsvp_url(tokens.PLACEHOLDER),
        "poll_url": poll_url(tokens.PLACEHOLDER),
        "ics_url": invitation_ics_url(tokens.PLACEHOLDER),
        "slots": _slot_lines(workshop, tz, lang) if kind == MailKind.POLL else [],
        "reader_tz": tz,
    }
    text = _tidy(render_template(f"workshops/mail/{lang}.txt", **context))
    html = render_template(f"workshops/mail/{lang}.html", **context)
    calendar = None
    method = None
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
            url=rsvp_url(tokens.PLACEHOLDER),
            description=_tidy(render_template(f"workshops/mail/{lang}.description.txt", **context)),
            partstat=partstat,
            dtstamp=now,
        )
    subject = _subject(workshop, kind, lang, tz, update)
    mid = message_id(invitation, kind, sequence)
    email = build_message(
        to=address(contact.name, contact.email),
        reply_to=(
            address(workshop.organizer_name, workshop.organizer_email)
            if workshop.organizer_email
            else None
        ),
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
        workshop_id=workshop.id,
        invitation=invitation,
        kind=kind,
        sequence=sequence,
        message_id=mid,
        recipient=contact.email,
        subject=subject[:400],
        raw=email.as_string(),
        status=MailStatus.QUEUED,
        created_at=now,
    )


def wire_bytes(message: MailMessage) -> bytes:
    """The message as it goes out: the stored bytes with the invitee's RSVP link token put in.
    The token is derived, not stored, so every retry sends the same bytes again. A message of
    another channel gets that channel's token (or none)."""
    channel = _channel(message)
    if channel is None:
        token = tokens.rsvp_token(message.invitation)
    else:
        token = channel.token(message)
    raw = tokens.fill(message.raw, token) if token else message.raw
    return raw.encode("utf-8")


def _tidy(text: str) -> str:
    """At most one blank line in a row: the templates' conditionals leave more."""
    return re.sub(r"\n[ \t]*(\n[ \t]*){2,}", "\n\n", text).strip() + "\n"


def build_message(
    *,
    to: Address,
    reply_to: Address | None,
    subject: str,
    text: str,
    html: str,
    calendar: bytes | None,
    method: str | None,
    message_id: str,
    date: datetime,
    lang: str = "de",
) -> EmailMessage:
    """The MIME structure of RFC 6047 as the common clients expect it. Headers are set through
    email.headerregistry with policy SMTP, which refuses CR/LF in any header value."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = sender()
    msg["To"] = to
    if reply_to is not None:
        msg["Reply-To"] = reply_to
    msg["Subject"] = header_text(subject)
    msg["Date"] = format_datetime(date.replace(tzinfo=UTC))
    msg["Message-ID"] = message_id
    msg["Content-Language"] = lang
    msg.set_content(text, cte="quoted-printable")
    msg.add_alternative(html, subtype="html", cte="quoted-printable")
    if calendar is not None:
        msg.add_alternative(
            calendar.decode("utf-8"),
            subtype="calendar",
            cte="quoted-printable",
            params={"method": method},
        )
        msg.make_mixed()
        msg.add_attachment(
            calendar,
            maintype="application",
            subtype="ics",
            filename="invite.ics",
            params={"method": method, "name": "invite.ics"},
        )
    return msg


# --- queue ---------------------------------------------------------------------------------------


def new_batch() -> str:
    return uuid.uuid4().hex


def enqueue(
    invitation: Invitation, kind: MailKind, sequence: int, batch: str, update: bool = False
) -> MailMessage | None:
    """Queue one message unless it exists already; an unsent older calendar message for the
    same invitee is superseded so that a retry never delivers an outdated time."""
    existing = db.session.scalar(
        sa.select(MailMessage).where(
            MailMessage.invitation_id == invitation.id,
            MailMessage.kind == kind,
            MailMessage.sequence == sequence,
        )
    )
    if existing is not None:
        if existing.status in PENDING:
            existing.batch = batch
            return existing
        return None
    family = CALENDAR_KINDS if kind in CALENDAR_KINDS else (MailKind.POLL,)
    db.session.execute(
        sa.update(MailMessage)
        .where(
            MailMessage.invitation_id == invitation.id,
            MailMessage.kind.in_(family),
            MailMessage.status.in_(PENDING),
        )
        .values(status=MailStatus.SUPERSEDED, last_error="durch eine neuere Nachricht ersetzt")
    )
    message = compose(invitation, kind, sequence, update=update)
    message.batch = batch
    db.session.add(message)
    return message


def requeue_failed(workshop_id: int | None = None, ids: list[int] | None = None) -> str:
    """Put the failed messages (of one workshop, of the given ids, or all) into a new batch
    for another attempt."""
    batch = new_batch()
    query = sa.update(MailMessage).where(MailMessage.status.in_(PENDING))
    if workshop_id is not None:
        query = query.where(MailMessage.workshop_id == workshop_id)
    if ids is not None:
        query = query.where(MailMessage.id.in_(ids))
    db.session.execute(query.values(batch=batch))
    db.session.commit()
    return batch


# --- transports ----------------------------------------------------------------------------------


class ConnectionLost(Exception):
    """The server went away or cannot be reached: stop the batch, try again later."""


class MessageRefused(Exception):
    """The server refused this one message (e.g. 451 for the recipient); go on with the next."""


class OutboxTransport:
    """Without an SMTP server every message becomes an .eml file in instance/outbox/."""

    connections = 0

    def __init__(self, folder: str):
        self.folder = Path(folder)

    def send(self, message: MailMessage, data: bytes, envelope_from: str) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9.@_-]+", "_", message.message_id.strip("<>"))
            (self.folder / f"{name}.eml").write_bytes(data)
        except OSError as exc:
            raise ConnectionLost(f"Ablage {self.folder} nicht beschreibbar: {exc}") from exc

    def close(self) -> None:
        pass


@dataclass
class SmtpSettings:
    host: str
    port: int
    starttls: bool = False
    ssl: bool = False
    username: str = ""
    password: str = ""


def parse_smtp_url(url: str) -> SmtpSettings:
    """smtp://host:port, smtp+starttls://user:pass@host:port or smtps://user:pass@host:port."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    defaults = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
    if scheme not in defaults or not parts.hostname:
        raise Invalid(
            f"NETZWERK_SMTP_URL nicht verständlich: {scheme}://… "
            "(erwartet smtp://host:port, smtp+starttls://benutzer:passwort@host:port "
            "oder smtps://…)"
        )
    return SmtpSettings(
        host=parts.hostname,
        port=parts.port or defaults[scheme],
        starttls=scheme == "smtp+starttls",
        ssl=scheme == "smtps",
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
    )


class SmtpTransport:
    """One SMTP connection for a whole batch, opened at the first message."""

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self.connection: smtplib.SMTP | None = None
        self.connections = 0

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        try:
            if s.ssl:
                conn = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=SMTP_TIMEOUT, context=ssl.create_default_context()
                )
            else:
                conn = smtplib.SMTP(s.host, s.port, timeout=SMTP_TIMEOUT)
            self.connections += 1
            conn.ehlo()
            if s.starttls:
                conn.starttls(context=ssl.create_default_context())
                conn.ehlo()
            if s.username:
                conn.login(s.username, s.password)
        except smtplib.SMTPAuthenticationError as exc:
            raise ConnectionLost(f"Anmeldung am Mailserver abgelehnt: {_smtp_error(exc)}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise ConnectionLost(
                f"Mailserver {s.host}:{s.port} nicht erreichbar: {_smtp_error(exc)}"
            ) from exc
        return conn

    def send(self, message: MailMessage, data: bytes, envelope_from: str) -> None:
        if self.connection is None:
            self.connection = self._connect()
        try:
            self.connection.sendmail(envelope_from, [message.recipient], data)
        except smtplib.SMTPRecipientsRefused as exc:
            raise MessageRefused(_smtp_error(exc)) from exc
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            if exc.smtp_code == 421:
                self.connection = None
                raise ConnectionLost(_smtp_error(exc)) from exc
            raise MessageRefused(_smtp_error(exc)) from exc
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self.connection = None
            raise ConnectionLost(f"Verbindung zum Mailserver abgebrochen: {exc}") from exc
        except smtplib.SMTPException as exc:
            raise MessageRefused(_smtp_error(exc)) from exc

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (OSError, smtplib.SMTPException):
                self.connection.close()
            self.connection = None


def _smtp_error(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        parts = [
            f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
            for code, text in exc.recipients.values()
        ]
        return "; ".join(parts)
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error
        text = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
        return f"{exc.smtp_code} {text}"
    return str(exc) or exc.__class__.__name__


def transport():
    url = current_app.config.get("SMTP_URL") or ""
    if not url:
        return OutboxTransport(current_app.config["OUTBOX_DIR"])
    return SmtpTransport(parse_smtp_url(url))


# --- delivery ------------------------------------------------------------------------------------


@dataclass
class Report:
    sent: int = 0
    failed: int = 0
    blocked: int = 0
    connections: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "sent": self.sent,
            "failed": self.failed,
            "blocked": self.blocked,
            "connections": self.connections,
            "errors": self.errors,
        }


def _blocked(message: MailMessage) -> str | None:
    channel = _channel(message)
    if channel is not None:
        return channel.blocked(message)
    invitation = message.invitation
    if invitation.removed_at is not None and message.kind != MailKind.CANCEL:
        return "Die Einladung wurde zurückgezogen."
    return block_reason(invitation.contact)


def _claim(message_id_: int) -> bool:
    claimed = db.session.execute(
        sa.update(MailMessage)
        .where(MailMessage.id == message_id_, MailMessage.status.in_(PENDING))
        .values(status=MailStatus.SENDING, attempted_at=utcnow())
    ).rowcount
    db.session.commit()
    return bool(claimed)


def _finish(message: MailMessage, status: MailStatus, error: str = "") -> None:
    message.status = status
    message.last_error = error
    if status == MailStatus.SENT:
        message.sent_at = utcnow()
        if (channel := CHANNELS.get(message.channel)) is not None:
            channel.sent(message)
    if status in (MailStatus.SENT, MailStatus.FAILED):
        message.attempts += 1
    db.session.commit()


def deliver(
    *, batch: str | None = None, workshop_id: int | None = None, ids: list[int] | None = None
) -> Report:
    """Send the pending messages of a batch (or a workshop, or all) over one connection.

    Each message is committed as sent right after the server accepted it. A refused recipient
    is recorded and the batch goes on; a lost connection ends the batch and marks the rest as
    failed, to be sent by the next retry.
    """
    query = sa.select(MailMessage.id).where(MailMessage.status.in_(PENDING))
    if batch is not None:
        query = query.where(MailMessage.batch == batch)
    if workshop_id is not None:
        query = query.where(MailMessage.workshop_id == workshop_id)
    if ids is not None:
        query = query.where(MailMessage.id.in_(ids))
    pending = list(db.session.scalars(query.order_by(MailMessage.id)))
    report = Report()
    if not pending:
        return report
    envelope_from = sender().addr_spec
    channel = transport()
    try:
        for index, mid in enumerate(pending):
            if not _claim(mid):
                continue  # another worker has it
            message = db.session.get(MailMessage, mid)
            try:
                reason = _blocked(message)
                data = None if reason else wire_bytes(message)
            except MessageRefused as exc:
                _finish(message, MailStatus.FAILED, str(exc))
                report.failed += 1
                report.errors.append(f"{message.recipient}: {exc}")
                continue
            if reason:
                _finish(message, MailStatus.BLOCKED, reason)
                report.blocked += 1
                continue
            try:
                channel.send(message, data, envelope_from)
            except MessageRefused as exc:
                _finish(message, MailStatus.FAILED, str(exc))
                report.failed += 1
                report.errors.append(f"{message.recipient}: {exc}")
            except ConnectionLost as exc:
                _finish(message, MailStatus.FAILED, str(exc))
                report.failed += 1
                report.errors.append(f"{message.recipient}: {exc}")
                report.failed += _abandon(pending[index + 1 :], str(exc))
                break
            else:
                _finish(message, MailStatus.SENT)
                report.sent += 1
    finally:
        channel.close()
        report.connections = channel.connections
    return report


def _abandon(ids: list[int], reason: str) -> int:
    """Mark the untried rest of a broken batch as failed, so the page stops waiting for them."""
    if not ids:
        return 0
    count = db.session.execute(
        sa.update(MailMessage)
        .where(MailMessage.id.in_(ids), MailMessage.status == MailStatus.QUEUED)
        .values(
            status=MailStatus.FAILED,
            last_error=f"Nicht versucht – {reason} Wird beim nächsten Versuch gesendet.",
        )
    ).rowcount
    db.session.commit()
    return count


_worker_lock = threading.Lock()


def deliver_in_background(app: Flask, batch: str) -> threading.Thread:
    """Send a batch in a thread so that the page can show the progress meanwhile."""

    def work() -> None:
        with app.app_context():
            try:
                with _worker_lock:
                    deliver(batch=batch)
            finally:
                db.session.remove()

    thread = threading.Thread(target=work, name=f"mail-{batch[:8]}", daemon=True)
    thread.start()
    return thread


def stale_sending(minutes: int = 15) -> int:
    """Messages left in "sending" by a worker that died mid-send: whether they arrived is
    unknown, so they are reported, never re-sent on their own."""
    return db.session.scalar(
        sa.select(sa.func.count(MailMessage.id)).where(
            MailMessage.status == MailStatus.SENDING,
            MailMessage.attempted_at < utcnow() - timedelta(minutes=minutes),
        )
    )


def batch_status(batch: str, workshop_id: int | None = None) -> dict:
    """Progress of one batch (limited to one workshop's messages when given)."""
    scope = [MailMessage.batch == batch]
    if workshop_id is not None:
        scope.append(MailMessage.workshop_id == workshop_id)
    rows = db.session.execute(
        sa.select(MailMessage.status, sa.func.count(MailMessage.id))
        .where(*scope)
        .group_by(MailMessage.status)
    ).all()
    counts = {status.value: 0 for status in MailStatus}
    for status, count in rows:
        counts[MailStatus(status).value] = count
    total = sum(counts.values())
    waiting = counts[MailStatus.QUEUED] + counts[MailStatus.SENDING]
    failures = db.session.execute(
        sa.select(MailMessage.recipient, MailMessage.last_error)
        .where(*scope, MailMessage.status.in_((MailStatus.FAILED, MailStatus.BLOCKED)))
        .order_by(MailMessage.id)
    ).all()
    return {
        "batch": batch,
        "total": total,
        "done": waiting == 0,
        "processed": total - waiting,
        **counts,
        "problems": [{"recipient": r, "error": e} for r, e in failures],
    }
