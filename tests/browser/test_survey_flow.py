"""In Chromium: the coordinator creates a network survey, chooses a recipient and sends it
(real SMTP on loopback); the respondent opens the link from the mail, names a partner with the
autocomplete and a missing organisation; the coordinator accepts both in the review queue, and
the relation and the candidate appear on the map data and in /api/gaps."""

from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from netzwerk.actors.models import Actor, Relation
from netzwerk.extensions import db
from tests import factories
from tests.workshops_support import body_text, received, wait_until

pytestmark = pytest.mark.browser


def test_create_send_answer_review_and_see_it_on_the_map(app, page, browser_login, smtp_server):
    app.config["SMTP_URL"] = smtp_server.url
    with app.app_context():
        topic = factories.topic(code="SDG12", title="Fairer Handel")
        welthaus = factories.actor(name="Welthaus Aachen", category="eine-welt-gruppe")
        factories.link(welthaus, topic)
        factories.contact(welthaus, name="Andrea Kessler", email="a.kessler@example.org")
        factories.actor(name="Vergabestelle FB60", category="verwaltung")

    browser_login("editor")
    page.get_by_role("link", name="Befragungen", exact=True).click()
    page.get_by_role("link", name="Neue Befragung").click()
    page.get_by_label("Titel", exact=True).fill("Netzwerkbefragung Fairer Handel")
    page.get_by_label("Themen", exact=True).select_option(label="SDG12 Fairer Handel")
    page.get_by_label("Antworten bis").fill((date.today() + timedelta(days=14)).isoformat())
    page.get_by_role("button", name="Speichern").click()
    page.wait_for_url(re.compile(r"/empfaenger"))
    page.get_by_label(re.compile("Andrea Kessler")).check()
    page.get_by_role("button", name="Hinzufügen").click()
    page.get_by_text("1 Empfänger*innen hinzugefügt.").wait_for()

    page.get_by_role("link", name="Fortschritt").click()
    page.get_by_role("button", name="Befragung senden").click()
    page.wait_for_url(re.compile(r"/versand/"))
    page.locator("#delivery-done").wait_for(timeout=20000)
    wait_until(lambda: len(smtp_server.messages) == 1, "the survey mail")
    (mail,) = received(smtp_server)
    link = re.search(r"http://\S+/befragung/\S+", body_text(mail))[0]
    assert page.foreign_requests == [] and page.console_errors == []

    # the respondent has no account: a fresh browser context opens the link from the mail
    respondent = page.context.browser.new_context(base_url=page.url.split("/befragungen")[0])
    other = respondent.new_page()
    other.goto(urlsplit(link).path)
    assert "Netzwerkbefragung Fairer Handel" in other.get_by_role("heading", level=1).text_content()
    partner = other.locator("input[name$='-0-name'].org-name")
    partner.press_sequentially("Vergabe")
    other.locator("#organisation-names option[value='Vergabestelle FB60']").wait_for(
        state="attached"
    )
    partner.fill("Vergabestelle FB60")
    other.get_by_label("Organisation 1").fill("Fairtrade-Steuerungsgruppe")
    other.locator("select[name='nominations-0-category']").select_option("eine-welt-netzwerk")
    other.get_by_role("button", name="Antwort speichern").click()
    other.get_by_text("Danke! Ihre Antwort ist gespeichert.").wait_for()
    respondent.close()

    page.get_by_role("link", name="Prüfliste").click()
    page.get_by_role("link", name=re.compile("Beziehung")).click()
    row = page.locator("tr", has_text="Vergabestelle FB60")
    row.get_by_role("button", name=re.compile("annehmen")).click()
    page.get_by_text("1 angenommen").wait_for()
    page.get_by_role("link", name=re.compile("Genannte Organisation")).click()
    group = page.locator("article", has_text="Fairtrade-Steuerungsgruppe")
    assert "genannt von 1 Akteur" in group.text_content()
    group.get_by_role("button", name=re.compile("annehmen")).click()
    page.get_by_text("1 angenommen").wait_for()

    with app.app_context():
        relation = db.session.scalar(sa.select(Relation))
        assert (relation.source.name, relation.target.name) == (
            "Welthaus Aachen",
            "Vergabestelle FB60",
        )
        ends = frozenset((f"a{relation.source_id}", f"a{relation.target_id}"))
        candidate = db.session.scalar(
            sa.select(Actor).where(Actor.name == "Fairtrade-Steuerungsgruppe")
        )
        assert candidate.status.value == "kandidat"
    graph = page.request.get("/api/graph?topics=1").json()
    labels = {n.get("label") for n in graph["nodes"]}
    assert "Fairtrade-Steuerungsgruppe" in labels
    pairs = {frozenset((e["from"], e["to"])) for e in graph["edges"]}
    assert ends in pairs
    gaps = page.request.get("/api/gaps").json()
    named = [g for g in gaps if g["source"] == "survey"]
    assert [g["name"] for g in named] == ["Fairtrade-Steuerungsgruppe"]
    assert page.console_errors == []
