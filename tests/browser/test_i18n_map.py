"""The map's own texts (drawn by map.js, not by a template) follow the interface language."""

from __future__ import annotations

import pytest

from tests import factories

pytestmark = pytest.mark.browser

READY = "#map-canvas[data-state=ready]"


def test_map_script_speaks_english(app, page, browser_login):
    with app.app_context():
        forum = factories.actor(name="Eine Welt Forum Aachen", category="eine-welt-netzwerk")
        factories.relation(forum, factories.actor(name="Fachbereich Umwelt"))
    browser_login("editor")
    page.goto("/karte?lang=en")
    page.wait_for_selector(READY, state="attached")
    assert page.inner_text("#map-status").startswith("2 of 2 actors")

    page.fill("#map-search-input", "Eine Welt")
    page.click("#map-search button[type=submit]")
    page.wait_for_selector("#map-panel:not([hidden])")
    assert page.inner_text("#map-status") == "Eine Welt Forum Aachen found."
    panel = page.inner_text("#map-panel")
    for text in ("Close", "Category", "Sector", "Civil society", "Metrics", "Actor page"):
        assert text in panel
    for german in ("Schließen", "Kategorie", "Kennzahlen", "Akteursseite"):
        assert german not in panel

    page.fill("#map-search-input", "Rathaus")
    page.click("#map-search button[type=submit]")
    assert page.inner_text("#map-status") == "No actor “Rathaus” in the current view."
    assert page.console_errors == []
