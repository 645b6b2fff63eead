"""Invitee suggestions for a workshop, with reasons, built on the gap analysis."""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa

from ..actors.models import Contact
from ..actors.vocab import Sector, Status
from ..extensions import db
from ..topics.models import Topic, TopicRole
from . import compose
from .models import (
    Workshop,
    WorkshopStatus,
)

# --- suggestions ---------------------------------------------------------------------------------

ROLE_SCORES = {
    TopicRole.LEAD.value: (5, "federführend bei {topic}"),
    TopicRole.CONTRIBUTING.value: (4, "wirkt bei {topic} mit"),
    TopicRole.INTERESTED.value: (2, "interessiert an {topic}"),
    TopicRole.AFFECTED.value: (2, "von {topic} betroffen"),
}
BALANCE_GROUPS = {
    Sector.ADMINISTRATION.value: ("Verwaltung", "aus der Verwaltung"),
    Sector.CIVIL_SOCIETY.value: ("Zivilgesellschaft", "aus der Zivilgesellschaft"),
    Sector.PARTNER_CITY.value: ("Partnerstädte", "aus Partnerstädten"),
}


def suggestions(workshop: Workshop, graph=None, reference: dict | None = None) -> dict:
    """Whom to invite for the workshop's topics, ranked, each with its reasons in German.

    Built on the network analysis (netzwerk.network.analysis): actors linked to the topics, the
    categories the reference checklist expects but the guest list lacks (and gaps the network
    itself has there), the balance between administration, civil society and partner cities,
    and actors of the topic left out of its earlier workshops.
    """
    from ..network import analysis
    from ..network.graph import actor_node, build_graph

    graph = graph if graph is not None else build_graph()
    reference = reference if reference is not None else analysis.load_reference()
    labels = graph.graph.get("category_labels", {})
    guests = [inv for inv in workshop.active_invitations if inv.actor_id is not None]
    guest_actors = {inv.actor_id for inv in guests}
    guest_categories = Counter()
    guest_sectors = Counter()
    for inv in guests:
        node = graph.nodes.get(actor_node(inv.actor_id))
        if node:
            guest_categories[node["category"]] += 1
            guest_sectors[node["sector"]] += 1

    scores: dict[int, int] = Counter()
    reasons: dict[int, list[str]] = {}

    def add(actor_id: int, points: int, reason: str) -> None:
        if actor_id in guest_actors:
            return
        attrs = graph.nodes.get(actor_node(actor_id))
        if not attrs or attrs["status"] == Status.INACTIVE:
            return
        scores[actor_id] += points
        reasons.setdefault(actor_id, [])
        if reason not in reasons[actor_id]:
            reasons[actor_id].append(reason)

    actors_by_category: dict[str, list[int]] = {}
    for node in analysis.actor_nodes(graph):
        attrs = graph.nodes[node]
        actors_by_category.setdefault(attrs["category"], []).append(attrs["id"])

    missing = []
    topic_nodes = {graph.nodes[t]["code"]: t for t in analysis.topic_nodes(graph)}
    for topic in workshop.topics:
        node = topic_nodes.get(topic.code)
        if node is None:
            continue
        name = f"{topic.code} {topic.title}"
        linked = set()
        for source, _, attrs in graph.in_edges(node, data=True):
            if attrs.get("kind") == "topic_link":
                points, text = ROLE_SCORES.get(attrs["role"], (1, "mit {topic} verbunden"))
                add(graph.nodes[source]["id"], points, text.format(topic=name))
                linked.add(graph.nodes[source]["id"])
        network_gaps = {g["category"]: g for g in analysis.gaps(graph, reference, topic.code)}
        for item in analysis.expected_for(reference, topic.code):
            category = item["category"]
            if guest_categories[category] >= item["min"]:
                continue
            label = labels.get(category, category)
            text = (
                f"Die Checkliste erwartet bei {topic.code} „{label}“; auf der Gästeliste fehlt "
                f"diese Gruppe noch. {item['reason']}"
            )
            candidates = actors_by_category.get(category, [])
            for actor_id in candidates:
                add(actor_id, 3, text)
            gap = network_gaps.get(category)
            if not candidates or gap:
                missing.append(
                    {
                        "topic": topic.code,
                        "category": category,
                        "label": label,
                        "have": gap["have"] if gap else len(candidates),
                        "need": item["min"],
                        "reason": item["reason"],
                    }
                )
        earlier = _earlier_workshops(workshop, topic)
        if earlier:
            invited_before = {
                inv.actor_id for w in earlier for inv in w.invitations if inv.actor_id
            }
            if len(earlier) == 1:
                text = (
                    f"Zum früheren Workshop „{earlier[0].title}“ ({topic.code}) nicht eingeladen."
                )
            else:
                text = (
                    f"Zu keinem der {len(earlier)} früheren Workshops zu {topic.code} eingeladen."
                )
            for actor_id in linked - invited_before:
                add(actor_id, 1, text)

    balance = {label: guest_sectors[sector] for sector, (label, _) in BALANCE_GROUPS.items()}
    if guests:
        top = max(guest_sectors[s] for s in BALANCE_GROUPS)
        state = ", ".join(f"{guest_sectors[s]} {words}" for s, (_, words) in BALANCE_GROUPS.items())
        for sector, (label, _) in BALANCE_GROUPS.items():
            if guest_sectors[sector] * 2 >= top:
                continue
            text = f"Ausgewogenheit: eingeladen sind bisher {state} – mehr {label} einbinden."
            for actor_id in list(scores):
                if graph.nodes[actor_node(actor_id)]["sector"] == sector:
                    add(actor_id, 2, text)

    ranked = sorted(scores, key=lambda a: (-scores[a], graph.nodes[actor_node(a)]["label"]))
    contacts = _contacts_of(ranked)
    items = []
    for actor_id in ranked:
        attrs = graph.nodes[actor_node(actor_id)]
        items.append(
            {
                "actor_id": actor_id,
                "actor": attrs["label"],
                "category": attrs["category"],
                "category_label": labels.get(attrs["category"], attrs["category"]),
                "sector": attrs["sector"],
                "status": attrs["status"],
                "score": scores[actor_id],
                "reasons": reasons[actor_id],
                "contacts": contacts.get(actor_id, []),
            }
        )
    return {"items": items, "missing": missing, "balance": balance}


def _contacts_of(actor_ids: list[int]) -> dict[int, list[dict]]:
    result: dict[int, list[dict]] = {}
    if not actor_ids:
        return result
    rows = db.session.scalars(
        sa.select(Contact).where(Contact.actor_id.in_(actor_ids)).order_by(Contact.name)
    )
    for contact in rows:
        reason = compose.block_reason(contact)
        result.setdefault(contact.actor_id, []).append(
            {
                "id": contact.id,
                "name": contact.name,
                "function": contact.function,
                "language": contact.language,
                "timezone": contact.timezone,
                "may_invite": reason is None,
                "reason": reason or "",
            }
        )
    return result


def _earlier_workshops(workshop: Workshop, topic: Topic) -> list[Workshop]:
    query = sa.select(Workshop).where(
        Workshop.id != workshop.id,
        Workshop.topics.any(Topic.id == topic.id),
        Workshop.status != WorkshopStatus.CANCELLED,
    )
    if workshop.starts_at is not None:
        query = query.where(Workshop.starts_at < workshop.starts_at)
    else:
        query = query.where(Workshop.created_at < workshop.created_at)
    return list(db.session.scalars(query))
