"""The actor network as a graph: loading (graph.py), analysis (gaps, findings, metrics), the
reference checklist of the actor groups a complete process involves, the map and the reports."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from . import cli, map_api, map_views, positions, report_api, report_views  # noqa: F401
    from .blueprint import bp

    app.register_blueprint(bp)  # map_views and report_views attached their routes to bp
    positions.init_app(app)
    for command in cli.COMMANDS:
        app.cli.add_command(command)
