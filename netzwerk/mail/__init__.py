"""Outgoing mail for every domain: the queue (built once, stored whole, sent at most once), the
MIME structure, and the transports (SMTP, or .eml files in the outbox folder).

A domain composes its messages (workshops: invitations as iMIP, RFC 6047) and registers a
*source* for them: what goes into the link placeholder when a message is sent, and whether it
may still be sent. This package knows no domain.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from . import cli

    for command in cli.COMMANDS:
        app.cli.add_command(command)
