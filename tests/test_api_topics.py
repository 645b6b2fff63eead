"""/api/topics and the actor-topic links (/api/actors/<id>/topics, /api/actor-topics/<id>)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from netzwerk.audit.models import AuditEntry
from netzwerk.extensions import db
from netzwerk.topics.models import ActorTopic, Topic
from tests import factories

pytestmark = pytest.mark.usefixtures("fast_passwords")


@pytest.fixture(params=[False, True], ids=["session", "bearer"])
def editor(api, request):
    return api("editor", bearer=request.param)


@pytest.fixture
def viewer(api):
    return api("viewer", bearer=True)


@pytest.fixture
def agenda(app):
    with app.app_context():
        sdg17 = factories.topic(
            code="SDG17", title="Partnerschaften zur Erreichung der Ziele", priority=1
        )
        sdg12 = factories.topic(
            code="SDG12",
            title="Nachhaltige Konsum- und Produktionsmuster",
            description="Fairer Handel, faire Beschaffung",
            priority=1,
        )
        sdg13 = factories.topic(code="SDG13", title="Maßnahmen zum Klimaschutz", priority=3)
        welthaus = factories.actor(name="Welthaus Aachen", category="eine-welt-gruppe")
        fb36 = factories.actor(name="FB36 Klima und Umwelt", category="verwaltung")
        ids = {
            "sdg17": sdg17.id,
            "sdg12": sdg12.id,
            "sdg13": sdg13.id,
            "welthaus": welthaus.id,
            "fb36": fb36.id,
        }
        ids["l1"] = factories.link(welthaus, sdg12, "federfuehrend").id
        ids["l2"] = factories.link(welthaus, sdg17, "mitwirkend").id
        ids["l3"] = factories.link(fb36, sdg13, "federfuehrend").id
        return ids


def rows(app, model) -> list[tuple]:
    with app.app_context():
        return [
            tuple(r)
            for r in db.session.execute(sa.text(f"SELECT * FROM {model.__tablename__} ORDER BY id"))
        ]


def audit(app, entity: str, action: str) -> list[AuditEntry]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(AuditEntry).where(
                    AuditEntry.entity == entity, AuditEntry.action == action
                )
            )
        )


# --- topics ----------------------------------------------------------------------------------


def test_topic_fields(viewer, agenda):
    assert viewer.get(f"/api/topics/{agenda['sdg12']}").json == {
        "id": agenda["sdg12"],
        "code": "SDG12",
        "title": "Nachhaltige Konsum- und Produktionsmuster",
        "description": "Fairer Handel, faire Beschaffung",
        "priority": 1,
        "actor_count": 1,
    }


@pytest.mark.parametrize(
    ("query", "codes"),
    [
        ("", ["SDG12", "SDG17", "SDG13"]),  # by priority, then code
        ("q=sdg1", ["SDG12", "SDG17", "SDG13"]),
        ("q=klima", ["SDG13"]),
        ("q=FAIRER", ["SDG12"]),  # description
        ("q=partnerschaft", ["SDG17"]),
        ("q=SDG4", []),
    ],
)
def test_list_filters(viewer, agenda, query, codes):
    body = viewer.get("/api/topics?" + query).json
    assert [t["code"] for t in body["items"]] == codes
    assert (body["total"], body["page"], body["per_page"]) == (len(codes), 1, 50)


def test_list_counts_actors_and_pages(viewer, agenda):
    body = viewer.get("/api/topics?per_page=1000").json
    assert body["per_page"] == 500
    assert {t["code"]: t["actor_count"] for t in body["items"]} == {
        "SDG12": 1,
        "SDG17": 1,
        "SDG13": 1,
    }
    assert [t["code"] for t in viewer.get("/api/topics?per_page=2&page=2").json["items"]] == [
        "SDG13"
    ]
    response = viewer.get("/api/topics?code=SDG12")
    assert response.status_code == 422
    assert "code" in response.json["fields"]


def test_create_topic(app, editor):
    response = editor.post(
        "/api/topics", json={"code": "SDG4", "title": "Hochwertige Bildung", "priority": 1}
    )
    assert response.status_code == 201
    body = response.json
    assert response.headers["Location"].endswith(f"/api/topics/{body['id']}")
    assert body == {
        "id": body["id"],
        "code": "SDG4",
        "title": "Hochwertige Bildung",
        "description": "",
        "priority": 1,
        "actor_count": 0,
    }
    [entry] = audit(app, "topic", "create")
    assert entry.entity_id == body["id"]


@pytest.mark.parametrize("code", ["SDG12", "sdg12", "SDG 12"])
def test_duplicate_topic_code_is_409(app, api, agenda, code):
    before = rows(app, Topic)
    response = api("editor", bearer=True).post("/api/topics", json={"code": code, "title": "X"})
    assert response.status_code == 409
    assert response.json == {
        "error": "Das Thema SDG12 gibt es schon.",
        "fields": {"code": ["Das Thema SDG12 gibt es schon."]},
    }
    assert rows(app, Topic) == before


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"title": "Ohne Code"}, "code", "Der Code fehlt"),
        ({"code": "SDG4"}, "title", "Der Titel fehlt."),
        ({"code": "X" * 31, "title": "Lang"}, "code", "zu lang"),
        ({"code": "SDG4", "title": "B", "priority": 4}, "priority", "zwischen 1 und 3"),
        ({"code": "SDG4", "title": "B", "priority": "hoch"}, "priority", "ganze Zahl"),
        ({"code": 4, "title": "B"}, "code", "code muss ein Text sein."),
        ({"code": "SDG4", "title": "B", "actors": []}, "actors", "Unbekanntes Feld"),
    ],
)
def test_invalid_topic_is_422(app, api, agenda, body, field, message):
    before = rows(app, Topic)
    response = api("editor", bearer=True).post("/api/topics", json=body)
    assert response.status_code == 422
    assert message in response.json["error"]
    assert field in response.json["fields"]
    assert rows(app, Topic) == before


def test_patch_topic(app, editor, agenda):
    path = f"/api/topics/{agenda['sdg13']}"
    response = editor.patch(path, json={"priority": 2, "title": "Klimaschutz"})
    assert response.status_code == 200
    assert (response.json["priority"], response.json["title"], response.json["code"]) == (
        2,
        "Klimaschutz",
        "SDG13",
    )
    assert editor.get(path).json == response.json
    [entry] = audit(app, "topic", "update")
    assert entry.changes == {
        "title": ["Maßnahmen zum Klimaschutz", "Klimaschutz"],
        "priority": [3, 2],
    }


def test_patch_topic_to_an_existing_code_is_409(app, api, agenda):
    before = rows(app, Topic)
    response = api("editor", bearer=True).patch(
        f"/api/topics/{agenda['sdg13']}", json={"code": "sdg17"}
    )
    assert response.status_code == 409
    assert response.json["error"] == "Das Thema SDG17 gibt es schon."
    assert rows(app, Topic) == before


def test_patch_topic_actor_count_is_read_only(api, agenda):
    response = api("editor", bearer=True).patch(
        f"/api/topics/{agenda['sdg13']}", json={"actor_count": 7}
    )
    assert response.status_code == 422
    assert response.json["fields"] == {"actor_count": ["actor_count kann nicht geändert werden."]}


def test_delete_topic_removes_its_links_but_not_the_actors(app, editor, agenda):
    response = editor.delete(f"/api/topics/{agenda['sdg12']}")
    assert response.status_code == 204
    assert editor.get(f"/api/topics/{agenda['sdg12']}").status_code == 404
    assert editor.get(f"/api/actor-topics/{agenda['l1']}").status_code == 404
    welthaus = editor.get(f"/api/actors/{agenda['welthaus']}").json
    assert [t["code"] for t in welthaus["topics"]] == ["SDG17"]
    [entry] = audit(app, "topic", "delete")
    assert entry.changes["removed"] == [{"links": 1}, None]


# --- actor-topic links -----------------------------------------------------------------------


def test_list_links_of_an_actor(viewer, agenda):
    body = viewer.get(f"/api/actors/{agenda['welthaus']}/topics").json
    assert (body["total"], body["page"], body["per_page"]) == (2, 1, 50)
    assert body["items"] == [
        {
            "id": agenda["l1"],
            "actor_id": agenda["welthaus"],
            "topic_id": agenda["sdg12"],
            "code": "SDG12",
            "title": "Nachhaltige Konsum- und Produktionsmuster",
            "role": "federfuehrend",
            "note": "",
        },
        {
            "id": agenda["l2"],
            "actor_id": agenda["welthaus"],
            "topic_id": agenda["sdg17"],
            "code": "SDG17",
            "title": "Partnerschaften zur Erreichung der Ziele",
            "role": "mitwirkend",
            "note": "",
        },
    ]
    assert viewer.get(f"/api/actor-topics/{agenda['l2']}").json == body["items"][1]
    assert viewer.get(f"/api/actors/{agenda['fb36']}/topics?per_page=1000").json["per_page"] == 500


@pytest.mark.parametrize(
    "ref",
    [{"topic_id": "sdg13"}, {"topic": "SDG13"}, {"topic": "sdg 13"}, {"topic": "sdg13"}],
    ids=["topic_id", "code", "code-spaced", "code-lower"],
)
def test_link_an_actor_to_a_topic(app, api, agenda, ref):
    editor = api("editor", bearer=True)
    if "topic_id" in ref:
        ref = {"topic_id": agenda["sdg13"]}
    response = editor.post(
        f"/api/actors/{agenda['welthaus']}/topics",
        json=ref | {"role": "federführend", "note": " Klimapartnerschaft Kapstadt "},
    )
    assert response.status_code == 201
    body = response.json
    assert response.headers["Location"].endswith(f"/api/actor-topics/{body['id']}")
    assert (body["topic_id"], body["code"], body["role"], body["note"]) == (
        agenda["sdg13"],
        "SDG13",
        "federfuehrend",
        "Klimapartnerschaft Kapstadt",
    )
    actor = editor.get(f"/api/actors/{agenda['welthaus']}").json
    assert {"topic_id": agenda["sdg13"], "code": "SDG13", "role": "federfuehrend"} in actor[
        "topics"
    ]
    assert editor.get(f"/api/topics/{agenda['sdg13']}").json["actor_count"] == 2
    [entry] = [e for e in audit(app, "actor_topic", "create") if e.entity_id == body["id"]]
    assert entry.label == "Welthaus Aachen – SDG13"


def test_link_role_defaults_to_interested(editor, agenda):
    response = editor.post(
        f"/api/actors/{agenda['fb36']}/topics", json={"topic_id": agenda["sdg12"]}
    )
    assert response.status_code == 201
    assert response.json["role"] == "interessiert"


def test_duplicate_link_is_409(app, api, agenda):
    before = rows(app, ActorTopic)
    response = api("editor", bearer=True).post(
        f"/api/actors/{agenda['welthaus']}/topics", json={"topic": "SDG12", "role": "betroffen"}
    )
    assert response.status_code == 409
    assert response.json == {
        "error": "Welthaus Aachen ist dem Thema SDG12 schon zugeordnet.",
        "fields": {"topic_id": ["Welthaus Aachen ist dem Thema SDG12 schon zugeordnet."]},
    }
    assert rows(app, ActorTopic) == before


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"topic": "SDG99"}, "topic_id", "Unbekanntes Thema: SDG99"),
        ({"topic_id": 9999}, "topic_id", "Unbekanntes Thema: 9999"),
        ({}, "topic_id", "Das Thema fehlt"),
        ({"topic": "SDG13", "role": "chef"}, "role", "Unbekannter Wert für role: chef"),
        ({"topic": "SDG13", "topic_id": 1}, "topic", "nur topic_id oder topic"),
        ({"topic_id": "SDG13"}, "topic_id", "topic_id muss eine ganze Zahl sein."),
        ({"topic": "SDG13", "actor_id": "{welthaus}"}, "actor_id", "kann nicht geändert"),
    ],
)
def test_invalid_link_is_422(app, api, agenda, body, field, message):
    body = {k: agenda[v[1:-1]] if str(v).startswith("{") else v for k, v in body.items()}
    before = rows(app, ActorTopic)
    response = api("editor", bearer=True).post(f"/api/actors/{agenda['fb36']}/topics", json=body)
    assert response.status_code == 422
    assert message in response.json["fields"][field][0]
    assert rows(app, ActorTopic) == before


def test_patch_link_role_and_note(app, editor, agenda):
    path = f"/api/actor-topics/{agenda['l2']}"
    response = editor.patch(path, json={"role": "federfuehrend", "note": "Koordiniert"})
    assert response.status_code == 200
    assert (response.json["role"], response.json["note"]) == ("federfuehrend", "Koordiniert")
    assert editor.get(path).json == response.json
    [entry] = audit(app, "actor_topic", "update")
    assert entry.changes == {
        "role": ["mitwirkend", "federfuehrend"],
        "note": ["", "Koordiniert"],
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"role": "chef"}, "role"),
        ({"topic_id": "{sdg13}"}, "topic_id"),  # a link is not moved to another topic
        ({"actor_id": "{fb36}"}, "actor_id"),
        ({"code": "SDG13"}, "code"),
        ({"prio": 1}, "prio"),
    ],
)
def test_patch_link_errors_change_nothing(app, api, agenda, body, field):
    body = {k: agenda[v[1:-1]] if str(v).startswith("{") else v for k, v in body.items()}
    before = rows(app, ActorTopic)
    response = api("editor", bearer=True).patch(f"/api/actor-topics/{agenda['l1']}", json=body)
    assert response.status_code == 422
    assert field in response.json["fields"]
    assert rows(app, ActorTopic) == before


def test_delete_link(app, editor, agenda):
    response = editor.delete(f"/api/actor-topics/{agenda['l1']}")
    assert response.status_code == 204
    assert editor.get(f"/api/actor-topics/{agenda['l1']}").status_code == 404
    assert [t["code"] for t in editor.get(f"/api/actors/{agenda['welthaus']}").json["topics"]] == [
        "SDG17"
    ]
    assert editor.get(f"/api/topics/{agenda['sdg12']}").json["actor_count"] == 0
    [entry] = audit(app, "actor_topic", "delete")
    assert entry.entity_id == agenda["l1"]
