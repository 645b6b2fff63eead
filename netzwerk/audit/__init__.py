"""The audit trail: every change the services make is recorded here."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from . import views

    app.register_blueprint(views.bp)
