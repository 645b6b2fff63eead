"""The delivery queue's table and its vocabularies."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from ..core.timeutil import utcnow
from ..core.vocab import Vocabulary, vocab_column
from ..extensions import db


class MailKind(Vocabulary):
    """What a message is; one vocabulary for the mail of every domain."""

    REQUEST = "request", _l("Einladung")
    CANCEL = "cancel", _l("Absage")
    PROMOTE = "promote", _l("Nachrücker-Bestätigung")
    POLL = "poll", _l("Terminumfrage")
    PROTOCOL = "protocol", _l("Protokoll")
    REFLECTION = "reflection", _l("Reflexionslink")
    SURVEY = "survey", _l("Befragung")
    REMINDER = "reminder", _l("Erinnerung")


class MailStatus(Vocabulary):
    QUEUED = "queued", _l("wartet")
    SENDING = "sending", _l("wird gesendet")
    SENT = "sent", _l("gesendet")
    FAILED = "failed", _l("fehlgeschlagen")
    BLOCKED = "blocked", _l("gesperrt")
    SUPERSEDED = "superseded", _l("überholt")


PENDING = (MailStatus.QUEUED, MailStatus.FAILED)


class MailMessage(db.Model):
    """One message: built once, stored whole and sent at most once.

    (source, source_id, kind, sequence) is unique, and so is the Message-ID the domain derives
    from it, so a retry sends the very same bytes and never a second copy of a message that was
    accepted. `source` names what the message is about ("invitation": source_id is the
    invitation), `scope` groups messages for progress and retries ("workshop:5"). `raw` holds a
    placeholder where the recipient's link token goes; it is put in while sending
    (message.fill)."""

    __tablename__ = "mail_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(30))
    source_id: Mapped[int] = mapped_column(index=True)
    scope: Mapped[str] = mapped_column(sa.String(40), index=True, default="")
    kind: Mapped[MailKind] = mapped_column(vocab_column(MailKind))
    sequence: Mapped[int] = mapped_column(default=0)
    message_id: Mapped[str] = mapped_column(sa.String(250), unique=True)
    recipient: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(400), default="")
    raw: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[MailStatus] = mapped_column(
        vocab_column(MailStatus), default=MailStatus.QUEUED, index=True
    )
    batch: Mapped[str] = mapped_column(sa.String(32), index=True, default="")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempted_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]

    __table_args__ = (
        sa.UniqueConstraint("source", "source_id", "kind", "sequence", name="uq_mail_message_once"),
    )
