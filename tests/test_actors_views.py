"""Actor pages with each role: viewers read, editors change (audited), bad input is refused
with a message at the field and nothing is lost; category administration for admins."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from netzwerk.actors.models import Actor, Category, Contact, Relation
from netzwerk.audit.models import AuditEntry
from netzwerk.extensions import db
from netzwerk.topics.models import ActorTopic
from tests import factories as f

pytestmark = pytest.mark.usefixtures("fast_passwords")  # many logins, no password under test


@pytest.fixture
def world(app):
    """Two actors with a contact, a topic link and a relation between them."""
    with app.app_context():
        a = f.actor(name="Welthaus Aachen", category="eine-welt-gruppe", city="Aachen")
        b = f.actor(name="Förderverein Aachen-Kapstadt e.V.", category="partnerschaftsverein")
        c = f.contact(a, name="Erika Muster")
        t = f.topic(code="SDG12", title="Fairer Handel")
        link = f.link(a, t, role="federfuehrend")
        r = f.relation(a, b, kind="kooperation")
        return {"a": a.id, "b": b.id, "c": c.id, "t": t.id, "l": link.id, "r": r.id}


def actor_form(csrf: str, **overrides) -> dict:
    data = {
        "csrf_token": csrf,
        "name": "Neuer Akteur",
        "short_name": "",
        "category": "verwaltung",
        "sector": "",
        "level": "lokal",
        "status": "aktiv",
        "city": "Aachen",
        "country": "DE",
        "website": "",
        "description": "",
        "power": "3",
        "interest": "3",
        "topic": "",
        "topic_role": "mitwirkend",
    }
    return data | overrides


def contact_form(csrf: str, **overrides) -> dict:
    data = {
        "csrf_token": csrf,
        "name": "Thandi Nkosi",
        "function": "Partnerschaftsbüro",
        "email": "t.nkosi@example.org",
        "phone": "",
        "language": "en",
        "timezone": "Africa/Johannesburg",
        "notes": "",
        # the data-protection fields (present once that part of the form exists)
        "legal_basis": "oeffentliche_aufgabe",
        "consent_invitations": "y",
    }
    return data | overrides


def audit_entries(app, **where) -> list[AuditEntry]:
    with app.app_context():
        query = sa.select(AuditEntry).order_by(AuditEntry.id)
        for key, value in where.items():
            query = query.where(getattr(AuditEntry, key) == value)
        return list(db.session.scalars(query))


def text(response) -> str:
    return response.get_data(as_text=True)


# Every state-changing actor route with valid input; `{a}` etc. are filled from `world`.
EDITOR_ROUTES = [
    ("/akteure/neu", lambda w, t: actor_form(t, name="Eine Welt Forum Aachen"), "actor"),
    (
        "/akteure/{a}/bearbeiten",
        lambda w, t: actor_form(t, name="Welthaus Aachen e.V.", category="eine-welt-gruppe"),
        "actor",
    ),
    ("/akteure/{a}/loeschen", lambda w, t: {"csrf_token": t}, "actor"),
    ("/akteure/{a}/kontakte/neu", lambda w, t: contact_form(t), "contact"),
    ("/akteure/kontakte/{c}/bearbeiten", lambda w, t: contact_form(t, name="E. Muster"), "contact"),
    ("/akteure/kontakte/{c}/loeschen", lambda w, t: {"csrf_token": t}, "contact"),
    (
        "/akteure/{b}/beziehungen/neu",
        lambda w, t: {
            "csrf_token": t,
            "target_id": w["a"],
            "kind": "foerderung",
            "outgoing": "out",
            "strength": "3",
            "directed": "y",
        },
        "relation",
    ),
    (
        "/akteure/{a}/beziehungen/{r}/bearbeiten",
        lambda w, t: {
            "csrf_token": t,
            "target_id": w["b"],
            "kind": "partnerschaft",
            "outgoing": "out",
            "strength": "1",
            "note": "seit 2000",
        },
        "relation",
    ),
    ("/akteure/{a}/beziehungen/{r}/loeschen", lambda w, t: {"csrf_token": t}, "relation"),
    (
        "/akteure/{b}/themen/neu",
        lambda w, t: {"csrf_token": t, "topic_id": w["t"], "role": "interessiert"},
        "actor_topic",
    ),
    (
        "/akteure/themenzuordnung/{l}/bearbeiten",
        lambda w, t: {"csrf_token": t, "topic_id": w["t"], "role": "mitwirkend", "note": "x"},
        "actor_topic",
    ),
    ("/akteure/themenzuordnung/{l}/loeschen", lambda w, t: {"csrf_token": t}, "actor_topic"),
]
ROUTE_IDS = [route for route, _data, _entity in EDITOR_ROUTES]


# --- reading -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["viewer", "editor", "admin"])
def test_every_role_reads_list_and_actor_page(login, world, role):
    client = login(role)
    listing = client.get("/akteure/")
    assert listing.status_code == 200
    assert "Welthaus Aachen" in text(listing)
    page = client.get(f"/akteure/{world['a']}")
    assert page.status_code == 200
    html = text(page)
    for expected in ("Welthaus Aachen", "Erika Muster", "SDG12", "Förderverein Aachen-Kapstadt"):
        assert expected in html
    # the history shows who created the actor
    assert "Verlauf" in html


def test_viewer_sees_no_edit_controls(login, world):
    client = login("viewer")
    assert "Akteur anlegen" not in text(client.get("/akteure/"))
    html = text(client.get(f"/akteure/{world['a']}"))
    assert f"/akteure/{world['a']}/bearbeiten" not in html
    assert "Kontakt hinzufügen" not in html


def test_editor_sees_edit_controls(login, world):
    client = login("editor")
    assert "Akteur anlegen" in text(client.get("/akteure/"))
    assert f"/akteure/{world['a']}/bearbeiten" in text(client.get(f"/akteure/{world['a']}"))


def test_unknown_actor_is_404(login):
    assert login("viewer").get("/akteure/999").status_code == 404


def test_list_search_filter_and_paging(app, login):
    with app.app_context():
        t = f.topic(code="SDG4", title="Bildung")
        topic_id = t.id
        school = f.actor(name="Gesamtschule Brand", category="schule", city="Aachen")
        f.link(school, t)
        f.actor(name="RWTH Aachen", category="hochschule", status="kandidat")
        for n in range(30):
            f.actor(name=f"Fachbereich {n:02d}")
    client = login("viewer")
    html = text(client.get("/akteure/?q=gesamtschule"))
    assert "Gesamtschule Brand" in html and "RWTH Aachen" not in html
    html = text(client.get("/akteure/?category=hochschule"))
    assert "RWTH Aachen" in html and "Gesamtschule Brand" not in html
    html = text(client.get("/akteure/?status=kandidat"))
    assert "RWTH Aachen" in html and "Fachbereich 00" not in html
    html = text(client.get(f"/akteure/?topic={topic_id}"))
    assert "Gesamtschule Brand" in html and "RWTH Aachen" not in html
    first, second = text(client.get("/akteure/")), text(client.get("/akteure/?page=2"))
    assert "Seite 1 von 2" in first and "Seite 2 von 2" in second
    assert "Fachbereich 00" in first and "Fachbereich 00" not in second
    # an unknown filter value is reported, not a crash
    response = client.get("/akteure/?sector=unsinn")
    assert response.status_code == 200
    assert "Unbekannter Wert" in text(response)


# --- permissions -------------------------------------------------------------------------------


@pytest.mark.parametrize(("route", "data", "entity"), EDITOR_ROUTES, ids=ROUTE_IDS)
def test_viewer_cannot_change_anything(app, login, world, route, data, entity):
    client = login("viewer")
    url = route.format(**world)
    with app.app_context():
        before = f.dump()
    assert client.get(url).status_code == 403
    assert client.post(url, data=data(world, client.csrf)).status_code == 403
    with app.app_context():
        assert f.dump() == before


@pytest.mark.parametrize(("route", "data", "entity"), EDITOR_ROUTES, ids=ROUTE_IDS)
def test_editor_changes_are_saved_and_audited(app, login, world, route, data, entity):
    client = login("editor", username="koordination")
    url = route.format(**world)
    assert client.get(url).status_code == 200
    response = client.post(url, data=data(world, client.csrf))
    assert response.status_code == 302, text(response)
    entries = audit_entries(app, username="koordination", entity=entity)
    assert len(entries) == 1
    assert entries[0].action in ("create", "update", "delete")


@pytest.mark.parametrize("route", ROUTE_IDS)
def test_anonymous_is_sent_to_login(client, world, route):
    url = route.format(**world)
    response = client.get(url)
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


# --- CSRF --------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "falsch"])
def test_post_without_valid_csrf_token_is_refused(app, login, world, token):
    client = login("editor")
    with app.app_context():
        before = f.dump()
    for route, data, _entity in EDITOR_ROUTES:
        payload = data(world, client.csrf)
        if token is None:
            del payload["csrf_token"]
        else:
            payload["csrf_token"] = token
        response = client.post(route.format(**world), data=payload)
        assert response.status_code == 400, route
        assert "Sicherheitstoken" in text(response)
    with app.app_context():
        assert f.dump() == before


# --- actors: create, edit, delete --------------------------------------------------------------


def test_editor_creates_actor_with_topic(app, login):
    with app.app_context():
        topic_id = f.topic(code="SDG17", title="Partnerschaften").id
    client = login("editor")
    response = client.post(
        "/akteure/neu",
        data=actor_form(
            client.csrf,
            name="  Eine Welt Forum Aachen ",
            category="eine-welt-netzwerk",
            website="www.ewf-aachen.de",
            topic=str(topic_id),
            topic_role="federfuehrend",
        ),
    )
    assert response.status_code == 302
    with app.app_context():
        actor = db.session.scalar(sa.select(Actor))
        assert actor.name == "Eine Welt Forum Aachen"
        assert actor.sector.value == "zivilgesellschaft"  # derived from the category
        assert actor.website == "https://www.ewf-aachen.de"
        assert [(lk.topic.code, lk.role.value) for lk in actor.topic_links] == [
            ("SDG17", "federfuehrend")
        ]
        assert response.location == f"/akteure/{actor.id}"
    page = text(client.get(response.location))
    assert "Akteur Eine Welt Forum Aachen angelegt." in page


def test_new_form_is_prefilled_from_query(login):
    html = text(login("editor").get("/akteure/neu?category=kirche&name=Katholikenrat"))
    assert 'value="Katholikenrat"' in html
    assert re.search(r'<option selected value="kirche">|<option value="kirche" selected>', html)


def test_duplicate_name_names_the_existing_actor(app, login, world):
    client = login("editor")
    with app.app_context():
        before = f.dump()
    response = client.post(
        "/akteure/neu", data=actor_form(client.csrf, name="welthaus aachen", category="weltladen")
    )
    assert response.status_code == 200
    html = text(response)
    assert "Es gibt schon einen Akteur mit diesem Namen: Welthaus Aachen" in html
    assert 'aria-invalid="true"' in html
    # the user's input is still in the form
    assert 'value="welthaus aachen"' in html
    with app.app_context():
        assert f.dump() == before


def test_renaming_onto_another_actor_is_refused(app, login, world):
    client = login("editor")
    response = client.post(
        f"/akteure/{world['b']}/bearbeiten",
        data=actor_form(client.csrf, name="WELTHAUS AACHEN", category="partnerschaftsverein"),
    )
    assert response.status_code == 200
    assert "Es gibt schon einen Akteur mit diesem Namen: Welthaus Aachen" in text(response)
    with app.app_context():
        assert db.session.get(Actor, world["b"]).name == "Förderverein Aachen-Kapstadt e.V."


def test_missing_fields_and_out_of_range_values_are_field_errors(app, login):
    client = login("editor")
    response = client.post(
        "/akteure/neu", data=actor_form(client.csrf, name="", category="", power="9")
    )
    assert response.status_code == 200
    html = text(response)
    assert html.count('class="errors"') >= 3
    assert "Bitte prüfen Sie die markierten Felder." in html
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Actor.id))) == 0


def test_editor_edits_actor_and_history_shows_it(app, login, world):
    client = login("editor", username="koordination")
    response = client.post(
        f"/akteure/{world['a']}/bearbeiten",
        data=actor_form(
            client.csrf,
            name="Welthaus Aachen",
            category="eine-welt-gruppe",
            city="Aachen-Mitte",
            power="4",
            version="1",
        ),
    )
    assert response.status_code == 302
    with app.app_context():
        actor = db.session.get(Actor, world["a"])
        assert (actor.city, actor.power, actor.version) == ("Aachen-Mitte", 4, 2)
    [entry] = audit_entries(app, entity="actor", action="update")
    assert entry.changes["city"] == ["Aachen", "Aachen-Mitte"]
    assert entry.username == "koordination"
    assert "Aachen-Mitte" in text(client.get(f"/akteure/{world['a']}"))


def test_two_editors_saving_the_same_actor_second_gets_conflict(app, login, world):
    first = login("editor", username="erste")
    second = login("editor", username="zweite")
    url = f"/akteure/{world['a']}/bearbeiten"
    versions = []
    for client in (first, second):
        html = text(client.get(url))
        versions.append(re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1))
    assert versions == ["1", "1"]
    common = {"category": "eine-welt-gruppe", "version": versions[0]}
    saved = first.post(
        url, data=actor_form(first.csrf, name="Welthaus Aachen", city="Eins", **common)
    )
    assert saved.status_code == 302
    refused = second.post(
        url, data=actor_form(second.csrf, name="Welthaus Aachen", city="Zwei", **common)
    )
    assert refused.status_code == 200
    assert "inzwischen von jemand anderem geändert" in text(refused)
    with app.app_context():
        assert db.session.get(Actor, world["a"]).city == "Eins"
    assert len(audit_entries(app, entity="actor", action="update")) == 1


def test_delete_asks_first_then_removes_everything_attached(app, login, world):
    client = login("editor", username="koordination")
    confirm = client.get(f"/akteure/{world['a']}/loeschen")
    assert confirm.status_code == 200
    html = text(confirm)
    assert "Welthaus Aachen" in html
    # "1 Kontakt", not "1 Kontakte" (ngettext)
    assert "<li>1 Kontakt</li>" in html and "<li>1 Themenzuordnung</li>" in html
    assert "<li>1 Beziehung</li>" in html
    with app.app_context():
        assert db.session.get(Actor, world["a"]) is not None  # GET deletes nothing
    response = client.post(f"/akteure/{world['a']}/loeschen", data={"csrf_token": client.csrf})
    assert response.status_code == 302
    assert response.location == "/akteure/"
    with app.app_context():
        assert db.session.get(Actor, world["a"]) is None
        assert db.session.get(Actor, world["b"]) is not None
        assert db.session.get(Contact, world["c"]) is None
        assert db.session.get(Relation, world["r"]) is None
        assert db.session.get(ActorTopic, world["l"]) is None
    [entry] = audit_entries(app, entity="actor", action="delete")
    assert entry.entity_id == world["a"]
    assert entry.username == "koordination"
    assert entry.changes["name"] == ["Welthaus Aachen", None]
    assert entry.changes["removed"][0] == {"contacts": 1, "topic_links": 1, "relations": 1}


# --- contacts ----------------------------------------------------------------------------------


def test_editor_adds_contact_in_partner_city_zone(app, login, world):
    client = login("editor")
    response = client.post(f"/akteure/{world['b']}/kontakte/neu", data=contact_form(client.csrf))
    assert response.status_code == 302
    with app.app_context():
        contact = db.session.scalar(sa.select(Contact).where(Contact.actor_id == world["b"]))
        assert (contact.timezone, contact.language) == ("Africa/Johannesburg", "en")
    assert "t.nkosi@example.org" in text(client.get(f"/akteure/{world['b']}"))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "keine-adresse", "Ungültige E-Mail-Adresse."),
        ("email", "a@b@example.org", "Ungültige E-Mail-Adresse."),
        ("timezone", "Europe/Aachen", "Unbekannte Zeitzone: Europe/Aachen"),
        ("timezone", "", "Unbekannte Zeitzone"),
        ("name", "", "Dieses Feld wird benötigt."),
    ],
)
def test_contact_bad_input_is_a_field_error(app, login, world, field, value, message):
    client = login("editor")
    with app.app_context():
        before = f.dump()
    for url in (
        f"/akteure/{world['a']}/kontakte/neu",
        f"/akteure/kontakte/{world['c']}/bearbeiten",
    ):
        response = client.post(url, data=contact_form(client.csrf, **{field: value}))
        assert response.status_code == 200
        html = text(response)
        errors = re.search(rf'<ul class="errors" id="{field}-errors"[^>]*>(.*?)</ul>', html, re.S)
        assert errors, f"no error at {field}"
        assert message in errors.group(1)
    with app.app_context():
        assert f.dump() == before


def test_contact_email_is_checked_by_the_service_too(app, world):
    """The form's validator and the service agree: the service is the last line for API and
    import, so it refuses the address even when the form lets it through."""
    from netzwerk.actors import services
    from netzwerk.core.errors import Invalid

    with app.app_context():
        actor = db.session.get(Actor, world["a"])
        with pytest.raises(Invalid) as exc:
            services.create_contact(actor, {"name": "X", "email": "x@@example.org"})
        assert exc.value.field == "email"
        with pytest.raises(Invalid) as exc:
            services.create_contact(actor, {"name": "X", "timezone": "Mars/Olympus"})
        assert exc.value.field == "timezone"


def test_delete_contact_asks_first(app, login, world):
    client = login("editor")
    assert "Erika Muster" in text(client.get(f"/akteure/kontakte/{world['c']}/loeschen"))
    with app.app_context():
        assert db.session.get(Contact, world["c"]) is not None
    client.post(f"/akteure/kontakte/{world['c']}/loeschen", data={"csrf_token": client.csrf})
    with app.app_context():
        assert db.session.get(Contact, world["c"]) is None


# --- relations ---------------------------------------------------------------------------------


def relation_form(csrf: str, target: int, **overrides) -> dict:
    data = {"csrf_token": csrf, "target_id": target, "kind": "kooperation", "outgoing": "out"}
    return data | {"strength": "2"} | overrides


def test_relation_to_itself_is_refused(app, login, world):
    client = login("editor")
    with app.app_context():
        before = f.dump()
    response = client.post(
        f"/akteure/{world['a']}/beziehungen/neu",
        data=relation_form(client.csrf, world["a"], kind="information"),
    )
    assert response.status_code == 200
    assert re.search(r'id="target_id-errors"', text(response))
    with app.app_context():
        assert f.dump() == before


def test_relation_to_itself_is_refused_by_the_service(app, world):
    from netzwerk.actors import services
    from netzwerk.core.errors import Invalid

    with app.app_context(), pytest.raises(Invalid, match="zu sich selbst"):
        services.create_relation(
            {"source_id": world["a"], "target_id": world["a"], "kind": "kooperation"}
        )


def test_duplicate_relation_is_refused(app, login, world):
    client = login("editor")
    response = client.post(
        f"/akteure/{world['a']}/beziehungen/neu",
        data=relation_form(client.csrf, world["b"], kind="kooperation"),
    )
    assert response.status_code == 200
    assert "Diese Beziehung gibt es schon" in text(response)


def test_incoming_relation_shows_on_both_actors(app, login, world):
    client = login("editor")
    response = client.post(
        f"/akteure/{world['b']}/beziehungen/neu",
        data=relation_form(client.csrf, world["a"], kind="foerderung", outgoing="in", directed="y"),
    )
    assert response.status_code == 302
    with app.app_context():
        relation = db.session.scalar(sa.select(Relation).where(Relation.kind == "foerderung"))
        assert (relation.source_id, relation.target_id) == (world["a"], world["b"])
    assert "eingehend" in text(client.get(f"/akteure/{world['b']}"))
    assert "ausgehend" in text(client.get(f"/akteure/{world['a']}"))


def test_relation_of_another_actor_cannot_be_edited_through_this_actor(app, login, world):
    with app.app_context():
        third = f.actor(name="Dritter Akteur").id
    client = login("editor")
    url = f"/akteure/{third}/beziehungen/{world['r']}/bearbeiten"
    assert client.get(url).status_code == 404
    response = client.post(url, data=relation_form(client.csrf, world["b"]))
    assert response.status_code == 404
    with app.app_context():
        relation = db.session.get(Relation, world["r"])
        assert (relation.source_id, relation.target_id) == (world["a"], world["b"])


# --- topic links -------------------------------------------------------------------------------


def test_topic_link_twice_is_not_offered(app, login, world):
    client = login("editor")
    html = text(client.get(f"/akteure/{world['a']}/themen/neu"))
    assert "Der Akteur ist schon allen Themen zugeordnet." in html
    response = client.post(
        f"/akteure/{world['a']}/themen/neu",
        data={"csrf_token": client.csrf, "topic_id": world["t"], "role": "mitwirkend"},
    )
    assert response.status_code == 200
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ActorTopic.id))) == 1


# --- categories (admin) ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_only_admins_manage_categories(app, login, role):
    client = login(role)
    with app.app_context():
        before = f.dump()
    for url in ("/admin/kategorien", "/admin/kategorien/neu", "/admin/kategorien/schule"):
        assert client.get(url).status_code == 403
    response = client.post(
        "/admin/kategorien/neu",
        data={
            "csrf_token": client.csrf,
            "key": "kita",
            "label_de": "Kita",
            "sector": "bildung",
            "color": "#123456",
        },
    )
    assert response.status_code == 403
    with app.app_context():
        assert f.dump() == before


def test_admin_adds_category_used_by_actor_form(app, login):
    client = login("admin", username="chefin")
    listing = client.get("/admin/kategorien")
    assert listing.status_code == 200
    assert "Weltladen" in text(listing)
    response = client.post(
        "/admin/kategorien/neu",
        data={
            "csrf_token": client.csrf,
            "key": "kita",
            "label_de": "Kindertagesstätte",
            "label_en": "Day-care centre",
            "sector": "bildung",
            "color": "#a0c4ff",
        },
    )
    assert response.status_code == 302
    assert response.location == "/admin/kategorien"
    with app.app_context():
        cat = db.session.get(Category, "kita")
        assert (cat.label_de, cat.sector.value, cat.color) == (
            "Kindertagesstätte",
            "bildung",
            "#a0c4ff",
        )
    [entry] = audit_entries(app, entity="category")
    assert (entry.action, entry.label, entry.username) == ("create", "kita", "chefin")
    assert '<option value="kita">Kindertagesstätte</option>' in text(client.get("/akteure/neu"))


def test_admin_edits_category_label_but_not_key(app, login):
    with app.app_context():
        f.actor(name="Weltladen Aachen", category="weltladen")
    client = login("admin")
    form = text(client.get("/admin/kategorien/weltladen"))
    assert 'name="key"' not in form
    response = client.post(
        "/admin/kategorien/weltladen",
        data={
            "csrf_token": client.csrf,
            "key": "umbenannt",
            "label_de": "Weltladen / Fair-Handels-Akteur",
            "label_en": "World shop",
            "sector": "wirtschaft",
            "color": "#00ff00",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Category, "umbenannt") is None
        cat = db.session.get(Category, "weltladen")
        assert (cat.label_de, cat.sector.value) == ("Weltladen / Fair-Handels-Akteur", "wirtschaft")
    [entry] = audit_entries(app, entity="category", action="update")
    assert entry.label == "weltladen"
    assert entry.changes["sector"] == ["zivilgesellschaft", "wirtschaft"]
    assert entry.changes["label_de"] == [
        "Weltladen, Fair-Handels-Akteur",
        "Weltladen / Fair-Handels-Akteur",
    ]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"key": "schule"}, "key", "Die Kategorie schule gibt es schon."),
        ({"key": "Groß Buchstaben"}, "key", "Nur Kleinbuchstaben"),
        ({"color": "rot"}, "color", "Farbe als #RRGGBB."),
        ({"label_de": ""}, "label_de", "Dieses Feld wird benötigt."),
    ],
)
def test_category_bad_input_is_a_field_error(app, login, data, field, message):
    client = login("admin")
    with app.app_context():
        before = f.dump()
    payload = {
        "csrf_token": client.csrf,
        "key": "neu",
        "label_de": "Neu",
        "sector": "medien",
        "color": "#000000",
    } | data
    response = client.post("/admin/kategorien/neu", data=payload)
    assert response.status_code == 200
    errors = re.search(rf'id="{field}-errors"[^>]*>(.*?)</ul>', text(response), re.S)
    assert errors and message in errors.group(1)
    with app.app_context():
        assert f.dump() == before


def test_unknown_category_page_is_an_error(login):
    assert login("admin").get("/admin/kategorien/gibtsnicht").status_code == 404
