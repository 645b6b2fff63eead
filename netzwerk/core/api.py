"""The /api blueprint: session or Bearer token auth, JSON errors, paging."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, request
from flask_login import current_user

from ..extensions import csrf, db
from .errors import Invalid

api_bp = Blueprint("api", __name__, url_prefix="/api")
csrf.exempt(api_bp)


@api_bp.before_request
def _check_csrf_for_session_requests() -> None:
    """A Bearer token cannot be sent by a foreign site; a session cookie can, so it needs CSRF."""
    if not request.headers.get("Authorization", "").startswith("Bearer "):
        csrf.protect()


def json_body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Invalid("Der Request braucht einen JSON-Körper (ein Objekt).")
    return data


def page_args() -> tuple[int, int]:
    try:
        page = int(request.args.get("page", 1))
        per_page = int(request.args.get("per_page", 50))
    except ValueError as exc:
        raise Invalid("page und per_page müssen ganze Zahlen sein.") from exc
    if page < 1 or per_page < 1:
        raise Invalid("page und per_page müssen mindestens 1 sein.")
    return page, min(per_page, current_app.config["API_MAX_PER_PAGE"])


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
