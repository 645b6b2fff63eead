"""Monitoring pages: per topic the measures by status, indicators against targets and what is
overdue; status updates and measured values on the measure page; the yearly report."""

from __future__ import annotations

import io

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from ..auth.permissions import editor_required
from ..core import documents
from ..core.errors import DomainError
from ..core.timeutil import utcnow
from ..core.views import confirm_delete, form_error
from ..extensions import db
from ..topics.services import find_topic
from . import monitoring, services
from .forms import IndicatorValueForm, StatusUpdateForm
from .views import bp


def _topic():
    ref = request.args.get("topic")
    return find_topic(ref) if ref else None


@bp.route("/monitoring")
def monitoring_page():
    topic = _topic()
    return render_template(
        "programme/monitoring.html",
        overview=monitoring.overview(),
        data=monitoring.page(topic),
        topics=monitoring.topics_with_goals(),
        years=monitoring.years(),
        selected=topic,
    )


@bp.route("/monitoring/jahresbericht.<any(docx, pdf):fmt>")
def yearly_report(fmt: str):
    year = request.args.get("jahr", type=int) or utcnow().year
    topic = _topic()
    document = monitoring.report(year, topic, str(get_locale() or "de"))
    if fmt == "docx":
        data, mimetype = documents.docx(document), documents.DOCX_MIMETYPE
    else:
        data, mimetype = documents.pdf(document), documents.PDF_MIMETYPE
    name = _("jahresbericht") + f"-{year}" + (f"-{topic.code}" if topic else "") + f".{fmt}"
    return send_file(
        io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name, max_age=0
    )


def monitoring_forms() -> dict:
    """The empty forms of the measure page (views.show_measure)."""
    return {
        "update_form": StatusUpdateForm(prefix="update"),
        "value_form": IndicatorValueForm(prefix="value"),
    }


def _measure_page(measure, **forms):
    from .views import show_measure

    return show_measure(measure.id, **forms), 422


@bp.route("/massnahmen/<int:measure_id>/status", methods=["POST"])
@editor_required
def add_status_update(measure_id: int):
    measure = services.get_measure(measure_id)
    form = StatusUpdateForm(prefix="update")
    if form.validate_on_submit():
        try:
            monitoring.add_update(
                measure,
                {
                    "noted_on": form.noted_on.data,
                    "status": form.status.data,
                    "note": form.note.data,
                },
            )
        except DomainError as exc:
            db.session.rollback()
            form_error(form, exc)
        else:
            flash(_("Statusmeldung gespeichert."), "success")
            return redirect(
                url_for("programme.show_measure", measure_id=measure.id) + "#monitoring"
            )
    return _measure_page(measure, update_form=form)


@bp.route("/massnahmen/<int:measure_id>/messwerte", methods=["POST"])
@editor_required
def add_indicator_value(measure_id: int):
    measure = services.get_measure(measure_id)
    form = IndicatorValueForm(prefix="value")
    if form.validate_on_submit():
        try:
            monitoring.add_value(
                measure,
                {
                    "measured_on": form.measured_on.data,
                    "value": form.value.data,
                    "note": form.note.data,
                },
            )
        except DomainError as exc:
            db.session.rollback()
            form_error(form, exc)
        else:
            flash(_("Messwert gespeichert."), "success")
            return redirect(url_for("programme.show_measure", measure_id=measure.id) + "#messwerte")
    return _measure_page(measure, value_form=form)


@bp.route("/massnahmen/<int:measure_id>/status/<int:update_id>/loeschen", methods=["GET", "POST"])
@editor_required
def delete_status_update(measure_id: int, update_id: int):
    measure = services.get_measure(measure_id)
    update = monitoring.get_update(update_id, measure)
    back = url_for("programme.show_measure", measure_id=measure.id)
    return confirm_delete(
        f"{update.noted_on:%d.%m.%Y}: {update.status.label}",
        lambda: monitoring.delete_update(update),
        _("Gelöscht."),
        back,
        back,
    )


@bp.route("/massnahmen/<int:measure_id>/messwerte/<int:value_id>/loeschen", methods=["GET", "POST"])
@editor_required
def delete_indicator_value(measure_id: int, value_id: int):
    measure = services.get_measure(measure_id)
    item = monitoring.get_value(value_id, measure)
    back = url_for("programme.show_measure", measure_id=measure.id)
    return confirm_delete(
        f"{item.measured_on:%d.%m.%Y}: {item.value}",
        lambda: monitoring.delete_value(item),
        _("Gelöscht."),
        back,
        back,
    )
