"""How a topic's open gaps developed, rebuilt from the audit trail: a history built through the
services with fixed timestamps, compared with what was true on each day, and the chart on
/luecken with its text alternative."""

from __future__ import annotations

import base64
import re
from datetime import datetime

import pytest
import sqlalchemy as sa

from netzwerk.audit.models import AuditEntry
from netzwerk.extensions import db
from netzwerk.network import history
from netzwerk.topics import services as topic_services
from netzwerk.topics.models import ActorTopic, Topic
from tests import factories
from tests.workshops_support import plan

pytestmark = pytest.mark.usefixtures("fast_passwords")

JAN, FEB_WORKSHOP, FEB, MAR = (
    datetime(2026, 1, 10, 9),
    datetime(2026, 2, 1, 10),
    datetime(2026, 2, 10, 9),
    datetime(2026, 3, 1, 9),
)


def at(moment: datetime, link: ActorTopic, action: str = "create") -> None:
    """Give the audit entry of a link (and its actor) the moment it happened."""
    db.session.execute(
        sa.update(AuditEntry)
        .where(
            AuditEntry.entity == "actor_topic",
            AuditEntry.entity_id == link.id,
            AuditEntry.action == action,
        )
        .values(created_at=moment)
    )
    link.actor.created_at = min(link.actor.created_at, moment)
    db.session.commit()


def build(app) -> int:
    """SDG 99 (only the checklist's seven "all" groups): administration and politics from
    January (5 open), a held workshop in February, school and university added after it
    (3 open), politics gone in March (4 open)."""
    with app.app_context():
        topic = factories.topic(code="SDG99", title="Testthema")
        links = {}
        for category in ("verwaltung", "politik", "schule", "hochschule"):
            actor = factories.actor(name=f"Akteur {category}", category=category)
            links[category] = factories.link(actor, topic)
        for category in ("verwaltung", "politik"):
            at(JAN, links[category])
        for category in ("schule", "hochschule"):
            at(FEB, links[category])
        link_id = links["politik"].id
        topic_services.unlink(links["politik"])
        db.session.execute(
            sa.update(AuditEntry)
            .where(AuditEntry.entity == "actor_topic", AuditEntry.entity_id == link_id)
            .where(AuditEntry.action == "delete")
            .values(created_at=MAR)
        )
        db.session.commit()
        topic_id = topic.id
    plan(
        app,
        title="Fokusgruppe <i>SDG 99</i>",
        topic_ids=[topic_id],
        starts_at=FEB_WORKSHOP,
        ends_at=FEB_WORKSHOP.replace(hour=12),
        status="durchgefuehrt",
    )
    return topic_id


def test_the_past_gaps_are_rebuilt_from_the_audit_trail(app):
    topic_id = build(app)
    with app.app_context():
        topic = db.session.get(Topic, topic_id)
        links = history.spans(topic_id)
        reference = history.reference_store.reference_dict()
        assert history.open_gaps(topic, datetime(2026, 1, 5), links, reference) == 7
        assert history.open_gaps(topic, datetime(2026, 1, 20), links, reference) == 5
        assert history.open_gaps(topic, datetime(2026, 2, 20), links, reference) == 3
        assert history.open_gaps(topic, datetime(2026, 3, 5), links, reference) == 4
        past = history.gap_history(topic, datetime(2026, 12, 1))
    assert [n for _m, n in past["points"]] == [5, 5, 4]
    assert [title for _m, title in past["workshops"]] == ["Fokusgruppe <i>SDG 99</i>"]


def test_the_gaps_page_charts_how_the_gaps_developed(app, login):
    build(app)
    viewer = login("viewer")
    html = viewer.get("/luecken?topic=SDG99").get_data(as_text=True)
    found = re.search(
        r'<figure class="chart gap-history">\s*<img src="data:image/svg\+xml;base64,([^"]+)" '
        r'alt="([^"]*)"',
        html,
    )
    assert found, "no chart"
    alt = found.group(2)
    assert alt.startswith("Offene Lücken bei SDG99 seit 10.01.2026: 5 → 5 → 4.")
    assert "Fokusgruppe &lt;i&gt;SDG 99&lt;/i&gt;" in alt  # the title as text
    svg = base64.b64decode(found.group(1)).decode("utf-8")
    assert "<i>" not in svg and "heute" in svg
    english = viewer.get("/luecken?topic=SDG99&lang=en").get_data(as_text=True)
    assert "Open gaps of SDG99 since Jan 10, 2026: 5 → 5 → 4." in english
