"""Where the interlocking of projects is missing: pure functions on plain data, no Flask.

The stocktaking report, the council document and the API share them; the findings carry a
`kind` and the names they speak of, and services.finding_text turns them into a sentence in
the reader's language.

Input: `projects` as dicts {id, title, topic_ids, lead_id, partner_ids, funder_id,
partner_city_id}; `related` a set of frozenset({actor_id, actor_id}) for every relation except
conflicts (a conflict is a relation, but not interlocking); `names` actor id → name.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from itertools import combinations
from typing import Any

SEVERITY_ORDER = {"hoch": 0, "mittel": 1, "niedrig": 2}


def carriers(project: dict) -> set[int]:
    """The actors who carry a project: its lead and its partners (the partner city and the
    funder are named separately)."""
    found = set(project.get("partner_ids") or ())
    if project.get("lead_id"):
        found.add(project["lead_id"])
    return found


def meet(a: set[int], b: set[int], related: set[frozenset]) -> bool:
    """Two groups of actors meet when they share an actor or one of them has a relation to one
    of the other."""
    if a & b:
        return True
    return any(frozenset((x, y)) in related for x in a for y in b)


def _finding(kind: str, severity: str, params: dict, actors: Iterable[int], projects) -> dict:
    return {
        "kind": kind,
        "severity": severity,
        "params": params,
        "actors": sorted(set(actors)),
        "projects": sorted(set(projects)),
    }


def unrelated_leads(
    projects: list[dict], related: set[frozenset], names: dict[int, str], topic: dict
) -> list[dict]:
    """Projects on the same topic whose leads have no relation: the topic's leads fall into
    groups that have no relation to each other (leads who run a project together anywhere, or
    are linked through another lead of the topic, are one group). One finding per topic."""
    in_topic = [p for p in projects if topic["id"] in (p.get("topic_ids") or ())]
    by_lead: dict[int, list[dict]] = defaultdict(list)
    for project in in_topic:
        if project.get("lead_id"):
            by_lead[project["lead_id"]].append(project)
    if len(by_lead) < 2:
        return []
    together: set[frozenset] = set()
    for project in projects:  # leads who work together anywhere meet
        for a, b in combinations(sorted(carriers(project)), 2):
            together.add(frozenset((a, b)))
    leads = sorted(by_lead, key=lambda i: names.get(i, "").casefold())
    parent = {lead: lead for lead in leads}

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in combinations(leads, 2):
        pair = frozenset((a, b))
        if pair in related or pair in together:
            parent[root(a)] = root(b)
    groups: dict[int, list[int]] = defaultdict(list)
    for lead in leads:
        groups[root(lead)].append(lead)
    if len(groups) < 2:
        return []
    ordered = sorted(groups.values(), key=lambda g: (-len(g), names.get(g[0], "").casefold()))
    described = [
        [
            {"lead": names.get(lead, f"#{lead}"), "projects": [p["title"] for p in by_lead[lead]]}
            for lead in group
        ]
        for group in ordered
    ]
    return [
        _finding(
            "leads_unrelated",
            "hoch" if len(ordered) > 2 else "mittel",
            {"topic": topic["code"], "groups": described},
            leads,
            [p["id"] for p in in_topic if p.get("lead_id")],
        )
    ]


def _groups(items: list[dict], related: set[frozenset]) -> list[list[dict]]:
    """Projects that meet (directly or through others) in one group each."""
    parent = list(range(len(items)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    people = [carriers(p) for p in items]
    for i, j in combinations(range(len(items)), 2):
        if root(i) != root(j) and meet(people[i], people[j], related):
            parent[root(i)] = root(j)
    groups: dict[int, list[dict]] = defaultdict(list)
    for i, item in enumerate(items):
        groups[root(i)].append(item)
    return sorted(groups.values(), key=lambda g: (-len(g), g[0]["title"].casefold()))


def funder_projects_apart(
    projects: list[dict], related: set[frozenset], names: dict[int, str]
) -> list[dict]:
    """A funder's projects that never meet: no shared or related carriers between them."""
    by_funder: dict[int, list[dict]] = defaultdict(list)
    for project in projects:
        if project.get("funder_id"):
            by_funder[project["funder_id"]].append(project)
    result = []
    for funder, items in sorted(by_funder.items(), key=lambda kv: names.get(kv[0], "")):
        if len(items) < 2:
            continue
        groups = _groups(sorted(items, key=lambda p: p["title"].casefold()), related)
        if len(groups) < 2:
            continue
        actors = {funder}
        for item in items:
            actors |= carriers(item)
        result.append(
            _finding(
                "funder_projects_apart",
                "mittel",
                {
                    "funder": names.get(funder, f"#{funder}"),
                    "count": len(items),
                    "groups": [[p["title"] for p in group] for group in groups],
                },
                actors,
                [p["id"] for p in items],
            )
        )
    return result


def single_carrier_cities(projects: list[dict], names: dict[int, str]) -> list[dict]:
    """A partner city whose projects are all carried by the same one actor here."""
    by_city: dict[int, list[dict]] = defaultdict(list)
    for project in projects:
        if project.get("partner_city_id"):
            by_city[project["partner_city_id"]].append(project)
    result = []
    for city, items in sorted(by_city.items(), key=lambda kv: names.get(kv[0], "")):
        local = set()
        for item in items:
            local |= carriers(item)
        local.discard(city)
        if len(local) != 1:
            continue
        (actor,) = local
        result.append(
            _finding(
                "city_single_carrier",
                "hoch" if len(items) > 1 else "mittel",
                {
                    "city": names.get(city, f"#{city}"),
                    "actor": names.get(actor, f"#{actor}"),
                    "count": len(items),
                    "projects": [p["title"] for p in items],
                },
                (city, actor),
                [p["id"] for p in items],
            )
        )
    return result


def interlocking(
    projects: list[dict],
    related: set[frozenset],
    names: dict[int, str],
    topics: list[dict],
) -> list[dict]:
    """Every finding about the given projects, most severe first. `topics` ({id, code}) are
    the topics whose projects are compared for unrelated leads."""
    result: list[dict[str, Any]] = []
    for topic in topics:
        result.extend(unrelated_leads(projects, related, names, topic))
    result.extend(funder_projects_apart(projects, related, names))
    result.extend(single_carrier_cities(projects, names))
    return sorted(result, key=lambda f: SEVERITY_ORDER[f["severity"]])
