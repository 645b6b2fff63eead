"""Data-protection rights of contacts (DSGVO): access (Art. 15), erasure (Art. 17), retention.

Other domains keep data about a contact too (workshops: invitations, replies, attendance,
mails). They answer for their part through the signals in core/signals.py, so this module
knows none of them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from flask import current_app
from sqlalchemy.exc import OperationalError

from ..actors.models import Actor, Contact
from ..actors.vocab import LegalBasis
from ..audit.models import AuditEntry
from ..audit.services import plain, record
from ..core import signals
from ..core.timeutil import aware, utcnow
from ..extensions import db
from .models import ErasedIdentity

ERASED = "[gelöscht]"
CONTACT_DATA = (
    "name",
    "function",
    "email",
    "phone",
    "language",
    "timezone",
    "notes",
)


def _iso(value: datetime | None) -> str | None:
    return aware(value).isoformat() if value is not None else None


# --- finding what is stored about a person --------------------------------------------------


def _identities(contact: Contact, own: list[AuditEntry]) -> list[str]:
    """The person's name and e-mail, now and as the audit trail knew them before."""
    values = {contact.name, contact.email}
    for entry in own:
        for field in ("name", "email"):
            values.update(v for v in entry.changes.get(field, []) if isinstance(v, str))
    # very short values would match inside unrelated words
    return sorted(v.strip() for v in values if v and len(v.strip()) >= 3)


def _patterns(identities: list[str]) -> list[re.Pattern]:
    """Each value as a whole word, in any case."""
    return [re.compile(rf"(?<!\w){re.escape(v)}(?!\w)", re.IGNORECASE) for v in identities]


def _like_terms(identities: list[str]) -> list[str]:
    terms = []
    for value in identities:
        terms.append(value)
        escaped = json.dumps(value)[1:-1]  # how the JSON column stores non-ASCII text
        if escaped != value:
            terms.append(escaped)
    return terms


def _audit_about(contact: Contact) -> tuple[list[AuditEntry], list[AuditEntry], list[str]]:
    """The entries about the contact itself, other entries naming them (invitations, replies),
    and the names and addresses looked for."""
    own = list(
        db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.entity == "contact", AuditEntry.entity_id == contact.id)
            .order_by(AuditEntry.created_at, AuditEntry.id)
        )
    )
    identities = _identities(contact, own)
    terms = _like_terms(identities)
    if not terms:
        return own, [], identities
    # a cheap pre-selection in SQL; the patterns below decide. `contains` with autoescape takes
    # % _ and the backslash of "\u00eb" literally (PostgreSQL's LIKE would read it as an escape)
    columns = (AuditEntry.label, sa.cast(AuditEntry.changes, sa.Text))
    found = [
        condition
        for column in columns
        for t in terms
        for condition in (
            column.contains(t, autoescape=True),  # SQLite lowers only ASCII: "Ä" stays
            sa.func.lower(column).contains(t.lower(), autoescape=True),
        )
    ]
    candidates = db.session.scalars(
        sa.select(AuditEntry)
        .where(
            sa.or_(*found),
            sa.not_(sa.and_(AuditEntry.entity == "contact", AuditEntry.entity_id == contact.id)),
        )
        .order_by(AuditEntry.created_at, AuditEntry.id)
    )
    patterns = _patterns(identities)
    return own, [e for e in candidates if _mentions(e, patterns)], identities


def _mentions(entry: AuditEntry, patterns: list[re.Pattern]) -> bool:
    text = entry.label + " " + json.dumps(entry.changes, ensure_ascii=False, default=str)
    return any(p.search(text) for p in patterns)


def _scrub(value: Any, patterns: list[re.Pattern]) -> Any:
    if isinstance(value, str):
        for p in patterns:
            value = p.sub(ERASED, value)
        return value
    if isinstance(value, list):
        return [_scrub(v, patterns) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v, patterns) for k, v in value.items()}
    return value


def _audit_json(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "created_at": _iso(entry.created_at),
        "username": entry.username,
        "entity": entry.entity,
        "entity_id": entry.entity_id,
        "action": entry.action,
        "label": entry.label,
        "changes": entry.changes,
    }


# --- Art. 15: access ------------------------------------------------------------------------


def _other_domains(contact: Contact) -> dict[str, Any]:
    """{section: data} from every domain that keeps data about the person."""
    return dict(signals.results(signals.personal_data, contact))


def subject_data(contact: Contact) -> dict[str, Any]:
    """Everything stored about one person (Art. 15 DSGVO), as plain JSON-ready data."""
    basis = LegalBasis.parse(contact.legal_basis)
    return {
        "generated_at": _iso(utcnow()),
        "contact": {
            "id": contact.id,
            **{f: getattr(contact, f) for f in CONTACT_DATA},
            "created_at": _iso(contact.created_at),
            "updated_at": _iso(contact.updated_at),
        },
        "organisation": {"id": contact.actor.id, "name": contact.actor.name},
        "data_protection": {
            "legal_basis": contact.legal_basis,
            "legal_basis_label": basis.label if basis else contact.legal_basis,
            "consent_date": plain(contact.consent_date),
            "consent_source": contact.consent_source,
            "consent_invitations": contact.consent_invitations,
            "consent_revoked_at": _iso(contact.consent_revoked_at),
            "may_invite": contact.may_invite,
        },
        **_other_domains(contact),
        "audit": [_audit_json(e) for e in _audit_entries(contact)],
    }


def _audit_entries(contact: Contact) -> list[AuditEntry]:
    own, mentions, _ = _audit_about(contact)
    return sorted(own + mentions, key=lambda e: (e.created_at, e.id))


def record_access(contact: Contact, fmt: str) -> None:
    """Answering an access request is itself logged (without the person's data)."""
    record(
        "contact",
        contact.id,
        "export",
        {"art15": [None, fmt]},
        label=f"Auskunft nach Art. 15 DSGVO (Kontakt #{contact.id})",
    )
    db.session.commit()


# --- Art. 17: erasure -----------------------------------------------------------------------


def _erase_in_other_domains(contact: Contact) -> dict[str, int]:
    """{what: count} erased or anonymised by the other domains, inside this transaction."""
    counts: dict[str, int] = {}
    for part in signals.results(signals.erase_personal_data, contact):
        counts.update(part)
    return counts


def _remove_outbox_files(patterns: list[re.Pattern]) -> int:
    """Mails written to the outbox folder (no SMTP configured) that name the person."""
    folder = Path(current_app.config.get("OUTBOX_DIR", ""))
    if not patterns or not folder.is_dir():
        return 0
    removed = 0
    for path in folder.glob("**/*.eml"):
        text = path.read_bytes().decode("utf-8", errors="replace")
        if any(p.search(text) for p in patterns):
            path.unlink()
            removed += 1
    return removed


def erase_contact(contact: Contact, purge: bool = True) -> dict[str, Any]:
    """Erase a person (Art. 17 DSGVO): the contact row, their name and e-mail wherever the audit
    trail mentions them, the personal parts of invitations and mails, pending import previews
    naming them. The organisation, the invitations and their answers (anonymous) stay, so
    counts remain right. The erasure itself is logged without the erased data, the person is
    remembered only as keyed hashes (to erase them again after restoring an older backup), and
    the freed bytes are overwritten in the file (purge=False leaves that to the caller)."""
    contact_id, actor = contact.id, contact.actor
    _secure_delete_on()
    own, mentions, identities = _audit_about(contact)
    patterns = _patterns(identities)
    remember_erased(contact_id, [contact.name, contact.email, *identities])
    for entry in own:
        entry.changes = {field: [None, None] for field in entry.changes}
        entry.label = f"Kontakt #{contact_id} ({ERASED})"
    for entry in mentions:
        entry.changes = _scrub(entry.changes, patterns)
        entry.label = _scrub(entry.label, patterns)[:300]
    other_counts = _erase_in_other_domains(contact)
    db.session.delete(contact)
    db.session.flush()
    summary = {
        "contact_id": contact_id,
        "actor_id": actor.id,
        "audit_entries_blanked": len(own) + len(mentions),
        **{f"{k}_anonymised": v for k, v in other_counts.items()},
    }
    record(
        "contact",
        contact_id,
        "erase",
        {k: [None, v] for k, v in summary.items() if k != "contact_id"},
        label=f"Kontakt #{contact_id} bei {actor.name} gelöscht (Art. 17 DSGVO)",
    )
    db.session.commit()
    summary["outbox_files_removed"] = _remove_outbox_files(patterns)
    from .services import remove_uploads_mentioning

    summary["import_previews_removed"] = remove_uploads_mentioning(patterns)
    summary["file_purged"] = purge_free_space() if purge else False
    return summary


# --- erased identities: erasing again after a restore -----------------------------------------


def _erasure_key() -> bytes:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hashlib.sha256(b"netzwerk erased identity\x00" + secret).digest()


def erasure_key_id() -> str:
    """Names the key the digests were made with, without revealing it."""
    return hashlib.sha256(_erasure_key()).hexdigest()[:16]


def normalise_identity(kind: str, value: str) -> str:
    if kind == "email":
        return value.strip().casefold()
    return " ".join(value.split()).casefold()


def identity_digest(kind: str, value: str) -> str:
    text = normalise_identity(kind, value).encode()
    return hmac.new(_erasure_key(), text, hashlib.sha256).hexdigest()


def remember_erased(contact_id: int, values: list[str]) -> None:
    """Keep the erased person's names and addresses as keyed hashes (in the caller's
    transaction)."""
    key_id = erasure_key_id()
    seen = set()
    for value in values:
        if not value or not value.strip():
            continue
        kind = "email" if "@" in value else "name"
        digest = identity_digest(kind, value)
        if (kind, digest) in seen:
            continue
        seen.add((kind, digest))
        db.session.add(
            ErasedIdentity(kind=kind, digest=digest, key_id=key_id, contact_id=contact_id)
        )


def erased_identities() -> list[dict[str, Any]]:
    """Every recorded erasure as plain rows (read before a restore replaces the database)."""
    try:
        rows = db.session.scalars(sa.select(ErasedIdentity)).all()
    except sa.exc.DatabaseError:  # a database from before the table existed
        db.session.rollback()
        return []
    return [
        {
            "kind": r.kind,
            "digest": r.digest,
            "key_id": r.key_id,
            "contact_id": r.contact_id,
            "erased_at": r.erased_at,
        }
        for r in rows
    ]


def reapply_erasures(carried: list[dict[str, Any]]) -> dict[str, Any]:
    """After a restore: add the erasures recorded before it and erase again every contact of
    the restored data they name: the same e-mail address, or the same contact number with the
    same name. A contact who only shares an erased name is listed, not erased (namesakes)."""
    have = {(r.kind, r.digest, r.contact_id) for r in db.session.scalars(sa.select(ErasedIdentity))}
    for row in carried:
        if (row["kind"], row["digest"], row["contact_id"]) not in have:
            db.session.add(ErasedIdentity(**row))
            have.add((row["kind"], row["digest"], row["contact_id"]))
    db.session.commit()
    key_id = erasure_key_id()
    rows = db.session.scalars(sa.select(ErasedIdentity)).all()
    usable = [r for r in rows if r.key_id == key_id]
    emails = {r.digest for r in usable if r.kind == "email"}
    names = {r.digest for r in usable if r.kind == "name"}
    named_ids = {(r.contact_id, r.digest) for r in usable if r.kind == "name"}
    erased, namesakes = [], []
    for contact in db.session.scalars(sa.select(Contact).order_by(Contact.id)).all():
        email = identity_digest("email", contact.email) if contact.email else None
        name = identity_digest("name", contact.name)
        if (email and email in emails) or (contact.id, name) in named_ids:
            erased.append(contact.id)
            erase_contact(contact, purge=False)
        elif name in names:
            namesakes.append(contact.id)
    if erased:
        purge_free_space()
    return {
        "erased": erased,
        "namesakes": namesakes,
        "recorded": len({(r.kind, r.digest) for r in rows}),
        "other_key": len(rows) - len(usable),
    }


def _secure_delete_on() -> None:
    if db.engine.dialect.name == "sqlite":
        db.session.execute(sa.text("PRAGMA secure_delete=ON"))


def purge_free_space() -> bool:
    """Rewrite the SQLite file so that deleted text is not left in free pages or the WAL.

    VACUUM builds the file anew (no stale copies from earlier page splits), the TRUNCATE
    checkpoint moves the new pages in and empties the write-ahead log. PostgreSQL reclaims dead
    rows by autovacuum; nothing to do here."""
    if db.engine.dialect.name != "sqlite":
        return False
    # the caller has committed: the session holds no transaction that VACUUM would wait for
    for attempt in range(3):
        if attempt:
            time.sleep(1)  # another request is reading or writing: give it a moment
        try:
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("PRAGMA secure_delete=ON")
                conn.exec_driver_sql("VACUUM")
                busy, _, _ = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
        except OperationalError as exc:  # locked for longer than the busy timeout
            current_app.logger.warning("VACUUM nach einer Löschung nicht möglich: %s", exc)
            continue
        if not busy:
            return True
    return False


# --- retention ------------------------------------------------------------------------------


def default_months() -> int:
    return int(current_app.config.get("RETENTION_MONTHS", 24))


def retention(months: int | None = None) -> list[dict[str, Any]]:
    """Contacts with no activity for `months` months, the longest unseen first.

    Activity is a change of the contact, an audit entry about them (answering an access request
    does not count) or, where workshops exist, an invitation or a reply."""
    months = default_months() if months is None else months
    cutoff = utcnow() - relativedelta(months=months)
    audit_last = (
        sa.select(AuditEntry.entity_id.label("cid"), sa.func.max(AuditEntry.created_at).label("at"))
        .where(AuditEntry.entity == "contact", AuditEntry.action != "export")
        .group_by(AuditEntry.entity_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Contact, Actor, audit_last.c.at)
        .join(Actor, Contact.actor_id == Actor.id)
        .outerjoin(audit_last, audit_last.c.cid == Contact.id)
    ).all()
    other_last = _activity_in_other_domains()
    result = []
    for contact, actor, audited in rows:
        moments = [contact.created_at, contact.updated_at, audited, other_last.get(contact.id)]
        last = max(m for m in moments if m is not None)
        if last < cutoff:
            basis = LegalBasis.parse(contact.legal_basis)
            result.append(
                {
                    "contact": contact,
                    "actor": actor,
                    "last_activity": last,
                    "legal_basis": basis.label if basis else contact.legal_basis,
                }
            )
    result.sort(key=lambda r: r["last_activity"])
    return result


def _activity_in_other_domains() -> dict[int, datetime]:
    """contact id → the newest activity any other domain knows of (invitations, replies)."""
    latest: dict[int, datetime] = {}
    for part in signals.results(signals.contact_activity):
        for contact_id, moment in part.items():
            if moment is not None and (contact_id not in latest or moment > latest[contact_id]):
                latest[contact_id] = moment
    return latest
