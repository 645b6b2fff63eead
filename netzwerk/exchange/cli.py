"""`flask --app netzwerk import | export | backup | restore`: each calls a service."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from ..core.errors import DomainError


def _fail(exc: DomainError) -> None:
    raise click.ClickException(exc.message)


@click.command("import")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--dry-run", is_flag=True, help="Nur prüfen, nichts schreiben.")
@with_appcontext
def import_command(files: tuple[Path, ...], dry_run: bool) -> None:
    """Import actors, contacts, topics, topic links and relations from CSV or XLSX FILES.

    All or nothing: if any row is rejected, nothing is written, every rejected row is printed
    with its number (the header is row 1) and the command exits with status 1."""
    from .services import import_files

    try:
        report = import_files([(f.name, f.read_bytes()) for f in files], commit=not dry_run)
    except DomainError as exc:
        _fail(exc)
    for table in report.tables:
        if table.sheet is None:
            click.echo(f"{table.source}: übersprungen ({table.note})")
            continue
        details = [table.sheet.de, f"{len(table.rows)} Zeilen"]
        if table.encoding:
            details += [table.encoding, f"Trennzeichen {table.delimiter_label}"]
        if table.ignored_columns:
            details.append(f"ignorierte Spalten: {', '.join(table.ignored_columns)}")
        click.echo(f"{table.source}: {', '.join(details)}")
    if report.rejected:
        for rejection in report.rejected:
            click.echo(str(rejection), err=True)
        click.echo(f"Nichts importiert: {len(report.rejected)} Zeile(n) abgelehnt.", err=True)
        raise SystemExit(1)
    prefix = "Prüfung ohne Fehler (nichts geschrieben)" if dry_run else "Importiert"
    click.echo(f"{prefix}: {report.summary()}")
    if not dry_run:
        from ..network.positions import place_new_nodes

        place_new_nodes()  # the map's layout for the new actors, as after an import in a page


@click.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--personal/--no-personal",
    default=False,
    help="Kontakte (personenbezogene Daten) mit exportieren.",
)
@with_appcontext
def export_command(directory: Path, personal: bool) -> None:
    """Write every table as CSV and XLSX (same headers as the import) into DIRECTORY, plus the
    coverage matrix, the gaps report and, where the map offers them, the network files."""
    from .services import export_everything

    try:
        written = export_everything(directory, personal=personal)
    except DomainError as exc:
        _fail(exc)
    for path in written:
        click.echo(str(path))
    if not personal:
        click.echo("Kontakte nicht exportiert (personenbezogen); mit --personal einschließen.")


@click.command("backup")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--keep", type=click.IntRange(min=1), help="Nur die neuesten N Sicherungen behalten.")
@with_appcontext
def backup_command(directory: Path, keep: int | None) -> None:
    """Write a consistent copy of the database into DIRECTORY while the app keeps running
    (netzwerk-YYYYMMDD-HHMMSS.sqlite, UTC; pg_dump for PostgreSQL)."""
    from .backup import backup

    try:
        path = backup(directory, keep=keep)
    except DomainError as exc:
        _fail(exc)
    click.echo(str(path))


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Ohne Rückfrage ersetzen.")
@with_appcontext
def restore_command(file: Path, yes: bool) -> None:
    """Check the backup FILE (integrity, netzwerk's tables) and replace the database with it.
    The current state is kept as a safety copy first."""
    from .backup import check_backup, restore

    try:
        if file.suffix != ".dump":
            check_backup(file)
        if not yes:
            click.confirm(f"Die Datenbank wird durch {file.name} ersetzt. Fortfahren?", abort=True)
        done = restore(file)
    except DomainError as exc:
        _fail(exc)
    if done.safety is not None:
        click.echo(f"Vorheriger Stand gesichert: {done.safety}")
    if done.migrated_from:
        click.echo(
            f"Die Sicherung (Stand {done.migrated_from}) wurde auf den neuen Stand gebracht."
        )
    click.echo(f"Datenbank aus {file.name} wiederhergestellt.")
    erasures = done.erasures
    if erasures.get("erased"):
        ids = ", ".join(f"#{i}" for i in erasures["erased"])
        click.echo(
            f"Erneut gelöscht (Art. 17, nach der Sicherung gelöscht): {len(erasures['erased'])} "
            f"Kontakt(e): {ids}."
        )
    if erasures.get("namesakes"):
        ids = ", ".join(f"#{i}" for i in erasures["namesakes"])
        click.echo(
            f"Bitte prüfen: Kontakt(e) {ids} tragen den Namen einer gelöschten Person "
            "(andere Nummer, andere oder keine E-Mail) und wurden nicht gelöscht.",
            err=True,
        )
    if erasures.get("other_key"):
        click.echo(
            f"Warnung: {erasures['other_key']} Löschvermerk(e) stammen von einem anderen "
            "geheimen Schlüssel (NETZWERK_SECRET_KEY) und konnten nicht geprüft werden.",
            err=True,
        )
    if erasures.get("recorded") and not erasures.get("erased"):
        click.echo(f"Löschvermerke geprüft ({erasures['recorded']}): niemand war wieder da.")


@click.command("import-cleanup")
@with_appcontext
def import_cleanup_command() -> None:
    """Remove checked uploads older than 24 hours (NETZWERK_IMPORT_PREVIEW_HOURS) that were
    never applied; they hold names and e-mail addresses. For a daily cron job."""
    from .services import expire_uploads

    click.echo(f"Abgelaufene Importvorschauen entfernt: {expire_uploads()}")


COMMANDS = [import_command, export_command, backup_command, restore_command, import_cleanup_command]
