"""Monitoring after the decision: status updates with date and note, measured indicator values
over time, the monitoring page per topic (measures by status, indicators against targets with
charts and their text alternative, overdue measures) and the yearly report as DOCX/PDF."""

from __future__ import annotations

import base64
import html
import io
import re
from datetime import date, timedelta

import pytest

from netzwerk.core.errors import Invalid
from netzwerk.core.timeutil import utcnow
from netzwerk.extensions import db
from netzwerk.programme import monitoring
from netzwerk.programme import services as programme
from netzwerk.programme.models import Measure
from tests import factories

pytestmark = pytest.mark.usefixtures("fast_passwords")


@pytest.fixture
def world(app):
    today = utcnow().date()
    with app.app_context():
        sdg12 = factories.topic(code="SDG12", title="Fairer Handel", priority=1)
        sdg4 = factories.topic(code="SDG4", title="Bildung", priority=1)
        fb60 = factories.actor(name="FB60 Vergabe", category="verwaltung")
        goal = programme.create_goal({"topic_id": sdg12.id, "title": "Fair beschaffen"})
        kaffee = programme.create_measure(
            {
                "goal_id": goal.id,
                "title": "Fairer Kaffee",
                "lead_actor_id": fb60.id,
                "indicator": "Anteil fairer Kaffee",
                "indicator_scale": "prozent",
                "baseline": "20",
                "target": "100",
                "status": "laufend",
                "starts_on": "2025-01-01",
                "ends_on": (today - timedelta(days=10)).isoformat(),
            }
        )
        leitbild = programme.create_measure(
            {
                "goal_id": goal.id,
                "title": "Leitbild",
                "indicator": "Ratsbeschluss",
                "indicator_scale": "text",
                "target": "beschlossen",
                "status": "abgeschlossen",
                "ends_on": (today - timedelta(days=400)).isoformat(),
            }
        )
        bildung = programme.create_goal({"topic_id": sdg4.id, "title": "Globales Lernen"})
        schulen = programme.create_measure(
            {
                "goal_id": bildung.id,
                "title": "Workshops an Schulen",
                "indicator": "Schulen",
                "indicator_scale": "anzahl",
                "baseline": "3",
                "target": "12",
                "ends_on": (today + timedelta(days=200)).isoformat(),
            }
        )
        return {
            "sdg12": sdg12.id,
            "sdg4": sdg4.id,
            "kaffee": kaffee.id,
            "leitbild": leitbild.id,
            "schulen": schulen.id,
        }


def test_status_updates_carry_date_and_note_and_set_the_measures_status(app, world, login):
    editor = login("editor")
    url = f"/programm/massnahmen/{world['kaffee']}/status"
    response = editor.post(
        url,
        data={
            "csrf_token": editor.csrf,
            "update-noted_on": "2026-01-15",
            "update-status": "verzoegert",
            "update-note": "Lieferverträge laufen bis 2027",
        },
    )
    assert response.status_code == 302
    # an older update does not overwrite the newer status
    editor.post(
        url,
        data={
            "csrf_token": editor.csrf,
            "update-noted_on": "2025-06-01",
            "update-status": "laufend",
            "update-note": "Start",
        },
    )
    future = (utcnow().date() + timedelta(days=5)).isoformat()
    bad = editor.post(
        url,
        data={
            "csrf_token": editor.csrf,
            "update-noted_on": future,
            "update-status": "abgeschlossen",
        },
    )
    assert bad.status_code == 422
    assert "nicht in der Zukunft" in html.unescape(bad.get_data(as_text=True))
    with app.app_context():
        measure = db.session.get(Measure, world["kaffee"])
        assert measure.status.value == "verzoegert"
        assert [(u.noted_on, u.status.value) for u in measure.updates] == [
            (date(2025, 6, 1), "laufend"),
            (date(2026, 1, 15), "verzoegert"),
        ]
    page = html.unescape(
        editor.get(f"/programm/massnahmen/{world['kaffee']}").get_data(as_text=True)
    )
    assert "Lieferverträge laufen bis 2027" in page and "überfällig" in page


@pytest.mark.parametrize(
    ("measure", "value", "words"),
    [
        ("kaffee", "120", "zwischen 0 und 100"),
        ("kaffee", "viel", "keine Zahl"),
        ("schulen", "-1", "nicht negativ"),
        ("leitbild", "1", "beschrieben, nicht gezählt"),
    ],
)
def test_indicator_values_are_checked(app, world, measure, value, words):
    with app.app_context(), pytest.raises(Invalid, match=words):
        monitoring.add_value(db.session.get(Measure, world[measure]), {"value": value})


def add_values(app, world):
    with app.app_context():
        kaffee = db.session.get(Measure, world["kaffee"])
        for day, value in (("2025-10-01", "20"), ("2026-01-15", "35"), ("2026-05-01", "55,5")):
            monitoring.add_value(kaffee, {"measured_on": day, "value": value, "note": "<b>x</b>"})


def test_the_monitoring_page_per_topic(app, world, login):
    add_values(app, world)
    viewer = login("viewer")
    page = viewer.get(f"/programm/monitoring?topic={world['sdg12']}").get_data(as_text=True)
    text = html.unescape(page)
    assert "Fairer Kaffee" in text and "Workshops an Schulen" not in text
    overdue = text.split('id="overdue"')[1].split("</section>")[0]
    assert "Fairer Kaffee" in overdue and "Leitbild" not in overdue  # done is never overdue
    indicators = text.split('id="indicators"')[1]
    assert "55,5" in indicators and "44 %" in indicators  # (55.5 − 20) / (100 − 20)
    # the charts are images of our own SVG with their text alternative
    charts = re.findall(
        r'<img class="chart" src="data:image/svg\+xml;base64,([^"]+)" alt="([^"]+)"', page
    )
    assert len(charts) == 2  # status, and the one indicator with values
    svg = base64.b64decode(charts[1][0]).decode()
    assert svg.startswith("<svg") and "<desc>3 Messwerte von 01.10.2025 bis 01.05.2026" in svg
    assert "<script" not in svg and "href" not in svg
    assert "3 Messwerte" in html.unescape(charts[1][1])
    overview = html.unescape(viewer.get("/programm/monitoring").get_data(as_text=True))
    assert "SDG12 Fairer Handel" in overview and "SDG4 Bildung" in overview


def test_the_yearly_report(app, world, login):
    add_values(app, world)
    with app.app_context():
        monitoring.add_update(
            db.session.get(Measure, world["kaffee"]),
            {"noted_on": "2026-01-15", "status": "verzoegert", "note": "Verträge"},
        )
    viewer = login("viewer")
    docx = viewer.get(f"/programm/monitoring/jahresbericht.docx?jahr=2026&topic={world['sdg12']}")
    assert docx.status_code == 200
    assert (
        docx.headers["Content-Disposition"] == "attachment; filename=jahresbericht-2026-SDG12.docx"
    )
    from docx import Document

    document = Document(io.BytesIO(docx.data))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:2] == ["Überblick", "Statusmeldungen 2026"]
    assert "SDG12 1.1 Fairer Kaffee" in headings and "Überfällige Maßnahmen" in headings
    cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
    assert "Verträge" in cells and "55,5" in cells and "<b>x</b>" in cells
    assert len(document.inline_shapes) == 2  # status chart, indicator chart
    pdf = viewer.get("/programm/monitoring/jahresbericht.pdf?jahr=2026")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert viewer.get("/programm/monitoring/jahresbericht.pdf?jahr=1800").status_code == 422


def test_monitoring_through_the_api(app, world, api):
    editor = api("editor", bearer=True)
    created = editor.post(
        f"/api/programme/measures/{world['schulen']}/values",
        json={"measured_on": "2026-03-01", "value": 6},
    )
    assert created.status_code == 201 and created.json["value"] == 6.0
    bad = editor.post(f"/api/programme/measures/{world['schulen']}/values", json={"value": -2})
    assert bad.status_code == 422 and "value" in bad.json["fields"]
    update = editor.post(
        f"/api/programme/measures/{world['schulen']}/updates",
        json={"status": "laufend", "note": "Start"},
    )
    assert update.status_code == 201 and update.json["status"] == "laufend"
    viewer = api("viewer", bearer=True)
    assert viewer.get(f"/api/programme/measures/{world['schulen']}/values").json["total"] == 1
    assert viewer.get(f"/api/programme/measures/{world['schulen']}").json["status"] == "laufend"
    assert (
        viewer.post(
            f"/api/programme/measures/{world['schulen']}/values", json={"value": 1}
        ).status_code
        == 403
    )


def test_the_demo_has_monitoring(app, login):
    from netzwerk.demo.services import load_demo

    with app.app_context():
        load_demo()
    page = html.unescape(login("viewer").get("/programm/monitoring").get_data(as_text=True))
    assert "Anteil fair gehandelter Kaffee" in page
