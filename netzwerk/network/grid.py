"""The power/interest grid (Mendelow): actors placed by influence and interest."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..actors.models import Actor
from ..actors.services import actor_query, get_actor, update_actor
from ..actors.vocab import Status
from ..extensions import db
from . import analysis

QUADRANT_HINTS = {
    "eng_einbinden": _l("Großer Einfluss, großes Interesse: eng einbinden, mitentscheiden lassen."),
    "zufriedenstellen": _l(
        "Großer Einfluss, geringes Interesse: zufriedenstellen, über Entscheidungen informieren."
    ),
    "informieren": _l("Geringer Einfluss, großes Interesse: regelmäßig informieren, beteiligen."),
    "beobachten": _l(
        "Geringer Einfluss, geringes Interesse: beobachten, mit wenig Aufwand pflegen."
    ),
}
GRID_LIMIT = 400
SCALE = range(1, 6)


def quadrant_label(key: str) -> str:
    return _(analysis.QUADRANT_LABELS[key])


def grid_view(filters: dict[str, str]) -> dict:
    """Actors placed on the 5 × 5 power/interest grid; inactive actors only when asked for."""
    query = actor_query({k: v for k, v in filters.items() if k in ("topic", "category", "status")})
    if not filters.get("status"):
        query = query.where(Actor.status != Status.INACTIVE)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    query = query.order_by(None).order_by(Actor.power.desc(), Actor.interest.desc(), Actor.name_key)
    actors = list(db.session.scalars(query.limit(GRID_LIMIT)).unique())
    cells: dict[tuple[int, int], list] = defaultdict(list)
    entries = []
    for actor in actors:
        key = analysis.quadrant(actor.power, actor.interest)
        entry = {"actor": actor, "quadrant": key, "quadrant_label": quadrant_label(key)}
        cells[(actor.power, actor.interest)].append(entry)
        entries.append(entry)
    counts = defaultdict(int)
    for entry in entries:
        counts[entry["quadrant"]] += 1
    rows = [
        {
            "power": power,
            "cells": [
                {
                    "power": power,
                    "interest": interest,
                    "quadrant": analysis.quadrant(power, interest),
                    "quadrant_label": quadrant_label(analysis.quadrant(power, interest)),
                    "entries": cells.get((power, interest), []),
                }
                for interest in SCALE
            ],
        }
        for power in reversed(SCALE)
    ]
    quadrants = [
        {
            "key": key,
            "label": quadrant_label(key),
            "hint": str(QUADRANT_HINTS[key]),
            "count": counts[key],
        }
        for key in analysis.QUADRANT_LABELS
    ]
    return {
        "rows": rows,
        "entries": sorted(entries, key=lambda e: e["actor"].name_key),
        "quadrants": quadrants,
        "total": total,
        "shown": len(actors),
        "scale": list(SCALE),
    }


def set_power_interest(actor_id: int, power: Any, interest: Any, version: Any = None) -> Actor:
    """Move an actor on the grid: the usual actor update (validated, audited, versioned)."""
    actor = get_actor(actor_id)
    return update_actor(actor, {"power": power, "interest": interest}, version=version or None)
