"""Network commands: write the exports (GraphML, GEXF, JSON, HTML map) into a directory."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.command("export-map")
@click.argument("directory", type=click.Path(file_okay=False))
@with_appcontext
def export_map(directory: str) -> None:
    """Write graph.graphml, graph.gexf, graph.json and karte.html into DIRECTORY."""
    from .exports import export_all

    for path in export_all(directory):
        click.echo(f"{path} ({path.stat().st_size:,} Bytes)".replace(",", "."))


COMMANDS = [export_map]
