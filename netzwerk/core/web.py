"""Request-wide wiring: login requirement, locale, error handlers, headers, template helpers."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import date

from flask import (
    Flask,
    Request,
    current_app,
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
from sqlalchemy.exc import OperationalError
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from ..extensions import db
from .errors import DomainError, Invalid
from .files import make_private
from .timeutil import aware
from .validation import INT64, has_illegal_characters, int_value

JSON_MAX_DEPTH = 32  # nesting of a JSON body; ours needs 3


class TooDeep(DomainError):
    status = 400


class CheckedArgs(ImmutableMultiDict):
    """Query and form parameters whose `get(..., type=int)` refuses a number beyond 64 bits
    with a 422 naming the parameter, instead of handing it to the database (a 500)."""

    def get(self, key, default=None, type=None):  # noqa: A002 - werkzeug's signature
        if type is int and key in self:
            return int_value(self[key], key) if str(self[key]).strip() else default
        return super().get(key, default, type)

    def getlist(self, key, type=None):  # noqa: A002
        if type is int:
            return [int_value(v, key) for v in super().getlist(key) if str(v).strip()]
        return super().getlist(key, type)


class CheckedRequest(Request):
    """The request of every view: parameters as CheckedArgs, and a JSON body checked once for
    what would break later (too deep, a number beyond 64 bits, NUL or other characters that
    XML cannot hold) wherever it is read (core.api.json_body or get_json)."""

    parameter_storage_class = CheckedArgs

    def get_json(self, force=False, silent=False, cache=True):
        try:
            data = super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError as exc:
            raise TooDeep(
                _(
                    "Der JSON-Körper ist zu tief verschachtelt (höchstens "
                    "%(JSON_MAX_DEPTH)s Ebenen).",
                    JSON_MAX_DEPTH=JSON_MAX_DEPTH,
                )
            ) from exc
        if data is not None:
            check_json(data)
        return data


def check_json(data) -> None:
    """Walk a JSON document without recursion and refuse what no field of netzwerk accepts."""
    stack = [(data, "", 1)]
    while stack:
        value, path, depth = stack.pop()
        if depth > JSON_MAX_DEPTH:
            raise TooDeep(
                _(
                    "Der JSON-Körper ist zu tief verschachtelt (höchstens "
                    "%(JSON_MAX_DEPTH)s Ebenen).",
                    JSON_MAX_DEPTH=JSON_MAX_DEPTH,
                )
            )
        field = path.split(".", 1)[0].split("[", 1)[0] or None
        if isinstance(value, dict):
            for key, item in value.items():
                if has_illegal_characters(key):
                    raise Invalid(_("Ein Feldname enthält unzulässige Steuerzeichen (z. B. NUL)."))
                stack.append((item, f"{path}.{key}" if path else key, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value))
        elif isinstance(value, str) and has_illegal_characters(value):
            message = (
                _("%(field)s enthält unzulässige Steuerzeichen (z. B. NUL).", field=path)
                if path
                else _("Der Wert enthält unzulässige Steuerzeichen (z. B. NUL).")
            )
            raise Invalid(message, field=field)
        elif (
            isinstance(value, int)
            and not isinstance(value, bool)
            and not INT64[0] <= value <= INT64[1]
        ):
            message = (
                _("%(field)s: die Zahl ist zu groß.", field=path)
                if path
                else _("Die Zahl ist zu groß.")
            )
            raise Invalid(message, field=field)


class BoundedIntConverter(IntegerConverter):
    """<int:…> in a URL: an id beyond 64 bits matches no route (404) instead of reaching the
    database."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's signature
        kwargs.setdefault("max", INT64[1])
        super().__init__(map, *args, **kwargs)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """Foreign keys are off by default in SQLite; WAL lets readers and a writer work together.
    A writer waits for another one as long as the driver's `timeout` (5 s by default; set with
    SQLALCHEMY_ENGINE_OPTIONS connect_args), then the request answers 503."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        # the database holds personal data: 0600, and SQLite gives -wal and -shm the same mode
        for _seq, name, path in cur.execute("PRAGMA database_list").fetchall():
            if name == "main" and path:
                make_private(path, f"{path}-wal", f"{path}-shm")
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


def rate_limit(setting: str, default: str = "60 per minute") -> Callable[[], str]:
    """A rate limit for flask-limiter read from the configuration at each request, so that
    an installation (and a test) can change it: the public links of every domain use this."""
    return lambda: current_app.config.get(setting) or default


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/api"


def http_error_response(exc: HTTPException):
    """Any HTTP error as JSON under /api/ or as the error page, in the user's language."""
    messages = {
        403: _("Dafür fehlt Ihnen die Berechtigung."),
        404: _("Nicht gefunden."),
        405: _("Diese Methode ist hier nicht erlaubt."),
        413: _(
            "Die Anfrage ist zu groß (höchstens %(mb)s MB). Bitte teilen Sie die Datei auf.",
            mb=(current_app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024),
        ),
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


BUSY_RETRY_AFTER = 5  # seconds a client should wait after a 503 "database busy"
# PostgreSQL: lock_timeout, deadlock, serialization failure; SQLite: the busy timeout ran out
BUSY_SQLSTATES = {"55P03", "40P01", "40001"}


def database_busy(exc: OperationalError) -> bool:
    """The database was locked by another writer for longer than we wait: try again later."""
    if getattr(exc.orig, "sqlstate", None) in BUSY_SQLSTATES:
        return True
    text = str(exc.orig).lower()
    return "database is locked" in text or "database table is locked" in text or "busy" in text


def busy_response():
    message = _(
        "Die Datenbank ist gerade ausgelastet (eine andere Änderung läuft noch). Bitte "
        "versuchen Sie es in ein paar Sekunden erneut; es wurde nichts gespeichert."
    )
    headers = {"Retry-After": str(BUSY_RETRY_AFTER)}
    if wants_json():
        return jsonify(error=message), 503, headers
    return render_template("error.html", code=503, message=message), 503, headers


def init_app(app: Flask) -> None:
    """Error handlers for every surface (HTML and JSON), security headers, template filters."""
    app.request_class = CheckedRequest
    app.url_map.converters["int"] = BoundedIntConverter

    @app.errorhandler(OverflowError)
    def overflow(exc: OverflowError):
        """A number no check caught that the database cannot store: the caller's input."""
        return domain_error(Invalid(_("Eine Zahl in der Anfrage ist zu groß.")))

    @app.errorhandler(OperationalError)
    def operational_error(exc: OperationalError):
        """A lock timeout is a 503 with Retry-After (JSON under /api/), not a 500."""
        db.session.rollback()
        if not database_busy(exc):
            raise exc
        app.logger.warning("database busy: %s %s: %s", request.method, request.path, exc.orig)
        return busy_response()

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
