"""The map in Chromium: the demo draws completely with its ghost nodes, filters reduce it, the
PNG export is a real PNG, user data stays text, and no other host is asked for anything."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from netzwerk.extensions import db
from tests import factories

pytestmark = pytest.mark.browser

READY = "#map-canvas[data-state=ready]"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def wait_ready(page, previous_count: str | None = None):
    """Wait for map.js to mark the drawn map (selectors, not wait_for_function: the page's CSP
    forbids the eval that wait_for_function needs)."""
    selector = READY
    if previous_count is not None:
        selector += f':not([data-node-count="{previous_count}"])'
    page.wait_for_selector(selector, state="attached")
    return page.get_attribute("#map-canvas", "data-node-count")


def test_demo_map_draws_filters_and_exports(app, page, browser_login):
    from netzwerk.demo.services import load_demo
    from netzwerk.topics.models import Topic

    with app.app_context():
        load_demo()
        sdg12 = db.session.scalar(sa.select(Topic.id).where(Topic.code == "SDG12"))
    browser_login("editor")
    page.goto("/karte")
    count = wait_ready(page)

    ids = page.evaluate("window.netzwerkMap.nodeIds()")
    assert int(count) == len(ids)
    actors = [i for i in ids if i.startswith("a")]
    assert len(actors) == 62
    assert sum(i.startswith("t") for i in ids) == 5
    for category in ("migrantenorganisation", "kirche", "handel-gastronomie"):
        assert f"g{sdg12}-{category}" in ids, f"ghost for {category} at SDG12 missing"
    ghost = page.evaluate(f"window.netzwerkMap.visNode('g{sdg12}-kirche')")
    # on the whole map a name may wait for zooming in (test_map_labels.py); it is in the tooltip
    assert page.evaluate(f"window.netzwerkMap.node('g{sdg12}-kirche').label") == (
        "fehlt: Kirche/Glaubensgemeinschaft"
    )
    assert "fehlt: Kirche/Glaubensgemeinschaft" in page.evaluate(
        f"window.netzwerkMap.visNode('g{sdg12}-kirche').title.textContent"
    )
    assert ghost["shapeProperties"]["borderDashes"]

    # a filter reduces the map and lands in the URL
    page.select_option("#f-topic", str(sdg12))
    filtered = wait_ready(page, count)
    assert 0 < int(filtered) < int(count)
    assert f"topic={sdg12}" in page.url
    remaining = page.evaluate("window.netzwerkMap.nodeIds()")
    assert sum(i.startswith("t") for i in remaining) == 1
    assert f"g{sdg12}-kirche" in remaining
    ghost = page.evaluate(f"window.netzwerkMap.visNode('g{sdg12}-kirche')")
    assert ghost["label"] == "fehlt: Kirche/Glaubensgemeinschaft"  # the topic map names them all

    # the shared URL opens the same view
    page.goto(page.url)
    assert wait_ready(page) == filtered

    # the search finds an actor, focuses it and opens the side panel
    page.fill("#map-search-input", "Weltladen")
    page.click("#map-search button[type=submit]")
    page.wait_for_selector("#map-panel:not([hidden])")
    assert "Weltladen" in page.inner_text("#map-panel h2")

    # PNG export: a download whose bytes are a PNG
    with page.expect_download() as download_info:
        page.click("#map-png")
    download = download_info.value
    assert download.suggested_filename == "netzwerkkarte.png"
    with open(download.path(), "rb") as fh:
        assert fh.read(8) == PNG_SIGNATURE

    assert page.foreign_requests == []
    assert page.console_errors == []


def test_user_data_is_shown_as_text_and_runs_nothing(app, page, browser_login):
    name = "<img src=x onerror=alert(1)>"
    description = 'Siehe <a href="javascript:alert(2)">hier</a> <script>alert(3)</script>'
    with app.app_context():
        evil = factories.actor(name=name, category="weltladen", description=description)
        other = factories.actor(name="Nachbarverein", category="eine-welt-gruppe")
        factories.relation(evil, other)
        topic = factories.topic(code="SDG12", title="Fairer Handel")
        factories.link(evil, topic)
        node = f"a{evil.id}"
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    requested = []
    page.on("request", lambda r: requested.append(r.url))
    browser_login("viewer")
    page.goto("/karte")
    wait_ready(page)

    # the canvas label is the literal text
    assert page.evaluate(f"window.netzwerkMap.visNode('{node}').label") == name

    # tooltip on hover: text, no elements made from it
    box = page.locator("#map-canvas").bounding_box()
    point = page.evaluate(f"window.netzwerkMap.canvasPosition('{node}')")
    page.mouse.move(box["x"] + point["x"], box["y"] + point["y"])
    tooltip = page.locator("div.vis-tooltip")
    tooltip.wait_for(state="visible")
    text = tooltip.inner_text()
    assert name in text and "<script>alert(3)</script>" in text
    assert tooltip.locator("img, script, a").count() == 0

    # side panel on click: text again
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    page.wait_for_selector("#map-panel:not([hidden])")
    assert page.inner_text("#map-panel h2") == name
    assert description in page.inner_text("#map-panel")
    assert (
        page.locator("#map-panel img, #map-panel script, #map-panel a[href^=javascript]").count()
        == 0
    )

    assert page.locator('img[src="x"]').count() == 0
    assert not any(url.rstrip("/").endswith("/x") for url in requested)
    assert dialogs == []
    assert page.foreign_requests == []


def test_show_on_map_opens_the_map_on_that_actor(app, page, browser_login):
    """ "Auf der Karte zeigen" on an actor's page: the map selects the actor and shows its panel."""
    from netzwerk.actors.models import Actor
    from netzwerk.demo.services import load_demo

    with app.app_context():
        load_demo()
        actor = db.session.scalars(sa.select(Actor).order_by(Actor.name_key)).first()
        actor_id, name = actor.id, actor.name
    browser_login("viewer")
    page.goto(f"/akteure/{actor_id}")
    page.click("text=Auf der Karte zeigen")
    wait_ready(page)
    assert page.evaluate("window.netzwerkMap.selected()") == [f"a{actor_id}"]
    panel = page.locator("#map-panel")
    assert panel.is_visible()
    assert panel.locator("h2").inner_text() == name
