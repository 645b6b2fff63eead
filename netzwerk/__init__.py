"""netzwerk: stakeholder network and workshop facilitation for municipal development policy."""

from __future__ import annotations

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

    from . import cli

    cli.init_app(app)
    return app


def _register_blueprints(app: Flask) -> None:
    # the domain API modules attach their routes to api_bp when imported
    from .actors import api as _actors_api  # noqa: F401
    from .actors.views import bp as actors_bp
    from .auth.views import bp as auth_bp
    from .core.api import api_bp
    from .core.views import bp as core_bp
    from .topics import api as _topics_api  # noqa: F401
    from .topics.views import bp as topics_bp

    for bp in (core_bp, auth_bp, actors_bp, topics_bp, api_bp):
        app.register_blueprint(bp)
