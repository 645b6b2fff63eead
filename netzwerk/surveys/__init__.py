"""Network surveys: the actors name their partners and who is missing; editors review."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from ..core import signals
    from . import analysis, api, cli, privacy, sending, views  # noqa: F401  (api: /api routes)

    app.register_blueprint(views.bp)
    for command in cli.COMMANDS:
        app.cli.add_command(command)
    sending.init_app()
    signals.personal_data.connect(privacy.personal_data_section)
    signals.erase_personal_data.connect(privacy.erase_personal_data)
    signals.contact_activity.connect(privacy.last_activity)
    signals.missing_actors.connect(analysis.missing_actors)
    signals.analysis_findings.connect(analysis.survey_findings)
