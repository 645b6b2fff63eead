"""Workshops, invitations, date polls, the mail queue and calendar feeds.

Times are stored as naive UTC (core.timeutil); each workshop carries its own IANA zone for display
and for the local times typed into forms.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..actors.models import Actor, Contact
from ..core.timeutil import utcnow
from ..core.vocab import Vocabulary, vocab_column
from ..extensions import db
from ..topics.models import Topic


class Phase(Vocabulary):
    """The steps of a municipal development-policy process, in their order."""

    ACTOR_IDENTIFICATION = "akteursidentifikation", _l("Akteursidentifikation")
    STOCKTAKING = "bestandsanalyse", _l("Bestandsanalyse")
    FOCUS_GROUP = "fokusgruppe", _l("Fokusgruppe")
    CONCEPT_DRAFT = "konzeptentwurf", _l("Konzeptentwurf")
    REFLECTION = "reflexionsworkshop", _l("Reflexionsworkshop")
    STEERING_GROUP = "steuerungsgruppe", _l("Steuerungsgruppe")
    COUNCIL = "ratsvorlage", _l("Ratsvorlage")
    EXCHANGE = "austausch", _l("Austausch/Veranstaltung")


class Format(Vocabulary):
    PRESENCE = "praesenz", _l("Präsenz")
    ONLINE = "online", _l("online")
    HYBRID = "hybrid", _l("hybrid")


class WorkshopStatus(Vocabulary):
    DRAFT = "entwurf", _l("Entwurf")
    PLANNED = "geplant", _l("geplant")
    CANCELLED = "abgesagt", lazy_pgettext("workshop", "abgesagt")
    DONE = "durchgefuehrt", _l("durchgeführt")


class Response(Vocabulary):
    """An invitee's answer; the values are the iCalendar PARTSTAT names in lower case."""

    NEEDS_ACTION = "needs-action", _l("offen")
    ACCEPTED = "accepted", _l("zugesagt")
    TENTATIVE = "tentative", _l("vielleicht")
    DECLINED = "declined", _l("abgesagt")

    @property
    def partstat(self) -> str:
        return self.value.upper()


class Answer(Vocabulary):
    """A vote on one slot of a date poll."""

    YES = "ja", _l("ja")
    MAYBE = "vielleicht", _l("vielleicht")
    NO = "nein", _l("nein")


workshop_topic = sa.Table(
    "workshop_topic",
    db.metadata,
    sa.Column("workshop_id", sa.ForeignKey("workshop.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("topic_id", sa.ForeignKey("topic.id", ondelete="CASCADE"), primary_key=True),
)


class Workshop(db.Model):
    __tablename__ = "workshop"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(sa.String(200), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    phase: Mapped[Phase] = mapped_column(vocab_column(Phase), default=Phase.FOCUS_GROUP)
    format: Mapped[Format] = mapped_column(vocab_column(Format), default=Format.PRESENCE)
    # naive UTC; empty while a date poll is still open
    starts_at: Mapped[datetime | None] = mapped_column(index=True)
    ends_at: Mapped[datetime | None]
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Europe/Berlin")
    location: Mapped[str] = mapped_column(sa.String(300), default="")
    online_url: Mapped[str] = mapped_column(sa.String(500), default="")
    capacity: Mapped[int | None]
    agenda: Mapped[str] = mapped_column(sa.Text, default="")
    organizer_name: Mapped[str] = mapped_column(sa.String(200), default="")
    organizer_email: Mapped[str] = mapped_column(sa.String(254), default="")
    status: Mapped[WorkshopStatus] = mapped_column(
        vocab_column(WorkshopStatus), default=WorkshopStatus.DRAFT
    )
    # iCalendar SEQUENCE: rises with every change of time, place or status that was announced
    sequence: Mapped[int] = mapped_column(default=0)
    results: Mapped[str] = mapped_column(sa.Text, default="")
    follow_ups: Mapped[str] = mapped_column(sa.Text, default="")
    next_workshop_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("workshop.id", ondelete="SET NULL")
    )
    poll_open: Mapped[bool] = mapped_column(default=False)
    poll_round: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        sa.CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        sa.CheckConstraint(
            "ends_at IS NULL OR starts_at IS NULL OR ends_at > starts_at", name="ends_after_start"
        ),
    )

    topics: Mapped[list[Topic]] = relationship(secondary=workshop_topic, order_by=Topic.code)
    invitations: Mapped[list[Invitation]] = relationship(
        back_populates="workshop", cascade="all, delete-orphan", order_by="Invitation.id"
    )
    slots: Mapped[list[PollSlot]] = relationship(
        back_populates="workshop", cascade="all, delete-orphan", order_by="PollSlot.starts_at"
    )
    next_workshop: Mapped[Workshop | None] = relationship(remote_side=[id])

    @property
    def active_invitations(self) -> list[Invitation]:
        return [inv for inv in self.invitations if inv.removed_at is None]

    @property
    def follow_up_items(self) -> list[str]:
        return [line.strip(" -•\t") for line in self.follow_ups.splitlines() if line.strip()]

    def __repr__(self) -> str:
        return f"<Workshop {self.id} {self.title!r}>"


class Invitation(db.Model):
    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(
        sa.ForeignKey("workshop.id", ondelete="CASCADE"), index=True
    )
    # SET NULL: an erased contact leaves an anonymous invitation, so the counts stay right
    contact_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contact.id", ondelete="SET NULL"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("actor.id", ondelete="SET NULL"), index=True
    )
    # the RSVP link is HMAC(SECRET_KEY, token_salt); only its SHA-256 is kept (workshops/tokens.py)
    token_salt: Mapped[str] = mapped_column(sa.String(64))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    response: Mapped[Response] = mapped_column(
        vocab_column(Response), default=Response.NEEDS_ACTION
    )
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    responded_at: Mapped[datetime | None]
    waitlisted: Mapped[bool] = mapped_column(default=False)
    attended: Mapped[bool] = mapped_column(default=False)
    removed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("workshop_id", "contact_id", name="uq_invitation_workshop_contact"),
    )

    workshop: Mapped[Workshop] = relationship(back_populates="invitations")
    contact: Mapped[Contact | None] = relationship()
    actor: Mapped[Actor | None] = relationship()
    votes: Mapped[list[PollVote]] = relationship(
        back_populates="invitation", cascade="all, delete-orphan"
    )

    @property
    def name(self) -> str:
        return self.contact.name if self.contact is not None else "(gelöschter Kontakt)"

    @property
    def holds_seat(self) -> bool:
        return (
            self.removed_at is None and self.response == Response.ACCEPTED and not self.waitlisted
        )


class PollSlot(db.Model):
    __tablename__ = "poll_slot"

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(
        sa.ForeignKey("workshop.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]

    workshop: Mapped[Workshop] = relationship(back_populates="slots")
    votes: Mapped[list[PollVote]] = relationship(
        back_populates="slot", cascade="all, delete-orphan"
    )


class PollVote(db.Model):
    __tablename__ = "poll_vote"

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(
        sa.ForeignKey("poll_slot.id", ondelete="CASCADE"), index=True
    )
    invitation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("invitation.id", ondelete="CASCADE"), index=True
    )
    answer: Mapped[Answer] = mapped_column(vocab_column(Answer))

    __table_args__ = (sa.UniqueConstraint("slot_id", "invitation_id", name="uq_poll_vote_slot"),)

    slot: Mapped[PollSlot] = relationship(back_populates="votes")
    invitation: Mapped[Invitation] = relationship(back_populates="votes")


class CalendarFeed(db.Model):
    """A secret, subscribable URL: all workshops (topic empty) or those of one topic. Only the
    SHA-256 of the link's token is stored; the link is shown once, when it is made."""

    __tablename__ = "calendar_feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    topic_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("topic.id", ondelete="CASCADE"), unique=True
    )
    # when the current link was made (a renewal replaces it)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # the clear token: set on the object services.create_feed returns, never stored
    token = None

    topic: Mapped[Topic | None] = relationship()
