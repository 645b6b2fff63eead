"""Styles: one table for map, JSON and legend. Colours, shapes and dashes by vocabulary key are
sent with the graph and drawn in the legend, so map and legend cannot drift."""

from __future__ import annotations

import re
from typing import Any

from ..actors.services import categories
from ..actors.vocab import Reciprocity, RelationKind, Sector, Status
from ..topics.models import TopicRole

SECTOR_SHAPES = {
    Sector.ADMINISTRATION: "square",
    Sector.POLITICS: "diamond",
    Sector.CIVIL_SOCIETY: "dot",
    Sector.EDUCATION: "triangle",
    Sector.ECONOMY: "hexagon",
    Sector.PARTNER_CITY: "star",
    Sector.STATE: "triangleDown",
    Sector.MEDIA: "pentagon",  # drawn by map.js (vis has seven shapes with the label below)
}
RELATION_STYLES = {
    RelationKind.COOPERATION: {"color": "#3969ac", "dashes": False},
    RelationKind.PARTNERSHIP: {"color": "#2ca02c", "dashes": False},
    RelationKind.FUNDING: {"color": "#b8860b", "dashes": [10, 5]},
    RelationKind.INSTRUCTION: {"color": "#4b4b4b", "dashes": False},
    RelationKind.MEMBERSHIP: {"color": "#7f3c8d", "dashes": [3, 4]},
    RelationKind.INFORMATION: {"color": "#8a94a3", "dashes": [6, 6]},
    RelationKind.CONFLICT: {"color": "#d62728", "dashes": [12, 4, 3, 4]},
}
ROLE_STYLES = {
    TopicRole.LEAD: {"width": 4, "dashes": False},
    TopicRole.CONTRIBUTING: {"width": 2.5, "dashes": False},
    TopicRole.INTERESTED: {"width": 1.5, "dashes": [2, 4]},
    TopicRole.AFFECTED: {"width": 1.5, "dashes": [8, 4]},
}
TOPIC_LINK_COLOR = "#9aa5b1"
KIND_STYLES = {
    "topic": {"shape": "box", "color": "#0b3b60", "border": "#06243b", "font": "#ffffff"},
    "workshop": {"shape": "box", "color": "#fff4d6", "border": "#8a5a00", "font": "#1d2430"},
    "project": {"shape": "box", "color": "#e6f4ea", "border": "#2e7d32", "font": "#1d2430"},
    "gap": {"shape": "dot", "color": "#f1f1f1", "border": "#7a7a7a", "font": "#5b6472"},
    # an organisation named as missing in a survey: a candidate ghost ("genannt von N")
    "nomination": {"shape": "dot", "color": "#fff4d6", "border": "#8a5a00", "font": "#5b4a00"},
    # a gap of the checklist filled since the comparison day (?seit=)
    "closed_gap": {"shape": "dot", "color": "#e6f4ea", "border": "#1a7f37", "font": "#1a5c2a"},
    "gap_edge": {"color": "#9a9a9a", "dashes": [5, 5]},
    "workshop_edge": {"color": "#c79a3b", "dashes": [2, 3]},
    "project_edge": {"color": "#5aa469", "dashes": [6, 3]},
}
STATUS_STYLES = {
    Status.CANDIDATE: {"border": "#8a5a00", "border_width": 3, "opacity": 1.0},
    Status.INACTIVE: {"border": "#9a9a9a", "border_width": 1, "opacity": 0.35},
}
GAP_DASHES = [5, 4]
# the comparison (?seit=): added since drawn with a thick green border (edges wider, green
# halo), removed since faded and dashed
CHANGE_STYLES = {
    "new": {"border": "#1a7f37", "border_width": 4, "opacity": 1.0, "dashes": False},
    "removed": {"border": "#7a7a7a", "border_width": 1.5, "opacity": 0.3, "dashes": [4, 4]},
}
# relations a survey asked about: named by both sides drawn wider, by one side dotted and pale
RECIPROCITY_STYLES = {
    Reciprocity.CONFIRMED: {"width_bonus": 1.5, "dashes": False, "opacity": 1.0},
    Reciprocity.ONE_SIDED: {"width_bonus": 0, "dashes": [2, 5], "opacity": 0.6},
}


COLOR = re.compile(r"#[0-9a-fA-F]{3,8}")
FALLBACK_COLOR = "#7f7f7f"


def safe_color(value: str | None) -> str:
    """Category colours end up in style attributes and on the canvas: only #rgb(a) values."""
    return value if value and COLOR.fullmatch(value) else FALLBACK_COLOR


def styles() -> dict[str, Any]:
    """Colours, shapes and dashes by vocabulary key: sent with the graph, drawn in the legend."""
    return {
        "categories": {c.key: safe_color(c.color) for c in categories()},
        "sectors": {str(s): shape for s, shape in SECTOR_SHAPES.items()},
        "relations": {str(k): style for k, style in RELATION_STYLES.items()},
        "roles": {str(r): {**style, "color": TOPIC_LINK_COLOR} for r, style in ROLE_STYLES.items()},
        "kinds": KIND_STYLES,
        "status": {str(s): style for s, style in STATUS_STYLES.items()},
        "gap_dashes": GAP_DASHES,
        "reciprocity": {str(r): style for r, style in RECIPROCITY_STYLES.items()},
        "changes": CHANGE_STYLES,
    }


def legend() -> dict[str, list[dict]]:
    """The legend's rows, from the same vocabularies and style table as the map."""
    table = styles()
    return {
        "categories": [
            {"key": c.key, "label": c.label, "color": safe_color(c.color), "sector": str(c.sector)}
            for c in categories()
        ],
        "sectors": [{"key": str(s), "label": s.label, "shape": SECTOR_SHAPES[s]} for s in Sector],
        "relations": [
            {"key": str(k), "label": k.label, **RELATION_STYLES[k]} for k in RelationKind
        ],
        "roles": [{"key": str(r), "label": r.label, **table["roles"][str(r)]} for r in TopicRole],
        "status": [{"key": str(s), "label": s.label, **STATUS_STYLES[s]} for s in STATUS_STYLES],
        "kinds": KIND_STYLES,
        "changes": CHANGE_STYLES,
        "reciprocity": [
            {"key": str(r), "label": r.label, **RECIPROCITY_STYLES[r]} for r in RECIPROCITY_STYLES
        ],
    }


def vocabulary_labels() -> dict[str, dict[str, str]]:
    """Labels for relation kinds and roles, for the side panel and the table."""
    return {
        "relations": {k.value: k.label for k in RelationKind},
        "roles": {r.value: r.label for r in TopicRole},
        "reciprocity": {r.value: r.label for r in Reciprocity},
    }
