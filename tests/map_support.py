"""A grown network for the map tests: the Aachen demo plus further organisations with names of
everyday length, each linked to two or three others, half of them to a topic. Built through the
services (seeded, so every run draws the same map), then placed as after any import."""

from __future__ import annotations

import random

import sqlalchemy as sa

from netzwerk.actors import services as actors
from netzwerk.actors.models import Actor, Category
from netzwerk.extensions import db
from netzwerk.network.positions import place_new_nodes
from netzwerk.topics import services as topics
from netzwerk.topics.models import Topic

KINDS = ["eine-welt-gruppe", "schule", "kirche", "wirtschaft", "verwaltung", "jugend", "hochschule"]
FIRST = [
    "Eine-Welt-Gruppe",
    "Fairtrade-Team",
    "Initiative",
    "Schulpartnerschaft",
    "Freundeskreis",
    "Arbeitskreis",
    "Netzwerk",
    "Bürgerstiftung",
    "Jugendforum",
    "Gemeinde",
]
SECOND = [
    "St. Foillan",
    "Burtscheid",
    "Brand",
    "Laurensberg",
    "Haaren",
    "Richterich",
    "Kornelimünster",
    "Forst",
    "Eilendorf",
    "Walheim",
    "Ponttor",
    "Frankenberg",
]
RELATIONS = ["kooperation", "information", "mitgliedschaft", "partnerschaft"]
ROLES = ["mitwirkend", "interessiert", "betroffen"]


def grow_demo(total: int, seed: int = 7) -> int:
    """The demo (already loaded) grown to `total` actors; returns the number of actors."""
    rng = random.Random(seed)
    keys = set(db.session.scalars(sa.select(Category.key)))
    kinds = [k for k in KINDS if k in keys]
    topic_list = list(db.session.scalars(sa.select(Topic).order_by(Topic.id)))
    ids = list(db.session.scalars(sa.select(Actor.id).order_by(Actor.id)))
    n = 0
    while len(ids) < total:
        n += 1
        name = f"{rng.choice(FIRST)} {rng.choice(SECOND)} {n}"
        created = actors.create_actor({"name": name, "category": rng.choice(kinds)})
        for other in rng.sample(ids[-60:] + ids[:20], rng.randint(2, 3)):
            actors.create_relation(
                {"source_id": created.id, "target_id": other, "kind": rng.choice(RELATIONS)}
            )
        if rng.random() < 0.5:
            topics.link_actor(created, rng.choice(topic_list), rng.choice(ROLES))
        ids.append(created.id)
    db.session.commit()
    place_new_nodes()
    return len(ids)


def overlapping(boxes: dict, ids: list[str]) -> set[str]:
    """The ids among `ids` whose boxes ({left, right, top, bottom}) overlap another's."""
    out = set()
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            p, q = boxes[a], boxes[b]
            if (
                p["left"] < q["right"]
                and q["left"] < p["right"]
                and p["top"] < q["bottom"]
                and q["top"] < p["bottom"]
            ):
                out.update((a, b))
    return out
