"""Actor pages: list, detail, forms. Contacts, relations and topic links hang off the actor."""

from __future__ import annotations

import math

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext

from ..audit.models import AuditEntry
from ..auth.permissions import admin_required, editor_required
from ..core import signals
from ..core.errors import DomainError
from ..core.forms import ConfirmForm
from ..core.views import confirm_delete, save_form
from ..extensions import db
from ..topics import services as topic_services
from ..topics.models import TopicRole
from . import services
from .forms import ActorForm, CategoryForm, ContactForm, RelationForm, TopicLinkForm
from .models import Actor, Category
from .vocab import Level, Sector, Status

bp = Blueprint("actors", __name__, url_prefix="/akteure")
# people across all organisations: the address book of the coordination
contacts_bp = Blueprint("contacts", __name__, url_prefix="/kontakte")

FILTERS = ("q", "category", "sector", "topic", "status", "level")


@bp.route("/")
def index():
    filters = {k: request.args.get(k, "") for k in FILTERS if request.args.get(k)}
    try:
        query = services.actor_query(filters)
    except DomainError as exc:
        flash(exc.message, "error")
        filters, query = {}, services.actor_query({})
    per_page = current_app.config["PER_PAGE"]
    page = max(request.args.get("page", 1, type=int), 1)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    actors = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).unique()
    return render_template(
        "actors/index.html",
        actors=list(actors),
        total=total,
        page=page,
        pages=max(1, math.ceil(total / per_page)),
        filters=filters,
        categories=services.categories(),
        topics=topic_services.topics(),
        sectors=Sector,
        statuses=Status,
        levels=Level,
    )


@bp.route("/<int:actor_id>")
def show(actor_id: int):
    actor = services.get_actor(actor_id)
    history = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.entity == "actor", AuditEntry.entity_id == actor.id)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    ).all()
    return render_template(
        "actors/show.html",
        actor=actor,
        history=history,
        confirm=ConfirmForm(),
        sections=signals.results(signals.actor_sections, actor),
    )


def _actor_form(actor=None) -> ActorForm:
    form = ActorForm(obj=actor)
    form.fill_choices(services.categories(), topic_services.topics())
    if request.method == "GET":
        if actor is not None:
            form.category.data = actor.category_key
            form.sector.data = actor.sector.value
            form.level.data = actor.level.value
            form.status.data = actor.status.value
            form.version.data = actor.version
        else:  # prefill from the map's "Akteur anlegen" on a gap
            form.category.data = request.args.get("category", "")
            form.topic.data = request.args.get("topic", "")
            # who fills a gap joins the topic; leading it is a decision of its own
            form.topic_role.data = request.args.get("role", TopicRole.CONTRIBUTING.value)
            if request.args.get("name"):
                form.name.data = request.args["name"]
            if request.args.get("status") in {s.value for s in Status}:
                form.status.data = request.args["status"]
    return form


@bp.route("/neu", methods=["GET", "POST"])
@editor_required
def new():
    form = _actor_form()
    similar = []
    if form.is_submitted() and not request.form.get("confirm_similar") and form.validate():
        # ask before creating what is likely a second entry of a known organisation (a valid
        # name only: the search must not see what the form refuses, such as NUL)
        name = form.name.data or ""
        # the very same name is refused by the service with its own message
        similar = [] if services.find_actor_by_name(name) else services.similar_actors(name)
        if similar:
            return render_template("actors/form.html", form=form, actor=None, similar=similar)

    def save():
        actor = services.create_actor(form.values(), commit=False)
        if form.topic.data:
            topic_services.link_actor(
                actor, int(form.topic.data), form.topic_role.data, commit=False
            )
        db.session.commit()
        return actor

    return save_form(
        form,
        save,
        lambda actor: _("Akteur %(name)s angelegt.", name=actor.name),
        lambda actor: url_for("actors.show", actor_id=actor.id),
    ) or render_template("actors/form.html", form=form, actor=None)


@bp.route("/<int:actor_id>/bearbeiten", methods=["GET", "POST"])
@editor_required
def edit(actor_id: int):
    actor = services.get_actor(actor_id)
    form = _actor_form(actor)
    del form.topic, form.topic_role

    def save():
        data = form.values()
        if not form.sector.data:
            data["sector"] = None
        return services.update_actor(actor, data, version=form.version.data or None)

    return save_form(
        form, save, _("Änderungen gespeichert."), url_for("actors.show", actor_id=actor.id)
    ) or render_template("actors/form.html", form=form, actor=actor)


@bp.route("/<int:actor_id>/loeschen", methods=["GET", "POST"])
@editor_required
def delete(actor_id: int):
    actor = services.get_actor(actor_id)
    return confirm_delete(
        actor.name,
        lambda: services.delete_actor(actor),
        _("Akteur %(name)s gelöscht.", name=actor.name),
        url_for("actors.index"),
        url_for("actors.show", actor_id=actor.id),
        consequences=[
            ngettext("%(num)s Kontakt", "%(num)s Kontakte", len(actor.contacts)),
            ngettext(
                "%(num)s Themenzuordnung", "%(num)s Themenzuordnungen", len(actor.topic_links)
            ),
            ngettext(
                "%(num)s Beziehung",
                "%(num)s Beziehungen",
                len(actor.relations_in) + len(actor.relations_out),
            ),
        ],
        # projects, measures … that name the actor stay, without it
        kept=services.dependents(actor),
    )


# --- contacts ----------------------------------------------------------------------------------


@contacts_bp.route("/")
def contacts():
    """Find a person by name, e-mail, organisation or function (every word counts)."""
    q = request.args.get("q", "").strip()
    query = services.contact_query({"q": q})
    per_page = current_app.config["PER_PAGE"]
    page = max(request.args.get("page", 1, type=int), 1)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    rows = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all()
    return render_template(
        "actors/contacts.html",
        contacts=rows,
        total=total,
        q=q,
        page=page,
        pages=max(1, math.ceil(total / per_page)),
        args={"q": q} if q else {},
    )


@bp.route("/<int:actor_id>/kontakte/neu", methods=["GET", "POST"])
@editor_required
def new_contact(actor_id: int):
    actor = services.get_actor(actor_id)
    form = ContactForm()
    return save_form(
        form,
        lambda: services.create_contact(actor, form.values()),
        lambda contact: _("Kontakt %(name)s angelegt.", name=contact.name),
        url_for("actors.show", actor_id=actor.id),
    ) or render_template("actors/contact_form.html", form=form, actor=actor, contact=None)


@bp.route("/kontakte/<int:contact_id>/bearbeiten", methods=["GET", "POST"])
@editor_required
def edit_contact(contact_id: int):
    contact = services.get_contact(contact_id)
    form = ContactForm(obj=contact)
    return save_form(
        form,
        lambda: services.update_contact(contact, form.values()),
        _("Änderungen gespeichert."),
        lambda saved: url_for("actors.show", actor_id=saved.actor_id),
    ) or render_template(
        "actors/contact_form.html", form=form, actor=contact.actor, contact=contact
    )


@bp.route("/kontakte/<int:contact_id>/loeschen", methods=["GET", "POST"])
@editor_required
def delete_contact(contact_id: int):
    contact = services.get_contact(contact_id)
    back = url_for("actors.show", actor_id=contact.actor_id)
    return confirm_delete(
        contact.name,
        lambda: services.delete_contact(contact),
        _("Kontakt gelöscht."),
        back,
        back,
    )


# --- relations ---------------------------------------------------------------------------------


def _relation_form(actor, relation=None) -> RelationForm:
    form = RelationForm()
    others = db.session.execute(
        sa.select(Actor.id, Actor.name).where(Actor.id != actor.id).order_by(Actor.name_key)
    ).all()
    form.target_id.choices = [(row.id, row.name) for row in others]
    if request.method == "GET" and relation is not None:
        outgoing = relation.source_id == actor.id
        form.target_id.data = relation.target_id if outgoing else relation.source_id
        form.outgoing.data = "out" if outgoing else "in"
        form.kind.data = relation.kind.value
        form.directed.data = relation.directed
        form.strength.data = relation.strength
        form.note.data = relation.note
    return form


def _relation_values(actor, form: RelationForm) -> dict:
    other = form.target_id.data
    source, target = (actor.id, other) if form.outgoing.data == "out" else (other, actor.id)
    return {
        "source_id": source,
        "target_id": target,
        "kind": form.kind.data,
        "directed": form.directed.data,
        "strength": form.strength.data,
        "note": form.note.data or "",
    }


def _relation_of(actor, relation_id: int):
    """The relation, if this actor is one of its ends: the form re-points it from this actor."""
    relation = services.get_relation(relation_id)
    if actor.id not in (relation.source_id, relation.target_id):
        abort(404)
    return relation


@bp.route("/<int:actor_id>/beziehungen/neu", methods=["GET", "POST"])
@editor_required
def new_relation(actor_id: int):
    actor = services.get_actor(actor_id)
    form = _relation_form(actor)
    return save_form(
        form,
        lambda: services.create_relation(_relation_values(actor, form)),
        _("Beziehung angelegt."),
        url_for("actors.show", actor_id=actor.id),
    ) or render_template("actors/relation_form.html", form=form, actor=actor, relation=None)


@bp.route("/<int:actor_id>/beziehungen/<int:relation_id>/bearbeiten", methods=["GET", "POST"])
@editor_required
def edit_relation(actor_id: int, relation_id: int):
    actor = services.get_actor(actor_id)
    relation = _relation_of(actor, relation_id)
    form = _relation_form(actor, relation)
    return save_form(
        form,
        lambda: services.update_relation(relation, _relation_values(actor, form)),
        _("Änderungen gespeichert."),
        url_for("actors.show", actor_id=actor.id),
    ) or render_template("actors/relation_form.html", form=form, actor=actor, relation=relation)


@bp.route("/<int:actor_id>/beziehungen/<int:relation_id>/loeschen", methods=["GET", "POST"])
@editor_required
def delete_relation(actor_id: int, relation_id: int):
    relation = _relation_of(services.get_actor(actor_id), relation_id)
    back = url_for("actors.show", actor_id=actor_id)
    return confirm_delete(
        f"{relation.source.name} – {relation.kind.label} – {relation.target.name}",
        lambda: services.delete_relation(relation),
        _("Beziehung gelöscht."),
        back,
        back,
    )


# --- topic links -------------------------------------------------------------------------------


@bp.route("/<int:actor_id>/themen/neu", methods=["GET", "POST"])
@editor_required
def add_topic(actor_id: int):
    actor = services.get_actor(actor_id)
    form = TopicLinkForm()
    linked = {link.topic_id for link in actor.topic_links}
    form.topic_id.choices = [(t.id, t.label) for t in topic_services.topics() if t.id not in linked]
    return save_form(
        form,
        lambda: topic_services.link_actor(
            actor, form.topic_id.data, form.role.data, form.note.data or ""
        ),
        _("Thema zugeordnet."),
        url_for("actors.show", actor_id=actor.id),
    ) or render_template("actors/link_form.html", form=form, actor=actor, link=None)


@bp.route("/themenzuordnung/<int:link_id>/bearbeiten", methods=["GET", "POST"])
@editor_required
def edit_topic_link(link_id: int):
    link = topic_services.get_link(link_id)
    form = TopicLinkForm(obj=link)
    form.topic_id.choices = [(link.topic_id, link.topic.label)]
    if request.method == "GET":
        form.role.data = link.role.value
    return save_form(
        form,
        lambda: topic_services.update_link(link, {"role": form.role.data, "note": form.note.data}),
        _("Änderungen gespeichert."),
        url_for("actors.show", actor_id=link.actor_id),
    ) or render_template("actors/link_form.html", form=form, actor=link.actor, link=link)


@bp.route("/themenzuordnung/<int:link_id>/loeschen", methods=["GET", "POST"])
@editor_required
def remove_topic_link(link_id: int):
    link = topic_services.get_link(link_id)
    back = url_for("actors.show", actor_id=link.actor_id)
    return confirm_delete(
        f"{link.actor.name} – {link.topic.label}",
        lambda: topic_services.unlink(link),
        _("Zuordnung entfernt."),
        back,
        back,
    )


# --- category vocabulary (admins) --------------------------------------------------------------


def admin_route(rule: str, **options):
    """A route of this blueprint outside /akteure: the vocabularies live under /admin with the
    user administration, but keep their `actors.` endpoint names."""

    def decorator(view):
        endpoint = options.pop("endpoint", view.__name__)
        bp.record(
            lambda state: state.app.add_url_rule(
                rule, f"{state.name_prefix}.{state.name}.{endpoint}".lstrip("."), view, **options
            )
        )
        return view

    return decorator


@admin_route("/admin/kategorien")
@admin_required
def categories():
    return render_template("actors/categories.html", rows=services.category_counts())


@admin_route("/admin/kategorien/neu", methods=["GET", "POST"])
@admin_required
def new_category():
    form = CategoryForm()
    return save_form(
        form,
        lambda: services.save_category(form.data),
        lambda cat: _("Kategorie %(label)s angelegt.", label=cat.label),
        url_for("actors.categories"),
    ) or render_template("actors/category_form.html", form=form, category=None)


@admin_route("/admin/kategorien/<key>", methods=["GET", "POST"])
@admin_required
def edit_category(key: str):
    cat = db.get_or_404(Category, key)
    form = CategoryForm(obj=cat)
    del form.key  # the key is referenced by actors, imports and the reference data
    if request.method == "GET":
        form.sector.data = cat.sector.value
    return save_form(
        form,
        lambda: services.save_category(form.data, existing=cat),
        lambda saved: _("Kategorie %(label)s gespeichert.", label=saved.label),
        url_for("actors.categories"),
    ) or render_template("actors/category_form.html", form=form, category=cat)
