"""The actor network as a graph: loading (graph.py), analysis (gaps, findings, metrics), the
reference checklist of the actor groups a complete process involves, the map and the reports."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from . import api, cli, views  # noqa: F401  (api attaches its routes to the /api blueprint)

    app.register_blueprint(views.bp)
    for command in cli.COMMANDS:
        app.cli.add_command(command)
