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
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app
from sqlalchemy.engine import make_url

from ..audit.services import data_version, raise_data_version_above, record
from ..core.errors import Invalid
from ..extensions import db

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
        raise Invalid("Eine Datenbank im Arbeitsspeicher lässt sich nicht sichern.")
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
            raise Invalid(f"Die Sicherung ist fehlerhaft: {problems}")
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


def check_backup(path: str | Path) -> list[str]:
    """Open the file read-only and check it: a SQLite database that passes integrity_check and
    has netzwerk's tables. Returns its tables; raises Invalid with the reason otherwise."""
    path = Path(path)
    if not path.is_file():
        raise Invalid(f"Datei nicht gefunden: {path}")
    if path.read_bytes()[:16] != b"SQLite format 3\x00":
        raise Invalid(f"{path.name} ist keine SQLite-Datenbank.")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            problems = _integrity(conn)
            tables = [
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            ]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise Invalid(f"{path.name} ist nicht lesbar: {exc}") from exc
    if problems:
        raise Invalid(f"{path.name} ist beschädigt (integrity_check): {problems}")
    missing = sorted(REQUIRED_TABLES - set(tables))
    if missing:
        raise Invalid(
            f"{path.name} ist keine netzwerk-Datenbank: "
            f"es fehlen die Tabellen {', '.join(missing)}."
        )
    return tables


def restore(path: str | Path, safety_dir: str | Path | None = None) -> Path | None:
    """Replace the database with the backup at `path`, after checking it.

    The current state is first saved as a backup in `safety_dir` (next to the database by
    default), so a mistaken restore can be undone. Returns that safety copy."""
    path = Path(path).resolve()
    version_before = data_version()
    target = _sqlite_path()
    if target is None:
        _pg_check(path)
        safety = backup(
            Path(safety_dir) if safety_dir else Path(current_app.instance_path) / "backups"
        )
        _pg_restore(path)
        _record_restore(path, safety, version_before)
        return safety
    check_backup(path)
    if path == target:
        raise Invalid("Die Sicherung ist die laufende Datenbank selbst.")
    safety = backup(Path(safety_dir) if safety_dir else target.parent / "backups", check=False)
    db.session.remove()
    src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target, timeout=30)
        try:
            src.backup(dst, pages=-1)
            problems = _integrity(dst)
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise Invalid(f"Wiederherstellen fehlgeschlagen: {exc}") from exc
    finally:
        src.close()
    db.engine.dispose()
    if problems:
        raise Invalid(f"Nach dem Wiederherstellen meldet integrity_check: {problems}")
    _record_restore(path, safety, version_before)
    return safety


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
            f"{name} wurde nicht gefunden; bitte die PostgreSQL-Client-Programme installieren."
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
        raise Invalid(f"pg_dump fehlgeschlagen: {done.stderr.strip()}")
    path.chmod(0o600)
    return path


def _pg_check(path: Path) -> None:
    """A pg_dump archive (custom format) that holds netzwerk's tables."""
    if not path.is_file():
        raise Invalid(f"Datei nicht gefunden: {path}")
    listing = _run([_tool("pg_restore"), "--list", str(path)])
    if listing.returncode != 0:
        raise Invalid(f"{path.name} ist keine pg_dump-Sicherung: {listing.stderr.strip()}")
    found = set(re.findall(r"TABLE \S+ (\w+) ", listing.stdout))
    missing = sorted(REQUIRED_TABLES - found)
    if missing:
        raise Invalid(f"{path.name} ist keine netzwerk-Sicherung: es fehlen {', '.join(missing)}.")


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
        raise Invalid(f"pg_restore fehlgeschlagen: {done.stderr.strip()}")
