"""/api/relations: typed links between two actors; no self-relations, no exact duplicates."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from netzwerk.actors.models import Relation
from netzwerk.audit.models import AuditEntry
from netzwerk.extensions import db
from tests import factories

pytestmark = pytest.mark.usefixtures("fast_passwords")


@pytest.fixture(params=[False, True], ids=["session", "bearer"])
def editor(api, request):
    return api("editor", bearer=request.param)


@pytest.fixture
def viewer(api):
    return api("viewer", bearer=True)


@pytest.fixture
def net(app):
    """BMZ funds SKEW, SKEW funds the KEpol post, which cooperates with the Welthaus."""
    with app.app_context():
        bmz = factories.actor(name="BMZ", category="foerdermittelgeber", level="bund")
        skew = factories.actor(name="Engagement Global / SKEW", category="foerdermittelgeber")
        kepol = factories.actor(name="KEpol-Koordination (FB01)", category="verwaltung")
        welthaus = factories.actor(name="Welthaus Aachen", category="eine-welt-gruppe")
        ids = {"bmz": bmz.id, "skew": skew.id, "kepol": kepol.id, "welthaus": welthaus.id}
        ids["r1"] = factories.relation(bmz, skew, "foerderung", directed=True, strength=3).id
        ids["r2"] = factories.relation(skew, kepol, "foerderung", directed=True).id
        ids["r3"] = factories.relation(kepol, welthaus, "kooperation", note="Steuerungsgruppe").id
        return ids


def relations_in_db(app) -> list[tuple]:
    with app.app_context():
        return [
            (r.id, r.source_id, r.target_id, r.kind.value, r.directed, r.strength, r.note)
            for r in db.session.scalars(sa.select(Relation).order_by(Relation.id))
        ]


def test_relation_fields(viewer, net):
    assert viewer.get(f"/api/relations/{net['r3']}").json == {
        "id": net["r3"],
        "source_id": net["kepol"],
        "target_id": net["welthaus"],
        "kind": "kooperation",
        "directed": False,
        "strength": 2,
        "note": "Steuerungsgruppe",
        "reciprocity": None,  # nobody was asked in a survey (bestaetigt/einseitig otherwise)
    }
    assert viewer.get(f"/api/relations/{net['r1']}").json["directed"] is True


@pytest.mark.parametrize(
    ("query", "ids"),
    [
        ("", ["r1", "r2", "r3"]),
        ("actor_id={skew}", ["r1", "r2"]),  # either end
        ("actor_id={welthaus}", ["r3"]),
        ("source_id={skew}", ["r2"]),
        ("target_id={skew}", ["r1"]),
        ("kind=foerderung", ["r1", "r2"]),
        ("kind=Förderung", ["r1", "r2"]),  # the German label works too
        ("kind=kooperation&actor_id={skew}", []),
        ("source_id={bmz}&target_id={skew}&kind=foerderung", ["r1"]),
    ],
)
def test_list_filters(viewer, net, query, ids):
    body = viewer.get("/api/relations?" + query.format(**net)).json
    assert [r["id"] for r in body["items"]] == [net[i] for i in ids]
    assert (body["total"], body["page"], body["per_page"]) == (len(ids), 1, 50)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("kind=freundschaft", "kind"),
        ("actor_id=BMZ", "actor_id"),
        ("source_id=1.5", "source_id"),
        ("richtung=rein", "richtung"),
    ],
)
def test_bad_filters_are_422(viewer, net, query, field):
    response = viewer.get("/api/relations?" + query)
    assert response.status_code == 422
    assert field in response.json["fields"]


def test_paging_clamps_per_page_to_500(viewer, net):
    body = viewer.get("/api/relations?per_page=1000").json
    assert (body["total"], body["per_page"], len(body["items"])) == (3, 500, 3)
    assert [r["id"] for r in viewer.get("/api/relations?per_page=1&page=3").json["items"]] == [
        net["r3"]
    ]


def test_create_answers_201_with_location(app, editor, net):
    response = editor.post(
        "/api/relations",
        json={
            "source_id": net["welthaus"],
            "target_id": net["bmz"],
            "kind": "information",
            "directed": True,
            "strength": 1,
            "note": "Newsletter",
        },
    )
    assert response.status_code == 201
    body = response.json
    assert response.headers["Location"].endswith(f"/api/relations/{body['id']}")
    assert body == {
        "id": body["id"],
        "source_id": net["welthaus"],
        "target_id": net["bmz"],
        "kind": "information",
        "directed": True,
        "strength": 1,
        "note": "Newsletter",
        "reciprocity": None,
    }
    assert editor.get(f"/api/relations?actor_id={net['welthaus']}").json["total"] == 2
    with app.app_context():
        entry = db.session.scalars(
            sa.select(AuditEntry).where(
                AuditEntry.entity == "relation", AuditEntry.entity_id == body["id"]
            )
        ).one()
    assert entry.action == "create"
    assert entry.label == "Welthaus Aachen → BMZ (information)"


def test_the_same_pair_may_have_different_kinds_and_both_directions(api, net):
    editor = api("editor", bearer=True)
    for body in (
        {"source_id": net["bmz"], "target_id": net["skew"], "kind": "weisung"},
        {"source_id": net["skew"], "target_id": net["bmz"], "kind": "foerderung"},
    ):
        assert editor.post("/api/relations", json=body).status_code == 201


def test_duplicate_relation_is_409(app, api, net):
    before = relations_in_db(app)
    response = api("editor", bearer=True).post(
        "/api/relations",
        json={"source_id": net["bmz"], "target_id": net["skew"], "kind": "Förderung"},
    )
    assert response.status_code == 409
    assert response.json == {
        "error": f"Diese Beziehung gibt es schon (#{net['r1']}).",
        "fields": {"kind": [f"Diese Beziehung gibt es schon (#{net['r1']})."]},
    }
    assert relations_in_db(app) == before


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            {"source_id": "{kepol}", "target_id": "{kepol}", "kind": "kooperation"},
            "target_id",
            "Ein Akteur kann keine Beziehung zu sich selbst haben.",
        ),
        (
            {"source_id": "{kepol}", "target_id": 9999, "kind": "kooperation"},
            "target_id",
            "Unbekannter Akteur: 9999",
        ),
        (
            {"source_id": 9999, "target_id": "{kepol}", "kind": "kooperation"},
            "source_id",
            "Unbekannter Akteur: 9999",
        ),
        ({"target_id": "{kepol}", "kind": "kooperation"}, "source_id", "Nummer eines Akteurs"),
        ({"source_id": "{bmz}", "target_id": "{kepol}"}, "kind", "Die Art der Beziehung fehlt."),
        (
            {"source_id": "{bmz}", "target_id": "{kepol}", "kind": "freundschaft"},
            "kind",
            "Unbekannter Wert für kind: freundschaft",
        ),
        (
            {"source_id": "{bmz}", "target_id": "{kepol}", "kind": "information", "strength": 4},
            "strength",
            "zwischen 1 und 3",
        ),
        (
            {"source_id": "{bmz}", "target_id": "{kepol}", "kind": "information", "directed": 1},
            "directed",
            "directed muss true oder false sein.",
        ),
        (
            {"source_id": "BMZ", "target_id": "{kepol}", "kind": "information"},
            "source_id",
            "source_id muss eine ganze Zahl sein.",
        ),
    ],
)
def test_invalid_relation_is_422_and_nothing_is_stored(app, api, net, body, field, message):
    body = {k: net[v[1:-1]] if str(v).startswith("{") else v for k, v in body.items()}
    before = relations_in_db(app)
    response = api("editor", bearer=True).post("/api/relations", json=body)
    assert response.status_code == 422
    assert message in response.json["error"]
    assert response.json["fields"] == {field: [response.json["error"]]}
    assert relations_in_db(app) == before


def test_patch_changes_the_given_fields(app, editor, net):
    path = f"/api/relations/{net['r3']}"
    response = editor.patch(path, json={"strength": 3, "kind": "partnerschaft", "directed": True})
    assert response.status_code == 200
    body = response.json
    assert (body["kind"], body["strength"], body["directed"], body["note"]) == (
        "partnerschaft",
        3,
        True,
        "Steuerungsgruppe",
    )
    assert editor.get(path).json == body
    with app.app_context():
        entry = db.session.scalars(
            sa.select(AuditEntry).where(
                AuditEntry.entity == "relation", AuditEntry.action == "update"
            )
        ).one()
    assert entry.changes == {
        "kind": ["kooperation", "partnerschaft"],
        "directed": [False, True],
        "strength": [2, 3],
    }


def test_patch_can_turn_a_relation_around(api, net):
    editor = api("editor", bearer=True)
    body = editor.patch(
        f"/api/relations/{net['r3']}",
        json={"source_id": net["welthaus"], "target_id": net["kepol"]},
    ).json
    assert (body["source_id"], body["target_id"]) == (net["welthaus"], net["kepol"])


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"target_id": "{skew}"}, 422, "target_id"),  # r2 is skew → kepol: skew → skew
        ({"target_id": 9999}, 422, "target_id"),
        ({"source_id": "{bmz}", "target_id": "{skew}"}, 409, "kind"),  # becomes r1
        ({"strength": 0}, 422, "strength"),
        ({"id": 1}, 422, "id"),
    ],
)
def test_patch_errors_change_nothing(app, api, net, body, status, field):
    body = {k: net[v[1:-1]] if str(v).startswith("{") else v for k, v in body.items()}
    before = relations_in_db(app)
    response = api("editor", bearer=True).patch(f"/api/relations/{net['r2']}", json=body)
    assert response.status_code == status
    assert field in response.json["fields"]
    assert relations_in_db(app) == before


def test_delete_relation(app, editor, net):
    response = editor.delete(f"/api/relations/{net['r2']}")
    assert response.status_code == 204
    assert editor.get(f"/api/relations/{net['r2']}").status_code == 404
    assert [r[0] for r in relations_in_db(app)] == [net["r1"], net["r3"]]
    # the actors stay
    assert editor.get("/api/actors").json["total"] == 4
    with app.app_context():
        entry = db.session.scalars(
            sa.select(AuditEntry).where(
                AuditEntry.entity == "relation", AuditEntry.action == "delete"
            )
        ).one()
    assert entry.entity_id == net["r2"]
