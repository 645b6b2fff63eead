"""The council document: one click gives the concept as DOCX and PDF (title page, summary,
process with the actor map, stocktaking, goals and measures, monitoring plan, annex of the
organisations involved, no personal data), from a frozen draft or the programme now, in the
reader's language; every text stays text."""

from __future__ import annotations

import html
import io
import os
import shutil
import subprocess

import pytest
import sqlalchemy as sa

from netzwerk.actors.models import Contact
from netzwerk.extensions import db
from netzwerk.programme import drafts
from netzwerk.programme import services as programme

pytestmark = pytest.mark.usefixtures("fast_passwords")

SECTIONS = (
    "1. Zusammenfassung",
    "2. Der Prozess",
    "Durchgeführte Workshops",
    "Teilnehmende nach Sektor",
    "Beteiligte Akteure je Thema",
    "Akteurslandkarte",
    "3. Bestandsanalyse",
    "4. Ziele und Maßnahmen",
    "5. Monitoringplan",
    "Anhang: Beteiligte Organisationen",
)


@pytest.fixture
def demo(app):
    from netzwerk.demo.services import load_demo
    from netzwerk.network.positions import place_new_nodes

    with app.app_context():
        load_demo()
        place_new_nodes()  # as `setup` and `demo` do: the map has its layout
        people = [(c.name, c.email) for c in db.session.scalars(sa.select(Contact))]
    return people


def require(tool: str, package: str) -> None:
    if shutil.which(tool) is None:
        if os.environ.get("CI"):
            pytest.fail(f"{tool} is missing on CI: .ci/run must install {package}")
        pytest.skip(f"DOCUMENT TEXT CHECKS SKIPPED: {tool} missing (apt-get install {package})")


def pdf_text(data: bytes) -> str:
    done = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    )
    return done.stdout.decode("utf-8")


def docx_parts(data: bytes):
    from docx import Document

    document = Document(io.BytesIO(data))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    texts = [p.text for p in document.paragraphs]
    return document, headings, cells, texts


def test_the_council_document_as_docx_has_every_section_and_no_personal_data(app, demo, login):
    viewer = login("viewer")
    response = viewer.get("/programm/ratsvorlage.docx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == "attachment; filename=handlungsprogramm.docx"
    document, headings, cells, texts = docx_parts(response.data)
    for section in SECTIONS:
        assert section in headings, section
    joined = "\n".join(texts + cells)
    assert "Entwicklungspolitisches Handlungsprogramm" in texts
    assert "Stadt Aachen – Beschlussvorlage für den Rat" in joined
    assert "Entwurf v1" in joined
    for words in (
        "Fairer und regionaler Kaffee in allen Kantinen und Sitzungen",
        "Anteil fair gehandelter Kaffee",
        "20 % → 100 %",
        "Klimaticket Aachen–Kapstadt",
        "Die Partnerschaft mit Chernihiv City Council wird nur von",
        "Förderverein Aachen-Kapstadt e.V.",
        "Aachen zeigt Engagement",
    ):
        assert words in joined, words
    assert len(document.inline_shapes) == 1  # the actor map: the Akteurslandkarte, numbered
    assert "Schlüsselakteure" in cells and "Land, Bund, Fördermittelgeber" in cells
    assert any(c.startswith("fehlt: ") for c in cells)  # missing actor groups in the key
    for name, email in demo:  # the annex lists organisations, never people
        assert name not in joined and (not email or email not in joined), name


def test_the_council_document_as_pdf_and_in_english(app, demo, login):
    require("pdftotext", "poppler-utils")
    viewer = login("viewer")
    pdf = viewer.get("/programm/ratsvorlage.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    text = pdf_text(pdf.data)
    for section in SECTIONS:
        assert section in text, section
    assert "Fairer und regionaler Kaffee in allen Kantinen und Sitzungen" in text
    english = pdf_text(viewer.get("/programm/ratsvorlage.pdf?lang=en").data)
    for words in (
        "1. Summary",
        "4. Goals and measures",
        "5. Monitoring plan",
        "Annex: organisations involved",
        "Development-policy action programme",
    ):
        assert words in english, words
    # the page shows the same content, with the versions to choose from
    page = html.unescape(viewer.get("/programm/ratsvorlage?lang=de").get_data(as_text=True))
    assert "4. Ziele und Maßnahmen" in page and 'value="v1"' in page


def test_a_draft_or_the_programme_now(app, demo, login):
    with app.app_context():
        measure = programme.measure_query({"q": "Dienstkleidung"})
        measure = db.session.scalar(measure)
        programme.update_measure(measure, {"title": "Faire Dienstkleidung ab 2027"})
    viewer = login("viewer")
    _, _, cells_v1, _ = docx_parts(viewer.get("/programm/ratsvorlage.docx?entwurf=v1").data)
    _, _, cells_now, _ = docx_parts(viewer.get("/programm/ratsvorlage.docx?entwurf=aktuell").data)
    assert any("Faire Kriterien für die Ausschreibung der Dienstkleidung" in c for c in cells_v1)
    assert not any("ab 2027" in c for c in cells_v1)
    assert any("Faire Dienstkleidung ab 2027" in c for c in cells_now)
    with app.app_context():
        drafts.freeze("v2")
    _, _, cells_newest, _ = docx_parts(viewer.get("/programm/ratsvorlage.docx").data)
    assert any("ab 2027" in c for c in cells_newest)  # the newest draft by default
    assert viewer.get("/programm/ratsvorlage.docx?entwurf=v9").status_code == 404


def test_every_text_stays_text_in_both_formats(app, login):
    require("pdftotext", "poppler-utils")
    evil = '<script>alert("x")</script> & <b>fett</b>'
    with app.app_context():
        from tests import factories

        topic = factories.topic(code="SDG12", title=evil)
        lead = factories.actor(name=evil, category="verwaltung")
        goal = programme.create_goal({"topic_id": topic.id, "title": evil, "description": evil})
        programme.create_measure(
            {
                "goal_id": goal.id,
                "title": evil,
                "lead_actor_id": lead.id,
                "indicator": evil,
                "indicator_scale": "text",
                "target": "x\x07y",
            }
        )
        drafts.freeze(evil)
    viewer = login("viewer")
    page = viewer.get("/programm/ratsvorlage").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    _, _, cells, texts = docx_parts(viewer.get("/programm/ratsvorlage.docx").data)
    assert any(evil in c for c in cells) and evil in "\n".join(texts)
    text = pdf_text(viewer.get("/programm/ratsvorlage.pdf").data)
    assert '<script>alert("x")</script>' in text and "<b>fett</b>" in text


def test_without_actors_on_the_topics_the_document_has_no_map(app, login):
    with app.app_context():
        from tests import factories

        topic = factories.topic(code="SDG4", title="Bildung")
        goal = programme.create_goal({"topic_id": topic.id, "title": "Globales Lernen"})
        programme.create_measure({"goal_id": goal.id, "title": "Workshops"})
    document, headings, _, _ = docx_parts(login("viewer").get("/programm/ratsvorlage.docx").data)
    assert "Akteurslandkarte" not in headings and len(document.inline_shapes) == 0
    assert "4. Ziele und Maßnahmen" in headings
