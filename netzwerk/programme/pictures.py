"""Charts for the documents, drawn by our own code (core.drawing): indicators over time and
measures by status. Each comes with a text alternative; nothing here needs a browser. (The
documents' map is the Akteurslandkarte, network.landscape_picture.)"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import format_date, format_decimal
from flask_babel import gettext as _

from ..core.drawing import Scene, bar_chart


def indicator_chart(measure: dict[str, Any], values: list[tuple[date, float]]) -> Scene | None:
    """Measured values of one indicator over time against its baseline and target (a line
    chart with two dashed reference lines); None without values."""
    if not values:
        return None
    baseline = _float(measure.get("baseline"))
    target = _float(measure.get("target"))
    width, height = 420, 190
    left, right, top, bottom = 52, 16, 18, 34
    numbers = [v for _, v in values] + [n for n in (baseline, target) if n is not None]
    low, high = min(0.0, *numbers), max(numbers) or 1.0
    high = high if high > low else low + 1
    days = [d.toordinal() for d, _ in values]
    first, last = min(days), max(days)
    span = (last - first) or 1

    def xy(day: date, value: float) -> tuple[float, float]:
        x = left + (day.toordinal() - first) / span * (width - left - right)
        if last == first:
            x = left + (width - left - right) / 2
        y = top + (high - value) / (high - low) * (height - top - bottom)
        return x, y

    scene = Scene(width, height)
    scene.line(left, top, left, height - bottom, color="#555555")
    scene.line(left, height - bottom, width - right, height - bottom, color="#555555")
    for value in (low, high):
        _x, y = xy(values[0][0], value)
        scene.text(left - 6, y + 4, format_decimal(value), size=9, anchor="end")
    for value, label, color in (
        (baseline, _("Ausgangswert"), "#8a94a3"),
        (target, _("Zielwert"), "#2e7d32"),
    ):
        if value is None:
            continue
        _x, y = xy(values[0][0], value)
        scene.line(left, y, width - right, y, color=color, dash=True)
        scene.text(
            width - right,
            y - 4,
            f"{label} {format_decimal(value)}",
            size=9,
            anchor="end",
            color=color,
        )
    points = [xy(d, v) for d, v in values]
    scene.polyline(points, color="#1f5f8b", width=2)
    for x, y in points:
        scene.circle(x, y, 3.5, fill="#1f5f8b")
    scene.text(left, height - 12, format_date(values[0][0]), size=9)
    if len(values) > 1:
        scene.text(width - right, height - 12, format_date(values[-1][0]), size=9, anchor="end")
    return scene


def _float(value: Any) -> float | None:
    try:
        return float(str(value).replace(",", "."))
    except (TypeError, ValueError):
        return None


def status_chart(counts: list[tuple[str, int, str]]) -> Scene | None:
    """Measures by status as horizontal bars: (label, count, colour) each."""
    if not any(n for _, n, _c in counts):
        return None
    return bar_chart(counts, width=420, label_width=110)
