"""Goals and measures of the action programme: validation and changes (one transaction each,
audited), list queries, traceability to workshop outcomes, and the programme's part of the
actor and topic pages."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from ..actors.models import Actor
from ..audit.services import apply_changes, record, reverse, snapshot
from ..core.errors import Invalid, NotFound
from ..core.timeutil import DEFAULT_TZ, in_zone
from ..core.validation import date_range, parse_date, parse_decimal, vocab_value
from ..extensions import db
from ..projects.services import clean_targets
from ..topics.models import Topic
from ..topics.services import find_topic, natural_key
from ..workshops.models import Outcome
from .models import Goal, IndicatorScale, Measure, MeasureStatus

GOAL_FIELDS = ["topic_id", "title", "description", "sdg_targets"]
MEASURE_FIELDS = [
    "goal_id",
    "title",
    "description",
    "lead_actor_id",
    "starts_on",
    "ends_on",
    "staff_fte",
    "budget",
    "funding_source",
    "indicator",
    "indicator_scale",
    "indicator_unit",
    "baseline",
    "target",
    "status",
]


# --- look-ups ------------------------------------------------------------------------------------


def get_goal(goal_id: int) -> Goal:
    goal = db.session.get(Goal, goal_id)
    if goal is None:
        raise NotFound(_("Ziel %(goal_id)s nicht gefunden.", goal_id=goal_id))
    return goal


def get_measure(measure_id: int) -> Measure:
    measure = db.session.get(Measure, measure_id)
    if measure is None:
        raise NotFound(_("Maßnahme %(measure_id)s nicht gefunden.", measure_id=measure_id))
    return measure


def get_outcome(outcome_id: Any) -> Outcome | None:
    try:
        return db.session.get(Outcome, int(outcome_id))
    except (TypeError, ValueError):
        return None


def _ids(value: Any, field: str) -> list:
    if value in (None, ""):
        return []
    if isinstance(value, list | tuple | set):
        return [v for v in value if v not in (None, "")]
    raise Invalid(_("%(field)s muss eine Liste sein.", field=field), field=field)


def _actor(value: Any, field: str) -> Actor | None:
    if value in (None, "", 0, "0"):
        return None
    try:
        actor = db.session.get(Actor, int(value))
    except (TypeError, ValueError) as exc:
        raise Invalid(
            _("%(field)s muss die Nummer eines Akteurs sein.", field=field), field=field
        ) from exc
    if actor is None:
        raise Invalid(_("Unbekannter Akteur: %(value)s", value=value), field=field)
    return actor


def _outcomes(value: Any, field: str = "outcome_ids") -> list[Outcome]:
    found: list[Outcome] = []
    for ref in _ids(value, field):
        outcome = get_outcome(ref)
        if outcome is None:
            raise Invalid(_("Unbekanntes Workshop-Ergebnis: %(ref)s", ref=ref), field=field)
        if outcome not in found:
            found.append(outcome)
    return found


def _text(data: dict, obj: Any, field: str, limit: int, required: str = "") -> str:
    value = data[field] if field in data else getattr(obj, field, "")
    value = "" if value is None else str(value).strip()
    if field in ("title", "indicator", "funding_source", "indicator_unit"):
        value = " ".join(value.split())
    if required and not value:
        raise Invalid(required, field=field)
    if len(value) > limit:
        raise Invalid(
            _("%(field)s ist zu lang (höchstens %(limit)s Zeichen).", field=field, limit=limit),
            field=field,
        )
    return value


# --- goals ---------------------------------------------------------------------------------------


def clean_goal(data: dict[str, Any], goal: Goal | None) -> dict[str, Any]:
    ref = (
        data["topic_id"]
        if "topic_id" in data
        else data.get("topic", goal.topic_id if goal else None)
    )
    topic = None
    if ref not in (None, "", 0, "0"):
        topic = ref if isinstance(ref, Topic) else find_topic(ref)
        if topic is None:
            raise Invalid(_("Unbekanntes Thema: %(ref)s", ref=ref), field="topic_id")
    if topic is None:
        raise Invalid(
            _("Das Thema fehlt: jedes Ziel gehört zu einem Handlungsfeld."), field="topic_id"
        )
    values = {
        "topic_id": topic.id,
        "title": _text(data, goal, "title", 300, _("Der Titel des Ziels fehlt.")),
        "description": _text(data, goal, "description", 20000),
        "sdg_targets": clean_targets(data.get("sdg_targets", goal.sdg_targets if goal else "")),
    }
    if "outcome_ids" in data or goal is None:
        values["outcomes"] = _outcomes(data.get("outcome_ids"))
    return values


def _set_links(obj: Any, values: dict[str, Any]) -> dict[str, list]:
    """Apply plain values and the lists (outcomes, partners) with their audit changes."""
    lists = {k: values.pop(k) for k in ("outcomes", "partners") if k in values}
    changes = apply_changes(obj, values)
    for name, items in lists.items():
        before = sorted(x.id for x in getattr(obj, name))
        after = sorted(x.id for x in items)
        if before != after:
            setattr(obj, name, items)
            changes[name] = [before, after]
    return changes


def create_goal(data: dict[str, Any], commit: bool = True) -> Goal:
    values = clean_goal(data, None)
    last = db.session.scalar(
        sa.select(sa.func.max(Goal.position)).where(Goal.topic_id == values["topic_id"])
    )
    goal = Goal(title=values["title"], position=(last or 0) + 1)
    _set_links(goal, values)
    db.session.add(goal)
    db.session.flush()
    changes = snapshot(goal, GOAL_FIELDS)
    changes["outcomes"] = [None, [o.id for o in goal.outcomes]]
    record("goal", goal.id, "create", changes, label=goal.title)
    if commit:
        db.session.commit()
    return goal


def update_goal(goal: Goal, data: dict[str, Any]) -> Goal:
    changes = _set_links(goal, clean_goal(data, goal))
    if changes:
        record("goal", goal.id, "update", changes, label=goal.title)
    db.session.commit()
    return goal


def delete_goal(goal: Goal) -> None:
    changes = reverse(snapshot(goal, GOAL_FIELDS))
    changes["removed"] = [{"measures": len(goal.measures)}, None]
    record("goal", goal.id, "delete", changes, label=goal.title)
    db.session.delete(goal)
    db.session.commit()


# --- measures ------------------------------------------------------------------------------------


def _indicator_value(value: Any, scale: IndicatorScale, field: str) -> str:
    """A baseline or target: a number for numeric scales (0–100 for percent), text else."""
    text = "" if value is None else str(value).strip()
    if not text or not scale.numeric:
        if len(text) > 100:
            raise Invalid(
                _("%(field)s ist zu lang (höchstens 100 Zeichen).", field=field), field=field
            )
        return text
    try:
        number = parse_decimal(text.replace("%", ""), field)
    except Invalid as exc:
        raise Invalid(
            _(
                "%(field)s: „%(text)s“ ist keine Zahl; der Indikator wird in "
                "„%(label)s“ gemessen. Für nicht zählbare Ziele die Skala "
                "„Beschreibung“ wählen.",
                field=field,
                text=text,
                label=scale.label,
            ),
            field=field,
        ) from exc
    if scale == IndicatorScale.PERCENT and not Decimal(0) <= number <= Decimal(100):
        raise Invalid(
            _("%(field)s: ein Prozentwert liegt zwischen 0 und 100.", field=field), field=field
        )
    return format(number.normalize(), "f")


def clean_measure(data: dict[str, Any], measure: Measure | None) -> dict[str, Any]:
    def current(field: str, default: Any = None) -> Any:
        return data[field] if field in data else getattr(measure, field, default)

    goal_ref = current("goal_id")
    goal = None
    if goal_ref not in (None, "", 0, "0"):
        try:
            goal = db.session.get(Goal, int(goal_ref))
        except (TypeError, ValueError):
            goal = None
        if goal is None:
            raise Invalid(_("Unbekanntes Ziel: %(goal_ref)s", goal_ref=goal_ref), field="goal_id")
    if goal is None:
        raise Invalid(_("Das Ziel fehlt: jede Maßnahme gehört zu einem Ziel."), field="goal_id")
    starts = parse_date(current("starts_on"), "starts_on")
    ends = parse_date(current("ends_on"), "ends_on")
    date_range(starts, ends, "ends_on")
    scale = vocab_value(
        IndicatorScale,
        data,
        "indicator_scale",
        measure.indicator_scale if measure else IndicatorScale.COUNT,
    )
    lead = _actor(current("lead_actor_id"), "lead_actor_id")
    values = {
        "goal_id": goal.id,
        "title": _text(data, measure, "title", 300, _("Der Titel der Maßnahme fehlt.")),
        "description": _text(data, measure, "description", 20000),
        "lead_actor_id": lead.id if lead else None,
        "starts_on": starts,
        "ends_on": ends,
        "staff_fte": _amount(current("staff_fte"), "staff_fte", Decimal("0.01")),
        "budget": _amount(current("budget"), "budget", Decimal("0.01")),
        "funding_source": _text(data, measure, "funding_source", 200),
        "indicator": _text(data, measure, "indicator", 300),
        "indicator_scale": scale,
        "indicator_unit": _text(data, measure, "indicator_unit", 40),
        "baseline": _indicator_value(current("baseline", ""), scale, "baseline"),
        "target": _indicator_value(current("target", ""), scale, "target"),
        "status": vocab_value(
            MeasureStatus, data, "status", measure.status if measure else MeasureStatus.PLANNED
        ),
    }
    if "partner_actor_ids" in data or measure is None:
        partners: list[Actor] = []
        for ref in _ids(data.get("partner_actor_ids"), "partner_actor_ids"):
            actor = _actor(ref, "partner_actor_ids")
            if actor is not None and actor not in partners and actor != lead:
                partners.append(actor)
        values["partners"] = partners
    if "outcome_ids" in data or measure is None:
        values["outcomes"] = _outcomes(data.get("outcome_ids"))
    return values


def _amount(value: Any, field: str, quantum: Decimal) -> Decimal | None:
    number = parse_decimal(value, field, minimum=Decimal(0))
    return number.quantize(quantum) if number is not None else None


def create_measure(data: dict[str, Any], commit: bool = True) -> Measure:
    values = clean_measure(data, None)
    last = db.session.scalar(
        sa.select(sa.func.max(Measure.position)).where(Measure.goal_id == values["goal_id"])
    )
    measure = Measure(title=values["title"], position=(last or 0) + 1)
    _set_links(measure, values)
    db.session.add(measure)
    db.session.flush()
    changes = snapshot(measure, MEASURE_FIELDS)
    changes["partners"] = [None, [a.id for a in measure.partners]]
    changes["outcomes"] = [None, [o.id for o in measure.outcomes]]
    record("measure", measure.id, "create", changes, label=measure.title)
    if commit:
        db.session.commit()
    return measure


def update_measure(measure: Measure, data: dict[str, Any], commit: bool = True) -> Measure:
    changes = _set_links(measure, clean_measure(data, measure))
    if changes:
        record("measure", measure.id, "update", changes, label=measure.title)
    if commit:
        db.session.commit()
    return measure


def delete_measure(measure: Measure) -> None:
    record(
        "measure", measure.id, "delete", reverse(snapshot(measure, MEASURE_FIELDS)), measure.title
    )
    db.session.delete(measure)
    db.session.commit()


# --- lists and pages -----------------------------------------------------------------------------

GOAL_LOAD = (
    selectinload(Goal.topic),
    selectinload(Goal.outcomes).selectinload(Outcome.workshop),
    selectinload(Goal.measures).selectinload(Measure.lead),
    selectinload(Goal.measures).selectinload(Measure.partners),
    selectinload(Goal.measures).selectinload(Measure.outcomes).selectinload(Outcome.workshop),
)
MEASURE_LOAD = (
    selectinload(Measure.goal).selectinload(Goal.topic),
    selectinload(Measure.lead),
    selectinload(Measure.partners),
    selectinload(Measure.outcomes).selectinload(Outcome.workshop),
)


def goal_query(filters: dict[str, Any]) -> sa.Select:
    query = sa.select(Goal).outerjoin(Topic, Goal.topic_id == Topic.id)
    if ref := filters.get("topic"):
        topic = find_topic(ref)
        if topic is None:
            raise Invalid(_("Unbekanntes Thema: %(ref)s", ref=ref), field="topic")
        query = query.where(Goal.topic_id == topic.id)
    if q := (filters.get("q") or "").strip():
        like = f"%{q.casefold()}%"
        query = query.where(
            sa.or_(sa.func.lower(Goal.title).like(like), sa.func.lower(Goal.description).like(like))
        )
    return query.order_by(
        Topic.priority.is_(None), Topic.priority, Topic.code, Goal.position, Goal.id
    )


def measure_query(filters: dict[str, Any]) -> sa.Select:
    query = (
        sa.select(Measure)
        .join(Goal, Measure.goal_id == Goal.id)
        .outerjoin(Topic, Goal.topic_id == Topic.id)
    )
    if value := filters.get("goal"):
        query = query.where(Measure.goal_id == _int(value, "goal"))
    if ref := filters.get("topic"):
        topic = find_topic(ref)
        if topic is None:
            raise Invalid(_("Unbekanntes Thema: %(ref)s", ref=ref), field="topic")
        query = query.where(Goal.topic_id == topic.id)
    if value := filters.get("status"):
        query = query.where(
            Measure.status == vocab_value(MeasureStatus, {"status": value}, "status", None)
        )
    if value := filters.get("actor"):
        ident = _int(value, "actor")
        query = query.where(
            sa.or_(Measure.lead_actor_id == ident, Measure.partners.any(Actor.id == ident))
        )
    if q := (filters.get("q") or "").strip():
        like = f"%{q.casefold()}%"
        query = query.where(
            sa.or_(
                sa.func.lower(Measure.title).like(like),
                sa.func.lower(Measure.description).like(like),
            )
        )
    return query.order_by(
        Topic.priority.is_(None),
        Topic.priority,
        Topic.code,
        Goal.position,
        Goal.id,
        Measure.position,
        Measure.id,
    )


def _int(value: Any, field: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise Invalid(
            _("%(field)s muss eine Nummer sein: %(value)s", field=field, value=value), field=field
        ) from exc


def goals(filters: dict[str, Any] | None = None) -> list[Goal]:
    return list(db.session.scalars(goal_query(filters or {}).options(*GOAL_LOAD)))


def programme() -> list[dict[str, Any]]:
    """Topic by topic (priority, then code), the goals with numbers (1, 2 …) and their
    measures (1.1, 1.2 …): what the programme page and the drafts show."""
    by_topic: dict[Any, list[Goal]] = {}
    for goal in goals():
        by_topic.setdefault(goal.topic, []).append(goal)
    topics = sorted(
        by_topic,
        key=lambda t: (t is None, (t.priority, natural_key(t.code)) if t else ()),
    )
    return [{"topic": t, "goals": by_topic[t]} for t in topics]


def numbering() -> dict[tuple[str, int], str]:
    """("goal"|"measure", id) → its number in the programme: goals 1, 2 … per topic,
    measures 1.1, 1.2 … per goal."""
    numbers: dict[tuple[str, int], str] = {}
    for block in programme():
        for g, goal in enumerate(block["goals"], start=1):
            numbers[("goal", goal.id)] = str(g)
            for m, measure in enumerate(goal.measures, start=1):
                numbers[("measure", measure.id)] = f"{g}.{m}"
    return numbers


def full_number(measure: Measure, numbers: dict) -> str:
    """ "SDG12 1.1": the measure's number with its topic, for lists across topics."""
    code = measure.goal.topic.code if measure.goal.topic else ""
    return f"{code} {numbers.get(('measure', measure.id), '')}".strip()


def goal_choices() -> list[tuple[int, str]]:
    return [
        (goal.id, f"{goal.topic.code if goal.topic else '–'}: {goal.title}")
        for block in programme()
        for goal in block["goals"]
    ]


def outcome_choices(topic_id: int | None = None) -> list[tuple[int, str]]:
    """Workshop outcomes to trace a goal or measure to: the topic's first."""
    rows = db.session.scalars(
        sa.select(Outcome).options(selectinload(Outcome.workshop)).order_by(Outcome.id.desc())
    ).all()
    rows.sort(key=lambda o: (topic_id is not None and o.topic_id != topic_id, -o.votes))
    return [(o.id, f"{o.workshop.title}: {o.text[:90]} ({o.votes})") for o in rows]


def sources(items: list[Outcome]) -> list[dict[str, Any]]:
    """The outcomes a goal or measure came from, as plain data (kept in drafts as they were)."""
    result = []
    for outcome in items:
        workshop = outcome.workshop
        result.append(
            {
                "outcome_id": outcome.id,
                "workshop_id": workshop.id,
                "workshop": workshop.title,
                "starts_at": workshop.starts_at.isoformat() if workshop.starts_at else None,
                "timezone": workshop.timezone,
                "votes": outcome.votes,
                "kind": outcome.kind.value,
                "text": outcome.text,
            }
        )
    return result


def source_text(source: dict[str, Any]) -> str:
    """A source kept by `sources`, in the reader's language: "aus Fokusgruppe SDG 12,
    14.05.2025, 7 Punkte"."""
    parts = [source["workshop"]]
    if source.get("starts_at"):
        moment = datetime.fromisoformat(source["starts_at"])
        parts.append(format_date(in_zone(moment, source.get("timezone") or DEFAULT_TZ).date()))
    return _("aus %(source)s, %(n)s Punkte", source=", ".join(parts), n=source["votes"])


def prefill_from_outcome(outcome: Outcome) -> dict[str, Any]:
    """What a goal or measure made from an outcome starts with."""
    return {
        "title": outcome.text.split("\n")[0][:300],
        "description": outcome.text if "\n" in outcome.text or len(outcome.text) > 300 else "",
        "topic_id": outcome.topic_id,
        "lead_actor_id": outcome.actors[0].id if outcome.actors else None,
        "partner_actor_ids": [a.id for a in outcome.actors[1:]],
        "outcome_ids": [outcome.id],
    }


# --- JSON ----------------------------------------------------------------------------------------


def _number(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def goal_json(goal: Goal) -> dict[str, Any]:
    return {
        "id": goal.id,
        "topic": goal.topic.code if goal.topic else None,
        "title": goal.title,
        "description": goal.description,
        "sdg_targets": goal.target_list,
        "outcome_ids": [o.id for o in goal.outcomes],
        "measure_ids": [m.id for m in goal.measures],
    }


def measure_json(measure: Measure) -> dict[str, Any]:
    return {
        "id": measure.id,
        "goal_id": measure.goal_id,
        "title": measure.title,
        "description": measure.description,
        "lead_actor_id": measure.lead_actor_id,
        "partner_actor_ids": [a.id for a in measure.partners],
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
        "outcome_ids": [o.id for o in measure.outcomes],
    }


# --- other domains' pages and deletes (core.signals receivers) ------------------------------------


def measures_of_actor(actor: Actor) -> list[tuple[Measure, str]]:
    items = db.session.scalars(measure_query({"actor": actor.id}).options(*MEASURE_LOAD)).all()
    return [(m, _("federführend") if m.lead_actor_id == actor.id else _("Partner")) for m in items]


def actor_section(actor: Actor) -> dict[str, Any] | None:
    items = measures_of_actor(actor)
    if not items:
        return None
    return {"template": "programme/_actor_section.html", "measures": items, "actor": actor}


def topic_section(topic: Topic) -> dict[str, Any] | None:
    return {
        "template": "programme/_topic_section.html",
        "goals": goals({"topic": topic.id}),
        "topic": topic,
    }


def actor_dependents(actor: Actor) -> list[str]:
    return [
        _("Maßnahme „%(title)s“ (%(role)s)", title=m.title, role=role)
        for m, role in measures_of_actor(actor)
    ]


# --- demo ----------------------------------------------------------------------------------------


def load_demo_programme(data: dict, by_name: dict, by_code: dict) -> dict[str, int]:
    """The demo file's programme part: outcomes of held workshops, goals and measures traced to
    them, and a frozen draft. Actors are named, topics by code, outcomes by their key."""
    from ..workshops import outcomes as outcome_services
    from ..workshops.models import Workshop
    from .drafts import freeze

    workshops = {w.title: w for w in db.session.scalars(sa.select(Workshop))}
    made: dict[str, Outcome] = {}
    for item in data.get("outcomes", []):
        outcome = outcome_services.create_outcome(
            workshops[item["workshop"]],
            {
                "kind": item["kind"],
                "topic_id": by_code[item["topic"]].id,
                "text": item["text"],
                "votes": item.get("votes", 0),
                "actor_ids": [by_name[name].id for name in item.get("actors", [])],
                "named_organisation": item.get("named_organisation", ""),
            },
            commit=False,
        )
        made[item["key"]] = outcome
    measures = 0
    for item in data.get("goals", []):
        goal = create_goal(
            {
                "topic_id": by_code[item["topic"]].id,
                "title": item["title"],
                "description": item.get("description", ""),
                "sdg_targets": item.get("sdg_targets", ""),
                "outcome_ids": [made[key].id for key in item.get("outcomes", [])],
            },
            commit=False,
        )
        for entry in item.get("measures", []):
            values = {k: v for k, v in entry.items() if k not in ("lead", "partners", "outcomes")}
            values["goal_id"] = goal.id
            values["lead_actor_id"] = by_name[entry["lead"]].id if entry.get("lead") else None
            values["partner_actor_ids"] = [by_name[n].id for n in entry.get("partners", [])]
            values["outcome_ids"] = [made[key].id for key in entry.get("outcomes", [])]
            create_measure(values, commit=False)
            measures += 1
        db.session.flush()
        db.session.expire(goal, ["measures"])
    for entry in data.get("drafts", []):
        freeze(entry.get("note", ""), commit=False)
    from . import monitoring

    by_title = {m.title: m for m in db.session.scalars(sa.select(Measure))}
    for entry in data.get("monitoring", []):
        measure = by_title[entry["measure"]]
        for day, status, note in entry.get("updates", []):
            monitoring.add_update(
                measure, {"noted_on": day, "status": status, "note": note}, commit=False
            )
        for day, value, note in entry.get("values", []):
            monitoring.add_value(
                measure, {"measured_on": day, "value": value, "note": note}, commit=False
            )
    return {"outcomes": len(made), "goals": len(data.get("goals", [])), "measures": measures}
