"""Backups while the app runs, and restoring one.

SQLite: the online backup API copies a consistent snapshot page by page while other connections
keep reading and writing (WAL); restoring runs the same API the other way round, so open
connections see the restored data at once. PostgreSQL: `pg_dump --format=custom` and
`pg_restore --clean`.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.engine import make_url

from ..audit.services import data_version, raise_data_version_above, record
from ..core.errors import Invalid
from ..core.files import write_private
from ..extensions import db
from . import privacy

# a file without these is not a netzwerk database
REQUIRED_TABLES = frozenset(
    {"user", "category", "actor", "contact", "relation", "topic", "actor_topic", "audit_entry"}
)
NAME = re.compile(r"^netzwerk-\d{8}-\d{6}(-\d+)?\.(sqlite|dump)$")


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S")


def _target(directory: Path, suffix: str) -> Path:
    """netzwerk-YYYYMMDD-HHMMSS.<suffix> (UTC); a second backup in the same second gets -2."""
    stem = f"netzwerk-{_stamp()}"
    path = directory / f"{stem}.{suffix}"
    n = 2
    while path.exists():
        path = directory / f"{stem}-{n}.{suffix}"
        n += 1
    return path


def _sqlite_path() -> Path | None:
    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:":
        raise Invalid(_("Eine Datenbank im Arbeitsspeicher lässt sich nicht sichern."))
    return Path(url.database).resolve()


def backup(directory: str | Path, keep: int | None = None, check: bool = True) -> Path:
    """Write a consistent copy of the database into `directory`; keep the newest `keep` ones.

    check=False keeps a copy even of a damaged database (the safety copy before a restore)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    source = _sqlite_path()
    if source is None:
        path = _pg_dump(directory)
    else:
        path = _target(directory, "sqlite")
        partial = path.with_name(path.name + ".part")
        # 0600 from the start; SQLite takes an empty file as a new database
        write_private(partial, b"")
        src = sqlite3.connect(source, timeout=30)
        try:
            dst = sqlite3.connect(partial)
            try:
                # pages=-1: one step under one read transaction, so the copy is one moment
                src.backup(dst, pages=-1)
                dst.execute("PRAGMA journal_mode=DELETE")
                problems = _integrity(dst) if check else ""
            finally:
                dst.close()
        finally:
            src.close()
        if problems:
            partial.unlink(missing_ok=True)
            raise Invalid(_("Die Sicherung ist fehlerhaft: %(problems)s", problems=problems))
        partial.rename(path)
        path.chmod(0o600)
    if keep:
        _prune(directory, keep)
    return path


def _integrity(conn: sqlite3.Connection) -> str:
    rows = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
    return "" if rows == ["ok"] else "; ".join(rows[:5])


def _prune(directory: Path, keep: int) -> list[Path]:
    backups = sorted(
        (p for p in directory.iterdir() if NAME.match(p.name)),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    old = backups[keep:]
    for path in old:
        path.unlink()
    return old


@dataclass
class Checked:
    """What check_backup found: the file's tables and its migration state."""

    tables: list[str]
    version: str | None  # alembic_version of the file; None: made without Alembic (create_all)
    migrate: bool = False  # an older revision: migrated on a copy before it is swapped in


@dataclass
class Restored:
    safety: Path | None
    migrated_from: str | None = None
    erasures: dict = field(default_factory=dict)


def check_backup(path: str | Path) -> Checked:
    """Open the file read-only and check it: a SQLite database that passes integrity_check, has
    netzwerk's tables and exactly the schema the migrations build for its Alembic revision:
    nothing missing, nothing extra (a trigger or view hidden in a backup would run in the live
    database). An older revision is accepted (and migrated on restore), an unknown one is not.
    Raises Invalid with the reason otherwise."""
    path = Path(path)
    if not path.is_file():
        raise Invalid(_("Datei nicht gefunden: %(path)s", path=path))
    with open(path, "rb") as head:
        if head.read(16) != b"SQLite format 3\x00":
            raise Invalid(_("%(name)s ist keine SQLite-Datenbank.", name=path.name))
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            problems = _integrity(conn)
            tables = [
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            ]
            version = _version(conn, tables)
            found = schema(conn) if not problems else {}
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise Invalid(_("%(name)s ist nicht lesbar: %(exc)s", name=path.name, exc=exc)) from exc
    if problems:
        raise Invalid(
            _(
                "%(name)s ist beschädigt (integrity_check): %(problems)s",
                name=path.name,
                problems=problems,
            )
        )
    missing = sorted(REQUIRED_TABLES - set(tables))
    if missing:
        raise Invalid(
            _(
                "%(name)s ist keine netzwerk-Datenbank: es fehlen die Tabellen %(value)s.",
                name=path.name,
                value=", ".join(missing),
            )
        )
    history = revisions()
    head = history[-1]
    if version is not None and version not in history:
        raise Invalid(
            _(
                "%(name)s hat den unbekannten Datenbankstand (Alembic-Revision) "
                "„%(value)s“; bekannt sind %(value2)s. Die Sicherung stammt nicht aus "
                "dieser Version von netzwerk oder wurde verändert.",
                name=path.name,
                value=version[:40],
                value2=", ".join(history),
            )
        )
    expected = reference_schema(version or head)
    if version is None:
        expected = {k: v for k, v in expected.items() if "alembic_version" not in k}
    differences = compare_schemas(expected, found)
    if differences:
        raise Invalid(
            f"{path.name} weicht vom Schema von netzwerk ab ({version or 'ohne Revision'}): "
            + "; ".join(differences[:12])
            + (f" und {len(differences) - 12} weitere" if len(differences) > 12 else "")
            + ". Nichts wurde geändert."
        )
    return Checked(tables, version, migrate=version is not None and version != head)


def _version(conn: sqlite3.Connection, tables: list[str]) -> str | None:
    if "alembic_version" not in tables:
        return None
    rows = [r[0] for r in conn.execute("SELECT version_num FROM alembic_version")]
    if len(rows) != 1:
        return f"{len(rows)} Einträge in alembic_version"
    return str(rows[0])


# --- the schema the migrations build ----------------------------------------------------------


def revisions() -> list[str]:
    """The Alembic revisions of this version of netzwerk, oldest first."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from .. import MIGRATIONS

    config = Config(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    script = ScriptDirectory.from_config(config)
    return [r.revision for r in reversed(list(script.walk_revisions()))]


_REFERENCE: dict[str, dict[str, str]] = {}


def reference_schema(revision: str) -> dict[str, str]:
    """The schema the migrations build up to `revision`, in a temporary SQLite file."""
    if revision not in _REFERENCE:
        with tempfile.TemporaryDirectory(prefix="netzwerk-schema-") as tmp:
            path = Path(tmp) / "reference.sqlite"
            migrate_file(path, revision)
            conn = sqlite3.connect(path)
            try:
                _REFERENCE[revision] = schema(conn)
            finally:
                conn.close()
    return _REFERENCE[revision]


def migrate_file(path: Path, revision: str = "head") -> None:
    """Run the migrations on the SQLite file at `path` (a copy, never the live database), in an
    app of its own so that the running app's engine is not touched."""
    import flask_migrate

    from .. import MIGRATIONS, create_app

    app = create_app(
        {
            "SECRET_KEY": "schema-reference",  # nothing is signed with it
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "INSTANCE_PATH": str(path.parent / "instance"),
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        try:
            flask_migrate.upgrade(directory=str(MIGRATIONS), revision=revision)
        finally:
            db.session.remove()
            db.engine.dispose()
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        conn.close()


def schema(conn: sqlite3.Connection) -> dict[str, str]:
    """Every object of a SQLite schema as {"what name": description}: tables with their columns,
    indexes with their columns, foreign keys, triggers and views (with their SQL)."""
    result: dict[str, str] = {}
    objects = conn.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
    ).fetchall()
    for kind, name, _table, sql in objects:
        if kind == "table":
            result[f"Tabelle {name}"] = "table"
            for _cid, col, ctype, notnull, default, pk, hidden in conn.execute(
                f'PRAGMA table_xinfo("{name}")'
            ):
                result[f"Spalte {name}.{col}"] = (
                    f"{ctype.upper()} {notnull} {default} {pk} {hidden}"
                )
            for row in conn.execute(f'PRAGMA foreign_key_list("{name}")'):
                _id, _seq, target, source, to, _upd, delete, _match = row
                result[f"Fremdschlüssel {name}.{source}"] = f"{target}.{to} {delete}"
            for _seq, index, unique, origin, _partial in conn.execute(
                f'PRAGMA index_list("{name}")'
            ):
                columns = ",".join(str(r[2]) for r in conn.execute(f'PRAGMA index_info("{index}")'))
                key = index if origin == "c" else f"{origin}:{name}({columns})"
                result[f"Index {key}"] = f"{name}({columns}) {unique}"
        elif kind in ("trigger", "view"):
            label = "Trigger" if kind == "trigger" else "View"
            result[f"{label} {name}"] = " ".join((sql or "").split())
    return result


ORDER = ("Tabelle", "Trigger", "View", "Spalte", "Fremdschlüssel", "Index")


def compare_schemas(expected: dict[str, str], found: dict[str, str]) -> list[str]:
    """What differs, in words: missing, extra or changed objects; tables, triggers and views
    first, and the columns of a table that is missing or extra as a whole not one by one."""
    missing = expected.keys() - found.keys()
    extra = found.keys() - expected.keys()
    whole = {k.split(" ", 1)[1] for k in missing | extra if k.startswith("Tabelle ")}

    def part_of_whole(key: str) -> bool:
        kind, _, name = key.partition(" ")
        table = name.split(".", 1)[0] if kind in ("Spalte", "Fremdschlüssel") else None
        if kind == "Index":
            table = (expected.get(key) or found.get(key) or "").split("(", 1)[0]
        return table in whole

    def order(key: str) -> tuple:
        kind = key.split(" ", 1)[0]
        return (ORDER.index(kind) if kind in ORDER else len(ORDER), key)

    differences = [f"es fehlt {k}" for k in sorted(missing, key=order) if not part_of_whole(k)]
    differences += [f"zusätzlich {k}" for k in sorted(extra, key=order) if not part_of_whole(k)]
    differences += [
        f"anders: {k}"
        for k in sorted(expected.keys() & found.keys(), key=order)
        if expected[k] != found[k]
    ]
    return differences


def restore(path: str | Path, safety_dir: str | Path | None = None) -> Restored:
    """Replace the database with the backup at `path`, after checking it.

    The current state is first saved as a backup in `safety_dir` (next to the database by
    default), so a mistaken restore can be undone. A backup of an older revision is migrated on
    a temporary copy first. Erasures (Art. 17) recorded in the current database are carried
    over and applied again to the restored data."""
    path = Path(path).resolve()
    version_before = data_version()
    target = _sqlite_path()
    if target is None:
        return _restore_postgres(path, safety_dir, version_before)
    checked = check_backup(path)
    if path == target:
        raise Invalid(_("Die Sicherung ist die laufende Datenbank selbst."))
    carried = privacy.erased_identities()
    with tempfile.TemporaryDirectory(prefix="netzwerk-restore-", dir=target.parent) as tmp:
        source = path
        if checked.migrate:
            source = Path(tmp) / "migrated.sqlite"
            _copy(path, source)
            try:
                migrate_file(source)
            except Exception as exc:  # noqa: BLE001 - any failure means: do not restore
                raise Invalid(
                    _(
                        "%(name)s (Stand %(version)s) ließ sich nicht auf den aktuellen Stand "
                        "bringen: %(exc)s. Nichts wurde geändert.",
                        name=path.name,
                        version=checked.version,
                        exc=exc,
                    )
                ) from exc
            check_backup(source)
        safety = backup(Path(safety_dir) if safety_dir else target.parent / "backups", check=False)
        db.session.remove()
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            dst = sqlite3.connect(target, timeout=30)
            try:
                src.backup(dst, pages=-1)
                problems = _integrity(dst)
            finally:
                dst.close()
        except sqlite3.Error as exc:
            raise Invalid(_("Wiederherstellen fehlgeschlagen: %(exc)s", exc=exc)) from exc
        finally:
            src.close()
    db.engine.dispose()
    if problems:
        raise Invalid(
            _("Nach dem Wiederherstellen meldet integrity_check: %(problems)s", problems=problems)
        )
    _record_restore(path, safety, version_before)
    erasures = privacy.reapply_erasures(carried)
    return Restored(safety, checked.version if checked.migrate else None, erasures)


def _copy(source: Path, target: Path) -> None:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst, pages=-1)
        finally:
            dst.close()
    finally:
        src.close()


def _record_restore(path: Path, safety: Path, version_before: int) -> None:
    """The restored database learns when and from which file it came back; its change counter
    passes the one before, so every cache builds anew."""
    raise_data_version_above(version_before)
    record(
        "database",
        None,
        "restore",
        {"file": [None, path.name], "safety_copy": [None, safety.name]},
        label=f"Datenbank aus {path.name} wiederhergestellt",
    )
    db.session.commit()


# --- PostgreSQL -------------------------------------------------------------------------------


def _pg_env() -> tuple[str, dict[str, str]]:
    """The libpq URL without the password, which goes into the environment instead."""
    url = make_url(str(db.engine.url.render_as_string(hide_password=False)))
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise Invalid(
            _(
                "%(name)s wurde nicht gefunden; bitte die PostgreSQL-Client-Programme "
                "installieren.",
                name=name,
            )
        )
    return found


def _run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run a PostgreSQL client program: an argument list, no shell, the password in `env`."""
    return subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603


def _pg_dump(directory: Path) -> Path:
    url, env = _pg_env()
    path = _target(directory, "dump")
    done = _run([_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={path}", url], env)
    if done.returncode != 0:
        path.unlink(missing_ok=True)
        raise Invalid(_("pg_dump fehlgeschlagen: %(stderr)s", stderr=done.stderr.strip()))
    path.chmod(0o600)
    return path


# what a pg_dump of netzwerk holds; anything else (a trigger, a function, a view, a rule …)
# would run in the live database after the restore
PG_ALLOWED = (
    "TABLE DATA",
    "TABLE",
    "SEQUENCE OWNED BY",
    "SEQUENCE SET",
    "SEQUENCE",
    "DEFAULT",
    "FK CONSTRAINT",
    "CONSTRAINT",
    "INDEX",
    "ENCODING",
    "STDSTRINGS",
    "SEARCHPATH",
    "DATABASE",
)
# pg_dump lists the public schema itself when it was made anew (DROP/CREATE SCHEMA)
_PG_PUBLIC = re.compile(r"^(SCHEMA - public|COMMENT - SCHEMA public|ACL - SCHEMA public)\b")
_PG_ENTRY = re.compile(r"^\d+;\s+\d+\s+\d+\s+(.*)$")


def _pg_check(path: Path) -> Checked:
    """A pg_dump archive (custom format) that holds netzwerk's tables, nothing but tables,
    sequences, constraints and indexes, and a known Alembic revision."""
    if not path.is_file():
        raise Invalid(_("Datei nicht gefunden: %(path)s", path=path))
    listing = _run([_tool("pg_restore"), "--list", str(path)])
    if listing.returncode != 0:
        raise Invalid(
            _(
                "%(name)s ist keine pg_dump-Sicherung: %(stderr)s",
                name=path.name,
                stderr=listing.stderr.strip(),
            )
        )
    entries = [m.group(1) for line in listing.stdout.splitlines() if (m := _PG_ENTRY.match(line))]
    found = {
        e.split()[2]
        for e in entries
        if e.startswith("TABLE ") and not e.startswith("TABLE DATA") and len(e.split()) > 2
    }
    missing = sorted(REQUIRED_TABLES - found)
    if missing:
        raise Invalid(
            _(
                "%(name)s ist keine netzwerk-Sicherung: es fehlen %(value)s.",
                name=path.name,
                value=", ".join(missing),
            )
        )
    expected = set(db.metadata.tables) | {"alembic_version"}
    if "alembic_version" not in found:  # made without Alembic (create_all): must be the newest
        expected.discard("alembic_version")
    problems = [f"es fehlt Tabelle {t}" for t in sorted(expected - found)]
    problems += [f"zusätzlich Tabelle {t}" for t in sorted(found - expected)]
    for entry in entries:
        if not entry.startswith(PG_ALLOWED) and not _PG_PUBLIC.match(entry):
            problems.append(f"zusätzlich {' '.join(entry.split()[:4])}")
    if problems:
        raise Invalid(
            _(
                "%(name)s weicht vom Schema von netzwerk ab: %(value)s. Nichts wurde geändert.",
                name=path.name,
                value="; ".join(problems[:12]),
            )
        )
    data = _run(
        [_tool("pg_restore"), "--data-only", "--table=alembic_version", "--file=-", str(path)]
    )
    rows = re.search(
        r"COPY \S*alembic_version \(version_num\) FROM stdin;\n(.*?)\\\.", data.stdout, re.S
    )
    versions = rows.group(1).split() if rows else []
    history = revisions()
    if "alembic_version" not in found:
        return Checked(sorted(found), None)
    if len(versions) != 1 or versions[0] not in history:
        shown = ", ".join(versions) or "keine"
        raise Invalid(
            _(
                "%(name)s hat einen unbekannten Datenbankstand (Alembic-Revision: "
                "%(value)s); bekannt sind %(value2)s. Nichts wurde geändert.",
                name=path.name,
                value=shown[:60],
                value2=", ".join(history),
            )
        )
    return Checked(sorted(found), versions[0], migrate=versions[0] != history[-1])


def _restore_postgres(path: Path, safety_dir: str | Path | None, version_before: int) -> Restored:
    checked = _pg_check(path)
    carried = privacy.erased_identities()
    safety = backup(Path(safety_dir) if safety_dir else Path(current_app.instance_path) / "backups")
    _pg_restore(path)
    if checked.migrate:
        import flask_migrate

        from .. import MIGRATIONS

        flask_migrate.upgrade(directory=str(MIGRATIONS))
    _record_restore(path, safety, version_before)
    erasures = privacy.reapply_erasures(carried)
    return Restored(safety, checked.version if checked.migrate else None, erasures)


def _pg_restore(path: Path) -> None:
    url, env = _pg_env()
    db.session.remove()
    db.engine.dispose()
    done = _run(
        [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            f"--dbname={url}",
            str(path),
        ],
        env,
    )
    if done.returncode != 0:
        raise Invalid(_("pg_restore fehlgeschlagen: %(stderr)s", stderr=done.stderr.strip()))
