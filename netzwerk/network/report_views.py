"""Analysis pages: gaps and findings (/luecken), coverage (/abdeckung), the power/interest grid
(/einfluss-interesse), the reference checklist (/admin/referenz) and the downloads (/export)."""

from __future__ import annotations

import math

import sqlalchemy as sa
from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _

from ..actors.services import categories
from ..actors.vocab import Status
from ..auth.permissions import admin_required, editor_required
from ..core.errors import DomainError
from ..core.forms import ConfirmForm
from ..core.timeutil import utcnow
from ..core.views import confirm_delete, save_form
from ..extensions import db
from ..topics.models import Topic
from . import analysis, exports, history, past, reference_store, reports, state
from . import grid as power_grid
from .blueprint import bp
from .report_forms import GridMoveForm, ReferenceItemForm

METRICS_PER_PAGE = 50
FINDINGS_SHOWN = 100
COVERAGE_PER_PAGE = 100
GRID_FILTERS = ("topic", "category", "status")


def _topic_arg() -> str | None:
    """The ?topic= filter, or None with a message when it names no topic."""
    ref = request.args.get("topic", "").strip() or None
    try:
        reports.resolve_topic(ref)
    except DomainError as exc:
        flash(exc.message, "error")
        return None
    return ref


def _page(total: int, per_page: int) -> tuple[int, int]:
    pages = max(1, math.ceil(total / per_page))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    return page, pages


# --- gaps, findings, metrics ---------------------------------------------------------------------


@bp.route("/luecken")
def gaps():
    topic = _topic_arg()
    sort = request.args.get("sort") or reports.DEFAULT_METRIC_SORT
    try:
        sort_key, descending = reports.parse_sort(sort)
    except DomainError as exc:
        flash(exc.message, "error")
        sort = reports.DEFAULT_METRIC_SORT
        sort_key, descending = reports.parse_sort(sort)
    metrics = reports.metric_rows(sort, topic, stale_ok=True)
    page, pages = _page(len(metrics), METRICS_PER_PAGE)
    start = (page - 1) * METRICS_PER_PAGE
    args = {k: v for k, v in (("topic", topic), ("sort", sort)) if v}
    findings = reports.finding_list(topic, stale_ok=True)
    all_findings = request.args.get("befunde") == "alle"
    groups = reports.gaps_by_topic(topic)
    return render_template(
        "network/gaps.html",
        topics=reports.topics(),
        topic=reports.resolve_topic(topic),
        groups=groups,
        histories=_gap_charts([g["topic"]["id"] for g in groups]),
        unassigned=[] if topic else [i for i in reports.nomination_list() if i["topic"] is None],
        findings=findings if all_findings else findings[:FINDINGS_SHOWN],
        findings_total=len(findings),
        severity_label=reports.severity_label,
        metrics=metrics[start : start + METRICS_PER_PAGE],
        metrics_total=len(metrics),
        sort_key=sort_key,
        descending=descending,
        page=page,
        pages=pages,
        args=args,
        formats=exports.FORMATS,
        analyses_pending=reports.analyses_pending(),
    )


def _gap_charts(topic_ids: list[int]) -> dict[int, dict]:
    """Per topic: how its open gaps developed (history.gap_chart), where there is a history;
    kept with the data state (the audit trail is read once per change, not per visit)."""
    return state.snapshot().value(
        ("gap-charts", tuple(topic_ids), str(get_locale())), lambda: _draw_gap_charts(topic_ids)
    )


def _draw_gap_charts(topic_ids: list[int]) -> dict[int, dict]:
    found = db.session.scalars(sa.select(Topic).where(Topic.id.in_(topic_ids))).all()
    charts = {}
    for topic_id, developed in history.gap_histories(list(found), utcnow()).items():
        chart = history.gap_chart(next(t for t in found if t.id == topic_id), developed)
        if chart is not None:
            charts[topic_id] = chart
    return charts


# --- coverage ------------------------------------------------------------------------------------


@bp.route("/abdeckung")
def coverage():
    category = request.args.get("category", "").strip() or None
    all_actors = request.args.get("alle") == "1"
    view = reports.coverage_view(category, all_actors)
    page, pages = _page(len(view["rows"]), COVERAGE_PER_PAGE)
    start = (page - 1) * COVERAGE_PER_PAGE
    args = {k: v for k, v in (("category", category), ("alle", "1" if all_actors else "")) if v}
    return render_template(
        "network/coverage.html",
        view=view,
        rows=view["rows"][start : start + COVERAGE_PER_PAGE],
        total=len(view["rows"]),
        category=category,
        all_actors=all_actors,
        page=page,
        pages=pages,
        args=args,
    )


# --- power/interest grid -------------------------------------------------------------------------


def _grid_filters(source) -> dict[str, str]:
    return {k: source.get(k, "").strip() for k in GRID_FILTERS if source.get(k, "").strip()}


@bp.route("/einfluss-interesse")
def grid():
    filters = _grid_filters(request.args)
    try:
        view = power_grid.grid_view(filters)
    except DomainError as exc:
        flash(exc.message, "error")
        filters, view = {}, power_grid.grid_view({})
    return render_template(
        "network/grid.html",
        view=view,
        filters=filters,
        topics=reports.topics(),
        categories=categories(),
        statuses=Status,
        move_form=GridMoveForm(),
    )


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json"


@bp.route("/einfluss-interesse/<int:actor_id>", methods=["POST"])
@editor_required
def grid_move(actor_id: int):
    """Set power and interest: from a drag on the grid (fetch, JSON) or the per-actor form."""
    form = GridMoveForm()
    back = url_for("network.grid", **_grid_filters(request.form)) + f"#akteur-{actor_id}"
    if not form.validate_on_submit():
        message = _("Einfluss und Interesse müssen zwischen 1 und 5 liegen.")
        if form.csrf_token.errors:
            message = _(
                "Sicherheitstoken (CSRF) fehlt oder ist ungültig. Bitte laden Sie die Seite neu."
            )
        if _wants_json():
            return jsonify(error=message), 400 if form.csrf_token.errors else 422
        flash(message, "error")
        return redirect(back)
    try:
        actor = power_grid.set_power_interest(
            actor_id, form.power.data, form.interest.data, form.version.data
        )
    except DomainError as exc:
        if _wants_json():
            return jsonify(error=exc.message), exc.status
        flash(exc.message, "error")
        return redirect(back)
    key = analysis.quadrant(actor.power, actor.interest)
    message = _(
        "%(name)s: Einfluss %(power)s, Interesse %(interest)s – %(quadrant)s.",
        name=actor.display_name,
        power=actor.power,
        interest=actor.interest,
        quadrant=power_grid.quadrant_label(key),
    )
    if _wants_json():
        return jsonify(
            id=actor.id,
            power=actor.power,
            interest=actor.interest,
            version=actor.version,
            quadrant=key,
            quadrant_label=power_grid.quadrant_label(key),
            message=message,
        )
    flash(message, "success")
    return redirect(back)


# --- reference checklist (admin) -----------------------------------------------------------------


def _reference_form(item=None) -> ReferenceItemForm:
    form = ReferenceItemForm(obj=item)
    codes = reference_store.topic_codes()
    if item is not None and not item.is_all and item.topic_code not in codes:
        codes.append(item.topic_code)
    form.fill_choices(codes, categories())
    return form


@bp.route("/admin/referenz", methods=["GET", "POST"])
@admin_required
def reference():
    form = _reference_form()
    return save_form(
        form,
        lambda: reference_store.create_item(form.values()),
        lambda item: _("Eintrag „%(label)s“ hinzugefügt.", label=item.label),
        lambda item: url_for("network.reference") + f"#eintrag-{item.id}",
    ) or render_template(
        "network/reference.html", groups=reference_store.grouped_items(), form=form
    )


@bp.route("/admin/referenz/<int:item_id>/bearbeiten", methods=["GET", "POST"])
@admin_required
def edit_reference(item_id: int):
    item = reference_store.get_item(item_id)
    form = _reference_form(item)
    return save_form(
        form,
        lambda: reference_store.update_item(item, form.values()),
        _("Änderungen gespeichert."),
        url_for("network.reference") + f"#eintrag-{item.id}",
    ) or render_template("network/reference_form.html", form=form, item=item)


@bp.route("/admin/referenz/<int:item_id>/loeschen", methods=["GET", "POST"])
@admin_required
def delete_reference(item_id: int):
    item = reference_store.get_item(item_id)
    return confirm_delete(
        _("Referenz-Eintrag %(label)s", label=item.label),
        lambda: reference_store.delete_item(item),
        _("Eintrag „%(label)s“ entfernt.", label=item.label),
        url_for("network.reference"),
        url_for("network.reference"),
    )


@bp.route("/admin/referenz/zuruecksetzen", methods=["GET", "POST"])
@admin_required
def reset_reference():
    form = ConfirmForm()
    if form.validate_on_submit():
        count = reference_store.reset_reference()
        flash(_("Die mitgelieferte Checkliste (%(n)s Einträge) gilt wieder.", n=count), "success")
        return redirect(url_for("network.reference"))
    return render_template("network/reference_reset.html", form=form)


# --- downloads -----------------------------------------------------------------------------------


@bp.route("/export/netzwerk.<fmt>")
def export(fmt: str):
    if fmt not in exports.FORMATS:
        abort(404)
    at = past.parse_day(request.args.get("at"), "at")  # ?at=YYYY-MM-DD: as of that day
    data, mimetype, filename = exports.render(fmt, at)
    current_app.logger.info("network export %s (%s bytes)", fmt, len(data))
    return send_file(
        exports.as_file(data), mimetype=mimetype, as_attachment=True, download_name=filename
    )
