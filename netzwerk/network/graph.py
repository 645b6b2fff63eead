"""Load the actor network from the database into a networkx graph.

The analysis, the map and the exports all work on this one graph, so its shape is fixed here:
actor nodes "a<id>", topic nodes "t<id>", relation edges keyed "r<id>" and topic links keyed
"l<id>" (always actor → topic). `graph_from_data` builds it from plain rows so that tests and
benchmarks need no database; `build_graph` only feeds it rows from a handful of SELECTs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import Enum
from itertools import chain
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

    Dicts may leave out fields (the model defaults apply), tuples must be complete; enum members
    are stored as their string values. An edge that names an unknown actor or topic raises
    ValueError rather than leaving a bare node that the analysis would trip over later.
    """
    graph = nx.MultiDiGraph(category_labels=dict(category_labels or {}))
    graph.add_nodes_from(_actor_nodes(actors))
    graph.add_nodes_from(_topic_nodes(topics))
    known = graph.number_of_nodes()
    add_edge = graph.add_edge  # one call per edge is a third faster than add_edges_from
    for source, target, key, attrs in chain(_relation_edges(relations), _link_edges(links)):
        add_edge(source, target, key, **attrs)
    if graph.number_of_nodes() != known:
        unknown = sorted(node for node, kind in graph.nodes(data="kind") if kind is None)
        raise ValueError(f"relations or links refer to unknown nodes: {', '.join(unknown)}")
    return graph


def build_graph(session=None) -> nx.MultiDiGraph:
    """Load the whole network with six SELECTs of plain columns (no ORM objects, no N+1)."""
    # imported here so that graph_from_data stays usable without the models and the app
    import sqlalchemy as sa

    from ..actors.models import Actor, Category, Contact, Relation
    from ..extensions import db
    from ..topics.models import ActorTopic, Topic

    # Core rows on the session's connection, vocabulary columns as plain strings: the ORM
    # result layer and the enum conversion would otherwise double the time at 8,000 actors
    connection = (session or db.session).connection()

    def rows(*columns, order_by=None):
        plain = [
            sa.type_coerce(c, sa.String) if isinstance(c.type, sa.Enum) else c for c in columns
        ]
        return connection.execute(sa.select(*plain).order_by(order_by)).all()

    has_email = sa.func.max(sa.case((sa.func.trim(Contact.email) != "", 1), else_=0))
    contacts = {
        actor_id: (count, bool(email))
        for actor_id, count, email in connection.execute(
            sa.select(Contact.actor_id, sa.func.count(Contact.id), has_email).group_by(
                Contact.actor_id
            )
        )
    }
    actor_rows = rows(
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
        order_by=Actor.id,
    )
    actors = [(*row, *contacts.get(row[0], (0, False))) for row in actor_rows]
    topics = rows(Topic.id, Topic.code, Topic.title, Topic.priority, order_by=Topic.id)
    links = rows(
        ActorTopic.id,
        ActorTopic.actor_id,
        ActorTopic.topic_id,
        ActorTopic.role,
        order_by=ActorTopic.id,
    )
    relations = rows(
        Relation.id,
        Relation.source_id,
        Relation.target_id,
        Relation.kind,
        Relation.directed,
        Relation.strength,
        order_by=Relation.id,
    )
    labels = dict(rows(Category.key, Category.label_de))
    return graph_from_data(actors, topics, links, relations, category_labels=labels)


def _rows(rows: Iterable[Row], names: tuple[str, ...], defaults: Mapping[str, Any]):
    """Rows as tuples in field order; dicts are completed with the defaults."""
    for row in rows:
        if isinstance(row, Mapping):
            merged = {**defaults, **row}
            yield tuple(merged[name] for name in names)
        else:
            yield row


def _plain(value: Any) -> Any:
    """Enum members (the vocabularies) as their stored string values."""
    return value.value if isinstance(value, Enum) else value


def _actor_nodes(actors: Iterable[Row]):
    for row in _rows(actors, ACTOR_FIELDS, ACTOR_DEFAULTS):
        (id_, name, short, category, sector, level, status, power, interest) = row[:9]
        (city, country, contacts, has_email) = row[9:]
        yield (
            actor_node(id_),
            {
                "kind": "actor",
                "id": id_,
                "label": name,
                "short_name": short or "",
                "category": category,
                "sector": _plain(sector),
                "level": _plain(level),
                "status": _plain(status),
                "power": power,
                "interest": interest,
                "city": city or "",
                "country": country or "",
                "has_email": bool(has_email),
                "contacts": int(contacts or 0),
            },
        )


def _topic_nodes(topics: Iterable[Row]):
    for id_, code, title, priority in _rows(topics, TOPIC_FIELDS, TOPIC_DEFAULTS):
        yield (
            topic_node(id_),
            {
                "kind": "topic",
                "id": id_,
                "label": f"{code} {title}".strip(),
                "code": code,
                "title": title,
                "priority": priority,
            },
        )


def _relation_edges(relations: Iterable[Row]):
    for id_, source, target, kind, directed, strength in _rows(
        relations, RELATION_FIELDS, RELATION_DEFAULTS
    ):
        attrs = {
            "kind": _plain(kind),
            "rel_id": id_,
            "directed": bool(directed),
            "strength": strength,
        }
        yield (f"a{source}", f"a{target}", f"r{id_}", attrs)


def _link_edges(links: Iterable[Row]):
    for id_, actor_id, topic_id, role in _rows(links, LINK_FIELDS, LINK_DEFAULTS):
        attrs = {"kind": TOPIC_LINK, "role": _plain(role), "link_id": id_}
        yield (f"a{actor_id}", f"t{topic_id}", f"l{id_}", attrs)
