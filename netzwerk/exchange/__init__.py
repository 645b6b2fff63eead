"""Data exchange: CSV/XLSX import and export, backups, data-protection requests."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from . import api, cli, views  # noqa: F401  (api attaches its routes to the /api blueprint)

    app.register_blueprint(views.bp)
    for command in cli.COMMANDS:
        app.cli.add_command(command)
