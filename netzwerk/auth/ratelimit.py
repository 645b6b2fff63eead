"""Login rate limiting (Flask-Limiter's storage, the `limits` fixed window) and its answer.

Every login attempt is counted *before* its password is checked, with an atomic increment in the
limiter's storage: 100 simultaneous POSTs check at most as many passwords as the limit allows
(counting after the answer let all 100 through). A successful login gives its counts back, so
only failures use up the limits. Three counters:

- per client address *and* user name (LOGIN_RATE_LIMIT, 10 per minute): the one that stops a
  guesser; the account's owner at another address is not affected by it;
- per client address, any names (LOGIN_ADDRESS_RATE_LIMIT, 30 per minute): one machine trying
  many accounts;
- per user name, any address (LOGIN_NAME_RATE_LIMIT, 50 per minute): many machines trying one
  account; higher, so that locking someone out takes a botnet rather than 10 requests.

The storage is memory:// by default (per process); with several gunicorn workers set
NETZWERK_RATELIMIT_STORAGE_URL to a shared store (redis://, memcached://) so they count together.
"""

from __future__ import annotations

from flask import Flask, current_app, flash, jsonify, render_template, request
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse
from limits.strategies import FixedWindowRateLimiter

from ..core.web import http_error_response, wants_json
from ..extensions import limiter
from .forms import LoginForm

LOGIN_ENDPOINT = "auth.login"
COUNTERS = (
    ("login-pair", "LOGIN_RATE_LIMIT", "10 per minute"),
    ("login-ip", "LOGIN_ADDRESS_RATE_LIMIT", "30 per minute"),
    ("login-name", "LOGIN_NAME_RATE_LIMIT", "50 per minute"),
)


def login_name(username: str) -> str:
    """The counted user name, case-folded and trimmed so "Admin " counts as "admin"."""
    return username.strip().casefold()


def too_many_message() -> str:
    return _(
        "Zu viele fehlgeschlagene Anmeldeversuche. Bitte warten Sie eine Minute und versuchen "
        "Sie es dann erneut."
    )


class Attempt:
    """One login attempt's place in the counters, taken before the password check."""

    def __init__(self, username: str):
        self.taken: list[tuple[RateLimitItem, tuple[str, ...]]] = []
        self.exceeded: RateLimitItem | None = None
        if not current_app.config.get("RATELIMIT_ENABLED", True):
            return
        address, name = get_remote_address(), login_name(username)
        keys = {"login-pair": (address, name), "login-ip": (address,), "login-name": (name,)}
        strategy = FixedWindowRateLimiter(limiter.storage)
        for scope, setting, default in COUNTERS:
            item = parse(current_app.config.get(setting) or default)
            identifiers = (scope, *keys[scope])
            if not strategy.hit(item, *identifiers):  # atomic: incr, then compare
                self.exceeded = item
                return
            self.taken.append((item, identifiers))

    def succeeded(self) -> None:
        """A successful login does not use up the limits (an office behind one address)."""
        for item, identifiers in self.taken:
            limiter.storage.incr(item.key_for(*identifiers), item.get_expiry(), amount=-1)
        self.taken = []


def refused(item: RateLimitItem):
    """The answer when a counter is full: the login form again (JSON under /api/), 429."""
    headers = {"Retry-After": str(item.get_expiry())}
    message = too_many_message()
    if wants_json():
        return jsonify(error=message), 429, headers
    flash(message, "error")
    form = LoginForm(formdata=None, username=request.form.get("username", ""))
    return render_template("auth/login.html", form=form), 429, headers


def init_app(app: Flask) -> None:
    """Other 429s (Flask-Limiter decorators elsewhere) are answered by core.web like every
    HTTP error."""

    @app.errorhandler(RateLimitExceeded)
    def too_many_requests(exc: RateLimitExceeded):
        return http_error_response(exc)
