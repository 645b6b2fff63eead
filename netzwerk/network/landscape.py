"""The Akteurslandkarte (GIZ Capacity WORKS stakeholder map): a circle cut into six sector
slices and three rings (key, primary, secondary actors) around the topic.

Pure functions on plain data, no Flask: which slice and ring an actor or a missing actor (ghost)
belongs to, and where each one sits. The placement is deterministic (same items → same
positions; within a slice and ring the items are taken in name order) and keeps the estimated
label boxes of all nodes apart and inside their slice, so no two labels overlap.

Sector → slice (the actors' eight sectors onto the six slices of the method):
  verwaltung, politik        → Verwaltung und Politik (at level Land or Bund: Land, Bund, …)
  zivilgesellschaft, medien  → Zivilgesellschaft (local media belong to the public sphere)
  bildung                    → Bildung und Wissenschaft
  wirtschaft                 → Wirtschaft
  partnerstadt               → Partnerstädte und international
  staat                      → Land, Bund, Fördermittelgeber
  unknown (a named organisation without category) → Zivilgesellschaft
Rings: Schlüsselakteure = lead role on the topic, or influence and interest both ≥ 4;
Primärakteure = contributing role; Sekundärakteure = everyone else. A missing actor (gap of the
checklist or an organisation named in a survey) sits as a slot in the Primärakteure ring: the
checklist asks for it to contribute.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

VIEW = "akteurslandkarte"

ADMINISTRATION = "verwaltung-politik"
CIVIL_SOCIETY = "zivilgesellschaft"
EDUCATION = "bildung-wissenschaft"
ECONOMY = "wirtschaft"
INTERNATIONAL = "international"
FUNDERS = "land-bund"

# clockwise from the top; the first line at -120°, so that one line runs horizontally to the
# left (the ring names are written along it) and one slice name sits above, one below the circle
FIRST_LINE = -2 * math.pi / 3
SLICES = (
    (ADMINISTRATION, _l("Verwaltung und Politik")),
    (CIVIL_SOCIETY, _l("Zivilgesellschaft")),
    (EDUCATION, _l("Bildung und Wissenschaft")),
    (ECONOMY, _l("Wirtschaft")),
    (INTERNATIONAL, _l("Partnerstädte und international")),
    (FUNDERS, _l("Land, Bund, Fördermittelgeber")),
)
KEY, PRIMARY, SECONDARY = "schluessel", "primaer", "sekundaer"
RINGS = (
    (KEY, _l("Schlüsselakteure")),
    (PRIMARY, _l("Primärakteure")),
    (SECONDARY, _l("Sekundärakteure")),
)
SECTOR_SLICES = {
    "verwaltung": ADMINISTRATION,
    "politik": ADMINISTRATION,
    "zivilgesellschaft": CIVIL_SOCIETY,
    "medien": CIVIL_SOCIETY,
    "bildung": EDUCATION,
    "wirtschaft": ECONOMY,
    "partnerstadt": INTERNATIONAL,
    "staat": FUNDERS,
}
UPPER_LEVELS = ("land", "bund")
ROLE_RANK = {"federfuehrend": 3, "mitwirkend": 2, "interessiert": 1, "betroffen": 1}
HIGH = 4  # influence and interest from 1 to 5: both at least this → key actor

# the drawing (vis-network units; map.js draws with the same sizes)
NODE_SIZE = 16  # the largest node radius in this view (map.js: scaling.max)
FONT_LINE = 17  # one label line at 14 px
CHAR_WIDTH = 7.6  # a generous average glyph width at 14 px, so estimates err on the wide side
LABEL_WIDTH = 190  # labels wrap at this width (map.js: widthConstraint.maximum)
LABEL_GAP = 5  # between node and its label
PAD = 6  # kept free around each label box
LINE_MARGIN = 12  # between a label box and a slice line
CENTRE = 70  # the radius kept for the topic in the middle
MIN_RING = 70  # an empty ring keeps this width, so it stays visible
STEP = 7  # search grid for free places (radius and arc length)
LARGE = 300  # above this many nodes the search grid grows with the square root of the count


def slice_of(sector: str | None, level: str | None = None) -> str:
    key = SECTOR_SLICES.get(sector or "", CIVIL_SOCIETY)
    if key == ADMINISTRATION and level in UPPER_LEVELS:
        return FUNDERS
    return key


def ring_of(roles: Iterable[str], power: int = 0, interest: int = 0) -> str:
    """The ring of an actor by its roles on the topic (all topics when none is chosen)."""
    best = max((ROLE_RANK.get(r, 0) for r in roles), default=0)
    if best >= 3 or (power >= HIGH and interest >= HIGH):
        return KEY
    if best == 2:
        return PRIMARY
    return SECONDARY


def label_lines(label: str, width: float = LABEL_WIDTH) -> list[float]:
    """Estimated widths of the label's lines, wrapped at spaces like vis-network does."""
    lines: list[float] = []
    current = 0.0
    for word in label.split():
        w = len(word) * CHAR_WIDTH
        if current and current + CHAR_WIDTH + w > width:
            lines.append(current)
            current = w
        else:
            current = current + CHAR_WIDTH + w if current else w
    lines.append(current)
    return lines


@dataclass(frozen=True)
class Item:
    """A node to place: id, name (order), slice and ring keys, label (the drawn text)."""

    id: str
    name: str
    slice: str
    ring: str
    label: str = ""


def extent(label: str) -> tuple[float, float, float]:
    """(half width, above, below) of a node with its label below it, around its centre."""
    lines = label_lines(label) if label else []
    width = max([2 * NODE_SIZE, *lines]) + 2 * PAD
    below = NODE_SIZE + (LABEL_GAP + len(lines) * FONT_LINE if lines else 0) + PAD
    return (width / 2, NODE_SIZE + PAD, below)


def box(label: str, x: float, y: float) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of a node with its label below it."""
    half, above, below = extent(label)
    return (x - half, y - above, x + half, y + below)


def _inside(b: tuple[float, float, float, float], start: float, end: float, inner: float) -> bool:
    """The box lies in the wedge between the angles (radians) with a margin to both lines,
    and outside the circle of radius inner."""
    u0 = (math.cos(start), math.sin(start))
    u1 = (math.cos(end), math.sin(end))
    for px, py in ((b[0], b[1]), (b[2], b[1]), (b[0], b[3]), (b[2], b[3])):
        if u0[0] * py - u0[1] * px < LINE_MARGIN:  # left of the start line
            return False
        if px * u1[1] - py * u1[0] < LINE_MARGIN:  # right of the end line
            return False
    nx = min(max(0.0, b[0]), b[2]) if not (b[0] <= 0 <= b[2]) else 0.0
    ny = min(max(0.0, b[1]), b[3]) if not (b[1] <= 0 <= b[3]) else 0.0
    return math.hypot(nx, ny) >= inner + PAD


def _far(b: tuple[float, float, float, float]) -> float:
    return max(math.hypot(x, y) for x in (b[0], b[2]) for y in (b[1], b[3]))


class _Boxes:
    """Placed boxes in a coarse grid, for fast overlap checks."""

    CELL = 200.0

    def __init__(self):
        self.grid: dict[tuple[int, int], list] = {}

    def _cells(self, b):
        c = self.CELL
        for i in range(math.floor(b[0] / c), math.floor(b[2] / c) + 1):
            for j in range(math.floor(b[1] / c), math.floor(b[3] / c) + 1):
                yield (i, j)

    def free(self, b) -> bool:
        for cell in self._cells(b):
            for o in self.grid.get(cell, ()):
                if b[0] < o[2] and o[0] < b[2] and b[1] < o[3] and o[1] < b[3]:
                    return False
        return True

    def add(self, b) -> None:
        for cell in self._cells(b):
            self.grid.setdefault(cell, []).append(b)


def slice_angles(index: int) -> tuple[float, float]:
    """Start and end angle (radians, canvas: y downwards, clockwise) of slice number index."""
    width = 2 * math.pi / len(SLICES)
    start = FIRST_LINE + index * width
    return start, start + width


TOPIC_LINE = 36  # topic boxes in the middle, one below the other


def topic_box(label: str, x: float, y: float) -> tuple[float, float, float, float]:
    """A topic is a box with its code inside (18 px)."""
    width = len(label) * 11 + 24
    return (x - width / 2, y - 16, x + width / 2, y + 16)


def place(
    items: Iterable[Item], centre: Iterable[tuple[str, str]] = ()
) -> tuple[dict[str, tuple[float, float]], dict]:
    """Positions of the items and the drawing's geometry:
    ({id: (x, y)}, {"centre": r, "rings": [{"key", "inner", "outer"}], "radius": R}).

    Ring by ring from the centre, slice by slice, each item in name order takes the free place
    nearest to the centre and to the middle of its slice whose label box stays inside the slice
    and its ring and overlaps no box placed before."""
    by_cell: dict[tuple[str, str], list[Item]] = {}
    count = 0
    for item in items:
        by_cell.setdefault((item.ring, item.slice), []).append(item)
        count += 1
    step = STEP * max(1.0, (count / LARGE) ** 0.5)  # a coarser search for large maps
    boxes = _Boxes()
    positions: dict[str, tuple[float, float]] = {}
    middle_items = list(centre)
    radius = CENTRE
    for i, (node, label) in enumerate(middle_items):
        y = (i - (len(middle_items) - 1) / 2) * TOPIC_LINE
        b = topic_box(label, 0.0, y)
        boxes.add(b)
        positions[node] = (0.0, round(y, 1))
        radius = max(radius, _far(b) + PAD)
    rings = []
    inner = radius
    for ring, _label in RINGS:
        outer = inner + MIN_RING
        for index, (slice_key, _name) in enumerate(SLICES):
            start, end = slice_angles(index)
            middle = (start + end) / 2
            half = (end - start) / 2
            cell = sorted(
                by_cell.get((ring, slice_key), []), key=lambda i: (i.name.casefold(), i.id)
            )
            r = inner + NODE_SIZE  # the next item of the cell searches from the last one's radius
            for item in cell:
                dims = extent(item.label)
                x, y, r = _free_spot(dims, boxes, start, end, middle, half, inner, r, step)
                b = (x - dims[0], y - dims[1], x + dims[0], y + dims[2])
                boxes.add(b)
                positions[item.id] = (round(x, 1), round(y, 1))
                outer = max(outer, _far(b) + PAD)
        rings.append({"key": ring, "inner": round(inner, 1), "outer": round(outer, 1)})
        inner = outer
    return positions, {"centre": round(radius, 1), "rings": rings, "radius": round(inner, 1)}


def _free_spot(
    dims: tuple[float, float, float],
    boxes: _Boxes,
    start: float,
    end: float,
    middle: float,
    half: float,
    inner: float,
    r: float,
    step: float = STEP,
) -> tuple[float, float, float]:
    """The first free place from radius r outwards, at each radius from the slice's middle."""
    w, above, below = dims
    while True:
        steps = int(half * r / step)
        for k in range(2 * steps + 1):
            offset = ((k + 1) // 2) * (1 if k % 2 else -1) * step / r
            angle = middle + offset
            x, y = r * math.cos(angle), r * math.sin(angle)
            b = (x - w, y - above, x + w, y + below)
            if _inside(b, start, end, inner) and boxes.free(b):
                return x, y, r
        r += step


def geometry_json(geometry: Mapping, ring_counts: Mapping[str, int] | None = None) -> dict:
    """The drawing's circles, lines and names for map.js, in the reader's language."""
    return {
        "centre": geometry["centre"],
        "radius": geometry["radius"],
        "rings": [
            {**ring, "label": str(label)}
            for ring, (_key, label) in zip(geometry["rings"], RINGS, strict=True)
        ],
        "slices": [
            {
                "key": key,
                "label": str(label),
                "start": slice_angles(i)[0],
                "end": slice_angles(i)[1],
                "count": (ring_counts or {}).get(key, 0),
            }
            for i, (key, label) in enumerate(SLICES)
        ],
    }
