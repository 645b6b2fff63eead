"""`restore` does not trust the file (issue 14, item 4): the schema must be exactly what the
migrations build (a missing column, an extra trigger or view is refused), an unknown Alembic
revision is refused, an older one is migrated on a copy first, and people erased after the
backup was taken are erased again."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from netzwerk.actors.models import Contact
from netzwerk.audit.models import AuditEntry
from netzwerk.exchange import backup, privacy
from netzwerk.exchange.models import ErasedIdentity
from netzwerk.extensions import db
from tests import factories
from tests.conftest import ON_POSTGRES

sqlite_only = pytest.mark.sqlite_only
postgres_only = pytest.mark.skipif(not ON_POSTGRES, reason="pg_dump/pg_restore: PostgreSQL run")


def take_backup(app, tmp_path: Path) -> Path:
    with app.app_context():
        return backup.backup(tmp_path / "sicherungen")


def tamper(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path)
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()


def downgrade(path: Path, revision: str) -> None:
    """Turn the backup file into one of an older revision (the migrations' own downgrade)."""
    import flask_migrate

    from netzwerk import MIGRATIONS, create_app

    old = create_app(
        {
            "SECRET_KEY": "downgrade",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "INSTANCE_PATH": str(path.parent / "instance-old"),
            "RATELIMIT_ENABLED": False,
        }
    )
    with old.app_context():
        # the test database is made by create_all: the newest schema, not yet stamped
        flask_migrate.stamp(directory=str(MIGRATIONS), revision="head")
        flask_migrate.downgrade(directory=str(MIGRATIONS), revision=revision)
        db.session.remove()
        db.engine.dispose()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()


def refused(app, runner, path: Path, *messages: str) -> None:
    with app.app_context():
        before = factories.dump()
    result = runner.invoke(args=["restore", "--yes", str(path)])
    assert result.exit_code != 0, result.output
    for message in messages:
        assert message in result.output, result.output
    with app.app_context():
        db.session.remove()
        assert factories.dump() == before


@sqlite_only
def test_a_backup_missing_a_column_is_refused(app, runner, tmp_path):
    """It was restored, and the app answered 500 on every contact page."""
    with app.app_context():
        factories.contact(factories.actor(name="Welthaus"), name="Ada")
    path = take_backup(app, tmp_path)
    tamper(path, "ALTER TABLE contact DROP COLUMN phone")
    refused(app, runner, path, "es fehlt Spalte contact.phone", "Nichts wurde geändert")


@sqlite_only
def test_a_backup_with_an_extra_trigger_is_refused(app, runner, tmp_path):
    """The trigger copied every new contact into a hidden table of the live database."""
    path = take_backup(app, tmp_path)
    tamper(
        path,
        "CREATE TABLE spy (name TEXT, email TEXT)",
        "CREATE TRIGGER copy_contacts AFTER INSERT ON contact "
        "BEGIN INSERT INTO spy VALUES (new.name, new.email); END",
    )
    refused(app, runner, path, "zusätzlich Trigger copy_contacts", "zusätzlich Tabelle spy")


@sqlite_only
def test_a_backup_with_a_view_or_an_extra_index_is_refused(app, runner, tmp_path):
    path = take_backup(app, tmp_path)
    tamper(
        path,
        "CREATE VIEW everyone AS SELECT name, email FROM contact",
        "CREATE INDEX ix_contact_name ON contact (name)",
    )
    refused(app, runner, path, "zusätzlich View everyone", "zusätzlich Index ix_contact_name")


ALEMBIC_TABLE = (
    "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
    "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
)


@sqlite_only
def test_a_fake_alembic_version_is_refused(app, runner, tmp_path):
    path = take_backup(app, tmp_path)
    tamper(path, ALEMBIC_TABLE, "INSERT INTO alembic_version VALUES ('ffff1234')")
    refused(app, runner, path, "unbekannten Datenbankstand", "ffff1234")


@sqlite_only
def test_an_older_backup_is_migrated_before_it_is_swapped_in(app, runner, tmp_path):
    with app.app_context():
        factories.actor(name="Aus alter Zeit")
        history = backup.revisions()
    assert len(history) >= 2
    path = take_backup(app, tmp_path)
    # the same data as a database of the revision before ours: the newest migration undone
    downgrade(path, history[-2])
    with app.app_context():
        assert backup.check_backup(path).migrate

    result = runner.invoke(args=["restore", "--yes", str(path)])

    assert result.exit_code == 0, result.output
    assert f"Stand {history[-2]}) wurde auf den neuen Stand gebracht" in result.output
    with app.app_context():
        db.session.remove()
        names = db.session.scalars(sa.text("SELECT name FROM actor")).all()
        version = db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
        assert names == ["Aus alter Zeit"] and version == history[-1]
        assert db.session.scalar(sa.select(sa.func.count(ErasedIdentity.id))) == 0


@sqlite_only
def test_an_older_backup_with_a_changed_schema_is_refused(app, runner, tmp_path):
    with app.app_context():
        first = backup.revisions()[0]
    path = take_backup(app, tmp_path)
    tamper(path, ALEMBIC_TABLE, f"INSERT INTO alembic_version VALUES ('{first}')")
    # erased_identity did not exist in the first revision
    refused(app, runner, path, "zusätzlich Tabelle erased_identity")


@sqlite_only
def test_people_erased_after_the_backup_are_erased_again(app, runner, tmp_path):
    """A backup from before an erasure brought the erased person back silently."""
    with app.app_context():
        welthaus = factories.actor(name="Welthaus")
        erika = factories.contact(welthaus, name="Erika Mustermann", email="Erika@Example.org")
        namesake = factories.contact(
            factories.actor(name="Schule"), name="Erika  Mustermann", email="andere@example.org"
        )
        kept = factories.contact(welthaus, name="Bleibt Hier", email="bleibt@example.org")
        erika_id, namesake_id, kept_id = erika.id, namesake.id, kept.id
    path = take_backup(app, tmp_path)
    with app.app_context():
        privacy.erase_contact(db.session.get(Contact, erika_id))
        digests = db.session.scalars(sa.select(ErasedIdentity.digest)).all()
        assert digests and all(len(d) == 64 for d in digests)
        stored = " ".join(
            str(r) for r in db.session.execute(sa.text("SELECT * FROM erased_identity"))
        )
        assert "erika" not in stored.lower()  # only keyed hashes

    result = runner.invoke(args=["restore", "--yes", str(path)])

    assert result.exit_code == 0, result.output
    assert f"Erneut gelöscht (Art. 17, nach der Sicherung gelöscht): 1 Kontakt(e): #{erika_id}" in (
        result.output
    )
    assert f"#{namesake_id} tragen den Namen einer gelöschten Person" in result.output
    with app.app_context():
        db.session.remove()
        assert db.session.get(Contact, erika_id) is None
        assert db.session.get(Contact, namesake_id) is not None  # a namesake is only listed
        assert db.session.get(Contact, kept_id) is not None
        trail = " ".join(
            f"{e.label} {e.changes}" for e in db.session.scalars(sa.select(AuditEntry))
        )
        assert "Erika@Example.org" not in trail and "erika@example.org" not in trail.lower()
        assert db.session.scalar(sa.select(sa.func.count(ErasedIdentity.id))) >= len(digests)
    raw = Path(str(app.config["SQLALCHEMY_DATABASE_URI"]).removeprefix("sqlite:///")).read_bytes()
    assert b"Erika@Example.org" not in raw


@sqlite_only
def test_a_restore_without_erasures_says_so(app, runner, tmp_path):
    path = take_backup(app, tmp_path)
    result = runner.invoke(args=["restore", "--yes", str(path)])
    assert result.exit_code == 0, result.output
    assert "Erneut gelöscht" not in result.output


@postgres_only
def test_postgres_a_dump_with_a_trigger_is_refused(app, runner, tmp_path):
    with app.app_context():
        db.session.execute(sa.text("CREATE TABLE spy (name text)"))
        db.session.execute(
            sa.text(
                "CREATE FUNCTION copy_contact() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN INSERT INTO spy VALUES (NEW.name); RETURN NEW; END $$"
            )
        )
        db.session.execute(
            sa.text(
                "CREATE TRIGGER copy_contacts AFTER INSERT ON contact "
                "FOR EACH ROW EXECUTE FUNCTION copy_contact()"
            )
        )
        db.session.commit()
        dump = backup.backup(tmp_path / "b")
        db.session.execute(sa.text("DROP TRIGGER copy_contacts ON contact"))
        db.session.execute(sa.text("DROP FUNCTION copy_contact()"))
        db.session.execute(sa.text("DROP TABLE spy"))
        db.session.commit()
    result = runner.invoke(args=["restore", "--yes", str(dump)])
    assert result.exit_code != 0, result.output
    assert "zusätzlich Tabelle spy" in result.output
    assert "zusätzlich FUNCTION" in result.output and "zusätzlich TRIGGER" in result.output


@postgres_only
def test_postgres_people_erased_after_the_dump_are_erased_again(app, runner, tmp_path):
    with app.app_context():
        erika = factories.contact(factories.actor(name="Welthaus"), email="erika@example.org")
        erika_id = erika.id
        dump = backup.backup(tmp_path / "b")
        privacy.erase_contact(db.session.get(Contact, erika_id))
    result = runner.invoke(args=["restore", "--yes", str(dump)])
    assert result.exit_code == 0, result.output
    assert f"#{erika_id}" in result.output
    with app.app_context():
        db.session.remove()
        assert db.session.get(Contact, erika_id) is None
