"""Projects and activities (stocktaking): who carries, funds and partners what, and where the
interlocking of single projects is missing."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from ..core import signals
    from . import api, services, views  # noqa: F401  (api attaches its /api routes)

    app.register_blueprint(views.bp)
    signals.actor_sections.connect(services.actor_section)
    signals.topic_sections.connect(services.topic_section)
    signals.actor_dependents.connect(services.actor_dependents)
