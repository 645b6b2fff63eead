"""A Land-wide network in Chromium (issue 10 §5): above MAP_GROUP_ABOVE actors the map draws
the communities as circles with their member count and the lines between them summed, and a
group opens into its actors where one zooms in, clicks it or searches one of its actors. The
threshold is lowered here so the grown demo (200 actors) stands in for 10,000; the speed is
measured by `benchmarks/map.py --large`."""

from __future__ import annotations

import pytest

from tests.map_support import grow_demo

pytestmark = pytest.mark.browser

READY = "#map-canvas[data-state=ready]"


@pytest.fixture
def app_config() -> dict:
    return {"MAP_GROUP_ABOVE": 100}


def drawn_actors(page) -> list[str]:
    return page.evaluate("window.netzwerkMap.nodeIds().filter((id) => id.startsWith('a'))")


def test_a_large_network_is_drawn_as_groups_that_open_on_zoom(app, page, browser_login):
    from netzwerk.demo.services import load_demo
    from netzwerk.network.positions import place_new_nodes

    with app.app_context():
        load_demo()
        place_new_nodes()
        grow_demo(200)
    browser_login("viewer")
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto("/karte")
    page.wait_for_selector(READY, state="attached")

    groups = page.evaluate("window.netzwerkMap.groups()")
    assert groups["count"] >= 3 and groups["open"] == 0
    assert drawn_actors(page) == []
    group = page.evaluate("window.netzwerkMap.nodeIds().find((id) => id.startsWith('lod-'))")
    drawn = page.evaluate(f"window.netzwerkMap.visNode('{group}')")
    assert drawn["label"].endswith(")")  # "KEpol-Koordination … (37)": the best-linked member
    tooltip = page.evaluate(f"window.netzwerkMap.visNode('{group}').title.textContent")
    assert "Akteure" in tooltip and "Hineinzoomen" in tooltip
    # topics stay themselves; the lines between groups are summed
    assert page.evaluate("window.netzwerkMap.nodeIds().filter((id) => id.startsWith('t'))")
    assert int(page.get_attribute("#map-canvas", "data-node-count")) < 100

    # zooming in on a group opens it into its actors
    at = page.evaluate(f"window.netzwerkMap.canvasPosition('{group}')")
    box = page.locator("#map-canvas canvas").bounding_box()
    page.mouse.move(box["x"] + at["x"], box["y"] + at["y"])
    for _ in range(20):
        page.mouse.wheel(0, -300)
        page.wait_for_timeout(50)
    for _ in range(50):
        if page.evaluate("window.netzwerkMap.groups().open"):
            break
        page.wait_for_timeout(100)
    assert page.evaluate("window.netzwerkMap.groups().open") >= 1
    assert drawn_actors(page)

    # and back out, the groups close again
    for _ in range(30):
        page.mouse.wheel(0, 400)
        page.wait_for_timeout(50)
    for _ in range(50):
        if not page.evaluate("window.netzwerkMap.groups().open"):
            break
        page.wait_for_timeout(100)
    assert drawn_actors(page) == []

    # searching an actor opens its group and shows it
    page.fill("#map-search-input", "Welthaus")
    page.press("#map-search-input", "Enter")
    page.locator("#map-panel h2").wait_for(state="visible")
    assert "Welthaus" in page.inner_text("#map-panel h2")
    welthaus = page.evaluate("window.netzwerkMap.selected()")
    assert welthaus and welthaus[0] in drawn_actors(page)


def test_a_topic_map_below_the_threshold_shows_its_actors(app, page, browser_login):
    from netzwerk.demo.services import load_demo
    from netzwerk.topics.models import Topic

    with app.app_context():
        load_demo()
        sdg4 = Topic.query.filter_by(code="SDG4").one().id
    browser_login("viewer")
    page.goto(f"/karte?topic={sdg4}")
    page.wait_for_selector(READY, state="attached")
    assert page.evaluate("window.netzwerkMap.groups()") is None
    assert drawn_actors(page)
