"""`rsvp import FILE`: an iTIP REPLY from a calendar."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from ..core.errors import DomainError
from ..mail import queue
from . import invitations


@click.group("rsvp")
def rsvp_group() -> None:
    """Replies to workshop invitations."""


@rsvp_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def rsvp_import(file: Path) -> None:
    """Apply an iTIP REPLY (.ics, or the saved answer mail) to the invitee's status."""
    try:
        lines, batches = invitations.import_replies(file.read_bytes())
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    for line in lines:
        click.echo(("✓ " if line["ok"] else "✗ ") + line["message"])
    for batch in batches:
        report = queue.deliver(batch=batch)
        click.echo(f"Nachrücker benachrichtigt: {report.sent} gesendet, {report.failed} offen.")
    if not all(line["ok"] for line in lines):
        raise SystemExit(1)


COMMANDS = [rsvp_group]
