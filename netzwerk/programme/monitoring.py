"""Monitoring after the council decision: status updates of measures (date, status, note),
measured values of their indicators over time, the monitoring page per topic (measures by
status, indicators against targets, overdue measures) and the yearly report for the council
and the funder (DOCX/PDF)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_request_context
from flask_babel import format_date, format_decimal
from flask_babel import gettext as _
from flask_login import current_user

from ..audit.services import record, reverse, snapshot
from ..core import documents as doc
from ..core.errors import Invalid, NotFound
from ..core.timeutil import utcnow
from ..core.validation import parse_date, parse_decimal, vocab_value
from ..extensions import db
from ..topics.models import Topic
from ..topics.services import natural_key
from . import pictures, services
from .models import Goal, IndicatorScale, IndicatorValue, Measure, MeasureStatus, StatusUpdate

CLOSED = (MeasureStatus.DONE, MeasureStatus.STOPPED)
STATUS_COLOURS = {
    MeasureStatus.PLANNED: "#8a94a3",
    MeasureStatus.RUNNING: "#1f5f8b",
    MeasureStatus.DELAYED: "#d08a00",
    MeasureStatus.DONE: "#2e7d32",
    MeasureStatus.STOPPED: "#b3261e",
}
UPDATE_FIELDS = ["measure_id", "noted_on", "status", "note"]
VALUE_FIELDS = ["measure_id", "measured_on", "value", "note"]


def _who() -> str:
    if has_request_context() and current_user.is_authenticated:
        return current_user.username
    return "system"


# --- status updates ------------------------------------------------------------------------------


def add_update(measure: Measure, data: dict[str, Any], commit: bool = True) -> StatusUpdate:
    """A status on a day with a note; the measure takes the status of its latest update."""
    day = parse_date(data.get("noted_on"), "noted_on") or utcnow().date()
    if day > utcnow().date():
        raise Invalid(_("Eine Statusmeldung kann nicht in der Zukunft liegen."), field="noted_on")
    status = vocab_value(MeasureStatus, data, "status", None)
    if status is None:
        raise Invalid(_("Der Status fehlt."), field="status")
    note = str(data.get("note") or "").strip()
    if len(note) > 5000:
        raise Invalid(_("Die Notiz ist zu lang (höchstens 5000 Zeichen)."), field="note")
    update = StatusUpdate(
        measure=measure, noted_on=day, status=status, note=note, created_by=_who()
    )
    db.session.add(update)
    db.session.flush()
    latest = max(measure.updates, key=lambda u: (u.noted_on, u.id))
    changes = snapshot(update, UPDATE_FIELDS)
    if latest is update and measure.status != status:
        changes["measure_status"] = [measure.status.value, status.value]
        measure.status = status
    record("status_update", update.id, "create", changes, label=measure.title)
    if commit:
        db.session.commit()
    return update


def get_update(update_id: int, measure: Measure) -> StatusUpdate:
    update = db.session.get(StatusUpdate, update_id)
    if update is None or update.measure_id != measure.id:
        raise NotFound(_("Statusmeldung %(update_id)s nicht gefunden.", update_id=update_id))
    return update


def delete_update(update: StatusUpdate) -> None:
    record(
        "status_update",
        update.id,
        "delete",
        reverse(snapshot(update, UPDATE_FIELDS)),
        label=update.measure.title,
    )
    db.session.delete(update)
    db.session.commit()


# --- indicator values ----------------------------------------------------------------------------


def clean_value(measure: Measure, value: Any) -> Decimal:
    scale = measure.indicator_scale
    if not scale.numeric:
        raise Invalid(
            _(
                "Dieser Indikator wird beschrieben, nicht gezählt: Messwerte gibt es "
                "nur für zählbare Indikatoren; den Stand halten Statusmeldungen fest."
            ),
            field="value",
        )
    number = parse_decimal(value, "value")
    if number is None:
        raise Invalid(_("Der Messwert fehlt."), field="value")
    if scale in (IndicatorScale.COUNT, IndicatorScale.EURO) and number < 0:
        raise Invalid(_("Der Messwert kann hier nicht negativ sein."), field="value")
    if scale == IndicatorScale.PERCENT and not Decimal(0) <= number <= Decimal(100):
        raise Invalid(_("Ein Prozentwert liegt zwischen 0 und 100."), field="value")
    return number


def add_value(measure: Measure, data: dict[str, Any], commit: bool = True) -> IndicatorValue:
    day = parse_date(data.get("measured_on"), "measured_on") or utcnow().date()
    if day > utcnow().date():
        raise Invalid(_("Ein Messwert kann nicht in der Zukunft liegen."), field="measured_on")
    number = clean_value(measure, data.get("value"))
    note = str(data.get("note") or "").strip()
    if len(note) > 500:
        raise Invalid(_("Die Notiz ist zu lang (höchstens 500 Zeichen)."), field="note")
    item = IndicatorValue(measure=measure, measured_on=day, value=number, note=note)
    db.session.add(item)
    db.session.flush()
    record("indicator_value", item.id, "create", snapshot(item, VALUE_FIELDS), label=measure.title)
    if commit:
        db.session.commit()
    return item


def get_value(value_id: int, measure: Measure) -> IndicatorValue:
    item = db.session.get(IndicatorValue, value_id)
    if item is None or item.measure_id != measure.id:
        raise NotFound(_("Messwert %(value_id)s nicht gefunden.", value_id=value_id))
    return item


def delete_value(item: IndicatorValue) -> None:
    record(
        "indicator_value",
        item.id,
        "delete",
        reverse(snapshot(item, VALUE_FIELDS)),
        label=item.measure.title,
    )
    db.session.delete(item)
    db.session.commit()


# --- the monitoring page -------------------------------------------------------------------------


def is_overdue(measure: Measure, today: date | None = None) -> bool:
    today = today or utcnow().date()
    return measure.ends_on is not None and measure.ends_on < today and measure.status not in CLOSED


def measures_of(topic: Topic | None) -> list[Measure]:
    filters = {"topic": topic.id} if topic is not None else {}
    return list(db.session.scalars(services.measure_query(filters).options(*services.MEASURE_LOAD)))


def progress(measure: Measure) -> dict[str, Any] | None:
    """The latest value against baseline and target: how far (0–100 %, may pass 100)."""
    if not measure.values:
        return None
    latest = measure.values[-1]
    try:
        baseline = Decimal(measure.baseline) if measure.baseline else Decimal(0)
        target = Decimal(measure.target) if measure.target else None
    except ArithmeticError:
        return None
    share = None
    if target is not None and target != baseline:
        share = float((latest.value - baseline) / (target - baseline) * 100)
    return {"latest": latest, "share": share}


def chart_of(measure: Measure) -> dict[str, Any] | None:
    values = [(v.measured_on, float(v.value)) for v in measure.values]
    scene = pictures.indicator_chart(
        {"baseline": measure.baseline, "target": measure.target}, values
    )
    if scene is None:
        return None
    title = _("%(indicator)s: Messwerte, Ausgangs- und Zielwert", indicator=measure.indicator)
    description = _(
        "%(n)s Messwerte von %(first)s bis %(last)s, zuletzt %(value)s; Ausgangswert "
        "%(baseline)s, Zielwert %(target)s.",
        n=len(values),
        first=format_date(values[0][0]),
        last=format_date(values[-1][0]),
        value=format_decimal(values[-1][1]),
        baseline=measure.baseline or "–",
        target=measure.target or "–",
    )
    return {
        "scene": scene,
        "title": title,
        "description": description,
        "uri": scene.svg_data_uri(title, description),
    }


def status_counts(items: list[Measure]) -> list[tuple[MeasureStatus, int]]:
    counts = Counter(m.status for m in items)
    return [(status, counts[status]) for status in MeasureStatus]


def status_chart(counts: list[tuple[MeasureStatus, int]]) -> dict[str, Any] | None:
    scene = pictures.status_chart([(s.label, n, STATUS_COLOURS[s]) for s, n in counts])
    if scene is None:
        return None
    title = _("Maßnahmen nach Status")
    description = ", ".join(f"{s.label}: {n}" for s, n in counts)
    return {
        "scene": scene,
        "title": title,
        "description": description,
        "uri": scene.svg_data_uri(title, description),
    }


def page(topic: Topic | None) -> dict[str, Any]:
    items = measures_of(topic)
    counts = status_counts(items)
    today = utcnow().date()
    return {
        "topic": topic,
        "measures": items,
        "counts": counts,
        "status_chart": status_chart(counts),
        "overdue": [m for m in items if is_overdue(m, today)],
        "indicators": [
            {"measure": m, "progress": progress(m), "chart": chart_of(m)}
            for m in items
            if m.indicator and m.indicator_scale.numeric
        ],
        "numbers": services.numbering(),
        "today": today,
    }


def overview() -> list[dict[str, Any]]:
    """Per topic: measures, how many by status, how many overdue."""
    today = utcnow().date()
    rows: dict[Any, dict] = {}
    for m in measures_of(None):
        topic = m.goal.topic
        entry = rows.setdefault(
            topic, {"topic": topic, "total": 0, "overdue": 0, "counts": Counter()}
        )
        entry["total"] += 1
        entry["counts"][m.status] += 1
        entry["overdue"] += is_overdue(m, today)
    return sorted(
        rows.values(),
        key=lambda e: (
            e["topic"] is None,
            (e["topic"].priority, natural_key(e["topic"].code)) if e["topic"] else (),
        ),
    )


# --- the yearly report ---------------------------------------------------------------------------


def report(year: int, topic: Topic | None = None, lang: str = "de") -> doc.Document:
    """The year of the programme for the council and the funder: per topic the measures by
    status, what was reported in the year, indicators against targets, what is overdue."""
    if not 2000 <= year <= 2100:
        raise Invalid(_("Unbekanntes Jahr."), field="jahr")
    municipality = current_app.config.get("MUNICIPALITY", "Stadt Aachen")
    title = _("Jahresbericht %(year)s zum Handlungsprogramm", year=year)
    scope = topic.label if topic is not None else _("alle Handlungsfelder")
    items = measures_of(topic)
    numbers = services.numbering()
    end_of_year = date(year, 12, 31)
    today = min(utcnow().date(), end_of_year)
    counts = status_counts(items)
    blocks: list[doc.Block] = [
        doc.Title(
            title,
            f"{municipality} – {scope}",
            [
                _("Koordinierungsstelle Kommunale Entwicklungspolitik"),
                _("Stand %(day)s", day=format_date(utcnow().date(), "long")),
            ],
        ),
        doc.Heading(_("Überblick"), 1),
        doc.Paragraph(
            _(
                "%(n)s Maßnahmen; %(done)s abgeschlossen, %(running)s laufend, %(late)s "
                "überfällig.",
                n=len(items),
                done=sum(1 for m in items if m.status == MeasureStatus.DONE),
                running=sum(1 for m in items if m.status == MeasureStatus.RUNNING),
                late=sum(1 for m in items if is_overdue(m, today)),
            )
        ),
        doc.Table(
            [_("Status"), _("Maßnahmen")],
            [[s.label, str(n)] for s, n in counts],
            widths=[3, 1],
            numeric={1},
        ),
    ]
    chart = status_chart(counts)
    if chart:
        blocks.append(doc.Picture(chart["scene"], chart["title"], chart["description"], 11))
    blocks.append(doc.Heading(_("Statusmeldungen %(year)s", year=year), 1))
    updates = [(u, m) for m in items for u in m.updates if u.noted_on.year == year]
    updates.sort(key=lambda pair: (pair[0].noted_on, numbers.get(("measure", pair[1].id), "")))
    if updates:
        blocks.append(
            doc.Table(
                [_("Datum"), _("Maßnahme"), _("Status"), _("Notiz")],
                [
                    [
                        format_date(u.noted_on),
                        f"{services.full_number(m, numbers)} {m.title}",
                        u.status.label,
                        u.note,
                    ]
                    for u, m in updates
                ],
                widths=[1, 2.6, 1, 3],
            )
        )
    else:
        blocks.append(doc.Paragraph(_("Keine Statusmeldungen in diesem Jahr.")))
    blocks.append(doc.Heading(_("Indikatoren"), 1))
    shown = 0
    for m in items:
        values = [v for v in m.values if v.measured_on <= end_of_year]
        if not (m.indicator and m.indicator_scale.numeric and values):
            continue
        shown += 1
        blocks.append(doc.Heading(f"{services.full_number(m, numbers)} {m.title}", 2))
        blocks.append(
            doc.Facts(
                [
                    (_("Indikator"), m.indicator),
                    (_("Ausgangswert → Zielwert"), f"{m.baseline or '–'} → {m.target or '–'}"),
                    (_("zuletzt gemessen"), _latest(values[-1])),
                ]
            )
        )
        scene = pictures.indicator_chart(
            {"baseline": m.baseline, "target": m.target},
            [(v.measured_on, float(v.value)) for v in values],
        )
        if scene is not None:
            blocks.append(doc.Picture(scene, m.indicator, "", 11))
        blocks.append(
            doc.Table(
                [_("Datum"), _("Wert"), _("Notiz")],
                [[format_date(v.measured_on), format_decimal(v.value), v.note] for v in values],
                widths=[1, 1, 3],
                numeric={1},
            )
        )
    if not shown:
        blocks.append(doc.Paragraph(_("Noch keine Messwerte.")))
    blocks.append(doc.Heading(_("Überfällige Maßnahmen"), 1))
    late = [m for m in items if is_overdue(m, today)]
    if late:
        blocks.append(
            doc.Table(
                [_("Nr."), _("Maßnahme"), _("Ende geplant"), _("Status"), _("Federführend")],
                [
                    [
                        services.full_number(m, numbers),
                        m.title,
                        format_date(m.ends_on),
                        m.status.label,
                        m.lead.name if m.lead else "–",
                    ]
                    for m in late
                ],
                widths=[0.5, 3, 1.1, 1, 2],
            )
        )
    else:
        blocks.append(doc.Paragraph(_("Keine Maßnahme ist überfällig.")))
    return doc.Document(
        title=title,
        blocks=blocks,
        lang=lang,
        subject=title,
        footer=f"{title} – {municipality} – {scope}",
    )


def _latest(value: IndicatorValue) -> str:
    return f"{format_decimal(value.value)} ({format_date(value.measured_on)})"


def years() -> list[int]:
    """Years with an update or a value, and the current one."""
    found = {utcnow().year}
    found.update(
        d.year for d in db.session.scalars(sa.select(StatusUpdate.noted_on)) if d is not None
    )
    found.update(
        d.year for d in db.session.scalars(sa.select(IndicatorValue.measured_on)) if d is not None
    )
    return sorted(found, reverse=True)


def topics_with_goals() -> list[Topic]:
    rows = db.session.scalars(sa.select(Topic).where(Topic.id.in_(sa.select(Goal.topic_id)))).all()
    return sorted(rows, key=lambda t: (t.priority, natural_key(t.code)))
