"""What the database itself guarantees, even for a write that bypasses the services: foreign
keys, unique names, no self relations, ranges; WAL mode; timestamps in UTC."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from netzwerk.actors.models import Actor, Contact, Relation
from netzwerk.actors.vocab import Sector
from netzwerk.extensions import db
from netzwerk.topics.models import ActorTopic
from tests import factories as f


def raw(sql: str, **params) -> None:
    db.session.execute(sa.text(sql), params)
    db.session.commit()


RELATION_SQL = (
    "INSERT INTO relation (source_id, target_id, kind, directed, strength, note, created_at,"
    " updated_at) VALUES (:s, :t, :kind, false, 2, '', '2025-01-01', '2025-01-01')"
)


def test_foreign_keys_are_enforced(app):
    with app.app_context():
        actor = f.actor()
        with pytest.raises(IntegrityError, match="(?i)foreign key"):
            raw(RELATION_SQL, s=actor.id, t=9999, kind="kooperation")
        db.session.rollback()
        with pytest.raises(IntegrityError, match="(?i)foreign key"):
            db.session.add(Contact(actor_id=4711, name="X"))  # the ORM fills the defaults
            db.session.commit()
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count(Relation.id))) == 0


def test_unknown_category_is_refused_by_the_database(app):
    with app.app_context():
        db.session.add(
            Actor(name="X", name_key="x", category_key="gibtsnicht", sector=Sector.MEDIA)
        )
        with pytest.raises(IntegrityError, match="(?i)foreign key"):
            db.session.commit()


def test_deleting_an_actor_in_sql_cascades(app):
    """Even a delete that bypasses the ORM leaves no dangling contacts, links or relations."""
    with app.app_context():
        a, b = f.actor(), f.actor()
        f.contact(a)
        f.link(a, f.topic())
        f.relation(b, a)
        raw("DELETE FROM actor WHERE id = :id", id=a.id)
        for model in (Contact, ActorTopic, Relation):
            assert db.session.scalar(sa.select(sa.func.count(model.id))) == 0


@pytest.mark.sqlite_only
def test_wal_mode_is_on(app):
    with app.app_context():
        assert db.session.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1


def test_name_key_is_unique(app):
    with app.app_context():
        f.actor(name="Welthaus Aachen")
        db.session.add(
            Actor(
                name="WELTHAUS AACHEN",
                name_key="welthaus aachen",
                category_key="verwaltung",
                sector=Sector.ADMINISTRATION,
            )
        )
        with pytest.raises(IntegrityError, match="(?i)unique"):
            db.session.commit()


def test_service_folds_case_into_name_key(app):
    from netzwerk.actors import services
    from netzwerk.core.errors import Conflict

    with app.app_context():
        actor = f.actor(name="Welthaus Aachen")
        assert actor.name_key == "welthaus aachen"
        with pytest.raises(Conflict, match="Welthaus Aachen"):
            services.create_actor({"name": " welthaus AACHEN ", "category": "weltladen"})


def test_no_self_relation_check_constraint(app):
    with app.app_context():
        actor = f.actor()
        with pytest.raises(IntegrityError, match="(?i)check"):
            raw(RELATION_SQL, s=actor.id, t=actor.id, kind="kooperation")


def test_exact_duplicate_relation_is_refused_but_another_kind_is_fine(app):
    with app.app_context():
        a, b = f.actor(), f.actor()
        raw(RELATION_SQL, s=a.id, t=b.id, kind="kooperation")
        raw(RELATION_SQL, s=a.id, t=b.id, kind="foerderung")
        raw(RELATION_SQL, s=b.id, t=a.id, kind="kooperation")  # the other direction
        with pytest.raises(IntegrityError, match="(?i)unique"):
            raw(RELATION_SQL, s=a.id, t=b.id, kind="kooperation")


@pytest.mark.parametrize(("column", "value"), [("power", 0), ("power", 6), ("interest", 9)])
def test_power_and_interest_ranges_are_checked(app, column, value):
    with app.app_context():
        actor = f.actor()
        with pytest.raises(IntegrityError, match="(?i)check"):
            raw(f"UPDATE actor SET {column} = :v WHERE id = :id", v=value, id=actor.id)


def test_vocabularies_are_stored_as_keys(app):
    with app.app_context():
        a, b = f.actor(category="partnerstadt", status="kandidat"), f.actor()
        f.relation(a, b, kind="partnerschaft")
        row = db.session.execute(sa.text("SELECT sector, status, level FROM actor")).first()
        assert tuple(row) == ("partnerstadt", "kandidat", "lokal")
        assert db.session.execute(sa.text("SELECT kind FROM relation")).scalar() == "partnerschaft"


@pytest.fixture
def far_away_local_time(monkeypatch):
    """Run with the process in UTC+14, so a local timestamp would be far off UTC."""
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_timestamps_are_utc(app, far_away_local_time):
    with app.app_context():
        before = datetime.now(UTC).replace(tzinfo=None)
        actor = f.actor()
        contact = f.contact(actor)
        after = datetime.now(UTC).replace(tzinfo=None)
        entry = db.session.scalar(sa.text("SELECT created_at FROM audit_entry LIMIT 1"))
        for value in (actor.created_at, actor.updated_at, contact.created_at):
            assert value.tzinfo is None  # stored naive, meaning UTC
            assert before - timedelta(seconds=1) <= value <= after + timedelta(seconds=1)
        stored = entry if isinstance(entry, datetime) else datetime.fromisoformat(entry)
        assert before - timedelta(seconds=1) <= stored <= after + timedelta(seconds=1)


def test_updated_at_moves_on_change(app):
    with app.app_context():
        actor = f.actor()
        actor.updated_at = datetime(2020, 1, 1)
        db.session.commit()
        actor.city = "Aachen"
        db.session.commit()
        assert actor.updated_at > datetime(2024, 1, 1)
        assert actor.created_at > datetime(2024, 1, 1)


def test_optimistic_version_counts_up(app):
    with app.app_context():
        actor = f.actor()
        assert actor.version == 1
        actor.city = "Aachen"
        db.session.commit()
        assert actor.version == 2
