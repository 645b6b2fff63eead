"""Invitee suggestions for a workshop, with reasons, built on the gap analysis."""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..actors.models import Contact
from ..actors.vocab import Sector, Status
from ..extensions import db
from ..network.graph import category_labels
from ..topics.models import Topic, TopicRole
from . import compose
from .models import (
    Workshop,
    WorkshopStatus,
)

# --- suggestions ---------------------------------------------------------------------------------

ROLE_SCORES = {
    TopicRole.LEAD.value: (5, _l("federführend bei %(topic)s")),
    TopicRole.CONTRIBUTING.value: (4, _l("wirkt bei %(topic)s mit")),
    TopicRole.INTERESTED.value: (2, _l("interessiert an %(topic)s")),
    TopicRole.AFFECTED.value: (2, _l("von %(topic)s betroffen")),
}
BALANCE_GROUPS = {
    Sector.ADMINISTRATION.value: (_l("Verwaltung"), _l("aus der Verwaltung")),
    Sector.CIVIL_SOCIETY.value: (_l("Zivilgesellschaft"), _l("aus der Zivilgesellschaft")),
    Sector.PARTNER_CITY.value: (_l("Partnerstädte"), _l("aus Partnerstädten")),
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
    labels = category_labels(graph)
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
        # an invited actor stays suggested while some of its people are not on the list: one
        # invitee must not hide a whole department
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
        for source, _target, attrs in graph.in_edges(node, data=True):
            if attrs.get("kind") == "topic_link":
                points, text = ROLE_SCORES.get(attrs["role"], (1, _l("mit %(topic)s verbunden")))
                add(graph.nodes[source]["id"], points, str(text) % {"topic": name})
                linked.add(graph.nodes[source]["id"])
        network_gaps = {g["category"]: g for g in analysis.gaps(graph, reference, topic.code)}
        for item in analysis.expected_for(reference, topic.code):
            category = item["category"]
            if guest_categories[category] >= item["min"]:
                continue
            label = labels.get(category, category)
            text = _(
                "Die Checkliste erwartet bei %(topic)s „%(label)s“; auf der Gästeliste fehlt "
                "diese Gruppe noch. %(reason)s",
                topic=topic.code,
                label=label,
                reason=item["reason"],
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
                text = _(
                    "Zum früheren Workshop „%(title)s“ (%(topic)s) nicht eingeladen.",
                    title=earlier[0].title,
                    topic=topic.code,
                )
            else:
                text = _(
                    "Zu keinem der %(n)s früheren Workshops zu %(topic)s eingeladen.",
                    n=len(earlier),
                    topic=topic.code,
                )
            for actor_id in linked - invited_before:
                add(actor_id, 1, text)

    balance = {str(label): guest_sectors[sector] for sector, (label, _w) in BALANCE_GROUPS.items()}
    if guests:
        top = max(guest_sectors[s] for s in BALANCE_GROUPS)
        state = ", ".join(
            f"{guest_sectors[s]} {words}" for s, (_l_, words) in BALANCE_GROUPS.items()
        )
        for sector, (label, _w) in BALANCE_GROUPS.items():
            if guest_sectors[sector] * 2 >= top:
                continue
            text = _(
                "Ausgewogenheit: eingeladen sind bisher %(state)s – mehr %(label)s einbinden.",
                state=state,
                label=label,
            )
            for actor_id in list(scores):
                if graph.nodes[actor_node(actor_id)]["sector"] == sector:
                    add(actor_id, 2, text)

    ranked = sorted(scores, key=lambda a: (-scores[a], graph.nodes[actor_node(a)]["label"]))
    contacts = _contacts_of(ranked)
    invited = {inv.contact_id for inv in guests}
    items = []
    for actor_id in ranked:
        people = contacts.get(actor_id, [])
        remaining = [c for c in people if c["id"] not in invited]
        if actor_id in guest_actors and not any(c["may_invite"] for c in remaining):
            continue  # everyone who can be invited is on the list
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
                "contacts": remaining,
                "invited": [c["name"] for c in people if c["id"] in invited],
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
