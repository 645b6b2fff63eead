"""A large import must not block the app (issue 14, item 2): the preview is linear and runs on
a private copy of the database (no write lock on the real file), stops after a time limit, a
lock timeout answers 503 with Retry-After (JSON under /api/, the error page otherwise), and a
Bearer request does not need the write lock to note when its token was used."""

from __future__ import annotations

import io
import sqlite3
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

from netzwerk.auth.models import ApiToken
from netzwerk.exchange import services
from netzwerk.extensions import db
from netzwerk.topics.models import Topic

pytestmark = pytest.mark.sqlite_only  # SQLite's single writer is what is tested here


@pytest.fixture
def app_config(tmp_path) -> dict:
    # a writer gives up after 0.3 s instead of 5 s, so the tests are quick
    return {
        "IMPORT_DIR": str(tmp_path / "imports"),
        "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"timeout": 0.3}},
    }


@contextmanager
def write_lock(app):
    """Another process holding SQLite's write lock (as a long import used to)."""
    with app.app_context():
        path = db.engine.url.database
    conn = sqlite3.connect(path, timeout=1, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        conn.execute("ROLLBACK")
        conn.close()


def topics_csv(n: int) -> bytes:
    return ("Code;Titel\n" + "".join(f"T{i};Thema {i}\n" for i in range(n))).encode()


def statements(app, data: bytes) -> int:
    count = 0

    def counter(_conn, _cursor, statement, *_args):
        nonlocal count
        count += statement.lstrip().upper().startswith("SELECT")

    event.listen(Engine, "before_cursor_execute", counter)
    try:
        with app.app_context():
            report = services.import_files([("themen.csv", data)], commit=False)
            assert report.ok
    finally:
        event.remove(Engine, "before_cursor_execute", counter)
    return count


def test_topic_preview_needs_the_same_queries_for_50_and_500_rows(app):
    """2,000 topics took 2.0 s, 8,000 took 14.2 s: one query per row, each scanning every topic
    (quadratic). Now the queries do not grow with the rows (benchmarks/import_load.py times it)."""
    assert statements(app, topics_csv(500)) <= statements(app, topics_csv(50)) + 4


def test_preview_works_while_another_writer_holds_the_lock(app, login):
    editor = login("editor")
    data = topics_csv(300)
    with write_lock(app):
        page = editor.post(
            "/austausch/import",
            data={"files": [(io.BytesIO(data), "themen.csv")], "csrf_token": editor.csrf},
            content_type="multipart/form-data",
        )
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html[:1500]
    assert "T150" in html and "Übernehmen</button>" in html
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Topic.id))) == 0  # only a preview


def test_a_preview_stops_after_the_time_limit(app, login):
    app.config["IMPORT_TIME_LIMIT"] = 1e-9
    editor = login("editor")
    page = editor.post(
        "/austausch/import",
        data={"files": [(io.BytesIO(topics_csv(10)), "themen.csv")], "csrf_token": editor.csrf},
        content_type="multipart/form-data",
    )
    assert page.status_code == 422
    assert "abgebrochen" in page.get_data(as_text=True)


def test_a_lock_timeout_is_a_503_json_with_retry_after_under_api(app, api):
    editor = api("editor", bearer=True)
    with write_lock(app):
        response = editor.post("/api/topics", json={"code": "SDG5", "title": "Gleichstellung"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "ausgelastet" in response.get_json()["error"]


def test_a_lock_timeout_is_a_503_page_in_the_browser(app, login):
    editor = login("editor")
    with write_lock(app):
        response = editor.post(
            "/themen/neu",
            data={"code": "SDG5", "title": "Gleichstellung", "csrf_token": editor.csrf},
        )
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.mimetype == "text/html"
    assert "ausgelastet" in response.get_data(as_text=True)


def test_bearer_requests_work_while_the_database_is_locked(app, api):
    """Token login wrote last_used_at on every request and failed with the lock."""
    viewer = api("viewer", bearer=True)
    assert viewer.get("/api/actors").status_code == 200  # notes the use (free database)
    with app.app_context():
        first = db.session.scalar(sa.select(ApiToken.last_used_at))
    assert first is not None
    with write_lock(app):
        for _ in range(3):
            assert viewer.get("/api/actors").status_code == 200
    assert viewer.get("/api/actors").status_code == 200
    with app.app_context():
        assert db.session.scalar(sa.select(ApiToken.last_used_at)) == first  # not every request
