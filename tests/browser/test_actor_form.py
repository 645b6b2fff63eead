"""In Chromium: an editor logs in through the form and creates an actor; a viewer is offered no
way to create one. Nothing is loaded from another host and no script fails."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from netzwerk.actors.models import Actor
from netzwerk.extensions import db

pytestmark = pytest.mark.browser


def test_editor_logs_in_and_creates_an_actor(app, page, browser_login):
    browser_login("editor")  # fills and submits the login form
    page.get_by_role("link", name="Akteure", exact=True).click()
    page.get_by_role("link", name="Akteur anlegen").click()
    page.wait_for_url("**/akteure/neu")
    page.get_by_label("Name", exact=True).fill("Eine Welt Forum Aachen")
    page.get_by_label("Kategorie").select_option(label="Eine-Welt-Netzwerk, Promotor*innen")
    page.get_by_label("Ort").fill("Aachen")
    page.get_by_role("button", name="Speichern").click()
    page.wait_for_url(re.compile(r"/akteure/\d+$"))
    assert page.get_by_role("heading", level=1).text_content().strip() == "Eine Welt Forum Aachen"
    assert "Akteur Eine Welt Forum Aachen angelegt." in page.locator(".flashes").text_content()
    with app.app_context():
        actor = db.session.scalar(sa.select(Actor))
        assert (actor.name, actor.category_key) == ("Eine Welt Forum Aachen", "eine-welt-netzwerk")
        assert page.url.endswith(f"/akteure/{actor.id}")
    assert page.foreign_requests == []
    assert page.console_errors == []


def test_viewer_is_offered_no_create_button(page, browser_login):
    browser_login("viewer")
    page.goto("/akteure/")
    assert page.get_by_role("heading", name="Akteure").is_visible()
    assert page.get_by_text("Akteur anlegen").count() == 0
    assert page.foreign_requests == []
    assert page.console_errors == []
