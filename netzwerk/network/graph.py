"""Load the actor network from the database into a networkx graph.

The analysis, the map and the exports all work on this one graph, so its shape is fixed here:
actor nodes "a<id>", topic nodes "t<id>", relation edges keyed "r<id>" and topic links keyed
"l<id>" (always actor → topic). `graph_from_data` builds it from plain rows so that tests and
benchmarks need no database; `build_graph` only feeds it rows from a handful of SELECTs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx

ACTOR_FIELDS = (
    "id",
    "name",
    "short_name",
    "category",
    "sector",
    "level",
    "status",
    "power",
    "interest",
    "city",
    "country",
    "contacts",
    "has_email",
)
TOPIC_FIELDS = ("id", "code", "title", "priority")
LINK_FIELDS = ("id", "actor_id", "topic_id", "role")
RELATION_FIELDS = ("id", "source_id", "target_id", "kind", "directed", "strength")

ACTOR_DEFAULTS: dict[str, Any] = {
    "short_name": "",
    "category": "",
    "sector": "",
    "level": "lokal",
    "status": "aktiv",
    "power": 3,
    "interest": 3,
    "city": "",
    "country": "DE",
    "contacts": 0,
    "has_email": False,
}
TOPIC_DEFAULTS: dict[str, Any] = {"title": "", "priority": 2}
LINK_DEFAULTS: dict[str, Any] = {"role": "interessiert"}
RELATION_DEFAULTS: dict[str, Any] = {"kind": "kooperation", "directed": False, "strength": 2}

TOPIC_LINK = "topic_link"

Row = Mapping[str, Any] | tuple | list


def actor_node(actor_id: int) -> str:
    return f"a{actor_id}"


def topic_node(topic_id: int) -> str:
    return f"t{topic_id}"


def graph_from_data(
    actors: Iterable[Row],
    topics: Iterable[Row] = (),
    links: Iterable[Row] = (),
    relations: Iterable[Row] = (),
    category_labels: Mapping[str, str] | None = None,
) -> nx.MultiDiGraph:
    """Build the network graph from plain rows: dicts, or tuples in the *_FIELDS order.

    Missing fields take the model defaults, enum members are stored as their string values.
    An edge that names an unknown actor or topic raises ValueError rather than creating a bare
    node that the analysis would trip over later.
    """
    graph = nx.MultiDiGraph(category_labels=dict(category_labels or {}))
    graph.add_nodes_from(_actor_nodes(actors))
    graph.add_nodes_from(_topic_nodes(topics))
    graph.add_edges_from(_checked(graph, _relation_edges(relations)))
    graph.add_edges_from(_checked(graph, _link_edges(links)))
    return graph


def build_graph(session=None) -> nx.MultiDiGraph:
    """Load the whole network with six SELECTs of plain columns (no ORM objects, no N+1)."""
    # imported here so that graph_from_data stays usable without the models and the app
    import sqlalchemy as sa

    from ..actors.models import Actor, Category, Contact, Relation
    from ..extensions import db
    from ..topics.models import ActorTopic, Topic

    session = session or db.session
    has_email = sa.func.max(sa.case((sa.func.trim(Contact.email) != "", 1), else_=0))
    contact_rows = session.execute(
        sa.select(Contact.actor_id, sa.func.count(Contact.id), has_email).group_by(Contact.actor_id)
    )
    contacts = {actor_id: (count, bool(email)) for actor_id, count, email in contact_rows}
    actor_rows = session.execute(
        sa.select(
            Actor.id,
            Actor.name,
            Actor.short_name,
            Actor.category_key,
            Actor.sector,
            Actor.level,
            Actor.status,
            Actor.power,
            Actor.interest,
            Actor.city,
            Actor.country,
        ).order_by(Actor.id)
    )
    actors = [(*row, *contacts.get(row[0], (0, False))) for row in actor_rows]
    topics = session.execute(
        sa.select(Topic.id, Topic.code, Topic.title, Topic.priority).order_by(Topic.id)
    ).all()
    links = session.execute(
        sa.select(ActorTopic.id, ActorTopic.actor_id, ActorTopic.topic_id, ActorTopic.role)
    ).all()
    relations = session.execute(
        sa.select(
            Relation.id,
            Relation.source_id,
            Relation.target_id,
            Relation.kind,
            Relation.directed,
            Relation.strength,
        ).order_by(Relation.id)
    ).all()
    labels = dict(session.execute(sa.select(Category.key, Category.label_de)).all())
    return graph_from_data(actors, topics, links, relations, category_labels=labels)


def _fields(row: Row, names: tuple[str, ...], defaults: Mapping[str, Any]) -> dict[str, Any]:
    values = row if isinstance(row, Mapping) else dict(zip(names, row, strict=False))
    merged = {**defaults, **values}
    return {key: getattr(value, "value", value) for key, value in merged.items()}


def _actor_nodes(actors: Iterable[Row]):
    for row in actors:
        a = _fields(row, ACTOR_FIELDS, ACTOR_DEFAULTS)
        yield (
            actor_node(a["id"]),
            {
                "kind": "actor",
                "id": a["id"],
                "label": a["name"],
                "short_name": a["short_name"] or "",
                "category": a["category"],
                "sector": a["sector"],
                "level": a["level"],
                "status": a["status"],
                "power": a["power"],
                "interest": a["interest"],
                "city": a["city"] or "",
                "country": a["country"] or "",
                "has_email": bool(a["has_email"]),
                "contacts": int(a["contacts"] or 0),
            },
        )


def _topic_nodes(topics: Iterable[Row]):
    for row in topics:
        t = _fields(row, TOPIC_FIELDS, TOPIC_DEFAULTS)
        label = f"{t['code']} {t['title']}".strip()
        yield (
            topic_node(t["id"]),
            {
                "kind": "topic",
                "id": t["id"],
                "label": label,
                "code": t["code"],
                "title": t["title"],
                "priority": t["priority"],
            },
        )


def _relation_edges(relations: Iterable[Row]):
    for row in relations:
        r = _fields(row, RELATION_FIELDS, RELATION_DEFAULTS)
        yield (
            actor_node(r["source_id"]),
            actor_node(r["target_id"]),
            f"r{r['id']}",
            {
                "kind": r["kind"],
                "rel_id": r["id"],
                "directed": bool(r["directed"]),
                "strength": r["strength"],
            },
        )


def _link_edges(links: Iterable[Row]):
    for row in links:
        link = _fields(row, LINK_FIELDS, LINK_DEFAULTS)
        yield (
            actor_node(link["actor_id"]),
            topic_node(link["topic_id"]),
            f"l{link['id']}",
            {"kind": TOPIC_LINK, "role": link["role"], "link_id": link["id"]},
        )


def _checked(graph: nx.MultiDiGraph, edges):
    nodes = graph.nodes
    for edge in edges:
        for end in edge[:2]:
            if end not in nodes:
                raise ValueError(f"edge {edge[2]} refers to unknown node {end}")
        yield edge
