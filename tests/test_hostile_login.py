"""Login under attack (issue 14, item 3): attempts are counted before the password is checked
(100 at once check at most 10 passwords), an unknown user name takes as long as a wrong
password, and 10 wrong tries from one address do not lock the owner out elsewhere."""

from __future__ import annotations

import re
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest

from netzwerk.auth.models import User
from tests.conftest import PASSWORD
from tests.test_security_ratelimit import LIMIT, attempt, client_from


@pytest.fixture
def app_config() -> dict:
    return {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://"}


def test_100_parallel_wrong_passwords_check_at_most_the_limit(
    app, live_server, make_user, monkeypatch
):
    """Counting after the answer let 99 of 100 simultaneous guesses be checked."""
    make_user("koordination", "editor")
    checked = []
    real = User.check_password

    def counting(self, password):
        checked.append(password)
        return real(self, password)

    monkeypatch.setattr(User, "check_password", counting)
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    page = opener.open(f"{live_server.url}/login").read().decode()
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    barrier = threading.Barrier(100)
    statuses: list[int] = []

    def guess(n: int) -> None:
        body = urllib.parse.urlencode(
            {"username": "koordination", "password": f"falsch-{n}", "csrf_token": token}
        ).encode()
        barrier.wait(timeout=30)
        try:
            statuses.append(opener.open(f"{live_server.url}/login", body, timeout=60).status)
        except urllib.error.HTTPError as exc:
            statuses.append(exc.code)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(100)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=90)
    assert len(statuses) == 100
    assert len(checked) <= LIMIT
    assert statuses.count(429) >= 100 - LIMIT and statuses.count(200) <= LIMIT


def test_the_owner_gets_in_from_another_address(app, make_user):
    make_user("koordination", "editor")
    attacker = client_from(app, "198.51.100.7")
    for n in range(LIMIT):
        assert attempt(attacker, "koordination", f"falsch-{n}").status_code == 200
    assert attempt(attacker, "koordination", PASSWORD).status_code == 429
    owner = client_from(app, "203.0.113.5")
    assert attempt(owner, "koordination", PASSWORD).status_code == 302


def test_the_address_limit_stops_one_machine_trying_many_names(app, make_user):
    attacker = client_from(app, "198.51.100.8")
    for n in range(30):
        assert attempt(attacker, f"name-{n}", "falsch").status_code == 200
    assert attempt(attacker, "noch-einer", "falsch").status_code == 429


def test_unknown_names_take_as_long_as_wrong_passwords(app, make_user, monkeypatch):
    """Existing names took 102–125 ms (the hash), unknown ones 5–8 ms: names leaked. Now an
    unknown name is checked against a hash made exactly like the users' (same method, cost and
    salt length), so both do the same work. Asserted by what runs, not by a stopwatch."""
    from netzwerk.auth import services

    checked: list[str] = []
    real = services.check_password_hash

    def spy(pwhash: str, password: str) -> bool:
        checked.append(pwhash)
        return real(pwhash, password)

    monkeypatch.setattr(services, "check_password_hash", spy)
    make_user("koordination", "editor")
    with app.app_context():
        stored = User.query.filter_by(username="koordination").one().password_hash
    assert attempt(client_from(app, "192.0.2.11"), "gibt-es-nicht", "falsch").status_code == 200
    assert len(checked) == 1  # the unknown name ran one full password check
    method, salt, digest = checked[0].split("$")
    stored_method, stored_salt, stored_digest = stored.split("$")
    assert method == stored_method and method.startswith(("scrypt:", "pbkdf2:"))
    assert (len(salt), len(digest)) == (len(stored_salt), len(stored_digest))


def test_token_pages_are_rate_limited(app, client):
    """RSVP links, polls and calendar feeds: one counter per address for all of them."""
    from tests.test_hostile_public import withdrawn_link

    app.config["PUBLIC_RATE_LIMIT"] = "5 per minute"
    token = withdrawn_link(app)
    urls = [f"/einladung/{token}", "/einladung/geraten", "/kalender/geraten.ics"]
    answers = [client.get(urls[n % 3]).status_code for n in range(5)]
    assert 429 not in answers
    refused = client.get(f"/einladung/{token}/termin.ics")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "Zu viele Anfragen" in refused.get_data(as_text=True)
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    assert other.get(f"/einladung/{token}").status_code == 410  # another address
