"""Power/interest grid in Chromium: an editor drags an actor into another quadrant, and the
standalone HTML export draws offline without running anything from a node title."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from netzwerk.actors.models import Actor
from netzwerk.extensions import db
from tests import factories

pytestmark = pytest.mark.browser

EVIL_NAME = "<img src=x onerror=alert(1)>"


def test_editor_drags_an_actor_into_another_quadrant(app, page, browser_login):
    with app.app_context():
        actor = factories.actor(
            name="Welthaus Aachen e.V.", category="eine-welt-gruppe", power=1, interest=1
        )
        actor_id = actor.id
    browser_login("editor")
    page.set_viewport_size({"width": 1400, "height": 1400})  # source and target both in view
    page.goto("/einfluss-interesse")
    chip = page.locator(f"#akteur-{actor_id}")
    target = page.locator('.pi-cell[data-power="5"][data-interest="4"]')
    assert (
        chip.locator("xpath=ancestor::div[contains(@class,'pi-cell')]").get_attribute("data-power")
        == "1"
    )
    chip.drag_to(target)
    status = page.locator("#grid-status")
    status.filter(has_text="Eng einbinden").wait_for()
    assert "Einfluss 5, Interesse 4" in status.text_content()
    assert target.locator(f"#akteur-{actor_id}").count() == 1
    # the table form follows, so a later save sends the new version
    assert page.locator(f"#power-{actor_id}").input_value() == "5"
    with app.app_context():
        moved = db.session.get(Actor, actor_id)
        assert (moved.power, moved.interest) == (5, 4)
        assert page.locator(f'#move-{actor_id} [name="version"]').input_value() == str(
            moved.version
        )
    page.reload()
    assert target.locator(f"#akteur-{actor_id}").count() == 1
    script_errors = [e for e in page.console_errors if not e.startswith("Failed to load resource")]
    assert script_errors == [] and page.foreign_requests == []


def test_exported_html_map_draws_offline_and_runs_nothing(app, browser, tmp_path):
    from netzwerk.network.exports import export_all

    with app.app_context():
        evil = factories.actor(
            name=EVIL_NAME, category="eine-welt-gruppe", description="href </script><b>fett</b>"
        )
        other = factories.actor(name="FB 60", category="verwaltung")
        factories.relation(evil, other)
        paths = {p.name: p for p in export_all(tmp_path)}
        node_count = db.session.scalar(sa.select(sa.func.count(Actor.id)))
    context = browser.new_context()
    page = context.new_page()
    requests, dialogs, errors = [], [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(paths["karte.html"].as_uri())
        page.wait_for_selector("body[data-drawn]")
        assert page.locator("#netzwerk-map canvas").count() == 1
        # hover tooltips and the details panel hold the name as text
        # (the one image is the Akteurslandkarte: an SVG data: URI drawn by the export)
        injected = "document.querySelectorAll('img:not(#akteurslandkarte > img), b').length"
        assert page.evaluate(injected) == 0
        assert page.evaluate(
            "[...document.querySelectorAll('#akteurslandkarte > img')]"
            ".map(i => i.src.startsWith('data:image/svg+xml;base64,'))"
        ) == [True]
        page.click("a[href='#akteurslandkarte']")  # the header's link shows it
        assert page.locator("#akteurslandkarte > img").is_visible()
        assert page.evaluate("document.querySelector('#akteurslandkarte > img').naturalWidth") > 0
        drawn = page.evaluate(
            "JSON.parse(document.getElementById('netzwerk-data').textContent).nodes.length"
        )
        assert drawn >= node_count
        assert dialogs == [] and errors == []
        assert all(url.startswith(("file://", "data:")) for url in requests), requests
    finally:
        context.close()
