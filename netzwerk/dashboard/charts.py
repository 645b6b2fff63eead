"""The start page's pictures, drawn on the server (core.drawing): the process as a row of
phases, open gaps per topic, actors by sector and per topic. Each is an SVG image with its text
alternative, shown as <img> (an image runs no script) and legible in print."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import ngettext

from ..actors.vocab import Sector
from ..core.drawing import Scene, bar_chart
from ..workshops.models import Phase, Workshop, WorkshopStatus

# the steps of the process in their order; the steering group and other events run alongside
PROCESS = (
    Phase.ACTOR_IDENTIFICATION,
    Phase.STOCKTAKING,
    Phase.FOCUS_GROUP,
    Phase.CONCEPT_DRAFT,
    Phase.REFLECTION,
    Phase.COUNCIL,
)
DONE, CURRENT, OPEN = "done", "current", "open"
PHASE_STYLE = {  # fill, text
    DONE: ("#2e7d32", "#ffffff"),
    CURRENT: ("#0b3b60", "#ffffff"),
    OPEN: ("#e8ecf1", "#1d2430"),
}
GAP_COLOUR = "#b8860b"
ACTOR_COLOUR = "#3969ac"


@dataclass(frozen=True)
class Chart:
    title: str
    uri: str  # data:image/svg+xml
    description: str  # the text alternative
    width: int


def chart(scene: Scene, title: str, description: str) -> Chart:
    return Chart(title, scene.svg_data_uri(title, description), description, scene.width)


def phase_states(workshops: list[Workshop], now: datetime) -> list[dict]:
    """Per step: held and planned workshops, and its state: done (held, nothing planned),
    current (the step of the next planned workshop; without one, the last step held) or open."""
    held: Counter = Counter()
    planned: Counter = Counter()
    upcoming = []
    for w in workshops:
        if w.status == WorkshopStatus.CANCELLED or w.phase not in PROCESS:
            continue
        if w.status == WorkshopStatus.DONE or (w.starts_at is not None and w.starts_at < now):
            held[w.phase] += 1
        else:
            planned[w.phase] += 1
            if w.starts_at is not None:
                upcoming.append(w)
    current = min(upcoming, key=lambda w: w.starts_at).phase if upcoming else None
    if current is None and held:
        current = max(held, key=PROCESS.index)
    rows = []
    for phase in PROCESS:
        if phase == current:
            state = CURRENT
        elif held[phase] and not planned[phase]:
            state = DONE
        else:
            state = OPEN
        rows.append(
            {"phase": phase, "held": held[phase], "planned": planned[phase], "state": state}
        )
    return rows


def process_chart(rows: list[dict]) -> Chart:
    box, gap, height = 132, 8, 92
    scene = Scene(len(rows) * (box + gap) + 8, height)
    states = {DONE: _("abgeschlossen"), CURRENT: _("aktuell"), OPEN: _("offen")}
    parts = []
    for i, row in enumerate(rows):
        x = 4 + i * (box + gap)
        fill, text = PHASE_STYLE[row["state"]]
        scene.rect(x, 6, box, 40, fill=fill, stroke="#0b3b60" if row["state"] == OPEN else None)
        label = str(row["phase"].label)
        scene.text(x + box / 2, 24, label, size=10.5, anchor="middle", color=text, bold=True)
        scene.text(x + box / 2, 39, states[row["state"]], size=9.5, anchor="middle", color=text)
        counts = _("%(held)s durchgeführt · %(planned)s geplant", **row)
        scene.text(x + box / 2, 64, counts, size=9.5, anchor="middle")
        if i < len(rows) - 1:  # an arrow to the next step
            scene.line(x + box + 1, 26, x + box + gap - 1, 26, color="#5b6472", width=1.5)
        parts.append(f"{label}: {states[row['state']]} ({counts})")
    description = _("Prozessschritte: %(steps)s.", steps="; ".join(parts))
    return chart(scene, _("Der Prozess"), description)


def _per_topic(
    rows: list[tuple[str, str, int]], colour: str, title: str, description: str
) -> Chart:
    """Bars per topic code; the text alternative carries every topic's full name."""
    scene = bar_chart([(code, n, colour) for code, _t, n in rows], width=420, label_width=90)
    return chart(scene, title, description)


def gaps_chart(rows: list[tuple[str, str, int]]) -> Chart | None:
    """(code, title, open gaps) per topic; None without topics."""
    if not rows:
        return None
    items = ", ".join(f"{code} {title}: {n}" for code, title, n in rows)
    description = _("Offene Lücken je Thema: %(items)s.", items=items)
    return _per_topic(rows, GAP_COLOUR, _("Offene Lücken je Thema"), description)


def sectors_chart(counts: dict[str, int]) -> Chart:
    rows = [(str(s.label), counts.get(s.value, 0), ACTOR_COLOUR) for s in Sector]
    scene = bar_chart(rows, width=420, label_width=150)
    total = sum(counts.values())
    description = ngettext(
        "%(num)s Akteur nach Sektor: %(items)s.",
        "%(num)s Akteure nach Sektor: %(items)s.",
        total,
        items=", ".join(f"{label}: {n}" for label, n, _c in rows),
    )
    return chart(scene, _("Akteure nach Sektor"), description)


def topics_chart(rows: list[tuple[str, str, int]]) -> Chart | None:
    """(code, title, actors) per topic; None without topics."""
    if not rows:
        return None
    items = ", ".join(f"{code} {title}: {n}" for code, title, n in rows)
    description = _("Akteure je Thema: %(items)s.", items=items)
    return _per_topic(rows, ACTOR_COLOUR, _("Akteure je Thema"), description)
