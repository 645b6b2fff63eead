"""Workshops, invitations, date polls, calendar mail and feeds."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from ..core import signals
    from . import api, cli, outcome_views, services, views  # noqa: F401  (attach their routes)

    app.register_blueprint(views.bp)
    for command in cli.COMMANDS:
        app.cli.add_command(command)
    signals.personal_data.connect(services.personal_data_section)
    signals.erase_personal_data.connect(services.erase_personal_data)
    signals.contact_activity.connect(services.last_activity)
