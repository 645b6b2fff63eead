"""Programme pages: goals and measures per topic, forms (also prefilled from a workshop
outcome), frozen drafts and their diff."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..actors.models import Actor
from ..audit.models import AuditEntry
from ..auth.permissions import can_edit, editor_required
from ..core.errors import DomainError
from ..core.views import confirm_delete, save_form
from ..extensions import db
from ..topics import services as topic_services
from . import drafts, reflection, services
from .forms import FreezeForm, GoalForm, MeasureForm
from .models import IndicatorScale, MeasureStatus

bp = Blueprint("programme", __name__, url_prefix="/programm")


def _actor_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(sa.select(Actor.id, Actor.name).order_by(Actor.name_key))
    return [(row.id, row.name) for row in rows]


def _history(entity: str, ident: int) -> list[AuditEntry]:
    return db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.entity == entity, AuditEntry.entity_id == ident)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    ).all()


@bp.app_template_global()
def full_number(measure, numbers: dict) -> str:
    return services.full_number(measure, numbers)


@bp.app_template_global()
def source_text(source: dict) -> str:
    """A goal's or measure's origin: "aus Fokusgruppe SDG 12, 14.05.2025, 7 Punkte"."""
    return services.source_text(source)


@bp.route("/")
def index():
    return render_template(
        "programme/index.html",
        blocks=services.programme(),
        numbers=services.numbering(),
        drafts=drafts.drafts()[:3],
        statuses=MeasureStatus,
    )


# --- goals ---------------------------------------------------------------------------------------


def _goal_form(goal=None) -> GoalForm:
    form = GoalForm(obj=goal)
    form.topic_id.choices = [(0, "–")] + [(t.id, t.label) for t in topic_services.topics()]
    outcome = services.get_outcome(request.args.get("outcome")) if goal is None else None
    topic_id = goal.topic_id if goal else (outcome.topic_id if outcome else None)
    form.outcome_ids.choices = services.outcome_choices(topic_id)
    if request.method == "GET":
        if goal is not None:
            form.outcome_ids.data = [o.id for o in goal.outcomes]
        elif outcome is not None:
            prefill = services.prefill_from_outcome(outcome)
            form.title.data = prefill["title"]
            form.description.data = prefill["description"]
            form.topic_id.data = prefill["topic_id"] or 0
            form.outcome_ids.data = prefill["outcome_ids"]
        elif topic := request.args.get("topic", type=int):
            form.topic_id.data = topic
    return form


@bp.route("/ziele/neu", methods=["GET", "POST"])
@editor_required
def new_goal():
    form = _goal_form()
    return save_form(
        form,
        lambda: services.create_goal(form.values()),
        lambda goal: _("Ziel „%(title)s“ angelegt.", title=goal.title),
        lambda goal: url_for("programme.show_goal", goal_id=goal.id),
    ) or render_template("programme/goal_form.html", form=form, goal=None)


@bp.route("/ziele/<int:goal_id>")
def show_goal(goal_id: int):
    goal = services.get_goal(goal_id)
    return render_template(
        "programme/goal.html",
        goal=goal,
        numbers=services.numbering(),
        sources=services.sources(goal.outcomes),
        history=_history("goal", goal.id),
    )


@bp.route("/ziele/<int:goal_id>/bearbeiten", methods=["GET", "POST"])
@editor_required
def edit_goal(goal_id: int):
    goal = services.get_goal(goal_id)
    form = _goal_form(goal)
    return save_form(
        form,
        lambda: services.update_goal(goal, form.values()),
        _("Änderungen gespeichert."),
        url_for("programme.show_goal", goal_id=goal.id),
    ) or render_template("programme/goal_form.html", form=form, goal=goal)


@bp.route("/ziele/<int:goal_id>/loeschen", methods=["GET", "POST"])
@editor_required
def delete_goal(goal_id: int):
    goal = services.get_goal(goal_id)
    return confirm_delete(
        goal.title,
        lambda: services.delete_goal(goal),
        _("Ziel „%(title)s“ gelöscht.", title=goal.title),
        url_for("programme.index"),
        url_for("programme.show_goal", goal_id=goal.id),
        consequences=[_("Maßnahme „%(title)s“", title=m.title) for m in goal.measures],
        kept=[_("Eingefrorene Entwürfe behalten das Ziel, wie es war.")],
    )


@bp.route("/massnahme-aus-ergebnis")
@editor_required
def pick_goal():
    """From a workshop outcome to a measure: choose the goal it serves."""
    outcome = services.get_outcome(request.args.get("outcome"))
    if outcome is None:
        flash(_("Bitte ein Ergebnis eines Workshops wählen."), "error")
        return redirect(url_for("workshops.index"))
    blocks = services.programme()
    blocks.sort(key=lambda b: b["topic"] is None or b["topic"].id != outcome.topic_id)
    return render_template(
        "programme/pick_goal.html",
        outcome=outcome,
        blocks=blocks,
        numbers=services.numbering(),
    )


# --- measures ------------------------------------------------------------------------------------


def _measure_form(measure=None, goal=None) -> MeasureForm:
    form = MeasureForm(obj=measure)
    topic_id = (measure.goal.topic_id if measure else goal.topic_id) if (measure or goal) else None
    form.fill_choices(services.goal_choices(), _actor_choices(), services.outcome_choices(topic_id))
    if request.method == "GET":
        if measure is not None:
            form.load(measure)
        else:
            form.goal_id.data = goal.id
            form.status.data = MeasureStatus.PLANNED.value
            form.indicator_scale.data = IndicatorScale.COUNT.value
            form.lead_actor_id.data = 0
            if outcome := services.get_outcome(request.args.get("outcome")):
                prefill = services.prefill_from_outcome(outcome)
                form.title.data = prefill["title"]
                form.description.data = prefill["description"]
                form.lead_actor_id.data = prefill["lead_actor_id"] or 0
                form.partner_actor_ids.data = prefill["partner_actor_ids"]
                form.outcome_ids.data = prefill["outcome_ids"]
    return form


@bp.route("/ziele/<int:goal_id>/massnahmen/neu", methods=["GET", "POST"])
@editor_required
def new_measure(goal_id: int):
    goal = services.get_goal(goal_id)
    form = _measure_form(goal=goal)
    return save_form(
        form,
        lambda: services.create_measure(form.values()),
        lambda measure: _("Maßnahme „%(title)s“ angelegt.", title=measure.title),
        lambda measure: url_for("programme.show_measure", measure_id=measure.id),
    ) or render_template("programme/measure_form.html", form=form, measure=None, goal=goal)


@bp.route("/massnahmen/<int:measure_id>")
def show_measure(measure_id: int, **forms):
    """The measure with its origin, monitoring (status updates, measured values, chart) and
    the comments from reflection; `forms` carries a monitoring form with its errors."""
    from . import monitoring
    from .monitoring_views import monitoring_forms

    measure = services.get_measure(measure_id)
    return render_template(
        "programme/measure.html",
        measure=measure,
        numbers=services.numbering(),
        sources=services.sources(measure.outcomes),
        history=_history("measure", measure.id),
        comments_here=reflection.comments_by_measure(measure_id=measure.id).get(measure.id, []),
        chart=monitoring.chart_of(measure),
        overdue=monitoring.is_overdue(measure),
        measure_sections=["programme/_monitoring.html", "programme/_measure_comments.html"],
        **{**monitoring_forms(), **forms},
    )


@bp.route("/massnahmen/<int:measure_id>/bearbeiten", methods=["GET", "POST"])
@editor_required
def edit_measure(measure_id: int):
    measure = services.get_measure(measure_id)
    form = _measure_form(measure)
    return save_form(
        form,
        lambda: services.update_measure(measure, form.values()),
        _("Änderungen gespeichert."),
        url_for("programme.show_measure", measure_id=measure.id),
    ) or render_template(
        "programme/measure_form.html", form=form, measure=measure, goal=measure.goal
    )


@bp.route("/massnahmen/<int:measure_id>/loeschen", methods=["GET", "POST"])
@editor_required
def delete_measure(measure_id: int):
    measure = services.get_measure(measure_id)
    return confirm_delete(
        measure.title,
        lambda: services.delete_measure(measure),
        _("Maßnahme „%(title)s“ gelöscht.", title=measure.title),
        url_for("programme.show_goal", goal_id=measure.goal_id),
        url_for("programme.show_measure", measure_id=measure.id),
        consequences=[
            _("%(n)s Statusmeldungen", n=len(measure.updates)),
            _("%(n)s Messwerte", n=len(measure.values)),
        ],
        kept=[_("Eingefrorene Entwürfe behalten die Maßnahme, wie sie war.")],
    )


# --- drafts --------------------------------------------------------------------------------------


@bp.route("/entwuerfe")
def draft_list():
    return render_template(
        "programme/drafts.html", drafts=drafts.drafts(), form=FreezeForm(), current=None
    )


@bp.route("/entwuerfe/neu", methods=["POST"])
@editor_required
def freeze():
    form = FreezeForm()
    if not form.validate_on_submit():
        flash(_("Bitte die Notiz prüfen (höchstens 500 Zeichen)."), "error")
        return redirect(url_for("programme.draft_list"))
    try:
        draft = drafts.freeze(form.note.data or "")
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("programme.draft_list"))
    flash(_("Entwurf %(label)s eingefroren.", label=draft.label), "success")
    return redirect(url_for("programme.show_draft", number=draft.number))


@bp.route("/entwuerfe/v<int:number>")
def show_draft(number: int):
    draft = drafts.get_draft(number)
    return render_template(
        "programme/draft.html",
        draft=draft,
        content=draft.content,
        statuses={s.value: s for s in MeasureStatus},
        **_draft_extras(draft),
    )


def _draft_extras(draft) -> dict:
    """The comments of the reflection links, per measure, and the way to the links."""
    actions = []
    if can_edit():
        actions.append(
            {
                "url": url_for("programme.reflection_links", number=draft.number),
                "label": _("Reflexion: Links und Kommentare"),
            }
        )
    return {"comments": reflection.comments_by_measure(draft), "draft_actions": actions}


@bp.route("/entwuerfe/vergleich")
def compare():
    """?von=v1&zu=v2 (or zu=aktuell); default: the newest draft against the programme now."""
    all_drafts = drafts.drafts()
    default_from = all_drafts[0].label if all_drafts else "aktuell"
    old_ref = request.args.get("von") or default_from
    new_ref = request.args.get("zu") or "aktuell"
    try:
        old_label, old = drafts.content_of(old_ref)
        new_label, new = drafts.content_of(new_ref)
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("programme.draft_list"))
    return render_template(
        "programme/compare.html",
        changes=drafts.diff(old, new),
        old_label=old_label,
        new_label=new_label,
        drafts=all_drafts,
    )
