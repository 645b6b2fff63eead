"""In Chromium, from the flip chart to the council document: the coordinator records the
outcomes of a focus group, turns a goal and two measure ideas into the programme, freezes a
draft, sends the reflection links; an attendee comments through the link without an account;
the coordinator reads the comment and downloads the council document as DOCX and PDF."""

from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from netzwerk.workshops import invitations
from netzwerk.workshops import services as workshops
from tests import factories
from tests.workshops_support import body_text, received, wait_until

pytestmark = pytest.mark.browser


def record(page, kind: str, text: str, votes: str) -> None:
    form = page.locator("form", has=page.get_by_role("button", name="Festhalten", exact=True))
    form.get_by_label("Art").select_option(label=kind)
    form.get_by_label("Thema").select_option(label="SDG12 Fairer Handel")
    form.get_by_label("Aussage").fill(text)
    form.get_by_label("Punkte").fill(votes)
    form.get_by_role("button", name="Festhalten", exact=True).click()
    page.wait_for_url(re.compile(r"/aussagen#aussagen$"))


def test_from_outcomes_to_the_council_document(app, page, browser_login, smtp_server):
    app.config["SMTP_URL"] = smtp_server.url
    with app.app_context():
        sdg12 = factories.topic(code="SDG12", title="Fairer Handel")
        fb60 = factories.actor(name="FB60 Vergabe", category="verwaltung")
        welthaus = factories.actor(name="Welthaus Aachen", category="eine-welt-gruppe")
        anna = factories.contact(welthaus, name="Anna Becker", email="anna@example.org")
        focus = workshops.create_workshop(
            {
                "title": "Fokusgruppe SDG 12",
                "topic_ids": [sdg12.id],
                "status": "geplant",
                "starts_at": "2025-05-14T10:00",
                "ends_at": "2025-05-14T13:00",
            }
        )
        reflection = workshops.create_workshop(
            {
                "title": "Reflexionsworkshop SDG 12",
                "topic_ids": [sdg12.id],
                "status": "geplant",
                "phase": "reflexionsworkshop",
                "starts_at": "2030-03-10T10:00",
                "ends_at": "2030-03-10T12:00",
            }
        )
        invitations.add_invitations(reflection, [anna.id])
        focus_id, fb60_id = focus.id, fb60.id

    browser_login("editor")
    page.goto(f"/workshops/{focus_id}")
    page.get_by_role("link", name="Aussagen und Aufgaben").click()
    record(page, "Ziel", "Die Stadt beschafft fair", "9")
    record(page, "Maßnahmenidee", "Fairer Kaffee in allen Kantinen", "12")
    record(page, "Maßnahmenidee", "Faire Dienstkleidung ausschreiben", "7")
    outcomes_table = page.locator("table.outcomes")
    assert outcomes_table.get_by_text("Fairer Kaffee in allen Kantinen").is_visible()

    # the goal, then the two measure ideas as its measures
    page.locator("tr", has_text="Die Stadt beschafft fair").get_by_role(
        "link", name="als Ziel übernehmen"
    ).click()
    assert page.get_by_label("Ziel", exact=True).input_value() == "Die Stadt beschafft fair"
    page.get_by_label("SDG-Unterziele").fill("12.7")
    page.get_by_role("button", name="Speichern").click()
    page.wait_for_url(re.compile(r"/programm/ziele/\d+$"))
    goal_url = page.url
    for idea, lead, end in (
        ("Fairer Kaffee in allen Kantinen", fb60_id, "2026-06-30"),
        ("Faire Dienstkleidung ausschreiben", fb60_id, "2027-06-30"),
    ):
        page.goto(f"/workshops/{focus_id}/aussagen")
        page.locator("tr", has_text=idea).get_by_role(
            "link", name="als Maßnahme übernehmen"
        ).click()
        page.get_by_role("link", name=re.compile("Ziel 1: Die Stadt beschafft fair")).click()
        assert page.get_by_label("Maßnahme", exact=True).input_value() == idea
        page.get_by_label("Federführend").select_option(str(lead))
        page.get_by_label("Beginn").fill("2025-10-01")
        page.get_by_label("Ende").fill(end)
        page.get_by_label("Indikator", exact=True).fill("Anteil fair")
        page.get_by_label("Skala des Indikators").select_option(label="Prozent")
        page.get_by_label("Ausgangswert").fill("20")
        page.get_by_label("Zielwert").fill("100")
        page.get_by_role("button", name="Speichern").click()
        page.wait_for_url(re.compile(r"/programm/massnahmen/\d+$"))
        assert "aus Fokusgruppe SDG 12, 14.05.2025" in page.content()
    page.goto(goal_url)
    assert (
        page.locator("table.measures").get_by_text("Faire Dienstkleidung ausschreiben").is_visible()
    )

    # freeze v1
    page.get_by_role("link", name="Handlungsprogramm").first.click()
    page.get_by_role("link", name="Entwürfe").click()
    page.get_by_label("Notiz zum Entwurf").fill("für die Reflexion")
    page.get_by_role("button", name="Aktuellen Stand als neuen Entwurf einfrieren").click()
    page.wait_for_url(re.compile(r"/programm/entwuerfe/v1$"))

    # the reflection links, made and mailed
    page.get_by_role("link", name="Reflexion: Links und Kommentare").click()
    page.get_by_label("Für die Eingeladenen des Workshops").select_option(
        label="Reflexionsworkshop: Reflexionsworkshop SDG 12"
    )
    page.get_by_role("button", name="Links erzeugen").click()
    assert page.locator("table").get_by_text("Anna Becker").is_visible()
    page.get_by_role("button", name="Links per Mail verschicken").click()
    wait_until(lambda: len(smtp_server.messages) == 1, "the reflection link")
    (mail,) = received(smtp_server)
    link = re.search(r"http://\S+/programm/reflexion/\S+", body_text(mail))[0]

    # Anna, without an account, comments on the first measure
    reader = page.context.browser.new_context(base_url=page.url.split("/programm")[0])
    other = reader.new_page()
    other.goto(urlsplit(link).path)
    assert "Guten Tag Anna Becker" in other.content()
    measure = other.locator("article", has_text="Fairer Kaffee in allen Kantinen")
    measure.get_by_label("Bedenken").check()
    measure.get_by_label("Kommentar", exact=True).fill("Erst die Lieferverträge prüfen.")
    measure.get_by_role("button", name="Kommentar speichern").click()
    other.get_by_text("Danke, Ihr Kommentar ist gespeichert.").wait_for()
    reader.close()

    page.goto("/programm/entwuerfe/v1")
    comments = page.locator("article", has_text="Fairer Kaffee in allen Kantinen").locator(
        ".comments"
    )
    assert "Bedenken" in comments.text_content()
    assert "Erst die Lieferverträge prüfen." in comments.text_content()
    assert "Anna Becker (Welthaus Aachen)" in comments.text_content()

    # the council document, both formats
    page.goto("/programm/")
    page.get_by_role("link", name="Ratsvorlage").click()
    with page.expect_download() as docx_download:
        page.get_by_role("link", name="Word (DOCX)").click()
    with page.expect_download() as pdf_download:
        page.get_by_role("link", name="PDF").click()
    from docx import Document

    docx = Document(io.BytesIO(Path(docx_download.value.path()).read_bytes()))
    cells = "\n".join(c.text for t in docx.tables for r in t.rows for c in r.cells)
    assert (
        "Fairer Kaffee in allen Kantinen" in cells and "Faire Dienstkleidung ausschreiben" in cells
    )
    assert docx_download.value.suggested_filename == "handlungsprogramm.docx"
    assert Path(pdf_download.value.path()).read_bytes()[:5] == b"%PDF-"
    assert page.foreign_requests == [] and page.console_errors == []
