"""`survey send ID` and `survey remind [ID] [--due]`: the mails of a survey from the command line
(for cron: `flask survey remind --due` sends the reminders whose day has come)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..core.errors import DomainError
from . import sending, services


@click.group("survey")
def survey_group() -> None:
    """Network surveys."""


def _report(batch: str, counts: dict) -> None:
    for item in counts["blocked"]:
        click.echo(f"Nicht verschickt an {item['name']}: {item['reason']}")
    if not counts["queued"]:
        click.echo("Nichts zu senden.")
        return
    report = sending.deliver_now(batch)
    click.echo(
        f"{report.sent} gesendet, {report.failed} fehlgeschlagen, {report.blocked} gesperrt "
        f"({report.connections} Verbindung(en))."
    )
    if report.failed:
        raise SystemExit(1)


@survey_group.command("send")
@click.argument("survey_id", type=int)
@with_appcontext
def send(survey_id: int) -> None:
    """Send the survey to every recipient who has not had it."""
    try:
        batch, counts = sending.send_survey(services.get_survey(survey_id))
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    _report(batch, counts)


@survey_group.command("remind")
@click.argument("survey_id", type=int, required=False)
@click.option("--due", is_flag=True, help="alle Befragungen, deren Erinnerungstag gekommen ist")
@with_appcontext
def remind(survey_id: int | None, due: bool) -> None:
    """Remind those who have not answered (one survey, or with --due all that are due)."""
    if survey_id is None and not due:
        raise click.UsageError("Bitte eine Befragung (ID) oder --due angeben.")
    chosen = sending.due_reminders() if due else [services.get_survey(survey_id)]
    if due and not chosen:
        click.echo("Heute ist keine Erinnerung fällig.")
        return
    for survey in chosen:
        click.echo(f"{services.label(survey)}:")
        try:
            batch, counts = sending.remind(survey)
        except DomainError as exc:
            click.echo(f"  {exc.message}")
            continue
        _report(batch, counts)


COMMANDS = [survey_group]
