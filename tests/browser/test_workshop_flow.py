"""In Chromium: the coordinator plans a focus group, adds a suggested invitee with one click,
sends (the page follows the progress), and the invitee opens the RSVP link and accepts."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from netzwerk.workshops.models import Response
from tests import factories
from tests.workshops_support import body_text, event_of, received, wait_until

pytestmark = pytest.mark.browser


def test_plan_invite_send_and_accept(app, page, browser_login, smtp_server):
    app.config["SMTP_URL"] = smtp_server.url
    with app.app_context():
        sdg12 = factories.topic(code="SDG12", title="Fairer Handel und faire Beschaffung")
        fb60 = factories.actor(name="Vergabestelle FB60", category="verwaltung")
        factories.link(fb60, sdg12, "federfuehrend")
        factories.contact(fb60, name="Andrea Kessler", email="a.kessler@example.org")

    browser_login("editor")
    page.get_by_role("link", name="Workshops", exact=True).click()
    page.get_by_role("link", name="Workshop planen").click()
    page.get_by_label("Titel", exact=True).fill("Fokusgruppe SDG 12 – Faire Beschaffung")
    page.get_by_label("Themen").select_option(label="SDG12 Fairer Handel und faire Beschaffung")
    page.get_by_label("Status").select_option(label="geplant")
    page.get_by_label("Beginn", exact=True).fill("2030-02-05T14:00")
    page.get_by_label("Ende", exact=True).fill("2030-02-05T16:30")
    page.get_by_label("Ort", exact=True).fill("Verwaltungsgebäude Katschhof")
    page.get_by_label("E-Mail der einladenden Person").fill("m.albers@example.org")
    page.get_by_role("button", name="Speichern").click()
    page.wait_for_url(re.compile(r"/workshops/\d+$"))
    assert "Dienstag, 5. Februar 2030, 14:00–16:30 (CET, Europe/Berlin)" in page.content()

    page.get_by_role("link", name="Einladungen", exact=True).first.click()
    suggestion = page.locator(".suggestion", has_text="Vergabestelle FB60")
    assert "federführend bei SDG12" in suggestion.text_content()
    suggestion.get_by_role("button", name="Andrea Kessler einladen").click()
    page.wait_for_url(re.compile(r"/einladungen"))
    assert "Andrea Kessler" in page.locator("#gaesteliste").text_content()

    page.get_by_role("button", name="Einladungen senden").click()
    page.wait_for_url(re.compile(r"/versand/"))
    done = page.locator("#delivery-done")
    done.wait_for(timeout=20000)  # the script polls the status and reloads when finished
    assert done.text_content().strip() == "Versand abgeschlossen."
    assert page.locator("#delivery-text").text_content().startswith("1 von 1 verarbeitet")

    wait_until(lambda: len(smtp_server.messages) == 1, "the invitation")
    (mail,) = received(smtp_server)
    assert mail["To"].addresses[0].addr_spec == "a.kessler@example.org"
    assert str(event_of(mail)[0]["METHOD"]) == "REQUEST"
    link = re.search(r"http://\S+/einladung/\S+", body_text(mail))[0]
    assert page.foreign_requests == [] and page.console_errors == []

    # the invitee has no account: a fresh browser context opens the link from the mail
    invitee = page.context.browser.new_context(base_url=page.url.split("/workshops")[0])
    other = invitee.new_page()
    other.goto(urlsplit(link).path)
    assert other.get_by_role("heading", level=1).text_content() == (
        "Fokusgruppe SDG 12 – Faire Beschaffung"
    )
    other.get_by_label("Ich nehme teil").check()
    other.get_by_label("Kommentar (optional)").fill("Ich komme gern.")
    other.get_by_role("button", name="Antwort senden").click()
    other.locator("#rsvp-state").get_by_text("Ihre Antwort: zugesagt").wait_for()
    invitee.close()

    page.get_by_role("link", name="Zurück zu den Einladungen").click()
    row = page.locator("#gaesteliste tr", has_text="Andrea Kessler")
    assert "zugesagt" in row.text_content() and "Ich komme gern." in row.text_content()
    with app.app_context():
        from netzwerk.workshops import services

        (workshop,) = services.workshops()
        assert workshop.invitations[0].response == Response.ACCEPTED
