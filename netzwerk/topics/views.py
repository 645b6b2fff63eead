"""Topic pages: list with actors per role, topic page with its actors grouped by role, forms."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from ..actors import services as actor_services
from ..auth.permissions import editor_required
from ..core import signals
from ..core.views import confirm_delete, save_form
from . import services
from .forms import PRIORITIES, LinkActorForm, TopicForm
from .models import TopicRole

bp = Blueprint("topics", __name__, url_prefix="/themen")


@bp.route("/")
def index():
    return render_template(
        "topics/index.html",
        rows=services.overview(),
        roles=list(TopicRole),
        priorities=dict(PRIORITIES),
    )


@bp.route("/<int:topic_id>")
def show(topic_id: int):
    topic = services.get_topic(topic_id)
    return render_template(
        "topics/show.html",
        topic=topic,
        groups=services.links_by_role(topic),
        priorities=dict(PRIORITIES),
        sections=signals.results(signals.topic_sections, topic),
    )


@bp.route("/<int:topic_id>/zuordnen", methods=["GET", "POST"])
@editor_required
def link_actor(topic_id: int):
    """Find an existing actor (search, a gap's category) and link it with a role; the way
    out of a gap that does not need a new actor."""
    topic = services.get_topic(topic_id)
    q = request.args.get("q", "").strip()
    category = request.args.get("category", "").strip()
    chosen = request.args.get("actor", type=int)
    actors, total = services.link_candidates(topic, q, category, include=chosen)
    form = LinkActorForm()
    form.actor_id.choices = [(a.id, a.name) for a in actors]
    if request.method == "GET":
        form.role.data = request.args.get("role") or TopicRole.CONTRIBUTING.value
        form.actor_id.data = chosen
    return save_form(
        form,
        lambda: services.link_actor(
            form.actor_id.data, topic, form.role.data, form.note.data or ""
        ),
        lambda link: _(
            "%(name)s dem Thema %(code)s zugeordnet (%(role)s).",
            name=link.actor.name,
            code=topic.code,
            role=link.role.label,
        ),
        url_for("topics.show", topic_id=topic.id),
    ) or render_template(
        "topics/link_actor.html",
        topic=topic,
        form=form,
        actors=actors,
        total=total,
        q=q,
        category=category,
        categories=actor_services.categories(),
    )


@bp.route("/neu", methods=["GET", "POST"])
@editor_required
def new():
    form = TopicForm()
    return save_form(
        form,
        lambda: services.create_topic(form.values()),
        lambda topic: _("Thema %(code)s angelegt.", code=topic.code),
        lambda topic: url_for("topics.show", topic_id=topic.id),
    ) or render_template("topics/form.html", form=form, topic=None)


@bp.route("/<int:topic_id>/bearbeiten", methods=["GET", "POST"])
@editor_required
def edit(topic_id: int):
    topic = services.get_topic(topic_id)
    form = TopicForm(obj=topic)
    return save_form(
        form,
        lambda: services.update_topic(topic, form.values()),
        _("Änderungen gespeichert."),
        url_for("topics.show", topic_id=topic.id),
    ) or render_template("topics/form.html", form=form, topic=topic)


@bp.route("/<int:topic_id>/loeschen", methods=["GET", "POST"])
@editor_required
def delete(topic_id: int):
    topic = services.get_topic(topic_id)
    return confirm_delete(
        topic.label,
        lambda: services.delete_topic(topic),
        _("Thema %(code)s gelöscht.", code=topic.code),
        url_for("topics.index"),
        url_for("topics.show", topic_id=topic.id),
        consequences=[
            ngettext(
                "%(num)s Zuordnung eines Akteurs",
                "%(num)s Zuordnungen von Akteuren",
                len(topic.links),
            )
        ],
    )
