"""Topics and actor-topic links."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from ..actors.models import Actor
from ..actors.services import get_actor
from ..audit.services import apply_changes, record, reverse, snapshot
from ..core.errors import Conflict, Invalid, NotFound
from ..core.validation import INT64, int_in_range, vocab_value
from ..extensions import db
from .models import ActorTopic, Topic, TopicRole

TOPIC_FIELDS = ["code", "title", "description", "priority"]
LINK_FIELDS = ["actor_id", "topic_id", "role", "note"]


def natural_key(code: str) -> tuple:
    """SDG4 before SDG12: digits compare as numbers."""
    return tuple(int(p) if p.isdigit() else p.casefold() for p in re.split(r"(\d+)", code) if p)


def topics() -> list[Topic]:
    rows = db.session.scalars(sa.select(Topic))
    return sorted(rows, key=lambda t: (t.priority, natural_key(t.code)))


def get_topic(topic_id: int) -> Topic:
    topic = db.session.get(Topic, topic_id)
    if topic is None:
        raise NotFound(_("Thema %(topic_id)s nicht gefunden.", topic_id=topic_id))
    return topic


def find_topic(ref: str | int) -> Topic | None:
    """A topic by id or code (codes compare without case and spaces: 'sdg 12' = 'SDG12')."""
    if isinstance(ref, int) or str(ref).isdigit():
        ident = int(ref)
        return db.session.get(Topic, ident) if ident <= INT64[1] else None
    code = str(ref).replace(" ", "").upper()
    return db.session.scalar(
        sa.select(Topic).where(sa.func.upper(sa.func.replace(Topic.code, " ", "")) == code)
    )


def clean_topic(data: dict[str, Any], topic: Topic | None, unique: bool = True) -> dict[str, Any]:
    """The topic's values; unique=False leaves the check for a taken code to the caller (the
    import compares with its own index instead of one query per row)."""
    code = str(data.get("code", topic.code if topic else "") or "").strip()
    title = str(data.get("title", topic.title if topic else "") or "").strip()
    if not code:
        raise Invalid(_("Der Code fehlt (z. B. SDG12)."), field="code")
    if len(code) > 30:
        raise Invalid(_("Der Code ist zu lang (höchstens 30 Zeichen)."), field="code")
    if not title:
        raise Invalid(_("Der Titel fehlt."), field="title")
    # a purely numeric code would be read as an id by find_topic
    other = None
    if unique:
        other = (
            find_topic(code)
            if not code.isdigit()
            else db.session.scalar(sa.select(Topic).where(Topic.code == code))
        )
    if other is not None and other is not topic:
        raise Conflict(_("Das Thema %(code)s gibt es schon.", code=other.code), field="code")
    return {
        "code": code,
        "title": title[:200],
        "description": str(data.get("description", topic.description if topic else "") or ""),
        "priority": int_in_range(data, "priority", 1, 3, topic.priority if topic else 2),
    }


def create_topic(data: dict[str, Any], commit: bool = True) -> Topic:
    topic = Topic(**clean_topic(data, None))
    db.session.add(topic)
    db.session.flush()
    record("topic", topic.id, "create", snapshot(topic, TOPIC_FIELDS), label=topic.label)
    if commit:
        db.session.commit()
    return topic


def update_topic(topic: Topic, data: dict[str, Any]) -> Topic:
    changes = apply_changes(topic, clean_topic(data, topic))
    if changes:
        record("topic", topic.id, "update", changes, label=topic.label)
    db.session.commit()
    return topic


def delete_topic(topic: Topic) -> None:
    changes = reverse(snapshot(topic, TOPIC_FIELDS))
    changes["removed"] = [{"links": len(topic.links)}, None]
    record("topic", topic.id, "delete", changes, label=topic.label)
    db.session.delete(topic)
    db.session.commit()


def overview() -> list[dict[str, Any]]:
    """Every topic with the number of linked actors per role, for the topic list."""
    counts: dict[int, dict[TopicRole, int]] = {}
    rows = db.session.execute(
        sa.select(ActorTopic.topic_id, ActorTopic.role, sa.func.count(ActorTopic.id)).group_by(
            ActorTopic.topic_id, ActorTopic.role
        )
    )
    for topic_id, role, n in rows:
        counts.setdefault(topic_id, dict.fromkeys(TopicRole, 0))[role] = n
    result = []
    for topic in topics():
        per_role = counts.get(topic.id, dict.fromkeys(TopicRole, 0))
        result.append({"topic": topic, "counts": per_role, "total": sum(per_role.values())})
    return result


def links_by_role(topic: Topic) -> dict[TopicRole, list[ActorTopic]]:
    grouped: dict[TopicRole, list[ActorTopic]] = {role: [] for role in TopicRole}
    for link in sorted(topic.links, key=lambda lk: lk.actor.name_key):
        grouped[link.role].append(link)
    return grouped


def get_link(link_id: int) -> ActorTopic:
    link = db.session.get(ActorTopic, link_id)
    if link is None:
        raise NotFound(_("Themenzuordnung %(link_id)s nicht gefunden.", link_id=link_id))
    return link


def link_candidates(
    topic: Topic, q: str = "", category: str = "", include: int | None = None, limit: int = 50
) -> tuple[list[Actor], int]:
    """Actors that could join `topic` (not linked yet), found by the actor search and an
    optional category (a gap's); `include` (an actor chosen elsewhere) is always among them.
    Returns (the first `limit`, how many match)."""
    from ..actors.services import actor_query

    linked = sa.select(ActorTopic.actor_id).where(ActorTopic.topic_id == topic.id)
    query = actor_query({"q": q, "category": category}).where(Actor.id.not_in(linked))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    actors = list(db.session.scalars(query.limit(limit)).unique())
    if include and include not in {a.id for a in actors}:
        chosen = db.session.get(Actor, include)
        linked_ids = set(db.session.scalars(linked))
        if chosen is not None and chosen.id not in linked_ids:
            actors.insert(0, chosen)
    return actors, total


def link_actor(
    actor: Actor | int,
    topic: Topic | int | str,
    role: Any = TopicRole.INTERESTED,
    note: str = "",
    commit: bool = True,
) -> ActorTopic:
    actor = actor if isinstance(actor, Actor) else get_actor(int(actor))
    found = topic if isinstance(topic, Topic) else find_topic(topic)
    if found is None:
        raise Invalid(_("Unbekanntes Thema: %(topic)s", topic=topic), field="topic_id")
    role_value = vocab_value(TopicRole, {"role": role}, "role", TopicRole.INTERESTED)
    existing = db.session.scalar(
        sa.select(ActorTopic).where(
            ActorTopic.actor_id == actor.id, ActorTopic.topic_id == found.id
        )
    )
    if existing is not None:
        raise Conflict(
            _(
                "%(name)s ist dem Thema %(code)s schon zugeordnet.",
                name=actor.name,
                code=found.code,
            ),
            field="topic_id",
        )
    link = ActorTopic(actor=actor, topic=found, role=role_value, note=(note or "").strip())
    db.session.add(link)
    db.session.flush()
    record(
        "actor_topic",
        link.id,
        "create",
        snapshot(link, LINK_FIELDS),
        label=f"{actor.name} – {found.code}",
    )
    if commit:
        db.session.commit()
    return link


def update_link(link: ActorTopic, data: dict[str, Any], commit: bool = True) -> ActorTopic:
    changes = apply_changes(
        link,
        {
            "role": vocab_value(TopicRole, data, "role", link.role),
            "note": str(data.get("note", link.note) or "").strip(),
        },
    )
    if changes:
        record(
            "actor_topic",
            link.id,
            "update",
            changes,
            label=f"{link.actor.name} – {link.topic.code}",
        )
    if commit:
        db.session.commit()
    return link


def unlink(link: ActorTopic) -> None:
    record(
        "actor_topic",
        link.id,
        "delete",
        reverse(snapshot(link, LINK_FIELDS)),
        label=f"{link.actor.name} – {link.topic.code}",
    )
    db.session.delete(link)
    db.session.commit()


# --- list queries (API filters) ----------------------------------------------------------------


def topic_query(filters: dict[str, Any]) -> sa.Select:
    """Topics filtered by text in code, title or description, in the order of `topics()`."""
    query = sa.select(Topic)
    if q := (filters.get("q") or "").strip():
        like = f"%{q.casefold()}%"
        query = query.where(
            sa.or_(
                sa.func.lower(Topic.code).like(like),
                sa.func.lower(Topic.title).like(like),
                sa.func.lower(Topic.description).like(like),
            )
        )
    return query.order_by(Topic.priority, Topic.code)


def link_query(actor: Actor) -> sa.Select:
    """An actor's topic links, in topic order."""
    return (
        sa.select(ActorTopic)
        .join(Topic)
        .where(ActorTopic.actor_id == actor.id)
        .order_by(Topic.priority, Topic.code)
    )
