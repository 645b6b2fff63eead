"""The action programme (Handlungsprogramm): goals per topic and measures per goal traced to
the workshop outcomes they came from, frozen drafts and their diff, reflection links, the council
document and the monitoring after the decision."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from ..core import signals
    from . import api, services, views  # noqa: F401  (api attaches its /api routes)

    app.register_blueprint(views.bp)
    signals.actor_sections.connect(services.actor_section)
    signals.topic_sections.connect(services.topic_section)
    signals.actor_dependents.connect(services.actor_dependents)
