"""Backups while the app writes, and restoring them: `flask --app netzwerk backup DIR` and
`restore FILE` on a real SQLite file."""

from __future__ import annotations

import re
import sqlite3
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from netzwerk.actors import services as actors
from netzwerk.actors.models import Actor
from netzwerk.core.errors import Invalid
from netzwerk.exchange import backup
from netzwerk.extensions import db
from tests import factories
from tests.conftest import ON_POSTGRES

sqlite_only = pytest.mark.sqlite_only


def writer(app, stop: threading.Event, written: list[int], errors: list[Exception]) -> None:
    """Create actors one transaction at a time (each with its audit entry) until stopped."""
    with app.app_context():
        n = 0
        try:
            while not stop.is_set() or n < 20:
                n += 1
                actors.create_actor({"name": f"Schreiber {n:05d}", "category": "schule"})
                written.append(n)
        except Exception as exc:  # noqa: BLE001 - reported to the test
            errors.append(exc)
        finally:
            db.session.remove()


def counts(path: Path) -> tuple[int, int]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        (actors_,) = conn.execute(
            "SELECT count(*) FROM actor WHERE name LIKE 'Schreiber%'"
        ).fetchone()
        (audited,) = conn.execute(
            "SELECT count(*) FROM audit_entry WHERE action = 'create' AND label LIKE 'Schreiber%'"
        ).fetchone()
    finally:
        conn.close()
    return actors_, audited


@sqlite_only
def test_backup_taken_during_writes_restores_a_sound_database(app, runner, tmp_path):
    with app.app_context():
        factories.actor(name="Welthaus", category="eine-welt-gruppe")
    stop, written, errors = threading.Event(), [], []
    thread = threading.Thread(target=writer, args=(app, stop, written, errors))
    thread.start()
    outputs = []
    try:
        while len(written) < 5:
            thread.join(0.01)
        for _ in range(3):
            outputs.append(runner.invoke(args=["backup", str(tmp_path / "sicherung")]))
    finally:
        stop.set()
        thread.join(30)
    assert not errors, errors
    for result in outputs:
        assert result.exit_code == 0, result.output
    files = sorted((tmp_path / "sicherung").iterdir())
    assert len(files) == 3
    for path in files:
        assert re.fullmatch(r"netzwerk-\d{8}-\d{6}(-\d+)?\.sqlite", path.name), path.name
        backup.check_backup(path)  # integrity_check ok and our tables
        n_actors, n_audited = counts(path)
        assert n_actors == n_audited  # each actor with its audit entry: one moment, no half
        assert 5 <= n_actors <= len(written)

    chosen = files[0]
    expected = counts(chosen)[0]
    result = runner.invoke(args=["restore", "--yes", str(chosen)])

    assert result.exit_code == 0, result.output
    assert f"Datenbank aus {chosen.name} wiederhergestellt." in result.output
    with app.app_context():
        names = db.session.scalars(sa.select(Actor.name)).all()
        assert len([n for n in names if n.startswith("Schreiber")]) == expected
        assert "Welthaus" in names
        (ok,) = db.session.execute(sa.text("PRAGMA integrity_check")).one()
        assert ok == "ok"
        assert db.session.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        restored = db.session.scalar(
            sa.text("SELECT label FROM audit_entry WHERE action = 'restore'")
        )
        assert restored == f"Datenbank aus {chosen.name} wiederhergestellt"


@sqlite_only
def test_restore_keeps_the_current_state_as_a_safety_copy(app, runner, tmp_path):
    with app.app_context():
        factories.actor(name="Vorher", category="schule")
        path = backup.backup(tmp_path / "b")
        factories.actor(name="Danach", category="schule")

    result = runner.invoke(args=["restore", str(path)], input="y\n")

    assert result.exit_code == 0, result.output
    assert "wird durch" in result.output  # asked before replacing
    safety = Path(re.search(r"Vorheriger Stand gesichert: (\S+)", result.output).group(1))
    with app.app_context():
        assert db.session.scalars(sa.select(Actor.name)).all() == ["Vorher"]
    conn = sqlite3.connect(safety)
    assert {r[0] for r in conn.execute("SELECT name FROM actor")} == {"Vorher", "Danach"}
    conn.close()


@sqlite_only
def test_restore_refuses_files_that_are_no_netzwerk_backup(app, runner, tmp_path):
    with app.app_context():
        factories.actor(name="Bleibt", category="schule")
        before = factories.dump()
    text = tmp_path / "notiz.sqlite"
    text.write_text("kein SQLite")
    foreign = tmp_path / "fremd.sqlite"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE kunden (id INTEGER PRIMARY KEY, name TEXT)")
    conn.commit()
    conn.close()
    with app.app_context():
        good = backup.backup(tmp_path / "b")
    broken = tmp_path / "kaputt.sqlite"
    data = bytearray(good.read_bytes())
    for offset in range(4096, len(data), 4096):  # scramble every page after the header page
        data[offset + 100 : offset + 400] = b"\xff" * 300
    broken.write_bytes(bytes(data))

    expectations = {
        text: "ist keine SQLite-Datenbank",
        foreign: "es fehlen die Tabellen actor, actor_topic, audit_entry",
        broken: "kaputt.sqlite ist",
    }
    for path, message in expectations.items():
        result = runner.invoke(args=["restore", "--yes", str(path)])
        assert result.exit_code != 0, path
        assert message in result.output, result.output
    with app.app_context():
        assert factories.dump() == before
        with pytest.raises(Invalid, match="laufende Datenbank selbst"):
            backup.restore(db.engine.url.database)


@sqlite_only
def test_backup_keeps_only_the_newest(app, tmp_path):
    folder = tmp_path / "b"
    with app.app_context():
        paths = [backup.backup(folder) for _ in range(3)]
        assert len({p.name for p in paths}) == 3  # same second: -2, -3 instead of overwriting
        (folder / "notiz.txt").write_text("bleibt")
        newest = backup.backup(folder, keep=2)
    remaining = sorted(p.name for p in folder.iterdir())
    assert len(remaining) == 3 and "notiz.txt" in remaining and newest.name in remaining


@pytest.mark.skipif(not ON_POSTGRES, reason="pg_dump/pg_restore: only on a PostgreSQL run")
def test_postgres_backup_and_restore_with_pg_dump(app, runner, tmp_path):
    with app.app_context():
        factories.actor(name="Vorher", category="schule")
    result = runner.invoke(args=["backup", str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    dump = Path(result.output.strip())
    assert re.fullmatch(r"netzwerk-\d{8}-\d{6}\.dump", dump.name)
    assert dump.stat().st_mode & 0o777 == 0o600
    with app.app_context():
        factories.actor(name="Danach", category="schule")

    result = runner.invoke(args=["restore", "--yes", str(dump)])

    assert result.exit_code == 0, result.output
    with app.app_context():
        db.session.remove()
        assert db.session.scalars(sa.select(Actor.name)).all() == ["Vorher"]
        assert db.session.scalar(
            sa.text("SELECT count(*) FROM audit_entry WHERE action = 'restore'")
        )
    bogus = tmp_path / "bogus.dump"
    bogus.write_text("nein")
    result = runner.invoke(args=["restore", "--yes", str(bogus)])
    assert result.exit_code != 0 and "keine pg_dump-Sicherung" in result.output
