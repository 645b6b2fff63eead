"""Pictures for the documents, drawn by our own code (core.drawing): the actor map from the
positions the map stored, and small charts of indicators over time. Each comes with a text
alternative; nothing here needs a browser or the map's JavaScript.

The map picture is deliberately plain (circles, lines, labels of the best connected actors);
it can be replaced by a rendering of the map itself later without touching the documents.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import format_date, format_decimal
from flask_babel import gettext as _

from ..actors.models import Actor, Category, Relation
from ..core.drawing import Scene, text_width
from ..extensions import db
from ..network.models import NodePosition
from ..topics.models import ActorTopic, Topic

MAP_WIDTH, MAP_HEIGHT = 760, 560
LABELLED = 24  # actors with a label: the best connected ones


def actor_map(topic_ids: set[int] | None = None) -> tuple[Scene, str] | None:
    """The actor map from the stored positions (None when the map has never been laid out):
    actors as circles in their category's colour, topics as squares, relations as lines.
    With `topic_ids` only the actors of those topics (and the topics) are drawn."""
    stored = {
        key: (x, y)
        for key, x, y in db.session.execute(
            sa.select(NodePosition.key, NodePosition.x, NodePosition.y)
        )
    }
    if not stored:
        return None
    actors = {
        row.id: row
        for row in db.session.execute(
            sa.select(
                Actor.id,
                Actor.name,
                Actor.short_name,
                Category.color,
                Category.label_de,
                Category.key,
            ).join(Category, Actor.category_key == Category.key)
        )
    }
    topics = {row.id: row.code for row in db.session.execute(sa.select(Topic.id, Topic.code))}
    links = list(db.session.execute(sa.select(ActorTopic.actor_id, ActorTopic.topic_id)))
    if topic_ids:
        keep = {a for a, t in links if t in topic_ids}
        actors = {i: a for i, a in actors.items() if i in keep}
        topics = {i: c for i, c in topics.items() if i in topic_ids}
        links = [(a, t) for a, t in links if a in actors and t in topics]
    points = {f"a{i}": stored[f"a{i}"] for i in actors if f"a{i}" in stored}
    points.update({f"t{i}": stored[f"t{i}"] for i in topics if f"t{i}" in stored})
    if len(points) < 2:
        return None
    relations = [
        (s, t)
        for s, t in db.session.execute(sa.select(Relation.source_id, Relation.target_id))
        if f"a{s}" in points and f"a{t}" in points
    ]
    xs = [p[0] for p in points.values()]
    ys = [p[1] for p in points.values()]
    margin, legend = 40, 70
    span_x, span_y = (max(xs) - min(xs)) or 1, (max(ys) - min(ys)) or 1
    scale = min((MAP_WIDTH - 2 * margin) / span_x, (MAP_HEIGHT - 2 * margin - legend) / span_y)

    def at(key: str) -> tuple[float, float]:
        x, y = points[key]
        return margin + (x - min(xs)) * scale, margin + (y - min(ys)) * scale

    scene = Scene(MAP_WIDTH, MAP_HEIGHT)
    for a, t in links:
        if f"a{a}" in points and f"t{t}" in points:
            scene.line(*at(f"a{a}"), *at(f"t{t}"), color="#c9d3de", width=0.6, dash=True)
    for s, t in relations:
        scene.line(*at(f"a{s}"), *at(f"a{t}"), color="#8a94a3", width=0.8)
    degree = Counter()
    for s, t in relations:
        degree[s] += 1
        degree[t] += 1
    for ident, row in actors.items():
        key = f"a{ident}"
        if key in points:
            scene.circle(*at(key), 4 + min(degree[ident], 12) * 0.5, fill=row.color)
    for ident, code in topics.items():
        key = f"t{ident}"
        if key in points:
            x, y = at(key)
            scene.rect(x - 9, y - 9, 18, 18, fill="#1f3a5f")
            scene.text(x, y - 12, code, size=10, anchor="middle", color="#1f3a5f", bold=True)
    named = sorted(actors, key=lambda i: (-degree[i], actors[i].name))[:LABELLED]
    for ident in named:
        key = f"a{ident}"
        if key in points:
            label = actors[ident].short_name or actors[ident].name
            label = label if len(label) <= 28 else label[:27] + "…"
            x, y = at(key)
            anchor = "end" if x > MAP_WIDTH - margin - text_width(label, 8) else "start"
            scene.text(x + (-7 if anchor == "end" else 7), y + 3, label, size=8, anchor=anchor)
    # legend: the most frequent categories
    counts = Counter(row.key for row in actors.values())
    labels = {row.key: (row.label_de, row.color) for row in actors.values()}
    x, y = margin, MAP_HEIGHT - legend + 18
    for key, _n in counts.most_common(8):
        label, color = labels[key]
        label = label if len(label) <= 30 else label[:29] + "…"
        width = 18 + text_width(label, 8)
        if x + width > MAP_WIDTH - margin:
            x, y = margin, y + 16
        scene.circle(x + 4, y - 3, 4, fill=color)
        scene.text(x + 11, y, label, size=8)
        x += width + 14
    description = _(
        "%(actors)s Akteure (Kreise, Farbe nach Kategorie), %(topics)s Themen (Quadrate: "
        "%(codes)s) und %(relations)s Beziehungen (Linien); beschriftet sind die "
        "%(labelled)s am besten vernetzten Akteure.",
        actors=len(actors),
        topics=len(topics),
        codes=", ".join(sorted(topics.values())) or "–",
        relations=len(relations),
        labelled=min(LABELLED, len(actors)),
    )
    return scene, description


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
    width, row = 420, 22
    height = 12 + row * len(counts)
    most = max(n for _, n, _c in counts) or 1
    scene = Scene(width, height)
    for i, (label, n, color) in enumerate(counts):
        y = 8 + i * row
        scene.text(110, y + 13, label, size=10, anchor="end")
        bar = (width - 170) * n / most
        scene.rect(118, y + 2, max(bar, 1 if n else 0), row - 8, fill=color)
        scene.text(124 + bar, y + 13, str(n), size=10)
    return scene
