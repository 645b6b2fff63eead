"""The action programme (Handlungsprogramm): goals per topic and measures per goal traced to
the workshop outcomes they came from, frozen drafts and their diff, reflection links, the council
document and the monitoring after the decision."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from ..core import signals
    from ..mail import queue
    from . import (  # noqa: F401  (modules that attach their routes)
        api,
        council_views,
        monitoring_views,
        reflection,
        reflection_views,
        services,
        views,
    )

    app.register_blueprint(views.bp)
    queue.register_source(reflection.SOURCE, reflection.prepare_reflection_mail)
    signals.personal_data.connect(reflection.personal_data_section)
    signals.erase_personal_data.connect(reflection.erase_personal_data)
    signals.contact_activity.connect(reflection.last_activity)
    signals.actor_sections.connect(services.actor_section)
    signals.topic_sections.connect(services.topic_section)
    signals.actor_dependents.connect(services.actor_dependents)
