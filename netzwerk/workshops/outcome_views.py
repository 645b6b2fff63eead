"""Workshop pages for what came out of it: outcomes, commitments, candidates, follow-ups and
the protocol (page, DOCX, PDF, follow-up mail). Routes of the workshops blueprint."""

from __future__ import annotations

import io

import sqlalchemy as sa
from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _

from ..actors import services as actor_services
from ..actors.models import Actor
from ..auth.permissions import editor_required
from ..core import documents
from ..core.errors import DomainError
from ..core.forms import ConfirmForm
from ..core.views import confirm_delete, flash_not_sent, save_form
from ..extensions import db
from ..mail import queue as mail_queue
from ..topics import services as topic_services
from . import notices, outcomes, protocol, services
from .forms import CandidateForm, CommitmentForm, FollowUpForm, OutcomeForm
from .models import OutcomeKind
from .views import bp


def _actor_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(sa.select(Actor.id, Actor.name).order_by(Actor.name_key))
    return [(row.id, row.name) for row in rows]


def _topics_first(workshop) -> list:
    """The workshop's own topics first, then the others."""
    own = list(workshop.topics)
    return own + [t for t in topic_services.topics() if t not in own]


def _outcome_form(workshop, outcome=None) -> OutcomeForm:
    form = OutcomeForm(obj=outcome, prefix="outcome")
    form.fill_choices(_topics_first(workshop), _actor_choices())
    if request.method == "GET":
        if outcome is not None:
            form.kind.data = outcome.kind.value
            form.actor_ids.data = [a.id for a in outcome.actors]
        elif workshop.topics:
            form.topic_id.data = workshop.topics[0].id
    return form


def _follow_up_form(item=None) -> FollowUpForm:
    form = FollowUpForm(obj=item, prefix="task")
    form.owner_actor_id.choices = [(0, "–")] + _actor_choices()
    if request.method == "GET" and item is not None:
        form.owner_actor_id.data = item.owner_actor_id or 0
    return form


def _page(workshop, form=None, task_form=None, status: int = 200):
    return render_template(
        "workshops/outcomes.html",
        workshop=workshop,
        groups=outcomes.grouped(workshop),
        form=form or _outcome_form(workshop),
        task_form=task_form or _follow_up_form(),
        follow_ups=workshop.follow_up_tasks,
        kinds=OutcomeKind,
    ), status


@bp.route("/workshops/<int:workshop_id>/aussagen")
def outcomes_page(workshop_id: int):
    return _page(services.get_workshop(workshop_id))


@bp.route("/workshops/<int:workshop_id>/aussagen/neu", methods=["POST"])
@editor_required
def new_outcome(workshop_id: int):
    workshop = services.get_workshop(workshop_id)
    form = _outcome_form(workshop)
    return save_form(
        form,
        lambda: outcomes.create_outcome(workshop, form.values()),
        lambda outcome: _("%(kind)s festgehalten.", kind=outcome.kind.label),
        url_for("workshops.outcomes_page", workshop_id=workshop.id) + "#aussagen",
    ) or _page(workshop, form=form, status=422)


@bp.route(
    "/workshops/<int:workshop_id>/aussagen/<int:outcome_id>/bearbeiten", methods=["GET", "POST"]
)
@editor_required
def edit_outcome(workshop_id: int, outcome_id: int):
    workshop = services.get_workshop(workshop_id)
    outcome = outcomes.get_outcome(outcome_id, workshop)
    form = _outcome_form(workshop, outcome)
    return save_form(
        form,
        lambda: outcomes.update_outcome(outcome, form.values()),
        _("Änderungen gespeichert."),
        url_for("workshops.outcomes_page", workshop_id=workshop.id) + "#aussagen",
    ) or render_template(
        "workshops/outcome_form.html", workshop=workshop, outcome=outcome, form=form
    )


@bp.route(
    "/workshops/<int:workshop_id>/aussagen/<int:outcome_id>/loeschen", methods=["GET", "POST"]
)
@editor_required
def delete_outcome(workshop_id: int, outcome_id: int):
    workshop = services.get_workshop(workshop_id)
    outcome = outcomes.get_outcome(outcome_id, workshop)
    back = url_for("workshops.outcomes_page", workshop_id=workshop.id)
    return confirm_delete(
        f"{outcome.kind.label}: {outcome.text[:80]}",
        lambda: outcomes.delete_outcome(outcome),
        _("Gelöscht."),
        back,
        back,
    )


@bp.route(
    "/workshops/<int:workshop_id>/aussagen/<int:outcome_id>/uebernehmen", methods=["GET", "POST"]
)
@editor_required
def confirm_commitment(workshop_id: int, outcome_id: int):
    workshop = services.get_workshop(workshop_id)
    outcome = outcomes.get_outcome(outcome_id, workshop)
    if outcome.kind != OutcomeKind.COMMITMENT:
        abort(404)
    form = CommitmentForm()
    choices = _actor_choices()
    concerned = [(a.id, a.name) for a in outcome.actors]
    form.actor_id.choices = concerned + [c for c in choices if c not in concerned]
    form.target_id.choices = [(0, "–")] + choices
    return save_form(
        form,
        lambda: outcomes.confirm_commitment(outcome, form.values()),
        lambda note: _("Übernommen: %(what)s", what=note),
        url_for("workshops.outcomes_page", workshop_id=workshop.id) + "#aussagen",
    ) or render_template("workshops/commitment.html", workshop=workshop, outcome=outcome, form=form)


@bp.route(
    "/workshops/<int:workshop_id>/aussagen/<int:outcome_id>/kandidat", methods=["GET", "POST"]
)
@editor_required
def create_candidate(workshop_id: int, outcome_id: int):
    workshop = services.get_workshop(workshop_id)
    outcome = outcomes.get_outcome(outcome_id, workshop)
    form = CandidateForm()
    form.category.choices = [("", "–")] + [(c.key, c.label) for c in actor_services.categories()]
    if request.method == "GET":
        form.name.data = outcome.named_organisation
    return save_form(
        form,
        lambda: outcomes.create_candidate(
            outcome, {"name": form.name.data, "category": form.category.data}
        ),
        lambda actor: _("%(name)s ist als Kandidat vermerkt.", name=actor.name),
        lambda actor: url_for("actors.show", actor_id=actor.id),
    ) or render_template("workshops/candidate.html", workshop=workshop, outcome=outcome, form=form)


# --- follow-ups ----------------------------------------------------------------------------------


@bp.route("/workshops/<int:workshop_id>/aufgaben/neu", methods=["POST"])
@editor_required
def new_follow_up(workshop_id: int):
    workshop = services.get_workshop(workshop_id)
    form = _follow_up_form()
    return save_form(
        form,
        lambda: outcomes.create_follow_up(workshop, form.values()),
        _("Nächster Schritt festgehalten."),
        url_for("workshops.outcomes_page", workshop_id=workshop.id) + "#aufgaben",
    ) or _page(workshop, task_form=form, status=422)


@bp.route(
    "/workshops/<int:workshop_id>/aufgaben/<int:follow_up_id>/bearbeiten", methods=["GET", "POST"]
)
@editor_required
def edit_follow_up(workshop_id: int, follow_up_id: int):
    workshop = services.get_workshop(workshop_id)
    item = outcomes.get_follow_up(follow_up_id, workshop)
    form = _follow_up_form(item)
    return save_form(
        form,
        lambda: outcomes.update_follow_up(item, form.values()),
        _("Änderungen gespeichert."),
        url_for("workshops.outcomes_page", workshop_id=workshop.id) + "#aufgaben",
    ) or render_template("workshops/follow_up_form.html", workshop=workshop, item=item, form=form)


@bp.route(
    "/workshops/<int:workshop_id>/aufgaben/<int:follow_up_id>/loeschen", methods=["GET", "POST"]
)
@editor_required
def delete_follow_up(workshop_id: int, follow_up_id: int):
    workshop = services.get_workshop(workshop_id)
    item = outcomes.get_follow_up(follow_up_id, workshop)
    back = url_for("workshops.outcomes_page", workshop_id=workshop.id)
    return confirm_delete(
        item.text, lambda: outcomes.delete_follow_up(item), _("Gelöscht."), back, back
    )


# --- the protocol ---------------------------------------------------------------------------------


def _lang() -> str:
    return str(get_locale() or "de")


@bp.route("/workshops/<int:workshop_id>/protokoll")
def protocol_page(workshop_id: int):
    workshop = services.get_workshop(workshop_id)
    return render_template(
        "workshops/protocol.html",
        workshop=workshop,
        doc=protocol.document(workshop, _lang()),
        confirm=ConfirmForm(),
        recipients=len(protocol.participants(workshop)[1]),
    )


@bp.route("/workshops/<int:workshop_id>/protokoll.<any(docx, pdf):fmt>")
def protocol_file(workshop_id: int, fmt: str):
    workshop = services.get_workshop(workshop_id)
    document = protocol.document(workshop, _lang())
    if fmt == "docx":
        data, mimetype = documents.docx(document), documents.DOCX_MIMETYPE
    else:
        data, mimetype = documents.pdf(document), documents.PDF_MIMETYPE
    name = _("protokoll") + f"-{workshop.id}.{fmt}"
    return send_file(
        io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name, max_age=0
    )


@bp.route("/workshops/<int:workshop_id>/protokoll/senden", methods=["POST"])
@editor_required
def send_protocol(workshop_id: int):
    workshop = services.get_workshop(workshop_id)
    back = url_for("workshops.protocol_page", workshop_id=workshop.id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        batch, counts = notices.send_protocol(workshop)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(back)
    flash_not_sent(counts["blocked"])
    if not counts["queued"]:
        flash(_("Das Protokoll ist an alle schon verschickt."), "info")
        return redirect(back)
    mail_queue.deliver_in_background(current_app._get_current_object(), batch)
    return redirect(url_for("workshops.delivery", workshop_id=workshop.id, batch=batch))
