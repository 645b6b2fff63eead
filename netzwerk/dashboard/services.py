"""Figures for the dashboard."""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..actors.models import Actor, Category, Contact, Relation
from ..audit.models import AuditEntry
from ..core.timeutil import utcnow
from ..extensions import db
from ..network import reports
from ..topics.models import ActorTopic, Topic
from ..workshops.models import Response, Workshop, WorkshopStatus
from . import charts

UPCOMING = 5
RECENT_HELD = 3


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
    now = utcnow()
    workshops = db.session.scalars(
        sa.select(Workshop).options(selectinload(Workshop.invitations)).order_by(Workshop.starts_at)
    ).all()
    gaps = Counter(gap["topic_id"] for gap in reports.gap_list())
    topics = [topic for topic, _n in per_topic]
    sectors = dict(
        db.session.execute(sa.select(Actor.sector, sa.func.count(Actor.id)).group_by(Actor.sector))
        .tuples()
        .all()
    )
    pictures = [
        charts.gaps_chart([(t.code, t.title, gaps.get(t.id, 0)) for t in topics]),
        charts.sectors_chart({str(k): n for k, n in sectors.items()}),
        charts.topics_chart([(t.code, t.title, n) for t, n in per_topic]),
    ]
    return {
        "process": charts.process_chart(charts.phase_states(workshops, now)),
        "charts": [c for c in pictures if c is not None],
        "upcoming": [_rsvp(w) for w in workshops if _ahead(w, now)][:UPCOMING],
        "held": [w for w in workshops if _held(w, now)][-RECENT_HELD:][::-1],
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


def _ahead(w: Workshop, now) -> bool:
    return (
        w.status in (WorkshopStatus.PLANNED, WorkshopStatus.DRAFT)
        and w.starts_at is not None
        and w.starts_at >= now
    )


def _held(w: Workshop, now) -> bool:
    return w.status == WorkshopStatus.DONE or (
        w.status == WorkshopStatus.PLANNED and w.starts_at is not None and w.starts_at < now
    )


def _rsvp(w: Workshop) -> dict:
    """A coming workshop with its answers: accepted, declined, tentative, open."""
    answers = Counter(inv.response for inv in w.active_invitations)
    return {
        "workshop": w,
        "accepted": answers[Response.ACCEPTED],
        "tentative": answers[Response.TENTATIVE],
        "declined": answers[Response.DECLINED],
        "open": answers[Response.NEEDS_ACTION],
        "invited": sum(answers.values()),
    }
