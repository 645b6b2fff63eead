"""The server-drawn charts in Chromium: the start page's process, gaps, sectors and topics, and
the gap history on /luecken load as images a reader sees, each with its text alternative, in
German and English."""

from __future__ import annotations

import pytest

from tests.test_network_history import build

pytestmark = pytest.mark.browser

CHARTS = "figure.chart img"


def shown(page) -> list[dict]:
    return page.eval_on_selector_all(
        CHARTS,
        "els => els.map(e => ({alt: e.alt, width: e.naturalWidth, shown: e.offsetWidth > 0}))",
    )


def test_charts_load_with_their_text_alternatives(app, page, browser_login):
    from netzwerk.demo.services import load_demo

    with app.app_context():
        load_demo()
    build(app)
    browser_login("viewer")
    page.goto("/")
    charts = shown(page)
    assert len(charts) == 4
    assert all(c["width"] > 0 and c["shown"] and c["alt"] for c in charts)
    assert charts[0]["alt"].startswith("Prozessschritte: Akteursidentifikation")
    assert any(c["alt"].startswith("Offene Lücken je Thema: ") for c in charts)

    page.goto("/luecken?topic=SDG99")
    (history,) = shown(page)
    assert history["width"] > 0 and history["shown"]
    assert history["alt"].startswith("Offene Lücken bei SDG99 seit 10.01.2026: 5 → 5 → 4.")

    page.goto("/?lang=en")
    assert shown(page)[0]["alt"].startswith("Process steps: Actor identification")
    page.goto("/luecken?topic=SDG99&lang=en")
    assert shown(page)[0]["alt"].startswith("Open gaps of SDG99 since Jan 10, 2026")
