"""Analyses of the actor network: gaps against the reference checklist, findings, metrics.

Pure functions on the graph from graph.py that return plain, JSON-serialisable data with German
sentences, so the map, the API, the exports and the invitee suggestions share them and the tests
need neither Flask nor a database. Callers cache the slow ones (findings, metrics).
"""

from __future__ import annotations

import functools
import json
import random
import re
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import networkx as nx

from ..actors.vocab import RelationKind, Sector, Status
from .graph import TOPIC_LINK, category_labels

REFERENCE_PATH = Path(__file__).with_name("reference.json")
PARTNER_CITY_CATEGORY = "partnerstadt"
SEVERITY_ORDER = {"hoch": 0, "mittel": 1, "niedrig": 2}

# Exact betweenness and greedy modularity grow roughly quadratically; above this many actors
# betweenness samples its sources and communities come from Louvain (greedy takes 25 s at 8,000).
LARGE_GRAPH = 1500
BETWEENNESS_SAMPLE = 300
SEED = 42

NAMES_PER_SIDE = 3
NAMES_PER_GROUP = 5


def N_(text: str) -> str:
    """Marks a msgid for extraction (pybabel) without translating: callers translate with _()."""
    return text


QUADRANT_LABELS = {
    "eng_einbinden": N_("Eng einbinden"),
    "zufriedenstellen": N_("Zufriedenstellen"),
    "informieren": N_("Informieren"),
    "beobachten": N_("Beobachten"),
}


# --- reference checklist -------------------------------------------------------------------


def load_reference(path: str | Path | None = None) -> dict:
    """Read the checklist of expected actor categories per topic (reference.json by default)."""
    with open(path or REFERENCE_PATH, encoding="utf-8") as fh:
        return json.load(fh)


@functools.lru_cache(maxsize=1)
def _default_reasons() -> dict[str, str]:
    """The shipped checklist's German reasons → their English texts (reason_en)."""
    return {
        item["reason"]: item["reason_en"]
        for items in load_reference().values()
        for item in items
        if item.get("reason_en")
    }


def reason_text(reason: str, language: str | None) -> str:
    """A checklist reason in the reader's language: the shipped defaults have an English text;
    a reason an admin wrote stays as written."""
    if language and language.startswith("en"):
        return _default_reasons().get(reason, reason)
    return reason


def normalize_code(code: str) -> str:
    """Topic codes are compared without spaces and case: "SDG 12" == "sdg12"."""
    return "".join(str(code).split()).upper()


def expected_for(reference: dict, topic_code: str) -> list[dict]:
    """The "all" entries merged with the topic's own; a topic entry raises the minimum and
    brings its more specific reason. Order: "all" first, then the topic's additions."""
    wanted = normalize_code(topic_code)
    specific = next(
        (
            items
            for key, items in reference.items()
            if key != "all" and normalize_code(key) == wanted
        ),
        [],
    )
    merged: dict[str, dict] = {}
    for item in [*reference.get("all", []), *specific]:
        entry = {"category": item["category"], "min": int(item["min"]), "reason": item["reason"]}
        previous = merged.get(entry["category"])
        if previous:
            entry["min"] = max(entry["min"], previous["min"])
        merged[entry["category"]] = entry
    return list(merged.values())


# --- gaps ------------------------------------------------------------------------------------


def gaps(graph: nx.MultiDiGraph, reference: dict, topic_code: str | None = None) -> list[dict]:
    """Expected categories with fewer active actors than the minimum, per topic.

    Candidates are listed separately because they are planned, not yet involved; inactive
    actors do not count. Only topics present in the graph are checked.
    """
    wanted = normalize_code(topic_code) if topic_code else None
    result = []
    for topic in topic_nodes(graph):
        attrs = graph.nodes[topic]
        if wanted and normalize_code(attrs["code"]) != wanted:
            continue
        counts = _category_counts(graph, topic)
        for item in expected_for(reference, attrs["code"]):
            have, candidates = counts.get(item["category"], (0, 0))
            if have < item["min"]:
                result.append(
                    {
                        "topic": attrs["code"],
                        "topic_id": attrs["id"],
                        "category": item["category"],
                        "have": have,
                        "need": item["min"],
                        "candidates": candidates,
                        "reason": item["reason"],
                    }
                )
    return result


def _category_counts(graph: nx.MultiDiGraph, topic: str) -> dict[str, tuple[int, int]]:
    """category -> (active actors, candidate actors) linked to the topic."""
    active: Counter = Counter()
    candidates: Counter = Counter()
    for node in linked_actors(graph, topic):
        attrs = graph.nodes[node]
        if attrs["status"] == Status.ACTIVE:
            active[attrs["category"]] += 1
        elif attrs["status"] == Status.CANDIDATE:
            candidates[attrs["category"]] += 1
    return {cat: (active[cat], candidates[cat]) for cat in active.keys() | candidates.keys()}


# --- graph helpers -------------------------------------------------------------------------


def actor_nodes(graph: nx.MultiDiGraph) -> list[str]:
    return [node for node, kind in graph.nodes(data="kind") if kind == "actor"]


def topic_nodes(graph: nx.MultiDiGraph) -> list[str]:
    """Topic nodes in natural code order (SDG4 before SDG12)."""
    topics = [node for node, kind in graph.nodes(data="kind") if kind == "topic"]
    return sorted(topics, key=lambda node: _natural_key(normalize_code(graph.nodes[node]["code"])))


def linked_actors(graph: nx.MultiDiGraph, topic: str) -> list[str]:
    """Actor nodes linked to a topic, each once."""
    found = (src for src, _, kind in graph.in_edges(topic, data="kind") if kind == TOPIC_LINK)
    return list(dict.fromkeys(found))


def actor_relation_graph(graph: nx.MultiDiGraph) -> nx.Graph:
    """Undirected actor–actor graph of all relations; every actor is a node, isolated ones too.

    Several relations between the same pair become one edge whose "relations" attribute counts
    them, so that degree(weight="relations") counts relations.
    """
    relations = nx.Graph()
    relations.add_nodes_from((node, graph.nodes[node]) for node in actor_nodes(graph))
    pairs: Counter = Counter()
    for source, target, kind in graph.edges(data="kind"):
        if kind != TOPIC_LINK and source != target:
            pairs[(source, target) if source < target else (target, source)] += 1
    relations.add_edges_from((s, t, {"relations": n}) for (s, t), n in pairs.items())
    return relations


def communities(relations: nx.Graph) -> list[set[str]]:
    """Communities of the relation graph, largest first.

    Greedy modularity up to LARGE_GRAPH actors; Louvain (seeded) above, because greedy
    modularity takes tens of seconds at 8,000 actors while Louvain takes under one.
    """
    if relations.number_of_nodes() == 0:
        return []
    if relations.number_of_nodes() > LARGE_GRAPH:
        found = nx.community.louvain_communities(relations, seed=SEED)
    else:
        found = nx.community.greedy_modularity_communities(relations)
    return sorted((set(c) for c in found), key=lambda c: (-len(c), min(c)))


def display_name(graph: nx.Graph, node: str) -> str:
    attrs = graph.nodes[node]
    return attrs.get("short_name") or attrs.get("label") or node


def _natural_key(text: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text))


def N_(msgid: str) -> str:  # noqa: N802 - the gettext marker: extracted, translated when shown
    return msgid


def _name_list(graph: nx.Graph, nodes: list[str], total: int | None = None) -> dict:
    """Names for a finding's text: shown as "A, B und C", or "A, B, C und 4 weitere" when
    total exceeds them (joined in the reader's language when the text is rendered)."""
    names = [display_name(graph, node) for node in nodes]
    return {"names": names, "rest": max((total or len(names)) - len(names), 0)}


def _join(value: dict, translate: Callable[[str], str]) -> str:
    names = value["names"]
    if value.get("rest"):
        return translate(N_("%(names)s und %(n)s weitere")) % {
            "names": ", ".join(names),
            "n": value["rest"],
        }
    if len(names) > 1:
        return translate(N_("%(names)s und %(last)s")) % {
            "names": ", ".join(names[:-1]),
            "last": names[-1],
        }
    return names[0] if names else ""


def render_text(
    parts: list,
    translate: Callable[[str], str] | None = None,
    labels: Mapping[str, str] | None = None,
    language: str | None = None,
) -> str:
    """A finding's text from its parts [(msgid, params) or plain text], in the language of
    `translate` (German without), category keys shown with `labels`; a plain part that is a
    reason of the shipped checklist in `language`."""
    translate = translate or (lambda text: text)
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(reason_text(part, language))
            continue
        msgid, params = part
        values = {}
        for key, value in params.items():
            if isinstance(value, dict) and "names" in value:
                value = _join(value, translate)
            elif isinstance(value, dict) and "sector" in value:
                value = _sector_label(value["sector"])
            elif isinstance(value, dict) and "category" in value:
                value = (labels or {}).get(value["category"], value["category"])
            values[key] = value
        out.append(translate(msgid) % values)
    return " ".join(out)


def _actor_id(graph: nx.Graph, node: str) -> int:
    return graph.nodes[node]["id"]


def _category_label(graph: nx.MultiDiGraph, category: str) -> str:
    return category_labels(graph).get(category, category)


def _sector_label(sector: str) -> str:
    try:
        return Sector(sector).label
    except ValueError:
        return sector


def _finding(kind: str, severity: str, parts: list, actors=(), topic=None, labels=None) -> dict:
    """A finding; `parts` keep its text translatable (render_text), `text` is the German."""
    return {
        "kind": kind,
        "severity": severity,
        "text": render_text(parts, labels=labels),
        "parts": parts,
        "actors": list(actors),
        "topic": topic,
    }


# --- findings ------------------------------------------------------------------------------


def findings(graph: nx.MultiDiGraph, reference: dict | None = None) -> list[dict]:
    """Weak spots of the network as German sentences, most severe first.

    With a reference the category gaps are included as findings of kind "category_gap".
    Inactive actors are left out of the actor-level findings: they dropped out on purpose.
    """
    relations = actor_relation_graph(graph)
    result = [
        *_unconnected(graph, relations),
        *_articulation_points(relations),
        *_topic_findings(graph),
        *_partner_cities(graph, relations),
        *_unbridged_groups(relations),
        *_not_invitable(graph),
        *_one_sided(graph),
    ]
    if reference is not None:
        result.extend(_gap_findings(graph, reference))
    return sorted(result, key=lambda f: SEVERITY_ORDER[f["severity"]])


def _current_actors(graph: nx.Graph) -> Iterator[str]:
    for node, attrs in graph.nodes(data=True):
        if attrs.get("kind") == "actor" and attrs["status"] != Status.INACTIVE:
            yield node


def _unconnected(graph: nx.MultiDiGraph, relations: nx.Graph) -> Iterator[dict]:
    """isolated: neither relation nor topic; no_relations: topics but no relation."""
    for node in _current_actors(graph):
        if relations.degree(node):
            continue
        name = display_name(graph, node)
        topics = [
            graph.nodes[t]["code"]
            for _, t, k in graph.out_edges(node, data="kind")
            if k == TOPIC_LINK
        ]
        if topics:
            text = [
                (
                    N_(
                        "%(name)s ist %(topics)s zugeordnet, hat aber keine Beziehung zu anderen "
                        "Akteuren."
                    ),
                    {"name": name, "topics": {"names": topics, "rest": 0}},
                )
            ]
            yield _finding("no_relations", "niedrig", text, [_actor_id(graph, node)])
        else:
            text = [
                (
                    N_("%(name)s hat keine Beziehungen und ist keinem Thema zugeordnet."),
                    {"name": name},
                )
            ]
            yield _finding("isolated", "mittel", text, [_actor_id(graph, node)])


def _articulation_points(relations: nx.Graph) -> list[dict]:
    """Actors whose removal splits their part of the network, the widest splits first."""
    cuts = set(nx.articulation_points(relations))
    if not cuts:
        return []
    result = []
    for cut, parts in _separated_parts(relations, cuts).items():
        parts.sort(key=lambda part: (-part[0], min(display_name(relations, n) for n in part[1])))
        (size_a, starts_a), (size_b, starts_b) = parts[0], parts[1]
        side_a = _nearest(relations, starts_a, cut, NAMES_PER_SIDE)
        side_b = _nearest(relations, starts_b, cut, NAMES_PER_SIDE)
        text = [
            (
                N_("Nur %(name)s verbindet %(side_a)s mit %(side_b)s."),
                {
                    "name": display_name(relations, cut),
                    "side_a": _name_list(relations, side_a, size_a),
                    "side_b": _name_list(relations, side_b, size_b),
                },
            )
        ]
        if len(parts) > 2:
            text.append(
                (
                    N_("Ohne diesen Akteur zerfiele das Netzwerk hier in %(n)s Teile."),
                    {"n": len(parts)},
                )
            )
        severity = "hoch" if size_b >= 2 else "mittel"  # more than one actor hangs on it
        actors = [_actor_id(relations, n) for n in (cut, *side_a, *side_b)]
        result.append((size_b, _finding("articulation_point", severity, text, actors)))
    result.sort(key=lambda item: -item[0])
    return [finding for _, finding in result]


def _separated_parts(relations: nx.Graph, cuts: set[str]) -> dict[str, list]:
    """cut vertex -> [(size of a part its removal leaves, cut's neighbours in that part)].

    Uses the block-cut tree, so all cut vertices together cost one pass over the graph instead
    of one connected-components run each.
    """
    blocks = list(nx.biconnected_components(relations))
    tree = nx.Graph()
    for index, block in enumerate(blocks):
        tree.add_node(("b", index), weight=len(block - cuts))
        tree.add_edges_from((("b", index), ("c", node)) for node in block & cuts)
    for node in cuts:
        tree.nodes[("c", node)]["weight"] = 1
    parts: dict[str, list] = defaultdict(list)
    for component in nx.connected_components(tree):
        root = next(iter(component))
        parent = nx.dfs_predecessors(tree, root)
        below: dict[Any, int] = {}
        for node in nx.dfs_postorder_nodes(tree, root):
            children = (n for n in tree[node] if parent.get(n) == node)
            below[node] = tree.nodes[node]["weight"] + sum(below[c] for c in children)
        total = below[root]
        for node in component:
            if node[0] != "c":
                continue
            cut = node[1]
            for block_node in tree[node]:
                size = below[block_node] if parent.get(block_node) == node else total - below[node]
                starts = list(blocks[block_node[1]] & relations[cut].keys())
                parts[cut].append((size, starts))
    return parts


def _nearest(relations: nx.Graph, starts: list[str], avoid: str, limit: int) -> list[str]:
    """Up to `limit` actors closest to the starts without passing `avoid`, best connected first."""
    starts = sorted(starts, key=lambda n: (-relations.degree(n), display_name(relations, n)))
    seen = {avoid, *starts}
    queue = deque(starts)
    found: list[str] = []
    while queue and len(found) < limit:
        node = queue.popleft()
        found.append(node)
        for neighbour in relations[node]:
            if neighbour not in seen:
                seen.add(neighbour)
                queue.append(neighbour)
    return found


def _topic_findings(graph: nx.MultiDiGraph) -> Iterator[dict]:
    """single_sector_topic and no_civil_society, judged on the active actors of each topic."""
    for topic in topic_nodes(graph):
        code = graph.nodes[topic]["code"]
        label = graph.nodes[topic]["label"]
        linked = linked_actors(graph, topic)
        active = [n for n in linked if graph.nodes[n]["status"] == Status.ACTIVE]
        sectors = {graph.nodes[n]["sector"] for n in active}
        ids = [_actor_id(graph, n) for n in active]
        if len(sectors) == 1:
            sector = {"sector": next(iter(sectors))}
            if len(active) == 1:
                text = [
                    (
                        N_(
                            "Bei %(topic)s ist nur ein aktiver Akteur beteiligt, aus dem Sektor "
                            "%(sector)s."
                        ),
                        {"topic": label, "sector": sector},
                    )
                ]
            else:
                text = [
                    (
                        N_(
                            "Alle %(n)s aktiven Akteure bei %(topic)s gehören zum "
                            "Sektor %(sector)s."
                        ),
                        {"n": len(active), "topic": label, "sector": sector},
                    )
                ]
            yield _finding("single_sector_topic", "mittel", text, ids, code)
        if Sector.CIVIL_SOCIETY not in sectors:
            text = [
                (
                    N_(
                        "Bei %(topic)s ist keine zivilgesellschaftliche Organisation "
                        "aktiv beteiligt."
                    ),
                    {"topic": label},
                )
            ]
            planned = [
                n
                for n in linked
                if graph.nodes[n]["status"] == Status.CANDIDATE
                and graph.nodes[n]["sector"] == Sector.CIVIL_SOCIETY
            ]
            if planned:
                names = _name_list(graph, planned[:NAMES_PER_SIDE], len(planned))
                text.append((N_("Vorgemerkt sind %(names)s."), {"names": names}))
            yield _finding("no_civil_society", "hoch", text, ids, code)


def home_country(graph: nx.Graph) -> str | None:
    """The most common country among actors (ties: alphabetical), i.e. where "here" is."""
    counts = Counter(attrs["country"] for _, attrs in _actor_items(graph) if attrs["country"])
    if not counts:
        return None
    return min(counts, key=lambda country: (-counts[country], country))


def _actor_items(graph: nx.Graph) -> Iterator[tuple[str, dict]]:
    return ((n, a) for n, a in graph.nodes(data=True) if a.get("kind") == "actor")


def _partner_cities(graph: nx.MultiDiGraph, relations: nx.Graph) -> Iterator[dict]:
    home = home_country(graph)
    for node in _current_actors(graph):
        if graph.nodes[node]["category"] != PARTNER_CITY_CATEGORY:
            continue
        name = display_name(graph, node)
        neighbours = relations[node]
        if not neighbours:
            text = [
                (
                    N_("Die Partnerstadt %(name)s hat keine Beziehung zu anderen Akteuren."),
                    {"name": name},
                )
            ]
        elif not any(relations.nodes[n]["country"] == home for n in neighbours):
            text = [
                (
                    N_(
                        "Die Partnerstadt %(name)s hat keine Beziehung zu einem Akteur aus "
                        "%(home)s; der Partnerschaft fehlt ein Gegenüber vor Ort."
                    ),
                    {"name": name, "home": home},
                )
            ]
        else:
            continue
        yield _finding("partner_city_without_counterpart", "hoch", text, [_actor_id(graph, node)])


def _unbridged_groups(relations: nx.Graph) -> list[dict]:
    """Groups of two or more actors with no relation to the rest of the network.

    A community with no edge to any other community is always a whole connected component
    (modularity never merges unconnected groups), so the components are checked directly; this
    also catches islands that the community search splits in two, and skips the main network.
    Single actors are already reported as isolated.
    """
    groups = sorted(
        (c for c in nx.connected_components(relations) if len(c) >= 2),
        key=lambda c: (-len(c), min(c)),
    )
    result = []
    for group in groups[1:]:
        members = sorted(group, key=lambda n: (-relations.degree(n), display_name(relations, n)))
        shown = members[:NAMES_PER_GROUP]
        text = [
            (
                N_("Die Gruppe %(names)s hat keine Beziehung zum übrigen Netzwerk."),
                {"names": _name_list(relations, shown, len(members))},
            )
        ]
        actors = [_actor_id(relations, n) for n in members]
        result.append(_finding("unbridged_communities", "mittel", text, actors))
    return result


def _not_invitable(graph: nx.MultiDiGraph) -> Iterator[dict]:
    for node, attrs in _actor_items(graph):
        if attrs["status"] != Status.ACTIVE or attrs["has_email"]:
            continue
        name = display_name(graph, node)
        if attrs["contacts"]:
            msgid = N_(
                "%(name)s hat keinen Kontakt mit E-Mail-Adresse und kann nicht eingeladen werden."
            )
        else:
            msgid = N_(
                "Für %(name)s ist kein Kontakt hinterlegt; der Akteur kann nicht eingeladen werden."
            )
        text = [(msgid, {"name": name})]
        yield _finding("not_invitable", "mittel", text, [attrs["id"]])


IMPORTANT_STRENGTH = 3
IMPORTANT_POWER = 4


def _one_sided(graph: nx.MultiDiGraph) -> Iterator[dict]:
    """Important relations that a survey found named by one side only ("einseitig"): strong
    ones (strength 3) and those of influential actors (power 4–5). Either the other side sees
    the relation differently, or it did not answer: both are worth a conversation."""
    seen = set()
    for source, target, attrs in graph.edges(data=True):
        if attrs.get("reciprocity") != "einseitig" or attrs["kind"] == TOPIC_LINK:
            continue
        pair = (source, target) if source < target else (target, source)
        if pair in seen:
            continue
        a, b = graph.nodes[source], graph.nodes[target]
        strong = attrs["strength"] >= IMPORTANT_STRENGTH
        powerful = max(a["power"], b["power"]) >= IMPORTANT_POWER
        if not (strong or powerful):
            continue
        seen.add(pair)
        kind = _relation_label(attrs["kind"])
        text = (
            f"Die Beziehung zwischen {display_name(graph, source)} und "
            f"{display_name(graph, target)} ({kind}"
            f"{', Stärke 3' if strong else ''}) hat in der Befragung nur eine Seite genannt."
        )
        severity = "mittel" if strong and powerful else "niedrig"
        yield _finding("one_sided_relation", severity, [text], [a["id"], b["id"]])


def _relation_label(kind: str) -> str:
    try:
        return RelationKind(kind).label
    except ValueError:
        return kind


def _gap_findings(graph: nx.MultiDiGraph, reference: dict) -> Iterator[dict]:
    for gap in gaps(graph, reference):
        text = [
            (
                N_("%(topic)s: %(have)s von %(need)s aus „%(category)s“ beteiligt."),
                {
                    "topic": gap["topic"],
                    "have": gap["have"],
                    "need": gap["need"],
                    "category": {"category": gap["category"]},
                },
            )
        ]
        if gap["candidates"]:
            text.append((N_("%(n)s vorgemerkt."), {"n": gap["candidates"]}))
        text.append(gap["reason"])
        # "mittel" at most: a dozen open categories must not bury the structural findings
        severity = "mittel" if gap["have"] == 0 else "niedrig"
        yield _finding(
            "category_gap", severity, text, topic=gap["topic"], labels=category_labels(graph)
        )


# --- metrics, coverage, quadrant -------------------------------------------------------------


def metrics(graph: nx.MultiDiGraph) -> list[dict]:
    """Degree, betweenness and community per actor, most central first.

    Above LARGE_GRAPH actors betweenness is estimated from a seeded sample of sources, which
    keeps 8,000 actors at a few seconds and the figures stable between calls.
    """
    relations = actor_relation_graph(graph)
    count = relations.number_of_nodes()
    sample = min(BETWEENNESS_SAMPLE, count) if count > LARGE_GRAPH else None
    central = betweenness(relations, sample)
    community_of = {n: i for i, group in enumerate(communities(relations)) for n in group}
    rows = [
        {
            "id": attrs["id"],
            "label": attrs["label"],
            "category": attrs["category"],
            "sector": attrs["sector"],
            "degree": relations.degree(node, weight="relations"),
            "betweenness": round(central[node], 4),
            "community": community_of[node],
        }
        for node, attrs in relations.nodes(data=True)
    ]
    rows.sort(key=lambda r: (-r["betweenness"], -r["degree"], r["label"]))
    return rows


def betweenness(relations: nx.Graph, sample: int | None = None) -> dict[str, float]:
    """Normalised betweenness exactly as nx.betweenness_centrality(relations, k=sample, seed=42)
    computes it (same sources, same scaling), but about three times faster: a plain Brandes
    pass over integer adjacency lists. networkx needs over 6 s for 300 sources at 8,000 actors.
    """
    nodes = list(relations)
    count = len(nodes)
    if count <= 2:
        return dict.fromkeys(nodes, 0.0)
    index = {node: i for i, node in enumerate(nodes)}
    adjacency = [[index[other] for other in relations[node]] for node in nodes]
    sources = nodes if sample is None else random.Random(SEED).sample(nodes, sample)
    total = [0.0] * count
    for source in sources:
        _accumulate_dependencies(adjacency, index[source], total)
    if sample is None:
        return {node: total[i] / ((count - 1) * (count - 2)) for i, node in enumerate(nodes)}
    # a sampled source cannot lie on its own paths, hence its smaller denominator
    chosen = set(sources)
    k = len(sources)
    as_source = 1 / ((k - 1) * (count - 2)) if k > 1 else 0.0
    other = 1 / (k * (count - 2))
    return {
        node: total[i] * (as_source if node in chosen else other) for i, node in enumerate(nodes)
    }


def _accumulate_dependencies(adjacency: list[list[int]], source: int, total: list[float]) -> None:
    """One Brandes step: add the source's pair dependencies to `total`."""
    sigma = [0] * len(adjacency)
    dist = [-1] * len(adjacency)
    sigma[source], dist[source] = 1, 0
    order = [source]
    for v in order:  # breadth first; the list grows while it is read
        next_dist, paths = dist[v] + 1, sigma[v]
        for w in adjacency[v]:
            if dist[w] < 0:
                dist[w] = next_dist
                order.append(w)
            if dist[w] == next_dist:
                sigma[w] += paths
    delta = [0.0] * len(adjacency)
    for w in reversed(order):
        prev_dist, share = dist[w] - 1, (1.0 + delta[w]) / sigma[w]
        for v in adjacency[w]:
            if dist[v] == prev_dist:
                delta[v] += sigma[v] * share
        if w != source:
            total[w] += delta[w]


def coverage(graph: nx.MultiDiGraph, reference: dict, all_actors: bool = False) -> dict:
    """Data for the actor × topic matrix and the category counts beneath it.

    Rows hold the actors linked to at least one topic (every actor with all_actors=True),
    sorted by category and name; "categories" lists have/need for each expected category.
    """
    topics = topic_nodes(graph)
    roles: dict[str, dict[str, str]] = defaultdict(dict)
    for topic in topics:
        code = graph.nodes[topic]["code"]
        for source, _, attrs in graph.in_edges(topic, data=True):
            if attrs["kind"] == TOPIC_LINK:
                roles[source][code] = attrs["role"]
    nodes = actor_nodes(graph) if all_actors else list(roles)
    rows = [_coverage_row(graph, node, roles.get(node, {})) for node in nodes]
    rows.sort(key=lambda r: (r["category"], r["label"].casefold()))
    return {
        "topics": [_topic_summary(graph, t) for t in topics],
        "rows": rows,
        "categories": list(_category_needs(graph, reference, topics)),
    }


def _coverage_row(graph: nx.MultiDiGraph, node: str, roles: dict[str, str]) -> dict:
    attrs = graph.nodes[node]
    return {
        "actor": attrs["id"],
        "label": attrs["label"],
        "category": attrs["category"],
        "roles": roles,
    }


def _topic_summary(graph: nx.MultiDiGraph, topic: str) -> dict:
    attrs = graph.nodes[topic]
    return {key: attrs[key] for key in ("id", "code", "title", "label", "priority")}


def _category_needs(graph: nx.MultiDiGraph, reference: dict, topics: Iterable[str]):
    for topic in topics:
        code = graph.nodes[topic]["code"]
        counts = _category_counts(graph, topic)
        for item in expected_for(reference, code):
            have, candidates = counts.get(item["category"], (0, 0))
            yield {
                "topic": code,
                "category": item["category"],
                "have": have,
                "need": item["min"],
                "candidates": candidates,
            }


def quadrant(power: int, interest: int) -> str:
    """Mendelow's power/interest grid on the 1–5 scales, split at 3."""
    if power >= 3:
        return "eng_einbinden" if interest >= 3 else "zufriedenstellen"
    return "informieren" if interest >= 3 else "beobachten"
