"""netzwerk: stakeholder network and workshop facilitation for municipal development policy."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from . import config
from .extensions import babel, csrf, db, limiter, migrate

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
    limiter.init_app(app)

    from .core import web

    babel.init_app(app, locale_selector=web.select_locale, timezone_selector=web.select_timezone)
    web.init_app(app)

    # Each domain wires itself (blueprint, API routes, CLI commands, signal receivers) in its
    # init_app; the list is the whole application, in the order the navigation reads.
    from . import (
        actors,
        audit,
        auth,
        dashboard,
        demo,
        exchange,
        mail,
        network,
        programme,
        projects,
        surveys,
        topics,
        workshops,
    )
    from .core.api import api_bp

    domains = (
        auth,
        dashboard,
        actors,
        topics,
        audit,
        network,
        workshops,
        projects,
        programme,
        surveys,
        mail,
        exchange,
        demo,
    )
    for domain in domains:
        domain.init_app(app)
    app.register_blueprint(api_bp)  # after the domains attached their /api routes

    from . import cli

    cli.init_app(app)
    return app
