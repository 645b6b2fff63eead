"""Invitee suggestions: ranked, each with reasons in German, built on the network analysis;
contacts without e-mail are shown but cannot be added; one click adds."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from netzwerk.extensions import db
from netzwerk.workshops import invitations, services, suggestions
from netzwerk.workshops.models import Invitation
from tests import factories


@pytest.fixture
def network(app):
    """A small SDG12 network: the procurement office leads, a world shop contributes, a youth
    group without e-mail is interested, a university is not linked at all, an inactive actor
    would lead but is out."""
    with app.app_context():
        sdg12 = factories.topic(code="SDG12", title="Fairer Handel und faire Beschaffung")
        fb60 = factories.actor(name="Vergabestelle FB60", category="verwaltung")
        shop = factories.actor(name="Weltladen Aachen", category="weltladen")
        youth = factories.actor(name="Fridays for Future Aachen", category="jugend")
        uni = factories.actor(name="RWTH Aachen", category="hochschule")
        city = factories.actor(name="City of Cape Town", category="partnerstadt")
        gone = factories.actor(
            name="Alte Initiative", category="eine-welt-gruppe", status="inaktiv"
        )
        factories.link(fb60, sdg12, "federfuehrend")
        factories.link(shop, sdg12, "mitwirkend")
        factories.link(youth, sdg12, "interessiert")
        factories.link(city, sdg12, "mitwirkend")
        factories.link(gone, sdg12, "federfuehrend")
        ids = {
            "fb60": factories.contact(fb60, name="Andrea Kessler").id,
            "shop": factories.contact(shop, name="Ursula Bongartz").id,
            "shop_no_mail": factories.contact(shop, name="Tim Kaulen", email="").id,
            "youth": factories.contact(youth, name="Orga-Team", email="").id,
            "uni": factories.contact(uni, name="Elena Marquardt").id,
            "city": factories.contact(
                city, name="Thandiwe Mokoena", timezone="Africa/Johannesburg"
            ).id,
            "gone": factories.contact(gone, name="Niemand").id,
        }
        workshop = services.create_workshop(
            {
                "title": "Fokusgruppe SDG 12 – Faire Beschaffung",
                "topic_ids": [sdg12.id],
                "starts_at": datetime(2030, 2, 5, 14),
                "ends_at": datetime(2030, 2, 5, 16, 30),
                "timezone": "Europe/Berlin",
                "status": "geplant",
            }
        )
        return {"workshop_id": workshop.id, "topic_id": sdg12.id, **ids}


def suggestions_for(app, workshop_id):
    with app.app_context():
        return suggestions.suggestions(services.get_workshop(workshop_id))


def test_suggestions_are_ranked_with_german_reasons(app, network):
    result = suggestions_for(app, network["workshop_id"])
    names = [item["actor"] for item in result["items"]]
    assert names[0] == "Vergabestelle FB60"
    assert "Alte Initiative" not in names  # inactive actors are not suggested
    by_name = {item["actor"]: item for item in result["items"]}
    fb60 = by_name["Vergabestelle FB60"]
    assert "federführend bei SDG12 Fairer Handel und faire Beschaffung" in fb60["reasons"]
    assert any(
        r.startswith("Die Checkliste erwartet bei SDG12 „Fachbereich/Stabsstelle")
        for r in fb60["reasons"]
    )
    shop = by_name["Weltladen Aachen"]
    assert "wirkt bei SDG12 Fairer Handel und faire Beschaffung mit" in shop["reasons"]
    assert any("„Weltladen, Fair-Handels-Akteur“" in r for r in shop["reasons"])
    # not linked to the topic, but the checklist expects a university and the guest list has none
    (uni_reason,) = by_name["RWTH Aachen"]["reasons"]
    assert uni_reason.startswith(
        "Die Checkliste erwartet bei SDG12 „Hochschule/Forschung“; auf der Gästeliste fehlt "
        "diese Gruppe noch."
    )
    scores = [item["score"] for item in result["items"]]
    assert scores == sorted(scores, reverse=True)
    # categories the checklist expects but the network lacks entirely
    missing = {m["category"] for m in result["missing"]}
    assert {"kirche", "migrantenorganisation"} <= missing


def test_contacts_without_email_are_shown_but_cannot_be_added(app, network, login):
    result = suggestions_for(app, network["workshop_id"])
    shop = next(i for i in result["items"] if i["actor"] == "Weltladen Aachen")
    contacts = {c["name"]: c for c in shop["contacts"]}
    assert contacts["Ursula Bongartz"]["may_invite"] is True
    assert contacts["Tim Kaulen"] == contacts["Tim Kaulen"] | {
        "may_invite": False,
        "reason": "Keine E-Mail-Adresse hinterlegt.",
    }
    youth = next(i for i in result["items"] if i["actor"] == "Fridays for Future Aachen")
    assert [c["may_invite"] for c in youth["contacts"]] == [False]

    editor = login("editor")
    page = editor.get(f"/workshops/{network['workshop_id']}/einladungen").get_data(as_text=True)
    assert "Tim Kaulen" in page
    assert "kann nicht eingeladen werden: Keine E-Mail-Adresse hinterlegt." in page
    assert f'data-add-contact="{network["shop"]}"' in page
    assert f'data-add-contact="{network["shop_no_mail"]}"' not in page
    assert f'data-add-contact="{network["youth"]}"' not in page

    # and the server refuses it even when posted directly
    response = editor.post(
        f"/workshops/{network['workshop_id']}/einladungen/neu",
        data={"csrf_token": editor.csrf, "contact_ids": network["youth"]},
        follow_redirects=True,
    )
    assert "kann nicht eingeladen werden: Keine E-Mail-Adresse hinterlegt." in response.get_data(
        as_text=True
    )
    with app.app_context():
        assert db.session.query(Invitation).count() == 0


def test_one_click_adds_and_the_suggestions_adapt_to_the_guest_list(app, network, login):
    editor = login("editor")
    response = editor.post(
        f"/workshops/{network['workshop_id']}/einladungen/neu",
        data={"csrf_token": editor.csrf, "contact_ids": network["fb60"]},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "Zur Gästeliste hinzugefügt: Andrea Kessler" in page
    guest_list = page.split('id="gaesteliste"')[1].split("</section>")[0]
    assert "Andrea Kessler" in guest_list

    result = suggestions_for(app, network["workshop_id"])
    by_name = {item["actor"]: item for item in result["items"]}
    assert "Vergabestelle FB60" not in by_name  # invited already
    balance = (
        "Ausgewogenheit: eingeladen sind bisher 1 aus der Verwaltung, 0 aus der "
        "Zivilgesellschaft, 0 aus Partnerstädten – mehr Zivilgesellschaft einbinden."
    )
    assert balance in by_name["Weltladen Aachen"]["reasons"]
    assert any(
        r.endswith("mehr Partnerstädte einbinden.") for r in by_name["City of Cape Town"]["reasons"]
    )
    assert result["balance"] == {"Verwaltung": 1, "Zivilgesellschaft": 0, "Partnerstädte": 0}


def test_actors_left_out_of_earlier_workshops_on_the_topic_are_pointed_out(app, network):
    with app.app_context():
        earlier = services.create_workshop(
            {
                "title": "Bestandsanalyse Faire Beschaffung",
                "topic_ids": [network["topic_id"]],
                "phase": "bestandsanalyse",
                "starts_at": datetime(2029, 5, 1, 10),
                "ends_at": datetime(2029, 5, 1, 12),
                "timezone": "Europe/Berlin",
            }
        )
        invitations.add_invitations(earlier, [network["fb60"]])
    by_name = {i["actor"]: i for i in suggestions_for(app, network["workshop_id"])["items"]}
    text = "Zum früheren Workshop „Bestandsanalyse Faire Beschaffung“ (SDG12) nicht eingeladen."
    assert text in by_name["Weltladen Aachen"]["reasons"]
    assert text not in by_name["Vergabestelle FB60"]["reasons"]


def test_suggestions_as_json(app, network, api_token):
    response = app.test_client().get(
        f"/api/workshops/{network['workshop_id']}/suggestions", headers=api_token("viewer")
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["items"][0]["actor"] == "Vergabestelle FB60"
    assert body["items"][0]["contacts"][0]["id"] == network["fb60"]
    assert {"balance", "missing"} <= body.keys()


def test_the_page_explains_how_to_get_suggestions_without_topics(app, login):
    with app.app_context():
        workshop = services.create_workshop({"title": "Ohne Thema", "timezone": "Europe/Berlin"})
        workshop_id = workshop.id
    page = login("editor").get(f"/workshops/{workshop_id}/einladungen").get_data(as_text=True)
    assert "Ordnen Sie dem Workshop Themen zu" in page
    assert re.search(r"Noch niemand eingeladen", page)
