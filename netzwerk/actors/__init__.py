"""Actors, contacts, categories and relations."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from . import api, views  # noqa: F401  (api attaches its routes to the /api blueprint)

    app.register_blueprint(views.bp)
    app.register_blueprint(views.contacts_bp)
