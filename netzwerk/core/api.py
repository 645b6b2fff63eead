"""The /api blueprint: session or Bearer token auth, JSON errors, paging, body checks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from ..extensions import csrf, db
from .errors import DomainError, Invalid
from .timeutil import aware
from .validation import int_value

api_bp = Blueprint("api", __name__, url_prefix="/api")
csrf.exempt(api_bp)


class BadRequest(DomainError):
    """The request itself is unreadable (not JSON, not an object): 400, not a validation error."""

    status = 400


@api_bp.before_request
def _check_csrf_for_session_requests() -> None:
    """A Bearer token cannot be sent by a foreign site; a session cookie can, so it needs CSRF."""
    if not request.headers.get("Authorization", "").startswith("Bearer "):
        csrf.protect()


@api_bp.errorhandler(IntegrityError)
def _integrity_error(exc: IntegrityError):
    """A unique constraint hit by a concurrent request the service check could not see yet."""
    db.session.rollback()
    return jsonify(error=_("Das widerspricht einem vorhandenen Eintrag (doppelt?).")), 409


@api_bp.errorhandler(StaleDataError)
def _stale_data(exc: StaleDataError):
    db.session.rollback()
    return jsonify(
        error=_("Der Eintrag wurde inzwischen von jemand anderem geändert. Bitte neu laden.")
    ), 409


def json_body() -> dict[str, Any]:
    """The request's JSON object; anything else is a 400 with a message saying what is wrong."""
    if not request.is_json:
        raise BadRequest(_("Bitte senden Sie JSON (Content-Type: application/json)."))
    try:
        data = request.get_json()
    except HTTPException as exc:
        if exc.code == 413:  # larger than MAX_CONTENT_LENGTH: answered as such
            raise
        raise BadRequest(_("Der Request-Körper ist kein gültiges JSON.")) from exc
    if not isinstance(data, dict):
        raise BadRequest(_('Der JSON-Körper muss ein Objekt sein, z. B. {"name": "…"}.'))
    return data


FIELD_TYPES: dict[str, tuple[tuple[type, ...], Any]] = {
    "text": ((str,), _l("ein Text")),
    "text?": ((str, type(None)), _l("ein Text oder null")),
    "int": ((int,), _l("eine ganze Zahl")),
    "int?": ((int, type(None)), _l("eine ganze Zahl oder null")),
    "number?": ((int, float, str, type(None)), _l("eine Zahl oder null")),
    "list": ((list,), _l("eine Liste")),
    "bool": ((bool,), _l("true oder false")),
    "ref": ((int, str), _l("eine Nummer oder ein Code")),
    "refs": ((list,), _l("eine Liste von Nummern oder Codes")),
    "ids": ((list,), _l("eine Liste von Nummern")),
}
ITEM_TYPES = {"refs": "ref", "ids": "int"}  # the type of each element of a list field


def _has_type(value: Any, kind: str) -> bool:
    types = FIELD_TYPES[kind][0]
    if isinstance(value, bool) and bool not in types:
        return False  # true is an int in Python, not in JSON
    if kind in ITEM_TYPES:
        return isinstance(value, list) and all(_has_type(v, ITEM_TYPES[kind]) for v in value)
    return isinstance(value, types)


def checked(
    data: dict[str, Any],
    writable: dict[str, str],
    readonly: frozenset[str] | set[str] = frozenset(),
    current: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Reject unknown fields and wrong JSON types before a service sees the data, so a typo
    ("categroy") is an error instead of a silently ignored field. Read-only fields (as a GET
    answers them) may be sent back unchanged; changing them is an error on PATCH (`current`
    given) and they are ignored on POST."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for field, value in data.items():
        if field in writable:
            if _has_type(value, writable[field]):
                clean[field] = value
            else:
                errors[field] = [
                    _(
                        "%(field)s muss %(kind)s sein.",
                        field=field,
                        kind=FIELD_TYPES[writable[field]][1],
                    )
                ]
        elif field in readonly:
            if current is not None and field in current and current[field] != value:
                errors[field] = [_("%(field)s kann nicht geändert werden.", field=field)]
        else:
            errors[field] = [_("Unbekanntes Feld: %(field)s", field=field)]
    if errors:
        field, messages = next(iter(errors.items()))
        raise Invalid(messages[0], field=field, errors=errors)
    return clean


def filter_args(allowed: tuple[str, ...]) -> dict[str, str]:
    """The non-empty filter parameters of a list request; an unknown parameter is an error
    rather than an unfiltered list that looks filtered."""
    unknown = sorted(set(request.args) - set(allowed) - {"page", "per_page"})
    if unknown:
        raise Invalid(
            _(
                "Unbekannter Parameter: %(value)s (erlaubt: %(value2)s, page, per_page)",
                value=", ".join(unknown),
                value2=", ".join(allowed),
            ),
            field=unknown[0],
        )
    return {k: v for k in allowed if (v := request.args.get(k, "").strip())}


def iso(value: datetime | None) -> str | None:
    """Stored naive UTC → ISO 8601 with +00:00."""
    return aware(value).isoformat() if value is not None else None


def created(body: dict[str, Any], location: str):
    return jsonify(body), 201, {"Location": location}


def no_content():
    return "", 204


def page_args() -> tuple[int, int]:
    """?page= (from 1) and ?per_page= (default 50, larger than API_MAX_PER_PAGE is clamped)."""
    values = {}
    for field, default in (("page", 1), ("per_page", 50)):
        values[field] = int_value(request.args.get(field, default), field)
        if values[field] < 1:
            raise Invalid(_("%(field)s muss mindestens 1 sein.", field=field), field=field)
    return values["page"], min(values["per_page"], current_app.config["API_MAX_PER_PAGE"])


def paged(query: sa.Select, to_json) -> Any:
    """Answer a list endpoint as {"items", "total", "page", "per_page"}."""
    page, per_page = page_args()
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
    )
    rows = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).unique()
    return jsonify(items=[to_json(r) for r in rows], total=total, page=page, per_page=per_page)


def current_user_or_none():
    return current_user if current_user.is_authenticated else None
