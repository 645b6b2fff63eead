"""A network history built through the services with fixed timestamps, for the tests of the
past map (tests/test_network_past.py, tests/browser/test_map_changes.py)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from netzwerk.actors import services as actor_services
from netzwerk.actors.models import Actor, Relation
from netzwerk.audit.models import AuditEntry
from netzwerk.extensions import db
from netzwerk.topics.models import Topic
from tests import factories

DEC, JAN, FEB, MAR = (
    datetime(2025, 12, 1, 9),
    datetime(2026, 1, 10, 9),
    datetime(2026, 2, 10, 9),
    datetime(2026, 3, 1, 9),
)


def happened(moment: datetime, action):
    """Run a service call and date what it wrote in the audit trail (and the rows it made)
    at `moment`."""
    before = db.session.scalar(sa.select(sa.func.max(AuditEntry.id))) or 0
    result = action()
    db.session.execute(
        sa.update(AuditEntry).where(AuditEntry.id > before).values(created_at=moment)
    )
    made = db.session.execute(
        sa.select(AuditEntry.entity, AuditEntry.entity_id).where(
            AuditEntry.id > before, AuditEntry.action == "create"
        )
    ).all()
    for entity, entity_id in made:
        model = {"actor": Actor, "relation": Relation, "topic": Topic}.get(entity)
        if model is not None:
            db.session.execute(
                sa.update(model).where(model.id == entity_id).values(created_at=moment)
            )
    db.session.commit()
    return result


def build(app) -> dict[str, int]:
    """SDG 99 (the checklist's seven "all" groups) from December. January: Stadtverwaltung
    (verwaltung) and Ratsfraktion <b>X</b> (politik), related and linked. February: Schule Nord
    (schule), related to the administration. March: the council group deleted (its relation and
    link with it), the administration's relation to the school ended, Hochschule Süd
    (hochschule) linked."""
    with app.app_context():
        topic = happened(DEC, lambda: factories.topic(code="SDG99", title="Testthema"))
        admin = happened(
            JAN, lambda: factories.actor(name="Stadtverwaltung", category="verwaltung")
        )
        council = happened(
            JAN, lambda: factories.actor(name="Ratsfraktion <b>X</b>", category="politik")
        )
        happened(JAN, lambda: factories.link(admin, topic))
        happened(JAN, lambda: factories.link(council, topic))
        first = happened(JAN, lambda: factories.relation(admin, council))
        school = happened(FEB, lambda: factories.actor(name="Schule Nord", category="schule"))
        happened(FEB, lambda: factories.link(school, topic))
        second = happened(FEB, lambda: factories.relation(admin, school, kind="partnerschaft"))
        ids = {
            "topic": topic.id,
            "admin": admin.id,
            "council": council.id,
            "school": school.id,
            "first": first.id,
            "second": second.id,
        }
        happened(MAR, lambda: actor_services.delete_actor(council))
        happened(
            MAR, lambda: actor_services.delete_relation(db.session.get(Relation, ids["second"]))
        )
        uni = happened(MAR, lambda: factories.actor(name="Hochschule Süd", category="hochschule"))
        happened(MAR, lambda: factories.link(uni, db.session.get(Topic, ids["topic"])))
        ids["uni"] = uni.id
    return ids
