"""Failed logins are rate-limited per client address and user name, per address and per user
name, with a German message."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, csrf_token

pytestmark = pytest.mark.usefixtures("fast_passwords")  # cheap hashes; still checked

LIMIT = 10  # "10 per minute", the default of NETZWERK_LOGIN_RATE_LIMIT
MESSAGE = (
    "Zu viele fehlgeschlagene Anmeldeversuche. Bitte warten Sie eine Minute und versuchen Sie "
    "es dann erneut."
)


@pytest.fixture
def app_config() -> dict:
    return {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://"}


def client_from(app, address: str):
    c = app.test_client()
    c.environ_base["REMOTE_ADDR"] = address
    c.csrf = csrf_token(c)
    return c


def attempt(c, username: str, password: str, **kw):
    return c.post(
        "/login", data={"username": username, "password": password, "csrf_token": c.csrf}, **kw
    )


def test_eleventh_wrong_password_is_refused_with_a_german_message(app, make_user):
    make_user("koordination", "editor")
    make_user("fachbereich", "viewer")
    attacker = client_from(app, "198.51.100.7")
    for n in range(LIMIT):
        response = attempt(attacker, "koordination", f"falsch-{n}")
        assert response.status_code == 200, n
        assert "Benutzername oder Passwort ist falsch." in response.get_data(as_text=True)

    response = attempt(attacker, "koordination", "falsch-11")
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert MESSAGE in html
    assert 'name="username"' in html and 'value="koordination"' in html  # the form stays
    assert int(response.headers["Retry-After"]) > 0
    # even the right password is refused from this address now: the limit is not a hint
    assert attempt(attacker, "koordination", PASSWORD).status_code == 429
    # the login page itself still opens
    assert attacker.get("/login").status_code == 200

    # someone else, elsewhere, logs in as usual
    colleague = client_from(app, "203.0.113.20")
    response = attempt(colleague, "fachbereich", PASSWORD)
    assert response.status_code == 302
    assert colleague.get("/api/actors").status_code == 200  # logged in


NAME_LIMIT = 50  # "50 per minute", NETZWERK_LOGIN_NAME_RATE_LIMIT


def test_one_user_name_is_protected_against_many_addresses(app, make_user):
    """Issue 14: 10 tries from anywhere locked the owner out; the name-wide limit is now 50
    (test_hostile_login.py: the owner gets in while one address is blocked)."""
    make_user("admin-aachen", "admin")
    for n in range(NAME_LIMIT):
        c = client_from(app, f"198.51.100.{n + 1}")
        assert attempt(c, "admin-aachen", "falsch").status_code == 200
    # spelling the name differently does not open a new window
    fresh = client_from(app, "198.51.100.99")
    assert attempt(fresh, " Admin-Aachen ", "falsch").status_code == 429
    assert attempt(fresh, "admin-aachen", PASSWORD).status_code == 429


def test_successful_logins_do_not_count(app, make_user):
    make_user("buero", "viewer")
    office = client_from(app, "192.0.2.1")  # one NAT address for a whole office
    for _ in range(LIMIT + 2):
        assert attempt(office, "buero", PASSWORD).status_code == 302
        office.post("/logout", data={"csrf_token": csrf_token(office)})
        office.csrf = csrf_token(office)


def test_limit_answers_json_under_api(app):
    """An /api client that hits a limit (none so far; one is added here) gets JSON."""
    from netzwerk.auth.permissions import public
    from netzwerk.extensions import limiter

    @app.get("/api/_ratelimit_probe")
    @limiter.limit("1 per minute")
    @public
    def _probe():
        return {"ok": True}

    c = app.test_client()
    assert c.get("/api/_ratelimit_probe").status_code == 200
    response = c.get("/api/_ratelimit_probe")
    assert response.status_code == 429
    assert response.json == {
        "error": "Zu viele Anfragen. Bitte warten Sie kurz und versuchen Sie es erneut."
    }
    assert int(response.headers["Retry-After"]) > 0
