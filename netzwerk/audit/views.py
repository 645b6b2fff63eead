"""The audit trail for admins: who changed what and when, filtered and paged."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, render_template, request
from flask_babel import get_timezone, lazy_pgettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..auth.permissions import admin_required
from ..extensions import db
from . import services

bp = Blueprint("audit", __name__)

ENTITY_LABELS = {
    "actor": _l("Akteur"),
    "contact": _l("Kontakt"),
    "relation": _l("Beziehung"),
    "topic": _l("Thema"),
    "actor_topic": _l("Themenzuordnung"),
    "category": _l("Kategorie"),
    "user": _l("Benutzer"),
    "api_token": _l("API-Token"),
    "import": _l("Import"),
    "export": _l("Export"),
    "database": _l("Datenbank"),
    "workshop": _l("Workshop"),
    "invitation": _l("Einladung"),
    "calendar_feed": _l("Kalender-Abo"),
    "reference": _l("Referenz-Checkliste"),
}
ACTION_LABELS = {
    "create": _l("angelegt"),
    "update": _l("geändert"),
    "delete": _l("gelöscht"),
    "revoke": _l("widerrufen"),
    "import": _l("importiert"),
    "export": _l("exportiert"),
    "erase": _l("gelöscht (DSGVO)"),
    "restore": _l("wiederhergestellt"),
    "reset": _l("zurückgesetzt"),
    "renew": _l("erneuert"),
    "cancel": lazy_pgettext("workshop", "abgesagt"),
    "results": _l("Ergebnisse erfasst"),
    "attendance": _l("Anwesenheit erfasst"),
    "invite": _l("Gäste eingeladen"),
    "send": _l("Einladungen verschickt"),
    "poll_slot": _l("Terminvorschlag ergänzt"),
    "poll_slot_delete": _l("Terminvorschlag entfernt"),
    "poll_send": _l("Terminumfrage verschickt"),
    "poll_vote": _l("in der Terminumfrage abgestimmt"),
    "remove": _l("zurückgezogen"),
    "promote": _l("von der Warteliste nachgerückt"),
    "rsvp": _l("beantwortet"),
}
FILTERS = ("user", "entity", "entity_id", "from", "to")


def _parse_date(name: str, label: str) -> date | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        flash(
            _(
                "%(label)s ist kein gültiges Datum (JJJJ-MM-TT): %(value)s",
                label=label,
                value=value,
            ),
            "error",
        )
        return None


@bp.route("/admin/protokoll")
@admin_required
def index():
    filters = {k: request.args[k].strip() for k in FILTERS if request.args.get(k, "").strip()}
    start = _parse_date("from", _("Von"))
    end = _parse_date("to", _("Bis"))
    if start and end and start > end:
        flash(_("Das Von-Datum liegt nach dem Bis-Datum."), "error")
        start = end = None
    # the dates are days in the user's time zone; the trail is stored in UTC
    zone = get_timezone()
    entity_id = request.args.get("entity_id", type=int)
    query = services.entry_query(
        username=filters.get("user", ""),
        entity=filters.get("entity", ""),
        entity_id=entity_id,
        since=datetime.combine(start, time.min, tzinfo=zone) if start else None,
        until=datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone) if end else None,
    )
    per_page = current_app.config["PER_PAGE"]
    page = max(request.args.get("page", 1, type=int), 1)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    entries = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all()
    return render_template(
        "audit/index.html",
        entries=entries,
        total=total,
        page=page,
        pages=max(1, math.ceil(total / per_page)),
        filters=filters,
        choices=services.filter_choices(),
        entity_labels=ENTITY_LABELS,
        action_labels=ACTION_LABELS,
    )


@bp.app_template_filter("audit_action")
def audit_action(action: str) -> str:
    """German label of an audit action for every page that lists changes."""
    return str(ACTION_LABELS.get(action, action))


@bp.app_template_filter("audit_entity")
def audit_entity(entity: str) -> str:
    return str(ENTITY_LABELS.get(entity, entity))
