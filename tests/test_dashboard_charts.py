"""The start page's pictures: the process, open gaps per topic, actors by sector and per topic,
each an SVG image with a text alternative, and the coming workshops with their answers."""

from __future__ import annotations

import base64
import re
from datetime import timedelta
from xml.etree import ElementTree

import pytest

from netzwerk.core.timeutil import utcnow
from netzwerk.dashboard import charts
from netzwerk.workshops.models import Phase, Response, Workshop, WorkshopStatus
from tests.workshops_support import plan

pytestmark = pytest.mark.usefixtures("fast_passwords")
SVG = "{http://www.w3.org/2000/svg}"


def images(html: str) -> list[tuple[str, list[str]]]:
    """(alt, texts drawn) of every chart on the page."""
    found = []
    pattern = r'<img src="data:image/svg\+xml;base64,([^"]+)" alt="([^"]*)"'
    for src, alt in re.findall(pattern, html):
        root = ElementTree.fromstring(base64.b64decode(src))
        found.append((alt, ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]))
    return found


def test_phase_states_follow_the_workshops():
    now = utcnow()

    def workshop(phase, days, status=WorkshopStatus.PLANNED):
        return Workshop(phase=phase, starts_at=now + timedelta(days=days), status=status)

    rows = charts.phase_states(
        [
            workshop(Phase.ACTOR_IDENTIFICATION, -90, WorkshopStatus.DONE),
            workshop(Phase.FOCUS_GROUP, -10),  # held: its date has passed
            workshop(Phase.FOCUS_GROUP, 14),  # the next one: this step is current
            workshop(Phase.REFLECTION, 60, WorkshopStatus.CANCELLED),
        ],
        now,
    )
    states = {row["phase"]: (row["state"], row["held"], row["planned"]) for row in rows}
    assert states[Phase.ACTOR_IDENTIFICATION] == (charts.DONE, 1, 0)
    assert states[Phase.STOCKTAKING] == (charts.OPEN, 0, 0)
    assert states[Phase.FOCUS_GROUP] == (charts.CURRENT, 1, 1)
    assert states[Phase.REFLECTION] == (charts.OPEN, 0, 0)  # cancelled ones do not count


def test_the_start_page_shows_the_process_gaps_and_actors_as_pictures(app, login):
    from netzwerk.demo.services import load_demo

    with app.app_context():
        load_demo()
    planned = plan(
        app,
        contacts=[{"email": "anna@example.org"}, {"email": "ben@example.org"}],
        title="Fokusgruppe <b>Vergabe</b>",
        starts_at=(utcnow() + timedelta(days=20)).replace(microsecond=0),
        ends_at=(utcnow() + timedelta(days=20, hours=2)).replace(microsecond=0),
    )
    with app.app_context():
        from netzwerk.extensions import db

        workshop = db.session.get(Workshop, planned["id"])
        workshop.invitations[0].response = Response.ACCEPTED
        db.session.commit()
    viewer = login("viewer")
    html = viewer.get("/").get_data(as_text=True)
    pictures = images(html)
    assert len(pictures) == 4
    (process_alt, process_texts), (gaps_alt, gaps_texts), (sector_alt, _), (topic_alt, _) = pictures
    assert "Fokusgruppe" in process_texts and "aktuell" in process_texts
    assert process_alt.startswith("Prozessschritte: Akteursidentifikation")
    assert "Fokusgruppe: aktuell" in process_alt
    assert gaps_alt.startswith("Offene Lücken je Thema: ") and "SDG12" in gaps_texts
    assert "Akteure nach Sektor: " in sector_alt and "Zivilgesellschaft: " in sector_alt
    assert topic_alt.startswith("Akteure je Thema: SDG")
    # the coming workshop with its answers, its title as text
    assert "Fokusgruppe &lt;b&gt;Vergabe&lt;/b&gt;" in html
    assert "1 zugesagt · 0 vielleicht · 0 abgesagt · 1 offen" in html

    english = viewer.get("/?lang=en").get_data(as_text=True)
    (process_alt, texts), (gaps_alt, _), (sector_alt, _), _ = images(english)
    assert process_alt.startswith("Process steps: Actor identification")
    assert "current" in texts and gaps_alt.startswith("Open gaps per topic: ")
    assert "1 accepted · 0 maybe · 0 declined · 1 without answer" in english
