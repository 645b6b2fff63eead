"""Address books: the contacts of a workshop, a survey or a filtered actor list as one vCard 4.0
file, parsed with vobject, stored in a real CardDAV address book (Radicale) and read back; audited
as a personal-data export, for editors only."""

from __future__ import annotations

import sqlalchemy as sa
import vobject

from netzwerk.actors.models import Contact
from netzwerk.audit.models import AuditEntry
from netzwerk.core.timeutil import utcnow
from netzwerk.exchange import vcard
from netzwerk.exchange.privacy import erase_contact
from netzwerk.extensions import db
from netzwerk.surveys import services as survey_services
from netzwerk.workshops import invitations as workshop_invitations
from netzwerk.workshops import services as workshop_services
from tests import factories, surveys_support
from tests.conftest import dav
from tests.workshops_support import plan

INVITEES = [
    {
        "name": "Prof. Dr. Anna Müller-Lüdenscheidt",
        "email": "anna@welthaus.example",
        "phone": "+49 241 5572-10",
        "function": "Referentin; Bildung, Eine Welt",
        "actor": {"name": "Welthaus Aachen e.V.", "category": "eine-welt-gruppe"},
    },
    {
        "name": "Bernd Kaya",
        "email": "b.kaya@mail.aachen.example",
        "language": "en",
        "actor": {"name": "Fachbereich Umwelt (FB 36)", "category": "verwaltung"},
    },
    {"name": "Zoë Ndiaye", "phone": "0241 123456", "actor": {"name": "Diaspora-Netzwerk"}},
    {"name": "Clara Entfernt", "email": "clara@example.org"},
]


def _cards(data: bytes) -> dict[str, vobject.base.Component]:
    return {card.fn.value: card for card in vobject.readComponents(data.decode("utf-8"))}


def _workshop_with_invitees(app) -> dict:
    ws = plan(app, [dict(spec) for spec in INVITEES])
    with app.app_context():
        workshop = workshop_services.get_workshop(ws["id"])
        clara = next(i for i in workshop.invitations if i.contact.name == "Clara Entfernt")
        workshop_invitations.remove_invitation(clara)
        # somebody else revoked their consent: no longer handed out
        revoked = db.session.get(Contact, ws["contact_ids"][2])
        revoked.consent_revoked_at = utcnow()
        db.session.commit()
    return ws


def test_workshop_invitees_as_one_vcard_4_file(app, login):
    ws = _workshop_with_invitees(app)
    response = login("editor").get(f"/workshops/{ws['id']}/kontakte.vcf")
    assert response.status_code == 200
    assert response.mimetype == "text/vcard"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert f"workshop-{ws['id']}-kontakte.vcf" in response.headers["Content-Disposition"]
    assert b"\r\n" in response.data and response.data.count(b"BEGIN:VCARD") == 2

    cards = _cards(response.data)
    # the removed invitee and the one who revoked consent are not in it
    assert sorted(cards) == ["Bernd Kaya", "Prof. Dr. Anna Müller-Lüdenscheidt"]
    anna = cards["Prof. Dr. Anna Müller-Lüdenscheidt"]
    assert anna.version.value == "4.0"
    assert (anna.n.value.family, anna.n.value.given, anna.n.value.prefix) == (
        "Müller-Lüdenscheidt",
        "Anna",
        "Prof. Dr.",
    )
    assert anna.org.value == ["Welthaus Aachen e.V."]
    assert anna.title.value == "Referentin; Bildung, Eine Welt"
    assert anna.email.value == "anna@welthaus.example" and anna.email.params["TYPE"] == ["work"]
    assert anna.tel.value == "+49 241 5572-10"
    assert anna.uid.value.startswith("urn:uuid:") and anna.lang.value == "de"
    assert cards["Bernd Kaya"].lang.value == "en"
    assert "note" not in anna.contents  # internal notes stay in netzwerk

    # the same contact gives the same UID in every export (a second import updates)
    again = _cards(
        login("editor", username="editor2").get(f"/workshops/{ws['id']}/kontakte.vcf").data
    )
    assert again["Bernd Kaya"].uid.value == cards["Bernd Kaya"].uid.value


def test_the_address_book_is_an_audited_personal_data_export_for_editors(app, login):
    ws = _workshop_with_invitees(app)
    viewer = login("viewer")
    assert viewer.get(f"/workshops/{ws['id']}/kontakte.vcf").status_code == 403
    assert "kontakte.vcf" not in viewer.get(f"/workshops/{ws['id']}/einladungen").get_data(
        as_text=True
    )
    editor = login("editor")
    page = editor.get(f"/workshops/{ws['id']}/einladungen").get_data(as_text=True)
    assert f'href="/workshops/{ws["id"]}/kontakte.vcf"' in page
    assert editor.get(f"/workshops/{ws['id']}/kontakte.vcf").status_code == 200
    with app.app_context():
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "export"))
        assert entry.username == "editor-user"
        assert entry.changes["format"] == [None, "vcf"]
        assert entry.changes["personal_data"] == [None, True]
        assert entry.changes["rows"] == [None, 2]
        assert "Adressbuch Workshop" in entry.changes["content"][1]
        assert "anna" not in (entry.label + str(entry.changes)).lower()


def test_contacts_of_the_filtered_actor_list(app, login):
    with app.app_context():
        school = factories.actor(name="Gesamtschule Brand", category="schule")
        factories.contact(school, name="Lehrerin Eins", email="eins@schule.example")
        factories.contact(school, name="Lehrer Zwei", phone="0241 2")
        office = factories.actor(name="Amt", category="verwaltung")
        factories.contact(office, name="Nicht Gefiltert", email="amt@example.org")
    editor = login("editor")
    listing = editor.get("/akteure/?category=schule").get_data(as_text=True)
    assert "/austausch/export/akteursliste.vcf?category=schule" in listing
    response = editor.get("/austausch/export/akteursliste.vcf?category=schule")
    assert response.status_code == 200 and response.mimetype == "text/vcard"
    cards = _cards(response.data)
    assert sorted(cards) == ["Lehrer Zwei", "Lehrerin Eins"]
    assert cards["Lehrer Zwei"].org.value == ["Gesamtschule Brand"]
    assert login("viewer").get("/austausch/export/akteursliste.vcf").status_code == 403
    with app.app_context():
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "export"))
        assert entry.changes["personal_data"] == [None, True]
        assert "category=schule" in entry.changes["content"][1]


def test_the_service_takes_any_list_of_contacts(app):
    """For other lists (a survey's recipients): contacts in, one vCard text out."""
    with app.app_context():
        actor = factories.actor(name="Eine Welt Forum")
        first = factories.contact(actor, name="Eva")
        second = factories.contact(actor, name="Adam Riese")
        text = vcard.vcards([first, second, first])
    cards = list(vobject.readComponents(text))
    assert [c.fn.value for c in cards] == ["Eva", "Adam Riese"]  # once each, by family name
    assert cards[0].n.value.family == "Eva"


MKCOL_ADDRESSBOOK = b"""<?xml version="1.0" encoding="utf-8"?>
<D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">
  <D:set><D:prop>
    <D:resourcetype><D:collection/><C:addressbook/></D:resourcetype>
    <D:displayname>Workshop-Kontakte</D:displayname>
  </D:prop></D:set>
</D:mkcol>"""


def test_a_carddav_address_book_stores_and_returns_every_card(app, login, radicale):
    ws = _workshop_with_invitees(app)
    exported = login("editor").get(f"/workshops/{ws['id']}/kontakte.vcf").data
    book = f"{radicale}/kepol/workshop-kontakte/"
    status, body = dav("MKCOL", book, MKCOL_ADDRESSBOOK, "application/xml; charset=utf-8")
    assert status == 201, body
    cards = list(vobject.readComponents(exported.decode("utf-8")))
    for card in cards:
        name = card.uid.value.removeprefix("urn:uuid:") + ".vcf"
        status, body = dav(
            "PUT", book + name, card.serialize().encode(), "text/vcard; charset=utf-8"
        )
        assert status == 201, body  # Radicale checks each card before it stores it
    status, stored = dav("GET", book)
    assert status == 200
    back = _cards(stored)
    assert sorted(back) == sorted(card.fn.value for card in cards)
    for card in cards:
        twin = back[card.fn.value]
        assert twin.uid.value == card.uid.value and twin.version.value == "4.0"
        assert getattr(twin, "email", None) is None or twin.email.value == card.email.value
    assert back["Prof. Dr. Anna Müller-Lüdenscheidt"].tel.value == "+49 241 5572-10"


def _survey_with_recipients(app) -> dict:
    """Four people asked; one revoked consent since, one was erased (Art. 17); one more contact
    of the same organisation was never asked."""
    data = surveys_support.network(app)
    with app.app_context():
        ngo = db.session.get(Contact, data["ngo"]["contact"]).actor
        gone = factories.contact(ngo, name="Gerda Gelöscht", email="gerda@example.org")
        revoked = factories.contact(ngo, name="Rolf Widerruf", email="rolf@example.org")
        factories.contact(ngo, name="Nina Nichtgefragt", email="nina@example.org")
        data["gone"], data["revoked"] = gone.id, revoked.id
    survey_id = surveys_support.make_survey(app, data)
    with app.app_context():
        survey = survey_services.get_survey(survey_id)
        survey_services.add_recipients(survey, [data["gone"], data["revoked"]])
        db.session.get(Contact, data["revoked"]).consent_revoked_at = utcnow()
        erase_contact(db.session.get(Contact, data["gone"]), purge=False)
        db.session.commit()
    return {**data, "survey": survey_id}


def test_survey_recipients_as_one_vcard_4_file(app, login):
    data = _survey_with_recipients(app)
    url = f"/befragungen/{data['survey']}/empfaenger.vcf"
    editor = login("editor")
    page = editor.get(f"/befragungen/{data['survey']}/empfaenger").get_data(as_text=True)
    assert f'href="{url}"' in page
    response = editor.get(url)
    assert response.status_code == 200 and response.mimetype == "text/vcard"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="befragung-{data["survey"]}-empfaenger.vcf"'
    )
    cards = _cards(response.data)
    # the erased person, the one who revoked consent and the one never asked are not in it
    assert {name: card.email.value for name, card in cards.items()} == {
        "Kontakt Eine Welt Forum Aachen": "ngo@example.org",
        "Kontakt RWTH Aachen": "uni@example.org",
        "Kontakt Stadtverwaltung Aachen": "city@example.org",
    }
    assert cards["Kontakt RWTH Aachen"].org.value == ["RWTH Aachen"]
    assert all(card.version.value == "4.0" for card in cards.values())
    assert b"Nina" not in response.data and b"Gerda" not in response.data
    with app.app_context():
        # the same card as in the workshop's address book: a second import updates
        assert cards["Kontakt RWTH Aachen"].uid.value == vcard.contact_uid(
            db.session.get(Contact, data["uni"]["contact"])
        )
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "export"))
        assert entry.username == "editor-user"
        assert entry.changes["format"] == [None, "vcf"]
        assert entry.changes["personal_data"] == [None, True]
        assert entry.changes["rows"] == [None, 3]
        assert "Adressbuch Befragung" in entry.changes["content"][1]


def test_survey_address_book_is_for_editors_and_imports_into_carddav(app, login, radicale):
    data = _survey_with_recipients(app)
    url = f"/befragungen/{data['survey']}/empfaenger.vcf"
    viewer = login("viewer")
    assert viewer.get(url).status_code == 403
    page = viewer.get(f"/befragungen/{data['survey']}/empfaenger").get_data(as_text=True)
    assert "empfaenger.vcf" not in page
    exported = login("editor").get(url).data
    book = f"{radicale}/kepol/befragung/"
    status, body = dav("MKCOL", book, MKCOL_ADDRESSBOOK, "application/xml; charset=utf-8")
    assert status == 201, body
    for card in vobject.readComponents(exported.decode("utf-8")):
        name = card.uid.value.removeprefix("urn:uuid:") + ".vcf"
        status, body = dav(
            "PUT", book + name, card.serialize().encode(), "text/vcard; charset=utf-8"
        )
        assert status == 201, body
    status, stored = dav("GET", book)
    assert status == 200
    assert sorted(_cards(stored)) == [
        "Kontakt Eine Welt Forum Aachen",
        "Kontakt RWTH Aachen",
        "Kontakt Stadtverwaltung Aachen",
    ]
