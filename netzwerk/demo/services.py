"""Load the Aachen demo data (a data file) through the same services a user's edits use."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import sqlalchemy as sa
from flask_babel import gettext as _

from ..actors import services as actors
from ..actors.models import Actor
from ..core.errors import Conflict
from ..extensions import db
from ..topics import services as topics

DEMO_FILE = "aachen.json"


def demo_data(path: Path | None = None) -> dict:
    if path is not None:
        return json.loads(Path(path).read_text("utf-8"))
    return json.loads(resources.files(__package__).joinpath(DEMO_FILE).read_text("utf-8"))


def is_empty() -> bool:
    return not db.session.scalar(sa.select(sa.func.count(Actor.id)))


def load_demo(path: Path | None = None) -> dict[str, int]:
    """Load everything in one transaction; refuses to mix with existing actors."""
    if not is_empty():
        raise Conflict(
            _(
                "Die Datenbank enthält schon Akteure; die Demo wird nur in eine leere "
                "Datenbank geladen."
            )
        )
    data = demo_data(path)
    actors.ensure_categories()
    counts = {"topics": 0, "actors": 0, "contacts": 0, "links": 0, "relations": 0}
    try:
        by_code = {}
        for item in data.get("topics", []):
            by_code[item["code"]] = topics.create_topic(item, commit=False)
            counts["topics"] += 1
        by_name = {}
        for item in data.get("actors", []):
            actor = actors.create_actor(item, commit=False)
            by_name[actor.name] = actor
            counts["actors"] += 1
            for contact in item.get("contacts", []):
                actors.create_contact(actor, contact, commit=False)
                counts["contacts"] += 1
            for link in item.get("topics", []):
                topics.link_actor(
                    actor,
                    by_code[link["topic"]],
                    link.get("role", "interessiert"),
                    link.get("note", ""),
                    commit=False,
                )
                counts["links"] += 1
        for item in data.get("relations", []):
            actors.create_relation(
                {
                    **item,
                    "source_id": by_name[item["source"]].id,
                    "target_id": by_name[item["target"]].id,
                },
                commit=False,
            )
            counts["relations"] += 1
        extra = _load_extensions(data, by_name, by_code)
        counts.update(extra)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return counts


def _load_extensions(data: dict, by_name: dict, by_code: dict) -> dict[str, int]:
    """The workshops, projects and programme domains load their parts of the demo file."""
    from ..programme.services import load_demo_programme
    from ..projects.services import load_demo_projects
    from ..workshops.demo import load_demo_workshops

    counts: dict[str, int] = {}
    if data.get("workshops"):
        counts["workshops"] = load_demo_workshops(data["workshops"], by_name, by_code)
    if data.get("projects"):
        counts["projects"] = load_demo_projects(data["projects"], by_name, by_code)
    if data.get("programme"):
        counts.update(load_demo_programme(data["programme"], by_name, by_code))
    return counts
