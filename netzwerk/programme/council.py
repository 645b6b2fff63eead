"""The council document (Beschlussvorlage): the concept as one document in a sober municipal
layout, as DOCX and PDF, in the reader's language: title page, summary, the process
(workshops held, participants per sector, actors per topic, the actor map where the map has
been laid out), stocktaking, goals and measures, monitoring plan, and an annex listing the
organisations involved (no personal data).

The programme part comes from a frozen draft or the programme as it stands (the same snapshot
shape either way); process, stocktaking and annex describe the network today.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import format_currency, format_date, format_decimal
from flask_babel import gettext as _

from ..actors.models import Actor
from ..actors.vocab import Sector, Status
from ..core import documents as doc
from ..core.timeutil import utcnow
from ..extensions import db
from ..network import landscape_picture
from ..network.map_filters import MapFilters
from ..projects import services as project_services
from ..topics.models import ActorTopic, Topic, TopicRole
from ..topics.services import find_topic
from ..workshops.models import Workshop, WorkshopStatus
from ..workshops.timefmt import local
from . import drafts
from .models import MeasureStatus

FINDINGS_PER_TOPIC = 12  # the document names the most severe; the page has all


def _day(value: str | None) -> str:
    return format_date(date.fromisoformat(value[:10])) if value else ""


def _period(item: dict) -> str:
    start, end = _day(item.get("starts_on")), _day(item.get("ends_on"))
    if start and end:
        return f"{start} – {end}"
    return start or (_("bis %(day)s", day=end) if end else "–")


def _money(value: Any) -> str:
    return format_currency(value, "EUR") if value is not None else ""


def _status_label(value: str) -> str:
    member = MeasureStatus.parse(value)
    return member.label if member else value


def held_workshops() -> list[Workshop]:
    return list(
        db.session.scalars(
            sa.select(Workshop)
            .where(Workshop.status == WorkshopStatus.DONE)
            .order_by(Workshop.starts_at, Workshop.id)
        )
    )


def participation(workshops: list[Workshop]) -> dict[str, Any]:
    """Who took part in the held workshops: people, organisations and both per sector."""
    people = 0
    orgs: set[int] = set()
    per_sector: dict[Sector | None, dict[str, Any]] = defaultdict(
        lambda: {"people": 0, "orgs": set()}
    )
    for workshop in workshops:
        for inv in workshop.active_invitations:
            if not inv.attended:
                continue
            people += 1
            sector = inv.actor.sector if inv.actor else None
            per_sector[sector]["people"] += 1
            if inv.actor_id:
                orgs.add(inv.actor_id)
                per_sector[sector]["orgs"].add(inv.actor_id)
    rows = [
        (sector.label if sector else _("ohne Akteur"), len(data["orgs"]), data["people"])
        for sector in [*Sector, None]
        if (data := per_sector.get(sector))
    ]
    return {"people": people, "orgs": len(orgs), "org_ids": orgs, "sectors": rows}


def actors_per_topic(topic_ids: list[int]) -> list[list[str]]:
    """Per topic: how many actors in each role, and who leads."""
    rows = []
    links = db.session.execute(
        sa.select(ActorTopic.topic_id, ActorTopic.role, Actor.name)
        .join(Actor, ActorTopic.actor_id == Actor.id)
        .where(ActorTopic.topic_id.in_(topic_ids), Actor.status != Status.INACTIVE)
        .order_by(Actor.name_key)
    ).all()
    for topic_id in topic_ids:
        topic = db.session.get(Topic, topic_id)
        mine = [(role, name) for t, role, name in links if t == topic_id]
        counts = Counter(role for role, _ in mine)
        leads = [name for role, name in mine if role == TopicRole.LEAD]
        rows.append(
            [
                topic.label,
                str(len(mine)),
                ", ".join(f"{r.label}: {counts[r]}" for r in TopicRole if counts[r]),
                ", ".join(leads) or "–",
            ]
        )
    return rows


def involved_organisations(content: dict, org_ids: set[int], topic_ids: list[int]) -> list[Actor]:
    """Organisations involved: in a programme topic, leading or partnering a measure, taking
    part in a held workshop, or carrying, partnering or funding a project of the stocktaking."""
    ids = set(org_ids)
    for topic in content.get("topics", []):
        for goal in topic["goals"]:
            for measure in goal["measures"]:
                if measure.get("lead_id"):
                    ids.add(measure["lead_id"])
                ids.update(measure.get("partner_ids") or [])
    ids.update(
        db.session.scalars(sa.select(ActorTopic.actor_id).where(ActorTopic.topic_id.in_(topic_ids)))
    )
    for project in project_services.projects():
        ids.update(a.id for a in (project.lead, project.funder, *project.partners) if a)
    if not ids:
        return []
    return list(
        db.session.scalars(
            sa.select(Actor)
            .where(Actor.id.in_(ids), Actor.status != Status.INACTIVE)
            .order_by(Actor.name_key)
        )
    )


def actor_map_blocks(topic_ids: list[int]) -> list:
    """The Akteurslandkarte of the concept's topic (all topics when it has several) as numbered
    dots, with its text alternative and the key (number, actor, sector slice, ring); nothing
    while no actor works on these topics."""
    linked = sa.select(ActorTopic.actor_id)
    if topic_ids:
        linked = linked.where(ActorTopic.topic_id.in_(topic_ids))
    if db.session.scalar(linked.limit(1)) is None:
        return []
    filters = MapFilters(topic=topic_ids[0] if len(topic_ids) == 1 else None)
    scene, title, description, key = landscape_picture.picture(filters, numbered=True)
    return [
        doc.Heading(_("Akteurslandkarte"), 2),
        doc.Picture(scene, title, description, width_cm=16),
        doc.Paragraph(description, small=True),
        doc.Table(
            [_("Nr."), _("Akteur"), _("Sektor"), _("Ring")],
            [[str(e["number"]), e["name"], e["slice"], e["ring"]] for e in key],
            widths=[0.5, 4, 2.5, 2],
            numeric={0},
        ),
    ]


def source(ref: str | int | None) -> tuple[str, dict]:
    """The programme part: a draft (number or "v2") or, by default, the newest draft; with
    "aktuell" the programme as it stands."""
    if ref in (None, ""):
        newest = drafts.latest()
        return (newest.label, newest.content) if newest else drafts.content_of("aktuell")
    return drafts.content_of(ref)


def document(ref: str | int | None = None, lang: str = "de") -> doc.Document:
    label, content = source(ref)
    municipality = current_app.config.get("MUNICIPALITY", "Stadt Aachen")
    today = utcnow().date()
    topics = [t for t in content.get("topics", []) if t.get("id")]
    topic_ids = [t["id"] for t in topics if db.session.get(Topic, t["id"]) is not None]
    goals = [g for t in content.get("topics", []) for g in t["goals"]]
    measures = [m for g in goals for m in g["measures"]]
    staff = sum(m["staff_fte"] or 0 for m in measures)
    budget = sum(m["budget"] or 0 for m in measures)
    workshops = held_workshops()
    people = participation(workshops)
    all_projects = project_services.projects()
    title = _("Entwicklungspolitisches Handlungsprogramm")
    version = _("Entwurf %(label)s", label=label) if label != "aktuell" else _("aktueller Stand")
    blocks: list[doc.Block] = [
        doc.Title(
            title,
            _("%(place)s – Beschlussvorlage für den Rat", place=municipality),
            [
                _("Koordinierungsstelle Kommunale Entwicklungspolitik"),
                _("%(version)s, Stand %(day)s", version=version, day=format_date(today, "long")),
            ],
        ),
        doc.Heading(_("1. Zusammenfassung"), 1),
        doc.Paragraph(
            _(
                "Das Handlungsprogramm umfasst %(goals)s Ziele und %(measures)s Maßnahmen in "
                "%(topics)s Handlungsfeldern (%(codes)s). Für die Maßnahmen sind %(staff)s "
                "Vollzeitstellen und %(budget)s eingeplant.",
                goals=len(goals),
                measures=len(measures),
                topics=len(topics),
                codes=", ".join(t["code"] for t in topics) or "–",
                staff=format_decimal(round(staff, 2)),
                budget=_money(budget),
            )
        ),
        doc.Paragraph(
            _(
                "Es ist in %(workshops)s Workshops mit %(people)s Teilnahmen aus %(orgs)s "
                "Organisationen entstanden; die Bestandsanalyse umfasst %(projects)s Projekte "
                "und Aktivitäten.",
                workshops=len(workshops),
                people=people["people"],
                orgs=people["orgs"],
                projects=len(all_projects),
            )
        ),
    ]
    rows = [
        [
            t["code"],
            str(len(t["goals"])),
            str(sum(len(g["measures"]) for g in t["goals"])),
            _money(sum(m["budget"] or 0 for g in t["goals"] for m in g["measures"])),
        ]
        for t in topics
    ]
    if rows:
        blocks.append(
            doc.Table(
                [_("Handlungsfeld"), _("Ziele"), _("Maßnahmen"), _("Budget")],
                rows,
                widths=[2, 1, 1, 1.5],
                numeric={1, 2, 3},
            )
        )

    # --- 2. process
    blocks.append(doc.Heading(_("2. Der Prozess"), 1))
    blocks.append(
        doc.Paragraph(
            _(
                "Nach der Identifikation der Akteurinnen und Akteure und einer Bestandsanalyse "
                "wurden in themenbezogenen Workshops Ziele und Maßnahmen erarbeitet; der Entwurf "
                "wurde in weiteren Workshops reflektiert."
            )
        )
    )
    blocks.append(doc.Heading(_("Durchgeführte Workshops"), 2))
    if workshops:
        blocks.append(
            doc.Table(
                [_("Datum"), _("Workshop"), _("Prozessphase"), _("Teilnahmen")],
                [
                    [
                        format_date(local(w.starts_at, w.timezone).date()) if w.starts_at else "–",
                        w.title,
                        w.phase.label,
                        str(sum(1 for inv in w.active_invitations if inv.attended)),
                    ]
                    for w in workshops
                ],
                widths=[1, 3.5, 1.5, 1],
                numeric={3},
            )
        )
    else:
        blocks.append(doc.Paragraph(_("Noch kein Workshop durchgeführt.")))
    blocks.append(doc.Heading(_("Teilnehmende nach Sektor"), 2))
    if people["sectors"]:
        blocks.append(
            doc.Table(
                [_("Sektor"), _("Organisationen"), _("Teilnahmen")],
                [[s, str(o), str(p)] for s, o, p in people["sectors"]],
                widths=[3, 1, 1],
                numeric={1, 2},
            )
        )
    else:
        blocks.append(doc.Paragraph("–"))
    blocks.append(doc.Heading(_("Beteiligte Akteure je Thema"), 2))
    blocks.append(
        doc.Table(
            [_("Thema"), _("Akteure"), _("nach Rolle"), _("federführend")],
            actors_per_topic(topic_ids),
            widths=[2, 0.8, 2.5, 3],
            numeric={1},
        )
    )
    blocks += actor_map_blocks(topic_ids)

    # --- 3. stocktaking
    blocks.append(doc.Heading(_("3. Bestandsanalyse"), 1))
    for topic in topics:
        found = find_topic(topic["id"]) if topic.get("id") else None
        if found is None:
            continue
        report = project_services.stocktaking(found)
        blocks.append(doc.Heading(f"{found.code} {found.title}", 2))
        if not report["projects"]:
            blocks.append(doc.Paragraph(_("Keine Projekte erfasst.")))
            continue
        # a list, not a table: a table cell costs the PDF three times what a list item does
        blocks.append(doc.Bullets([_project_line(p) for p in report["projects"]]))
        findings = report["findings"]
        if findings:
            blocks.append(doc.Paragraph(_("Wo die Verzahnung fehlt:")))
            shown = [f["text"] for f in findings[:FINDINGS_PER_TOPIC]]
            if len(findings) > FINDINGS_PER_TOPIC:
                shown.append(
                    _("… und %(n)s weitere Befunde.", n=len(findings) - FINDINGS_PER_TOPIC)
                )
            blocks.append(doc.Bullets(shown))

    # --- 4. goals and measures
    blocks.append(doc.Heading(_("4. Ziele und Maßnahmen"), 1))
    if not goals:
        blocks.append(doc.Paragraph(_("Noch keine Ziele.")))
    for topic in content.get("topics", []):
        blocks.append(
            doc.Heading(f"{topic['code']} {topic['title']}".strip() or _("ohne Thema"), 2)
        )
        for goal in topic["goals"]:
            blocks.append(
                doc.Heading(_("Ziel %(n)s: %(title)s", n=goal["number"], title=goal["title"]), 3)
            )
            if goal.get("description"):
                blocks.append(doc.Paragraph(goal["description"]))
            if goal.get("sdg_targets"):
                blocks.append(
                    doc.Paragraph(_("SDG-Unterziele: %(t)s", t=goal["sdg_targets"]), small=True)
                )
            if not goal["measures"]:
                continue
            blocks.append(
                doc.Table(
                    [
                        _("Nr."),
                        _("Maßnahme und Beteiligte"),
                        _("Zeitraum, Status, Ressourcen"),
                    ],
                    [_measure_row(m) for m in goal["measures"]],
                    widths=[0.45, 3.2, 2.6],
                )
            )

    # --- 5. monitoring plan
    blocks.append(doc.Heading(_("5. Monitoringplan"), 1))
    blocks.append(
        doc.Paragraph(
            _(
                "Die Koordination erhebt den Stand jeder Maßnahme und die Werte ihrer "
                "Indikatoren mindestens einmal im Jahr und berichtet dem Rat und den "
                "Fördermittelgebern im Jahresbericht."
            )
        )
    )
    plan = [[m["number"], m["indicator"] or "–", _plan_cell(m)] for m in measures]
    if plan:
        blocks.append(
            doc.Table(
                [_("Nr."), _("Indikator"), _("Ausgangswert → Zielwert, Frist; verantwortlich")],
                plan,
                widths=[0.45, 2.6, 3.2],
            )
        )

    # --- annex
    organisations = involved_organisations(content, people["org_ids"], topic_ids)
    blocks.append(doc.PageBreak())
    blocks.append(doc.Heading(_("Anhang: Beteiligte Organisationen"), 1))
    blocks.append(
        doc.Paragraph(
            _(
                "%(n)s Organisationen aus Verwaltung, Politik, Zivilgesellschaft, Bildung, "
                "Wirtschaft und den Partnerstädten sind beteiligt (ohne Angaben zu Personen).",
                n=len(organisations),
            )
        )
    )
    blocks.append(
        doc.Bullets(
            [
                f"{a.name} – "
                + ", ".join(x for x in (a.category.label, a.sector.label, a.city) if x)
                for a in organisations
            ]
        )
    )
    footer = f"{title} – {municipality} – {version}"
    return doc.Document(title=title, blocks=blocks, lang=lang, subject=footer, footer=footer)


def _value(measure: dict, field: str) -> str:
    value = measure.get(field) or ""
    if not value:
        return "–"
    unit = {"prozent": " %", "euro": " €"}.get(measure.get("indicator_scale"), "")
    if measure.get("indicator_scale") == "wert" and measure.get("indicator_unit"):
        unit = f" {measure['indicator_unit']}"
    return f"{value}{unit}"


def _measure_row(m: dict) -> list[str]:
    """Three cells (a table cell costs more to lay out than its text): the number; what and
    who; when, with what means and how far. The indicator is in the monitoring plan."""
    who = _("Federführung: %(name)s", name=m["lead"] or "–")
    if m.get("partners"):
        who += "; " + _("Partner: %(names)s", names=", ".join(m["partners"]))
    resources = []
    if m.get("staff_fte") is not None:
        resources.append(_("%(n)s VZÄ", n=format_decimal(m["staff_fte"])))
    if m.get("budget") is not None:
        resources.append(_money(m["budget"]))
    if m.get("funding_source"):
        resources.append(m["funding_source"])
    when = f"{_period(m)} · {_status_label(m['status'])}"
    return [m["number"], f"{m['title']}\n{who}", "\n".join([when, " · ".join(resources) or "–"])]


def _plan_cell(m: dict) -> str:
    due = _("bis %(day)s", day=_day(m.get("ends_on")) or "–")
    return f"{_value(m, 'baseline')} → {_value(m, 'target')} · {due}\n{m['lead'] or '–'}"


def _project_line(p) -> str:
    """A project in one line: title, lead, partner city, period, funding and funder."""
    period = _period(
        {
            "starts_on": p.starts_on.isoformat() if p.starts_on else None,
            "ends_on": p.ends_on.isoformat() if p.ends_on else None,
        }
    )
    parts = [_("Träger: %(name)s", name=p.lead.name if p.lead else "–")]
    if p.partner_city:
        parts.append(_("Partnerstadt: %(name)s", name=p.partner_city.name))
    parts.append(period)
    funding = " ".join(
        x for x in (_money(p.funding_amount), p.funder.name if p.funder else "") if x
    )
    if funding:
        parts.append(_("Förderung: %(what)s", what=funding))
    return f"{p.title} ({'; '.join(parts)})"
