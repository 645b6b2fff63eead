"""What the map shows: the filters of the page URL and of /api/graph, read and checked once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from flask_babel import gettext as _

from ..actors.services import categories
from ..actors.vocab import Level, Reciprocity, RelationKind, Sector, Status
from ..core.errors import Invalid
from . import past, reports, state
from .graph import category_labels

TRUE = ("1", "true", "ja", "yes", "on", "an")
FALSE = ("0", "false", "nein", "no", "off", "aus")
SIZES = ("degree", "power")
MAX_DEPTH = 3
VIEWS = ("netz", "akteurslandkarte")
PARAMS = {"view": "ansicht", "since": "seit"}  # field → URL name where they differ


@dataclass(frozen=True)
class MapFilters:
    """What the map shows. The same names are used in the page URL and on /api/graph."""

    topic: int | None = None
    category: tuple[str, ...] = ()
    sector: tuple[str, ...] = ()
    level: tuple[str, ...] = ()
    kind: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    # relations named by both sides in a survey (bestaetigt) or by one (einseitig)
    reciprocity: tuple[str, ...] = ()
    ego: str | None = None
    depth: int = 1
    topics: bool = True
    ghosts: bool = True
    # organisations named in surveys but missing from the network (candidate ghost nodes)
    nominations: bool = True
    workshops: bool = True
    projects: bool = False  # the stocktaking's projects: an optional layer
    cancelled: bool = False  # cancelled workshops are left off unless asked for
    labels: bool = True
    size: str = "degree"
    # the picture: the network ("netz") or the Akteurslandkarte (URL: ansicht=akteurslandkarte)
    view: str = "netz"
    # "Stand am": the network at the end of that day (past.py); None: today
    at: date | None = None
    # comparison ("seit"): what was added, removed and closed since the end of that day
    since: date | None = None

    @property
    def in_past(self) -> bool:
        """The map of an earlier day, not of today."""
        return self.at is not None and self.at < past.today()

    @property
    def narrows_actors(self) -> bool:
        return bool(
            self.category
            or self.sector
            or self.level
            or self.kind
            or self.status
            or self.reciprocity
            or self.ego
        )

    def query(self) -> dict[str, Any]:
        """The non-default values as query parameters (for links and the JSON answer)."""
        result: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value == f.default or (f.name == "depth" and not self.ego):
                continue
            if isinstance(value, bool):
                value = "1" if value else "0"
            elif isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, date):
                value = value.isoformat()
            result[PARAMS.get(f.name, f.name)] = value
        return result


def _values(args: Mapping, name: str) -> list[str]:
    raw = args.getlist(name) if hasattr(args, "getlist") else args.get(name)
    if raw is None:
        raw = []
    elif isinstance(raw, str | int):
        raw = [raw]
    found = []
    for item in raw:
        found.extend(part.strip() for part in str(item).split(",") if part.strip())
    return found


def _vocab_values(enum_cls, args: Mapping, name: str) -> tuple[str, ...]:
    result = []
    for value in _values(args, name):
        member = enum_cls.parse(value)
        if member is None:
            allowed = ", ".join(m.value for m in enum_cls)
            raise Invalid(
                _(
                    "Unbekannter Wert für %(name)s: %(value)s (erlaubt: %(allowed)s)",
                    name=name,
                    value=value,
                    allowed=allowed,
                ),
                field=name,
            )
        result.append(member.value)
    return tuple(dict.fromkeys(result))


def _flag(args: Mapping, name: str, default: bool) -> bool:
    values = _values(args, name)
    if not values:
        return default
    text = values[-1].casefold()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise Invalid(
        _("%(name)s muss 1 oder 0 sein, nicht %(value)s.", name=name, value=values[-1]), field=name
    )


def parse_focus(args: Mapping) -> str | None:
    """The actor the map opens on (focus=ID from "Auf der Karte zeigen"): its node id, checked
    like ego=; the map selects it, zooms to it and shows its panel."""
    values = _values(args, "focus")
    if not values:
        return None
    ref = values[0]
    node = ref if ref.startswith("a") else f"a{ref}"
    if state.snapshot().graph.nodes.get(node, {}).get("kind") != "actor":
        raise Invalid(_("Unbekannter Akteur für die Karte: %(ref)s", ref=ref), field="focus")
    return node


def parse_filters(args: Mapping) -> MapFilters:
    """Read and check the filters; an unknown value is an error, never silently ignored. A
    date that is no date is a BadRequest (400), a day after today Invalid (422). The graph is
    only looked at for filters that name a topic, category or actor, so the unfiltered map of
    a fresh process can be answered without building it (map_data.graph_json)."""
    at_values, since_values = _values(args, "at"), _values(args, "seit")
    at = past.parse_day(at_values[0], "at") if at_values else None
    since = past.parse_day(since_values[0], "seit") if since_values else None

    def graph():
        snap = state.snapshot()
        return (
            past.snapshot_at(at, snap).graph if at is not None and at < past.today() else snap.graph
        )

    topic_refs = _values(args, "topic")
    topic = reports.resolve_topic(topic_refs[0], state.snapshot()) if topic_refs else None
    chosen = tuple(dict.fromkeys(_values(args, "category")))
    known = category_labels(graph()) if chosen else {}
    for key in chosen:
        if key not in known:
            raise Invalid(_("Unbekannte Kategorie: %(key)s", key=key), field="category")
    ego = None
    ego_values = _values(args, "ego")
    if ego_values:
        ref = ego_values[0]
        ego = ref if ref.startswith("a") else f"a{ref}"
        if graph().nodes.get(ego, {}).get("kind") != "actor":
            raise Invalid(
                _("Unbekannter Akteur für die Nachbarschaft: %(ref)s", ref=ref), field="ego"
            )
    depth_values = _values(args, "depth")
    depth = 1
    if depth_values:
        try:
            depth = int(depth_values[0])
        except ValueError:
            depth = 0
        if not 1 <= depth <= MAX_DEPTH:
            raise Invalid(
                _("depth muss zwischen 1 und %(MAX_DEPTH)s liegen.", MAX_DEPTH=MAX_DEPTH),
                field="depth",
            )
    size_values = _values(args, "size")
    size = size_values[0] if size_values else "degree"
    if size not in SIZES:
        raise Invalid(
            _("size muss degree oder power sein, nicht %(size)s.", size=size), field="size"
        )
    view_values = _values(args, "ansicht")
    view = view_values[0].casefold() if view_values else VIEWS[0]
    if view not in VIEWS:
        raise Invalid(
            _(
                "ansicht muss netz oder akteurslandkarte sein, nicht %(value)s.",
                value=view_values[0],
            ),
            field="ansicht",
        )
    return MapFilters(
        topic=topic["id"] if topic else None,
        category=chosen,
        sector=_vocab_values(Sector, args, "sector"),
        level=_vocab_values(Level, args, "level"),
        kind=_vocab_values(RelationKind, args, "kind"),
        status=_vocab_values(Status, args, "status"),
        reciprocity=_vocab_values(Reciprocity, args, "reciprocity"),
        ego=ego,
        depth=depth,
        topics=_flag(args, "topics", True),
        ghosts=_flag(args, "ghosts", True),
        nominations=_flag(args, "nominations", True),
        workshops=_flag(args, "workshops", True),
        projects=_flag(args, "projects", False),
        cancelled=_flag(args, "cancelled", False),
        labels=_flag(args, "labels", True),
        size=size,
        view=view,
        at=at,
        since=since,
    )


def filter_choices() -> dict[str, Any]:
    """Options for the filter form: every vocabulary, from its one source."""
    return {
        "topics": reports.topics(),
        "categories": [(c.key, c.label) for c in categories()],
        "sectors": Sector.choices(),
        "levels": Level.choices(),
        "kinds": RelationKind.choices(),
        "statuses": Status.choices(),
        "reciprocities": Reciprocity.choices(),
        "depths": list(range(1, MAX_DEPTH + 1)),
    }
