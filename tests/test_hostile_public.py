"""The public token pages and the limits around them (issue 14, items 9 and 10)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa

import netzwerk
from netzwerk import create_app
from netzwerk.audit.models import AuditEntry
from netzwerk.core.errors import Invalid
from netzwerk.extensions import db
from netzwerk.workshops import invitations
from netzwerk.workshops.models import Workshop
from tests import factories
from tests.conftest import csrf_token
from tests.workshops_support import invitation_token, plan, send

ANNA = {"name": "Anna Becker", "email": "anna@example.org"}


def withdrawn_link(app) -> str:
    ws = plan(app, [dict(ANNA)])
    send(app, ws["id"])  # sent: withdrawing keeps the row (removed) and mails a CANCEL
    token = invitation_token(app, ws["id"], ws["contact_ids"][0])
    with app.app_context():
        invitation = db.session.get(Workshop, ws["id"]).invitations[0]
        invitations.remove_invitation(invitation)
        assert invitation.removed_at is not None
    return token


def test_a_withdrawn_invitation_shows_only_that(app, client):
    """The link still showed the workshop and termin.ics a CONFIRMED event."""
    token = withdrawn_link(app)
    for url in (f"/einladung/{token}", f"/einladung/{token}/termin.ics"):
        response = client.get(url)
        text = response.get_data(as_text=True)
        assert response.status_code == 410, url
        assert "Einladung zurückgezogen" in text
        for detail in ("Fokusgruppe", "Faire Beschaffung", "hybrid", "VEVENT", "CONFIRMED"):
            assert detail not in text, (url, detail)
    vote = client.get(f"/einladung/{token}/umfrage")
    assert vote.status_code == 410 and "Fokusgruppe" not in vote.get_data(as_text=True)
    answer = client.post(
        f"/einladung/{token}", data={"response": "accepted", "csrf_token": csrf_token(client)}
    )
    assert answer.status_code == 410


# --- item 10 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["password123", "Passwort123", "qwertyuiop", "iloveyou"])
def test_common_passwords_are_refused(app, password):
    from netzwerk.auth.services import create_user

    with app.app_context(), pytest.raises(Invalid, match="häufigsten Passwörter"):
        create_user("neu", password, "viewer")


def test_common_passwords_are_refused_on_the_profile_and_the_cli(app, login, runner):
    owner = login("editor")
    response = owner.post(
        "/profil",
        data={
            "display_name": "",
            "email": "",
            "locale": "de",
            "timezone": "Europe/Berlin",
            "password": "passwort123",
            "password2": "passwort123",
            "csrf_token": owner.csrf,
        },
    )
    assert response.status_code == 200
    assert "häufigsten Passwörter" in response.get_data(as_text=True)
    result = runner.invoke(
        args=["user", "add", "bert", "--role", "viewer"], input="sunshine1\n" * 2
    )
    assert result.exit_code != 0 and "häufigsten Passwörter" in result.output
    result = runner.invoke(
        args=["user", "add", "bert", "--role", "viewer"], input="drei zufällige Wörter\n" * 2
    )
    assert result.exit_code == 0, result.output


def test_the_bundled_list_names_its_source():
    from netzwerk.auth.services import common_passwords

    assert 3000 < len(common_passwords()) < 20000
    assert "passwort123" in common_passwords() and "password" in common_passwords()
    text = (Path(netzwerk.__file__).parent / "auth" / "common-passwords.txt").read_text()
    assert "Source:" in text and "MIT License" in text


def test_requests_over_the_size_limit_are_413_before_reading(app, login, api):
    assert app.config["MAX_CONTENT_LENGTH"] == 20 * 1024 * 1024  # the default
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    editor = login("editor")
    big = b"Name;Kategorie\n" + b"x" * (2 * 1024 * 1024)
    response = editor.post(
        "/austausch/import",
        data={"files": [(io.BytesIO(big), "akteure.csv")], "csrf_token": editor.csrf},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert "zu groß (höchstens 1 MB)" in response.get_data(as_text=True)
    response = api("editor", bearer=True).post(
        "/api/actors",
        data=b"[" + b" " * (2 * 1024 * 1024) + b"]",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413 and "zu groß" in response.get_json()["error"]


@pytest.mark.sqlite_only
def test_instance_files_are_private(app, tmp_path, runner):
    ws = plan(app, [dict(ANNA)])
    send(app, ws["id"])  # no SMTP: into the outbox folder
    mails = list(Path(app.config["OUTBOX_DIR"]).glob("*.eml"))
    assert mails
    with app.app_context():
        from netzwerk.exchange import backup

        copy = backup.backup(tmp_path / "b")
        database = Path(db.engine.url.database)
    files = [database, Path(f"{database}-wal"), Path(f"{database}-shm"), copy, *mails]
    for path in files:
        assert path.exists(), path
        assert path.stat().st_mode & 0o777 == 0o600, (path, oct(path.stat().st_mode))
    fresh = create_app(
        {
            "INSTANCE_PATH": str(tmp_path / "frisch"),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'frisch.sqlite'}",
        }
    )
    assert fresh.config["SECRET_KEY"]
    assert (tmp_path / "frisch" / "secret_key").stat().st_mode & 0o777 == 0o600


def test_api_reads_of_contact_lists_are_audited(app, api):
    with app.app_context():
        factories.contact(factories.actor(name="Welthaus"), name="Ada Lovelace")
    viewer = api("viewer", bearer=True)
    response = viewer.get("/api/contacts?q=Ada")
    assert response.status_code == 200 and response.get_json()["total"] == 1
    with app.app_context():
        entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "export")).one()
    assert entry.username == "api-viewer" and entry.entity == "contact"
    assert "Kontaktliste" in entry.label and "q=Ada" in entry.label
    assert entry.changes["rows"] == [None, 1] and entry.changes["personal_data"] == [None, True]
