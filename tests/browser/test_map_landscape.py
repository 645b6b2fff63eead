"""The Akteurslandkarte in Chromium, as a coordinator sees it for SDG 12 in the demo: every
actor inside its sector slice and its ring, the missing actor groups as empty dashed slots in
their slice, names in English with ?lang=en, and no label over another (label boxes as
vis-network measures them)."""

from __future__ import annotations

import math
import re

import pytest
import sqlalchemy as sa

from netzwerk.extensions import db
from netzwerk.network import landscape

pytestmark = pytest.mark.browser

READY = "#map-canvas[data-state=ready]"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def demo_facts(app):
    """From the database, not from the page: the actors' sectors, levels, roles on SDG 12,
    influence and interest, and each category's sector."""
    from netzwerk.actors.models import Actor, Category
    from netzwerk.demo.services import load_demo
    from netzwerk.topics.models import ActorTopic, Topic

    with app.app_context():
        load_demo()
        sdg12 = db.session.scalar(sa.select(Topic.id).where(Topic.code == "SDG12"))
        sectors = dict(db.session.execute(sa.select(Category.key, Category.sector)).all())
        roles = dict(
            db.session.execute(
                sa.select(ActorTopic.actor_id, ActorTopic.role).where(ActorTopic.topic_id == sdg12)
            ).all()
        )
        actors = {
            f"a{a.id}": {
                "slice": landscape.slice_of(str(sectors[a.category_key]), str(a.level)),
                "ring": landscape.ring_of([str(roles[a.id])], a.power, a.interest),
            }
            for a in db.session.scalars(sa.select(Actor).where(Actor.id.in_(roles)))
        }
    return sdg12, actors, {key: landscape.slice_of(str(s)) for key, s in sectors.items()}


def angle_in(x: float, y: float, start: float, end: float) -> bool:
    angle = math.atan2(y, x)
    while angle < start:
        angle += 2 * math.pi
    return start < angle < end


def test_akteurslandkarte_for_sdg12_in_english(app, page, browser_login):
    sdg12, actors, category_slice = demo_facts(app)
    browser_login("viewer")
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"/karte?topic={sdg12}&ansicht=akteurslandkarte&lang=en")
    page.wait_for_selector(READY, state="attached")
    assert page.input_value("#f-view") == "akteurslandkarte"

    geo = page.evaluate("window.netzwerkMap.landscape()")
    positions = page.evaluate("window.netzwerkMap.positions()")
    slices = {s["key"]: s for s in geo["slices"]}
    rings = {r["key"]: r for r in geo["rings"]}
    assert [s["label"] for s in geo["slices"]] == [
        "Administration and politics",
        "Civil society",
        "Education and science",
        "Business",
        "Partner cities and international",
        "State, federal government, funders",
    ]
    assert [r["label"] for r in geo["rings"]] == [
        "Key actors",
        "Primary actors",
        "Secondary actors",
    ]

    # every actor of the topic in its slice's angle range and its ring's radius range
    shown = {i for i in positions if i.startswith("a")}
    assert shown == set(actors)
    assert {a["ring"] for a in actors.values()} == {
        landscape.KEY,
        landscape.PRIMARY,
        landscape.SECONDARY,
    }
    for node, facts in actors.items():
        x, y = positions[node]["x"], positions[node]["y"]
        s, r = slices[facts["slice"]], rings[facts["ring"]]
        assert angle_in(x, y, s["start"], s["end"]), (node, facts)
        assert r["inner"] < math.hypot(x, y) < r["outer"], (node, facts)
    topic = f"t{sdg12}"
    assert (positions[topic]["x"], positions[topic]["y"]) == (0, 0)

    # the missing groups: empty dashed slots in their slice, labelled in English
    ghosts = [i for i in positions if i.startswith("g")]
    for category in ("migrantenorganisation", "kirche", "handel-gastronomie", "hochschule"):
        assert f"g{sdg12}-{category}" in ghosts
    for ghost in ghosts:
        category = ghost.split("-", 1)[1]
        x, y = positions[ghost]["x"], positions[ghost]["y"]
        s = slices[category_slice[category]]
        assert angle_in(x, y, s["start"], s["end"]), ghost
        r = rings[landscape.PRIMARY]
        assert r["inner"] < math.hypot(x, y) < r["outer"], ghost
        drawn = page.evaluate(f"window.netzwerkMap.visNode('{ghost}')")
        assert drawn["shapeProperties"]["borderDashes"], ghost
        assert drawn["color"]["background"] == "#ffffff", ghost  # empty
        assert drawn["label"].startswith("missing: "), drawn["label"]
    economy = [g for g in ghosts if category_slice[g.split("-", 1)[1]] == landscape.ECONOMY]
    assert economy, "the thin Business slice shows its missing retail slot"

    # no label over another: the boxes vis-network measured for every node and its label
    boxes = page.evaluate("window.netzwerkMap.boundingBoxes()")
    assert len(boxes) == len(positions)
    overlapping = [
        (a, b)
        for i, a in enumerate(sorted(boxes))
        for b in sorted(boxes)[i + 1 :]
        if boxes[a]["left"] < boxes[b]["right"]
        and boxes[b]["left"] < boxes[a]["right"]
        and boxes[a]["top"] < boxes[b]["bottom"]
        and boxes[b]["top"] < boxes[a]["bottom"]
    ]
    assert overlapping == []

    # the same data, the same picture
    page.reload()
    page.wait_for_selector(READY, state="attached")
    assert page.evaluate("window.netzwerkMap.positions()") == positions
    assert page.console_errors == []
    assert page.foreign_requests == []


def test_akteurslandkarte_switch_keeps_filters_and_exports_png(app, page, browser_login):
    sdg12, _actors, _slices = demo_facts(app)
    browser_login("editor")
    page.goto(f"/karte?topic={sdg12}")
    page.wait_for_selector(READY, state="attached")
    page.select_option("#f-view", "akteurslandkarte")
    page.wait_for_selector("body.landscape-view " + READY, state="attached")
    assert f"topic={sdg12}" in page.url and "ansicht=akteurslandkarte" in page.url
    ids = page.evaluate("window.netzwerkMap.nodeIds()")
    assert not [i for i in ids if i.startswith("w")]  # workshops are not actors

    # the relations stay filterable: only cooperations
    edges = page.get_attribute("#map-canvas", "data-edge-count")
    page.select_option("#f-kind", "kooperation")
    page.wait_for_selector(f'{READY}:not([data-edge-count="{edges}"])', state="attached")
    assert "kind=kooperation" in page.url and "ansicht=akteurslandkarte" in page.url

    # the side panel and the search work as on the map
    page.fill("#map-search-input", "Weltladen")
    page.click("#map-search button[type=submit]")
    page.wait_for_selector("#map-panel:not([hidden])")
    assert "Weltladen" in page.inner_text("#map-panel h2")

    with page.expect_download() as download_info:
        page.click("#map-png")
    download = download_info.value
    assert download.suggested_filename == "akteurslandkarte.png"
    with open(download.path(), "rb") as fh:
        assert fh.read(8) == PNG_SIGNATURE
    assert page.console_errors == []


def test_ghost_labels_are_english_on_the_network_map_too(app, page, browser_login):
    sdg12, _actors, _slices = demo_facts(app)
    browser_login("viewer")
    page.goto(f"/karte?topic={sdg12}&lang=en")
    page.wait_for_selector(READY, state="attached")
    ghost = page.evaluate(f"window.netzwerkMap.visNode('g{sdg12}-kirche')")
    assert ghost["label"] == "missing: Church/faith community"


def test_akteurslandkarte_prints_on_one_a4_landscape_sheet(app, page, browser_login):
    sdg12, _actors, _slices = demo_facts(app)
    browser_login("viewer")
    page.goto(f"/karte?topic={sdg12}&ansicht=akteurslandkarte")
    page.wait_for_selector("body.landscape-view " + READY, state="attached")
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")  # as the browser does
    page.emulate_media(media="print")
    assert not page.is_visible(".map-controls")
    assert page.is_visible("#map-print-head")
    assert page.inner_text("#map-print-title").startswith("Akteurslandkarte: SDG12")
    legend = page.inner_text("#map-print-legend")
    assert "Stand: " in legend and "1. Schlüsselakteure" in legend
    assert "fehlende Akteursgruppe" in legend
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    sheets = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert len(sheets) == 1, f"{len(sheets)} sheets"
    width, height = (float(v) for v in sheets[0])
    assert (round(width), round(height)) == (842, 595), "not A4 landscape (842 × 595 pt)"
