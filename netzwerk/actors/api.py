"""JSON API for actors, contacts and relations: parse, check the role, call the service."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from ..audit.services import record
from ..auth.permissions import editor_required
from ..core.api import api_bp, checked, created, filter_args, iso, json_body, no_content, paged
from ..core.errors import Invalid
from ..extensions import db
from ..topics import services as topic_services
from ..topics.models import ActorTopic
from . import services
from .models import Actor, Contact, Relation

# --- JSON shapes: one function per entity, used by every endpoint that answers it ------------


def actor_json(actor: Actor) -> dict[str, Any]:
    return {
        "id": actor.id,
        "name": actor.name,
        "short_name": actor.short_name,
        "external_id": actor.external_id,
        "category": actor.category_key,
        "category_label": actor.category.label,
        "sector": actor.sector.value,
        "level": actor.level.value,
        "city": actor.city,
        "country": actor.country,
        "website": actor.website,
        "description": actor.description,
        "power": actor.power,
        "interest": actor.interest,
        "status": actor.status.value,
        "version": actor.version,
        "created_at": iso(actor.created_at),
        "updated_at": iso(actor.updated_at),
        "topics": [
            {"topic_id": link.topic_id, "code": link.topic.code, "role": link.role.value}
            for link in sorted(actor.topic_links, key=lambda lk: (lk.topic.priority, lk.topic.code))
        ],
        "contact_count": len(actor.contacts),
    }


def contact_json(contact: Contact) -> dict[str, Any]:
    return {
        "id": contact.id,
        "actor_id": contact.actor_id,
        "name": contact.name,
        "function": contact.function,
        "email": contact.email,
        "phone": contact.phone,
        "language": contact.language,
        "timezone": contact.timezone,
        "notes": contact.notes,
        "legal_basis": contact.legal_basis,
        "consent_date": contact.consent_date.isoformat() if contact.consent_date else None,
        "consent_source": contact.consent_source,
        "consent_invitations": contact.consent_invitations,
        "consent_revoked_at": iso(contact.consent_revoked_at),
        "may_invite": contact.may_invite,
    }


def relation_json(relation: Relation) -> dict[str, Any]:
    return {
        "id": relation.id,
        "source_id": relation.source_id,
        "target_id": relation.target_id,
        "kind": relation.kind.value,
        "directed": relation.directed,
        "strength": relation.strength,
        "note": relation.note,
        "reciprocity": relation.reciprocity.value if relation.reciprocity else None,
    }


# what a client may send; everything else a GET answers is read-only
ACTOR_FIELDS = {
    "name": "text",
    "short_name": "text?",
    "external_id": "text?",
    "category": "text",
    "sector": "text?",
    "level": "text?",
    "city": "text?",
    "country": "text?",
    "website": "text?",
    "description": "text?",
    "power": "int",
    "interest": "int",
    "status": "text?",
}
ACTOR_READONLY = frozenset(
    {"id", "category_label", "version", "created_at", "updated_at", "topics", "contact_count"}
)
ACTOR_FILTERS = ("q", "category", "sector", "level", "status", "topic")

CONTACT_FIELDS = {
    "actor_id": "int",
    "name": "text",
    "function": "text?",
    "email": "text?",
    "phone": "text?",
    "language": "text?",
    "timezone": "text?",
    "notes": "text?",
    "legal_basis": "text?",
    "consent_date": "text?",
    "consent_source": "text?",
    "consent_invitations": "bool",
    "consent_revoked_at": "text?",
}
CONTACT_FILTERS = ("actor_id", "q", "email")

RELATION_FIELDS = {
    "source_id": "int",
    "target_id": "int",
    "kind": "text",
    "directed": "bool",
    "strength": "int",
    "note": "text?",
    "reciprocity": "text?",
}
RELATION_FILTERS = ("actor_id", "source_id", "target_id", "kind", "reciprocity")


# --- actors ------------------------------------------------------------------------------------

ACTOR_LOAD = (
    selectinload(Actor.topic_links).joinedload(ActorTopic.topic),
    selectinload(Actor.contacts),
)


@api_bp.get("/actors")
def actors_index():
    filters = filter_args(ACTOR_FILTERS)
    if "category" in filters:
        services.category(filters["category"])  # unknown → 422, like sector/level/status
    if "topic" in filters:
        topic = topic_services.find_topic(filters["topic"])
        if topic is None:
            raise Invalid(_("Unbekanntes Thema: %(value)s", value=filters["topic"]), field="topic")
        filters["topic"] = str(topic.id)
    return paged(services.actor_query(filters).options(*ACTOR_LOAD), actor_json)


@api_bp.post("/actors")
@editor_required
def actors_create():
    data = checked(json_body(), ACTOR_FIELDS, ACTOR_READONLY)
    actor = services.create_actor(data)
    return created(actor_json(actor), url_for("api.actors_show", actor_id=actor.id))


@api_bp.get("/actors/<int:actor_id>")
def actors_show(actor_id: int):
    return jsonify(actor_json(services.get_actor(actor_id)))


@api_bp.patch("/actors/<int:actor_id>")
@editor_required
def actors_update(actor_id: int):
    """`version` from an earlier GET makes the change fail with 409 if someone saved since."""
    actor = services.get_actor(actor_id)
    data = checked(
        json_body(),
        ACTOR_FIELDS | {"version": "int"},
        ACTOR_READONLY - {"version"},
        current=actor_json(actor),
    )
    version = data.pop("version", None)
    services.update_actor(actor, data, version=version)
    return jsonify(actor_json(actor))


@api_bp.delete("/actors/<int:actor_id>")
@editor_required
def actors_delete(actor_id: int):
    """Removes the actor with its contacts, topic links and relations (one audited change).
    If projects or measures refer to it, the answer is a 409 naming them, as the page's
    confirmation does; ?force=1 deletes anyway (they stay, without the reference)."""
    actor = services.get_actor(actor_id)
    kept = services.dependents(actor)
    if kept and request.args.get("force") not in ("1", "true"):
        return jsonify(
            error=f"Auf {actor.name} verweisen noch: {'; '.join(kept)}. "
            "Mit ?force=1 wird trotzdem gelöscht; die Einträge verlieren den Verweis.",
            dependents=kept,
        ), 409
    services.delete_actor(actor)
    return no_content()


# --- contacts ----------------------------------------------------------------------------------


def _contact_actor(data: dict[str, Any]) -> Actor:
    """The actor named in a body: unknown is a validation error (422), not a missing page."""
    actor = db.session.get(Actor, data["actor_id"])
    if actor is None:
        raise Invalid(_("Unbekannter Akteur: %(value)s", value=data["actor_id"]), field="actor_id")
    return actor


@api_bp.get("/contacts")
def contacts_index():
    """Reading contact lists is logged like an export (personal data leaving the app)."""
    filters = filter_args(CONTACT_FILTERS)
    response = paged(services.contact_query(filters), contact_json)
    body = response.get_json()
    described = ", ".join(f"{k}={v}" for k, v in sorted(filters.items())) or "ohne Filter"
    record(
        "contact",
        None,
        "export",
        {
            "content": [None, f"Kontaktliste über die API ({described})"],
            "format": [None, "api"],
            "personal_data": [None, True],
            "rows": [None, len(body["items"])],
            "page": [None, body["page"]],
        },
        label=f"API: Kontaktliste gelesen ({len(body['items'])} Einträge, {described})"[:300],
    )
    db.session.commit()
    return response


@api_bp.post("/contacts")
@editor_required
def contacts_create():
    data = checked(json_body(), CONTACT_FIELDS, {"id", "may_invite"})
    if "actor_id" not in data:
        raise Invalid(_("actor_id fehlt: zu welchem Akteur gehört der Kontakt?"), field="actor_id")
    contact = services.create_contact(_contact_actor(data), data)
    return created(contact_json(contact), url_for("api.contacts_show", contact_id=contact.id))


@api_bp.get("/contacts/<int:contact_id>")
def contacts_show(contact_id: int):
    return jsonify(contact_json(services.get_contact(contact_id)))


@api_bp.patch("/contacts/<int:contact_id>")
@editor_required
def contacts_update(contact_id: int):
    contact = services.get_contact(contact_id)
    data = checked(json_body(), CONTACT_FIELDS, {"id", "may_invite"}, current=contact_json(contact))
    if "actor_id" in data:
        _contact_actor(data)
    services.update_contact(contact, data)
    return jsonify(contact_json(contact))


@api_bp.delete("/contacts/<int:contact_id>")
@editor_required
def contacts_delete(contact_id: int):
    services.delete_contact(services.get_contact(contact_id))
    return no_content()


# --- relations ---------------------------------------------------------------------------------


@api_bp.get("/relations")
def relations_index():
    return paged(services.relation_query(filter_args(RELATION_FILTERS)), relation_json)


@api_bp.post("/relations")
@editor_required
def relations_create():
    relation = services.create_relation(checked(json_body(), RELATION_FIELDS, {"id"}))
    return created(relation_json(relation), url_for("api.relations_show", relation_id=relation.id))


@api_bp.get("/relations/<int:relation_id>")
def relations_show(relation_id: int):
    return jsonify(relation_json(services.get_relation(relation_id)))


@api_bp.patch("/relations/<int:relation_id>")
@editor_required
def relations_update(relation_id: int):
    relation = services.get_relation(relation_id)
    data = checked(json_body(), RELATION_FIELDS, {"id"}, current=relation_json(relation))
    services.update_relation(relation, data)
    return jsonify(relation_json(relation))


@api_bp.delete("/relations/<int:relation_id>")
@editor_required
def relations_delete(relation_id: int):
    services.delete_relation(services.get_relation(relation_id))
    return no_content()
