"""What the surveys tell the analysis: response rates (overall, per category and sector),
organisations named as missing (for the gap analysis, the map and /api/gaps), and findings
about how far the answers can be trusted (a network seen only through the administration's
answers is biased).

The gap analysis and the findings of netzwerk.network ask through core.signals
(missing_actors, analysis_findings), so the network knows nothing of surveys.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from ..actors.models import Actor, Category
from ..actors.vocab import Sector, Status
from ..extensions import db
from ..topics.models import ActorTopic
from .matching import group_keys, normalise
from .models import (
    ProposalKind,
    ProposalStatus,
    Survey,
    SurveyProposal,
    SurveyRecipient,
)
from .services import delivery_times

# an answer share this many points above the share among the asked is a bias worth a finding
BIAS_POINTS = 15
NAMES_SHOWN = 5


# --- response rates ------------------------------------------------------------------------------


def _rate(answered: int, asked: int) -> float:
    return round(100 * answered / asked, 1) if asked else 0.0


def progress(survey: Survey) -> dict[str, Any]:
    """Recipients and organisations asked and answered, overall and per category and sector;
    the organisations that have not answered."""
    rows = db.session.execute(
        sa.select(
            SurveyRecipient.id,
            SurveyRecipient.actor_id,
            SurveyRecipient.answered_at,
        ).where(SurveyRecipient.survey_id == survey.id)
    ).all()
    recipients = len(rows)
    times = delivery_times(survey)
    invited = sum(1 for r in rows if times.get(r.id, (None, None))[0] is not None)
    answered = sum(1 for r in rows if r.answered_at is not None)
    asked_actors: set[int] = {r.actor_id for r in rows if r.actor_id is not None}
    answered_actors: set[int] = {
        r.actor_id for r in rows if r.actor_id is not None and r.answered_at is not None
    }
    actors = {
        a.id: a for a in db.session.scalars(sa.select(Actor).where(Actor.id.in_(asked_actors)))
    }
    labels = {c.key: c.label for c in db.session.scalars(sa.select(Category))}
    by_category: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_sector: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for actor_id in asked_actors:
        actor = actors.get(actor_id)
        if actor is None:
            continue
        for table, key in ((by_category, actor.category_key), (by_sector, actor.sector.value)):
            table[key][0] += 1
            table[key][1] += actor_id in answered_actors
    sector_labels = {s.value: s.label for s in Sector}

    def breakdown(table: dict, names: dict) -> list[dict]:
        items = [
            {
                "key": key,
                "label": names.get(key, key),
                "asked": asked,
                "answered": done,
                "missing": asked - done,
                "rate": _rate(done, asked),
            }
            for key, (asked, done) in table.items()
        ]
        return sorted(items, key=lambda i: (i["rate"], -i["asked"], i["label"]))

    silent = sorted(
        (actors[i] for i in asked_actors - answered_actors if i in actors),
        key=lambda a: a.name_key,
    )
    return {
        "recipients": recipients,
        "invited": invited,
        "answered": answered,
        "rate": _rate(answered, recipients),
        "organisations": len(asked_actors),
        "organisations_answered": len(answered_actors),
        "organisation_rate": _rate(len(answered_actors), len(asked_actors)),
        "by_category": breakdown(by_category, labels),
        "by_sector": breakdown(by_sector, sector_labels),
        "non_respondents": silent,
    }


def progress_json(survey: Survey) -> dict[str, Any]:
    data = progress(survey)
    data["non_respondents"] = [{"id": a.id, "name": a.name} for a in data["non_respondents"]]
    return data


# --- findings ------------------------------------------------------------------------------------


def _finding(kind: str, severity: str, text: str, actors=()) -> dict:
    return {"kind": kind, "severity": severity, "text": text, "actors": list(actors), "topic": None}


def _names(items: list[str], total: int) -> str:
    shown = ", ".join(items[:NAMES_SHOWN])
    rest = total - min(total, NAMES_SHOWN)
    return _("%(names)s und %(n)s weitere", names=shown, n=rest) if rest > 0 else shown


def survey_findings(_sender: Any = None) -> list[dict]:
    """Findings of the sent surveys: response rate with the non-respondents per category, and
    a warning when the answers come mostly from one sector (receiver of
    core.signals.analysis_findings). The texts are in the reader's language: the network
    caches these findings per language."""
    result = []
    for survey in db.session.scalars(
        sa.select(Survey).where(Survey.sent_at.is_not(None)).order_by(Survey.id)
    ):
        data = progress(survey)
        if not data["organisations"]:
            continue
        title = survey.title
        text = _(
            "Befragung „%(title)s“: %(answered)s von %(asked)s befragten Organisationen haben "
            "geantwortet (%(rate)s %%).",
            title=title,
            answered=data["organisations_answered"],
            asked=data["organisations"],
            rate=f"{data['organisation_rate']:.0f}",
        )
        missing = [c for c in data["by_category"] if c["missing"]]
        if missing:
            parts = [
                _(
                    "%(label)s %(missing)s von %(asked)s",
                    label=c["label"],
                    missing=c["missing"],
                    asked=c["asked"],
                )
                for c in missing
            ]
            text += " " + _(
                "Ohne Antwort nach Kategorie: %(names)s.", names=_names(parts, len(parts))
            )
        severity = "mittel" if data["organisation_rate"] < 50 else "niedrig"
        silent = [a.id for a in data["non_respondents"]]
        result.append(_finding("survey_response_rate", severity, text, silent))
        result.extend(_bias(title, data))
    return result


def _bias(title: str, data: dict) -> list[dict]:
    """Sectors that answered far more than they were asked, and sectors that did not answer."""
    answered_total = data["organisations_answered"]
    asked_total = data["organisations"]
    if not answered_total:
        return []
    result = []
    for sector in data["by_sector"]:
        answer_share = 100 * sector["answered"] / answered_total
        asked_share = 100 * sector["asked"] / asked_total
        if answer_share >= 50 and answer_share - asked_share >= BIAS_POINTS:
            text = _(
                "Die Antworten der Befragung „%(title)s“ kommen zu %(share)s %% aus dem Sektor "
                "%(sector)s (befragt: %(asked)s %%). Das Netzwerk ist damit vor allem aus dieser "
                "Sicht beschrieben; Beziehungen der anderen Akteure fehlen wahrscheinlich. Bitte "
                "bei den anderen nachfragen.",
                title=title,
                share=f"{answer_share:.0f}",
                sector=sector["label"],
                asked=f"{asked_share:.0f}",
            )
            result.append(_finding("survey_bias", "mittel", text))
    silent = [s for s in data["by_sector"] if s["asked"] and not s["answered"]]
    if silent:
        labels = ", ".join(str(s["label"]) for s in silent)
        text = _(
            "Aus %(sectors)s hat bei der Befragung „%(title)s“ niemand geantwortet: die "
            "Beziehungen dieser Akteure sieht die Karte nur aus der Sicht der anderen.",
            sectors=labels,
            title=title,
        )
        result.append(_finding("survey_bias", "mittel", text))
    return result


# --- organisations named as missing --------------------------------------------------------------


def missing_actors(_sender: Any = None) -> list[dict]:
    """Organisations respondents named (as missing, or as a partner not yet in the network),
    one item per organisation and topic, across all surveys: named_by (actor ids), the
    names and reasons given, and what became of them. Receiver of core.signals.missing_actors.

    Open ones are left out when an actor of that name is already linked to the topic;
    accepted or merged ones stay while their actor is a candidate (status "kandidat")."""
    rows = db.session.execute(
        sa.select(
            SurveyProposal.id,
            SurveyProposal.survey_id,
            SurveyProposal.kind,
            SurveyProposal.status,
            SurveyProposal.topic_id,
            SurveyProposal.actor_id,
            SurveyProposal.name,
            SurveyProposal.name_key,
            SurveyProposal.category_key,
            SurveyProposal.reason,
            SurveyProposal.result_actor_id,
            SurveyProposal.target_actor_id,
        ).where(
            SurveyProposal.name_key != "",
            sa.or_(
                SurveyProposal.kind == ProposalKind.NOMINATION,
                sa.and_(
                    SurveyProposal.kind == ProposalKind.RELATION,
                    SurveyProposal.status == ProposalStatus.PENDING,
                    SurveyProposal.target_actor_id.is_(None),
                ),
            ),
            SurveyProposal.status.in_(
                (ProposalStatus.PENDING, ProposalStatus.ACCEPTED, ProposalStatus.MERGED)
            ),
        )
    ).all()
    if not rows:
        return []
    result_ids = {r.result_actor_id for r in rows if r.result_actor_id}
    statuses = dict(
        db.session.execute(
            sa.select(Actor.id, sa.type_coerce(Actor.status, sa.String)).where(
                Actor.id.in_(result_ids)
            )
        ).all()
    )
    actor_keys: dict[str, set[int]] = defaultdict(set)
    for ident, name in db.session.execute(sa.select(Actor.id, Actor.name)):
        actor_keys[normalise(name)].add(ident)
    linked: set[tuple[int, int]] = set(
        db.session.execute(sa.select(ActorTopic.actor_id, ActorTopic.topic_id)).all()
    )
    leaders = group_keys(r.name_key for r in rows)
    grouped: dict[tuple, list] = defaultdict(list)
    for r in rows:
        grouped[(r.topic_id, leaders.get(r.name_key, r.name_key))].append(r)
    items = []
    for (topic_id, key), members in grouped.items():
        settled = [m for m in members if m.status != ProposalStatus.PENDING and m.result_actor_id]
        result_actor = settled[0].result_actor_id if settled else None
        if result_actor is not None:
            if statuses.get(result_actor) != Status.CANDIDATE.value:
                continue  # it is in the network now (or was dropped)
            status = "angelegt"
        else:
            if not any(m.status == ProposalStatus.PENDING for m in members):
                continue
            existing = actor_keys.get(key, set())
            if existing and (topic_id is None or any((a, topic_id) in linked for a in existing)):
                continue
            status = "offen"
        named_by = sorted({m.actor_id for m in members if m.actor_id is not None})
        spellings = Counter(m.name.strip() for m in members if m.name.strip())
        categories = Counter(m.category_key for m in members if m.category_key)
        pending = [m for m in members if m.status == ProposalStatus.PENDING]
        first = (pending or members)[0]
        items.append(
            {
                "topic_id": topic_id,
                "key": key,
                "name": spellings.most_common(1)[0][0] if spellings else key,
                "category": categories.most_common(1)[0][0] if categories else None,
                "named_by": named_by,
                "as_partner": sum(1 for m in members if m.kind == ProposalKind.RELATION),
                "reasons": [m.reason for m in members if m.reason][:10],
                "status": status,
                "actor_id": result_actor,
                "proposal_id": first.id,
                "survey_id": first.survey_id,
            }
        )
    items.sort(key=lambda i: (-len(i["named_by"]), i["name"].casefold()))
    return items
