"""Workshops, invitations, date polls, calendar mail and feeds."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from ..core import signals
    from ..mail import queue
    from . import api, cli, compose, privacy, views  # noqa: F401  (api attaches its /api routes)

    app.register_blueprint(views.bp)
    for command in cli.COMMANDS:
        app.cli.add_command(command)
    signals.personal_data.connect(privacy.personal_data_section)
    signals.erase_personal_data.connect(privacy.erase_personal_data)
    signals.contact_activity.connect(privacy.last_activity)
    queue.register_source(compose.SOURCE, compose.prepare_invitation_mail)
