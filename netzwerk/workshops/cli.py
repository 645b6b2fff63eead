"""`rsvp import FILE` (an iTIP REPLY from a calendar) and `mail retry` (the failed messages)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from ..core.errors import DomainError
from . import mail, services


@click.group("rsvp")
def rsvp_group() -> None:
    """Replies to workshop invitations."""


@rsvp_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def rsvp_import(file: Path) -> None:
    """Apply an iTIP REPLY (.ics, or the saved answer mail) to the invitee's status."""
    try:
        lines, batches = services.import_replies(file.read_bytes())
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    for line in lines:
        click.echo(("✓ " if line["ok"] else "✗ ") + line["message"])
    for batch in batches:
        report = mail.deliver(batch=batch)
        click.echo(f"Nachrücker benachrichtigt: {report.sent} gesendet, {report.failed} offen.")
    if not all(line["ok"] for line in lines):
        raise SystemExit(1)


@click.group("mail")
def mail_group() -> None:
    """The outgoing mail queue."""


@mail_group.command("retry")
@click.option("--workshop", "workshop_id", type=int, default=None, help="nur dieser Workshop")
@with_appcontext
def mail_retry(workshop_id: int | None) -> None:
    """Send the failed and waiting messages again; what was delivered is never sent twice."""
    batch = mail.requeue_failed(workshop_id)
    total = mail.batch_status(batch)["total"]
    if stale := mail.stale_sending():
        click.echo(
            f"Hinweis: {stale} Nachricht(en) wurden bei einem Abbruch gerade gesendet; ob sie "
            "ankamen, ist unklar. Sie werden nicht erneut gesendet."
        )
    if not total:
        click.echo("Keine offenen Nachrichten.")
        return
    report = mail.deliver(batch=batch)
    click.echo(
        f"{report.sent} gesendet, {report.failed} fehlgeschlagen, {report.blocked} gesperrt "
        f"(von {total}, {report.connections} Verbindung(en))."
    )
    for error in report.errors:
        click.echo(f"  {error}")
    if report.failed:
        raise SystemExit(1)


COMMANDS = [rsvp_group, mail_group]
