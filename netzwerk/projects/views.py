"""Project pages: list with filters, detail, forms, and the stocktaking report per topic."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, render_template, request, url_for
from flask_babel import gettext as _

from ..audit.models import AuditEntry
from ..auth.permissions import editor_required
from ..core.errors import DomainError
from ..core.views import confirm_delete, save_form
from ..extensions import db
from ..network.reports import severity_label
from ..topics import services as topic_services
from . import services
from .forms import ProjectForm
from .models import ProjectStatus

bp = Blueprint("projects", __name__, url_prefix="/projekte")

FILTERS = ("q", "topic", "status", "actor", "partner_city")


@bp.route("/")
def index():
    filters = {k: request.args[k] for k in FILTERS if request.args.get(k)}
    try:
        items = services.projects(filters)
    except DomainError as exc:
        flash(exc.message, "error")
        filters, items = {}, services.projects()
    return render_template(
        "projects/index.html",
        projects=items,
        filters=filters,
        topics=topic_services.topics(),
        statuses=ProjectStatus,
        cities=services.partner_cities(),
    )


@bp.route("/<int:project_id>")
def show(project_id: int):
    project = services.get_project(project_id)
    history = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.entity == "project", AuditEntry.entity_id == project.id)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    ).all()
    return render_template("projects/show.html", project=project, history=history)


def _form(project=None) -> ProjectForm:
    form = ProjectForm(obj=project)
    form.fill_choices(topic_services.topics(), services.actor_choices(), services.partner_cities())
    if request.method == "GET":
        if project is not None:
            form.load(project)
        else:
            form.status.data = ProjectStatus.RUNNING.value
            if topic := request.args.get("topic", type=int):
                form.topics.data = [topic]
            if actor := request.args.get("actor", type=int):
                form.lead_actor_id.data = actor
    return form


@bp.route("/neu", methods=["GET", "POST"])
@editor_required
def new():
    form = _form()
    return save_form(
        form,
        lambda: services.create_project(form.values()),
        lambda project: _("Projekt „%(title)s“ angelegt.", title=project.title),
        lambda project: url_for("projects.show", project_id=project.id),
    ) or render_template("projects/form.html", form=form, project=None)


@bp.route("/<int:project_id>/bearbeiten", methods=["GET", "POST"])
@editor_required
def edit(project_id: int):
    project = services.get_project(project_id)
    form = _form(project)
    return save_form(
        form,
        lambda: services.update_project(project, form.values()),
        _("Änderungen gespeichert."),
        url_for("projects.show", project_id=project.id),
    ) or render_template("projects/form.html", form=form, project=project)


@bp.route("/<int:project_id>/loeschen", methods=["GET", "POST"])
@editor_required
def delete(project_id: int):
    project = services.get_project(project_id)
    return confirm_delete(
        project.title,
        lambda: services.delete_project(project),
        _("Projekt „%(title)s“ gelöscht.", title=project.title),
        url_for("projects.index"),
        url_for("projects.show", project_id=project.id),
        consequences=[_("%(n)s Partnerschaften im Projekt", n=len(project.partners))],
    )


@bp.route("/bestandsanalyse")
def stocktaking():
    """All topics: the overview with every project; ?topic= narrows to one topic."""
    topic = None
    if ref := request.args.get("topic"):
        topic = topic_services.find_topic(ref)
        if topic is None:
            flash(_("Unbekanntes Thema: %(ref)s", ref=ref), "error")
    return render_template(
        "projects/stocktaking.html",
        report=services.stocktaking(topic),
        summaries=services.topic_summaries(),
        topics=topic_services.topics(),
        selected=topic,
        severity_label=severity_label,
    )
