"""Shared fixtures: a real SQLite file per test, logged-in clients per role, a loopback SMTP
server, a live server and a Chromium page. No test reaches a host outside this machine."""

from __future__ import annotations

import base64
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from netzwerk import create_app
from netzwerk.extensions import db

LOOPBACK = ("127.", "::1", "localhost")


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """Any attempt to reach a non-loopback host fails loudly."""
    real_connect = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else str(address)
        inet = self.family in (socket.AF_INET, socket.AF_INET6)
        if inet and isinstance(host, str) and not host.startswith(LOOPBACK):
            raise OSError(f"test tried to reach {host}: only loopback is allowed")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


# The suite runs on a SQLite file by default and, with NETZWERK_TEST_DATABASE_URL set to a
# PostgreSQL URL, on PostgreSQL (a clean schema per test). Tests that check SQLite itself carry
# the marker `sqlite_only`.
TEST_DATABASE_URL = os.environ.get("NETZWERK_TEST_DATABASE_URL", "")
ON_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")


def pytest_collection_modifyitems(config, items):
    if ON_POSTGRES:
        skip = pytest.mark.skip(reason="checks SQLite itself; this run is on PostgreSQL")
        for item in items:
            if "sqlite_only" in item.keywords:
                item.add_marker(skip)


def _reset_postgres(url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    if ON_POSTGRES:
        _reset_postgres(TEST_DATABASE_URL)
        return TEST_DATABASE_URL
    return f"sqlite:///{tmp_path / 'test.sqlite'}"


@pytest.fixture
def app_config() -> dict:
    """Extra settings for `app`: a test module overrides this fixture to change them
    (e.g. {"RATELIMIT_ENABLED": True} to test the login rate limit)."""
    return {}


@pytest.fixture
def app(tmp_path: Path, database_url: str, app_config: dict):
    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path / "instance"),  # nothing is written into the checkout
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "OUTBOX_DIR": str(tmp_path / "outbox"),
            "BASE_URL": "http://127.0.0.1",
            "SMTP_URL": "",
            "RATELIMIT_ENABLED": False,  # tests log in often; test_security_ratelimit turns it on
            **app_config,
        }
    )
    with app.app_context():
        db.create_all()
        from netzwerk.actors.services import ensure_categories
        from netzwerk.network.reference_store import ensure_reference

        ensure_categories()
        ensure_reference()  # as `init-db` does
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


PASSWORD = "richtig-geheim-123"


def csrf_token(client) -> str:
    """The token a browser would find in any form of the site."""
    html = client.get("/login").get_data(as_text=True)
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, "no CSRF token on /login"
    return match.group(1)


@pytest.fixture
def make_user(app):
    from netzwerk.auth.services import create_user

    def make(username: str, role: str = "viewer"):
        with app.app_context():
            user = create_user(username, PASSWORD, role)
            return user.id

    return make


@pytest.fixture
def login(app, make_user):
    """login("editor") → a test client logged in as a fresh user with that role."""

    def do_login(role: str = "editor", username: str | None = None):
        username = username or f"{role}-user"
        make_user(username, role)
        c = app.test_client()
        response = c.post(
            "/login",
            data={
                "username": username,
                "password": PASSWORD,
                "csrf_token": csrf_token(c),
            },
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        c.csrf = csrf_token(c)
        return c

    return do_login


@pytest.fixture
def api_token(app, make_user):
    """api_token("viewer") → headers with a Bearer token for a fresh user of that role."""
    from netzwerk.auth.services import create_token, get_user

    def make(role: str = "editor"):
        username = f"api-{role}"
        with app.app_context():
            from netzwerk.auth.models import User

            if db.session.query(User).filter_by(username=username).first() is None:
                make_user(username, role)
            secret = create_token(get_user(username), "test")
        return {"Authorization": f"Bearer {secret}"}

    return make


class ApiClient:
    """JSON requests to /api as one user: a session client sends X-CSRFToken like the site's
    JavaScript would, a token client sends only its Bearer header."""

    def __init__(self, client, headers: dict[str, str]):
        self.client = client
        self.headers = headers

    def open(self, method: str, path: str, json=None, headers=None, **kw):
        return self.client.open(
            path, method=method, json=json, headers={**self.headers, **(headers or {})}, **kw
        )

    def get(self, path, **kw):
        return self.open("GET", path, **kw)

    def post(self, path, json=None, **kw):
        return self.open("POST", path, json=json, **kw)

    def patch(self, path, json=None, **kw):
        return self.open("PATCH", path, json=json, **kw)

    def delete(self, path, **kw):
        return self.open("DELETE", path, **kw)


@pytest.fixture
def fast_passwords(monkeypatch):
    """Cheap password hashes for tests that log in many users but test no passwords (scrypt costs
    about 0.1 s per hash and check). Opt in: pytestmark = pytest.mark.usefixtures(...)."""
    from functools import partial

    from werkzeug.security import generate_password_hash

    monkeypatch.setattr(
        "netzwerk.auth.models.generate_password_hash",
        partial(generate_password_hash, method="pbkdf2:sha256:1000"),
    )


@pytest.fixture
def api(app, login, api_token):
    """api("editor") → ApiClient over a logged-in session (with CSRF header);
    api("viewer", bearer=True) → over a Bearer token; api(None) → anonymous."""

    def make(role: str | None = "editor", bearer: bool = False) -> ApiClient:
        if role is None:
            return ApiClient(app.test_client(), {})
        if bearer:
            return ApiClient(app.test_client(), api_token(role))
        c = login(role)
        return ApiClient(c, {"X-CSRFToken": c.csrf})

    return make


# --- SMTP ----------------------------------------------------------------------------------


class _Collector:
    def __init__(self):
        self.messages = []
        self.fail_rcpt: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.fail_rcpt:
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 Message accepted"


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on a free loopback port; .handler.messages holds envelopes."""
    from aiosmtpd.controller import Controller

    handler = _Collector()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    controller.url = f"smtp://127.0.0.1:{port}"
    controller.messages = handler.messages
    yield controller
    controller.stop()


# --- live server and browser ---------------------------------------------------------------


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_port}"
    yield server
    server.shutdown()
    thread.join(timeout=5)


def chromium_path() -> str | None:
    for candidate in (
        os.environ.get("CHROMIUM_PATH"),
        shutil.which("chromium"),
        "/usr/bin/chromium",
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None


CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing on CI: .ci/run must `apt-get install -y chromium`")
        pytest.skip("BROWSER TESTS SKIPPED: chromium not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context; `page.foreign_requests` lists requests to any other host."""
    context = browser.new_context(base_url=live_server.url, locale="de-DE")
    page = context.new_page()
    page.foreign_requests = []
    page.console_errors = []

    def on_request(request):
        url = request.url
        if not url.startswith((live_server.url, "data:", "blob:", "about:")):
            page.foreign_requests.append(url)

    page.on("request", on_request)
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    yield page
    context.close()


@pytest.fixture
def browser_login(page, make_user):
    def do(role: str = "editor"):
        username = f"browser-{role}"
        make_user(username, role)
        page.goto("/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login" not in url)
        return page

    return do


# --- Radicale (CalDAV, CardDAV) ---------------------------------------------------------------


def _free_dav_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def radicale(tmp_path):
    """A real Radicale CalDAV/CardDAV server on a free loopback port with a temporary folder."""
    port = _free_dav_port()
    config = tmp_path / "radicale.conf"
    config.write_text(
        "[server]\n"
        f"hosts = 127.0.0.1:{port}\n"
        "[auth]\ntype = none\n"
        f"[storage]\nfilesystem_folder = {tmp_path / 'collections'}\n"
        "[rights]\ntype = owner_only\n"
        "[web]\ntype = none\n"
        "[logging]\nlevel = error\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "radicale", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"Radicale did not start: {process.stderr.read()!r}") from None
            time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


def dav(method: str, url: str, data: bytes | None = None, content_type: str | None = None):
    headers = {"Authorization": "Basic " + base64.b64encode(b"kepol:egal").decode()}
    if content_type:
        headers["Content-Type"] = content_type
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
