"""Spreadsheet import and export of actors, contacts, topics, topic links and relations.

The import is all-or-nothing: every row goes through the same cleaning functions the forms and
the API use (actors/services, topics/services), inside one transaction; if any row is rejected,
or if it is only a preview, the transaction is rolled back, so the preview shows exactly what
"Übernehmen" will do. New rows are written in bulk (10,000 actors and 30,000 relations take a
few seconds), updates through the ORM with the usual audit entries.
"""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import shutil
import sqlite3
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_request_context
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Session, aliased
from sqlalchemy.pool import StaticPool

from ..actors import services as actor_services
from ..actors.models import Actor, Category, Contact, Relation
from ..actors.vocab import LegalBasis, Level, RelationKind, Sector, Status
from ..audit.models import AuditEntry
from ..audit.services import apply_changes, plain, record, transaction_data_version
from ..core.errors import DomainError, Invalid, NotFound
from ..core.files import write_private
from ..core.timeutil import utcnow
from ..core.validation import has_illegal_characters, vocab_value
from ..extensions import db
from ..projects import services as project_services
from ..projects.models import Project, ProjectStatus
from ..topics import services as topic_services
from ..topics.models import ActorTopic, Topic, TopicRole
from . import tables
from .tables import ACTORS, BY_KIND, SHEETS, Sheet, Table

KIND_LABELS = {s.kind: s.de for s in SHEETS}


# --- results ------------------------------------------------------------------------------------


def explain(table: Table, exc: DomainError, data: dict) -> str:
    """A rejection in the words of the file: the column as its header says and the value
    ("Einfluss: 7 – erlaubt 1–5"; "Kategorie: xyz – unbekannt, erlaubt: verwaltung, …")."""
    if not exc.field or exc.field not in table.fields:
        return exc.message
    column = table.headers[table.fields.index(exc.field)] or exc.field
    value = data.get(exc.field)
    value = "" if value is None else str(getattr(value, "value", value)).strip()
    if not exc.allowed and not value:
        return exc.message  # "Der Name fehlt."
    if exc.allowed:
        if "–" in exc.allowed and value.lstrip("-").isdigit():
            return _(
                "%(column)s: %(value)s – erlaubt %(allowed)s",
                column=column,
                value=value,
                allowed=exc.allowed,
            )
        if "–" in exc.allowed:
            return _(
                "%(column)s: %(value)s – keine ganze Zahl, erlaubt %(allowed)s",
                column=column,
                value=value,
                allowed=exc.allowed,
            )
        return _(
            "%(column)s: %(value)s – unbekannt, erlaubt: %(allowed)s",
            column=column,
            value=value,
            allowed=exc.allowed,
        )
    return f"{column}: {exc.message}"


@dataclass
class Rejection:
    source: str
    row: int
    reason: str
    kind: str = ""

    def __str__(self) -> str:
        return _(
            "%(source)s, Zeile %(row)s: %(reason)s",
            source=self.source,
            row=self.row,
            reason=self.reason,
        )


@dataclass
class RowResult:
    kind: str
    source: str
    row: int
    action: str  # create, update, unchanged
    label: str
    changes: dict = field(default_factory=dict)


@dataclass
class ImportReport:
    tables: list[Table] = field(default_factory=list)
    rows: list[RowResult] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    applied: bool = False

    def counts(self) -> dict[str, Counter]:
        """{kind: Counter(create=…, update=…, unchanged=…, rejected=…)} in import order."""
        kinds = [s.kind for s in SHEETS if any(t.sheet is s for t in self.tables)]
        result = {k: Counter() for k in kinds}
        for r in self.rows:
            result[r.kind][r.action] += 1
        for r in self.rejected:
            result[r.kind]["rejected"] += 1
        return result

    @property
    def ok(self) -> bool:
        return not self.rejected and any(t.sheet for t in self.tables)

    def summary(self) -> str:
        parts = []
        for kind, c in self.counts().items():
            parts.append(
                _(
                    "%(kind)s: %(create)s neu, %(update)s geändert, %(unchanged)s unverändert",
                    kind=KIND_LABELS[kind],
                    create=c["create"],
                    update=c["update"],
                    unchanged=c["unchanged"],
                )
            )
        return "; ".join(parts)


# --- import -------------------------------------------------------------------------------------


def import_files(files: Iterable[tuple[str, bytes]], commit: bool = True) -> ImportReport:
    """Read the files and import every row; write nothing unless all rows are valid and
    `commit` is set (commit=False is the preview).

    The files are read before any transaction begins. On SQLite a preview runs on a private
    in-memory copy of the database, so that it holds no lock on the real file while it works
    (other users keep saving); on PostgreSQL its uncommitted rows block nobody. In a web request
    the work stops after IMPORT_TIME_LIMIT seconds."""
    report = ImportReport()
    limits = tables.Limits.from_config(current_app.config)
    for name, data in files:
        report.tables.extend(tables.read_file(name, data, limits))
    if not any(t.sheet for t in report.tables):
        raise Invalid(
            _(
                "In den Dateien wurde keine bekannte Tabelle gefunden. Die erste Zeile "
                "muss die Spaltenköpfe enthalten, wie in den Vorlagen (z. B. Name, "
                "Kategorie für Akteure)."
            )
        )
    seconds = current_app.config.get("IMPORT_TIME_LIMIT") if has_request_context() else None
    if commit:
        db.session.rollback()  # start from a clean transaction
        return _import(report, commit, seconds)
    with preview_database():
        return _import(report, commit, seconds)


def _import(report: ImportReport, commit: bool, seconds: int | None) -> ImportReport:
    importer = _Importer(report, seconds)
    try:
        for sheet in SHEETS:
            for table in report.tables:
                if table.sheet is sheet:
                    getattr(importer, f"import_{sheet.kind}")(table)
        db.session.flush()
        order = {t.source: i for i, t in enumerate(report.tables)}
        report.rejected.sort(key=lambda r: (order.get(r.source, 0), r.row))
        if report.rejected or not commit:
            db.session.rollback()
            return report
        names = sorted({t.source.split(" › ")[0] for t in report.tables})
        counts = {
            k: {a: c[a] for a in ("create", "update", "unchanged")}
            for k, c in report.counts().items()
        }
        record(
            "import",
            None,
            "import",
            {"files": [None, names], "counts": [None, counts]},
            label=f"Import: {', '.join(names)}"[:300],
        )
        db.session.commit()
        report.applied = True
    except Exception:
        db.session.rollback()
        raise
    return report


@contextmanager
def preview_database():
    """On SQLite, `db.session` works on an in-memory copy of the database for the block.

    SQLite has one writer at a time: a preview that inserted into the real file held that lock
    for as long as it ran, and every other save waited and failed after the busy timeout. The
    copy is taken with the online backup API under a read transaction (WAL: writers go on)."""
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        db.session.rollback()
        yield
        return
    memory = sqlite3.connect(":memory:", check_same_thread=False)
    source = sqlite3.connect(f"file:{Path(url.database).resolve()}?mode=ro", uri=True, timeout=30)
    try:
        source.backup(memory, pages=-1)
    finally:
        source.close()
    engine = sa.create_engine("sqlite://", creator=lambda: memory, poolclass=StaticPool)
    registry = db.session.registry
    outer = registry()
    preview = Session(bind=engine, autoflush=True, expire_on_commit=False)
    registry.set(preview)
    try:
        yield
    finally:
        preview.close()
        registry.set(outer)
        engine.dispose()
        memory.close()


def _user():
    if has_request_context() and current_user.is_authenticated:
        return current_user
    return None


def _audit_rows(entity: str, items: list[tuple[int, dict, str]]) -> None:
    """Bulk insert of 'create' audit entries: (id, changes, label) per new row."""
    if not items:
        return
    user = _user()
    now = utcnow()
    version = transaction_data_version()
    db.session.execute(
        sa.insert(AuditEntry.__table__),
        [
            {
                "created_at": now,
                "user_id": user.id if user is not None else None,
                "username": user.username if user is not None else "system",
                "entity": entity,
                "entity_id": ident,
                "label": label[:300],
                "action": "create",
                "changes": changes,
                "data_version": version,
            }
            for ident, changes, label in items
        ],
    )


def _created(values: dict, fields: list[str]) -> dict:
    """The audit snapshot of a new row, as audit.services.snapshot makes it."""
    result = {}
    for f in fields:
        value = values.get(f)
        if value is not None and not isinstance(value, str | int):
            value = plain(value)
        result[f] = [None, value]
    return result


class _Importer:
    """Holds the lookup tables of one import: names, external ids and pairs already taken."""

    def __init__(self, report: ImportReport, seconds: int | None = None):
        self.report = report
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds if seconds else None
        self._actors_loaded = False
        self._terms: dict[tuple, Any] = {}
        self.actor_by_key: dict[str, int] = {}
        self.actor_by_ext: dict[str, int] = {}
        self.actor_names: dict[int, str] = {}
        self.rejected_actors: dict[str, Rejection] = {}
        self.category_keys: dict[str, str] = {}
        # held here so that the cleaning functions find them in the identity map
        self.categories = list(db.session.scalars(sa.select(Category)))
        for cat in self.categories:
            for name in (cat.key, cat.label_de, cat.label_en):
                if name:
                    self.category_keys.setdefault(name.strip().casefold(), cat.key)
        self.topics: dict[str, Topic] = {
            _topic_key(t.code): t for t in db.session.scalars(sa.select(Topic))
        }

    # -- helpers

    def known_terms(self, data: dict, **vocabularies) -> dict:
        """Replace vocabulary cells by their members, remembering each spelling once: parsing
        compares with translated labels and would otherwise dominate a large import. Unknown
        values stay as they are, so the service rejects them with its own message."""
        for name, enum_cls in vocabularies.items():
            value = data.get(name)
            if value in (None, "") or isinstance(value, enum_cls):
                continue
            key = (enum_cls, str(value).strip().casefold())
            if key not in self._terms:
                self._terms[key] = enum_cls.parse(value)
            if self._terms[key] is not None:
                data[name] = self._terms[key]
        return data

    def rows(self, table: Table) -> Iterable[tuple[int, dict]]:
        """The table's rows; past the deadline the import stops with a message instead of
        keeping a worker (and, when applying, the database) busy for minutes."""
        for i, row in enumerate(table.rows):
            if self.deadline is not None and i % 256 == 0 and time.monotonic() > self.deadline:
                raise Invalid(
                    _(
                        "Die Prüfung wurde nach %(seconds)s Sekunden abgebrochen (%(source)s, "
                        "bei Zeile %(value)s). Bitte teilen Sie die Datei auf oder importieren "
                        "Sie sie auf der Kommandozeile (flask import).",
                        seconds=self.seconds,
                        source=table.source,
                        value=row[0],
                    )
                )
            number, data = row
            bad = [f for f, v in data.items() if isinstance(v, str) and has_illegal_characters(v)]
            if bad:
                headers = {c.field: c.de for c in table.sheet.columns}
                self.reject(
                    table,
                    number,
                    _(
                        "Spalte %(column)s enthält unzulässige Steuerzeichen (z. B. NUL).",
                        column=headers.get(bad[0], bad[0]),
                    ),
                )
                continue
            yield row

    def reject(self, table: Table, row: int, reason: str) -> None:
        self.report.rejected.append(Rejection(table.source, row, reason, table.sheet.kind))

    def done(self, table: Table, row: int, action: str, label: str, changes=None) -> None:
        kind = table.sheet.kind
        self.report.rows.append(RowResult(kind, table.source, row, action, label, changes or {}))

    def load_actors(self) -> None:
        if self._actors_loaded:
            return
        for ident, name, key, ext in db.session.execute(
            sa.select(Actor.id, Actor.name, Actor.name_key, Actor.external_id)
        ):
            self.actor_by_key[key] = ident
            self.actor_names[ident] = name
            if ext:
                self.actor_by_ext[ext] = ident
        self._actors_loaded = True

    def find_actor(self, name: Any, ext: Any, what: str = "Akteur") -> int:
        """The id of an actor named by external id or name, in the database or this import."""
        self.load_actors()
        name = str(name or "").strip()
        ext = str(ext or "").strip()
        if ext and ext in self.actor_by_ext:
            return self.actor_by_ext[ext]
        if name and name.casefold() in self.actor_by_key:
            return self.actor_by_key[name.casefold()]
        ref = name or ext
        if not ref:
            raise Invalid(_("%(what)s: Name oder externe ID fehlt.", what=what))
        earlier = self.rejected_actors.get(ref.casefold()) or self.rejected_actors.get(ext)
        if earlier is not None:
            raise Invalid(
                _(
                    "%(what)s „%(ref)s“ wurde selbst abgelehnt (%(source)s, Zeile %(row)s).",
                    what=what,
                    ref=ref,
                    source=earlier.source,
                    row=earlier.row,
                )
            )
        raise Invalid(_("Unbekannter %(what)s: %(ref)s", what=what, ref=ref))

    # -- topics (bulk, like actors: one query per row made a preview quadratic)

    def import_topics(self, table: Table) -> None:
        seen: dict[str, int] = {}
        new_rows: list[tuple[int, dict]] = []
        for number, data in self.rows(table):
            code = _topic_key(data.get("code", ""))
            if code and code in seen:
                self.reject(
                    table,
                    number,
                    _(
                        "Doppelt: das Thema %(value)s steht schon in Zeile %(value2)s.",
                        value=data["code"],
                        value2=seen[code],
                    ),
                )
                continue
            existing = self.topics.get(code)
            try:
                values = topic_services.clean_topic(data, existing, unique=False)
            except DomainError as exc:
                self.reject(table, number, explain(table, exc, data))
                continue
            seen[code] = number
            if existing is None:
                new_rows.append((number, values))
                continue
            changes = apply_changes(existing, values)
            if changes:
                record("topic", existing.id, "update", changes, label=existing.label)
            self.done(table, number, "update" if changes else "unchanged", existing.label, changes)
        if not new_rows:
            return
        ids = _bulk_insert(Topic, [v for _, v in new_rows])
        created = _load(Topic, ids)
        audit = []
        for ident, (number, values) in zip(ids, new_rows, strict=True):
            topic = created[ident]
            self.topics[_topic_key(topic.code)] = topic
            audit.append((ident, _created(values, topic_services.TOPIC_FIELDS), topic.label))
            self.done(table, number, "create", topic.label)
        _audit_rows("topic", audit)

    # -- actors (bulk)

    def import_actors(self, table: Table) -> None:
        self.load_actors()
        matches: list[tuple[int, dict, int | None]] = []
        claimed: dict[Any, int] = {}  # actor id or new name → first row
        for number, data in self.rows(table):
            data = dict(data)
            if "category" in data:
                raw = str(data["category"] or "").strip()
                data["category"] = self.category_keys.get(raw.casefold(), raw)
            self.known_terms(data, sector=Sector, level=Level, status=Status)
            ext = str(data.get("external_id") or "").strip()
            name = str(data.get("name") or "").strip()
            ident = self.actor_by_ext.get(ext) if ext else None
            if ident is None and name:
                ident = self.actor_by_key.get(name.casefold())
            claim = ident if ident is not None else ("new", name.casefold())
            if name and claim in claimed:
                self.reject(
                    table,
                    number,
                    _(
                        "Doppelt: der Akteur „%(name)s“ steht schon in Zeile %(value)s.",
                        name=name,
                        value=claimed[claim],
                    ),
                )
                self.rejected_actors.setdefault(
                    name.casefold(), Rejection(table.source, number, "")
                )
                continue
            if ext and ("ext", ext) in claimed:
                self.reject(
                    table,
                    number,
                    _(
                        "Doppelt: die externe ID %(ext)s steht schon in Zeile %(value)s.",
                        ext=ext,
                        value=claimed["ext", ext],
                    ),
                )
                continue
            claimed[claim] = number
            if ext:
                claimed[("ext", ext)] = number
            matches.append((number, data, ident))
        existing = _load(Actor, [m[2] for m in matches if m[2] is not None])
        new_rows: list[tuple[int, dict]] = []
        new_keys: dict[str, int] = {}
        new_exts: dict[str, int] = {}
        for number, data, ident in matches:
            actor = existing.get(ident) if ident is not None else None
            try:
                values = actor_services.clean_actor(data, actor)
                key = values["name"].casefold()
                other = self.actor_by_key.get(key)
                if (other is not None and other != ident) or (actor is None and key in new_keys):
                    first = new_keys.get(key)
                    where = f" (Zeile {first})" if first else f" (#{other})"
                    raise Invalid(
                        _(
                            "Es gibt schon einen Akteur mit diesem Namen: %(value)s%(where)s.",
                            value=values["name"],
                            where=where,
                        )
                    )
                ext = values["external_id"]
                holder = self.actor_by_ext.get(ext) if ext else None
                if ext and ((holder is not None and holder != ident) or ext in new_exts):
                    raise Invalid(
                        _("Die externe ID %(ext)s gehört schon zu einem anderen Akteur.", ext=ext)
                    )
            except DomainError as exc:
                self.reject(table, number, explain(table, exc, data))
                name = str(data.get("name") or "").strip()
                rejection = Rejection(table.source, number, exc.message)
                for ref in (name.casefold(), str(data.get("external_id") or "").strip()):
                    if ref:
                        self.rejected_actors.setdefault(ref, rejection)
                continue
            if actor is None:
                values["name_key"] = key
                new_rows.append((number, values))
                new_keys[key] = number
                if ext:
                    new_exts[ext] = number
            else:
                old_key, old_ext = actor.name_key, actor.external_id
                changes = apply_changes(actor, {**values, "name_key": key})
                changes.pop("name_key", None)
                if changes:
                    record("actor", actor.id, "update", changes, label=actor.name)
                    if old_key != key:
                        self.actor_by_key.pop(old_key, None)
                    if old_ext != ext:
                        self.actor_by_ext.pop(old_ext, None)
                    self.actor_by_key[key] = actor.id
                    if ext:
                        self.actor_by_ext[ext] = actor.id
                    self.actor_names[actor.id] = actor.name
                self.done(table, number, "update" if changes else "unchanged", actor.name, changes)
        if not new_rows:
            return
        db.session.flush()  # renames first, so that a freed name can be taken by a new actor
        ids = _bulk_insert(Actor, [v for _, v in new_rows])
        audit = []
        for ident, (number, values) in zip(ids, new_rows, strict=True):
            self.actor_by_key[values["name_key"]] = ident
            self.actor_names[ident] = values["name"]
            if values["external_id"]:
                self.actor_by_ext[values["external_id"]] = ident
            audit.append((ident, _created(values, actor_services.ACTOR_FIELDS), values["name"]))
            self.done(table, number, "create", values["name"])
        _audit_rows("actor", audit)

    # -- contacts (bulk)

    def import_contacts(self, table: Table) -> None:
        by_email: dict[tuple[int, str], int] = {}
        by_name: dict[tuple[int, str], int] = {}
        for ident, actor_id, name, email in db.session.execute(
            sa.select(Contact.id, Contact.actor_id, Contact.name, Contact.email)
        ):
            if email:
                by_email.setdefault((actor_id, email.casefold()), ident)
            by_name.setdefault((actor_id, name.strip().casefold()), ident)
        matches: list[tuple[int, dict, int, int | None]] = []
        claimed: dict[Any, int] = {}
        for number, data in self.rows(table):
            try:
                actor_id = self.find_actor(data.get("actor"), data.get("actor_external_id"))
            except DomainError as exc:
                self.reject(table, number, explain(table, exc, data))
                continue
            email = str(data.get("email") or "").strip().casefold()
            name = str(data.get("name") or "").strip().casefold()
            ident = by_email.get((actor_id, email)) if email else None
            if ident is None and name:
                ident = by_name.get((actor_id, name))
            claim = ident if ident is not None else (actor_id, email or name)
            if claim in claimed and (email or name):
                self.reject(
                    table,
                    number,
                    _(
                        "Doppelt: der Kontakt „%(value)s“ steht schon in Zeile %(value2)s.",
                        value=data.get("name"),
                        value2=claimed[claim],
                    ),
                )
                continue
            claimed[claim] = number
            matches.append((number, data, actor_id, ident))
        existing = _load(Contact, [m[3] for m in matches if m[3] is not None])
        new_rows: list[tuple[int, dict]] = []
        fields = actor_services.CONTACT_FIELDS + actor_services.CONSENT_FIELDS
        for number, data, actor_id, ident in matches:
            contact = existing.get(ident) if ident is not None else None
            payload = {k: v for k, v in data.items() if k not in ("actor", "actor_external_id")}
            self.known_terms(payload, legal_basis=LegalBasis)
            try:
                values = actor_services.clean_contact(payload, contact)
            except DomainError as exc:
                self.reject(table, number, explain(table, exc, data))
                continue
            label = f"{values['name']} ({self.actor_names.get(actor_id, actor_id)})"
            if contact is None:
                new_rows.append((number, {**values, "actor_id": actor_id}))
            else:
                changes = apply_changes(contact, values)
                if changes:
                    record("contact", contact.id, "update", changes, label=contact.name)
                self.done(table, number, "update" if changes else "unchanged", label, changes)
        if new_rows:
            ids = _bulk_insert(Contact, [v for _, v in new_rows])
            audit = []
            for ident, (number, values) in zip(ids, new_rows, strict=True):
                label = f"{values['name']} ({self.actor_names.get(values['actor_id'])})"
                audit.append((ident, _created(values, fields), label))
                self.done(table, number, "create", label)
            _audit_rows("contact", audit)

    # -- topic links (bulk)

    def import_links(self, table: Table) -> None:
        pairs = {
            (a, t): i
            for i, a, t in db.session.execute(
                sa.select(ActorTopic.id, ActorTopic.actor_id, ActorTopic.topic_id)
            )
        }
        claimed: dict[tuple[int, int], int] = {}
        matches = []
        for number, data in self.rows(table):
            try:
                actor_id = self.find_actor(data.get("actor"), data.get("actor_external_id"))
                code = str(data.get("topic") or "").strip()
                topic = self.topics.get(_topic_key(code))
                if topic is None:
                    raise Invalid(f"Unbekanntes Thema: {code}" if code else "Das Thema fehlt.")
                pair = (actor_id, topic.id)
                if pair in claimed:
                    raise Invalid(
                        _(
                            "Doppelt: diese Zuordnung steht schon in Zeile %(value)s.",
                            value=claimed[pair],
                        )
                    )
            except DomainError as exc:
                self.reject(table, number, explain(table, exc, data))
                continue
            claimed[pair] = number
            matches.append((number, data, topic, pairs.get(pair), actor_id))
        existing = _load(ActorTopic, [m[3] for m in matches if m[3] is not None])
        new_rows = []
        for number, data, topic, ident, actor_id in matches:
            link = existing.get(ident) if ident is not None else None
            label = f"{self.actor_names.get(actor_id)} – {topic.code}"
            try:
                current = link.role if link else TopicRole.INTERESTED
                role = vocab_value(
                    TopicRole, self.known_terms(dict(data), role=TopicRole), "role", current
                )
            except DomainError as exc:
                self.reject(table, number, explain(table, exc, data))
                continue
            note = str(data.get("note", link.note if link else "") or "").strip()
            if link is None:
                values = {"actor_id": actor_id, "topic_id": topic.id, "role": role, "note": note}
                new_rows.append((number, values, label))
            else:
                changes = apply_changes(link, {"role": role, "note": note})
                if changes:
                    record("actor_topic", link.id, "update", changes, label=label)
                self.done(table, number, "update" if changes else "unchanged", label, changes)
        if new_rows:
            ids = _bulk_insert(ActorTopic, [v for _, v, _ in new_rows])
            audit = []
            for ident, (number, values, label) in zip(ids, new_rows, strict=True):
                audit.append((ident, _created(values, topic_services.LINK_FIELDS), label))
                self.done(table, number, "create", label)
            _audit_rows("actor_topic", audit)

    # -- relations (bulk)

    def import_relations(self, table: Table) -> None:
        self.load_actors()
        triples = {
            (s, t, plain(k)): i
            for i, s, t, k in db.session.execute(
                sa.select(Relation.id, Relation.source_id, Relation.target_id, Relation.kind)
            )
        }
        known = set(self.actor_names)
        exists = known.__contains__
        claimed: dict[tuple, int] = {}
        matches = []
        for number, data in self.rows(table):
            try:
                source = self.find_actor(data.get("source"), data.get("source_external_id"))
                target = self.find_actor(data.get("target"), data.get("target_external_id"))
                payload = {
                    k: v for k, v in data.items() if k in ("kind", "directed", "strength", "note")
                }
                self.known_terms(payload, kind=RelationKind)
                payload.update(source_id=source, target_id=target)
                values = actor_services.clean_relation(payload, None, actor_exists=exists)
                key = (source, target, values["kind"].value)
                if key in claimed:
                    raise Invalid(
                        _(
                            "Doppelt: diese Beziehung steht schon in Zeile %(value)s.",
                            value=claimed[key],
                        )
                    )
            except DomainError as exc:
                self.reject(table, number, explain(table, exc, data))
                continue
            claimed[key] = number
            matches.append((number, payload, values, triples.get(key)))
        existing = _load(Relation, [m[3] for m in matches if m[3] is not None])
        new_rows = []
        for number, payload, values, ident in matches:
            label = (
                f"{self.actor_names[values['source_id']]} → "
                f"{self.actor_names[values['target_id']]} ({values['kind'].value})"
            )
            relation = existing.get(ident) if ident is not None else None
            if relation is None:
                new_rows.append((number, values, label))
                continue
            values = actor_services.clean_relation(payload, relation, actor_exists=exists)
            changes = apply_changes(relation, values)
            if changes:
                record("relation", relation.id, "update", changes, label=label)
            self.done(table, number, "update" if changes else "unchanged", label, changes)
        if new_rows:
            ids = _bulk_insert(Relation, [v for _, v, _ in new_rows])
            audit = []
            for ident, (number, values, label) in zip(ids, new_rows, strict=True):
                audit.append((ident, _created(values, actor_services.RELATION_FIELDS), label))
                self.done(table, number, "create", label)
            _audit_rows("relation", audit)

    # -- projects (few: through the project service, one by one)

    def project_actor(self, value: Any, field: str, ext: Any = None) -> int | None:
        """An actor named in a project cell by name or external id; empty → None."""
        text, ext = str(value or "").strip(), str(ext or "").strip()
        if not text and not ext:
            return None
        self.load_actors()
        if not ext and text in self.actor_by_ext and text.casefold() not in self.actor_by_key:
            return self.actor_by_ext[text]
        return self.find_actor(text, ext, field)

    def import_projects(self, table: Table) -> None:
        by_title: dict[str, list[Project]] = {}
        for project in db.session.scalars(sa.select(Project)):
            by_title.setdefault(project.title.strip().casefold(), []).append(project)
        seen: dict[str, int] = {}
        for number, data in table.rows:
            title = " ".join(str(data.get("title") or "").split())
            key = title.casefold()
            if key and key in seen:
                self.reject(
                    table,
                    number,
                    _(
                        "Doppelt: das Projekt „%(title)s“ steht schon in Zeile %(value)s.",
                        title=title,
                        value=seen[key],
                    ),
                )
                continue
            try:
                payload = {
                    k: data[k]
                    for k in (
                        "title",
                        "description",
                        "status",
                        "starts_on",
                        "ends_on",
                        "funding_amount",
                        "funding_programme",
                        "sdg_targets",
                        "links",
                    )
                    if k in data
                }
                self.known_terms(payload, status=ProjectStatus)
                if "topics" in data:
                    payload["topics"] = [
                        t.strip() for t in str(data["topics"] or "").split(";") if t.strip()
                    ]
                if "lead" in data or "lead_external_id" in data:
                    payload["lead_actor_id"] = self.project_actor(
                        data.get("lead"), "Träger", data.get("lead_external_id")
                    )
                if "partners" in data:
                    payload["partner_actor_ids"] = [
                        self.project_actor(name, "Partner")
                        for name in str(data["partners"] or "").split(";")
                        if name.strip()
                    ]
                if "partner_city" in data:
                    payload["partner_city_id"] = self.project_actor(
                        data["partner_city"], "Akteur (Partnerstadt)"
                    )
                if "funder" in data:
                    payload["funder_actor_id"] = self.project_actor(
                        data["funder"], "Fördermittelgeber"
                    )
                if isinstance(payload.get("sdg_targets"), str):
                    payload["sdg_targets"] = payload["sdg_targets"].replace(";", ",")
                matches = by_title.get(key, [])
                if len(matches) > 1:
                    raise Invalid(
                        _(
                            "Es gibt %(matches)s Projekte mit dem Titel „%(title)s“; bitte die "
                            "Titel zuerst eindeutig machen.",
                            matches=len(matches),
                            title=title,
                        )
                    )
                if matches:
                    changes = project_services.change_project(matches[0], payload)
                    action = "update" if changes else "unchanged"
                    self.done(table, number, action, matches[0].title, changes)
                else:
                    project = project_services.create_project(payload, commit=False)
                    by_title.setdefault(key, []).append(project)
                    self.done(table, number, "create", project.title)
            except DomainError as exc:
                self.reject(table, number, exc.message)
                continue
            seen[key] = number


def _topic_key(code: Any) -> str:
    """Topic codes compare without case and spaces, as in topics.services.find_topic."""
    return str(code or "").replace(" ", "").upper()


def _load(model, ids: list[int]) -> dict[int, Any]:
    """ORM objects by id, in chunks (SQLite allows a limited number of parameters)."""
    found: dict[int, Any] = {}
    ids = sorted(set(ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for obj in db.session.scalars(sa.select(model).where(model.id.in_(chunk))):
            found[obj.id] = obj
    return found


def _bulk_insert(model, rows: list[dict]) -> list[int]:
    """Insert many rows in one executemany; the new ids in the order of `rows`."""
    now = utcnow()
    table = model.__table__
    defaults = {"created_at": now, "updated_at": now}
    if "version" in table.c:
        defaults["version"] = 1
    defaults = {k: v for k, v in defaults.items() if k in table.c}
    result = db.session.execute(
        sa.insert(table).returning(table.c.id, sort_by_parameter_order=True),
        [{**defaults, **row} for row in rows],
    )
    return [row[0] for row in result]


# --- templates ----------------------------------------------------------------------------------


def _allowed_values(sheet: Sheet) -> dict[str, str]:
    def vocab(enum_cls) -> str:
        return ", ".join(german(m) for m in enum_cls)

    cats = ", ".join(c.key for c in actor_services.categories())
    return {
        "category": cats,
        "sector": vocab(Sector),
        "level": vocab(Level),
        "kind": vocab(RelationKind),
        "role": vocab(TopicRole),
        "legal_basis": vocab(LegalBasis),
        "status": vocab(ProjectStatus) if sheet.kind == "projects" else vocab(Status),
        "topics": ", ".join(t.code for t in topic_services.topics()),
    }


def template_file(kind: str, fmt: str) -> tuple[str, bytes]:
    """An empty sheet with the German headers; the XLSX workbook has every sheet plus notes."""
    if fmt == "csv":
        sheet = sheet_for(kind)
        return f"vorlage-{sheet.file_stem}.csv", tables.write_csv(sheet.headers(), [])
    sheets = SHEETS if kind == "alle" else (sheet_for(kind),)
    notes = []
    for sheet in sheets:
        allowed = _allowed_values(sheet)
        for col in sheet.columns:
            notes.append(
                [
                    sheet.de,
                    col.de,
                    col.en,
                    "ja" if col.required else "",
                    str(col.hint),
                    allowed.get(col.field, ""),
                ]
            )
    stem = "netzwerk" if kind == "alle" else sheets[0].file_stem
    data = tables.write_xlsx(
        [(s.de, s.headers(), []) for s in sheets]
        + [
            (
                "Hinweise",
                ["Blatt", "Spalte", "English", "Pflicht", "Hinweis", "Erlaubte Werte"],
                notes,
            )
        ]
    )
    return f"vorlage-{stem}.xlsx", data


def sheet_for(kind: str) -> Sheet:
    sheet = BY_KIND.get(kind) or tables.SHEET_TITLES.get(tables.normalise_header(kind))
    if sheet is None:
        raise Invalid(_("Unbekannte Tabelle: %(kind)s", kind=kind))
    return sheet


# --- export -------------------------------------------------------------------------------------


def german(member) -> str:
    """A vocabulary member's German label (the msgid), whatever the user's language."""
    lazy = type(member).labels()[member]
    return lazy._args[0] if getattr(lazy, "_args", None) else str(lazy)


def _value(value: Any) -> Any:
    if isinstance(
        value, LegalBasis | Level | Sector | Status | RelationKind | TopicRole | ProjectStatus
    ):
        return german(value)
    return value


def actor_rows(query: sa.Select | None = None) -> list[list]:
    query = query if query is not None else sa.select(Actor).order_by(Actor.name_key)
    rows = []
    for a in db.session.scalars(query).unique():
        rows.append(
            [
                a.external_id or "",
                a.name,
                a.short_name,
                a.category_key,
                german(a.sector),
                german(a.level),
                a.city,
                a.country,
                a.website,
                a.description,
                a.power,
                a.interest,
                german(a.status),
            ]
        )
    return rows


def _rows(kind: str) -> list[list]:
    if kind == "actors":
        return actor_rows()
    if kind == "topics":
        return [[t.code, t.title, t.description, t.priority] for t in topic_services.topics()]
    if kind == "contacts":
        query = (
            sa.select(Contact, Actor.name, Actor.external_id)
            .join(Actor)
            .order_by(Actor.name_key, sa.func.lower(Contact.name), Contact.id)
        )
        return [
            [
                name,
                ext or "",
                c.name,
                c.function,
                c.email,
                c.phone,
                c.language,
                c.timezone,
                c.notes,
                _value(LegalBasis.parse(c.legal_basis) or c.legal_basis),
                c.consent_date,
                c.consent_source,
                c.consent_invitations,
                c.consent_revoked_at,
            ]
            for c, name, ext in db.session.execute(query)
        ]
    if kind == "links":
        query = (
            sa.select(ActorTopic, Actor.name, Actor.external_id, Topic.code)
            .join(Actor, ActorTopic.actor_id == Actor.id)
            .join(Topic, ActorTopic.topic_id == Topic.id)
            .order_by(Actor.name_key, Topic.priority, Topic.code)
        )
        return [
            [name, ext or "", code, german(link.role), link.note]
            for link, name, ext, code in db.session.execute(query)
        ]
    if kind == "relations":
        src, tgt = aliased(Actor), aliased(Actor)
        query = (
            sa.select(
                src.name,
                src.external_id,
                tgt.name,
                tgt.external_id,
                Relation.kind,
                Relation.directed,
                Relation.strength,
                Relation.note,
            )
            .join(src, Relation.source_id == src.id)
            .join(tgt, Relation.target_id == tgt.id)
            .order_by(src.name_key, tgt.name_key, Relation.kind)
        )
        return [
            [s, se or "", t, te or "", german(k), d, st, n]
            for s, se, t, te, k, d, st, n in db.session.execute(query)
        ]
    if kind == "projects":
        return project_rows()
    raise Invalid(_("Unbekannte Tabelle: %(kind)s", kind=kind))


def project_rows() -> list[list]:
    """Projects with the actors named as in the import (lists joined with ;)."""
    rows = []
    for p in project_services.projects():
        rows.append(
            [
                p.title,
                p.description,
                "; ".join(t.code for t in p.topics),
                german(p.status),
                p.lead.name if p.lead else "",
                (p.lead.external_id or "") if p.lead else "",
                "; ".join(a.name for a in p.partners),
                p.partner_city.name if p.partner_city else "",
                p.starts_on,
                p.ends_on,
                p.funding_amount,
                p.funder.name if p.funder else "",
                p.funding_programme,
                "; ".join(p.target_list),
                " ".join(p.link_list),
            ]
        )
    return sorted(rows, key=lambda r: r[0].casefold())


@dataclass
class Download:
    filename: str
    mimetype: str
    data: bytes


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MIMETYPES = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX, "zip": "application/zip"}


def _check_format(fmt: str) -> None:
    if fmt not in ("csv", "xlsx"):
        raise Invalid(_("Unbekanntes Format: %(fmt)s (csv oder xlsx)", fmt=fmt))


def _audit_export(what: str, fmt: str, personal: bool, rows: int) -> None:
    record(
        "export",
        None,
        "export",
        {
            "content": [None, what],
            "format": [None, fmt],
            "personal_data": [None, personal],
            "rows": [None, rows],
        },
        label=f"Export: {what} ({fmt}){' mit Kontaktdaten' if personal else ''}",
    )
    db.session.commit()


def export_entities(kind: str, fmt: str, personal: bool = False) -> Download:
    """One kind as CSV or XLSX, or "alle": a workbook (or a ZIP of CSV files) of every kind.

    Contacts are personal data: the contact sheet is only written when asked for, either as
    the kind itself or with personal=True, and every export is recorded in the audit trail."""
    _check_format(fmt)
    if kind == "alle":
        sheets = [s for s in SHEETS if personal or not s.personal]
    else:
        sheets = [sheet_for(kind)]
        personal = personal or sheets[0].personal
    data = [(s, _rows(s.kind)) for s in sheets]
    total = sum(len(rows) for _, rows in data)
    if fmt == "xlsx":
        stem = "netzwerk" if kind == "alle" else sheets[0].file_stem
        result = Download(
            f"{stem}.xlsx", XLSX, tables.write_xlsx((s.de, s.headers(), r) for s, r in data)
        )
    elif len(data) == 1:
        s, rows = data[0]
        result = Download(
            f"{s.file_stem}.csv", MIMETYPES["csv"], tables.write_csv(s.headers(), rows)
        )
    else:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            for s, rows in data:
                zf.writestr(f"{s.file_stem}.csv", tables.write_csv(s.headers(), rows))
        result = Download("netzwerk-csv.zip", MIMETYPES["zip"], buffer.getvalue())
    what = "alle Tabellen" if kind == "alle" else sheets[0].de
    _audit_export(what, fmt, personal, total)
    return result


def export_actor_list(filters: dict[str, Any], fmt: str) -> Download:
    """The actor list as filtered on the actor page, with the import's headers."""
    _check_format(fmt)
    rows = actor_rows(actor_services.actor_query(filters))
    if fmt == "xlsx":
        data = tables.write_xlsx([(ACTORS.de, ACTORS.headers(), rows)])
    else:
        data = tables.write_csv(ACTORS.headers(), rows)
    described = ", ".join(f"{k}={v}" for k, v in sorted(filters.items())) or "ohne Filter"
    _audit_export(f"Akteursliste ({described})", fmt, False, len(rows))
    return Download(f"akteure-auswahl.{fmt}", MIMETYPES[fmt], data)


def _analysis():
    from ..network import analysis, graph

    return analysis, graph.build_graph()


def coverage_tables() -> list[tuple[str, list[str], list[list]]]:
    """The actor × topic matrix (role per cell) and the have/need counts per category."""
    analysis, graph = _analysis()
    data = analysis.coverage(graph, analysis.load_reference())
    labels = dict(db.session.execute(sa.select(Category.key, Category.label_de)).all())
    codes = [t["code"] for t in data["topics"]]
    role_labels = {r.value: german(r) for r in TopicRole}
    matrix = [
        [row["label"], labels.get(row["category"], row["category"])]
        + [
            role_labels.get(row["roles"].get(code, ""), row["roles"].get(code, ""))
            for code in codes
        ]
        for row in data["rows"]
    ]
    needs = [
        [
            n["topic"],
            labels.get(n["category"], n["category"]),
            n["have"],
            n["need"],
            n["candidates"],
            "ja" if n["have"] >= n["need"] else "nein",
        ]
        for n in data["categories"]
    ]
    return [
        ("Abdeckung", ["Akteur", "Kategorie", *codes], matrix),
        (
            "Kategorien je Thema",
            ["Thema", "Kategorie", "vorhanden", "erwartet", "Kandidaten", "erfüllt"],
            needs,
        ),
    ]


def gaps_table() -> tuple[str, list[str], list[list]]:
    analysis, graph = _analysis()
    labels = dict(db.session.execute(sa.select(Category.key, Category.label_de)).all())
    rows = [
        [
            g["topic"],
            labels.get(g["category"], g["category"]),
            g["have"],
            g["need"],
            g["candidates"],
            g["reason"],
        ]
        for g in analysis.gaps(graph, analysis.load_reference())
    ]
    return (
        "Lücken",
        ["Thema", "Kategorie", "vorhanden", "erwartet", "Kandidaten", "Begründung"],
        rows,
    )


def export_report(which: str, fmt: str) -> Download:
    """The coverage matrix ("abdeckung") or the gaps report ("luecken")."""
    _check_format(fmt)
    if which == "abdeckung":
        sheets = coverage_tables()
    elif which == "luecken":
        sheets = [gaps_table()]
    else:
        raise Invalid(_("Unbekannter Bericht: %(which)s", which=which))
    if fmt == "xlsx":
        data = tables.write_xlsx(sheets)
    else:
        title, headers, rows = sheets[0]
        data = tables.write_csv(headers, rows)
    _audit_export(sheets[0][0], fmt, False, sum(len(s[2]) for s in sheets))
    return Download(f"{which}.{fmt}", MIMETYPES[fmt], data)


def export_everything(directory, personal: bool = False) -> list[Path]:
    """`flask export DIR`: every table, report and network file, written into a temporary
    folder beside DIR and moved into DIR only when all of them are complete, so a failure
    leaves DIR as it was (no half export)."""
    from ..network.exports import export_all

    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
    try:
        names = export_directory(scratch, personal=personal)
        names += [p.name for p in export_all(scratch)]
        directory.mkdir(exist_ok=True)
        for name in names:
            os.replace(scratch / name, directory / name)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return [directory / name for name in names]


def export_directory(directory, personal: bool = False) -> list[str]:
    """Every kind as CSV, the whole workbook, coverage and gaps into `directory` (the CLI)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    sheets = [s for s in SHEETS if personal or not s.personal]
    data = [(s, _rows(s.kind)) for s in sheets]
    for s, rows in data:
        (directory / f"{s.file_stem}.csv").write_bytes(tables.write_csv(s.headers(), rows))
        written.append(f"{s.file_stem}.csv")
    (directory / "netzwerk.xlsx").write_bytes(
        tables.write_xlsx((s.de, s.headers(), r) for s, r in data)
    )
    written.append("netzwerk.xlsx")
    reports = {"abdeckung": coverage_tables(), "luecken": [gaps_table()]}
    for stem, sheets_ in reports.items():
        (directory / f"{stem}.xlsx").write_bytes(tables.write_xlsx(sheets_))
        _, headers, rows = sheets_[0]
        (directory / f"{stem}.csv").write_bytes(tables.write_csv(headers, rows))
        written += [f"{stem}.csv", f"{stem}.xlsx"]
    _audit_export("alle Tabellen (Verzeichnis)", "csv+xlsx", personal, sum(len(r) for _, r in data))
    return written


# --- uploads between preview and "Übernehmen" ---------------------------------------------------


def _upload_dir() -> Path:
    """Checked uploads wait here for "Übernehmen" (IMPORT_DIR, by default instance/imports)."""
    return Path(current_app.config.get("IMPORT_DIR") or Path(current_app.instance_path) / "imports")


def _lifetime() -> float:
    return float(current_app.config.get("IMPORT_PREVIEW_HOURS", 24)) * 3600


def _expired(folder: Path) -> bool:
    return time.time() - folder.stat().st_mtime > _lifetime()


def expire_uploads() -> int:
    """Remove checked uploads older than IMPORT_PREVIEW_HOURS (24): they hold names and e-mail
    addresses nobody has confirmed. Runs on every upload and with `flask import-cleanup`."""
    root = _upload_dir()
    if not root.is_dir():
        return 0
    removed = 0
    for folder in root.iterdir():
        if folder.is_dir() and _expired(folder):
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def stash_upload(files: list[tuple[str, bytes]], user_id: int) -> str:
    """Keep the checked files until the user confirms; old ones (a day) are removed."""
    root = _upload_dir()
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    expire_uploads()
    token = secrets.token_urlsafe(24)
    folder = root / token
    folder.mkdir(mode=0o700)
    names = []
    for i, (name, data) in enumerate(files):
        stored = f"{i:03d}"
        write_private(folder / stored, data)
        names.append([stored, Path(name).name or f"datei-{i + 1}"])
    write_private(folder / "meta.json", json.dumps({"user_id": user_id, "files": names}).encode())
    return token


def load_upload(token: str, user_id: int) -> list[tuple[str, bytes]]:
    folder = _upload_dir() / token
    gone = NotFound(_("Die geprüften Dateien sind nicht mehr da; bitte erneut hochladen."))
    if not re.fullmatch(r"[A-Za-z0-9_-]{20,64}", token) or not (folder / "meta.json").is_file():
        raise gone
    if _expired(folder):
        shutil.rmtree(folder, ignore_errors=True)
        raise gone
    meta = json.loads((folder / "meta.json").read_text())
    if meta["user_id"] != user_id:
        raise gone
    return [(name, (folder / stored).read_bytes()) for stored, name in meta["files"]]


def remove_uploads_mentioning(patterns: list[re.Pattern]) -> int:
    """Art. 17: remove every checked upload that names the erased person (in any cell of any
    file); an upload that cannot be read any more is removed too, to be sure."""
    root = _upload_dir()
    if not patterns or not root.is_dir():
        return 0
    removed = 0
    for folder in root.iterdir():
        if not folder.is_dir():
            continue
        try:
            meta = json.loads((folder / "meta.json").read_text())
            texts = []
            for stored, name in meta["files"]:
                for table in tables.read_file(name, (folder / stored).read_bytes()):
                    texts.append(" ".join(table.headers))
                    texts.extend(" ".join(map(str, row.values())) for _, row in table.rows)
            mentioned = any(p.search(text) for text in texts for p in patterns)
        except (OSError, ValueError, KeyError, DomainError):
            mentioned = True
        if mentioned:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def drop_upload(token: str) -> None:
    if re.fullmatch(r"[A-Za-z0-9_-]{20,64}", token):
        shutil.rmtree(_upload_dir() / token, ignore_errors=True)
