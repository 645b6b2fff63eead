"""The Alembic migrations build exactly the schema the models describe: a fresh `init-db`
database and a test database (create_all) must not differ."""

from __future__ import annotations

from pprint import pformat

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from netzwerk import create_app
from netzwerk.extensions import db


@pytest.fixture
def fresh_app(tmp_path):
    """An app on an empty database file: no create_all, the migrations build everything."""
    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'fresh.sqlite'}",
        }
    )
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_upgrade_to_head_matches_the_models(fresh_app):
    with fresh_app.app_context():
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "render_as_batch": True}
            )
            diff = compare_metadata(context, db.metadata)
    assert diff == [], (
        "The migrations and the models differ; regenerate the migration "
        "(flask --app netzwerk db migrate):\n" + pformat(diff)
    )


def test_downgrade_to_base_removes_every_table(fresh_app):
    with fresh_app.app_context():
        flask_migrate.upgrade()
        flask_migrate.downgrade(revision="base")
        tables = set(sa.inspect(db.engine).get_table_names())
    assert tables <= {"alembic_version"}
