"""/api/contacts: people at actors, with e-mail and time-zone checks."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from netzwerk.actors.models import Contact
from netzwerk.audit.models import AuditEntry
from netzwerk.extensions import db
from tests import factories

pytestmark = pytest.mark.usefixtures("fast_passwords")

CONTACT_KEYS = {
    "id",
    "actor_id",
    "name",
    "function",
    "email",
    "phone",
    "language",
    "timezone",
    "notes",
    "legal_basis",
    "consent_date",
    "consent_source",
    "consent_invitations",
    "consent_revoked_at",
    "may_invite",
}


@pytest.fixture(params=[False, True], ids=["session", "bearer"])
def editor(api, request):
    return api("editor", bearer=request.param)


@pytest.fixture
def viewer(api):
    return api("viewer", bearer=True)


@pytest.fixture
def people(app):
    with app.app_context():
        kapstadt = factories.actor(name="City of Cape Town", category="partnerstadt")
        verein = factories.actor(
            name="Förderverein Aachen-Kapstadt e.V.", category="partnerschaftsverein"
        )
        thandi = factories.contact(
            kapstadt,
            name="Thandi Beispiel",
            function="International Relations",
            email="thandi@example.org",
            language="en",
            timezone="Africa/Johannesburg",
        )
        jonas = factories.contact(
            verein, name="Jonas Muster", function="Vorstand", email="jonas@example.org"
        )
        anna = factories.contact(
            verein, name="Anna Probe", function="Schulpartnerschaften", email=""
        )
        return {
            "kapstadt": kapstadt.id,
            "verein": verein.id,
            "thandi": thandi.id,
            "jonas": jonas.id,
            "anna": anna.id,
        }


def contacts_in_db(app) -> list[tuple]:
    with app.app_context():
        return [
            (c.id, c.actor_id, c.name, c.email, c.timezone)
            for c in db.session.scalars(sa.select(Contact).order_by(Contact.id))
        ]


def test_contact_fields(viewer, people):
    body = viewer.get(f"/api/contacts/{people['thandi']}").json
    assert set(body) == CONTACT_KEYS
    assert body == {
        "id": people["thandi"],
        "actor_id": people["kapstadt"],
        "name": "Thandi Beispiel",
        "function": "International Relations",
        "email": "thandi@example.org",
        "phone": "",
        "language": "en",
        "timezone": "Africa/Johannesburg",
        "notes": "",
        "legal_basis": "oeffentliche_aufgabe",
        "consent_date": None,
        "consent_source": "",
        "consent_invitations": True,
        "consent_revoked_at": None,
        "may_invite": True,
    }


def test_consent_revocation_through_the_api_blocks_invitations(app, editor, people):
    url = f"/api/contacts/{people['jonas']}"
    body = editor.patch(url, json={"consent_revoked_at": "2026-03-01"}).json
    assert body["may_invite"] is False
    assert body["consent_revoked_at"].startswith("2026-03-01")
    # the answer can be sent back unchanged (read-only may_invite included)
    assert editor.patch(url, json=body).status_code == 200
    with app.app_context():
        assert db.session.get(Contact, people["jonas"]).may_invite is False
    assert editor.patch(url, json={"consent_revoked_at": None}).json["may_invite"] is True


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("", ["Anna Probe", "Jonas Muster", "Thandi Beispiel"]),
        ("actor_id={verein}", ["Anna Probe", "Jonas Muster"]),
        ("actor_id={kapstadt}", ["Thandi Beispiel"]),
        ("q=thandi", ["Thandi Beispiel"]),
        ("q=VORSTAND", ["Jonas Muster"]),
        ("q=example.org", ["Jonas Muster", "Thandi Beispiel"]),
        ("email=JONAS@example.org", ["Jonas Muster"]),
        ("email=jonas@example", []),
        ("actor_id={verein}&q=schul", ["Anna Probe"]),
        ("actor_id={kapstadt}&email=jonas@example.org", []),
    ],
)
def test_list_filters(viewer, people, query, names):
    body = viewer.get("/api/contacts?" + query.format(**people)).json
    assert [c["name"] for c in body["items"]] == names
    assert (body["total"], body["page"], body["per_page"]) == (len(names), 1, 50)


def test_list_filter_actor_id_must_be_a_number(viewer, people):
    response = viewer.get("/api/contacts?actor_id=kapstadt")
    assert response.status_code == 422
    assert response.json["fields"] == {"actor_id": ["actor_id muss eine Nummer sein: kapstadt"]}


def test_paging_clamps_per_page_to_500(viewer, people):
    body = viewer.get("/api/contacts?per_page=1000&page=1").json
    assert (body["total"], body["per_page"], len(body["items"])) == (3, 500, 3)
    assert viewer.get("/api/contacts?per_page=2&page=2").json["items"][0]["name"] == (
        "Thandi Beispiel"
    )


def test_create_answers_201_with_location_and_counts_at_the_actor(app, editor, people):
    response = editor.post(
        "/api/contacts",
        json={
            "actor_id": people["kapstadt"],
            "name": "Sipho Beispiel",
            "email": "Sipho@EXAMPLE.org",
            "timezone": "Africa/Johannesburg",
            "language": "EN",
        },
    )
    assert response.status_code == 201
    body = response.json
    assert response.headers["Location"].endswith(f"/api/contacts/{body['id']}")
    assert body["email"] == "Sipho@example.org"  # the domain part is normalised
    assert (body["language"], body["timezone"]) == ("en", "Africa/Johannesburg")
    assert editor.get(f"/api/actors/{people['kapstadt']}").json["contact_count"] == 2
    with app.app_context():
        entry = db.session.scalars(
            sa.select(AuditEntry).where(
                AuditEntry.entity == "contact",
                AuditEntry.action == "create",
                AuditEntry.entity_id == body["id"],
            )
        ).one()
    assert entry.changes["email"] == [None, "Sipho@example.org"]


def test_defaults_are_german_and_berlin(api, people):
    body = (
        api("editor", bearer=True)
        .post("/api/contacts", json={"actor_id": people["verein"], "name": "Neu"})
        .json
    )
    assert (body["language"], body["timezone"], body["email"]) == ("de", "Europe/Berlin", "")


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"name": "X", "email": "kein-at-zeichen"}, "email", "Ungültige E-Mail-Adresse"),
        ({"name": "X", "email": "a@b@example.org"}, "email", "Ungültige E-Mail-Adresse"),
        ({"name": "X", "timezone": "Europe/Aachen"}, "timezone", "Unbekannte Zeitzone"),
        ({"name": "X", "timezone": "MEZ"}, "timezone", "Unbekannte Zeitzone"),
        ({"email": "x@example.org"}, "name", "Der Name fehlt."),
        ({"name": "X", "actor_id": None}, "actor_id", "ganze Zahl"),
        ({"name": "X", "actor_id": 9999}, "actor_id", "Unbekannter Akteur: 9999"),
        ({"name": "X", "actor_id": "{verein}"}, "actor_id", "ganze Zahl"),
        ({"name": "X", "consent": True}, "consent", "Unbekanntes Feld"),
    ],
)
def test_invalid_contact_is_422_and_nothing_is_stored(app, api, people, body, field, message):
    body = {"actor_id": people["verein"]} | body
    if body["actor_id"] == "{verein}":
        body["actor_id"] = str(people["verein"])
    before = contacts_in_db(app)
    response = api("editor", bearer=True).post("/api/contacts", json=body)
    assert response.status_code == 422
    assert message in response.json["error"]
    assert field in response.json["fields"]
    assert contacts_in_db(app) == before


def test_create_without_actor_is_422(app, api, people):
    response = api("editor", bearer=True).post("/api/contacts", json={"name": "Niemandes"})
    assert response.status_code == 422
    assert response.json["fields"] == {"actor_id": [response.json["error"]]}


def test_patch_changes_fields_and_can_move_to_another_actor(app, editor, people):
    path = f"/api/contacts/{people['jonas']}"
    response = editor.patch(
        path, json={"actor_id": people["kapstadt"], "phone": "+27 21 400 1111", "language": "en"}
    )
    assert response.status_code == 200
    assert response.json == editor.get(path).json
    body = response.json
    assert (body["actor_id"], body["phone"], body["language"]) == (
        people["kapstadt"],
        "+27 21 400 1111",
        "en",
    )
    assert body["email"] == "jonas@example.org"
    with app.app_context():
        entry = db.session.scalars(
            sa.select(AuditEntry).where(
                AuditEntry.entity == "contact", AuditEntry.action == "update"
            )
        ).one()
    assert entry.changes["actor_id"] == [people["verein"], people["kapstadt"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "jonas(at)example.org"}, "email"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"actor_id": 9999}, "actor_id"),
        ({"name": None}, "name"),
        ({"id": 1234}, "id"),
    ],
)
def test_patch_invalid_changes_nothing(app, api, people, body, field):
    before = contacts_in_db(app)
    response = api("editor", bearer=True).patch(f"/api/contacts/{people['jonas']}", json=body)
    assert response.status_code == 422
    assert field in response.json["fields"]
    assert contacts_in_db(app) == before


def test_delete_contact(app, editor, people):
    response = editor.delete(f"/api/contacts/{people['anna']}")
    assert response.status_code == 204
    assert editor.get(f"/api/contacts/{people['anna']}").status_code == 404
    assert [c[2] for c in contacts_in_db(app)] == ["Thandi Beispiel", "Jonas Muster"]
    assert editor.get(f"/api/actors/{people['verein']}").json["contact_count"] == 1
    with app.app_context():
        entry = db.session.scalars(
            sa.select(AuditEntry).where(
                AuditEntry.entity == "contact", AuditEntry.action == "delete"
            )
        ).one()
    assert entry.changes["name"] == ["Anna Probe", None]
