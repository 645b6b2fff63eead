"""JSON API for topics and actor-topic links: parse, check the role, call the service."""

from __future__ import annotations

from typing import Any

from flask import jsonify, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from ..actors.services import get_actor
from ..auth.permissions import editor_required
from ..core.api import api_bp, checked, created, filter_args, json_body, no_content, paged
from ..core.errors import Invalid
from . import services
from .models import ActorTopic, Topic


def topic_json(topic: Topic) -> dict[str, Any]:
    return {
        "id": topic.id,
        "code": topic.code,
        "title": topic.title,
        "description": topic.description,
        "priority": topic.priority,
        "actor_count": len(topic.links),
    }


def link_json(link: ActorTopic) -> dict[str, Any]:
    return {
        "id": link.id,
        "actor_id": link.actor_id,
        "topic_id": link.topic_id,
        "code": link.topic.code,
        "title": link.topic.title,
        "role": link.role.value,
        "note": link.note,
    }


TOPIC_FIELDS = {"code": "text", "title": "text", "description": "text?", "priority": "int"}
TOPIC_READONLY = frozenset({"id", "actor_count"})
# a new link names its topic by id (topic_id) or by id or code (topic: "SDG12")
LINK_CREATE_FIELDS = {"topic_id": "int", "topic": "ref", "role": "text?", "note": "text?"}
LINK_FIELDS = {"role": "text?", "note": "text?"}
LINK_READONLY = frozenset({"id", "actor_id", "topic_id", "code", "title"})


# --- topics ------------------------------------------------------------------------------------


@api_bp.get("/topics")
def topics_index():
    query = services.topic_query(filter_args(("q",))).options(selectinload(Topic.links))
    return paged(query, topic_json)


@api_bp.post("/topics")
@editor_required
def topics_create():
    topic = services.create_topic(checked(json_body(), TOPIC_FIELDS, TOPIC_READONLY))
    return created(topic_json(topic), url_for("api.topics_show", topic_id=topic.id))


@api_bp.get("/topics/<int:topic_id>")
def topics_show(topic_id: int):
    return jsonify(topic_json(services.get_topic(topic_id)))


@api_bp.patch("/topics/<int:topic_id>")
@editor_required
def topics_update(topic_id: int):
    topic = services.get_topic(topic_id)
    data = checked(json_body(), TOPIC_FIELDS, TOPIC_READONLY, current=topic_json(topic))
    services.update_topic(topic, data)
    return jsonify(topic_json(topic))


@api_bp.delete("/topics/<int:topic_id>")
@editor_required
def topics_delete(topic_id: int):
    """Removes the topic and its links to actors (the actors stay)."""
    services.delete_topic(services.get_topic(topic_id))
    return no_content()


# --- actor-topic links -------------------------------------------------------------------------


@api_bp.get("/actors/<int:actor_id>/topics")
def links_index(actor_id: int):
    query = services.link_query(get_actor(actor_id)).options(joinedload(ActorTopic.topic))
    return paged(query, link_json)


@api_bp.post("/actors/<int:actor_id>/topics")
@editor_required
def links_create(actor_id: int):
    actor = get_actor(actor_id)
    data = checked(
        json_body(),
        LINK_CREATE_FIELDS,
        LINK_READONLY - {"topic_id"},
        current={"actor_id": actor.id},
    )
    if "topic_id" in data and "topic" in data:
        raise Invalid(_("Bitte nur topic_id oder topic angeben, nicht beides."), field="topic")
    ref = data.get("topic_id", data.get("topic"))
    if ref in (None, ""):
        raise Invalid(_("Das Thema fehlt (topic_id oder topic)."), field="topic_id")
    link = services.link_actor(actor, ref, data.get("role") or "", data.get("note") or "")
    return created(link_json(link), url_for("api.links_show", link_id=link.id))


@api_bp.get("/actor-topics/<int:link_id>")
def links_show(link_id: int):
    return jsonify(link_json(services.get_link(link_id)))


@api_bp.patch("/actor-topics/<int:link_id>")
@editor_required
def links_update(link_id: int):
    link = services.get_link(link_id)
    data = checked(json_body(), LINK_FIELDS, LINK_READONLY, current=link_json(link))
    services.update_link(link, data)
    return jsonify(link_json(link))


@api_bp.delete("/actor-topics/<int:link_id>")
@editor_required
def links_delete(link_id: int):
    services.unlink(services.get_link(link_id))
    return no_content()
