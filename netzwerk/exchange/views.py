"""Import and export pages, data-protection pages (access, erasure, retention, privacy notice)."""

from __future__ import annotations

import io
import json

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from ..actors import services as actor_services
from ..actors.vocab import LegalBasis, Level, RelationKind, Sector, Status
from ..auth.permissions import admin_required, editor_required, public
from ..core.errors import DomainError
from ..core.views import confirm_delete
from ..topics.models import TopicRole
from . import privacy as data_protection
from . import services, vcard
from .forms import ApplyImportForm, ImportForm
from .tables import SHEETS

bp = Blueprint("exchange", __name__)

ACTOR_FILTERS = ("q", "category", "sector", "topic", "status", "level")
PREVIEW_LIMIT = 200  # rows listed per action in the preview; the counts are always complete


def _download(result: services.Download):
    return send_file(
        io.BytesIO(result.data),
        mimetype=result.mimetype,
        as_attachment=True,
        download_name=result.filename,
        max_age=0,
    )


def _index(form: ImportForm | None = None, status: int = 200):
    return (
        render_template(
            "exchange/index.html",
            form=form or ImportForm(),
            sheets=SHEETS,
            categories=actor_services.categories(),
            vocabularies=[
                (_("Sektor"), Sector),
                (_("Ebene"), Level),
                (_("Status"), Status),
                (_("Art der Beziehung"), RelationKind),
                (_("Rolle im Thema"), TopicRole),
                (_("Rechtsgrundlage"), LegalBasis),
            ],
        ),
        status,
    )


@bp.route("/austausch/")
@editor_required
def index():
    return _index()


# --- import -------------------------------------------------------------------------------------


@bp.route("/austausch/import", methods=["POST"])
@editor_required
def preview():
    form = ImportForm()
    if not form.validate_on_submit():
        return _index(form, 422)
    files = [(f.filename or "upload", f.read()) for f in form.files.data]
    try:
        report = services.import_files(files, commit=False)
    except DomainError as exc:
        flash(exc.message, "error")
        return _index(form, exc.status)
    token = services.stash_upload(files, current_user.id) if report.ok else ""
    return _preview(report, token)


def _preview(report: services.ImportReport, token: str, status: int = 200):
    listed = {"create": [], "update": []}
    totals = {"create": 0, "update": 0}
    for row in report.rows:
        if row.action in listed:
            totals[row.action] += 1
            if len(listed[row.action]) < PREVIEW_LIMIT:
                listed[row.action].append(row)
    return render_template(
        "exchange/preview.html",
        tables=report.tables,
        counts=report.counts(),
        rejected=report.rejected,
        listed=listed,
        totals=totals,
        ok=report.ok and bool(token),
        apply_form=ApplyImportForm(token=token),
        limit=PREVIEW_LIMIT,
        labels=services.KIND_LABELS,
    ), status


@bp.route("/austausch/import/uebernehmen", methods=["POST"])
@editor_required
def apply():
    form = ApplyImportForm()
    if not form.validate_on_submit():
        abort(400)
    token = form.token.data
    files = services.load_upload(token, current_user.id)
    report = services.import_files(files, commit=True)
    if not report.applied:
        # the data changed since the preview: show what is wrong now
        flash(_("Seit der Vorschau hat sich etwas geändert; nichts wurde übernommen."), "error")
        return _preview(report, token if report.ok else "", 409)
    services.drop_upload(token)
    flash(_("Import übernommen: %(summary)s", summary=report.summary()), "success")
    return redirect(url_for("exchange.index"))


@bp.route("/austausch/vorlage/<name>.<fmt>")
@editor_required
def template(name: str, fmt: str):
    if fmt not in ("csv", "xlsx") or (fmt == "csv" and name == "alle"):
        abort(404)
    filename, data = services.template_file(name, fmt)
    return _download(services.Download(filename, services.MIMETYPES[fmt], data))


# --- export -------------------------------------------------------------------------------------


@bp.route("/austausch/export/akteursliste.<fmt>")
@editor_required
def export_actor_list(fmt: str):
    """CSV/XLSX of the filtered actor list, or (.vcf) the address book of their contacts."""
    filters = {k: request.args[k] for k in ACTOR_FILTERS if request.args.get(k)}
    if fmt == "vcf":
        return _download(vcard.export_actor_list(filters))
    return _download(services.export_actor_list(filters, fmt))


@bp.route("/austausch/export/<name>.<fmt>")
@editor_required
def export(name: str, fmt: str):
    personal = request.args.get("kontakte") in ("1", "ja", "on")
    if name != "alle":
        name = services.sheet_for(name).kind
    return _download(services.export_entities(name, fmt, personal=personal))


@bp.route("/austausch/bericht/<which>.<fmt>")
@editor_required
def report(which: str, fmt: str):
    return _download(services.export_report(which, fmt))


# --- data protection ------------------------------------------------------------------------


@bp.route("/austausch/kontakte/<int:contact_id>/auskunft")
@editor_required
def subject_access(contact_id: int):
    contact = actor_services.get_contact(contact_id)
    data = data_protection.subject_data(contact)
    data_protection.record_access(contact, "html")
    return render_template("exchange/subject_access.html", contact=contact, data=data)


@bp.route("/austausch/kontakte/<int:contact_id>/auskunft.json")
@editor_required
def subject_access_json(contact_id: int):
    contact = actor_services.get_contact(contact_id)
    data = data_protection.subject_data(contact)
    data_protection.record_access(contact, "json")
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f"attachment; filename=auskunft-kontakt-{contact_id}.json"},
    )


@bp.route("/austausch/kontakte/<int:contact_id>/loeschen", methods=["GET", "POST"])
@admin_required
def erase(contact_id: int):
    contact = actor_services.get_contact(contact_id)
    back = url_for("actors.show", actor_id=contact.actor_id)

    def erase() -> dict:
        summary = data_protection.erase_contact(contact)
        if not summary["file_purged"]:
            flash(
                _(
                    "Die Datenbankdatei war in Benutzung und konnte nicht neu geschrieben "
                    "werden; Reste der gelöschten Angaben können dort stehen, bis SQLite die "
                    "freien Bereiche wiederverwendet."
                ),
                "error",
            )
        return summary

    return confirm_delete(
        contact.name,
        erase,
        lambda summary: _(
            "Die personenbezogenen Daten von Kontakt #%(id)s wurden gelöscht "
            "(%(n)s Protokolleinträge geschwärzt).",
            id=contact_id,
            n=summary["audit_entries_blanked"],
        ),
        back,
        back,
        consequences=[
            _("Name, E-Mail, Telefon, Funktion und Notizen dieser Person"),
            _("ihr Name und ihre E-Mail-Adresse in allen Einträgen des Änderungsprotokolls"),
            _("Kommentare und Mails zu ihren Einladungen (Zu- und Absagen bleiben anonym gezählt)"),
            _("Die Organisation %(actor)s bleibt erhalten.", actor=contact.actor.name),
        ],
    )


@bp.route("/austausch/aufbewahrung")
@editor_required
def retention():
    months = request.args.get("monate", type=int) or data_protection.default_months()
    months = min(max(months, 1), 600)
    return render_template(
        "exchange/retention.html", rows=data_protection.retention(months), months=months
    )


@bp.route("/datenschutz")
@public
def privacy():
    """The privacy notice (linked in the footer); its text is a template the city adapts."""
    return render_template("exchange/privacy.html", months=data_protection.default_months())
