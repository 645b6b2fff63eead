"""Exports of the network: GraphML and GEXF read back with networkx, node-link JSON, the
standalone HTML map (offline, escaped), the download links and the CLI command."""

from __future__ import annotations

import base64
import inspect
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx
import pytest
import sqlalchemy as sa
from networkx.readwrite.gexf import GEXFReader
from networkx.readwrite.graphml import GraphMLReader

from netzwerk.actors.models import Actor
from netzwerk.extensions import db
from netzwerk.network import exports
from netzwerk.network.graph import build_graph
from tests import factories

DATA = Path(__file__).parent / "data"
EVIL_NAME = "<img src=x onerror=alert(1)>"
EVIL_DESCRIPTION = 'Siehe <a href="javascript:alert(2)">hier</a> </script><script>alert(3)</script>'


@pytest.fixture
def demo(app):
    from netzwerk.demo.services import load_demo

    with app.app_context():
        load_demo()
        evil = factories.actor(
            name=EVIL_NAME, category="eine-welt-gruppe", description=EVIL_DESCRIPTION
        )
        kepol = db.session.scalar(sa.select(Actor).where(Actor.short_name == "KEpol-Koordination"))
        factories.relation(evil, kepol)
        graph = build_graph()
        return {
            "nodes": graph.number_of_nodes(),
            "edges": graph.number_of_edges(),
            "kepol": kepol.id,
            "kepol_power": kepol.power,
            "evil": evil.id,
        }


@pytest.fixture
def exported(app, demo, tmp_path):
    with app.app_context():
        paths = exports.export_all(tmp_path / "export")
    return {path.name: path for path in paths}


def test_export_all_writes_the_four_files(exported):
    assert sorted(exported) == ["graph.gexf", "graph.graphml", "graph.json", "karte.html"]
    assert all(path.stat().st_size > 1000 for path in exported.values())


# --- the database as the exports must show it -------------------------------------------------


def _database() -> dict:
    """Actors, topics, relations and topic links straight from the tables."""
    from netzwerk.actors.models import Relation
    from netzwerk.topics.models import ActorTopic, Topic

    return {
        "actors": {f"a{a.id}": a for a in db.session.scalars(sa.select(Actor))},
        "topics": {f"t{t.id}": t for t in db.session.scalars(sa.select(Topic))},
        "relations": {f"r{r.id}": r for r in db.session.scalars(sa.select(Relation))},
        "links": {f"l{link.id}": link for link in db.session.scalars(sa.select(ActorTopic))},
    }


def _assert_matches_database(app, nodes: dict, edges: dict, direction: dict) -> None:
    """nodes: id → attributes, edges: key → (source, target, attributes), direction: key → bool."""
    with app.app_context():
        data = _database()
        assert len(nodes) == len(data["actors"]) + len(data["topics"])
        assert len(edges) == len(data["relations"]) + len(data["links"])
        for node, actor in data["actors"].items():
            attrs = nodes[node]
            assert attrs["label"] == actor.name and attrs["db_id"] == actor.id
            assert attrs["power"] == actor.power and attrs["interest"] == actor.interest
            assert attrs["category"] == actor.category_key
            assert attrs["kind"] == "actor"
        for node, topic in data["topics"].items():
            assert nodes[node]["code"] == topic.code and nodes[node]["kind"] == "topic"
        undirected = 0
        for key, relation in data["relations"].items():
            source, target, attrs = edges[key]
            assert (source, target) == (f"a{relation.source_id}", f"a{relation.target_id}")
            assert direction[key] is relation.directed
            assert attrs["directed"] is relation.directed
            assert attrs["kind"] == relation.kind.value
            assert attrs["strength"] == relation.strength
            undirected += not relation.directed
        assert 0 < undirected < len(data["relations"]), "the demo has both kinds"
        for key, link in data["links"].items():
            source, target, attrs = edges[key]
            assert (source, target) == (f"a{link.actor_id}", f"t{link.topic_id}")
            assert direction[key] is False and attrs["kind"] == "topic_link"


# --- official schemas ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schemas():
    from lxml import etree

    return {
        "graphml": etree.XMLSchema(etree.parse(str(DATA / "graphml-1.0" / "graphml.xsd"))),
        "gexf": etree.XMLSchema(etree.parse(str(DATA / "gexf-1.2draft" / "gexf.xsd"))),
    }


def _assert_valid(schema, path) -> None:
    from lxml import etree

    document = etree.parse(str(path))
    valid = schema.validate(document)
    assert valid, "\n".join(f"line {e.line}: {e.message}" for e in schema.error_log)


def test_graphml_and_gexf_are_valid_against_the_official_schemas(exported, schemas):
    _assert_valid(schemas["graphml"], exported["graph.graphml"])
    _assert_valid(schemas["gexf"], exported["graph.gexf"])


def test_schema_check_catches_what_was_wrong_before(schemas, tmp_path):
    """The check itself bites: a key id used for a node and an edge attribute, and a name on
    GEXF's <graph>, are refused."""
    from lxml import etree

    graph = nx.MultiDiGraph(name="x")
    graph.add_edge("a", "b", kind="k")
    graph.nodes["a"]["kind"] = "actor"
    graph.nodes["b"]["kind"] = "actor"
    nx.write_graphml(graph, tmp_path / "nx.graphml", named_key_ids=True)
    nx.write_gexf(graph, tmp_path / "nx.gexf")
    assert not schemas["graphml"].validate(etree.parse(str(tmp_path / "nx.graphml")))
    assert not schemas["gexf"].validate(etree.parse(str(tmp_path / "nx.gexf")))


# --- GraphML --------------------------------------------------------------------------------------


class MixedGraphMLReader(GraphMLReader):
    """networkx's own GraphML reader, which by design refuses a graph holding directed and
    undirected edges ("does not support mixed graphs"): here each edge's `directed` is kept
    aside instead, everything else (keys, types, values) is networkx's reading."""

    def __init__(self):
        super().__init__(node_type=str, edge_key_type=str, force_multigraph=True)
        self.direction: dict[str, bool] = {}

    def add_edge(self, G, edge_element, graphml_keys):
        self.direction[edge_element.get("id")] = edge_element.attrib.pop("directed") == "true"
        super().add_edge(G, edge_element, graphml_keys)


def test_graphml_reads_back_with_networkx_typed_and_directed_per_edge(app, exported, demo):
    reader = MixedGraphMLReader()
    (graph,) = list(reader(path=str(exported["graph.graphml"])))
    assert graph.number_of_nodes() == demo["nodes"]
    assert graph.number_of_edges() == demo["edges"]
    kepol = graph.nodes[f"a{demo['kepol']}"]
    assert kepol["label"] == "Koordination Kommunale Entwicklungspolitik (KEpol)"
    assert kepol["kind"] == "actor" and kepol["category"] == "verwaltung"
    assert isinstance(kepol["power"], int) and isinstance(kepol["has_email"], bool)
    assert isinstance(kepol["betweenness"], float) and kepol["betweenness"] > 0.5
    assert kepol["degree"] >= 30 and kepol["db_id"] == demo["kepol"]
    assert graph.nodes[f"a{demo['evil']}"]["label"] == EVIL_NAME
    assert graph.nodes[f"a{demo['evil']}"]["description"] == EVIL_DESCRIPTION
    edges = {key: (u, v, data) for u, v, key, data in graph.edges(keys=True, data=True)}
    _assert_matches_database(app, dict(graph.nodes(data=True)), edges, reader.direction)

    # one key per scope and attribute, each id once, one declared type per attribute
    root = ET.parse(exported["graph.graphml"]).getroot()
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    declared, ids = {}, set()
    for key in root.findall("g:key", ns):
        pair = (key.get("for"), key.get("attr.name"))
        assert pair not in declared, f"{pair} declared twice"
        assert key.get("id") not in ids, f"key id {key.get('id')} used twice"
        declared[pair] = key.get("attr.type")
        ids.add(key.get("id"))
    assert {"n_kind", "e_kind"} <= ids
    assert declared[("node", "power")] in ("int", "long")
    assert declared[("node", "betweenness")] in ("double", "float")
    assert declared[("node", "has_email")] == "boolean"
    assert root.find("g:graph", ns).get("edgedefault") == "directed"
    assert all(e.get("directed") in ("true", "false") for e in root.iter(f"{{{ns['g']}}}edge"))


def test_graphml_reads_back_with_igraph(app, exported, demo):
    import igraph

    graph = igraph.Graph.Read_GraphML(str(exported["graph.graphml"]))
    assert graph.vcount() == demo["nodes"] and graph.ecount() == demo["edges"]
    nodes = {v["id"]: v.attributes() for v in graph.vs}
    edges, direction = {}, {}
    root = ET.parse(exported["graph.graphml"]).getroot()
    ids = [e.get("id") for e in root.iter("{http://graphml.graphdrawing.org/xmlns}edge")]
    for edge, key in zip(graph.es, ids, strict=True):
        attrs = edge.attributes()
        # igraph keeps numbers as floats and the GraphML booleans as booleans
        if attrs["strength"] == attrs["strength"]:  # not NaN (topic links have none)
            attrs["strength"] = int(attrs["strength"])
        attrs["directed"] = bool(attrs["directed"])
        edges[key] = (graph.vs[edge.source]["id"], graph.vs[edge.target]["id"], attrs)
        direction[key] = attrs["directed"]
    for attrs in nodes.values():
        for name in ("db_id", "power", "interest"):
            if attrs.get(name) == attrs.get(name):  # not NaN (topics have no power)
                attrs[name] = int(attrs[name])
    _assert_matches_database(app, nodes, edges, direction)
    kepol = nodes[f"a{demo['kepol']}"]
    assert kepol["betweenness"] > 0.5 and kepol["has_email"] is True


# --- GEXF -----------------------------------------------------------------------------------------


class MixedGEXFReader(GEXFReader):
    """networkx's GEXF reader, which refuses mixed graphs like its GraphML reader: each edge's
    `type` is kept aside, the rest is networkx's reading."""

    def __init__(self):
        super().__init__(version="1.2draft")
        self.direction: dict[str, bool] = {}

    def add_edge(self, G, edge_element, edge_attr):
        self.direction[edge_element.get("id")] = edge_element.attrib.pop("type") == "directed"
        super().add_edge(G, edge_element, edge_attr)


def test_gexf_reads_back_with_labels_positions_and_direction(app, exported, demo):
    reader = MixedGEXFReader()
    graph = reader(str(exported["graph.gexf"]))
    assert graph.number_of_nodes() == demo["nodes"]
    assert graph.number_of_edges() == demo["edges"]
    kepol = graph.nodes[f"a{demo['kepol']}"]
    assert kepol["label"] == "Koordination Kommunale Entwicklungspolitik (KEpol)"
    assert kepol["category"] == "verwaltung" and kepol["power"] == demo["kepol_power"]
    assert graph.nodes[f"a{demo['evil']}"]["label"] == EVIL_NAME
    edges = {key: (u, v, data) for u, v, key, data in graph.edges(keys=True, data=True)}
    _assert_matches_database(app, dict(graph.nodes(data=True)), edges, reader.direction)

    # Gephi's colour, position and size, as the 1.2draft schema declares them
    root = ET.parse(exported["graph.gexf"]).getroot()
    ns = {"x": "http://www.gexf.net/1.2draft"}
    graph_element = root.find("x:graph", ns)
    assert graph_element.get("defaultedgetype") == "directed" and "name" not in graph_element.attrib
    assert root.find("x:meta/x:description", ns).text == exports.HEADING
    node = root.find(f"x:graph/x:nodes/x:node[@id='a{demo['kepol']}']", ns)
    color = node.find("x:color", ns)
    assert (color.get("r"), color.get("g"), color.get("b")) == ("31", "119", "180")
    position = node.find("x:position", ns)
    assert float(position.get("x")) == kepol["x"] and float(position.get("y")) == -kepol["y"]
    assert float(node.find("x:size", ns).get("value")) > 10
    relation = root.find("x:graph/x:edges/x:edge[@type='undirected']", ns)
    assert relation.get("label") and float(relation.get("weight")) >= 1


# --- node-link JSON -------------------------------------------------------------------------------


def test_node_link_json_reads_with_plain_node_link_graph(app, exported, demo):
    data = json.loads(exported["graph.json"].read_text("utf-8"))
    # "links" for networkx before 3.6 and d3, "edges" for networkx 3.6 on: the same list
    assert data["links"] == data["edges"] and len(data["links"]) == demo["edges"]
    assert len(data["nodes"]) == demo["nodes"]
    graph = nx.node_link_graph(data)
    assert graph.is_multigraph() and graph.is_directed()
    assert graph.nodes[f"a{demo['kepol']}"]["short_name"] == "KEpol-Koordination"
    edges = {key: (u, v, attrs) for u, v, key, attrs in graph.edges(keys=True, data=True)}
    direction = {key: attrs["directed"] for key, (_, _, attrs) in edges.items()}
    _assert_matches_database(app, dict(graph.nodes(data=True)), edges, direction)
    if "edges" in inspect.signature(nx.node_link_graph).parameters:
        links = nx.node_link_graph(data, edges="links")
        assert links.number_of_edges() == demo["edges"]


def test_export_graph_holds_no_none_and_no_lists(app, demo):
    with app.app_context():
        graph = exports.export_graph()
    allowed = (str, int, float, bool)
    for _, data in graph.nodes(data=True):
        assert all(isinstance(v, allowed) for v in data.values()), data
    for *_, data in graph.edges(data=True):
        assert all(isinstance(v, allowed) for v in data.values()), data
    assert all(isinstance(v, allowed) for v in graph.graph.values())


def test_html_map_loads_nothing_remote_and_escapes_everything(exported, demo):
    html = exported["karte.html"].read_text("utf-8")
    # no src/href/url() pointing at another host, and vis-network is inline
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", html, re.I)
    assert not re.search(r"url\(\s*['\"]?\s*(?:https?:)?//", html, re.I)
    assert "<script src" not in html and "<link" not in html
    assert "vis.Network" in html and "Content-Security-Policy" in html
    # the actor's name and description are there, but only as escaped JSON
    assert EVIL_NAME not in html
    # the one image is the Akteurslandkarte, an SVG data: URI (an image runs no script)
    images = re.findall(r"<img\b[^>]*>", html)
    assert len(images) == 1 and 'src="data:image/svg+xml;base64,' in images[0]
    assert "alert(3)</script>" not in html
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in html
    assert "\\u003c/script\\u003e\\u003cscript\\u003ealert(3)" in html
    # exactly our three script elements: the data, vis-network, the page logic
    assert len(re.findall(r"^<script\b", html, re.M)) == 3
    page_logic = html[html.rindex("<script>") :]
    assert "textContent" in page_logic and "innerHTML" not in page_logic
    # and the data parses: every node of the graph plus one ghost node per gap
    data_text = re.search(r'id="netzwerk-data">(.*?)</script>', html, re.S).group(1)
    data = json.loads(data_text)
    ghosts = [n for n in data["nodes"] if str(n["id"]).startswith("g")]
    assert len(data["nodes"]) == demo["nodes"] + len(ghosts)
    assert any(n["label"] == "fehlt: Kirche/Glaubensgemeinschaft" for n in ghosts)
    assert json.loads(data["options"])["physics"]["enabled"] is False
    assert all("x" in n and "y" in n for n in data["nodes"])


def test_html_map_carries_the_akteurslandkarte(exported):
    """The offline file also shows the Akteurslandkarte (all topics): an SVG picture with the
    slices, rings and missing actor groups, the actors' names escaped inside it."""
    html = exported["karte.html"].read_text("utf-8")
    assert 'id="akteurslandkarte"' in html and 'href="#akteurslandkarte"' in html
    uri = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', html).group(1)
    svg = base64.b64decode(uri).decode("utf-8")
    root = ET.fromstring(svg)
    texts = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert texts[0] == "Akteurslandkarte – alle Themen"
    assert "Schlüsselakteure" in texts and "Land, Bund, Fördermittelgeber" in texts
    assert any(t.startswith("fehlt:") for t in texts)
    assert "<img src=x" not in svg and "&lt;img" in svg  # the evil name as text


def test_download_links_for_viewers(app, demo, login):
    viewer = login("viewer")
    html = viewer.get("/luecken").get_data(as_text=True)
    for fmt in ("graphml", "gexf", "json", "html"):
        assert f'href="/export/netzwerk.{fmt}"' in html
    response = viewer.get("/export/netzwerk.graphml")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    root = ET.fromstring(response.get_data())
    nodes = root.findall(".//{http://graphml.graphdrawing.org/xmlns}node")
    assert len(nodes) == demo["nodes"]
    page = viewer.get("/export/netzwerk.html")
    assert page.mimetype == "text/html" and "attachment" in page.headers["Content-Disposition"]
    assert viewer.get("/export/netzwerk.exe").status_code == 404
    anonymous = app.test_client().get("/export/netzwerk.json")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_cli_export_map(app, demo, runner, tmp_path):
    result = runner.invoke(args=["export-map", str(tmp_path / "usb")])
    assert result.exit_code == 0, result.output
    assert "karte.html" in result.output
    assert sorted(p.name for p in (tmp_path / "usb").iterdir()) == [
        "graph.gexf",
        "graph.graphml",
        "graph.json",
        "karte.html",
    ]
