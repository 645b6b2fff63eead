"""netzwerk: stakeholder network and workshop facilitation for municipal development policy."""

from __future__ import annotations

import importlib
import importlib.util
import os
from pathlib import Path

from flask import Flask

from . import config
from .extensions import babel, csrf, db, login_manager, migrate

PACKAGE = Path(__file__).resolve().parent
MIGRATIONS = PACKAGE / "migrations"


def instance_path() -> str | None:
    """NETZWERK_INSTANCE_PATH, else instance/ beside the package in a source checkout (what
    `make run` uses), else Flask's default for an installed package
    (<prefix>/var/netzwerk-instance)."""
    if path := os.environ.get("NETZWERK_INSTANCE_PATH"):
        return str(Path(path).resolve())
    checkout = PACKAGE.parent
    if (checkout / "setup.cfg").exists():
        return str(checkout / "instance")
    return None


def create_app(test_config: dict | None = None) -> Flask:
    """The app; `test_config` overrides settings (INSTANCE_PATH: where instance files go)."""
    test_config = dict(test_config or {})
    app = Flask(__name__, instance_path=test_config.pop("INSTANCE_PATH", None) or instance_path())
    app.config.from_mapping(config.load(Path(app.instance_path), test_config))

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS), render_as_batch=True)
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
