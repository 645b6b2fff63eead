"""The Akteurslandkarte as a picture drawn on the server (core.drawing.Scene): the SVG download
of /karte?ansicht=akteurslandkarte, the picture in the council document and the offline export.

The same positions as in the browser (landscape.place via map_data), so the picture and the map
cannot differ: rings as circles, slices as lines, each actor as a dot in its category's colour
with its wrapped label below, missing actor groups as empty dashed slots, title, date and legend.
Every text goes through the Scene, which escapes it for SVG.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from datetime import date
from typing import Any

from flask_babel import format_date
from flask_babel import gettext as _

from ..actors.vocab import Status
from ..core.drawing import Scene, text_width
from . import landscape, map_data, map_styles, reports
from .map_filters import MapFilters

SIDE = 250  # room left and right of the circle for the slice names
HEAD = 78  # title and date
DOT = 9  # an actor's dot (the browser's node is larger; the label stays where it was placed)
SLOT = 11  # a missing actor's dashed slot
LABEL_SIZE = 12
LEGEND_LINE = 20
RING_COLOR = "#b9c3cf"
MUTED = "#5b6472"


def wrap(label: str, width: float = landscape.LABEL_WIDTH) -> list[str]:
    """The label's lines, wrapped at spaces as landscape.label_lines estimates them."""
    lines: list[list[str]] = []
    current = 0.0
    for word in label.split():
        w = len(word) * landscape.CHAR_WIDTH
        if lines and current and current + landscape.CHAR_WIDTH + w <= width:
            lines[-1].append(word)
            current += landscape.CHAR_WIDTH + w
        else:
            lines.append([word])
            current = w
    return [" ".join(words) for words in lines] or [""]


def title_of(filters: MapFilters) -> str:
    topic = reports.resolve_topic(str(filters.topic)) if filters.topic is not None else None
    if topic:
        return _("Akteurslandkarte – %(topic)s", topic=f"{topic['code']} {topic['title']}")
    return _("Akteurslandkarte – alle Themen")


def picture(
    filters: MapFilters, today: date | None = None, numbered: bool = False
) -> tuple[Scene, str, str, list[dict]]:
    """(scene, title, text alternative, key) of the Akteurslandkarte for these filters.

    `numbered` (for documents, where the picture is 16 cm wide): each actor and slot is a
    numbered dot, placed without its label so the circle stays small and the numbers legible;
    the key lists number, name, slice and ring. Otherwise (the SVG download) the labels are
    drawn where the map draws them and the key is empty."""
    filters = dataclasses.replace(filters, view=landscape.VIEW)
    data = map_data.map_data(filters)
    geo = data["landscape"]
    nodes = [n for n in data["nodes"] if "x" in n]
    key: list[dict] = []
    if numbered:
        nodes, geo, key = _numbered(nodes, geo)
    radius = geo["radius"]
    size = 1.6 if numbered else 1.0  # the document's picture is scaled down: larger text
    categories = map_styles.legend()["categories"]
    colours = {c["key"]: c["color"] for c in categories}
    kinds = map_styles.KIND_STYLES

    legend_rows = _legend_rows(nodes, categories)
    side = max(text_width(str(piece["label"]), 14 * size) for piece in geo["slices"]) + 40
    width = int(2 * (radius + side))
    legend_height = 30 + LEGEND_LINE * size * _legend_lines(legend_rows, width, size)
    head = HEAD * size
    height = int(head + 2 * radius + 90 * size + legend_height + 10)
    cx, cy = width / 2, head + 30 * size + radius
    scene = Scene(width, height)
    title = title_of(filters)
    scene.text(24, 34 * size, title, size=20 * size, bold=True, color="#0b3b60")
    scene.text(
        24,
        58 * size,
        _("Stand: %(day)s", day=format_date(today or filters.at or date.today(), format="long")),
        size=12 * size,
        color=MUTED,
    )

    # rings (circles) and slices (lines from the centre outwards), with their names
    scene.circle(cx, cy, geo["centre"], fill=None, stroke=RING_COLOR)
    for ring in geo["rings"]:
        scene.circle(cx, cy, ring["outer"], fill=None, stroke=RING_COLOR)
    for piece in geo["slices"]:
        a = piece["start"]
        scene.line(
            cx + geo["centre"] * math.cos(a),
            cy + geo["centre"] * math.sin(a),
            cx + radius * math.cos(a),
            cy + radius * math.sin(a),
            color=RING_COLOR,
            width=1.2,
        )
        middle = (piece["start"] + piece["end"]) / 2
        x = cx + (radius + 18) * math.cos(middle)
        y = cy + (radius + 18) * math.sin(middle)
        cos = math.cos(middle)
        anchor = "start" if cos > 0.3 else "end" if cos < -0.3 else "middle"
        y += 14 * size if math.sin(middle) > 0.3 else 0
        scene.text(x, y, piece["label"], size=14 * size, anchor=anchor, bold=True)
    for i, ring in enumerate(geo["rings"]):  # along the horizontal line to the left,
        scene.text(  # alternately above and below it, so that narrow rings keep their names
            cx - (ring["inner"] + ring["outer"]) / 2,
            cy - 6 if i % 2 == 0 else cy + 16 * min(size, 1.2),
            ring["label"],
            size=11 * min(size, 1.2),
            anchor="middle",
            color=MUTED,
        )

    at = {n["id"]: (cx + n["x"], cy + n["y"]) for n in nodes}
    relations = {str(kind): style for kind, style in map_styles.RELATION_STYLES.items()}
    for edge in data["edges"]:
        style = relations.get(edge["kind"])
        if style is not None and edge["from"] in at and edge["to"] in at:
            scene.line(
                *at[edge["from"]],
                *at[edge["to"]],
                color=style["color"],
                width=0.8,
                dash=bool(style["dashes"]),
            )

    numbers = {entry["id"]: entry["number"] for entry in key}
    for node in nodes:
        x, y = at[node["id"]]
        kind = node["kind"]
        if kind == "topic":
            box = landscape.topic_box(node["label"], x, y)
            fill = kinds["topic"]["color"]
            scene.rect(box[0], box[1], box[2] - box[0], box[3] - box[1], fill=fill)
            scene.text(x, y + 6, node["label"], size=16, anchor="middle", bold=True, color="#fff")
            continue
        slots = ("gap", "nomination", map_data.CLOSED_GAP)
        radius_dot = (SLOT if kind in slots else DOT) * (1.45 if numbered else 1)
        change = map_styles.CHANGE_STYLES.get(node.get("change"))
        if kind in slots:
            style = kinds[kind]
            scene.circle(x, y, radius_dot, fill="#ffffff", stroke=style["border"], dash=True)
            colour, number_colour = style["font"], style["font"]
        elif node.get("change") == "removed":  # the comparison: removed since, faded
            scene.circle(x, y, radius_dot, fill="#eef0f3", stroke=change["border"], dash=True)
            colour, number_colour = "#6b7480", "#1d2430"
        else:
            candidate = node.get("status") == Status.CANDIDATE
            fill = colours.get(node.get("category"), map_styles.FALLBACK_COLOR)
            stroke = change["border"] if change else "#8a5a00" if candidate else "#ffffff"
            scene.circle(x, y, radius_dot, fill=fill, stroke=stroke)
            colour, number_colour = "#1d2430", _readable_on(fill)
        if numbered:
            number = str(numbers[node["id"]])
            scene.text(x, y + 5, number, size=13, anchor="middle", bold=True, color=number_colour)
            continue
        for i, line in enumerate(wrap(node["label"])):
            scene.text(
                x,
                y + radius_dot + 4 + (i + 1) * 15,
                line,
                size=LABEL_SIZE,
                anchor="middle",
                color=colour,
            )

    _legend(scene, legend_rows, 24, head + 2 * radius + 90 * size, width, size)
    return scene, title, _description(nodes, geo), key


def _readable_on(fill: str) -> str:
    """White or black numbers, whichever is legible on the dot's colour."""
    text = fill.lstrip("#")
    if len(text) == 3:
        text = "".join(c * 2 for c in text)
    try:
        r, g, b = (int(text[i : i + 2], 16) for i in (0, 2, 4))
    except ValueError:
        return "#000000"
    return "#000000" if 0.299 * r + 0.587 * g + 0.114 * b > 150 else "#ffffff"


def _where(node: dict, geo: dict[str, Any]) -> tuple[dict, dict]:
    """The slice and ring a placed node lies in (from its angle and distance)."""
    slices, rings = geo["slices"], geo["rings"]
    angle = math.atan2(node["y"], node["x"])
    piece = next(
        (
            s
            for s in slices
            if any(s["start"] <= a < s["end"] for a in (angle, angle + 2 * math.pi))
        ),
        slices[0],
    )
    r = math.hypot(node["x"], node["y"])
    ring = next((g for g in rings if r <= g["outer"]), rings[-1])
    return piece, ring


def _numbered(nodes: list[dict], geo: dict[str, Any]) -> tuple[list[dict], dict, list[dict]]:
    """The nodes placed again without labels (the same slices and rings, a smaller circle),
    numbered slice by slice and ring by ring, and the key."""
    items, centre, key = [], [], []
    where = {}
    for node in nodes:
        if node["kind"] == "topic":
            centre.append((node["id"], node["label"]))
            continue
        piece, ring = _where(node, geo)
        where[node["id"]] = (piece, ring)
        items.append(
            landscape.Item(
                id=node["id"],
                name=node.get("name") or node["label"],
                slice=piece["key"],
                ring=ring["key"],
            )
        )
    order = {s["key"]: i for i, s in enumerate(geo["slices"])}
    ring_order = {g["key"]: i for i, g in enumerate(geo["rings"])}
    items.sort(key=lambda i: (order[i.slice], ring_order[i.ring], i.name.casefold(), i.id))
    positions, geometry = landscape.place(items, centre)
    counts = {s["key"]: s["count"] for s in geo["slices"]}
    placed_geo = landscape.geometry_json(geometry, counts)
    by_id = {n["id"]: n for n in nodes}
    for number, item in enumerate(items, start=1):
        node = by_id[item.id]
        piece, ring = where[item.id]
        key.append(
            {
                "id": item.id,
                "number": number,
                "name": node.get("name") or node["label"],
                "kind": node["kind"],
                "slice": piece["label"],
                "ring": ring["label"],
            }
        )
    moved = [{**n, "x": positions[n["id"]][0], "y": positions[n["id"]][1]} for n in nodes]
    return moved, placed_geo, key


def _legend_rows(nodes: list[dict], categories: list[dict]) -> list[tuple[str, str, str, bool]]:
    """(label, fill, stroke, dashed) for the categories drawn and the slot kinds."""
    used = {n.get("category") for n in nodes if n["kind"] == "actor"}
    rows = [(c["label"], c["color"], "#ffffff", False) for c in categories if c["key"] in used]
    kinds = {n["kind"] for n in nodes}
    if "gap" in kinds:
        rows.append((_("fehlende Akteursgruppe (leerer Platz)"), "#ffffff", "#7a7a7a", True))
    if "nomination" in kinds:
        rows.append(
            (_("in einer Befragung genannt, fehlt im Netzwerk"), "#ffffff", "#8a5a00", True)
        )
    changes = {n.get("change") for n in nodes}
    new, removed = map_styles.CHANGE_STYLES["new"], map_styles.CHANGE_STYLES["removed"]
    if "new" in changes:
        rows.append((_("neu seit dem Datum (grüner Rand)"), "#d5dae1", new["border"], False))
    if "removed" in changes:
        rows.append(
            (_("entfernt seit dem Datum (blass, gestrichelt)"), "#eef0f3", removed["border"], True)
        )
    if "closed" in changes:
        closed = map_styles.KIND_STYLES["closed_gap"]["border"]
        rows.append((_("Lücke geschlossen seit dem Datum"), "#ffffff", closed, True))
    return rows


def _entry_width(label: str, size: float) -> float:
    return (22 + text_width(label, 11) + 18) * size


def _legend_lines(rows: list, width: float, size: float) -> int:
    lines, x = 1, 24.0
    for label, *_rest in rows:
        if x + _entry_width(label, size) > width - 24 and x > 24:
            lines, x = lines + 1, 24.0
        x += _entry_width(label, size)
    return lines


def _legend(scene: Scene, rows: list, x0: float, y0: float, width: float, size: float) -> None:
    scene.text(x0, y0, _("Legende"), size=12 * size, bold=True)
    x, y = x0, y0 + LEGEND_LINE * size
    for label, fill, stroke, dashed in rows:
        if x + _entry_width(label, size) > width - 24 and x > x0:
            x, y = x0, y + LEGEND_LINE * size
        scene.circle(x + 7 * size, y - 4 * size, 6 * size, fill=fill, stroke=stroke, dash=dashed)
        scene.text(x + 18 * size, y, label, size=11 * size)
        x += _entry_width(label, size)


def _description(nodes: list[dict], geo: dict[str, Any]) -> str:
    """The text alternative: actors per slice and ring, and the empty slots."""
    slices, rings = geo["slices"], geo["rings"]
    actors = [n for n in nodes if n["kind"] == "actor" and n.get("change") != "removed"]
    slots = [n for n in nodes if n["kind"] in ("gap", "nomination")]
    per_slice = Counter(_where(n, geo)[0]["key"] for n in actors)
    per_ring = Counter(_where(n, geo)[1]["key"] for n in actors)
    text = _(
        "%(count)s Akteure in sechs Sektoren (%(slices)s); nach Ringen: %(rings)s.",
        count=len(actors),
        slices=", ".join(f"{s['label']} {per_slice.get(s['key'], 0)}" for s in slices),
        rings=", ".join(f"{g['label']} {per_ring.get(g['key'], 0)}" for g in rings),
    )
    if slots:
        text += " " + _(
            "%(count)s leere Plätze für fehlende Akteure: %(names)s.",
            count=len(slots),
            names="; ".join(f"{n['label']} ({_where(n, geo)[0]['label']})" for n in slots),
        )
    return text
