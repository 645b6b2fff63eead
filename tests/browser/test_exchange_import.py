"""The two-step import in Chromium: choose a file, read the preview, click "Übernehmen"."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from netzwerk.actors.models import Actor
from netzwerk.extensions import db

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config(tmp_path) -> dict:
    return {"IMPORT_DIR": str(tmp_path / "imports")}


def test_upload_preview_and_apply(app, browser_login, tmp_path):
    csv = tmp_path / "akteure.csv"
    csv.write_bytes("Name;Kategorie;Ort\r\nWeltladen Düren;weltladen;Düren\r\n".encode("cp1252"))
    page = browser_login("editor")

    page.goto("/")
    page.get_by_role("link", name="Import/Export").click()
    page.set_input_files("input[type=file]", str(csv))
    page.get_by_role("button", name="Prüfen (Vorschau)").click()

    page.get_by_role("heading", name="Import prüfen").wait_for()
    assert "Windows-1252" in page.content() and "Semikolon (;)" in page.content()
    page.get_by_text("Wird neu angelegt (1)").click()  # opens the list
    assert page.get_by_role("cell", name="Weltladen Düren").is_visible()
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Actor.id))) == 0

    page.get_by_role("button", name="Übernehmen").click()

    page.get_by_text("Import übernommen: Akteure: 1 neu").wait_for()
    with app.app_context():
        assert db.session.scalar(sa.select(Actor.city)) == "Düren"
    assert page.console_errors == []
    assert page.foreign_requests == []
