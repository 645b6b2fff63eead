"""`mail retry`: send the failed and waiting messages again."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from . import queue


@click.group("mail")
def mail_group() -> None:
    """The outgoing mail queue."""


@mail_group.command("retry")
@click.option("--workshop", "workshop_id", type=int, default=None, help="nur dieser Workshop")
@click.option("--scope", default=None, help="nur diese Gruppe, z. B. workshop:5")
@with_appcontext
def mail_retry(workshop_id: int | None, scope: str | None) -> None:
    """Send the failed and waiting messages again; what was delivered is never sent twice."""
    if workshop_id is not None:
        scope = f"workshop:{workshop_id}"
    batch = queue.requeue_failed(scope)
    total = queue.batch_status(batch)["total"]
    if stale := queue.stale_sending():
        click.echo(
            f"Hinweis: {stale} Nachricht(en) wurden bei einem Abbruch gerade gesendet; ob sie "
            "ankamen, ist unklar. Sie werden nicht erneut gesendet."
        )
    if not total:
        click.echo("Keine offenen Nachrichten.")
        return
    report = queue.deliver(batch=batch)
    click.echo(
        f"{report.sent} gesendet, {report.failed} fehlgeschlagen, {report.blocked} gesperrt "
        f"(von {total}, {report.connections} Verbindung(en))."
    )
    for error in report.errors:
        click.echo(f"  {error}")
    if report.failed:
        raise SystemExit(1)


COMMANDS = [mail_group]
