"""A phone (390 × 844 px) in Chromium: the navigation collapses behind "Menü", no page is wider
than the screen, and the map comes first with its filters and legend in a drawer."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from netzwerk.extensions import db

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
READY = "#map-canvas[data-state=ready]"


def pages(app) -> list[str]:
    from netzwerk.actors.models import Actor
    from netzwerk.demo.services import load_demo
    from netzwerk.topics.models import Topic
    from netzwerk.workshops.models import Workshop

    with app.app_context():
        load_demo()
        actor = db.session.scalar(sa.select(Actor.id).order_by(Actor.id))
        topic = db.session.scalar(sa.select(Topic.id).order_by(Topic.id))
        workshop = db.session.scalar(sa.select(Workshop.id).order_by(Workshop.id))
    return [
        "/",
        "/akteure/",
        f"/akteure/{actor}",
        f"/akteure/{actor}/bearbeiten",
        "/kontakte",
        "/themen/",
        f"/themen/{topic}",
        "/luecken",
        "/abdeckung",
        "/karte/tabelle",
        "/projekte/",
        "/workshops/",
        f"/workshops/{workshop}",
        "/programm/",
        "/befragungen/",
        "/austausch/",
        "/admin/benutzer",
    ]


def test_no_page_is_wider_than_a_phone_and_the_menu_collapses(app, page, browser_login):
    urls = pages(app)
    browser_login("admin")
    page.set_viewport_size(PHONE)
    too_wide = []
    for url in urls:
        response = page.goto(url)
        assert response.status == 200, url
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            too_wide.append(f"{url}: {width} px")
    assert not too_wide, "wider than the screen: " + ", ".join(too_wide)

    page.goto("/")
    toggle = page.get_by_role("button", name="Menü")
    assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    nav_link = page.locator("nav .nav a", has_text="Akteure").first
    assert not nav_link.is_visible()  # collapsed
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true" and nav_link.is_visible()
    nav_link.click()
    page.wait_for_url("**/akteure/")

    page.set_viewport_size({"width": 1280, "height": 800})  # on a desk: no menu button
    page.goto("/")
    assert not page.get_by_role("button", name="Menü").is_visible()
    assert page.locator("nav .nav a", has_text="Akteure").first.is_visible()


def test_on_a_phone_the_map_comes_first_and_the_filters_open_in_a_drawer(app, page, browser_login):
    pages(app)
    browser_login("viewer")
    page.set_viewport_size(PHONE)
    page.goto("/karte")
    page.wait_for_selector(READY)
    canvas = page.locator("#map-canvas").bounding_box()
    assert canvas["y"] < 200 and canvas["width"] >= 360 and canvas["height"] >= 400
    filters = page.locator(".map-controls")
    assert not filters.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    opener = page.get_by_role("button", name="Filter und Legende")
    opener.click()
    assert filters.is_visible()
    box = filters.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    page.select_option("#f-sector", "bildung")  # a filter works from the drawer
    page.wait_for_url("**sector=bildung**")
    page.get_by_role("button", name="Schließen").first.click()
    assert not filters.is_visible()
