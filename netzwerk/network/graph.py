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
RELATION_FIELDS = ("id", "source_id", "target_id", "kind", "directed", "strength", "reciprocity")

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
RELATION_DEFAULTS: dict[str, Any] = {
    "kind": "kooperation",
    "directed": False,
    "strength": 2,
    "reciprocity": None,
}

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
    graph.add_nodes_from(actor_entries(actors))
    graph.add_nodes_from(topic_entries(topics))
    known = graph.number_of_nodes()
    add_edge = graph.add_edge  # one call per edge is a third faster than add_edges_from
    for source, target, key, attrs in chain(relation_entries(relations), link_entries(links)):
        add_edge(source, target, key, **attrs)
    if graph.number_of_nodes() != known:
        unknown = sorted(node for node, kind in graph.nodes(data="kind") if kind is None)
        raise ValueError(f"relations or links refer to unknown nodes: {', '.join(unknown)}")
    return graph


# --- reading rows from the database -----------------------------------------------------------
# Core rows of plain columns, vocabulary columns as plain strings: the ORM result layer and the
# enum conversion would otherwise double the time at 8,000 actors. build_graph reads everything;
# follow.py reads the rows of the changed ids with the same functions.


def _plain_columns(*columns) -> list:
    import sqlalchemy as sa

    return [sa.type_coerce(c, sa.String) if isinstance(c.type, sa.Enum) else c for c in columns]


def _connection(connection=None):
    from ..extensions import db

    return connection if connection is not None else db.session.connection()


def _where_ids(query, column, ids: Iterable[int] | None):
    return query if ids is None else query.where(column.in_(list(ids)))


def read_contact_counts(actor_ids: Iterable[int] | None = None, connection=None) -> dict:
    """actor id → (number of contacts, whether one has an e-mail address)."""
    import sqlalchemy as sa

    from ..actors.models import Contact

    has_email = sa.func.max(sa.case((sa.func.trim(Contact.email) != "", 1), else_=0))
    query = sa.select(Contact.actor_id, sa.func.count(Contact.id), has_email)
    query = _where_ids(query, Contact.actor_id, actor_ids).group_by(Contact.actor_id)
    return {
        actor_id: (count, bool(email))
        for actor_id, count, email in _connection(connection).execute(query)
    }


def read_actors(ids: Iterable[int] | None = None, connection=None) -> list[tuple]:
    """Actor rows in ACTOR_FIELDS order (contacts counted), by id."""
    import sqlalchemy as sa

    from ..actors.models import Actor

    ids = None if ids is None else list(ids)
    columns = _plain_columns(
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
    )
    query = _where_ids(sa.select(*columns), Actor.id, ids).order_by(Actor.id)
    rows = _connection(connection).execute(query).all()
    contacts = read_contact_counts(ids, connection)
    return [(*row, *contacts.get(row[0], (0, False))) for row in rows]


def read_topics(connection=None) -> list[tuple]:
    import sqlalchemy as sa

    from ..topics.models import Topic

    columns = _plain_columns(Topic.id, Topic.code, Topic.title, Topic.priority)
    return _connection(connection).execute(sa.select(*columns).order_by(Topic.id)).all()


def read_links(ids: Iterable[int] | None = None, connection=None) -> list[tuple]:
    """Topic links in LINK_FIELDS order, by id."""
    import sqlalchemy as sa

    from ..topics.models import ActorTopic

    columns = _plain_columns(
        ActorTopic.id, ActorTopic.actor_id, ActorTopic.topic_id, ActorTopic.role
    )
    query = _where_ids(sa.select(*columns), ActorTopic.id, ids).order_by(ActorTopic.id)
    return _connection(connection).execute(query).all()


def read_relations(ids: Iterable[int] | None = None, connection=None) -> list[tuple]:
    """Relations in RELATION_FIELDS order, by id."""
    import sqlalchemy as sa

    from ..actors.models import Relation

    columns = _plain_columns(
        Relation.id,
        Relation.source_id,
        Relation.target_id,
        Relation.kind,
        Relation.directed,
        Relation.strength,
        Relation.reciprocity,
    )
    query = _where_ids(sa.select(*columns), Relation.id, ids).order_by(Relation.id)
    return _connection(connection).execute(query).all()


def read_category_labels(connection=None, lang: str = "de") -> dict[str, str]:
    import sqlalchemy as sa

    from ..actors.models import Category

    column = Category.label_en if lang == "en" else Category.label_de
    rows = _connection(connection).execute(sa.select(Category.key, column, Category.label_de))
    return {key: label or german for key, label, german in rows.all()}


def category_labels(graph: nx.MultiDiGraph) -> Mapping[str, str]:
    """Category key → label in the reader's language (German outside a request)."""
    try:
        from flask_babel import get_locale

        lang = str(get_locale() or "de")
    except (RuntimeError, ImportError):
        lang = "de"
    if lang == "en" and "category_labels_en" in graph.graph:
        return graph.graph["category_labels_en"]
    return graph.graph.get("category_labels", {})


def build_graph(session=None) -> nx.MultiDiGraph:
    """Load the whole network with six SELECTs of plain columns (no ORM objects, no N+1)."""
    from ..extensions import db

    connection = (session or db.session).connection()
    graph = graph_from_data(
        read_actors(connection=connection),
        read_topics(connection),
        read_links(connection=connection),
        read_relations(connection=connection),
        category_labels=read_category_labels(connection),
    )
    graph.graph["category_labels_en"] = read_category_labels(connection, "en")
    return graph


def _rows(rows: Iterable[Row], names: tuple[str, ...], defaults: Mapping[str, Any]):
    """Rows as tuples in field order; dicts are completed with the defaults."""
    mapping: dict[type, bool] = {}  # isinstance(row, Mapping) is slow: once per type of row
    for row in rows:
        kind = type(row)
        is_mapping = mapping.get(kind)
        if is_mapping is None:
            is_mapping = mapping[kind] = isinstance(row, Mapping)
        if is_mapping:
            merged = {**defaults, **row}
            yield tuple(merged[name] for name in names)
        else:
            yield row


def _plain(value: Any) -> Any:
    """Enum members (the vocabularies) as their stored string values."""
    return value.value if isinstance(value, Enum) else value


def actor_entries(actors: Iterable[Row]):
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


def topic_entries(topics: Iterable[Row]):
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


def relation_entries(relations: Iterable[Row]):
    """Relation edges; "reciprocity" (bestaetigt/einseitig) only on relations a survey asked
    about. Tuples may leave out the last field (reciprocity)."""
    for row in _rows(relations, RELATION_FIELDS, RELATION_DEFAULTS):
        id_, source, target, kind, directed, strength = row[:6]
        attrs = {
            "kind": _plain(kind),
            "rel_id": id_,
            "directed": bool(directed),
            "strength": strength,
        }
        if len(row) > 6 and row[6]:
            attrs["reciprocity"] = _plain(row[6])
        yield (f"a{source}", f"a{target}", f"r{id_}", attrs)


def link_entries(links: Iterable[Row]):
    for id_, actor_id, topic_id, role in _rows(links, LINK_FIELDS, LINK_DEFAULTS):
        attrs = {"kind": TOPIC_LINK, "role": _plain(role), "link_id": id_}
        yield (f"a{actor_id}", f"t{topic_id}", f"l{id_}", attrs)
