"""Network analysis on small hand-made graphs whose answers are known; no Flask, no database."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest

from netzwerk.actors.vocab import Sector, Status
from netzwerk.network import analysis
from netzwerk.network.analysis import (
    QUADRANT_LABELS,
    actor_relation_graph,
    coverage,
    expected_for,
    findings,
    gaps,
    load_reference,
    metrics,
    quadrant,
)
from netzwerk.network.graph import graph_from_data

SECTOR_OF = {
    "verwaltung": "verwaltung",
    "politik": "politik",
    "schule": "bildung",
    "hochschule": "bildung",
    "weltladen": "zivilgesellschaft",
    "eine-welt-netzwerk": "zivilgesellschaft",
    "migrantenorganisation": "zivilgesellschaft",
    "partnerschaftsverein": "zivilgesellschaft",
    "partnerstadt": "partnerstadt",
    "wirtschaft": "wirtschaft",
}


def actor(actor_id, name=None, category="verwaltung", email=True, **fields):
    return {
        "id": actor_id,
        "name": name or f"Akteur {actor_id}",
        "category": category,
        "sector": SECTOR_OF.get(category, "zivilgesellschaft"),
        "contacts": 1 if email else 0,
        "has_email": email,
        **fields,
    }


def rels(*pairs):
    return [{"id": i, "source_id": s, "target_id": t} for i, (s, t) in enumerate(pairs, 1)]


def links(*pairs, role="mitwirkend"):
    return [
        {"id": i, "actor_id": a, "topic_id": t, "role": role} for i, (a, t) in enumerate(pairs, 1)
    ]


def topic(topic_id, code, title="Thema"):
    return {"id": topic_id, "code": code, "title": title, "priority": 1}


def kinds(result, kind):
    return [f for f in result if f["kind"] == kind]


MINI_REFERENCE = {
    "all": [
        {"category": "verwaltung", "min": 1, "reason": "Verwaltung allgemein."},
        {"category": "schule", "min": 1, "reason": "Schule allgemein."},
    ],
    "SDG4": [
        {"category": "schule", "min": 3, "reason": "Mehrere Schulen."},
        {"category": "jugend", "min": 1, "reason": "Jugend."},
    ],
}


# --- graph_from_data -------------------------------------------------------------------------


def test_graph_from_data_builds_nodes_and_keyed_edges():
    graph = graph_from_data(
        [actor(1, "Welthaus", "weltladen", short_name="WH", status=Status.ACTIVE), actor(2)],
        [topic(7, "SDG12", "Fairer Handel")],
        links((1, 7), role="federfuehrend"),
        [(5, 1, 2, "kooperation", True, 3)],
    )
    assert graph.nodes["a1"]["label"] == "Welthaus"
    assert graph.nodes["a1"]["short_name"] == "WH"
    assert graph.nodes["a1"]["status"] == "aktiv" and type(graph.nodes["a1"]["status"]) is str
    assert graph.nodes["a1"]["kind"] == "actor" and graph.nodes["a1"]["has_email"] is True
    assert graph.nodes["t7"] == {
        "kind": "topic",
        "id": 7,
        "label": "SDG12 Fairer Handel",
        "code": "SDG12",
        "title": "Fairer Handel",
        "priority": 1,
    }
    assert graph.edges["a1", "a2", "r5"] == {
        "kind": "kooperation",
        "rel_id": 5,
        "directed": True,
        "strength": 3,
    }
    assert graph.edges["a1", "t7", "l1"] == {
        "kind": "topic_link",
        "role": "federfuehrend",
        "link_id": 1,
    }


def test_graph_from_data_rejects_edges_to_unknown_actors():
    with pytest.raises(ValueError, match="a9"):
        graph_from_data([actor(1)], relations=rels((1, 9)))


def test_actor_relation_graph_is_undirected_counts_relations_and_keeps_isolated():
    relations = [
        {"id": 1, "source_id": 1, "target_id": 2, "kind": "kooperation"},
        {"id": 2, "source_id": 2, "target_id": 1, "kind": "foerderung", "directed": True},
    ]
    graph = graph_from_data(
        [actor(1), actor(2), actor(3)], [topic(1, "SDG4")], links((3, 1)), relations
    )
    undirected = actor_relation_graph(graph)
    assert isinstance(undirected, nx.Graph) and not undirected.is_directed()
    assert set(undirected.nodes) == {"a1", "a2", "a3"}
    assert undirected.number_of_edges() == 1
    assert undirected.degree("a1", weight="relations") == 2


# --- reference -------------------------------------------------------------------------------


def test_reference_file_covers_the_default_topics_with_known_categories():
    reference = load_reference()
    assert set(reference) == {"all", "SDG17", "SDG12", "SDG4"}
    categories_file = Path(analysis.__file__).parent.parent / "actors" / "categories.json"
    known = {c["key"] for c in json.loads(categories_file.read_text(encoding="utf-8"))}
    for items in reference.values():
        for item in items:
            assert item["category"] in known
            assert item["min"] >= 1 and item["reason"].endswith(".")
    assert {i["category"] for i in reference["all"]} >= {"migrantenorganisation", "politik"}


def test_expected_for_merges_all_with_topic_taking_the_larger_minimum():
    expected = {e["category"]: e for e in expected_for(MINI_REFERENCE, "sdg 4")}
    assert list(expected) == ["verwaltung", "schule", "jugend"]
    assert expected["schule"] == {"category": "schule", "min": 3, "reason": "Mehrere Schulen."}
    assert expected["verwaltung"]["min"] == 1


def test_expected_for_keeps_larger_general_minimum_with_specific_reason():
    reference = {
        "all": [{"category": "schule", "min": 2, "reason": "Allgemein."}],
        "SDG12": [{"category": "schule", "min": 1, "reason": "Faire Schulen."}],
    }
    assert expected_for(reference, "SDG 12") == [
        {"category": "schule", "min": 2, "reason": "Faire Schulen."}
    ]
    assert expected_for(reference, "SDG99") == [
        {"category": "schule", "min": 2, "reason": "Allgemein."}
    ]


def test_default_reference_asks_three_schools_for_sdg4():
    schule = [e for e in expected_for(load_reference(), "SDG4") if e["category"] == "schule"]
    assert schule[0]["min"] == 3


# --- gaps ------------------------------------------------------------------------------------


def sdg4_graph():
    actors = [
        actor(1, category="schule"),
        actor(2, category="schule"),
        actor(3, category="schule", status="kandidat"),
        actor(4, category="schule", status="inaktiv"),
        actor(5, category="verwaltung"),
        actor(6, category="verwaltung", status="kandidat"),
    ]
    return graph_from_data(
        actors, [topic(1, "SDG4"), topic(2, "SDG12")], links(*[(i, 1) for i in range(1, 7)])
    )


def test_gaps_counts_active_actors_and_lists_candidates_separately():
    result = gaps(sdg4_graph(), MINI_REFERENCE, "SDG 4")
    assert result == [
        {
            "topic": "SDG4",
            "topic_id": 1,
            "category": "schule",
            "have": 2,
            "need": 3,
            "candidates": 1,
            "reason": "Mehrere Schulen.",
        },
        {
            "topic": "SDG4",
            "topic_id": 1,
            "category": "jugend",
            "have": 0,
            "need": 1,
            "candidates": 0,
            "reason": "Jugend.",
        },
    ]


def test_gaps_candidate_alone_does_not_fill_a_category():
    graph = graph_from_data(
        [actor(1, category="schule", status="kandidat"), actor(2)],
        [topic(1, "SDG12")],
        links((1, 1), (2, 1)),
    )
    (gap,) = gaps(graph, MINI_REFERENCE)
    assert (gap["category"], gap["have"], gap["candidates"]) == ("schule", 0, 1)


def test_gaps_sorted_by_topic_then_reference_order():
    result = gaps(sdg4_graph(), MINI_REFERENCE)
    assert [(g["topic"], g["category"]) for g in result] == [
        ("SDG4", "schule"),
        ("SDG4", "jugend"),
        ("SDG12", "verwaltung"),
        ("SDG12", "schule"),
    ]
    assert gaps(sdg4_graph(), MINI_REFERENCE, "SDG17") == []


# --- findings --------------------------------------------------------------------------------


def test_path_has_its_middle_as_articulation_point():
    graph = graph_from_data(
        [actor(1, "A"), actor(2, "B"), actor(3, "C")], relations=rels((1, 2), (2, 3))
    )
    (finding,) = kinds(findings(graph), "articulation_point")
    assert finding["actors"][0] == 2
    assert finding["text"] == "Nur B verbindet A mit C."
    assert finding["topic"] is None


def test_articulation_point_names_up_to_three_per_side():
    names = {1: "FB60", 2: "FB01", 3: "Rat", 4: "FB02", 5: "KEpol-Koordination"}
    names |= {6: "Welthaus", 7: "Weltladen", 8: "Eine-Welt-Forum"}
    actors = [actor(i, n) for i, n in names.items()]
    clique = [(a, b) for a in range(1, 5) for b in range(a + 1, 5)]
    pairs = [*clique, (4, 5), (5, 6), (6, 7), (7, 8)]
    result = kinds(findings(graph_from_data(actors, relations=rels(*pairs))), "articulation_point")
    kepol = next(f for f in result if f["actors"][0] == 5)
    assert kepol["severity"] == "hoch"
    assert kepol["text"].startswith("Nur KEpol-Koordination verbindet FB02, ")
    assert "und 1 weitere mit Welthaus, Weltladen und Eine-Welt-Forum." in kepol["text"]
    weltladen = result[-1]  # cuts off one actor only: the narrowest split comes last
    assert weltladen["actors"][0] == 7 and weltladen["severity"] == "mittel"
    assert [f["actors"][0] for f in result][2:] == [6, 7]


def test_cycle_has_no_articulation_point():
    graph = graph_from_data([actor(i) for i in (1, 2, 3)], relations=rels((1, 2), (2, 3), (3, 1)))
    assert kinds(findings(graph), "articulation_point") == []


def test_isolated_and_no_relations_and_inactive_left_out():
    graph = graph_from_data(
        [actor(1, "Allein"), actor(2, "Thema"), actor(3, "Weg", status="inaktiv")],
        [topic(1, "SDG4")],
        links((2, 1)),
    )
    result = findings(graph)
    (isolated,) = kinds(result, "isolated")
    (no_rel,) = kinds(result, "no_relations")
    assert isolated["actors"] == [1] and "Allein" in isolated["text"]
    assert no_rel["actors"] == [2] and "SDG4" in no_rel["text"]
    assert all(3 not in f["actors"] for f in result)


def test_administration_only_topic_is_single_sector_without_civil_society():
    graph = graph_from_data(
        [actor(1), actor(2), actor(3, category="weltladen", status="kandidat", name="Weltladen")],
        [topic(1, "SDG12", "Fairer Handel")],
        links((1, 1), (2, 1), (3, 1)),
        rels((1, 2)),
    )
    result = findings(graph)
    (single,) = kinds(result, "single_sector_topic")
    (no_cs,) = kinds(result, "no_civil_society")
    assert single["topic"] == "SDG12" and sorted(single["actors"]) == [1, 2]
    assert (
        single["text"]
        == "Alle 2 aktiven Akteure bei SDG12 Fairer Handel gehören zum Sektor Verwaltung."
    )
    assert no_cs["severity"] == "hoch" and "Weltladen" in no_cs["text"]


def test_topic_carried_by_one_actor_and_codes_in_natural_order():
    graph = graph_from_data(
        [actor(1), actor(2, category="politik")],
        [topic(1, "SDG 12", "Fairer Handel"), topic(2, "SDG4", "Bildung")],
        links((1, 1), (2, 2)),
        rels((1, 2)),
    )
    result = kinds(findings(graph), "single_sector_topic")
    assert [f["topic"] for f in result] == ["SDG4", "SDG 12"]
    assert result[0]["text"] == (
        "Bei SDG4 Bildung ist nur ein aktiver Akteur beteiligt, aus dem Sektor Politik."
    )


def test_mixed_topic_with_civil_society_has_no_topic_findings():
    graph = graph_from_data(
        [actor(1), actor(2, category="weltladen")],
        [topic(1, "SDG12")],
        links((1, 1), (2, 1)),
        rels((1, 2)),
    )
    result = findings(graph)
    assert kinds(result, "single_sector_topic") == kinds(result, "no_civil_society") == []


def test_partner_city_needs_a_relation_to_a_home_actor():
    actors = [
        actor(1),
        actor(2),
        actor(3, "Kapstadt", "partnerstadt", country="ZA"),
        actor(4, "Verein ZA", "partnerschaftsverein", country="ZA"),
        actor(5, "Tschernihiw", "partnerstadt", country="UA"),
        actor(6, "Montebelluna", "partnerstadt", country="IT"),
    ]
    graph = graph_from_data(actors, relations=rels((1, 2), (3, 4), (6, 1)))
    result = kinds(findings(graph), "partner_city_without_counterpart")
    assert sorted(f["actors"][0] for f in result) == [3, 5]
    texts = " ".join(f["text"] for f in result)
    assert "Kapstadt hat keine Beziehung zu einem Akteur aus DE" in texts
    assert "Tschernihiw hat keine Beziehung zu anderen Akteuren" in texts


def test_island_apart_from_main_network_is_unbridged():
    actors = [actor(i) for i in range(1, 9)]
    main = [(1, 2), (2, 3), (3, 1), (3, 4), (4, 5), (5, 6), (6, 4)]
    graph = graph_from_data(actors, relations=rels(*main, (7, 8)))
    (island,) = kinds(findings(graph), "unbridged_communities")
    assert sorted(island["actors"]) == [7, 8]
    assert (
        island["text"]
        == "Die Gruppe Akteur 7 und Akteur 8 hat keine Beziehung zum übrigen Netzwerk."
    )


def test_two_linked_communities_are_not_unbridged():
    actors = [actor(i) for i in range(1, 7)]
    pairs = [(1, 2), (2, 3), (3, 1), (3, 4), (4, 5), (5, 6), (6, 4)]
    assert (
        kinds(findings(graph_from_data(actors, relations=rels(*pairs))), "unbridged_communities")
        == []
    )


def test_active_actor_without_email_cannot_be_invited():
    actors = [
        actor(1, "Mit Mail"),
        actor(2, "Ohne Mail", email=False, contacts=2),
        actor(3, "Ohne Kontakt", email=False),
        actor(4, "Kandidat", email=False, status="kandidat"),
    ]
    graph = graph_from_data(actors, relations=rels((1, 2), (2, 3), (3, 4)))
    result = kinds(findings(graph), "not_invitable")
    assert [f["actors"] for f in result] == [[2], [3]]
    assert all("kann nicht eingeladen werden" in f["text"] for f in result)


def test_findings_sorted_by_severity_serialisable_and_gaps_included_with_reference():
    graph = sdg4_graph()
    result = findings(graph, MINI_REFERENCE)
    order = [analysis.SEVERITY_ORDER[f["severity"]] for f in result]
    assert order == sorted(order)
    json.dumps(result)
    gap_texts = [f["text"] for f in kinds(result, "category_gap")]
    assert any(t.startswith("SDG4: 2 von 3") and "1 vorgemerkt" in t for t in gap_texts)
    assert kinds(findings(graph), "category_gap") == []
    assert {f["kind"] for f in result} <= {
        "isolated",
        "no_relations",
        "articulation_point",
        "single_sector_topic",
        "no_civil_society",
        "partner_city_without_counterpart",
        "unbridged_communities",
        "not_invitable",
        "category_gap",
    }


# --- metrics ---------------------------------------------------------------------------------


def test_metrics_on_a_path():
    graph = graph_from_data(
        [actor(1, "A"), actor(2, "B"), actor(3, "C"), actor(4, "D")], relations=rels((1, 2), (2, 3))
    )
    rows = {r["id"]: r for r in metrics(graph)}
    # normalised over all four actors: B lies on 1 of the 3 pairs among the other actors
    assert rows[2]["degree"] == 2 and rows[2]["betweenness"] == 0.3333
    assert rows[1]["degree"] == 1 and rows[1]["betweenness"] == 0.0
    assert rows[4]["degree"] == 0  # isolated actors are listed too
    assert rows[2]["community"] == rows[1]["community"] != rows[4]["community"]
    assert set(rows[1]) == {
        "id",
        "label",
        "category",
        "sector",
        "degree",
        "betweenness",
        "community",
    }
    assert metrics(graph)[0]["id"] == 2


def test_metrics_communities_of_two_triangles_largest_first():
    actors = [actor(i) for i in range(1, 9)]
    pairs = [(1, 2), (2, 3), (3, 1), (3, 4), (4, 5), (5, 6), (6, 4), (7, 8)]
    rows = {
        r["id"]: r["community"] for r in metrics(graph_from_data(actors, relations=rels(*pairs)))
    }
    assert rows[1] == rows[2] == rows[3] != rows[4] == rows[5] == rows[6]
    assert {rows[1], rows[4]} == {0, 1} and rows[7] == rows[8] == 2


def test_metrics_samples_large_graphs(monkeypatch):
    monkeypatch.setattr(analysis, "LARGE_GRAPH", 10)
    monkeypatch.setattr(analysis, "BETWEENNESS_SAMPLE", 5)
    actors = [actor(i) for i in range(40)]
    pairs = [(i, i + 1) for i in range(39)]
    graph = graph_from_data(actors, relations=rels(*pairs))
    assert metrics(graph) == metrics(graph)  # seeded, so stable between calls
    assert len(metrics(graph)) == 40


@pytest.mark.parametrize("sample", [None, 2, 25])
def test_betweenness_equals_networkx(sample):
    graph = nx.relabel_nodes(nx.powerlaw_cluster_graph(60, 2, 0.3, seed=3), lambda n: f"a{n}")
    graph.add_nodes_from(["a98", "a99"])
    ours = analysis.betweenness(graph, sample)
    theirs = nx.betweenness_centrality(graph, k=sample, seed=42)
    assert ours.keys() == theirs.keys()
    assert all(ours[n] == pytest.approx(theirs[n], abs=1e-12) for n in ours)


def test_metrics_degree_counts_parallel_relations():
    relations = [
        {"id": 1, "source_id": 1, "target_id": 2, "kind": "kooperation"},
        {"id": 2, "source_id": 1, "target_id": 2, "kind": "foerderung"},
    ]
    rows = {r["id"]: r for r in metrics(graph_from_data([actor(1), actor(2)], relations=relations))}
    assert rows[1]["degree"] == 2


# --- coverage and quadrant -------------------------------------------------------------------


def test_coverage_matrix_and_category_counts():
    graph = sdg4_graph()
    data = coverage(graph, MINI_REFERENCE)
    assert [t["code"] for t in data["topics"]] == ["SDG4", "SDG12"]
    assert len(data["rows"]) == 6
    row = next(r for r in data["rows"] if r["actor"] == 1)
    assert row == {
        "actor": 1,
        "label": "Akteur 1",
        "category": "schule",
        "roles": {"SDG4": "mitwirkend"},
    }
    schule = next(
        c for c in data["categories"] if (c["topic"], c["category"]) == ("SDG4", "schule")
    )
    assert (schule["have"], schule["need"]) == (2, 3)
    json.dumps(data)


def test_coverage_all_actors_includes_unlinked():
    graph = graph_from_data([actor(1), actor(2)], [topic(1, "SDG4")], links((1, 1)))
    assert len(coverage(graph, MINI_REFERENCE)["rows"]) == 1
    rows = coverage(graph, MINI_REFERENCE, all_actors=True)["rows"]
    assert {r["actor"]: r["roles"] for r in rows} == {1: {"SDG4": "mitwirkend"}, 2: {}}


@pytest.mark.parametrize(
    ("power", "interest", "expected"),
    [
        (5, 5, "eng_einbinden"),
        (3, 3, "eng_einbinden"),
        (4, 2, "zufriedenstellen"),
        (2, 3, "informieren"),
        (1, 1, "beobachten"),
        (2, 2, "beobachten"),
    ],
)
def test_quadrant(power, interest, expected):
    assert quadrant(power, interest) == expected
    assert QUADRANT_LABELS[expected]


def test_vocabulary_values_match_graph_strings():
    assert Status.CANDIDATE == "kandidat" and Sector.CIVIL_SOCIETY == "zivilgesellschaft"
