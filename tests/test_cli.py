"""The command line: init-db, setup (first start), demo, user add, token create."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from netzwerk import create_app
from netzwerk.actors.models import Actor, Category
from netzwerk.auth.models import User
from netzwerk.auth.services import authenticate
from netzwerk.extensions import db


@pytest.fixture
def fresh_app(tmp_path):
    """An app on an empty database file, as after a fresh clone (no create_all)."""
    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'fresh.sqlite'}",
        }
    )
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- init-db and setup -----------------------------------------------------------------------


def test_init_db_creates_the_schema_on_a_fresh_file(fresh_app):
    runner = fresh_app.test_cli_runner()
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "Datenbank ist auf dem neuesten Stand." in result.output
    with fresh_app.app_context():
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {"actor", "category", "user", "alembic_version"} <= tables
        assert count(Category) >= 20  # the shipped vocabulary
    # a second run changes nothing and still succeeds
    assert runner.invoke(args=["init-db"]).exit_code == 0


def test_setup_prints_the_admin_password_once(fresh_app):
    runner = fresh_app.test_cli_runner()
    first = runner.invoke(args=["setup"])
    assert first.exit_code == 0, first.output
    match = re.search(r"Passwort \(wird nur jetzt angezeigt\): (\S+)", first.output)
    assert match, first.output
    assert "Demo-Daten geladen" in first.output
    with fresh_app.app_context():
        assert authenticate("admin", match.group(1)).role.value == "admin"
        actors = count(Actor)
        assert actors >= 45
    second = runner.invoke(args=["setup"])
    assert second.exit_code == 0, second.output
    assert "Passwort" not in second.output
    assert "Demo-Daten geladen" not in second.output
    with fresh_app.app_context():
        assert count(Actor) == actors  # nothing loaded twice
        assert count(User) == 1


# --- demo --------------------------------------------------------------------------------------


def test_demo_loads_aachen_once(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert count(Actor) >= 45
        names = set(db.session.scalars(sa.select(Actor.name)))
    assert {"Welthaus Aachen e.V.", "Förderverein Aachen-Kapstadt e.V."} <= names
    again = runner.invoke(args=["demo"])
    assert again.exit_code != 0
    assert "nur in eine leere Datenbank" in again.output
    with app.app_context():
        assert set(db.session.scalars(sa.select(Actor.name))) == names


# --- users and tokens --------------------------------------------------------------------------


def test_user_add_reads_the_password_twice_from_a_pipe(app, runner):
    result = runner.invoke(
        args=["user", "add", "anna", "--role", "editor"], input="pw12345678\npw12345678\n"
    )
    assert result.exit_code == 0, result.output
    assert "Benutzer anna (editor) angelegt." in result.output
    assert "pw12345678" not in result.output  # not echoed
    with app.app_context():
        user = authenticate("anna", "pw12345678")
        assert user is not None and user.role.value == "editor"


def test_user_add_with_mismatched_passwords_fails(app, runner):
    result = runner.invoke(args=["user", "add", "anna"], input="pw12345678\npw87654321\n")
    assert result.exit_code != 0
    with app.app_context():
        assert count(User) == 0


def test_user_add_refuses_short_password_and_duplicates(app, runner):
    short = runner.invoke(args=["user", "add", "anna"], input="kurz\nkurz\n")
    assert short.exit_code != 0
    assert "mindestens 8 Zeichen" in short.output
    assert (
        runner.invoke(args=["user", "add", "anna"], input="pw12345678\npw12345678\n").exit_code == 0
    )
    again = runner.invoke(args=["user", "add", "anna"], input="pw12345678\npw12345678\n")
    assert again.exit_code != 0
    assert "gibt es schon" in again.output
    with app.app_context():
        assert count(User) == 1


def test_user_add_refuses_unknown_role(runner):
    result = runner.invoke(args=["user", "add", "anna", "--role", "gott"], input="x\nx\n")
    assert result.exit_code != 0


def test_token_create_prints_a_working_bearer_token(app, runner, client):
    runner.invoke(args=["user", "add", "anna", "--role", "viewer"], input="pw12345678\n" * 2)
    result = runner.invoke(args=["token", "create", "anna"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert client.get("/api/actors").status_code == 401
    response = client.get("/api/actors", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.get_json()["total"] == 0
    wrong = client.get("/api/actors", headers={"Authorization": f"Bearer {token}x"})
    assert wrong.status_code == 401


def test_token_create_for_unknown_user_fails(runner):
    result = runner.invoke(args=["token", "create", "niemand"])
    assert result.exit_code != 0
    assert "Unbekannter Benutzer: niemand" in result.output
