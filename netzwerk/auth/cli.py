"""`flask ldap sync` and `flask ldap check NAME`: the directory login seen from the shell."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..core.errors import DomainError
from . import ldap


@click.group("ldap")
def ldap_group() -> None:
    """Login with the administration's directory (LDAP / Active Directory)."""


@ldap_group.command("sync")
@with_appcontext
def ldap_sync() -> None:
    """Check every directory user against the directory: update name, e-mail and role,
    deactivate whom the directory no longer lets in (run it nightly, e.g. from cron)."""
    from .services import sync_directory_users

    try:
        result = sync_directory_users()
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    except ldap.DirectoryError as exc:
        raise click.ClickException(f"Verzeichnis nicht erreichbar: {exc.detail}") from exc
    for key, label in (
        ("updated", "aktualisiert"),
        ("deactivated", "gesperrt"),
        ("unchanged", "unverändert"),
    ):
        names = ", ".join(result[key]) or "–"
        click.echo(f"{label}: {len(result[key])} ({names})")


@ldap_group.command("check")
@click.argument("name")
@with_appcontext
def ldap_check(name: str) -> None:
    """Show what the directory says about NAME (entry, groups, role) without logging in."""
    settings = ldap.settings()
    if settings is None:
        raise click.ClickException("Kein Verzeichnis konfiguriert (NETZWERK_LDAP_URL).")
    try:
        found = ldap.Directory(settings).lookup(name)
    except ldap.DirectoryError as exc:
        raise click.ClickException(f"Verzeichnis nicht erreichbar: {exc.detail}") from exc
    if found is None:
        raise click.ClickException(f"{name}: nicht im Verzeichnis gefunden.")
    click.echo(f"DN: {found.dn}")
    click.echo(f"Name: {found.name or '–'}  E-Mail: {found.email or '–'}")
    click.echo(f"Gruppen: {'; '.join(found.groups) or '–'}")
    role = found.role.value if found.role else "keine (in keiner zugeordneten Gruppe)"
    click.echo(f"Rolle: {role}{'  (im Verzeichnis deaktiviert)' if found.disabled else ''}")
