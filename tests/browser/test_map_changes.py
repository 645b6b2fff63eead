"""The map's comparison in Chromium: with "Änderungen seit" the actor added since is drawn with
the green border, the deleted one faded and dashed with "entfernt am …", the closed gap marked,
and the legend explains the marks."""

from __future__ import annotations

from datetime import date

import pytest

from tests.history_support import build

pytestmark = pytest.mark.browser

READY = "#map-canvas[data-state=ready]"


def test_the_map_highlights_what_changed_since_a_day(app, page, browser_login):
    ids = build(app)
    browser_login("viewer")
    page.goto(f"/karte?topic={ids['topic']}&seit=2026-02-20")
    page.wait_for_selector(READY, state="attached")
    assert page.input_value("#f-since") == "2026-02-20"

    uni = page.evaluate(f"window.netzwerkMap.visNode('a{ids['uni']}')")
    assert uni["borderWidth"] == 4 and uni["color"]["border"] == "#1a7f37"
    council = page.evaluate(f"window.netzwerkMap.visNode('a{ids['council']}')")
    assert council["opacity"] < 0.5 and council["shapeProperties"]["borderDashes"]
    assert council["label"] == "Ratsfraktion <b>X</b>"  # text on the canvas, never HTML
    removed = page.evaluate(f"window.netzwerkMap.node('a{ids['council']}')")
    assert removed["change_label"] == "entfernt am 01.03.2026"
    closed = page.evaluate(f"window.netzwerkMap.visNode('c{ids['topic']}-hochschule')")
    assert closed["label"] == "geschlossen: Hochschule/Forschung"
    admin = page.evaluate(f"window.netzwerkMap.visNode('a{ids['admin']}')")
    assert admin["borderWidth"] != 4

    status = page.inner_text("#map-status")
    assert "1 neu" in status and "1 entfernt" in status and "1 Lücken geschlossen" in status
    legend = page.inner_text(".legend-changes")
    assert "neu seit dem Datum" in legend and "Lücke geschlossen seit dem Datum" in legend

    # the side panel of the removed actor says when it went
    page.evaluate("window.netzwerkMap.search('Ratsfraktion')")
    page.wait_for_selector("#map-panel:not([hidden])")
    assert "entfernt am 01.03.2026" in page.inner_text("#map-panel")

    # "Stand am" a past day, without comparison: the map of then, kept in the URL
    page.fill("#f-since", "")
    page.wait_for_selector(READY, state="attached")
    page.fill("#f-at", "2026-01-20")
    page.wait_for_selector(READY, state="attached")
    assert "at=2026-01-20" in page.url and "seit=" not in page.url
    assert "Stand am" in page.inner_text("#map-status")
    ids_now = page.evaluate("window.netzwerkMap.nodeIds()")
    assert f"a{ids['uni']}" not in ids_now and f"a{ids['school']}" not in ids_now
    assert f"a{ids['council']}" in ids_now

    # the time line: back to today, then dragged to the same past day
    page.fill("#f-at", "")
    page.wait_for_selector(READY, state="attached")
    slider = page.locator("#f-at-slider")
    assert slider.get_attribute("value") == slider.get_attribute("max")
    assert page.inner_text("#f-at-slider-day") == "heute"
    first = date.fromisoformat(slider.get_attribute("data-first"))
    slider.fill(str((date(2026, 1, 20) - first).days))
    page.wait_for_selector(READY, state="attached")
    assert page.input_value("#f-at") == "2026-01-20" and "at=2026-01-20" in page.url
    assert page.inner_text("#f-at-slider-day") == "20.1.2026"
    assert set(page.evaluate("window.netzwerkMap.nodeIds()")) == set(ids_now)
    assert page.console_errors == [] and page.foreign_requests == []
