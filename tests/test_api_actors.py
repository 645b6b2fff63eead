"""/api/actors: list with filters and paging, create, read, change with optimistic locking,
delete with everything that hangs off the actor."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from netzwerk.actors.models import Actor, Contact, Relation
from netzwerk.audit.models import AuditEntry
from netzwerk.extensions import db
from netzwerk.topics.models import ActorTopic, Topic
from tests import factories

pytestmark = pytest.mark.usefixtures("fast_passwords")

ACTOR_KEYS = {
    "id",
    "name",
    "short_name",
    "external_id",
    "category",
    "category_label",
    "sector",
    "level",
    "city",
    "country",
    "website",
    "description",
    "power",
    "interest",
    "status",
    "version",
    "created_at",
    "updated_at",
    "topics",
    "contact_count",
}
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)$")


@pytest.fixture(params=[False, True], ids=["session", "bearer"])
def editor(api, request):
    return api("editor", bearer=request.param)


@pytest.fixture
def viewer(api):
    return api("viewer", bearer=True)


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def audit(app, entity: str, action: str) -> list[AuditEntry]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(AuditEntry).where(
                    AuditEntry.entity == entity, AuditEntry.action == action
                )
            )
        )


@pytest.fixture
def landscape(app):
    """A few Aachen actors with topics and contacts, for filters."""
    with app.app_context():
        sdg12 = factories.topic(code="SDG12", title="Nachhaltiger Konsum", priority=1)
        sdg4 = factories.topic(code="SDG4", title="Hochwertige Bildung", priority=1)
        welthaus = factories.actor(
            name="Welthaus Aachen", category="eine-welt-gruppe", city="Aachen", power=2
        )
        rwth = factories.actor(
            name="RWTH Aachen",
            short_name="RWTH",
            category="hochschule",
            level="regional",
            city="Aachen",
        )
        skew = factories.actor(
            name="Engagement Global / SKEW",
            category="foerdermittelgeber",
            level="bund",
            city="Bonn",
            status="kandidat",
        )
        factories.link(welthaus, sdg12, "federfuehrend")
        factories.link(rwth, sdg4)
        factories.link(welthaus, sdg4, "interessiert")
        factories.contact(welthaus)
        factories.contact(welthaus)
        return {
            "welthaus": welthaus.id,
            "rwth": rwth.id,
            "skew": skew.id,
            "sdg12": sdg12.id,
            "sdg4": sdg4.id,
        }


# --- reading ---------------------------------------------------------------------------------


def test_actor_fields_are_the_models_in_snake_case(viewer, landscape):
    body = viewer.get(f"/api/actors/{landscape['welthaus']}").json
    assert set(body) == ACTOR_KEYS
    assert body["name"] == "Welthaus Aachen"
    assert body["category"] == "eine-welt-gruppe"
    assert body["category_label"] == "Entwicklungspolitische Initiative/NGO"
    assert body["sector"] == "zivilgesellschaft"  # derived from the category
    assert (body["level"], body["status"], body["country"]) == ("lokal", "aktiv", "DE")
    assert (body["power"], body["interest"], body["version"]) == (2, 3, 1)
    assert body["external_id"] is None
    assert ISO_UTC.match(body["created_at"]) and ISO_UTC.match(body["updated_at"])
    assert body["topics"] == [
        {"topic_id": landscape["sdg12"], "code": "SDG12", "role": "federfuehrend"},
        {"topic_id": landscape["sdg4"], "code": "SDG4", "role": "interessiert"},
    ]
    assert body["contact_count"] == 2


def test_list_answers_items_total_page_per_page(viewer, landscape):
    body = viewer.get("/api/actors").json
    assert set(body) == {"items", "total", "page", "per_page"}
    assert (body["total"], body["page"], body["per_page"]) == (3, 1, 50)
    # sorted by name, each item shaped like the single actor
    assert [a["name"] for a in body["items"]] == [
        "Engagement Global / SKEW",
        "RWTH Aachen",
        "Welthaus Aachen",
    ]
    assert body["items"][2] == viewer.get(f"/api/actors/{landscape['welthaus']}").json


def test_paging_clamps_per_page_to_500(app, viewer):
    from netzwerk.actors.services import create_actor

    with app.app_context():
        for n in range(501):
            create_actor({"name": f"Schule {n:03}", "category": "schule"}, commit=False)
        db.session.commit()
    body = viewer.get("/api/actors?per_page=1000").json
    assert (body["total"], body["page"], body["per_page"]) == (501, 1, 500)
    assert len(body["items"]) == 500
    second = viewer.get("/api/actors?per_page=1000&page=2").json
    assert [a["name"] for a in second["items"]] == ["Schule 500"]
    small = viewer.get("/api/actors?per_page=2&page=3").json
    assert [a["name"] for a in small["items"]] == ["Schule 004", "Schule 005"]
    assert viewer.get("/api/actors?page=99").json["items"] == []


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("q=welthaus", ["Welthaus Aachen"]),
        ("q=rwth", ["RWTH Aachen"]),
        ("q=bonn", ["Engagement Global / SKEW"]),
        ("q=AACHEN", ["RWTH Aachen", "Welthaus Aachen"]),
        ("category=hochschule", ["RWTH Aachen"]),
        ("sector=zivilgesellschaft", ["Welthaus Aachen"]),
        ("sector=Bildung/Wissenschaft", ["RWTH Aachen"]),
        ("level=bund", ["Engagement Global / SKEW"]),
        ("status=kandidat", ["Engagement Global / SKEW"]),
        ("status=aktiv", ["RWTH Aachen", "Welthaus Aachen"]),
        ("topic=SDG12", ["Welthaus Aachen"]),
        ("topic=sdg4", ["RWTH Aachen", "Welthaus Aachen"]),
        ("topic={sdg4}", ["RWTH Aachen", "Welthaus Aachen"]),
        ("topic=SDG4&q=rwth", ["RWTH Aachen"]),
        ("topic=SDG12&level=regional", []),
        ("q=&category=", ["Engagement Global / SKEW", "RWTH Aachen", "Welthaus Aachen"]),
    ],
)
def test_list_filters(viewer, landscape, query, names):
    body = viewer.get("/api/actors?" + query.format(**landscape)).json
    assert [a["name"] for a in body["items"]] == names
    assert body["total"] == len(names)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("category=kirchen", "category"),
        ("sector=landwirtschaft", "sector"),
        ("level=galaktisch", "level"),
        ("status=verschollen", "status"),
        ("topic=SDG99", "topic"),
        ("stadt=Aachen", "stadt"),
    ],
)
def test_unknown_filter_values_are_422(viewer, landscape, query, field):
    response = viewer.get("/api/actors?" + query)
    assert response.status_code == 422
    assert response.json["fields"] == {field: [response.json["error"]]}


# --- creating --------------------------------------------------------------------------------


def test_create_answers_201_with_location(app, editor):
    response = editor.post(
        "/api/actors",
        json={
            "name": "Weltladen Aachen",
            "short_name": "Weltladen",
            "category": "weltladen",
            "city": "Aachen",
            "website": "weltladen-aachen.de",
            "power": 2,
            "interest": 5,
            "level": "lokal",
        },
    )
    assert response.status_code == 201
    body = response.json
    assert response.headers["Location"].endswith(f"/api/actors/{body['id']}")
    assert body["sector"] == "zivilgesellschaft"
    assert body["website"] == "https://weltladen-aachen.de"
    assert (body["power"], body["interest"], body["status"]) == (2, 5, "aktiv")
    assert (body["topics"], body["contact_count"], body["version"]) == ([], 0, 1)
    [entry] = audit(app, "actor", "create")
    assert entry.entity_id == body["id"]
    assert entry.changes["name"] == [None, "Weltladen Aachen"]


def test_create_ignores_read_only_fields_copied_from_another_actor(viewer, editor, landscape):
    copy = viewer.get(f"/api/actors/{landscape['rwth']}").json | {"name": "FH Aachen"}
    response = editor.post("/api/actors", json=copy)
    assert response.status_code == 201
    body = response.json
    assert body["id"] != landscape["rwth"]
    assert (body["topics"], body["contact_count"], body["version"]) == ([], 0, 1)
    assert body["category"] == "hochschule"


def test_duplicate_name_is_409_naming_the_existing_actor(app, api, landscape):
    editor = api("editor", bearer=True)
    before = count(app, Actor)
    response = editor.post("/api/actors", json={"name": " welthaus AACHEN ", "category": "schule"})
    assert response.status_code == 409
    assert response.json == {
        "error": f"Es gibt schon einen Akteur mit diesem Namen: Welthaus Aachen "
        f"(#{landscape['welthaus']}).",
        "fields": {"name": [response.json["error"]]},
    }
    assert count(app, Actor) == before


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"name": "X", "category": "kirchen"}, "category", "Unbekannte Kategorie: kirchen"),
        ({"name": "X"}, "category", "Die Kategorie fehlt."),
        ({"category": "schule"}, "name", "Der Name fehlt."),
        ({"name": "   ", "category": "schule"}, "name", "Der Name fehlt."),
        ({"name": "X", "category": "schule", "power": 6}, "power", "zwischen 1 und 5"),
        ({"name": "X", "category": "schule", "power": 0}, "power", "zwischen 1 und 5"),
        ({"name": "X", "category": "schule", "interest": 9}, "interest", "zwischen 1 und 5"),
        ({"name": "X", "category": "schule", "power": 2.5}, "power", "ganze Zahl"),
        ({"name": "X", "category": "schule", "power": True}, "power", "ganze Zahl"),
        ({"name": "X", "category": "schule", "level": "galaktisch"}, "level", "erlaubt: lokal"),
        ({"name": "X", "category": "schule", "status": "tot"}, "status", "Unbekannter Wert"),
        ({"name": "X", "category": "schule", "country": "DEU"}, "country", "zu lang"),
        ({"name": ["X"], "category": "schule"}, "name", "name muss ein Text sein."),
        ({"name": "X", "category_key": "schule"}, "category_key", "Unbekanntes Feld"),
    ],
)
def test_invalid_actor_is_422_with_field(app, api, body, field, message):
    editor = api("editor", bearer=True)
    response = editor.post("/api/actors", json=body)
    assert response.status_code == 422
    assert message in response.json["error"]
    assert field in response.json["fields"]
    assert count(app, Actor) == 0
    assert audit(app, "actor", "create") == []


# --- changing --------------------------------------------------------------------------------


def test_patch_changes_only_the_given_fields(app, editor, landscape):
    path = f"/api/actors/{landscape['rwth']}"
    response = editor.patch(path, json={"power": 5, "description": "Exzellenzuniversität"})
    assert response.status_code == 200
    body = response.json
    assert (body["power"], body["description"], body["version"]) == (5, "Exzellenzuniversität", 2)
    assert (body["name"], body["short_name"], body["level"]) == ("RWTH Aachen", "RWTH", "regional")
    assert editor.get(path).json == body
    [entry] = audit(app, "actor", "update")
    assert entry.changes == {"power": [3, 5], "description": ["", "Exzellenzuniversität"]}


def test_patch_category_rederives_the_sector(editor, landscape):
    body = editor.patch(f"/api/actors/{landscape['rwth']}", json={"category": "wirtschaft"}).json
    assert (body["category"], body["sector"]) == ("wirtschaft", "wirtschaft")


def test_patch_with_current_version_succeeds_and_stale_version_is_409(app, api, landscape):
    alice, bob = api("editor"), api("editor", bearer=True)
    path = f"/api/actors/{landscape['welthaus']}"
    seen_by_alice = alice.get(path).json
    seen_by_bob = bob.get(path).json
    first = bob.patch(path, json={"city": "Aachen-Mitte", "version": seen_by_bob["version"]})
    assert first.status_code == 200
    assert first.json["version"] == seen_by_bob["version"] + 1
    stale = alice.patch(path, json={"city": "Köln", "version": seen_by_alice["version"]})
    assert stale.status_code == 409
    assert "inzwischen von jemand anderem geändert" in stale.json["error"]
    assert stale.json["fields"] == {"version": [stale.json["error"]]}
    assert alice.get(path).json["city"] == "Aachen-Mitte"
    assert len(audit(app, "actor", "update")) == 1


def test_patch_without_version_is_last_write_wins(api, landscape):
    editor = api("editor", bearer=True)
    path = f"/api/actors/{landscape['welthaus']}"
    editor.patch(path, json={"city": "A"})
    assert editor.patch(path, json={"city": "B"}).json["city"] == "B"


def test_patch_to_an_existing_name_is_409(api, landscape):
    editor = api("editor", bearer=True)
    response = editor.patch(f"/api/actors/{landscape['rwth']}", json={"name": "WELTHAUS aachen"})
    assert response.status_code == 409
    assert "Welthaus Aachen" in response.json["error"]
    assert editor.get(f"/api/actors/{landscape['rwth']}").json["name"] == "RWTH Aachen"


def test_patch_invalid_values_change_nothing(app, api, landscape):
    editor = api("editor", bearer=True)
    path = f"/api/actors/{landscape['rwth']}"
    before = editor.get(path).json
    for body, field in (
        ({"power": 7, "city": "Köln"}, "power"),
        ({"category": "kirchen"}, "category"),
        ({"name": ""}, "name"),
        ({"version": "eins"}, "version"),
        ({"contact_count": 9}, "contact_count"),
    ):
        response = editor.patch(path, json=body)
        assert response.status_code == 422, body
        assert field in response.json["fields"]
    assert editor.get(path).json == before
    assert audit(app, "actor", "update") == []


# --- deleting --------------------------------------------------------------------------------


def test_delete_removes_contacts_links_relations_in_one_audited_step(app, editor, landscape):
    with app.app_context():
        welthaus, rwth = (
            db.session.get(Actor, landscape["welthaus"]),
            db.session.get(Actor, landscape["rwth"]),
        )
        factories.relation(welthaus, rwth, "kooperation")
        factories.relation(rwth, welthaus, "information")
        factories.relation(rwth, db.session.get(Actor, landscape["skew"]), "foerderung")
    response = editor.delete(f"/api/actors/{landscape['welthaus']}")
    assert response.status_code == 204
    assert response.data == b""
    assert editor.get(f"/api/actors/{landscape['welthaus']}").status_code == 404
    with app.app_context():
        assert db.session.scalars(sa.select(Contact)).all() == []
        assert [lk.actor_id for lk in db.session.scalars(sa.select(ActorTopic))] == [
            landscape["rwth"]
        ]
        [left] = db.session.scalars(sa.select(Relation)).all()
        assert (left.source_id, left.target_id) == (landscape["rwth"], landscape["skew"])
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Topic)) == 2
    [entry] = audit(app, "actor", "delete")
    assert entry.entity_id == landscape["welthaus"]
    assert entry.label == "Welthaus Aachen"
    assert entry.changes["removed"][0] == {"contacts": 2, "topic_links": 2, "relations": 2}
    assert entry.changes["name"] == ["Welthaus Aachen", None]
    assert count(app, Actor) == 2
    assert [a["name"] for a in editor.get("/api/actors").json["items"]] == [
        "Engagement Global / SKEW",
        "RWTH Aachen",
    ]


def test_delete_twice_is_404(api, landscape):
    editor = api("editor", bearer=True)
    path = f"/api/actors/{landscape['skew']}"
    assert editor.delete(path).status_code == 204
    response = editor.delete(path)
    assert response.status_code == 404
    assert response.json == {"error": f"Akteur {landscape['skew']} nicht gefunden."}
