"""Who may call which /api endpoint, CSRF for session requests, tokens, and the answers every
endpoint shares: 400/401/403/404/405 as JSON."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from netzwerk.extensions import db
from tests import factories

pytestmark = pytest.mark.usefixtures("fast_passwords")

TABLES = ("actor", "contact", "relation", "topic", "actor_topic", "audit_entry")


def state(app, reads_logged: bool = False) -> dict[str, list]:
    """Every row of the data tables and the audit log: equal before and after = nothing changed.
    reads_logged leaves out the audit entries that log reads of personal data (GET
    /api/contacts is logged like an export, issue 14)."""
    with app.app_context():
        result = {
            t: [tuple(r) for r in db.session.execute(sa.text(f"SELECT * FROM {t} ORDER BY id"))]
            for t in TABLES
        }
        if reads_logged:
            result["audit_entry"] = [
                tuple(r)
                for r in db.session.execute(
                    sa.text("SELECT * FROM audit_entry WHERE action != 'export' ORDER BY id")
                )
            ]
        return result


@pytest.fixture
def world(app):
    with app.app_context():
        welthaus = factories.actor(name="Welthaus Aachen", category="eine-welt-gruppe")
        fb01 = factories.actor(name="FB01 KEpol-Koordination", category="verwaltung")
        sdg12 = factories.topic(code="SDG12", title="Nachhaltiger Konsum")
        sdg4 = factories.topic(code="SDG4", title="Hochwertige Bildung")
        return {
            "actor": welthaus.id,
            "other": fb01.id,
            "topic": sdg12.id,
            "topic2": sdg4.id,
            "contact": factories.contact(welthaus).id,
            "relation": factories.relation(fb01, welthaus, "foerderung").id,
            "link": factories.link(welthaus, sdg12).id,
        }


# (method, path, body, status for an editor); {names} are filled from `world`
ENDPOINTS = [
    ("GET", "/api/actors", None, 200),
    ("POST", "/api/actors", {"name": "Weltladen Aachen", "category": "weltladen"}, 201),
    ("GET", "/api/actors/{actor}", None, 200),
    ("PATCH", "/api/actors/{actor}", {"city": "Aachen"}, 200),
    ("DELETE", "/api/actors/{other}", None, 204),
    ("GET", "/api/contacts", None, 200),
    ("POST", "/api/contacts", {"actor_id": "{actor}", "name": "Ada Beispiel"}, 201),
    ("GET", "/api/contacts/{contact}", None, 200),
    ("PATCH", "/api/contacts/{contact}", {"phone": "+49 241 1234"}, 200),
    ("DELETE", "/api/contacts/{contact}", None, 204),
    ("GET", "/api/relations", None, 200),
    (
        "POST",
        "/api/relations",
        {"source_id": "{actor}", "target_id": "{other}", "kind": "information"},
        201,
    ),
    ("GET", "/api/relations/{relation}", None, 200),
    ("PATCH", "/api/relations/{relation}", {"strength": 3}, 200),
    ("DELETE", "/api/relations/{relation}", None, 204),
    ("GET", "/api/topics", None, 200),
    ("POST", "/api/topics", {"code": "SDG13", "title": "Klimaschutz"}, 201),
    ("GET", "/api/topics/{topic}", None, 200),
    ("PATCH", "/api/topics/{topic}", {"priority": 1}, 200),
    ("DELETE", "/api/topics/{topic}", None, 204),
    ("GET", "/api/actors/{actor}/topics", None, 200),
    ("POST", "/api/actors/{actor}/topics", {"topic_id": "{topic2}", "role": "mitwirkend"}, 201),
    ("GET", "/api/actor-topics/{link}", None, 200),
    ("PATCH", "/api/actor-topics/{link}", {"role": "federfuehrend"}, 200),
    ("DELETE", "/api/actor-topics/{link}", None, 204),
]
WRITES = [e for e in ENDPOINTS if e[0] != "GET"]
READS = [e for e in ENDPOINTS if e[0] == "GET"]


def fill(path: str, body, world: dict):
    """Put the world's ids into a path and body ("{actor}" → 3 as a number)."""
    path = path.format(**world)
    if body is not None:
        body = {
            k: world[v[1:-1]] if isinstance(v, str) and v.startswith("{") else v
            for k, v in body.items()
        }
    return path, body


def test_anonymous_gets_401_everywhere_and_changes_nothing(app, api, world, subtests):
    client = api(None)
    before = state(app)
    for method, path, body, _ in ENDPOINTS:
        with subtests.test(f"{method} {path}"):
            response = client.open(method, *fill(path, body, world))
            assert response.status_code == 401
            assert response.json == {"error": "Anmeldung erforderlich (Sitzung oder Bearer-Token)."}
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert state(app) == before


@pytest.mark.parametrize("bearer", [False, True], ids=["session", "bearer"])
def test_viewer_reads_everything_but_changes_nothing(app, api, world, subtests, bearer):
    client = api("viewer", bearer=bearer)
    before = state(app)
    for method, path, body, _ in ENDPOINTS:
        with subtests.test(f"{method} {path}"):
            response = client.open(method, *fill(path, body, world))
            if method == "GET":
                assert response.status_code == 200
                assert response.is_json
            else:
                assert response.status_code == 403
                assert response.json == {"error": "Dafür fehlt Ihnen die Berechtigung."}
    assert state(app, reads_logged=True) == before


@pytest.mark.parametrize("bearer", [False, True], ids=["session", "bearer"])
def test_editor_reads_everything(app, api, world, subtests, bearer):
    client = api("editor", bearer=bearer)
    before = state(app)
    for method, path, body, status in READS:
        with subtests.test(f"{method} {path}"):
            response = client.open(method, *fill(path, body, world))
            assert response.status_code == status
    assert state(app, reads_logged=True) == before


@pytest.mark.parametrize("bearer", [False, True], ids=["session", "bearer"])
@pytest.mark.parametrize(
    ("method", "path", "body", "status"), WRITES, ids=[f"{m} {p}" for m, p, _, _ in WRITES]
)
def test_editor_changes_are_audited(app, api, world, method, path, body, status, bearer):
    path, body = fill(path, body, world)
    client = api("editor", bearer=bearer)
    before = state(app)
    response = client.open(method, path, json=body)
    assert response.status_code == status, response.get_data(as_text=True)
    after = state(app)
    # every change is recorded, by the editor who made it
    assert len(after["audit_entry"]) == len(before["audit_entry"]) + 1
    with app.app_context():
        last = db.session.execute(
            sa.text("SELECT username FROM audit_entry ORDER BY id DESC LIMIT 1")
        ).scalar()
    assert last == ("api-editor" if bearer else "editor-user")
    if status == 201:
        assert client.get(response.headers["Location"]).json == response.json
    if status == 204:
        assert response.data == b""
        assert client.get(path).status_code == 404


# --- CSRF ------------------------------------------------------------------------------------


def test_session_post_without_csrf_header_is_400_and_changes_nothing(app, login, world):
    client = login("editor")
    before = state(app)
    response = client.post("/api/actors", json={"name": "Ohne Token", "category": "schule"})
    assert response.status_code == 400
    assert "CSRF" in response.json["error"]
    assert state(app) == before


@pytest.mark.parametrize("method", ["POST", "PATCH", "DELETE"])
def test_session_change_with_wrong_csrf_token_is_400(app, login, world, method):
    client = login("editor")
    before = state(app)
    path = "/api/actors" if method == "POST" else f"/api/actors/{world['actor']}"
    response = client.open(
        path,
        method=method,
        json={"name": "Falsches Token", "category": "schule"},
        headers={"X-CSRFToken": "abc" + client.csrf[3:]},
    )
    assert response.status_code == 400
    assert set(response.json) == {"error"}
    assert state(app) == before


def test_session_read_needs_no_csrf(login, world):
    assert login("viewer").get("/api/actors").status_code == 200


def test_bearer_change_needs_no_csrf(client, api_token):
    response = client.post(
        "/api/topics", json={"code": "SDG17", "title": "Partnerschaften"}, headers=api_token()
    )
    assert response.status_code == 201


# --- tokens ----------------------------------------------------------------------------------


def test_revoked_token_is_401(app, client, api_token):
    from netzwerk.auth.models import ApiToken
    from netzwerk.auth.services import revoke_token

    headers = api_token("editor")
    assert client.get("/api/actors", headers=headers).status_code == 200
    with app.app_context():
        revoke_token(db.session.scalars(sa.select(ApiToken)).one())
    before = state(app)
    response = client.post("/api/topics", json={"code": "X1", "title": "x"}, headers=headers)
    assert response.status_code == 401
    assert response.json["error"].startswith("Anmeldung erforderlich")
    assert client.get("/api/actors", headers=headers).status_code == 401
    assert state(app) == before


def test_unknown_token_is_401(client):
    response = client.get("/api/actors", headers={"Authorization": "Bearer nzw_falsch"})
    assert response.status_code == 401
    assert "error" in response.json


def test_token_of_deactivated_user_is_401(app, client, api_token):
    from netzwerk.auth.services import get_user, update_user

    headers = api_token("editor")
    with app.app_context():
        update_user(get_user("api-editor"), active=False)
    assert client.get("/api/actors", headers=headers).status_code == 401


def test_bearer_header_decides_even_with_a_session_cookie(app, login, api_token, world):
    """A logged-in editor's cookie must not turn a bad token (or a viewer's) into the editor."""
    client = login("editor")
    viewer_token = api_token("viewer")
    before = state(app)
    bad = client.get("/api/actors", headers={"Authorization": "Bearer nzw_falsch"})
    assert bad.status_code == 401
    viewer = client.post(
        "/api/topics", json={"code": "SDG13", "title": "Klima"}, headers=viewer_token
    )
    assert viewer.status_code == 403
    assert state(app) == before


# --- the shared error answers ----------------------------------------------------------------


def test_unknown_route_under_api_is_404_json(api):
    response = api("viewer").get("/api/gibt-es-nicht")
    assert response.status_code == 404
    assert response.json == {"error": "Nicht gefunden."}


def test_wrong_method_is_405_json_with_allow(api, world):
    client = api("editor", bearer=True)
    response = client.open("PUT", f"/api/actors/{world['actor']}", json={"name": "x"})
    assert response.status_code == 405
    assert response.json == {"error": "Diese Methode ist hier nicht erlaubt."}
    assert {"GET", "PATCH", "DELETE"} <= set(response.headers["Allow"].split(", "))
    assert client.delete("/api/actors").status_code == 405


def test_unknown_id_is_404_json(app, api, subtests):
    client = api("editor", bearer=True)
    before = state(app)
    for path in (
        "/api/actors/9999",
        "/api/contacts/9999",
        "/api/relations/9999",
        "/api/topics/9999",
        "/api/actor-topics/9999",
    ):
        for method in ("GET", "PATCH", "DELETE"):
            with subtests.test(f"{method} {path}"):
                response = client.open(method, path, json={"note": "x"})
                assert response.status_code == 404
                assert "9999 nicht gefunden" in response.json["error"]
    for method in ("GET", "POST"):
        with subtests.test(f"{method} /api/actors/9999/topics"):
            response = client.open(method, "/api/actors/9999/topics", json={"topic": "SDG12"})
            assert response.status_code == 404
            assert response.json == {"error": "Akteur 9999 nicht gefunden."}
    assert state(app) == before


@pytest.mark.parametrize(
    ("data", "content_type", "message"),
    [
        ("{nicht json", "application/json", "kein gültiges JSON"),
        ("", "application/json", "kein gültiges JSON"),
        ('["eine", "Liste"]', "application/json", "Objekt"),
        ("null", "application/json", "Objekt"),
        ("name=Formular", "application/x-www-form-urlencoded", "application/json"),
    ],
    ids=["malformed", "empty", "list", "null", "form"],
)
def test_body_that_is_not_a_json_object_is_400(
    app, api, world, subtests, data, content_type, message
):
    client = api("editor", bearer=True)
    before = state(app)
    for method, path in (
        ("POST", "/api/actors"),
        ("PATCH", "/api/actors/{actor}"),
        ("POST", "/api/contacts"),
        ("PATCH", "/api/contacts/{contact}"),
        ("POST", "/api/relations"),
        ("PATCH", "/api/relations/{relation}"),
        ("POST", "/api/topics"),
        ("PATCH", "/api/topics/{topic}"),
        ("POST", "/api/actors/{actor}/topics"),
        ("PATCH", "/api/actor-topics/{link}"),
    ):
        with subtests.test(f"{method} {path}"):
            response = client.open(
                method, path.format(**world), data=data, content_type=content_type
            )
            assert response.status_code == 400
            assert message in response.json["error"]
    assert state(app) == before


def test_unknown_and_mistyped_fields_are_422_with_fields(app, api, world):
    client = api("editor", bearer=True)
    before = state(app)
    response = client.patch(
        f"/api/actors/{world['actor']}", json={"categroy": "schule", "power": "5", "id": 77}
    )
    assert response.status_code == 422
    assert response.json["fields"] == {
        "categroy": ["Unbekanntes Feld: categroy"],
        "power": ["power muss eine ganze Zahl sein."],
        "id": ["id kann nicht geändert werden."],
    }
    assert state(app) == before


def test_a_get_answer_can_be_sent_back_as_patch(api, world):
    """Clients edit what they fetched: read-only fields sent back unchanged are fine."""
    client = api("editor", bearer=True)
    for path in (
        f"/api/actors/{world['actor']}",
        f"/api/contacts/{world['contact']}",
        f"/api/relations/{world['relation']}",
        f"/api/topics/{world['topic']}",
        f"/api/actor-topics/{world['link']}",
    ):
        body = client.get(path).json
        response = client.patch(path, json=body)
        assert response.status_code == 200, (path, response.json)


def test_bad_paging_parameters_are_422(api):
    client = api("viewer", bearer=True)
    response = client.get("/api/actors?page=zwei")
    assert response.status_code == 422
    assert response.json["fields"] == {"page": ["page muss eine ganze Zahl sein."]}
    response = client.get("/api/relations?per_page=0")
    assert response.status_code == 422
    assert response.json["fields"] == {"per_page": ["per_page muss mindestens 1 sein."]}
    response = client.get("/api/actors?categroy=schule")
    assert response.status_code == 422
    assert response.json["fields"] == {"categroy": [response.json["error"]]}
