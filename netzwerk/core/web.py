"""Request-wide wiring: login requirement, locale, error handlers, headers, template helpers."""

from __future__ import annotations

import sqlite3
from datetime import date

from flask import (
    Flask,
    flash,
    has_request_context,
    jsonify,
    render_template,
    request,
    session,
)
from flask_babel import (
    format_currency,
    format_date,
    format_datetime,
    format_decimal,
    get_locale,
)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.exceptions import HTTPException

from ..extensions import db
from .errors import DomainError
from .timeutil import aware


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """Foreign keys are off by default in SQLite; WAL lets readers and a writer work together."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=5000")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.close()


def select_locale() -> str:
    if not has_request_context():
        return "de"
    lang = request.args.get("lang")
    if lang in ("de", "en"):
        session["lang"] = lang
        return lang
    if session.get("lang") in ("de", "en"):
        return session["lang"]
    if current_user and current_user.is_authenticated:
        return current_user.locale or "de"
    return "de"


def select_timezone() -> str:
    if not has_request_context():
        return "Europe/Berlin"
    if current_user and current_user.is_authenticated:
        return current_user.timezone or "Europe/Berlin"
    return "Europe/Berlin"


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/api"


def http_error_response(exc: HTTPException):
    """Any HTTP error as JSON under /api/ or as the error page, in the user's language."""
    messages = {
        403: _("Dafür fehlt Ihnen die Berechtigung."),
        404: _("Nicht gefunden."),
        405: _("Diese Methode ist hier nicht erlaubt."),
        429: _("Zu viele Anfragen. Bitte warten Sie kurz und versuchen Sie es erneut."),
    }
    message = messages.get(exc.code, exc.description)
    headers = {}
    allow = getattr(exc, "valid_methods", None)
    if allow:  # a 405 names the methods that would work (RFC 9110)
        headers["Allow"] = ", ".join(allow)
    limit = getattr(exc, "limit", None)  # Flask-Limiter's RateLimitExceeded
    if limit is not None:
        headers["Retry-After"] = str(limit.limit.get_expiry())
    if wants_json():
        return jsonify(error=message), exc.code, headers
    return render_template("error.html", code=exc.code, message=message), exc.code, headers


def init_app(app: Flask) -> None:
    """Error handlers for every surface (HTML and JSON), security headers, template filters."""

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        db.session.rollback()
        if wants_json():
            body = {"error": exc.message}
            if exc.errors:
                body["fields"] = exc.errors
            return jsonify(body), exc.status
        flash(exc.message, "error")
        return render_template("error.html", code=exc.status, message=exc.message), exc.status

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        message = _(
            "Sicherheitstoken (CSRF) fehlt oder ist ungültig. Bitte laden Sie die Seite neu."
        )
        if wants_json():
            return jsonify(error=message), 400
        return render_template("error.html", code=400, message=message), 400

    app.register_error_handler(HTTPException, http_error_response)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; "
            "frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    @app.template_filter("dt")
    def _format_dt(value, fmt: str = "short"):
        return format_datetime(aware(value), fmt) if value else ""

    @app.template_filter("day")
    def _format_day(value, fmt: str = "medium"):
        """A date (or an ISO date string, as snapshots keep them) in the reader's language."""
        if isinstance(value, str) and value:
            value = date.fromisoformat(value[:10])
        return format_date(value, fmt) if value else ""

    @app.template_filter("number")
    def _format_number(value):
        return format_decimal(value) if value is not None else ""

    @app.template_filter("money")
    def _format_money(value):
        return format_currency(value, "EUR") if value is not None else ""

    @app.context_processor
    def template_helpers():
        def has_endpoint(name: str) -> bool:
            return name in app.view_functions

        return {"has_endpoint": has_endpoint, "get_locale": get_locale}
