"""Users, roles, API tokens, login views and permission decorators."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from . import loaders, ratelimit, views
    from .permissions import can_edit, is_admin

    loaders.init_app(app)
    app.register_blueprint(views.bp)
    ratelimit.init_app(app)  # after the blueprint: it limits the login view
    app.context_processor(lambda: {"can_edit": can_edit, "is_admin": is_admin})
