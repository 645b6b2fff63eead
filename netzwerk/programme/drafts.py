"""Drafts of the programme: a snapshot of goals and measures frozen as v1, v2 …, and the diff
between two snapshots (pure functions on the snapshot dicts)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import has_request_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..audit.services import record
from ..core.errors import Invalid, NotFound
from ..core.timeutil import utcnow
from ..extensions import db
from . import services
from .models import Draft, Goal, Measure

FORMAT = 1  # the shape of a snapshot; a later change of shape raises it

GOAL_DIFF_FIELDS = {
    "topic": _l("Thema"),
    "title": _l("Titel"),
    "description": _l("Beschreibung"),
    "sdg_targets": _l("SDG-Unterziele"),
}
MEASURE_DIFF_FIELDS = {
    "goal": _l("Ziel"),
    "title": _l("Titel"),
    "description": _l("Beschreibung"),
    "lead": _l("federführend"),
    "partners": _l("Partner"),
    "starts_on": _l("Beginn"),
    "ends_on": _l("Ende"),
    "staff_fte": _l("Personal (VZÄ)"),
    "budget": _l("Budget (EUR)"),
    "funding_source": _l("Finanzierung"),
    "indicator": _l("Indikator"),
    "indicator_scale": _l("Skala"),
    "indicator_unit": _l("Einheit"),
    "baseline": _l("Ausgangswert"),
    "target": _l("Zielwert"),
    "status": _l("Status"),
}


def _number(value) -> float | None:
    return float(value) if value is not None else None


def measure_data(measure: Measure, number: str) -> dict[str, Any]:
    return {
        "id": measure.id,
        "number": number,
        "title": measure.title,
        "description": measure.description,
        "lead": measure.lead.name if measure.lead else "",
        "lead_id": measure.lead_actor_id,
        "partners": [a.name for a in measure.partners],
        "partner_ids": [a.id for a in measure.partners],
        "starts_on": measure.starts_on.isoformat() if measure.starts_on else None,
        "ends_on": measure.ends_on.isoformat() if measure.ends_on else None,
        "staff_fte": _number(measure.staff_fte),
        "budget": _number(measure.budget),
        "funding_source": measure.funding_source,
        "indicator": measure.indicator,
        "indicator_scale": measure.indicator_scale.value,
        "indicator_unit": measure.indicator_unit,
        "baseline": measure.baseline,
        "target": measure.target,
        "status": measure.status.value,
        "sources": services.sources(measure.outcomes),
    }


def goal_data(goal: Goal, number: str) -> dict[str, Any]:
    return {
        "id": goal.id,
        "number": number,
        "title": goal.title,
        "description": goal.description,
        "sdg_targets": goal.sdg_targets,
        "sources": services.sources(goal.outcomes),
        "measures": [
            measure_data(m, f"{number}.{n}") for n, m in enumerate(goal.measures, start=1)
        ],
    }


def snapshot_now() -> dict[str, Any]:
    """The programme as it stands, in the shape a draft keeps."""
    topics = []
    for block in services.programme():
        topic = block["topic"]
        topics.append(
            {
                "id": topic.id if topic else None,
                "code": topic.code if topic else "",
                "title": topic.title if topic else "",
                "goals": [
                    goal_data(goal, str(n)) for n, goal in enumerate(block["goals"], start=1)
                ],
            }
        )
    goals = [g for t in topics for g in t["goals"]]
    return {
        "format": FORMAT,
        "topics": topics,
        "counts": {"goals": len(goals), "measures": sum(len(g["measures"]) for g in goals)},
    }


def drafts() -> list[Draft]:
    return list(db.session.scalars(sa.select(Draft).order_by(Draft.number.desc())))


def latest() -> Draft | None:
    return db.session.scalar(sa.select(Draft).order_by(Draft.number.desc()).limit(1))


def get_draft(number: int) -> Draft:
    draft = db.session.scalar(sa.select(Draft).where(Draft.number == number))
    if draft is None:
        raise NotFound(_("Entwurf v%(number)s nicht gefunden.", number=number))
    return draft


def freeze(note: str = "", commit: bool = True) -> Draft:
    """Freeze the programme as the next version; goals and measures edited later leave it as
    it was."""
    note = " ".join(str(note or "").split())
    if len(note) > 500:
        raise Invalid(_("Die Notiz ist zu lang (höchstens 500 Zeichen)."), field="note")
    content = snapshot_now()
    if not content["counts"]["goals"]:
        raise Invalid(
            _("Es gibt noch keine Ziele; ein leerer Entwurf lässt sich nicht einfrieren.")
        )
    number = (db.session.scalar(sa.select(sa.func.max(Draft.number))) or 0) + 1
    user = current_user if has_request_context() and current_user.is_authenticated else None
    draft = Draft(
        number=number,
        note=note,
        created_at=utcnow(),
        created_by=user.username if user is not None else "system",
        content=content,
    )
    db.session.add(draft)
    db.session.flush()
    record(
        "draft",
        draft.id,
        "freeze",
        {"number": [None, number], "note": [None, note], "counts": [None, content["counts"]]},
        label=f"Entwurf v{number}",
    )
    if commit:
        db.session.commit()
    return draft


# --- diff ----------------------------------------------------------------------------------------


def _index(content: dict) -> tuple[dict[int, dict], dict[int, dict]]:
    goals: dict[int, dict] = {}
    measures: dict[int, dict] = {}
    for topic in content.get("topics", []):
        for goal in topic["goals"]:
            goals[goal["id"]] = {**goal, "topic": topic["code"]}
            for measure in goal["measures"]:
                measures[measure["id"]] = {**measure, "goal": f"{topic['code']} {goal['number']}"}
    return goals, measures


def _plain(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "–"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _compare(old: dict[int, dict], new: dict[int, dict], fields: dict) -> list[dict]:
    result = []
    for ident in sorted(old.keys() | new.keys()):
        before, after = old.get(ident), new.get(ident)
        if before is None:
            result.append({"action": "added", "item": after, "fields": []})
        elif after is None:
            result.append({"action": "removed", "item": before, "fields": []})
        else:
            changed = [
                {
                    "field": name,
                    "label": label,
                    "before": _plain(before.get(name)),
                    "after": _plain(after.get(name)),
                }
                for name, label in fields.items()
                if _plain(before.get(name)) != _plain(after.get(name))
            ]
            if changed:
                result.append({"action": "changed", "item": after, "fields": changed})
    order = {"removed": 0, "changed": 1, "added": 2}
    return sorted(
        result,
        key=lambda r: (
            order[r["action"]],
            r["item"].get("topic", r["item"].get("goal", "")),
            [int(p) for p in str(r["item"]["number"]).split(".") if p.isdigit()],
        ),
    )


def diff(old: dict, new: dict) -> dict[str, Any]:
    """What changed from `old` to `new` (two snapshots): goals and measures added, removed or
    changed, each change with the field, its value before and after."""
    old_goals, old_measures = _index(old)
    new_goals, new_measures = _index(new)
    goals = _compare(old_goals, new_goals, GOAL_DIFF_FIELDS)
    measures = _compare(old_measures, new_measures, MEASURE_DIFF_FIELDS)
    summary = {
        action: sum(1 for r in goals + measures if r["action"] == action)
        for action in ("added", "removed", "changed")
    }
    return {"goals": goals, "measures": measures, "summary": summary}


def content_of(ref: str | int) -> tuple[str, dict]:
    """A snapshot by reference: a draft number (1, "v1") or "aktuell"/"current" for now."""
    text = str(ref).strip().lower()
    if text in ("aktuell", "current", "0", ""):
        return "aktuell", snapshot_now()
    number = text[1:] if text.startswith("v") else text
    if not number.isdigit():
        raise Invalid(_("Unbekannter Entwurf: %(ref)s", ref=ref), field="draft")
    draft = get_draft(int(number))
    return draft.label, draft.content


def draft_json(draft: Draft, content: bool = False) -> dict[str, Any]:
    data = {
        "number": draft.number,
        "label": draft.label,
        "note": draft.note,
        "created_at": draft.created_at.isoformat() + "Z",
        "created_by": draft.created_by,
        "counts": draft.content.get("counts", {}),
    }
    if content:
        data["content"] = draft.content
    return data
