"""Login rate limiting (Flask-Limiter) and its answer when a limit is hit.

Failed logins are counted twice: per client address (one machine trying many names) and per
user name (many machines trying one name). Only failures count, so an office behind one NAT
address can still log in all morning. The storage is memory:// by default (per process); with
several gunicorn workers set NETZWERK_RATELIMIT_STORAGE_URL to a shared store (redis://,
memcached://) so the workers count together.
"""

from __future__ import annotations

from flask import Flask, Response, flash, jsonify, render_template, request
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded
from flask_limiter.util import get_remote_address

from ..core.web import http_error_response, wants_json
from ..extensions import limiter
from .forms import LoginForm

LOGIN_ENDPOINT = "auth.login"


def login_name_key() -> str:
    """The rate-limit key of the user name typed in, case-folded so "Admin" counts as "admin"."""
    return "user:" + request.form.get("username", "").strip().casefold()


def failed_login(response: Response) -> bool:
    """A successful login redirects; everything else (wrong password, bad form) is a failure."""
    return response.status_code != 302


def too_many_message() -> str:
    return _(
        "Zu viele fehlgeschlagene Anmeldeversuche. Bitte warten Sie eine Minute und versuchen "
        "Sie es dann erneut."
    )


def init_app(app: Flask) -> None:
    """Put the login limits on the login view; a 429 there shows the login form again (other
    429s are answered by core.web like every HTTP error)."""
    login_limit = app.config.get("LOGIN_RATE_LIMIT", "10 per minute")
    view = app.view_functions.get(LOGIN_ENDPOINT)
    if view is not None:
        for scope, key in (("login-ip", get_remote_address), ("login-name", login_name_key)):
            view = limiter.limit(
                login_limit,
                key_func=key,
                scope=scope,
                methods=["POST"],
                deduct_when=failed_login,
                error_message=too_many_message,
            )(view)
        app.view_functions[LOGIN_ENDPOINT] = view

    @app.errorhandler(RateLimitExceeded)
    def too_many_logins(exc: RateLimitExceeded):
        if request.endpoint != LOGIN_ENDPOINT:
            return http_error_response(exc)
        headers = {"Retry-After": str(exc.limit.limit.get_expiry())}
        message = too_many_message()
        if wants_json():
            return jsonify(error=message), 429, headers
        flash(message, "error")
        form = LoginForm(formdata=None, username=request.form.get("username", ""))
        return render_template("auth/login.html", form=form), 429, headers
