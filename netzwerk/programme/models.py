"""The action programme (Handlungsprogramm): goals per topic, measures per goal, frozen drafts,
reflection links and comments, and the monitoring after the council decision."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..actors.models import Actor
from ..core.errors import Conflict
from ..core.timeutil import utcnow
from ..core.vocab import Vocabulary, vocab_column
from ..extensions import db
from ..topics.models import Topic
from ..workshops.models import Invitation, Outcome


class MeasureStatus(Vocabulary):
    PLANNED = "geplant", _l("geplant")
    RUNNING = "laufend", _l("laufend")
    DELAYED = "verzoegert", _l("verzögert")
    DONE = "abgeschlossen", _l("abgeschlossen")
    STOPPED = "gestoppt", _l("gestoppt")


class IndicatorScale(Vocabulary):
    """How an indicator is measured: the numeric scales need numeric baselines and targets."""

    COUNT = "anzahl", _l("Anzahl")
    PERCENT = "prozent", _l("Prozent")
    EURO = "euro", _l("Euro")
    VALUE = "wert", _l("Zahl mit Einheit")
    TEXT = "text", _l("Beschreibung (nicht zählbar)")

    @property
    def numeric(self) -> bool:
        return self != IndicatorScale.TEXT


goal_outcome = sa.Table(
    "goal_outcome",
    db.metadata,
    sa.Column("goal_id", sa.ForeignKey("goal.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "outcome_id", sa.ForeignKey("outcome.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
)
measure_outcome = sa.Table(
    "measure_outcome",
    db.metadata,
    sa.Column("measure_id", sa.ForeignKey("measure.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "outcome_id", sa.ForeignKey("outcome.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
)
measure_partner = sa.Table(
    "measure_partner",
    db.metadata,
    sa.Column("measure_id", sa.ForeignKey("measure.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "actor_id", sa.ForeignKey("actor.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
)


class Goal(db.Model):
    __tablename__ = "goal"

    id: Mapped[int] = mapped_column(primary_key=True)
    # SET NULL: deleting a topic keeps its goals ("ohne Thema") rather than losing the work
    topic_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("topic.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(300))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    sdg_targets: Mapped[str] = mapped_column(sa.String(300), default="")
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    topic: Mapped[Topic | None] = relationship()
    measures: Mapped[list[Measure]] = relationship(
        back_populates="goal",
        cascade="all, delete-orphan",
        order_by="(Measure.position, Measure.id)",
    )
    outcomes: Mapped[list[Outcome]] = relationship(secondary=goal_outcome, order_by=Outcome.id)

    @property
    def target_list(self) -> list[str]:
        return [t.strip() for t in self.sdg_targets.split(",") if t.strip()]


class Measure(db.Model):
    __tablename__ = "measure"

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(sa.ForeignKey("goal.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # SET NULL: deleting the lead keeps the measure (the confirmation page names it)
    lead_actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("actor.id", ondelete="SET NULL"), index=True
    )
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    staff_fte: Mapped[Decimal | None] = mapped_column(sa.Numeric(6, 2))
    budget: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 2))
    funding_source: Mapped[str] = mapped_column(sa.String(200), default="")
    indicator: Mapped[str] = mapped_column(sa.String(300), default="")
    indicator_scale: Mapped[IndicatorScale] = mapped_column(
        vocab_column(IndicatorScale), default=IndicatorScale.COUNT
    )
    indicator_unit: Mapped[str] = mapped_column(sa.String(40), default="")
    baseline: Mapped[str] = mapped_column(sa.String(100), default="")
    target: Mapped[str] = mapped_column(sa.String(100), default="")
    status: Mapped[MeasureStatus] = mapped_column(
        vocab_column(MeasureStatus), default=MeasureStatus.PLANNED
    )
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        sa.CheckConstraint(
            "ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on", name="ends_after_start"
        ),
        sa.CheckConstraint("budget IS NULL OR budget >= 0", name="budget_not_negative"),
        sa.CheckConstraint("staff_fte IS NULL OR staff_fte >= 0", name="staff_not_negative"),
    )

    goal: Mapped[Goal] = relationship(back_populates="measures")
    lead: Mapped[Actor | None] = relationship()
    partners: Mapped[list[Actor]] = relationship(secondary=measure_partner, order_by=Actor.name_key)
    outcomes: Mapped[list[Outcome]] = relationship(secondary=measure_outcome, order_by=Outcome.id)
    updates: Mapped[list[StatusUpdate]] = relationship(
        back_populates="measure",
        cascade="all, delete-orphan",
        order_by="(StatusUpdate.noted_on, StatusUpdate.id)",
    )
    values: Mapped[list[IndicatorValue]] = relationship(
        back_populates="measure",
        cascade="all, delete-orphan",
        order_by="(IndicatorValue.measured_on, IndicatorValue.id)",
    )


class Draft(db.Model):
    """A frozen version (v1, v2, …) of the whole programme: `content` is a snapshot of goals
    and measures as they were, so later edits change nothing in it. No code path updates or
    deletes a draft; the ORM refuses it (see the events below)."""

    __tablename__ = "draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(sa.String(80), default="")
    content: Mapped[dict] = mapped_column(sa.JSON)

    @property
    def label(self) -> str:
        return f"v{self.number}"


FROZEN = "Ein eingefrorener Entwurf kann nicht geändert werden; frieren Sie einen neuen ein."


@sa.event.listens_for(Draft, "before_update")
def _refuse_update(_mapper, _connection, target: Draft) -> None:
    raise Conflict(FROZEN)


@sa.event.listens_for(Draft, "before_delete")
def _refuse_delete(_mapper, _connection, target: Draft) -> None:
    raise Conflict(FROZEN)


class Stance(Vocabulary):
    """What a reader of a draft says to a measure."""

    AGREE = "zustimmung", _l("Zustimmung")
    CONCERNS = "bedenken", _l("Bedenken")
    NONE = "ohne", _l("nur Anmerkung")


class ReflectionLink(db.Model):
    """A reading-and-comment link for one person (an invitation of a reflection workshop) and
    one frozen draft. As with the RSVP links, only the SHA-256 of the token is stored; the token
    is HMAC(SECRET_KEY, salt) (programme/reflection.py). It expires and can be revoked."""

    __tablename__ = "reflection_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(sa.ForeignKey("draft.id", ondelete="CASCADE"), index=True)
    invitation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("invitation.id", ondelete="CASCADE"), index=True
    )
    token_salt: Mapped[str] = mapped_column(sa.String(64))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("draft_id", "invitation_id", name="uq_reflection_link_person"),
    )

    draft: Mapped[Draft] = relationship()
    invitation: Mapped[Invitation] = relationship()
    comments: Mapped[list[ReflectionComment]] = relationship(
        back_populates="link", cascade="all, delete-orphan"
    )


class ReflectionComment(db.Model):
    """One person's word on one measure of a draft: agree, concerns or a remark, with text."""

    __tablename__ = "reflection_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(
        sa.ForeignKey("reflection_link.id", ondelete="CASCADE"), index=True
    )
    # the measure's id in the draft's snapshot (the measure itself may be gone since)
    measure_id: Mapped[int] = mapped_column(index=True)
    stance: Mapped[Stance] = mapped_column(vocab_column(Stance), default=Stance.NONE)
    text: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("link_id", "measure_id", name="uq_reflection_comment_measure"),
    )

    link: Mapped[ReflectionLink] = relationship(back_populates="comments")


class StatusUpdate(db.Model):
    """Monitoring: a measure's status on a day, with a note."""

    __tablename__ = "status_update"

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(
        sa.ForeignKey("measure.id", ondelete="CASCADE"), index=True
    )
    noted_on: Mapped[date]
    status: Mapped[MeasureStatus] = mapped_column(vocab_column(MeasureStatus))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(sa.String(80), default="")

    measure: Mapped[Measure] = relationship(back_populates="updates")


class IndicatorValue(db.Model):
    """Monitoring: a measured value of a measure's indicator."""

    __tablename__ = "indicator_value"

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(
        sa.ForeignKey("measure.id", ondelete="CASCADE"), index=True
    )
    measured_on: Mapped[date]
    value: Mapped[Decimal] = mapped_column(sa.Numeric(16, 4))
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    measure: Mapped[Measure] = relationship(back_populates="values")
