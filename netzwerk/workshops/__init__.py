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
    warn_about_organizer(app)


def warn_about_organizer(app: Flask) -> str | None:
    """Say at start-up when invitations would name an ORGANIZER nobody can answer to (the
    default NETZWERK_MAIL_FROM, kepol@localhost): replies from real calendars would bounce."""
    from email.utils import getaddresses

    from ..mail.message import undeliverable_reason

    pairs = getaddresses([app.config.get("MAIL_FROM", "")])
    address = pairs[0][1] if pairs else ""
    reason = undeliverable_reason(address)
    if reason:
        app.logger.warning(
            "NETZWERK_MAIL_FROM=%s is the ORGANIZER of invitations, but %s: replies from "
            "Outlook, Thunderbird or Apple Calendar to it will bounce. Set NETZWERK_MAIL_FROM "
            "to a real address (or give each workshop its own organizer).",
            address,
            reason,
        )
    return reason
