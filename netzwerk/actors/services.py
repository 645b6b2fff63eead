"""Actors, contacts, relations and the category vocabulary: validation and changes, one
transaction each, every change recorded in the audit trail."""

from __future__ import annotations

import json
from datetime import datetime
from importlib import resources
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from ..audit.services import apply_changes, record, reverse, snapshot
from ..core import signals
from ..core.errors import Conflict, Invalid, NotFound
from ..core.text import folded_column, like_pattern, search_words, similarity
from ..core.timeutil import is_timezone
from ..core.validation import (
    check_email,
    int_in_range,
    int_value,
    parse_bool,
    parse_date,
    vocab_value,
)
from ..extensions import db
from .models import Actor, Category, Contact, Relation
from .vocab import LegalBasis, Level, Reciprocity, RelationKind, Sector, Status

ACTOR_FIELDS = [
    "name",
    "short_name",
    "external_id",
    "category_key",
    "sector",
    "level",
    "city",
    "country",
    "website",
    "description",
    "power",
    "interest",
    "status",
]
CONTACT_FIELDS = ["name", "function", "email", "phone", "language", "timezone", "notes"]
# data protection (DSGVO): recorded with the contact, audited like the other fields
CONSENT_FIELDS = [
    "legal_basis",
    "consent_date",
    "consent_source",
    "consent_invitations",
    "consent_revoked_at",
]
RELATION_FIELDS = ["source_id", "target_id", "kind", "directed", "strength", "note", "reciprocity"]


# --- categories --------------------------------------------------------------------------------


def default_categories() -> list[dict]:
    return json.loads(resources.files(__package__).joinpath("categories.json").read_text("utf-8"))


def ensure_categories() -> int:
    """Insert the shipped categories that are missing; admins' own categories are kept."""
    existing = set(db.session.scalars(sa.select(Category.key)))
    added = 0
    for pos, item in enumerate(default_categories()):
        if item["key"] not in existing:
            db.session.add(Category(position=pos, **{**item, "sector": Sector(item["sector"])}))
            added += 1
    db.session.commit()
    return added


def categories() -> list[Category]:
    return list(db.session.scalars(sa.select(Category).order_by(Category.position, Category.key)))


def category(key: str) -> Category:
    cat = db.session.get(Category, key)
    if cat is None:
        allowed = ", ".join(db.session.scalars(sa.select(Category.key).order_by(Category.position)))
        raise Invalid(
            _("Unbekannte Kategorie: %(key)s", key=key), field="category", allowed=allowed
        )
    return cat


def category_counts() -> list[tuple[Category, int]]:
    """Each category with the number of actors in it, for the vocabulary page."""
    return list(
        db.session.execute(
            sa.select(Category, sa.func.count(Actor.id))
            .outerjoin(Actor)
            .group_by(Category.key)
            .order_by(Category.position, Category.key)
        ).all()
    )


def save_category(data: dict[str, Any], existing: Category | None = None) -> Category:
    key = (data.get("key") or "").strip().lower()
    if existing is None:
        if not key:
            raise Invalid(_("Schlüssel fehlt."), field="key")
        if db.session.get(Category, key):
            raise Conflict(_("Die Kategorie %(key)s gibt es schon.", key=key), field="key")
        existing = Category(key=key, position=len(categories()))
        db.session.add(existing)
        action = "create"
    else:
        action = "update"
    sector = Sector.parse(data.get("sector"))
    if sector is None:
        raise Invalid(_("Unbekannter Sektor."), field="sector")
    changes = apply_changes(
        existing,
        {
            "label_de": data.get("label_de", "").strip() or key,
            "label_en": data.get("label_en", "").strip(),
            "sector": sector,
            "color": data.get("color") or "#7f7f7f",
        },
    )
    record("category", None, action, changes, label=existing.key)
    db.session.commit()
    return existing


# --- actors ------------------------------------------------------------------------------------


def get_actor(actor_id: int) -> Actor:
    actor = db.session.get(Actor, actor_id)
    if actor is None:
        raise NotFound(_("Akteur %(actor_id)s nicht gefunden.", actor_id=actor_id))
    return actor


def find_actor_by_name(name: str) -> Actor | None:
    return db.session.scalar(sa.select(Actor).where(Actor.name_key == name.strip().casefold()))


def clean_actor(data: dict[str, Any], actor: Actor | None) -> dict[str, Any]:
    """Normalise input from a form, the API or an import into model values."""

    def text(field: str, limit: int) -> str:
        value = data.get(field, getattr(actor, field, "") if actor else "")
        value = "" if value is None else str(value).strip()
        if len(value) > limit:
            raise Invalid(
                _("%(field)s ist zu lang (höchstens %(limit)s Zeichen).", field=field, limit=limit),
                field=field,
            )
        return value

    name = text("name", 200)
    if not name:
        raise Invalid(_("Der Name fehlt."), field="name")
    key = data.get("category", data.get("category_key"))
    if key in (None, "") and actor is not None:
        key = actor.category_key
    if key in (None, ""):
        raise Invalid(_("Die Kategorie fehlt."), field="category")
    cat = category(str(key).strip())
    sector = vocab_value(Sector, data, "sector", None)
    if sector is None:
        # derived from the category unless set; a category change re-derives it
        keep = actor is not None and actor.category_key == cat.key and "sector" not in data
        sector = actor.sector if keep else cat.sector
    external_id = data.get("external_id", actor.external_id if actor else None)
    website = text("website", 500)
    if website and not website.startswith(("http://", "https://")):
        website = "https://" + website
    return {
        "name": name,
        "short_name": text("short_name", 60),
        "external_id": (str(external_id).strip() or None) if external_id is not None else None,
        "category_key": cat.key,
        "sector": sector,
        "level": vocab_value(Level, data, "level", actor.level if actor else Level.LOCAL),
        "city": text("city", 120),
        "country": text("country", 2).upper() or "DE",
        "website": website,
        "description": text("description", 20000),
        "power": int_in_range(data, "power", 1, 5, actor.power if actor else 3),
        "interest": int_in_range(data, "interest", 1, 5, actor.interest if actor else 3),
        "status": vocab_value(Status, data, "status", actor.status if actor else Status.ACTIVE),
    }


def _check_unique_name(name: str, actor: Actor | None) -> None:
    other = find_actor_by_name(name)
    if other is not None and other is not actor:
        raise Conflict(
            _(
                "Es gibt schon einen Akteur mit diesem Namen: %(name)s (#%(id)s).",
                name=other.name,
                id=other.id,
            ),
            field="name",
        )


def create_actor(data: dict[str, Any], commit: bool = True) -> Actor:
    values = clean_actor(data, None)
    _check_unique_name(values["name"], None)
    actor = Actor(name_key=values["name"].casefold(), **values)
    db.session.add(actor)
    db.session.flush()
    record("actor", actor.id, "create", snapshot(actor, ACTOR_FIELDS), label=actor.name)
    if commit:
        db.session.commit()
    return actor


def update_actor(
    actor: Actor, data: dict[str, Any], version: int | None = None, commit: bool = True
) -> Actor:
    """Apply changes; a stale `version` (another editor saved meanwhile) is a conflict."""
    if version is not None and str(version).strip() != str(actor.version):
        raise Conflict(
            _(
                "Dieser Akteur wurde inzwischen von jemand anderem geändert. Bitte "
                "laden Sie die Seite neu und übernehmen Sie Ihre Änderungen erneut."
            ),
            field="version",
        )
    values = clean_actor(data, actor)
    _check_unique_name(values["name"], actor)
    values["name_key"] = values["name"].casefold()
    changes = apply_changes(actor, values)
    changes.pop("name_key", None)
    if changes:
        record("actor", actor.id, "update", changes, label=actor.name)
    if commit:
        db.session.commit()
    return actor


def dependents(actor: Actor) -> list[str]:
    """What other domains keep that refers to the actor (projects it leads, measures …), as
    sentences; they stay when the actor is deleted but lose the reference."""
    return [line for lines in signals.results(signals.actor_dependents, actor) for line in lines]


def delete_actor(actor: Actor) -> None:
    """Delete with contacts, topic links and relations, in one transaction, audited. Entries
    of other domains that refer to it (see `dependents`) lose the reference."""
    counts = {
        "contacts": len(actor.contacts),
        "topic_links": len(actor.topic_links),
        "relations": len(actor.relations_out) + len(actor.relations_in),
    }
    changes = reverse(snapshot(actor, ACTOR_FIELDS))
    changes["removed"] = [counts, None]
    if kept := dependents(actor):
        changes["dependents"] = [kept, None]
    record("actor", actor.id, "delete", changes, label=actor.name)
    db.session.delete(actor)
    db.session.commit()


def actor_query(filters: dict[str, Any]) -> sa.Select:
    """The actor list, filtered by text search, category, sector, level, status and topic.
    The search finds every word of `q` (in any order, umlauts as ae/oe/ue, inside longer
    words) in the actor's name, short name or city or in one of its contacts."""
    from ..topics.models import ActorTopic, Topic

    query = sa.select(Actor)
    for word in search_words(filters.get("q") or ""):
        query = query.where(_actor_matches(word))
    for field, column, enum_cls in (
        ("sector", Actor.sector, Sector),
        ("level", Actor.level, Level),
        ("status", Actor.status, Status),
    ):
        if value := filters.get(field):
            member = enum_cls.parse(value)
            if member is None:
                raise Invalid(
                    _("Unbekannter Wert für %(field)s: %(value)s", field=field, value=value),
                    field=field,
                )
            query = query.where(column == member)
    if value := filters.get("category"):
        query = query.where(Actor.category_key == value)
    if value := filters.get("topic"):
        sub = sa.select(ActorTopic.actor_id).join(Topic)
        sub = (
            sub.where(Topic.id == int_value(value, "topic"))
            if str(value).isdigit()
            else sub.where(Topic.code == value)
        )
        query = query.where(Actor.id.in_(sub))
    return query.order_by(Actor.name_key)


def _actor_matches(word: str) -> sa.ColumnElement[bool]:
    like = like_pattern(word)
    contact_hit = sa.select(Contact.actor_id).where(_contact_matches(word))
    return sa.or_(
        folded_column(Actor.name).like(like, escape="\\"),
        folded_column(Actor.short_name).like(like, escape="\\"),
        folded_column(Actor.city).like(like, escape="\\"),
        Actor.id.in_(contact_hit),
    )


def _contact_matches(word: str) -> sa.ColumnElement[bool]:
    like = like_pattern(word)
    return sa.or_(
        folded_column(Contact.name).like(like, escape="\\"),
        folded_column(Contact.email).like(like, escape="\\"),
        folded_column(Contact.function).like(like, escape="\\"),
    )


# how alike two names must be for the actor form to ask "is it one of these?"
SIMILAR_NAME = 0.85


def similar_actors(name: str, exclude: Actor | None = None, limit: int = 5) -> list[Actor]:
    """Actors whose names are likely the same organisation as `name` ("Förderverein Aachen
    Kapstadt" – "Förderverein Aachen-Kapstadt e.V."), most alike first: the form asks before
    creating a duplicate."""
    rows = db.session.execute(sa.select(Actor.id, Actor.name, Actor.short_name)).all()
    scored = []
    for row in rows:
        if exclude is not None and row.id == exclude.id:
            continue
        score = max(similarity(name, row.name), similarity(name, row.short_name or ""))
        if score >= SIMILAR_NAME:
            scored.append((-score, row.name, row.id))
    ids = [actor_id for _, _, actor_id in sorted(scored)[:limit]]
    found = {a.id: a for a in db.session.scalars(sa.select(Actor).where(Actor.id.in_(ids)))}
    return [found[i] for i in ids]


# --- contacts ----------------------------------------------------------------------------------


def get_contact(contact_id: int) -> Contact:
    contact = db.session.get(Contact, contact_id)
    if contact is None:
        raise NotFound(_("Kontakt %(contact_id)s nicht gefunden.", contact_id=contact_id))
    return contact


def clean_contact(data: dict[str, Any], contact: Contact | None) -> dict[str, Any]:
    def text(field: str, limit: int, default: str = "") -> str:
        value = data.get(field, getattr(contact, field) if contact else default)
        value = "" if value is None else str(value).strip()
        if len(value) > limit:
            raise Invalid(
                _("%(field)s ist zu lang (höchstens %(limit)s Zeichen).", field=field, limit=limit),
                field=field,
            )
        return value

    name = text("name", 200)
    if not name:
        raise Invalid(_("Der Name fehlt."), field="name")
    tz = text("timezone", 64, "Europe/Berlin") or "Europe/Berlin"
    if not is_timezone(tz):
        raise Invalid(_("Unbekannte Zeitzone: %(tz)s", tz=tz), field="timezone")
    language = (text("language", 8, "de") or "de").lower()
    return {
        "name": name,
        "function": text("function", 200),
        "email": check_email(text("email", 254)),
        "phone": text("phone", 60),
        "language": language,
        "timezone": tz,
        "notes": text("notes", 20000),
        **clean_consent(data, contact),
    }


def clean_consent(data: dict[str, Any], contact: Contact | None) -> dict[str, Any]:
    """Legal basis, consent and its revocation (DSGVO); absent keys keep the stored values."""

    def current(field: str, default: Any) -> Any:
        return getattr(contact, field) if contact is not None else default

    basis = current("legal_basis", LegalBasis.PUBLIC_TASK.value)
    if data.get("legal_basis") not in (None, ""):
        parsed = LegalBasis.parse(data["legal_basis"])
        if parsed is None:
            allowed = ", ".join(m.label for m in LegalBasis)
            raise Invalid(
                _(
                    "Unbekannte Rechtsgrundlage: %(value)s (erlaubt: %(allowed)s)",
                    value=data["legal_basis"],
                    allowed=allowed,
                ),
                field="legal_basis",
            )
        basis = parsed.value
    consent_date = current("consent_date", None)
    if "consent_date" in data:
        consent_date = parse_date(data["consent_date"], "consent_date")
    source = current("consent_source", "")
    if "consent_source" in data:
        source = "" if data["consent_source"] is None else str(data["consent_source"]).strip()
        if len(source) > 200:
            raise Invalid(
                _("consent_source ist zu lang (höchstens 200 Zeichen)."), "consent_source"
            )
    invitations = current("consent_invitations", True)
    if data.get("consent_invitations") not in (None, ""):
        invitations = parse_bool(data["consent_invitations"], "consent_invitations")
    revoked = current("consent_revoked_at", None)
    if "consent_revoked_at" in data:
        value = data["consent_revoked_at"]
        if isinstance(value, datetime):
            revoked = value.replace(tzinfo=None)
        else:
            day = parse_date(value, "consent_revoked_at")
            # the same day again keeps the stored time of the revocation
            keep = revoked is not None and day is not None and revoked.date() == day
            revoked = revoked if keep else (datetime(day.year, day.month, day.day) if day else None)
    return {
        "legal_basis": basis,
        "consent_date": consent_date,
        "consent_source": source,
        "consent_invitations": invitations,
        "consent_revoked_at": revoked,
    }


def create_contact(actor: Actor, data: dict[str, Any], commit: bool = True) -> Contact:
    contact = Contact(actor=actor, **clean_contact(data, None))
    db.session.add(contact)
    db.session.flush()
    record(
        "contact",
        contact.id,
        "create",
        snapshot(contact, CONTACT_FIELDS + CONSENT_FIELDS),
        label=f"{contact.name} ({actor.name})",
    )
    if commit:
        db.session.commit()
    return contact


def update_contact(contact: Contact, data: dict[str, Any]) -> Contact:
    changes = apply_changes(contact, clean_contact(data, contact))
    if "actor_id" in data and int_value(data["actor_id"], "actor_id") != contact.actor_id:
        new_actor = get_actor(int_value(data["actor_id"], "actor_id"))
        changes["actor_id"] = [contact.actor_id, new_actor.id]
        contact.actor = new_actor
    if changes:
        record("contact", contact.id, "update", changes, label=contact.name)
    db.session.commit()
    return contact


def delete_contact(contact: Contact) -> None:
    record(
        "contact",
        contact.id,
        "delete",
        reverse(snapshot(contact, CONTACT_FIELDS + CONSENT_FIELDS)),
        label=contact.name,
    )
    db.session.delete(contact)
    db.session.commit()


# --- relations ---------------------------------------------------------------------------------


def get_relation(relation_id: int) -> Relation:
    relation = db.session.get(Relation, relation_id)
    if relation is None:
        raise NotFound(_("Beziehung %(relation_id)s nicht gefunden.", relation_id=relation_id))
    return relation


def clean_relation(
    data: dict[str, Any], relation: Relation | None, actor_exists=None
) -> dict[str, Any]:
    """`actor_exists(id) -> bool` lets a bulk import check against ids it already knows."""

    def actor_id(field: str) -> int:
        value = data.get(field, getattr(relation, field) if relation else None)
        try:
            ident = int_value(value, field)
        except Invalid as exc:
            raise Invalid(
                _("%(field)s muss die Nummer eines Akteurs sein.", field=field), field=field
            ) from exc
        exists = actor_exists(ident) if actor_exists else db.session.get(Actor, ident)
        if not exists:
            raise Invalid(_("Unbekannter Akteur: %(ident)s", ident=ident), field=field)
        return ident

    source_id, target_id = actor_id("source_id"), actor_id("target_id")
    if source_id == target_id:
        raise Invalid(_("Ein Akteur kann keine Beziehung zu sich selbst haben."), field="target_id")
    kind = vocab_value(RelationKind, data, "kind", relation.kind if relation else None)
    if kind is None:
        raise Invalid(_("Die Art der Beziehung fehlt."), field="kind")
    directed = data.get("directed", relation.directed if relation else False)
    if isinstance(directed, str):
        directed = directed.strip().lower() in ("1", "true", "ja", "yes", "y", "on")
    note = data.get("note", relation.note if relation else "")
    reciprocity = relation.reciprocity if relation else None
    if "reciprocity" in data:  # empty: nobody was asked
        reciprocity = vocab_value(Reciprocity, data, "reciprocity", None)
    return {
        "source_id": source_id,
        "target_id": target_id,
        "kind": kind,
        "directed": bool(directed),
        "strength": int_in_range(data, "strength", 1, 3, relation.strength if relation else 2),
        "note": "" if note is None else str(note).strip(),
        "reciprocity": reciprocity,
    }


def _check_duplicate_relation(values: dict, relation: Relation | None) -> None:
    other = db.session.scalar(
        sa.select(Relation).where(
            Relation.source_id == values["source_id"],
            Relation.target_id == values["target_id"],
            Relation.kind == values["kind"],
        )
    )
    if other is not None and other is not relation:
        raise Conflict(_("Diese Beziehung gibt es schon (#%(id)s).", id=other.id), field="kind")


def _relation_label(relation: Relation) -> str:
    return f"{relation.source.name} → {relation.target.name} ({relation.kind.value})"


def create_relation(data: dict[str, Any], commit: bool = True) -> Relation:
    relation = add_relation(data)
    db.session.flush()
    record_new_relation(relation)
    if commit:
        db.session.commit()
    return relation


def add_relation(data: dict[str, Any], check_duplicate: bool = True) -> Relation:
    """The first half of create_relation for bulk work (many relations, one flush): a checked
    new relation in the session, not flushed and not yet in the audit trail; after the flush
    the caller passes it to record_new_relation. `check_duplicate=False` when the caller has
    checked against the relations it loaded itself."""
    values = clean_relation(data, None)
    if check_duplicate:
        _check_duplicate_relation(values, None)
    relation = Relation(**values)
    db.session.add(relation)
    return relation


def record_new_relation(relation: Relation) -> None:
    """The audit entry of a relation made by add_relation (flushed, so it has its id)."""
    record(
        "relation",
        relation.id,
        "create",
        snapshot(relation, RELATION_FIELDS),
        label=_relation_label(relation),
    )


def update_relation(relation: Relation, data: dict[str, Any], commit: bool = True) -> Relation:
    values = clean_relation(data, relation)
    _check_duplicate_relation(values, relation)
    changes = apply_changes(relation, values)
    if changes:
        db.session.flush()
        db.session.refresh(relation)
        record("relation", relation.id, "update", changes, label=_relation_label(relation))
    if commit:
        db.session.commit()
    return relation


def delete_relation(relation: Relation) -> None:
    record(
        "relation",
        relation.id,
        "delete",
        reverse(snapshot(relation, RELATION_FIELDS)),
        label=_relation_label(relation),
    )
    db.session.delete(relation)
    db.session.commit()


# --- list queries (API filters) ----------------------------------------------------------------


def _id_filter(filters: dict[str, Any], field: str) -> int | None:
    value = filters.get(field)
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise Invalid(
            _("%(field)s muss eine Nummer sein: %(value)s", field=field, value=value), field=field
        ) from exc
    return int_value(number, field)


def contact_query(filters: dict[str, Any]) -> sa.Select:
    """Contacts filtered by actor, text and exact e-mail address. The text search finds every
    word of `q` (any order, umlauts as ae/oe/ue, inside longer words) in the name, function,
    e-mail or the organisation's name."""
    query = sa.select(Contact).join(Contact.actor)
    if (actor_id := _id_filter(filters, "actor_id")) is not None:
        query = query.where(Contact.actor_id == actor_id)
    for word in search_words(filters.get("q") or ""):
        like = like_pattern(word)
        query = query.where(
            sa.or_(
                _contact_matches(word),
                folded_column(Actor.name).like(like, escape="\\"),
                folded_column(Actor.short_name).like(like, escape="\\"),
            )
        )
    if email := (filters.get("email") or "").strip():
        query = query.where(sa.func.lower(Contact.email) == email.casefold())
    return query.order_by(sa.func.lower(Contact.name), Contact.id)


def relation_query(filters: dict[str, Any]) -> sa.Select:
    """Relations filtered by an actor at either end, by source, target and kind."""
    query = sa.select(Relation)
    if (actor_id := _id_filter(filters, "actor_id")) is not None:
        query = query.where(sa.or_(Relation.source_id == actor_id, Relation.target_id == actor_id))
    for field, column in (("source_id", Relation.source_id), ("target_id", Relation.target_id)):
        if (ident := _id_filter(filters, field)) is not None:
            query = query.where(column == ident)
    if value := filters.get("kind"):
        kind = vocab_value(RelationKind, {"kind": value}, "kind", None)
        query = query.where(Relation.kind == kind)
    if value := filters.get("reciprocity"):
        found = vocab_value(Reciprocity, {"reciprocity": value}, "reciprocity", None)
        query = query.where(Relation.reciprocity == found)
    return query.order_by(Relation.id)
