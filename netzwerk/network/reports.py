"""The analysis as the report pages, the API and the exports need it: topics, gaps, findings,
metrics and coverage of the current state (state.snapshot), labelled and kept per state."""

from __future__ import annotations

from collections import defaultdict

import networkx as nx
from flask import g, has_request_context
from flask_babel import get_locale, gettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..actors.vocab import Sector, Status
from ..core import signals
from ..core.errors import Invalid
from ..topics.models import TopicRole
from . import analysis, state
from .graph import actor_node, category_labels, graph_from_data, read_topics
from .state import Result, Snapshot

SEVERITY_LABELS = {"hoch": _l("hoch"), "mittel": _l("mittel"), "niedrig": _l("niedrig")}
METRIC_SORTS = ("label", "category", "sector", "degree", "betweenness", "community")
DEFAULT_METRIC_SORT = "-betweenness"


# --- topics --------------------------------------------------------------------------------------


def topics(snap: Snapshot | None = None) -> list[dict]:
    """The topics of `snap`, or of the topics table (one small SELECT: the map page of a fresh
    process needs no graph of all actors for its topic choice)."""
    graph = snap.graph if snap is not None else graph_from_data((), read_topics())
    return [_topic_summary(graph, node) for node in analysis.topic_nodes(graph)]


def _topic_summary(graph: nx.MultiDiGraph, node: str) -> dict:
    attrs = graph.nodes[node]
    return {
        "id": attrs["id"],
        "code": attrs["code"],
        "title": attrs["title"],
        "label": attrs["label"],
        "node": node,
    }


def resolve_topic(ref: str | int | None, snap: Snapshot | None = None) -> dict | None:
    """A topic by id ("2") or code ("SDG12", "sdg 12"); None for no filter; Invalid if unknown."""
    if ref is None or str(ref).strip() == "":
        return None
    text = str(ref).strip()
    for topic in topics(snap):
        if text.isdigit() and topic["id"] == int(text):
            return topic
        if analysis.normalize_code(topic["code"]) == analysis.normalize_code(text):
            return topic
    raise Invalid(_("Unbekanntes Thema: %(text)s", text=text), field="topic")


# --- gaps ----------------------------------------------------------------------------------------


def gap_list(topic_ref: str | int | None = None, snap: Snapshot | None = None) -> list[dict]:
    """Gaps with labels and the candidate actors already noted for each, for page and API;
    of the current state or of `snap` (a past day's, past.snapshot_at)."""
    snap = snap or state.snapshot()
    topic = resolve_topic(topic_ref, snap)
    labels = category_labels(snap.graph)
    found = snap.carry(CANDIDATES)
    titles = {t["code"]: t["label"] for t in topics(snap)}
    return [
        {
            "topic": gap["topic"],
            "topic_id": gap["topic_id"],
            "topic_label": titles.get(gap["topic"], gap["topic"]),
            "category": gap["category"],
            "category_label": labels.get(gap["category"], gap["category"]),
            "have": gap["have"],
            "need": gap["need"],
            "candidates": gap["candidates"],
            "candidate_actors": found.get((gap["topic"], gap["category"]), []),
            "reason": analysis.reason_text(gap["reason"], str(get_locale())),
            "source": "checklist",
        }
        for gap in snap.gaps()
        if topic is None or gap["topic"] == topic["code"]
    ]


def gaps_by_topic(topic_ref: str | int | None = None) -> list[dict]:
    """[{"topic": summary, "gaps": [...], "named": [...]}] for every topic (or the one asked
    for), also those without gaps, so the page can say that nothing is missing. "named" are
    the organisations the actors named as missing (nomination_list)."""
    snap = state.snapshot()
    chosen = resolve_topic(topic_ref, snap)
    code = chosen["code"] if chosen else None
    grouped: dict[str, list] = defaultdict(list)
    for gap in gap_list(code):
        grouped[gap["topic"]].append(gap)
    named: dict[str, list] = defaultdict(list)
    for item in nomination_list(code):
        named[item["topic"]].append(item)
    return [
        {"topic": t, "gaps": grouped.get(t["code"], []), "named": named.get(t["code"], [])}
        for t in topics(snap)
        if chosen is None or t["id"] == chosen["id"]
    ]


# --- organisations named as missing by the actors (surveys) -------------------------------------


def _named_missing(_snap: Snapshot) -> list[dict]:
    return [item for part in signals.results(signals.missing_actors) for item in part]


# the nominations are read again after any change but one of relations or contacts only (they
# depend on the survey answers and decisions, actor names and statuses, topic links)
NOMINATIONS = state.Carried(
    "named missing actors",
    compute=_named_missing,
    unaffected_by=lambda changes: changes.entities <= {"relation", "contact"},
)


def nomination_list(topic_ref: str | int | None = None) -> list[dict]:
    """Organisations the actors named as missing (source "survey"), in the shape of the gap
    items: topic, category, "genannt von N Akteuren" with their names, the reasons given, and
    the candidate actor where one was made from the nomination. Items without a topic come
    only when no topic is asked for."""
    snap = state.snapshot()
    topic = resolve_topic(topic_ref, snap)
    by_id = {t["id"]: t for t in topics(snap)}
    labels = snap.graph.graph.get("category_labels", {})
    nodes = snap.graph.nodes
    result = []
    for item in snap.carry(NOMINATIONS):
        summary = by_id.get(item["topic_id"]) if item["topic_id"] is not None else None
        if item["topic_id"] is not None and summary is None:
            continue  # a topic deleted since
        if topic is not None and (summary is None or summary["id"] != topic["id"]):
            continue
        named_by = [
            _actor_ref(snap.graph, actor_node(i))
            for i in item["named_by"]
            if actor_node(i) in nodes
        ]
        candidate = item["actor_id"]
        candidates = (
            [_actor_ref(snap.graph, actor_node(candidate))]
            if candidate is not None and actor_node(candidate) in nodes
            else []
        )
        count = len(item["named_by"])
        names = ", ".join(a["label"] for a in named_by[:5])
        reason = f"Genannt von {count} {'Akteur' if count == 1 else 'Akteuren'}"
        reason += f" ({names}{', …' if len(named_by) > 5 else ''})." if names else "."
        if item["reasons"]:
            reason += " " + " / ".join(item["reasons"][:3])
        category = item["category"]
        result.append(
            {
                "source": "survey",
                "topic": summary["code"] if summary else None,
                "topic_id": item["topic_id"],
                "topic_label": summary["label"] if summary else None,
                "category": category,
                "category_label": labels.get(category, category) if category else None,
                "name": item["name"],
                "key": item["key"],
                "named_by": count,
                "named_by_actors": named_by,
                "as_partner": item["as_partner"],
                "reasons": item["reasons"],
                "status": item["status"],
                "have": None,
                "need": None,
                "candidates": len(candidates),
                "candidate_actors": candidates,
                "reason": reason,
                "proposal_id": item["proposal_id"],
                "survey_id": item["survey_id"],
            }
        )
    return result


def candidates(graph: nx.MultiDiGraph) -> dict[tuple[str, str], list[dict]]:
    """(topic code, category) -> candidate actors linked to the topic."""
    found: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for topic in analysis.topic_nodes(graph):
        code = graph.nodes[topic]["code"]
        for node in analysis.linked_actors(graph, topic):
            attrs = graph.nodes[node]
            if attrs["status"] == Status.CANDIDATE:
                found[(code, attrs["category"])].append(_actor_ref(graph, node))
    return found


CANDIDATES = state.Carried(
    "gap candidates",
    compute=lambda snap: candidates(snap.graph),
    unaffected_by=state.Changes.leaves_gap_inputs,
)


def _actor_ref(graph: nx.Graph, node: str) -> dict:
    attrs = graph.nodes[node]
    return {"id": attrs["id"], "label": attrs["label"]}


# --- findings ------------------------------------------------------------------------------------


def finding_list(topic_ref: str | int | None = None, stale_ok: bool = False) -> list[dict]:
    """Structural findings with the actors concerned; with a topic, those about the topic or
    about actors linked to it. stale_ok: see Snapshot.findings_result and analyses_pending."""
    snap = state.snapshot()
    topic = resolve_topic(topic_ref, snap)
    code = topic["code"] if topic else None
    result = snap.findings_result(stale_ok)
    _note_pending(snap, result)
    return snap.value(
        f"findings:{result.key}:{snap.key}:{code}:{get_locale()}",
        lambda: _findings_for(snap, topic, _with_other_findings(snap, result.value)),
    )


def _with_other_findings(snap: Snapshot, findings: list[dict]) -> list[dict]:
    """The graph's findings and those of other domains (survey response rates and bias) for
    this state of the data, most severe first (a stable sort: the graph's order stays)."""
    others = snap.value(
        f"other findings:{get_locale()}",  # other domains write them in the reader's language
        lambda: [f for part in signals.results(signals.analysis_findings) for f in part],
    )
    if not others:
        return findings
    return sorted(findings + others, key=lambda f: analysis.SEVERITY_ORDER[f["severity"]])


def _findings_for(snap: Snapshot, topic: dict | None, findings: list[dict]) -> list[dict]:
    linked: set[int] = set()
    if topic is not None:
        nodes = analysis.linked_actors(snap.graph, topic["node"])
        linked = {snap.graph.nodes[n]["id"] for n in nodes}
    labels = category_labels(snap.graph)
    result = []
    for finding in findings:
        if topic is not None:
            if finding["topic"] not in (None, topic["code"]):
                continue
            if finding["topic"] is None and not linked.intersection(finding["actors"]):
                continue
        refs = [
            _actor_ref(snap.graph, actor_node(i))
            for i in finding["actors"]
            if actor_node(i) in snap.graph
        ]
        shown = {k: v for k, v in finding.items() if k != "parts"}
        if "parts" in finding:
            # the text in the reader's language (the graph's findings are computed once, in German)
            shown["text"] = analysis.render_text(
                finding["parts"], gettext, labels, str(get_locale())
            )
        result.append({**shown, "actor_refs": refs})
    return result


def _note_pending(snap: Snapshot, result: Result) -> None:
    if result.key != snap.key and has_request_context():
        g.netzwerk_analyses_pending = True


def analyses_pending() -> bool:
    """Whether this request was answered with findings or metrics of an earlier state of the
    data (asked for with stale_ok) because those of the current one are still being computed."""
    return bool(g.get("netzwerk_analyses_pending"))


def severity_label(severity: str) -> str:
    return str(SEVERITY_LABELS.get(severity, severity))


# --- metrics -------------------------------------------------------------------------------------


def parse_sort(sort: str | None) -> tuple[str, bool]:
    """ "-degree" → ("degree", descending). Unknown keys are an error, not silently ignored."""
    sort = (sort or DEFAULT_METRIC_SORT).strip()
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key not in METRIC_SORTS:
        raise Invalid(
            _(
                "Unbekannte Sortierung: %(sort)s (erlaubt: %(value)s)",
                sort=sort,
                value=", ".join(METRIC_SORTS),
            ),
            field="sort",
        )
    return key, descending


def metric_rows(
    sort: str | None = None, topic_ref: str | int | None = None, stale_ok: bool = False
) -> list[dict]:
    """Degree, betweenness and community per actor, sorted on the server (works without JS).

    Kept per sort, topic and language, so paging through 8,000 rows does not sort each time.
    With stale_ok (see Snapshot.metrics_result) actors added since the metrics were computed
    are left out until they are.
    """
    key, descending = parse_sort(sort)
    snap = state.snapshot()
    topic = resolve_topic(topic_ref, snap)
    code = topic["code"] if topic else None
    result = snap.metrics_result(stale_ok)
    _note_pending(snap, result)
    name = f"metrics:{result.key}:{key}:{descending}:{code}:{get_locale()}"
    return snap.value(name, lambda: _metric_rows(snap, result, key, descending, topic))


def _metric_rows(
    snap: Snapshot, result: Result, key: str, descending: bool, topic: dict | None
) -> list[dict]:
    """A new order of the same row dicts: each sort and filter costs a list of references."""
    rows = snap.value(
        f"metrics-labelled:{result.key}:{get_locale()}", lambda: _labelled_metrics(snap, result)
    )
    if topic is not None:
        nodes = analysis.linked_actors(snap.graph, topic["node"])
        linked = {snap.graph.nodes[n]["id"] for n in nodes}
        rows = [r for r in rows if r["id"] in linked]

    def order(row: dict):
        value = row[key]
        return value.casefold() if isinstance(value, str) else value

    rows = sorted(rows, key=lambda r: r["label"].casefold())
    rows.sort(key=order, reverse=descending)
    return rows


def _labelled_metrics(snap: Snapshot, result: Result) -> list[dict]:
    """The rows with today's names and categories and their labels."""
    nodes = snap.graph.nodes
    labels = category_labels(snap.graph)
    sectors = {member.value: member.label for member in Sector}
    rows = []
    for row in result.value:
        attrs = nodes.get(actor_node(row["id"]))
        if attrs is None or row["community"] is None:
            continue
        rows.append(
            {
                **row,
                "label": attrs["label"],
                "category": attrs["category"],
                "sector": attrs["sector"],
                "category_label": labels.get(attrs["category"], attrs["category"]),
                "sector_label": sectors.get(attrs["sector"], attrs["sector"]),
                "group": row["community"] + 1,
            }
        )
    return rows


# --- coverage ------------------------------------------------------------------------------------


def coverage_view(category: str | None = None, all_actors: bool = False) -> dict:
    """The actor × topic matrix and the have/need table, ready for the template."""
    snap = state.snapshot()
    data = snap.coverage(all_actors)
    labels = category_labels(snap.graph)
    codes = [t["code"] for t in data["topics"]]
    needs: dict[str, dict[str, dict]] = {}
    for item in data["categories"]:
        cell = {**item, "missing": item["have"] < item["need"]}
        needs.setdefault(item["category"], {})[item["topic"]] = cell
    need_rows = [
        {
            "category": key,
            "label": labels.get(key, key),
            "cells": [cells.get(code) for code in codes],
        }
        for key, cells in needs.items()
    ]
    roles = {role.value: role.label for role in TopicRole}
    rows = [
        {
            "actor": row["actor"],
            "label": row["label"],
            "category": row["category"],
            "category_label": labels.get(row["category"], row["category"]),
            "cells": [
                {"role": row["roles"][code], "label": roles.get(row["roles"][code], "")}
                if code in row["roles"]
                else None
                for code in codes
            ],
        }
        for row in data["rows"]
        if not category or row["category"] == category
    ]
    used = sorted({row["category"] for row in data["rows"]})
    return {
        "topics": data["topics"],
        "need_rows": need_rows,
        "rows": rows,
        "categories": [(key, labels.get(key, key)) for key in used],
    }
