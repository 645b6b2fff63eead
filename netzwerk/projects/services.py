"""Projects: validation and changes (one transaction each, audited), list queries, the
stocktaking report per topic with its interlocking findings, and the projects' part of the
actor and topic pages."""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import selectinload

from ..actors.models import Actor, Relation
from ..actors.vocab import RelationKind, Sector
from ..audit.services import apply_changes, plain, record, reverse, snapshot
from ..core.errors import Invalid, NotFound
from ..core.validation import check_url, date_range, parse_date, parse_decimal, vocab_value
from ..extensions import db
from ..topics.models import Topic
from ..topics.services import find_topic, natural_key
from . import analysis
from .models import Project, ProjectStatus

PROJECT_FIELDS = [
    "title",
    "description",
    "lead_actor_id",
    "partner_city_id",
    "starts_on",
    "ends_on",
    "status",
    "funding_amount",
    "funder_actor_id",
    "funding_programme",
    "sdg_targets",
    "links",
]
TARGET = re.compile(r"^(?:SDG\s*)?(\d{1,2})\.(\d{1,2}|[a-z])$", re.IGNORECASE)


# --- look-ups ------------------------------------------------------------------------------------


def get_project(project_id: int) -> Project:
    project = db.session.get(Project, project_id)
    if project is None:
        raise NotFound(_("Projekt %(project_id)s nicht gefunden.", project_id=project_id))
    return project


def _actor(value: Any, field: str) -> Actor | None:
    if value in (None, "", 0, "0"):
        return None
    if isinstance(value, Actor):
        return value
    try:
        ident = int(value)
    except (TypeError, ValueError) as exc:
        raise Invalid(
            _("%(field)s muss die Nummer eines Akteurs sein.", field=field), field=field
        ) from exc
    actor = db.session.get(Actor, ident)
    if actor is None:
        raise Invalid(_("Unbekannter Akteur: %(ident)s", ident=ident), field=field)
    return actor


def _list(value: Any, field: str) -> list:
    if value in (None, ""):
        return []
    if isinstance(value, list | tuple | set):
        return [v for v in value if v not in (None, "")]
    if isinstance(value, str):
        return [v.strip() for v in re.split(r"[;,\n]", value) if v.strip()]
    raise Invalid(_("%(field)s muss eine Liste sein.", field=field), field=field)


# --- cleaning -------------------------------------------------------------------------------------


def clean_targets(value: Any, field: str = "sdg_targets") -> str:
    """SDG targets such as "4.7, 17.16" (also "SDG 4.7", a list, one per line): each goal 1–17
    with a numbered or lettered target; normalised, without duplicates, in natural order."""
    items = value if isinstance(value, list | tuple) else _list(value, field)
    found: list[str] = []
    for item in items:
        text = str(item).strip()
        match = TARGET.match(text)
        if not match or not 1 <= int(match.group(1)) <= 17:
            raise Invalid(
                _(
                    "%(field)s: „%(text)s“ ist kein SDG-Unterziel (z. B. 4.7, 12.7 oder 17.16).",
                    field=field,
                    text=text,
                ),
                field=field,
            )
        target = f"{int(match.group(1))}.{match.group(2).lower()}"
        if target not in found:
            found.append(target)
    found.sort(key=natural_key)
    result = ", ".join(found)
    if len(result) > 300:
        raise Invalid(_("%(field)s: zu viele Unterziele.", field=field), field=field)
    return result


def clean_links(value: Any, field: str = "links") -> str:
    items = value if isinstance(value, list | tuple) else str(value or "").split()
    return "\n".join(check_url(item, field) for item in items if str(item).strip())


def clean_topics(value: Any, field: str = "topics") -> list[Topic]:
    found: list[Topic] = []
    for ref in _list(value, field):
        topic = ref if isinstance(ref, Topic) else find_topic(ref)
        if topic is None:
            raise Invalid(_("Unbekanntes Thema: %(ref)s", ref=ref), field=field)
        if topic not in found:
            found.append(topic)
    return found


def clean_project(data: dict[str, Any], project: Project | None) -> dict[str, Any]:
    """Normalise input from a form, the API or an import into model values; `topics` and
    `partners` come back as lists of objects."""

    def current(field: str, default: Any = None) -> Any:
        return data[field] if field in data else getattr(project, field, default)

    def text(field: str, limit: int) -> str:
        value = current(field, "")
        value = "" if value is None else str(value).strip()
        if len(value) > limit:
            raise Invalid(
                _("%(field)s ist zu lang (höchstens %(limit)s Zeichen).", field=field, limit=limit),
                field=field,
            )
        return value

    title = " ".join(text("title", 200).split())
    if not title:
        raise Invalid(_("Der Titel fehlt."), field="title")
    starts = parse_date(current("starts_on"), "starts_on")
    ends = parse_date(current("ends_on"), "ends_on")
    date_range(starts, ends, "ends_on")
    status = vocab_value(
        ProjectStatus, data, "status", project.status if project else ProjectStatus.RUNNING
    )
    amount = parse_decimal(current("funding_amount"), "funding_amount", minimum=Decimal(0))
    lead = _actor(current("lead_actor_id"), "lead_actor_id")
    funder = _actor(current("funder_actor_id"), "funder_actor_id")
    city = _actor(current("partner_city_id"), "partner_city_id")
    if city is not None and city.sector != Sector.PARTNER_CITY:
        raise Invalid(
            _("%(name)s ist keine Partnerstadt (Sektor „Partnerstadt“).", name=city.name),
            field="partner_city_id",
        )
    if "partner_actor_ids" in data or project is None:
        partners = []
        for ref in _list(data.get("partner_actor_ids"), "partner_actor_ids"):
            actor = _actor(ref, "partner_actor_ids")
            if actor is not None and actor not in partners:
                partners.append(actor)
    else:
        partners = list(project.partners)
    if lead is not None and lead in partners:
        partners.remove(lead)  # the lead is no partner of its own project
    if "topics" in data or "topic_ids" in data or project is None:
        topics = clean_topics(data.get("topics", data.get("topic_ids")))
    else:
        topics = list(project.topics)
    return {
        "title": title,
        "description": text("description", 20000),
        "lead_actor_id": lead.id if lead else None,
        "partner_city_id": city.id if city else None,
        "starts_on": starts,
        "ends_on": ends,
        "status": status,
        "funding_amount": amount.quantize(Decimal("0.01")) if amount is not None else None,
        "funder_actor_id": funder.id if funder else None,
        "funding_programme": text("funding_programme", 200),
        "sdg_targets": clean_targets(current("sdg_targets", "")),
        "links": clean_links(current("links", "")),
        "topics": topics,
        "partners": partners,
    }


def _audit_values(project: Project) -> dict[str, list]:
    changes = snapshot(project, PROJECT_FIELDS)
    changes["topics"] = [None, [t.code for t in project.topics]]
    changes["partners"] = [None, [a.id for a in project.partners]]
    return changes


def _set(project: Project, values: dict[str, Any]) -> dict[str, list]:
    topics, partners = values.pop("topics"), values.pop("partners")
    changes = apply_changes(project, values)
    old_topics = [t.code for t in project.topics]
    if [t.code for t in topics] != old_topics:
        project.topics = topics
        changes["topics"] = [old_topics, [t.code for t in topics]]
    old_partners = sorted(a.id for a in project.partners)
    if sorted(a.id for a in partners) != old_partners:
        project.partners = partners
        changes["partners"] = [old_partners, sorted(a.id for a in partners)]
    return changes


def create_project(data: dict[str, Any], commit: bool = True) -> Project:
    values = clean_project(data, None)
    project = Project(title=values["title"])
    _set(project, values)
    db.session.add(project)
    db.session.flush()
    record("project", project.id, "create", _audit_values(project), label=project.title)
    if commit:
        db.session.commit()
    return project


def change_project(project: Project, data: dict[str, Any]) -> dict[str, list]:
    """Apply changes and audit them (no commit); {field: [before, after]} of what changed."""
    changes = _set(project, clean_project(data, project))
    if changes:
        record("project", project.id, "update", changes, label=project.title)
    return changes


def update_project(project: Project, data: dict[str, Any], commit: bool = True) -> Project:
    change_project(project, data)
    if commit:
        db.session.commit()
    return project


def delete_project(project: Project) -> None:
    record("project", project.id, "delete", reverse(_audit_values(project)), label=project.title)
    db.session.delete(project)
    db.session.commit()


# --- lists ----------------------------------------------------------------------------------------

LOAD = (
    selectinload(Project.topics),
    selectinload(Project.partners),
    selectinload(Project.lead),
    selectinload(Project.funder),
    selectinload(Project.partner_city),
)


def project_query(filters: dict[str, Any]) -> sa.Select:
    """Projects filtered by text, topic (id or code), status, an actor taking any part (lead,
    partner, funder, partner city) and the partner city; newest start first."""
    query = sa.select(Project)
    if q := (filters.get("q") or "").strip():
        like = f"%{q.casefold()}%"
        query = query.where(
            sa.or_(
                sa.func.lower(Project.title).like(like),
                sa.func.lower(Project.description).like(like),
                sa.func.lower(Project.funding_programme).like(like),
            )
        )
    if ref := filters.get("topic"):
        topic = find_topic(ref)
        if topic is None:
            raise Invalid(_("Unbekanntes Thema: %(ref)s", ref=ref), field="topic")
        query = query.where(Project.topics.any(Topic.id == topic.id))
    if value := filters.get("status"):
        status = vocab_value(ProjectStatus, {"status": value}, "status", None)
        query = query.where(Project.status == status)
    if value := filters.get("actor"):
        actor = _actor(value, "actor")
        query = query.where(
            sa.or_(
                Project.lead_actor_id == actor.id,
                Project.funder_actor_id == actor.id,
                Project.partner_city_id == actor.id,
                Project.partners.any(Actor.id == actor.id),
            )
        )
    if value := filters.get("partner_city"):
        query = query.where(Project.partner_city_id == _actor(value, "partner_city").id)
    return query.order_by(
        Project.starts_on.is_(None), Project.starts_on.desc(), sa.func.lower(Project.title)
    )


def projects(filters: dict[str, Any] | None = None) -> list[Project]:
    return list(db.session.scalars(project_query(filters or {}).options(*LOAD)))


def roles_of(project: Project, actor: Actor) -> list[str]:
    """What an actor is in a project, in the reader's language."""
    roles = []
    if project.lead_actor_id == actor.id:
        roles.append(_("Träger"))
    if actor in project.partners:
        roles.append(_("Partner"))
    if project.funder_actor_id == actor.id:
        roles.append(_("Förderer"))
    if project.partner_city_id == actor.id:
        roles.append(_("Partnerstadt"))
    return roles


def partner_cities() -> list[Actor]:
    return list(
        db.session.scalars(
            sa.select(Actor).where(Actor.sector == Sector.PARTNER_CITY).order_by(Actor.name_key)
        )
    )


def actor_choices() -> list[tuple[int, str]]:
    return [
        (row.id, row.name)
        for row in db.session.execute(sa.select(Actor.id, Actor.name).order_by(Actor.name_key))
    ]


# --- the stocktaking report -----------------------------------------------------------------------


def related_pairs() -> set[frozenset]:
    """Every pair of actors with a relation other than a conflict."""
    rows = db.session.execute(
        sa.select(Relation.source_id, Relation.target_id).where(
            Relation.kind != RelationKind.CONFLICT
        )
    )
    return {frozenset((a, b)) for a, b in rows}


def project_data(project: Project) -> dict[str, Any]:
    """The plain shape analysis.py works on."""
    return {
        "id": project.id,
        "title": project.title,
        "topic_ids": [t.id for t in project.topics],
        "lead_id": project.lead_actor_id,
        "partner_ids": [a.id for a in project.partners],
        "funder_id": project.funder_actor_id,
        "partner_city_id": project.partner_city_id,
    }


def _names(items: list[Project]) -> dict[int, str]:
    names: dict[int, str] = {}
    for project in items:
        for actor in (project.lead, project.funder, project.partner_city, *project.partners):
            if actor is not None:
                names[actor.id] = actor.name
    return names


def _titles(titles: list[str]) -> str:
    quoted = [f"„{t}“" for t in titles]
    if len(quoted) == 1:
        return quoted[0]
    return _("%(first)s und %(last)s", first=", ".join(quoted[:-1]), last=quoted[-1])


def finding_text(finding: dict) -> str:
    """A finding of analysis.py as a sentence in the reader's language."""
    p = finding["params"]
    if finding["kind"] == "leads_unrelated":
        groups = "; ".join(
            ", ".join(
                _("%(lead)s (%(projects)s)", lead=item["lead"], projects=_titles(item["projects"]))
                for item in group
            )
            for group in p["groups"]
        )
        return _(
            "%(topic)s: Die Träger der Projekte bilden %(n)s Gruppen ohne Beziehung "
            "zueinander und ohne gemeinsames Projekt: %(groups)s.",
            topic=p["topic"],
            n=len(p["groups"]),
            groups=groups,
        )
    if finding["kind"] == "funder_projects_apart":
        groups = "; ".join(_titles(g) for g in p["groups"])
        return _(
            "%(funder)s fördert %(n)s Projekte, deren Beteiligte sich nicht begegnen "
            "(keine gemeinsamen oder verbundenen Akteure): %(groups)s.",
            funder=p["funder"],
            n=p["count"],
            groups=groups,
        )
    if finding["kind"] == "city_single_carrier":
        return ngettext(
            "Die Partnerschaft mit %(city)s wird nur von %(actor)s getragen (%(num)s Projekt: "
            "%(projects)s).",
            "Die Partnerschaft mit %(city)s wird nur von %(actor)s getragen (%(num)s Projekte: "
            "%(projects)s).",
            p["count"],
            city=p["city"],
            actor=p["actor"],
            projects=_titles(p["projects"]),
        )
    return finding["kind"]


def stocktaking(topic: Topic | None = None) -> dict[str, Any]:
    """What exists (the projects of the topic, or all), who carries it, who funds it, which
    partner city it links to, and where interlocking is missing (findings with reasons)."""
    all_projects = projects()
    scope = [p for p in all_projects if topic is None or topic in p.topics]
    topics = (
        [topic]
        if topic is not None
        else sorted(
            {t for p in scope for t in p.topics}, key=lambda t: (t.priority, natural_key(t.code))
        )
    )
    related = related_pairs()
    findings = analysis.interlocking(
        [project_data(p) for p in scope],
        related,
        _names(all_projects),
        [{"id": t.id, "code": t.code} for t in topics],
    )
    for finding in findings:
        finding["text"] = finding_text(finding)
    carriers: Counter = Counter()
    partners: Counter = Counter()
    funders: dict[int, dict] = {}
    cities: dict[int, dict] = {}
    for p in scope:
        if p.lead is not None:
            carriers[p.lead] += 1
        for a in p.partners:
            partners[a] += 1
        if p.funder is not None:
            entry = funders.setdefault(
                p.funder.id, {"actor": p.funder, "projects": [], "amount": Decimal(0)}
            )
            entry["projects"].append(p)
            entry["amount"] += p.funding_amount or 0
        if p.partner_city is not None:
            entry = cities.setdefault(
                p.partner_city.id, {"actor": p.partner_city, "projects": [], "carriers": set()}
            )
            entry["projects"].append(p)
            entry["carriers"] |= {a for a in (p.lead, *p.partners) if a is not None}
            entry["carriers"].discard(p.partner_city)
    by_status = Counter(p.status for p in scope)
    return {
        "topic": topic,
        "topics": topics,
        "projects": scope,
        "by_status": [(s, by_status[s]) for s in ProjectStatus],
        "funding_total": sum((p.funding_amount or 0 for p in scope), Decimal(0)),
        "carriers": sorted(carriers.items(), key=lambda kv: (-kv[1], kv[0].name_key)),
        "partners": sorted(partners.items(), key=lambda kv: (-kv[1], kv[0].name_key)),
        "funders": sorted(funders.values(), key=lambda e: (-e["amount"], e["actor"].name_key)),
        "cities": sorted(cities.values(), key=lambda e: e["actor"].name_key),
        "findings": findings,
    }


def topic_summaries() -> list[dict[str, Any]]:
    """Per topic: number of projects and their funding, for the stocktaking overview."""
    rows: dict[int, dict] = {}
    for project in projects():
        for topic in project.topics:
            entry = rows.setdefault(topic.id, {"topic": topic, "count": 0, "amount": Decimal(0)})
            entry["count"] += 1
            entry["amount"] += project.funding_amount or 0
    return sorted(rows.values(), key=lambda e: (e["topic"].priority, natural_key(e["topic"].code)))


# --- JSON -----------------------------------------------------------------------------------------


def project_json(project: Project) -> dict[str, Any]:
    return {
        "id": project.id,
        "title": project.title,
        "description": project.description,
        "status": project.status.value,
        "topics": [t.code for t in project.topics],
        "lead_actor_id": project.lead_actor_id,
        "partner_actor_ids": [a.id for a in project.partners],
        "partner_city_id": project.partner_city_id,
        "starts_on": plain(project.starts_on),
        "ends_on": plain(project.ends_on),
        "funding_amount": float(project.funding_amount)
        if project.funding_amount is not None
        else None,
        "funder_actor_id": project.funder_actor_id,
        "funding_programme": project.funding_programme,
        "sdg_targets": project.target_list,
        "links": project.link_list,
    }


# --- other domains' pages and deletes (core.signals receivers) ------------------------------------


def actor_section(actor: Actor) -> dict[str, Any] | None:
    items = projects({"actor": actor.id})
    return {
        "template": "projects/_actor_section.html",
        "projects": [(p, roles_of(p, actor)) for p in items],
        "actor": actor,
    }


def topic_section(topic: Topic) -> dict[str, Any] | None:
    return {
        "template": "projects/_topic_section.html",
        "projects": projects({"topic": topic.id}),
        "topic": topic,
    }


def actor_dependents(actor: Actor) -> list[str]:
    """What the delete of an actor takes from projects, as sentences for the confirmation."""
    result = []
    for project in projects({"actor": actor.id}):
        roles = ", ".join(roles_of(project, actor))
        result.append(_("Projekt „%(title)s“ (%(roles)s)", title=project.title, roles=roles))
    return result


# --- demo -----------------------------------------------------------------------------------------


def load_demo_projects(items: list[dict], by_name: dict, by_code: dict) -> int:
    """The demo file's projects; actors are named, topics by code."""
    for item in items:
        data = {k: v for k, v in item.items() if k not in ("lead", "partners", "funder", "city")}
        data["lead_actor_id"] = by_name[item["lead"]].id if item.get("lead") else None
        data["funder_actor_id"] = by_name[item["funder"]].id if item.get("funder") else None
        data["partner_city_id"] = by_name[item["city"]].id if item.get("city") else None
        data["partner_actor_ids"] = [by_name[name].id for name in item.get("partners", [])]
        data["topics"] = [by_code[code] for code in item.get("topics", [])]
        create_project(data, commit=False)
    db.session.flush()
    return len(items)


# --- the map (network/map_data.py reads it as a layer) -----------------------------------------


def project_graph_data() -> list[dict[str, Any]]:
    """Projects for the map: each linked to its lead and partner actors and its topics."""
    return [
        {
            "id": p.id,
            "title": p.title,
            "status": p.status.value,
            "status_label": p.status.label,
            "topic_ids": [t.id for t in p.topics],
            "lead_actor_id": p.lead_actor_id,
            "partner_actor_ids": [a.id for a in p.partners],
            "partner_city": p.partner_city.name if p.partner_city else "",
        }
        for p in projects()
    ]
