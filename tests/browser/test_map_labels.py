"""Labels legible at a glance (issue 10 §1), measured in Chromium at 1400×900 from the boxes
vis-network itself draws for each node and its label: on every topic map all names are shown,
none over another, and the drawing fills the view; on the whole map the most important names
are shown without overlaps and the rest appear on zooming in, in the tooltip and in the table."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from netzwerk.extensions import db
from tests.map_support import grow_demo, overlapping

pytestmark = pytest.mark.browser

READY = "#map-canvas[data-state=ready]"
VIEW = {"width": 1400, "height": 900}


def load(app, actors: int | None = None) -> list[int]:
    from netzwerk.demo.services import load_demo
    from netzwerk.network.positions import place_new_nodes
    from netzwerk.topics.models import Topic

    with app.app_context():
        load_demo()
        place_new_nodes()  # as `flask demo` does
        if actors:
            grow_demo(actors)
        return list(db.session.scalars(sa.select(Topic.id).order_by(Topic.id)))


def drawn(page) -> dict:
    """Every node's box, whether it carries its label, and the canvas size and zoom."""
    return page.evaluate(
        """() => {
          const m = window.netzwerkMap;
          const canvas = document.querySelector('#map-canvas canvas');
          return { boxes: m.boundingBoxes(), scale: m.scale(),
                   width: canvas.clientWidth, height: canvas.clientHeight,
                   labelled: m.nodeIds().filter((id) => (m.visNode(id).label || '') !== '') };
        }"""
    )


def fill(d: dict) -> float:
    """The share of the canvas width or height (the larger) the drawing takes."""
    boxes = d["boxes"].values()
    width = (max(b["right"] for b in boxes) - min(b["left"] for b in boxes)) * d["scale"]
    height = (max(b["bottom"] for b in boxes) - min(b["top"] for b in boxes)) * d["scale"]
    return max(width / d["width"], height / d["height"])


def open_map(page, query: str = "") -> dict:
    page.goto(f"/karte{query}")
    page.wait_for_selector(READY, state="attached")
    return drawn(page)


@pytest.mark.parametrize("lang", ["de", "en"])
def test_every_topic_map_shows_all_names_apart_and_fills_the_view(app, page, browser_login, lang):
    topics = load(app)
    browser_login("viewer")
    page.set_viewport_size(VIEW)
    for topic in topics:
        d = open_map(page, f"?topic={topic}&lang={lang}")
        ids = sorted(d["boxes"])
        assert len(ids) > 10, topic
        assert sorted(d["labelled"]) == ids, f"topic {topic}: every node carries its name"
        assert overlapping(d["boxes"], ids) == set(), f"topic {topic}"
        assert fill(d) >= 0.8, f"topic {topic}: the drawing fills {fill(d):.0%} of the view"
        ghosts = [i for i in ids if i.startswith("g")]
        assert ghosts, topic
        label = page.evaluate(f"window.netzwerkMap.visNode('{ghosts[0]}').label")
        assert label.startswith("missing: " if lang == "en" else "fehlt: "), label


def test_whole_map_names_the_important_ones_and_the_rest_on_zoom(app, page, browser_login):
    load(app)
    browser_login("viewer")
    page.set_viewport_size(VIEW)
    d = open_map(page)
    ids = sorted(d["boxes"])
    labelled = d["labelled"]
    assert len(labelled) >= 0.4 * len(ids), f"{len(labelled)} of {len(ids)} nodes named"
    assert len(overlapping(d["boxes"], labelled)) <= 0.02 * len(labelled)
    # topics and the best connected actors come first
    assert all(i in labelled for i in ids if i.startswith("t"))
    kepol = page.evaluate(
        "window.netzwerkMap.nodeIds().find((id) => window.netzwerkMap.node(id)"
        ".label === 'KEpol-Koordination')"
    )
    assert kepol in labelled
    assert fill(d) >= 0.8

    # a name left out is in the node's tooltip and in the table view ...
    hidden = sorted(i for i in ids if i.startswith("a") and i not in labelled)
    assert hidden
    name = page.evaluate(f"window.netzwerkMap.node('{hidden[0]}').name")
    tooltip = page.evaluate(f"window.netzwerkMap.visNode('{hidden[0]}').title.textContent")
    assert name in tooltip

    # ... and on the map once zoomed in on it: the names keep their size on screen
    at = page.evaluate(f"window.netzwerkMap.canvasPosition('{hidden[0]}')")
    box = page.locator("#map-canvas canvas").bounding_box()
    page.mouse.move(box["x"] + at["x"], box["y"] + at["y"])
    for _ in range(6):
        page.mouse.wheel(0, -300)
        page.wait_for_timeout(60)
    for _ in range(50):  # the names follow once the zoom has come to rest
        if page.evaluate(f"window.netzwerkMap.visNode('{hidden[0]}').label"):
            break
        page.wait_for_timeout(100)
    short = page.evaluate(f"window.netzwerkMap.node('{hidden[0]}').label")
    assert page.evaluate(f"window.netzwerkMap.visNode('{hidden[0]}').label") == short
    zoomed = drawn(page)
    assert zoomed["scale"] > d["scale"] * 1.5
    on_screen = [
        i
        for i in zoomed["labelled"]
        if zoomed["boxes"][i]["right"] > zoomed["boxes"][i]["left"]  # every drawn one counts
    ]
    assert len(overlapping(zoomed["boxes"], on_screen)) <= 0.02 * len(on_screen)

    page.goto("/karte/tabelle")
    assert name in page.inner_text("main")


def test_two_hundred_actors_keep_their_names_apart(app, page, browser_login):
    load(app, actors=200)
    browser_login("viewer")
    page.set_viewport_size(VIEW)
    d = open_map(page)
    labelled = d["labelled"]
    assert len(d["boxes"]) > 200
    assert len(overlapping(d["boxes"], labelled)) <= 0.02 * len(labelled)
    assert len(labelled) >= 0.4 * len(d["boxes"]), f"{len(labelled)} of {len(d['boxes'])} named"
    assert fill(d) >= 0.8


def test_a_node_dragged_on_the_whole_map_stays_where_it_was_dropped(app, page, browser_login):
    """The whole map shows the nodes moved apart for their names; a drag there still stores a
    position that brings the node back to where the editor dropped it."""
    load(app)
    browser_login("editor")
    page.set_viewport_size(VIEW)
    open_map(page)
    assert page.evaluate("window.netzwerkMap.labelMode()") == "zoom"
    canvas = page.locator("#map-canvas canvas").bounding_box()
    # an actor inside the drawing (one on its rim would change the view's extent)
    node = page.evaluate(
        f"""() => {{
          const m = window.netzwerkMap;
          const away = (id) => {{ const p = m.canvasPosition(id);
            return Math.hypot(p.x - {canvas["width"] / 2} - 150, p.y - {canvas["height"] / 2}); }};
          const actors = m.nodeIds().filter((id) => id.startsWith('a'));
          return actors.sort((a, b) => away(a) - away(b))[0];
        }}"""
    )
    start = page.evaluate(f"window.netzwerkMap.canvasPosition('{node}')")
    page.mouse.move(canvas["x"] + start["x"], canvas["y"] + start["y"])
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(canvas["x"] + start["x"] + 8 * step, canvas["y"] + start["y"] + 4 * step)
    page.mouse.up()
    page.wait_for_selector("#map-status:has-text('Position gespeichert')")
    dropped = page.evaluate(f"window.netzwerkMap.canvasPosition('{node}')")
    assert dropped["x"] - start["x"] > 60

    open_map(page)
    again = page.evaluate(f"window.netzwerkMap.canvasPosition('{node}')")
    # back where it was dropped, give or take the room its neighbours' names need
    assert abs(again["x"] - dropped["x"]) < 40 and abs(again["y"] - dropped["y"]) < 40, (
        start,
        dropped,
        again,
    )
