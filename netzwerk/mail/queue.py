"""The delivery queue: messages are composed once, stored whole and sent at most once.

A retry sends the same bytes with the same Message-ID. Delivery claims each row before sending
it, so two workers (a click twice, `mail retry` while the page sends) never send one message
twice. Each message is committed as sent right after the server accepted it.

Domains register a *source* (register_source) for what their messages are about: it tells, for
a whole batch at once, which link token goes into the placeholder (links.fill) and whether a
message may still be sent (a withdrawn invitation, a revoked consent).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask, current_app
from flask_babel import gettext as _

from ..core.timeutil import utcnow
from ..extensions import db
from . import links
from .message import sender
from .models import PENDING, MailKind, MailMessage, MailStatus
from .transport import ConnectionLost, MessageRefused, transport

# --- sources -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    """What a source says about one message just before it is sent."""

    token: str | None = None  # goes into the link placeholder; None: the message has none
    blocked: str | None = None  # why it must not be sent (any more); None: it may


# source name → function(messages of that source) → {message id: Prepared}, one query per batch
Source = Callable[[Sequence[MailMessage]], Mapping[int, Prepared]]
_sources: dict[str, Source] = {}


def register_source(name: str, prepare: Source) -> None:
    """A domain's messages about `name` (e.g. "invitation"): called once per batch."""
    _sources[name] = prepare


def of(source: str, ids: int | Iterable[int]) -> sa.ColumnElement[bool]:
    """SQL condition: the messages about these source rows."""
    ids = [ids] if isinstance(ids, int) else list(ids)
    return sa.and_(MailMessage.source == source, MailMessage.source_id.in_(ids))


# --- queueing ------------------------------------------------------------------------------------


def new_batch() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Wanted:
    """A message a domain wants to send, named by what it is; composed only if it is not
    queued or sent yet. An unsent message of the same source and of a kind in `supersedes` is
    replaced by it, so a retry never delivers an outdated version."""

    source: str
    source_id: int
    kind: MailKind
    sequence: int
    compose: Callable[[], MailMessage]
    supersedes: tuple[MailKind, ...] = ()

    @property
    def key(self) -> tuple[str, int, str, int]:
        return (self.source, self.source_id, str(self.kind), self.sequence)


def enqueue(wanted: Iterable[Wanted], batch: str) -> list[MailMessage]:
    """Queue the wanted messages in `batch` with a few statements for all of them: what is
    pending already joins the batch, what was sent is left alone, the rest is composed and
    added. Returns the messages now waiting in the batch (existing and new)."""
    wanted = list(wanted)
    if not wanted:
        return []
    existing: dict[tuple, MailMessage] = {}
    for source in {w.source for w in wanted}:
        ids = [w.source_id for w in wanted if w.source == source]
        for message in db.session.scalars(sa.select(MailMessage).where(of(source, ids))):
            key = (message.source, message.source_id, str(message.kind), message.sequence)
            existing[key] = message
    waiting, new = [], []
    for item in wanted:
        found = existing.get(item.key)
        if found is None:
            new.append(item)
        elif found.status in PENDING:
            found.batch = batch
            waiting.append(found)
    superseded: dict[tuple[str, tuple], list[int]] = {}
    for item in new:
        if item.supersedes:
            superseded.setdefault((item.source, item.supersedes), []).append(item.source_id)
    for (source, kinds), ids in superseded.items():
        db.session.execute(
            sa.update(MailMessage)
            .where(of(source, ids), MailMessage.kind.in_(kinds), MailMessage.status.in_(PENDING))
            .values(status=MailStatus.SUPERSEDED, last_error="durch eine neuere Nachricht ersetzt")
        )
    composed = []
    for item in new:
        message = item.compose()
        message.source, message.source_id = item.source, item.source_id
        message.kind, message.sequence, message.batch = item.kind, item.sequence, batch
        composed.append(message)
    db.session.add_all(composed)
    return waiting + composed


def supersede(condition: sa.ColumnElement[bool], reason: str) -> int:
    """Drop the unsent messages matching `condition` from the queue (they will not be sent)."""
    return db.session.execute(
        sa.update(MailMessage)
        .where(condition, MailMessage.status.in_(PENDING))
        .values(status=MailStatus.SUPERSEDED, last_error=reason)
    ).rowcount


def take_into(batch: str, scope: str) -> int:
    """Whatever of `scope` is still unsent joins `batch` (sent along with it)."""
    return db.session.execute(
        sa.update(MailMessage)
        .where(
            MailMessage.scope == scope,
            MailMessage.status.in_(PENDING),
            MailMessage.batch != batch,
        )
        .values(batch=batch)
    ).rowcount


def requeue_failed(scope: str | None = None) -> str:
    """Put the failed messages (of one scope or all) into a new batch for another attempt."""
    batch = new_batch()
    query = sa.update(MailMessage).where(MailMessage.status.in_(PENDING))
    if scope is not None:
        query = query.where(MailMessage.scope == scope)
    db.session.execute(query.values(batch=batch))
    db.session.commit()
    return batch


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


def prepare(messages: Sequence[MailMessage]) -> dict[int, Prepared]:
    """Ask each message's source about all of its messages at once."""
    result: dict[int, Prepared] = {}
    for source in {m.source for m in messages}:
        mine = [m for m in messages if m.source == source]
        answer = _sources.get(source)
        if answer is None:
            result.update(
                {
                    m.id: Prepared(blocked=_("Unbekannte Herkunft: %(source)s", source=source))
                    for m in mine
                }
            )
            continue
        result.update(answer(mine))
    return result


def wire_bytes(message: MailMessage, prepared: Prepared | None = None) -> bytes:
    """The message as it goes out: the stored text with the recipient's link token put in.
    The token is derived, not stored, so every retry sends the same bytes again."""
    prepared = prepared if prepared is not None else prepare([message])[message.id]
    raw = message.raw if prepared.token is None else links.fill(message.raw, prepared.token)
    return raw.encode("utf-8")


def _claim(message_id: int) -> bool:
    claimed = db.session.execute(
        sa.update(MailMessage)
        .where(MailMessage.id == message_id, MailMessage.status.in_(PENDING))
        .values(status=MailStatus.SENDING, attempted_at=utcnow())
    ).rowcount
    db.session.commit()
    return bool(claimed)


def _finish(message_id: int, status: MailStatus, error: str = "") -> None:
    values = {"status": status, "last_error": error}
    if status == MailStatus.SENT:
        values["sent_at"] = utcnow()
    if status in (MailStatus.SENT, MailStatus.FAILED):
        values["attempts"] = MailMessage.attempts + 1
    db.session.execute(sa.update(MailMessage).where(MailMessage.id == message_id).values(values))
    db.session.commit()


@dataclass(frozen=True)
class _Outgoing:
    """What sending needs of a message, read once (commits expire ORM objects)."""

    id: int
    recipient: str
    message_id: str
    data: bytes | None
    blocked: str | None


def _outgoing(query: sa.Select) -> list[_Outgoing]:
    """The pending messages with what their sources say, with one query per source."""
    messages = list(db.session.scalars(query.order_by(MailMessage.id)))
    prepared = prepare(messages)
    result = []
    for message in messages:
        answer = prepared[message.id]
        data = None if answer.blocked else wire_bytes(message, answer)
        result.append(
            _Outgoing(message.id, message.recipient, message.message_id, data, answer.blocked)
        )
    db.session.commit()  # a source may have renewed a link (a changed secret key)
    return result


def deliver(
    *, batch: str | None = None, scope: str | None = None, ids: list[int] | None = None
) -> Report:
    """Send the pending messages of a batch (or a scope, or all) over one connection.

    A refused recipient is recorded and the batch goes on; a lost connection ends the batch and
    marks the rest as failed, to be sent by the next retry.
    """
    query = sa.select(MailMessage).where(MailMessage.status.in_(PENDING))
    if batch is not None:
        query = query.where(MailMessage.batch == batch)
    if scope is not None:
        query = query.where(MailMessage.scope == scope)
    if ids is not None:
        query = query.where(MailMessage.id.in_(ids))
    pending = _outgoing(query)
    report = Report()
    if not pending:
        return report
    if warning := links.unreachable_warning([item.recipient for item in pending]):
        current_app.logger.warning(warning)
    envelope_from = sender().addr_spec
    channel = transport()
    try:
        for index, item in enumerate(pending):
            if not _claim(item.id):
                continue  # another worker has it
            if item.blocked:
                _finish(item.id, MailStatus.BLOCKED, item.blocked)
                report.blocked += 1
                continue
            try:
                channel.send(item.recipient, item.message_id, item.data, envelope_from)
            except MessageRefused as exc:
                _finish(item.id, MailStatus.FAILED, str(exc))
                report.failed += 1
                report.errors.append(f"{item.recipient}: {exc}")
            except ConnectionLost as exc:
                _finish(item.id, MailStatus.FAILED, str(exc))
                report.failed += 1
                report.errors.append(f"{item.recipient}: {exc}")
                report.failed += _abandon([p.id for p in pending[index + 1 :]], str(exc))
                break
            else:
                _finish(item.id, MailStatus.SENT)
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


def recipients(batch: str) -> list[str]:
    """The addresses a batch goes to (for the warning about unreachable links)."""
    return list(
        db.session.scalars(
            sa.select(MailMessage.recipient).where(MailMessage.batch == batch).distinct()
        )
    )


def stale_sending(minutes: int = 15) -> int:
    """Messages left in "sending" by a worker that died mid-send: whether they arrived is
    unknown, so they are reported, never re-sent on their own."""
    return db.session.scalar(
        sa.select(sa.func.count(MailMessage.id)).where(
            MailMessage.status == MailStatus.SENDING,
            MailMessage.attempted_at < utcnow() - timedelta(minutes=minutes),
        )
    )


def batch_status(batch: str, scope: str | None = None) -> dict:
    """Progress of one batch (limited to one scope's messages when given)."""
    where = [MailMessage.batch == batch]
    if scope is not None:
        where.append(MailMessage.scope == scope)
    rows = db.session.execute(
        sa.select(MailMessage.status, sa.func.count(MailMessage.id))
        .where(*where)
        .group_by(MailMessage.status)
    ).all()
    counts = {status.value: 0 for status in MailStatus}
    for status, count in rows:
        counts[MailStatus(status).value] = count
    total = sum(counts.values())
    waiting = counts[MailStatus.QUEUED] + counts[MailStatus.SENDING]
    failures = db.session.execute(
        sa.select(MailMessage.recipient, MailMessage.last_error)
        .where(*where, MailMessage.status.in_((MailStatus.FAILED, MailStatus.BLOCKED)))
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
