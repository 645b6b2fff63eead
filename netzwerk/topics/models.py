from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..actors.models import Actor
from ..core.timeutil import utcnow
from ..core.vocab import Vocabulary, vocab_column
from ..extensions import db


class TopicRole(Vocabulary):
    LEAD = "federfuehrend", _l("federführend")
    CONTRIBUTING = "mitwirkend", _l("mitwirkend")
    INTERESTED = "interessiert", _l("interessiert")
    AFFECTED = "betroffen", _l("betroffen")


class Topic(db.Model):
    __tablename__ = "topic"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(30), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    priority: Mapped[int] = mapped_column(default=2)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    links: Mapped[list[ActorTopic]] = relationship(
        back_populates="topic", cascade="all, delete-orphan"
    )

    @property
    def label(self) -> str:
        return f"{self.code} {self.title}"


class ActorTopic(db.Model):
    __tablename__ = "actor_topic"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int] = mapped_column(sa.ForeignKey("actor.id", ondelete="CASCADE"), index=True)
    topic_id: Mapped[int] = mapped_column(sa.ForeignKey("topic.id", ondelete="CASCADE"), index=True)
    role: Mapped[TopicRole] = mapped_column(vocab_column(TopicRole), default=TopicRole.INTERESTED)
    note: Mapped[str] = mapped_column(sa.Text, default="")

    __table_args__ = (sa.UniqueConstraint("actor_id", "topic_id", name="uq_actor_topic_pair"),)

    actor: Mapped[Actor] = relationship(back_populates="topic_links")
    topic: Mapped[Topic] = relationship(back_populates="links")
