"""Topic pages: list with actors per role, topic page with its actors grouped by role, forms."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from ..actors.views import form_error
from ..auth.permissions import editor_required
from ..core.errors import DomainError
from ..core.forms import ConfirmForm
from ..extensions import db
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
    )


@bp.route("/neu", methods=["GET", "POST"])
@editor_required
def new():
    form = TopicForm()
    if form.validate_on_submit():
        try:
            topic = services.create_topic(form.values())
        except DomainError as exc:
            db.session.rollback()
            form_error(form, exc)
        else:
            flash(_("Thema %(code)s angelegt.", code=topic.code), "success")
            return redirect(url_for("topics.show", topic_id=topic.id))
    return render_template("topics/form.html", form=form, topic=None)


@bp.route("/<int:topic_id>/bearbeiten", methods=["GET", "POST"])
@editor_required
def edit(topic_id: int):
    topic = services.get_topic(topic_id)
    form = TopicForm(obj=topic)
    if form.validate_on_submit():
        try:
            services.update_topic(topic, form.values())
        except DomainError as exc:
            db.session.rollback()
            form_error(form, exc)
        else:
            flash(_("Änderungen gespeichert."), "success")
            return redirect(url_for("topics.show", topic_id=topic.id))
    return render_template("topics/form.html", form=form, topic=topic)


@bp.route("/<int:topic_id>/loeschen", methods=["GET", "POST"])
@editor_required
def delete(topic_id: int):
    topic = services.get_topic(topic_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        code = topic.code
        services.delete_topic(topic)
        flash(_("Thema %(code)s gelöscht.", code=code), "success")
        return redirect(url_for("topics.index"))
    return render_template(
        "confirm_delete.html",
        form=form,
        title=topic.label,
        consequences=[_("%(n)s Zuordnungen von Akteuren", n=len(topic.links))],
        cancel_url=url_for("topics.show", topic_id=topic.id),
    )
