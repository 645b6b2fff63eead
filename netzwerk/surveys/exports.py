"""A survey's responses as CSV or XLSX: one sheet of recipients and one of proposals. Contact
names, e-mail addresses and the free comments are personal data and only written when asked
for (as the other exports); every export is recorded in the audit trail."""

from __future__ import annotations

import io
import zipfile

import sqlalchemy as sa
from flask_babel import gettext as _

from ..audit.services import record
from ..core.errors import Invalid
from ..core.timeutil import DEFAULT_TZ, in_zone
from ..exchange import tables
from ..exchange.services import MIMETYPES, Download
from ..exchange.vcard import export_contacts
from ..extensions import db
from .models import Survey, SurveyProposal
from .services import label, recipient_contacts, recipient_rows


def _local(value):
    return in_zone(value, DEFAULT_TZ).replace(tzinfo=None) if value else None


def _yes_no(value):
    return None if value is None else bool(value)


def recipient_table(survey: Survey, personal: bool) -> tuple[str, list[str], list[list]]:
    headers = ["Organisation", "Kategorie", "Sektor"]
    if personal:
        headers += ["Kontakt", "E-Mail", "Sprache"]
    headers += [
        "eingeladen",
        "erinnert",
        "geantwortet",
        "zuletzt gespeichert",
        "Eintrag bestätigt",
        "Zustimmung Karte",
    ]
    if personal:
        headers.append("Kommentar")
    rows = []
    for row in recipient_rows(survey):
        r, contact, actor = row["recipient"], row["contact"], row["actor"]
        line = [
            actor.name if actor else "",
            actor.category.label_de if actor else "",
            actor.sector.label if actor else "",
        ]
        if personal:
            line += [contact.name if contact else "", contact.email if contact else "", r.language]
        line += [
            _local(row["invited_at"]),
            _local(row["reminded_at"]),
            _local(r.answered_at),
            _local(r.saved_at),
            _yes_no(r.record_confirmed),
            _yes_no(r.consent_map),
        ]
        if personal:
            line.append(r.comment)
        rows.append(line)
    return "Befragte", headers, rows


def proposal_table(survey: Survey) -> tuple[str, list[str], list[list]]:
    headers = [
        "Nr.",
        "Organisation",
        "Art",
        "Thema",
        "Partner/Name",
        "Beziehungsart",
        "Stärke",
        "Rolle",
        "Kategorie",
        "Begründung",
        "Änderungen",
        "Status",
        "geprüft von",
        "geprüft am",
    ]
    rows = []
    for p in db.session.scalars(
        sa.select(SurveyProposal)
        .where(SurveyProposal.survey_id == survey.id)
        .order_by(SurveyProposal.id)
    ):
        changes = "; ".join(f"{f}: {old} → {new}" for f, (old, new) in p.changes.items())
        rows.append(
            [
                p.id,
                p.actor.name if p.actor else "",
                p.kind.label,
                p.topic.code if p.topic else "",
                p.partner_name,
                p.relation_kind.label if p.relation_kind else "",
                p.strength,
                p.role.label if p.role else "",
                p.category_key or "",
                p.reason,
                changes,
                p.status.label,
                p.reviewed_by,
                _local(p.reviewed_at),
            ]
        )
    return "Vorschläge", headers, rows


def export_responses(survey: Survey, fmt: str, personal: bool = False) -> Download:
    """The responses as XLSX (two sheets) or CSV (a ZIP of two files)."""
    if fmt not in ("csv", "xlsx"):
        raise Invalid(_("Unbekanntes Format: %(fmt)s (csv oder xlsx)", fmt=fmt))
    sheets = [recipient_table(survey, personal), proposal_table(survey)]
    stem = f"befragung-{survey.id}"
    if fmt == "xlsx":
        result = Download(f"{stem}.xlsx", MIMETYPES["xlsx"], tables.write_xlsx(sheets))
    else:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            for title, headers, rows in sheets:
                zf.writestr(f"{stem}-{title.lower()}.csv", tables.write_csv(headers, rows))
        result = Download(f"{stem}-csv.zip", MIMETYPES["zip"], buffer.getvalue())
    record(
        "export",
        None,
        "export",
        {
            "content": [None, label(survey)],
            "format": [None, fmt],
            "personal_data": [None, personal],
            "rows": [None, sum(len(rows) for _, _, rows in sheets)],
        },
        label=f"Export: {label(survey)} ({fmt}){' mit Kontaktdaten' if personal else ''}",
    )
    db.session.commit()
    return result


def export_address_book(survey: Survey) -> Download:
    """The recipients as one vCard file (exchange/vcard.py: contacts who revoked their consent
    are left out), audited as a personal-data export like the workshop's address book."""
    return export_contacts(
        recipient_contacts(survey),
        f"Adressbuch Befragung {survey.id} ({survey.title})",
        f"befragung-{survey.id}-empfaenger.vcf",
    )
