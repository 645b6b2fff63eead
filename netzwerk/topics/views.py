"""Topic pages: list with actors per role, topic page with its actors grouped by role, forms."""

from __future__ import annotations

from flask import Blueprint, render_template, url_for
from flask_babel import gettext as _

from ..auth.permissions import editor_required
from ..core import signals
from ..core.views import confirm_delete, save_form
from . import services
from .forms import PRIORITIES, TopicForm
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
        consequences=[_("%(n)s Zuordnungen von Akteuren", n=len(topic.links))],
    )
