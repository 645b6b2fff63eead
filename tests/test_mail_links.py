"""Links in mail open where the app really runs: without NETZWERK_BASE_URL they use the address
the coordinator's browser used (PORT=8080 make run → :8080), and the app warns when the links
would point to this machine only while the mail goes elsewhere."""

from __future__ import annotations

import logging
import re
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest

from netzwerk import create_app
from netzwerk.mail import links
from tests.conftest import PASSWORD, csrf_token
from tests.workshops_support import plan, send, wait_for_batch

INVITEE = {"name": "Andrea Kessler", "email": "a.kessler@example.org", "language": "de"}


def outbox_links(app) -> set[str]:
    found = set()
    for path in Path(app.config["OUTBOX_DIR"]).glob("*.eml"):
        message = message_from_bytes(path.read_bytes(), policy=default)
        text = message.get_body(preferencelist=("plain",)).get_content()
        found |= set(re.findall(r"(https?://[^\s/]+)/einladung/", text))
    return found


@pytest.fixture
def app_config():
    return {"BASE_URL": "", "PORT": 8080}


def editor_on(app, make_user, here: str, name: str = "editor-8080"):
    """An editor's browser that reaches the app at `here`."""
    make_user(name, "editor")
    client = app.test_client()
    plain_open = client.open

    def open_here(*args, **kwargs):
        kwargs.setdefault("base_url", here)
        return plain_open(*args, **kwargs)

    client.open = open_here
    data = {"username": name, "password": PASSWORD, "csrf_token": csrf_token(client)}
    assert client.post("/login", data=data).status_code == 302
    client.csrf = csrf_token(client)
    return client


@pytest.fixture
def editor(app, make_user):
    """An editor's browser on http://127.0.0.1:8080 (the app started with PORT=8080)."""
    return editor_on(app, make_user, "http://127.0.0.1:8080")


def test_links_use_the_address_the_editor_works_on_when_no_base_url_is_set(app, editor):
    ws = plan(app, [dict(INVITEE)])
    response = editor.post(
        f"/workshops/{ws['id']}/senden",
        data={"csrf_token": editor.csrf},
    )
    assert response.status_code == 302
    wait_for_batch(editor, response.location + ".json")
    assert outbox_links(app) == {"http://127.0.0.1:8080"}
    # the invitee's address is outside this machine: the editor is told before anyone clicks
    page = editor.get(response.location).get_data(as_text=True)
    assert "http://127.0.0.1:8080" in page and "NETZWERK_BASE_URL" in page
    assert "flash-warning" in page


def test_outside_a_request_the_links_use_the_port_make_run_serves(app):
    send(app, plan(app, [dict(INVITEE)])["id"])
    assert outbox_links(app) == {"http://127.0.0.1:8080"}


def test_port_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("NETZWERK_BASE_URL", raising=False)
    monkeypatch.setenv("PORT", "8080")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x", "TESTING": True})
    assert app.config["BASE_URL"] == "" and app.config["PORT"] == 8080
    with app.app_context():
        assert links.base_url() == "http://127.0.0.1:8080"


def test_a_public_base_url_wins_and_gives_no_warning(app, editor):
    app.config["BASE_URL"] = "https://netzwerk.aachen.de"
    ws = plan(app, [dict(INVITEE)])
    response = editor.post(
        f"/workshops/{ws['id']}/senden",
        data={"csrf_token": editor.csrf},
    )
    wait_for_batch(editor, response.location + ".json")
    assert outbox_links(app) == {"https://netzwerk.aachen.de"}
    assert "flash-warning" not in editor.get(response.location).get_data(as_text=True)


def test_mail_to_this_machine_only_needs_no_warning(app):
    with app.app_context():
        assert links.unreachable_warning(["kepol@localhost", "a@127.0.0.1"]) is None
        assert "NETZWERK_BASE_URL" in links.unreachable_warning(["a.kessler@example.org"])


def test_start_warns_when_an_smtp_server_gets_loopback_links(monkeypatch, tmp_path, caplog):
    monkeypatch.delenv("NETZWERK_BASE_URL", raising=False)
    config = {"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x", "TESTING": True}
    with caplog.at_level(logging.WARNING):
        create_app(config | {"SMTP_URL": "smtp://mail.aachen.example:25", "PORT": 8080})
    assert "http://127.0.0.1:8080" in caplog.text and "NETZWERK_BASE_URL" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        create_app(
            config
            | {"SMTP_URL": "smtp://mail.aachen.example:25", "BASE_URL": "https://netzwerk.de"}
        )
        create_app(config | {"SMTP_URL": ""})  # the outbox folder: nothing leaves the machine
    assert "NETZWERK_BASE_URL" not in caplog.text


def test_a_public_request_cannot_choose_the_host_of_mail_links(app):
    with app.test_request_context("/einladung/x", base_url="http://evil.example:8080"):
        assert links.public_url("/einladung/t") == "http://127.0.0.1:8080/einladung/t"


def test_links_follow_the_name_the_coordinator_uses(app, make_user):
    client = editor_on(app, make_user, "http://netzwerk.intern:8080", "editor-intern")
    ws = plan(app, [dict(INVITEE)])
    response = client.post(f"/workshops/{ws['id']}/senden", data={"csrf_token": client.csrf})
    wait_for_batch(client, response.location + ".json")
    assert outbox_links(app) == {"http://netzwerk.intern:8080"}
    assert "flash-warning" not in client.get(response.location).get_data(as_text=True)
