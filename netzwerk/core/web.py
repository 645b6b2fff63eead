"""Request-wide wiring: login requirement, locale, error handlers, headers, template helpers."""

from __future__ import annotations

import sqlite3

from flask import (
    Flask,
    flash,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_datetime, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.exceptions import HTTPException

from ..extensions import db, login_manager
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


def init_app(app: Flask) -> None:
    from ..auth.models import User
    from ..auth.services import user_for_token

    login_manager.login_view = "auth.login"
    login_manager.login_message = None

    @login_manager.user_loader
    def load_user(user_id: str):
        if request.headers.get("Authorization", "").startswith("Bearer "):
            return None  # a token request is the token's user, whatever session cookie rides along
        return db.session.get(User, int(user_id))

    @login_manager.request_loader
    def load_user_from_request(req):
        header = req.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            return user_for_token(header[7:])
        return None

    @login_manager.unauthorized_handler
    def unauthorized():
        if wants_json():
            return (
                jsonify(error="Anmeldung erforderlich (Sitzung oder Bearer-Token)."),
                401,
                {"WWW-Authenticate": 'Bearer realm="netzwerk"'},
            )
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))

    @app.before_request
    def require_login():
        if request.endpoint is None or request.endpoint == "static":
            return None
        view = app.view_functions.get(request.endpoint)
        if getattr(view, "is_public", False) or current_user.is_authenticated:
            return None
        return login_manager.unauthorized()

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

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        messages = {
            403: _("Dafür fehlt Ihnen die Berechtigung."),
            404: _("Nicht gefunden."),
            405: _("Diese Methode ist hier nicht erlaubt."),
        }
        message = messages.get(exc.code, exc.description)
        if wants_json():
            # a 405 names the methods that would work (RFC 9110)
            allow = getattr(exc, "valid_methods", None)
            return jsonify(error=message), exc.code, {"Allow": ", ".join(allow)} if allow else {}
        return render_template("error.html", code=exc.code, message=message), exc.code

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

    @app.context_processor
    def template_helpers():
        from ..auth.permissions import can_edit, is_admin

        def has_endpoint(name: str) -> bool:
            return name in app.view_functions

        return {
            "can_edit": can_edit,
            "is_admin": is_admin,
            "has_endpoint": has_endpoint,
            "get_locale": get_locale,
        }
