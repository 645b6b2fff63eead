"""Small factory helpers: each test builds the data it needs through the services."""

from __future__ import annotations

import itertools

from netzwerk.actors import services as actors
from netzwerk.topics import services as topics

_seq = itertools.count(1)


def actor(**kw):
    n = next(_seq)
    data = {"name": f"Akteur {n}", "category": "verwaltung"} | kw
    return actors.create_actor(data)


def contact(actor_obj, **kw):
    n = next(_seq)
    data = {"name": f"Person {n}", "email": f"person{n}@example.org"} | kw
    return actors.create_contact(actor_obj, data)


def topic(**kw):
    n = next(_seq)
    data = {"code": f"T{n}", "title": f"Thema {n}"} | kw
    return topics.create_topic(data)


def relation(source, target, kind="kooperation", **kw):
    return actors.create_relation(
        {"source_id": source.id, "target_id": target.id, "kind": kind} | kw
    )


def link(actor_obj, topic_obj, role="mitwirkend"):
    return topics.link_actor(actor_obj, topic_obj, role)


def project(**kw):
    from netzwerk.projects import services as projects

    n = next(_seq)
    return projects.create_project({"title": f"Projekt {n}"} | kw)


def dump() -> dict[str, list[tuple]]:
    """Every row of every table, to assert that a refused request changed nothing."""
    import sqlalchemy as sa

    from netzwerk.extensions import db

    db.session.expire_all()
    with db.engine.connect() as conn:
        return {
            table.name: sorted(conn.execute(sa.select(table)).all(), key=repr)
            for table in db.metadata.sorted_tables
        }
