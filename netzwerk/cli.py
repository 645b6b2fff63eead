"""Click commands; each calls a service and has no logic of its own."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from .core.errors import DomainError


def _fail(exc: DomainError) -> None:
    raise click.ClickException(exc.message)


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or upgrade the database to the newest schema."""
    from flask_migrate import upgrade

    from .actors.services import ensure_categories
    from .network.reference_store import ensure_reference

    upgrade()
    ensure_categories()
    ensure_reference()
    click.echo("Datenbank ist auf dem neuesten Stand.")


@click.command("setup")
@with_appcontext
def setup() -> None:
    """First start: migrate, load the demo data into an empty database, create the admin."""
    from flask_migrate import upgrade

    from .actors.services import ensure_categories
    from .auth.services import ensure_admin
    from .demo.services import is_empty, load_demo
    from .network.positions import place_new_nodes
    from .network.reference_store import ensure_reference

    upgrade()
    ensure_categories()
    ensure_reference()
    if is_empty():
        counts = load_demo()
        place_new_nodes()  # the map's first layout, so no page view has to compute it
        click.echo(f"Demo-Daten geladen: {counts}")
    password = ensure_admin()
    if password:
        click.echo("")
        click.echo("=" * 64)
        click.echo("  Erster Start: Benutzer 'admin' angelegt.")
        click.echo(f"  Passwort (wird nur jetzt angezeigt): {password}")
        click.echo("=" * 64)
        click.echo("")


@click.command("demo")
@with_appcontext
def demo() -> None:
    """Load the Aachen demo data into an empty database."""
    from .demo.services import load_demo
    from .network.positions import place_new_nodes

    try:
        counts = load_demo()
    except DomainError as exc:
        _fail(exc)
    place_new_nodes()
    click.echo(f"Demo-Daten geladen: {counts}")


@click.group("user")
def user_group() -> None:
    """Manage users."""


@user_group.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["admin", "editor", "viewer"]), default="viewer")
@click.option("--email", default="")
@click.password_option(prompt="Passwort", confirmation_prompt="Passwort wiederholen")
@with_appcontext
def user_add(name: str, role: str, email: str, password: str) -> None:
    """Add a user; the password is prompted twice (or read from a pipe)."""
    from .auth.services import create_user

    try:
        create_user(name, password, role, email=email)
    except DomainError as exc:
        _fail(exc)
    click.echo(f"Benutzer {name} ({role}) angelegt.")


@click.group("token")
def token_group() -> None:
    """Manage API tokens."""


@token_group.command("create")
@click.argument("name")
@click.option("--label", default="CLI", help="Name of the token")
@with_appcontext
def token_create(name: str, label: str) -> None:
    """Create an API token for user NAME and print it (it is shown only once)."""
    from .auth.services import create_token, get_user

    try:
        user = get_user(name)
    except DomainError as exc:
        _fail(exc)
    click.echo(create_token(user, label))


COMMANDS = [init_db, setup, demo, user_group, token_group]


def init_app(app: Flask) -> None:
    """The commands of the whole app; the domains add theirs (import, export, backup, rsvp,
    mail, export-map) in their own init_app."""
    for command in COMMANDS:
        app.cli.add_command(command)
