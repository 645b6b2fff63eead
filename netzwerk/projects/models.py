"""Projects and activities: the stocktaking (Bestandsanalyse) of what already exists."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..actors.models import Actor
from ..core.timeutil import utcnow
from ..core.vocab import Vocabulary, vocab_column
from ..extensions import db
from ..topics.models import Topic


class ProjectStatus(Vocabulary):
    PLANNED = "geplant", _l("geplant")
    RUNNING = "laufend", _l("laufend")
    FINISHED = "abgeschlossen", _l("abgeschlossen")


project_topic = sa.Table(
    "project_topic",
    db.metadata,
    sa.Column("project_id", sa.ForeignKey("project.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("topic_id", sa.ForeignKey("topic.id", ondelete="CASCADE"), primary_key=True),
)

# partner actors, local and in the partner cities; an actor's delete removes its partnerships
project_partner = sa.Table(
    "project_partner",
    db.metadata,
    sa.Column("project_id", sa.ForeignKey("project.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "actor_id", sa.ForeignKey("actor.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
)


class Project(db.Model):
    __tablename__ = "project"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # SET NULL: deleting an actor keeps its projects (the confirmation page names them)
    lead_actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("actor.id", ondelete="SET NULL"), index=True
    )
    partner_city_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("actor.id", ondelete="SET NULL"), index=True
    )
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    status: Mapped[ProjectStatus] = mapped_column(
        vocab_column(ProjectStatus), default=ProjectStatus.RUNNING
    )
    funding_amount: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 2))
    funder_actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("actor.id", ondelete="SET NULL"), index=True
    )
    funding_programme: Mapped[str] = mapped_column(sa.String(200), default="")
    # SDG targets as "4.7, 17.16" (normalised by services.clean_targets)
    sdg_targets: Mapped[str] = mapped_column(sa.String(300), default="")
    # one http(s) address per line
    links: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        sa.CheckConstraint(
            "ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on", name="ends_after_start"
        ),
        sa.CheckConstraint(
            "funding_amount IS NULL OR funding_amount >= 0", name="funding_not_negative"
        ),
    )

    topics: Mapped[list[Topic]] = relationship(secondary=project_topic, order_by=Topic.code)
    partners: Mapped[list[Actor]] = relationship(secondary=project_partner, order_by=Actor.name_key)
    lead: Mapped[Actor | None] = relationship(foreign_keys=[lead_actor_id])
    partner_city: Mapped[Actor | None] = relationship(foreign_keys=[partner_city_id])
    funder: Mapped[Actor | None] = relationship(foreign_keys=[funder_actor_id])

    @property
    def link_list(self) -> list[str]:
        return [line.strip() for line in self.links.splitlines() if line.strip()]

    @property
    def target_list(self) -> list[str]:
        return [t.strip() for t in self.sdg_targets.split(",") if t.strip()]

    def __repr__(self) -> str:
        return f"<Project {self.id} {self.title!r}>"
