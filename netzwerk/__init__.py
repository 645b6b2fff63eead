"""netzwerk: stakeholder network and workshop facilitation for municipal development policy."""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

from flask import Flask

from . import config
from .extensions import babel, csrf, db, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_mapping(config.load(Path(app.instance_path)))
    if test_config:
        app.config.update(test_config)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)

    from .core import web

    babel.init_app(app, locale_selector=web.select_locale, timezone_selector=web.select_timezone)
    web.init_app(app)
    _register_blueprints(app)

    from .core import security

    security.init_app(app)  # after the blueprints: it limits the login view

    from . import cli

    cli.init_app(app)
    return app


DOMAINS = ("core", "auth", "actors", "topics", "audit", "network", "workshops", "exchange")


def _register_blueprints(app: Flask) -> None:
    """Each domain package with a views.py brings a blueprint `bp`; an api.py attaches its
    routes to the shared /api blueprint when imported."""
    from .core.api import api_bp

    for domain in DOMAINS:
        for room in ("views", "api"):
            name = f"{__name__}.{domain}.{room}"
            if importlib.util.find_spec(name) is None:
                continue
            module = importlib.import_module(name)
            if room == "views":
                app.register_blueprint(module.bp)
    app.register_blueprint(api_bp)
