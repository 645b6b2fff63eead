"""wsgi.py as gunicorn loads it: behind a reverse proxy (NETZWERK_PROXY_FIX=1) the login rate
limit counts per client address from X-Forwarded-For; without it, a forged header changes
nothing."""

from __future__ import annotations

import gc
import runpy
from pathlib import Path

import pytest

from netzwerk.extensions import db

from .conftest import PASSWORD, csrf_token

WSGI = Path(__file__).resolve().parent.parent / "wsgi.py"
PROXY = "127.0.0.1"  # where nginx connects from


@pytest.fixture
def load_wsgi(monkeypatch, database_url):
    apps = []
    thresholds = gc.get_threshold()

    def load(proxy_fix: str | None):
        monkeypatch.setenv("NETZWERK_DATABASE_URL", database_url)
        monkeypatch.setenv("NETZWERK_SECRET_KEY", "wsgi-test")
        monkeypatch.setenv("NETZWERK_RATELIMIT_ENABLED", "1")
        # the default limit (10 per minute): the limiter is one object for all apps of the
        # test run, and a limit registered here would stay with the login view of later apps
        monkeypatch.delenv("NETZWERK_LOGIN_RATE_LIMIT", raising=False)
        if proxy_fix is None:
            monkeypatch.delenv("NETZWERK_PROXY_FIX", raising=False)
        else:
            monkeypatch.setenv("NETZWERK_PROXY_FIX", proxy_fix)
        app = runpy.run_path(str(WSGI))["app"]
        with app.app_context():
            from netzwerk.actors.services import ensure_categories
            from netzwerk.auth.services import create_user

            db.create_all()
            ensure_categories()
            for name in ("anna", "bert"):
                create_user(name, PASSWORD, "viewer")
        apps.append(app)
        return app

    yield load
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    gc.unfreeze()  # wsgi.py tunes the collector of a server process, not of the test run
    gc.set_threshold(*thresholds)


def attempt(app, client_address: str, username: str, password: str) -> int:
    """A login from a browser at client_address, through the proxy."""
    client = app.test_client()
    token = csrf_token(client)
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        headers={
            "X-Forwarded-For": client_address,
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "netzwerk.example.org",
            "Referer": "https://netzwerk.example.org/login",  # checked by CSRF over https
        },
        environ_base={"REMOTE_ADDR": PROXY},
    )
    return response.status_code


def test_behind_a_proxy_each_client_address_has_its_own_limit(load_wsgi):
    app = load_wsgi("1")
    answers = [attempt(app, "203.0.113.7", "anna", "falsch") for _ in range(11)]
    assert answers == [200] * 10 + [429]
    # another office is not locked out by the first one's typos
    assert attempt(app, "198.51.100.20", "bert", PASSWORD) == 302


ADDRESS_LIMIT = 30  # failed logins per address, any names (NETZWERK_LOGIN_ADDRESS_RATE_LIMIT)


def test_without_the_setting_forwarded_headers_are_ignored(load_wsgi):
    app = load_wsgi(None)
    for n in range(ADDRESS_LIMIT):
        assert attempt(app, f"203.0.113.{n}", f"anna{n}", "falsch") == 200
    # a forged X-Forwarded-For does not give a fresh allowance: all came from one address
    assert attempt(app, "192.0.2.1", "bert", PASSWORD) == 429


def test_a_wrong_setting_stops_the_start_with_a_clear_message(load_wsgi):
    with pytest.raises(RuntimeError, match="Zahl der Proxys"):
        load_wsgi("ja")


def test_the_full_garbage_collection_waits_until_an_answer_is_sent(load_wsgi):
    app = load_wsgi(None)
    assert gc.get_threshold()[2] > 10**6  # never in the middle of a request
    collections = []

    def note(phase, info):
        if phase == "start" and info["generation"] == 2:
            collections.append(phase)

    app.wsgi_app.every = 0  # due at once
    gc.callbacks.append(note)
    try:
        response = app.test_client().get("/login")
        assert response.status_code == 200 and collections == []
        response.close()  # the server is done with the answer
        assert collections == ["start"]
    finally:
        gc.callbacks.remove(note)
