"""The network as files: GraphML and GEXF (Gephi, yEd), node-link JSON, a standalone HTML map.

All four come from one export graph: the analysis graph plus metrics, positions, labels and
descriptions, with every attribute reduced to str/int/float/bool of one type per name, because
GraphML and GEXF declare one type per attribute and have no None or lists. The HTML map is built
with pyvis but rendered with our own template: vis-network inlined, nothing loaded from elsewhere,
every label and title embedded as escaped JSON and shown as text.
"""

from __future__ import annotations

import functools
import io
import json
import math
import re
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path
from typing import Any

import networkx as nx
import sqlalchemy as sa
from flask import current_app, has_request_context
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from ..actors.models import Actor, Category
from ..actors.vocab import RelationKind, Sector, Status
from ..core.validation import xml_safe
from ..extensions import db
from ..topics.models import TopicRole
from . import analysis, landscape_picture, past
from .graph import TOPIC_LINK, category_labels
from .map_filters import MapFilters
from .state import Snapshot, snapshot

FORMATS = {
    "graphml": ("application/graphml+xml", "GraphML"),
    "gexf": ("application/gexf+xml", "GEXF"),
    "json": ("application/json", "JSON"),
    "html": ("text/html", "HTML-Karte"),
}
FILENAMES = {
    "graphml": "graph.graphml",
    "gexf": "graph.gexf",
    "json": "graph.json",
    "html": "karte.html",
}
TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "templates" / "network"
MAP_TEMPLATE = "export_map.html"
DESCRIPTION_IN_TITLE = 300
HEADING = "Akteursnetzwerk Kommunale Entwicklungspolitik"

# GEXF and GraphML readers treat these node attribute names specially
RESERVED = {"id", "pid", "start", "end", "parents", "slices", "spells", "viz"}
TYPE_DEFAULTS: dict[type, Any] = {bool: False, int: 0, float: 0.0, str: ""}

SECTOR_SHAPES = {
    Sector.ADMINISTRATION: "square",
    Sector.POLITICS: "triangle",
    Sector.CIVIL_SOCIETY: "dot",
    Sector.EDUCATION: "diamond",
    Sector.ECONOMY: "triangleDown",
    Sector.PARTNER_CITY: "star",
    Sector.STATE: "hexagon",
    Sector.MEDIA: "square",
}
RELATION_COLORS = {
    RelationKind.COOPERATION: "#4e79a7",
    RelationKind.PARTNERSHIP: "#59a14f",
    RelationKind.FUNDING: "#f28e2b",
    RelationKind.INSTRUCTION: "#76b7b2",
    RelationKind.MEMBERSHIP: "#9c755f",
    RelationKind.INFORMATION: "#9a9a9a",
    RelationKind.CONFLICT: "#e15759",
}
TOPIC_COLOR = "#ffe08a"
GHOST_COLOR = "#bdbdbd"
LINK_COLOR = "#c8c8c8"


# --- the export graph ----------------------------------------------------------------------------


def export_graph(snap: Snapshot | None = None) -> nx.MultiDiGraph:
    """A typed copy of the network with metrics, positions and German labels."""
    snap = snap or snapshot()
    source = snap.graph
    graph = nx.MultiDiGraph()
    graph.graph.update({"name": HEADING, "exported": date.today().isoformat()})
    labels = category_labels(source)
    details = _actor_details()
    metrics = {row["id"]: row for row in snap.metrics()}
    positions = node_positions(source, snap)
    for node, attrs in source.nodes(data=True):
        data = {("db_id" if k == "id" else k): v for k, v in attrs.items()}
        x, y = positions.get(node, (0.0, 0.0))
        data.update({"x": round(float(x), 1), "y": round(float(y), 1)})
        if attrs["kind"] == "actor":
            extra = details.get(attrs["id"], {})
            row = metrics.get(attrs["id"], {})
            data.update(
                {
                    "category_label": labels.get(attrs["category"], attrs["category"]),
                    "description": extra.get("description", ""),
                    "website": extra.get("website", ""),
                    "color": extra.get("color", "#7f7f7f"),
                    "degree": row.get("degree", 0),
                    "betweenness": float(row.get("betweenness", 0.0)),
                    "community": row.get("community", -1),
                }
            )
        else:
            data["color"] = TOPIC_COLOR
        graph.add_node(node, **data)
    for source_node, target, key, attrs in source.edges(keys=True, data=True):
        # a topic link says "works on", not a flow: undirected like most relations
        graph.add_edge(source_node, target, key=key, **{"directed": False, **attrs})
    return _typed(graph)


def _actor_details() -> dict[int, dict]:
    rows = db.session.execute(
        sa.select(Actor.id, Actor.description, Actor.website, Category.color).join(
            Category, Category.key == Actor.category_key
        )
    )
    return {i: {"description": d or "", "website": w or "", "color": c} for i, d, w, c in rows}


def _plain(value: Any) -> Any:
    """str/int/float/bool or None: enums by value, lists joined, dicts as JSON; text without the
    characters XML cannot hold (refused on input, but older data may have them)."""
    if isinstance(value, str):
        return xml_safe(str(getattr(value, "value", value)))
    if value is None or isinstance(value, bool | int | float):
        return getattr(value, "value", value) if not isinstance(value, bool) else value
    if isinstance(value, list | tuple | set | frozenset):
        return "; ".join(str(_plain(v)) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(getattr(value, "value", value))


def _unify(items: list[dict]) -> None:
    """One type per attribute name (bool < int < float < str); None becomes that type's zero."""
    rank = [bool, int, float, str]
    types: dict[str, type] = {}
    for data in items:
        for key, value in list(data.items()):
            value = _plain(value)
            data[key] = value
            if value is None:
                continue
            kind = type(value) if type(value) in rank else str
            if key not in types or rank.index(kind) > rank.index(types[key]):
                types[key] = kind
    for data in items:
        for key, value in data.items():
            wanted = types.get(key, str)
            if value is None:
                data[key] = TYPE_DEFAULTS[wanted]
            elif type(value) is not wanted:
                data[key] = str(value) if wanted is str else wanted(value)


def _typed(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    for node, data in graph.nodes(data=True):
        for key in RESERVED & data.keys():
            raise ValueError(f"node {node}: attribute name {key!r} is reserved in GEXF")
    _unify([data for _, data in graph.nodes(data=True)])
    _unify([data for *_, data in graph.edges(keys=True, data=True)])
    for key, value in list(graph.graph.items()):
        graph.graph[key] = "" if value is None else _plain(value)
    return graph


# --- positions -----------------------------------------------------------------------------------


def node_positions(
    graph: nx.MultiDiGraph, snap: Snapshot | None = None
) -> dict[str, tuple[float, float]]:
    """Pixel positions: the map's stored layout (placing nodes it has not seen yet, as the map
    does), so the export looks like /karte; computed here only for nodes it leaves out."""
    from .map_data import current_base
    from .positions import positions

    stored = positions(current_base(snap or snapshot()))
    if all(node in stored for node in graph):
        return stored
    return {**_computed_positions(graph), **stored}


def _computed_positions(graph: nx.MultiDiGraph) -> dict[str, tuple[float, float]]:
    """Spring layout up to 1,500 nodes; above, communities on a circle, each a sunflower, so
    8,000 nodes take milliseconds and no n×n matrix."""
    simple = nx.Graph()
    simple.add_nodes_from(graph)
    simple.add_edges_from((u, v) for u, v in graph.edges() if u != v)
    count = simple.number_of_nodes()
    if count == 0:
        return {}
    spread = 120.0 * math.sqrt(count)
    if count <= analysis.LARGE_GRAPH:
        pos = nx.spring_layout(simple, seed=analysis.SEED, iterations=60)
        return {n: (float(x) * spread, float(y) * spread) for n, (x, y) in pos.items()}
    groups = sorted(nx.connected_components(simple), key=lambda c: (-len(c), min(c)))
    result: dict[str, tuple[float, float]] = {}
    golden = math.pi * (3 - math.sqrt(5))
    ring = spread * 0.6
    for index, group in enumerate(groups):
        angle = 2 * math.pi * index / max(len(groups), 1)
        cx, cy = (0.0, 0.0) if index == 0 else (ring * math.cos(angle), ring * math.sin(angle))
        members = sorted(group, key=lambda n: (-simple.degree(n), n))
        for i, node in enumerate(members):
            r = 40.0 * math.sqrt(i)
            result[node] = (cx + r * math.cos(i * golden), cy + r * math.sin(i * golden))
    return result


# --- writers -------------------------------------------------------------------------------------
#
# GraphML and GEXF are written here rather than by networkx: its writers declare one direction for
# the whole graph, reuse one key id for a node and an edge attribute of the same name (an XSD
# identity-constraint error) and put a `name` on GEXF's <graph>, which the schema does not allow.
# Both files declare "directed" as their default and say on every edge what it is (GraphML
# `directed="true|false"`, GEXF `type="directed|undirected"`): Gephi and yEd honour that per edge,
# and a reader that only knows the default (igraph) still gets source → target right and finds the
# relation's direction in the `directed` attribute. GEXF 1.2draft has no "mixed" default (its schema
# allows directed, undirected, mutual; Gephi rejects "mixed" too).

GRAPHML_NS = "http://graphml.graphdrawing.org/xmlns"
GRAPHML_SCHEMA = "http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd"
GEXF_NS = "http://www.gexf.net/1.2draft"
GEXF_SCHEMA = "http://www.gexf.net/1.2draft/gexf.xsd"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
GRAPHML_TYPES = {bool: "boolean", int: "int", float: "double", str: "string"}
GEXF_TYPES = {bool: "boolean", int: "integer", float: "double", str: "string"}
# characters XML 1.0 cannot carry at all (a pasted control character would make the file unreadable)
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else "0.0"
    return _XML_INVALID.sub("", str(value))


def _attribute_types(items) -> dict[str, type]:
    """Name → Python type over all data dicts of one scope (export_graph made them uniform)."""
    types: dict[str, type] = {}
    for data in items:
        for name, value in data.items():
            types.setdefault(name, type(value) if type(value) in GRAPHML_TYPES else str)
    return types


def _xml_bytes(root: ET.Element) -> bytes:
    ET.indent(root, space=" ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def graphml_bytes(graph: nx.MultiDiGraph) -> bytes:
    """GraphML 1.0 with attribute keys (ids n_*, e_*, g_*: unique per scope) and per-edge
    direction; valid against graphml.xsd."""
    ET.register_namespace("", GRAPHML_NS)
    ET.register_namespace("xsi", XSI_NS)
    q = functools.partial("{{{}}}{}".format, GRAPHML_NS)
    root = ET.Element(
        q("graphml"), {f"{{{XSI_NS}}}schemaLocation": f"{GRAPHML_NS} {GRAPHML_SCHEMA}"}
    )
    scopes = {
        "graph": ("g", _attribute_types([graph.graph])),
        "node": ("n", _attribute_types(data for _, data in graph.nodes(data=True))),
        "edge": ("e", _attribute_types(data for *_, data in graph.edges(keys=True, data=True))),
    }
    for scope, (prefix, types) in scopes.items():
        for name, kind in types.items():
            ET.SubElement(
                root,
                q("key"),
                {
                    "id": f"{prefix}_{name}",
                    "for": scope,
                    "attr.name": name,
                    "attr.type": GRAPHML_TYPES[kind],
                },
            )

    def add_data(element: ET.Element, prefix: str, data: dict) -> None:
        for name, value in data.items():
            ET.SubElement(element, q("data"), key=f"{prefix}_{name}").text = _xml_text(value)

    body = ET.SubElement(root, q("graph"), id="G", edgedefault="directed")
    ET.SubElement(body, q("desc")).text = _xml_text(graph.graph.get("name", HEADING))
    add_data(body, "g", graph.graph)
    for node, data in graph.nodes(data=True):
        add_data(ET.SubElement(body, q("node"), id=str(node)), "n", data)
    for source, target, key, data in graph.edges(keys=True, data=True):
        edge = ET.SubElement(
            body,
            q("edge"),
            id=str(key),
            source=str(source),
            target=str(target),
            directed=_xml_text(bool(data.get("directed"))),
        )
        add_data(edge, "e", data)
    return _xml_bytes(root)


def gexf_bytes(graph: nx.MultiDiGraph) -> bytes:
    """GEXF 1.2draft for Gephi: typed attributes, per-edge type, relation strength as weight,
    colour, position and size of the map. The colour/position/size elements are written as the
    official 1.2draft XSD declares them (in the GEXF namespace), which Gephi reads by name."""
    ET.register_namespace("", GEXF_NS)
    ET.register_namespace("xsi", XSI_NS)
    q = functools.partial("{{{}}}{}".format, GEXF_NS)
    root = ET.Element(
        q("gexf"),
        {f"{{{XSI_NS}}}schemaLocation": f"{GEXF_NS} {GEXF_SCHEMA}", "version": "1.2"},
    )
    meta = ET.SubElement(root, q("meta"))
    exported = graph.graph.get("exported")
    if exported:
        meta.set("lastmodifieddate", str(exported))
    ET.SubElement(meta, q("creator")).text = "netzwerk"
    ET.SubElement(meta, q("description")).text = _xml_text(graph.graph.get("name", HEADING))
    body = ET.SubElement(root, q("graph"), defaultedgetype="directed", mode="static")
    # the label is the node's own attribute in GEXF (and a reserved column in Gephi)
    node_data = {node: _without(data, "label") for node, data in graph.nodes(data=True)}
    node_types = _attribute_types(node_data.values())
    edge_types = _attribute_types(data for *_, data in graph.edges(keys=True, data=True))
    for scope, types in (("node", node_types), ("edge", edge_types)):
        declared = ET.SubElement(body, q("attributes"), {"class": scope, "mode": "static"})
        for name, kind in types.items():
            ET.SubElement(
                declared,
                q("attribute"),
                id=f"{scope[0]}_{name}",
                title=name,
                type=GEXF_TYPES[kind],
            )

    def add_values(element: ET.Element, prefix: str, data: dict) -> None:
        values = ET.SubElement(element, q("attvalues"))
        for name, value in data.items():
            ET.SubElement(
                values, q("attvalue"), {"for": f"{prefix}_{name}", "value": _xml_text(value)}
            )

    nodes = ET.SubElement(body, q("nodes"), count=str(graph.number_of_nodes()))
    for node, data in graph.nodes(data=True):
        element = ET.SubElement(
            nodes, q("node"), id=str(node), label=_xml_text(data.get("label", node))
        )
        add_values(element, "n", node_data[node])
        red, green, blue = _rgb(data.get("color", ""))
        ET.SubElement(element, q("color"), r=str(red), g=str(green), b=str(blue), a="1.0")
        ET.SubElement(
            element,
            q("position"),
            x=_xml_text(float(data.get("x", 0.0))),
            y=_xml_text(-float(data.get("y", 0.0))),
            z="0.0",
        )
        size = 10.0 + 2.0 * math.sqrt(data.get("degree", 0) or 0)
        ET.SubElement(element, q("size"), value=_xml_text(round(size, 2)))
    edges = ET.SubElement(body, q("edges"), count=str(graph.number_of_edges()))
    for source, target, key, data in graph.edges(keys=True, data=True):
        element = ET.SubElement(
            edges,
            q("edge"),
            id=str(key),
            source=str(source),
            target=str(target),
            type="directed" if data.get("directed") else "undirected",
            label=_edge_label(data),
            weight=_xml_text(float(data.get("strength") or 1)),
        )
        add_values(element, "e", data)
    return _xml_bytes(root)


def _without(data: dict, name: str) -> dict:
    return {key: value for key, value in data.items() if key != name}


def _edge_label(data: dict) -> str:
    if data.get("kind") == TOPIC_LINK:
        role = TopicRole.parse(data.get("role"))
        return str(role.label) if role else str(data.get("role", ""))
    kind = RelationKind.parse(data.get("kind"))
    return str(kind.label) if kind else str(data.get("kind", ""))


def node_link_data(graph: nx.MultiDiGraph) -> dict:
    """networkx's node-link format with the edges under both names: "links" (networkx up to 3.5,
    d3 examples) and "edges" (networkx 3.6 and later), so plain `nx.node_link_graph(data)` reads
    it on every networkx from 3.2 on. Each edge carries `directed`."""
    links = [
        {"source": source, "target": target, "key": key, **data}
        for source, target, key, data in graph.edges(keys=True, data=True)
    ]
    return {
        "directed": True,
        "multigraph": True,
        "graph": dict(graph.graph),
        "nodes": [{"id": node, **data} for node, data in graph.nodes(data=True)],
        "links": links,
        "edges": links,
    }


def node_link_json(graph: nx.MultiDiGraph) -> str:
    return json.dumps(node_link_data(graph), ensure_ascii=False, indent=1)


def _rgb(color: str) -> tuple[int, int, int]:
    text = (color or "").lstrip("#")
    if len(text) != 6:
        return (127, 127, 127)
    try:
        return tuple(int(text[i : i + 2], 16) for i in (0, 2, 4))  # type: ignore[return-value]
    except ValueError:
        return (127, 127, 127)


# --- the standalone HTML map ---------------------------------------------------------------------


def map_html(
    snap: Snapshot | None = None, graph: nx.MultiDiGraph | None = None, at: date | None = None
) -> str:
    """A single HTML file that shows the network offline: pyvis data, our template; `at` names
    the past day `snap` shows (its Akteurslandkarte is of that day too)."""
    snap = snap or snapshot()
    graph = graph if graph is not None else export_graph(snap)
    net = _network_class()(height="100%", width="100%", directed=False, cdn_resources="in_line")
    net.heading = HEADING
    for node, data in graph.nodes(data=True):
        net.add_node(node, **_vis_node(data))
    for source, target, key, data in graph.edges(keys=True, data=True):
        net.add_edge(source, target, **_vis_edge(key, data))
    ghosts, ghost_edges = _ghosts(snap, graph)
    for node, options in ghosts:
        net.add_node(node, **options)
    for source, target, options in ghost_edges:
        net.add_edge(source, target, **options)
    net.set_options(json.dumps(_vis_options(graph.number_of_nodes())))
    net.set_template_dir(str(TEMPLATE_DIR) + "/", MAP_TEMPLATE)
    net.templateEnv = _template_env()
    net.templateEnv.globals.update(
        landscape=_landscape_picture(graph, at),
        legend=_legend(graph),
        generated=graph.graph.get("exported", ""),
        counts={
            "actors": sum(1 for _, k in graph.nodes(data="kind") if k == "actor"),
            "topics": sum(1 for _, k in graph.nodes(data="kind") if k == "topic"),
            "relations": sum(1 for *_, k in graph.edges(data="kind") if k != TOPIC_LINK),
            "gaps": len(ghosts),
        },
    )
    return net.generate_html(name="karte.html")


def _landscape_picture(graph: nx.MultiDiGraph, at: date | None = None) -> dict[str, str] | None:
    """The Akteurslandkarte of all topics as an SVG image (data: URI) for the offline file,
    drawn on the server like the SVG download; None without actors. The export also runs
    from the command line: the picture's links need a request context there."""
    if not any(kind == "actor" for _, kind in graph.nodes(data="kind")):
        return None
    if not has_request_context():
        with current_app.test_request_context():
            return _landscape_picture(graph, at)
    scene, title, description, _key = landscape_picture.picture(MapFilters(at=at))
    return {
        "title": title,
        "description": description,
        "uri": scene.svg_data_uri(title, description),
    }


def _template_env() -> Environment:
    """Our template first; pyvis' own template folder only for its vis-network files."""
    import pyvis

    pyvis_templates = Path(pyvis.__file__).resolve().parent / "templates"
    return Environment(
        loader=ChoiceLoader(
            [FileSystemLoader(str(TEMPLATE_DIR)), FileSystemLoader(str(pyvis_templates))]
        ),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )


def _status_label(value: str) -> str:
    member = Status.parse(value)
    return str(member.label) if member else value


def _sector_label(value: str) -> str:
    member = Sector.parse(value)
    return str(member.label) if member else value


def _vis_node(data: dict) -> dict:
    """Everything user-typed stays plain text here; the template embeds it as escaped JSON."""
    if data["kind"] == "topic":
        return {
            "label": data["code"],
            "title": data["label"],
            "shape": "box",
            "color": TOPIC_COLOR,
            "x": data["x"],
            "y": data["y"],
            "group": "topic",
        }
    lines = [
        data["label"],
        f"Kategorie: {data['category_label']}",
        f"Sektor: {_sector_label(data['sector'])}",
    ]
    if data.get("city"):
        lines.append(f"Ort: {data['city']}")
    lines.append(f"Status: {_status_label(data['status'])}")
    lines.append(f"Einfluss {data['power']}, Interesse {data['interest']}")
    lines.append(f"Beziehungen: {data['degree']}, Vermittlung: {data['betweenness']:.3f}")
    description = data.get("description", "").strip()
    if description:
        if len(description) > DESCRIPTION_IN_TITLE:
            description = description[:DESCRIPTION_IN_TITLE].rstrip() + " …"
        lines.append(description)
    options = {
        "label": data.get("short_name") or data["label"],
        "title": "\n".join(lines),
        "shape": SECTOR_SHAPES.get(data["sector"], "dot"),
        "color": data["color"],
        "size": 10 + 2 * math.sqrt(data.get("degree", 0)),
        "x": data["x"],
        "y": data["y"],
        "group": data["category"],
    }
    if data["status"] == Status.CANDIDATE:
        options["shapeProperties"] = {"borderDashes": [4, 3]}
    if data["status"] == Status.INACTIVE:
        options["opacity"] = 0.4
    return options


def _vis_edge(key: str, data: dict) -> dict:
    if data["kind"] == TOPIC_LINK:
        role = TopicRole.parse(data.get("role"))
        return {
            "id": key,
            "title": f"Thema: {role.label if role else data.get('role', '')}",
            "color": LINK_COLOR,
            "dashes": True,
            "width": 1,
        }
    kind = RelationKind.parse(data["kind"])
    return {
        "id": key,
        "title": str(kind.label) if kind else data["kind"],
        "color": RELATION_COLORS.get(kind, "#888888"),
        "dashes": kind == RelationKind.CONFLICT,
        "width": data.get("strength", 2),
        "arrows": "to" if data.get("directed") else "",
    }


def _ghosts(snap: Snapshot, graph: nx.MultiDiGraph):
    """Dashed grey nodes for the gaps, fanned out around their topic as on the map."""
    from .layout import ghost_positions

    labels = category_labels(snap.graph)
    by_topic: dict[str, list[dict]] = {}
    for gap in snap.gaps():
        topic = f"t{gap['topic_id']}"
        if topic in graph:
            by_topic.setdefault(topic, []).append(gap)
    points = [(data["x"], data["y"]) for _, data in graph.nodes(data=True)]
    centre = (
        (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))
        if points
        else (0.0, 0.0)
    )
    nodes, edges = [], []
    for topic, gaps in by_topic.items():
        anchor = (graph.nodes[topic]["x"], graph.nodes[topic]["y"])
        for gap, (x, y) in zip(gaps, ghost_positions(anchor, len(gaps), centre), strict=True):
            node = f"g{gap['topic_id']}-{gap['category']}"
            label = labels.get(gap["category"], gap["category"])
            nodes.append(
                (
                    node,
                    {
                        "label": f"fehlt: {label}",
                        "title": (
                            f"{gap['topic']}: {gap['have']} von {gap['need']}\n{gap['reason']}"
                        ),
                        "shape": "dot",
                        "size": 10,
                        "color": {"background": "#f4f4f4", "border": GHOST_COLOR},
                        "shapeProperties": {"borderDashes": [5, 5]},
                        "font": {"color": "#757575"},
                        "x": x,
                        "y": y,
                        "group": "gap",
                    },
                )
            )
            edges.append((node, topic, {"color": GHOST_COLOR, "dashes": True, "width": 1}))
    return nodes, edges


def _vis_options(count: int) -> dict:
    return {
        "physics": {"enabled": False},
        "layout": {"improvedLayout": False},
        "interaction": {"hover": True, "tooltipDelay": 150, "hideEdgesOnDrag": count > 1000},
        "edges": {"smooth": False},
        "nodes": {"font": {"size": 12}},
    }


def _legend(graph: nx.MultiDiGraph) -> list[dict]:
    seen: dict[str, dict] = {}
    for _, data in graph.nodes(data=True):
        if data["kind"] == "actor" and data["category"] not in seen:
            seen[data["category"]] = {"label": data["category_label"], "color": data["color"]}
    return sorted(seen.values(), key=lambda item: item["label"].casefold())


@functools.cache
def _network_class():
    """pyvis' Network with set-based membership checks: its own scan lists, which makes adding
    8,000 nodes and 24,000 edges take minutes. Imported lazily (pyvis pulls in IPython)."""
    from pyvis.edge import Edge
    from pyvis.network import Network
    from pyvis.node import Node

    class FastNetwork(Network):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._ids: set = set()

        def add_node(self, n_id, label=None, shape="dot", color="#97c2fc", **options):
            if n_id in self._ids:
                return
            node = Node(n_id, shape, label=label or n_id, color=color, **options)
            self.nodes.append(node.options)
            self.node_ids.append(n_id)
            self.node_map[n_id] = node.options
            self._ids.add(n_id)

        def add_edge(self, source, to, **options):
            if source not in self._ids or to not in self._ids:
                raise ValueError(f"edge {source} -> {to} names an unknown node")
            self.edges.append(Edge(source, to, self.directed, **options).options)

    return FastNetwork


# --- whole exports -------------------------------------------------------------------------------


def render(fmt: str, at: date | None = None) -> tuple[bytes, str, str]:
    """(content, mimetype, download name) for one format; with `at` the network at the end of
    that day, rebuilt from the audit trail (network/past.py), named by that day."""
    snap = past.snapshot_at(at) if at else snapshot()
    graph = export_graph(snap)
    if at:
        graph.graph["exported"] = at.isoformat()
    stamp = graph.graph["exported"]
    if fmt == "graphml":
        data = graphml_bytes(graph)
    elif fmt == "gexf":
        data = gexf_bytes(graph)
    elif fmt == "json":
        data = node_link_json(graph).encode("utf-8")
    elif fmt == "html":
        data = map_html(snap, graph, at).encode("utf-8")
    else:
        raise ValueError(fmt)
    name = "karte" if fmt == "html" else "netzwerk"
    return data, FORMATS[fmt][0], f"{name}-{stamp}.{fmt}"


def as_file(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)


def export_all(directory: str | Path) -> list[Path]:
    """Write graph.graphml, graph.gexf, graph.json and karte.html into directory (created)."""
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    snap = snapshot()
    graph = export_graph(snap)
    contents = {
        "graphml": graphml_bytes(graph),
        "gexf": gexf_bytes(graph),
        "json": node_link_json(graph).encode("utf-8"),
        "html": map_html(snap, graph).encode("utf-8"),
    }
    written = []
    for fmt, data in contents.items():
        path = target / FILENAMES[fmt]
        path.write_bytes(data)
        written.append(path)
    return written
