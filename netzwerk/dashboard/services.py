"""Figures for the dashboard."""

from __future__ import annotations

import sqlalchemy as sa

from ..actors.models import Actor, Category, Contact, Relation
from ..audit.models import AuditEntry
from ..extensions import db
from ..topics.models import ActorTopic, Topic


def dashboard() -> dict:
    count = lambda model: db.session.scalar(sa.select(sa.func.count(model.id)))  # noqa: E731
    per_topic = db.session.execute(
        sa.select(Topic, sa.func.count(ActorTopic.id))
        .outerjoin(ActorTopic)
        .group_by(Topic.id)
        .order_by(Topic.priority, Topic.code)
    ).all()
    per_category = db.session.execute(
        sa.select(Category, sa.func.count(Actor.id))
        .outerjoin(Actor)
        .group_by(Category.key)
        .order_by(sa.func.count(Actor.id).desc(), Category.position)
    ).all()
    recent = db.session.scalars(
        sa.select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()).limit(12)
    ).all()
    return {
        "counts": {
            "actors": count(Actor),
            "contacts": count(Contact),
            "relations": count(Relation),
            "topics": count(Topic),
        },
        "per_topic": per_topic,
        "per_category": per_category,
        "recent": recent,
    }
