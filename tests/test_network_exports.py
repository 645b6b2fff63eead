"""Exports of the network: GraphML and GEXF read back with networkx, node-link JSON, the
standalone HTML map (offline, escaped), the download links and the CLI command."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import networkx as nx
import pytest
import sqlalchemy as sa

from netzwerk.actors.models import Actor
from netzwerk.extensions import db
from netzwerk.network import exports
from netzwerk.network.graph import build_graph
from tests import factories

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


def test_graphml_reads_back_with_typed_attributes(exported, demo):
    graph = nx.read_graphml(exported["graph.graphml"], force_multigraph=True)
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
    topics = [data for _, data in graph.nodes(data=True) if data["kind"] == "topic"]
    assert {t["code"] for t in topics} >= {"SDG12", "SDG17"}
    kinds = {data["kind"] for *_, data in graph.edges(data=True)}
    assert "topic_link" in kinds and "kooperation" in kinds

    # one declared type per attribute, as Gephi and yEd expect
    root = ET.parse(exported["graph.graphml"]).getroot()
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    declared = {}
    for key in root.findall("g:key", ns):
        pair = (key.get("for"), key.get("attr.name"))
        assert pair not in declared, f"{pair} declared twice"
        declared[pair] = key.get("attr.type")
    assert declared[("node", "power")] in ("int", "long")
    assert declared[("node", "betweenness")] in ("double", "float")
    assert declared[("node", "has_email")] == "boolean"


def test_gexf_reads_back_with_labels_and_positions(exported, demo):
    graph = nx.read_gexf(exported["graph.gexf"])
    assert graph.number_of_nodes() == demo["nodes"]
    assert graph.number_of_edges() == demo["edges"]
    kepol = graph.nodes[f"a{demo['kepol']}"]
    assert kepol["label"] == "Koordination Kommunale Entwicklungspolitik (KEpol)"
    assert kepol["category"] == "verwaltung" and kepol["power"] == demo["kepol_power"]
    assert set(kepol["viz"]) >= {"color", "position", "size"}
    assert graph.nodes[f"a{demo['evil']}"]["label"] == EVIL_NAME


def test_node_link_json_round_trips(exported, demo):
    data = json.loads(exported["graph.json"].read_text("utf-8"))
    assert len(data["nodes"]) == demo["nodes"] and len(data["edges"]) == demo["edges"]
    graph = nx.node_link_graph(data, edges="edges")
    assert graph.is_multigraph() and graph.is_directed()
    assert graph.nodes[f"a{demo['kepol']}"]["short_name"] == "KEpol-Koordination"


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
    assert "<img" not in html
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


def test_download_links_for_viewers(app, demo, login):
    viewer = login("viewer")
    html = viewer.get("/luecken").get_data(as_text=True)
    for fmt in ("graphml", "gexf", "json", "html"):
        assert f'href="/export/netzwerk.{fmt}"' in html
    response = viewer.get("/export/netzwerk.graphml")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert nx.parse_graphml(response.get_data(as_text=True)).number_of_nodes() == demo["nodes"]
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
