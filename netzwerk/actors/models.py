from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import get_locale
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.timeutil import utcnow
from ..core.vocab import vocab_column
from ..extensions import db
from .vocab import Level, Reciprocity, RelationKind, Sector, Status

if TYPE_CHECKING:
    from ..topics.models import ActorTopic


class Category(db.Model):
    """The category vocabulary: a table, because admins extend it."""

    __tablename__ = "category"

    key: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    label_de: Mapped[str] = mapped_column(sa.String(200))
    label_en: Mapped[str] = mapped_column(sa.String(200), default="")
    sector: Mapped[Sector] = mapped_column(vocab_column(Sector))
    color: Mapped[str] = mapped_column(sa.String(7), default="#7f7f7f")
    position: Mapped[int] = mapped_column(default=0)

    @property
    def label(self) -> str:
        try:
            lang = str(get_locale() or "de")
        except RuntimeError:  # outside a request
            lang = "de"
        return self.label_en if lang == "en" and self.label_en else self.label_de


class Actor(db.Model):
    __tablename__ = "actor"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    # casefolded name: the unique key that makes "Welthaus" and "WELTHAUS" one actor
    name_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    short_name: Mapped[str] = mapped_column(sa.String(60), default="")
    external_id: Mapped[str | None] = mapped_column(sa.String(100), unique=True)
    category_key: Mapped[str] = mapped_column(
        sa.ForeignKey("category.key", onupdate="CASCADE"), index=True
    )
    sector: Mapped[Sector] = mapped_column(vocab_column(Sector))
    level: Mapped[Level] = mapped_column(vocab_column(Level), default=Level.LOCAL)
    city: Mapped[str] = mapped_column(sa.String(120), default="")
    country: Mapped[str] = mapped_column(sa.String(2), default="DE")
    website: Mapped[str] = mapped_column(sa.String(500), default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    power: Mapped[int] = mapped_column(default=3)
    interest: Mapped[int] = mapped_column(default=3)
    status: Mapped[Status] = mapped_column(vocab_column(Status), default=Status.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __table_args__ = (
        sa.CheckConstraint("power BETWEEN 1 AND 5", name="power_range"),
        sa.CheckConstraint("interest BETWEEN 1 AND 5", name="interest_range"),
    )
    __mapper_args__ = {"version_id_col": version}

    category: Mapped[Category] = relationship(lazy="joined")
    contacts: Mapped[list[Contact]] = relationship(
        back_populates="actor", cascade="all, delete-orphan", order_by="Contact.name"
    )
    topic_links: Mapped[list[ActorTopic]] = relationship(
        back_populates="actor", cascade="all, delete-orphan"
    )
    relations_out: Mapped[list[Relation]] = relationship(
        foreign_keys="Relation.source_id", back_populates="source", cascade="all, delete-orphan"
    )
    relations_in: Mapped[list[Relation]] = relationship(
        foreign_keys="Relation.target_id", back_populates="target", cascade="all, delete-orphan"
    )

    @property
    def display_name(self) -> str:
        return self.short_name or self.name

    def __repr__(self) -> str:
        return f"<Actor {self.id} {self.name!r}>"


class Contact(db.Model):
    __tablename__ = "contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int] = mapped_column(sa.ForeignKey("actor.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    function: Mapped[str] = mapped_column(sa.String(200), default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="", index=True)
    phone: Mapped[str] = mapped_column(sa.String(60), default="")
    language: Mapped[str] = mapped_column(sa.String(8), default="de")
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Europe/Berlin")
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    # data protection (DSGVO): legal basis and consent; see the exchange/data-protection issue
    legal_basis: Mapped[str] = mapped_column(sa.String(32), default="oeffentliche_aufgabe")
    consent_date: Mapped[date | None]
    consent_source: Mapped[str] = mapped_column(sa.String(200), default="")
    consent_invitations: Mapped[bool] = mapped_column(default=True)
    consent_revoked_at: Mapped[datetime | None]

    actor: Mapped[Actor] = relationship(back_populates="contacts")

    @property
    def may_invite(self) -> bool:
        """Invitations go only to contacts with an address who have not objected."""
        return bool(self.email) and self.consent_invitations and self.consent_revoked_at is None


class Relation(db.Model):
    __tablename__ = "relation"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(
        sa.ForeignKey("actor.id", ondelete="CASCADE"), index=True
    )
    target_id: Mapped[int] = mapped_column(
        sa.ForeignKey("actor.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[RelationKind] = mapped_column(vocab_column(RelationKind))
    directed: Mapped[bool] = mapped_column(default=False)
    strength: Mapped[int] = mapped_column(default=2)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    # named by both organisations in a survey, or by one only; None: not asked
    reciprocity: Mapped[Reciprocity | None] = mapped_column(vocab_column(Reciprocity))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("source_id", "target_id", "kind", name="uq_relation_pair_kind"),
        sa.CheckConstraint("source_id <> target_id", name="no_self_relation"),
        sa.CheckConstraint("strength BETWEEN 1 AND 3", name="strength_range"),
    )

    source: Mapped[Actor] = relationship(foreign_keys=[source_id], back_populates="relations_out")
    target: Mapped[Actor] = relationship(foreign_keys=[target_id], back_populates="relations_in")
