"""Bad input is a 400/422 with a message, never a 500 (issue 14, items 7 and 8): numbers beyond
64 bits in query parameters, URLs and JSON, JSON nested thousands deep, NUL and other characters
XML cannot hold (refused in every form, the API and the import; exports of older data survive
them and `export DIR` never leaves a half folder), and the workshops API checks types and
unknown fields like the other endpoints."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from netzwerk.actors.models import Actor
from netzwerk.extensions import db
from netzwerk.workshops.models import Workshop
from tests import factories

BIG = "9" * 20  # 20 digits: more than SQLite's and PostgreSQL's 64-bit integers


@pytest.fixture
def app_config(tmp_path) -> dict:
    return {"IMPORT_DIR": str(tmp_path / "imports"), "PROPAGATE_EXCEPTIONS": False}


API_LISTS = [
    f"/api/actors?page={BIG}",
    f"/api/actors?per_page={BIG}",
    f"/api/actors?topic={BIG}",
    f"/api/contacts?actor_id={BIG}",
    f"/api/relations?actor_id={BIG}",
    f"/api/relations?source_id={BIG}",
    f"/api/relations?target_id={BIG}",
    f"/api/topics?page={BIG}",
    f"/api/actors/1/topics?page={BIG}",
    f"/api/workshops?page={BIG}",
    f"/api/audit?entity_id={BIG}",
    f"/api/audit?page={BIG}",
]
PAGES = [
    f"/akteure/?page={BIG}",
    f"/akteure/?topic={BIG}",
    f"/admin/protokoll?entity_id={BIG}",
    f"/admin/protokoll?page={BIG}",
    f"/luecken?page={BIG}",
    f"/workshops/neu?topic={BIG}",
    f"/austausch/aufbewahrung?monate={BIG}",
]
IDS = [f"/api/actors/{BIG}", f"/api/contacts/{BIG}", f"/api/workshops/{BIG}", f"/akteure/{BIG}"]


def test_20_digit_numbers_in_query_parameters_are_422(app, api):
    admin = api("admin", bearer=True)
    with app.app_context():
        factories.actor(name="Welthaus")
    for url in API_LISTS:
        response = admin.get(url)
        assert response.status_code == 422, (url, response.status_code)
        assert response.get_json()["error"], url


def test_20_digit_numbers_on_pages_are_answered_not_500(app, login):
    admin = login("admin")
    for url in PAGES:
        response = admin.get(url)
        assert response.status_code in (200, 422), (url, response.status_code)
        if response.status_code == 422:
            assert "zu groß" in response.get_data(as_text=True), url


def test_20_digit_ids_in_urls_are_404(api, login):
    admin = api("admin", bearer=True)
    page = login("viewer")
    for url in IDS:
        client = page if not url.startswith("/api/") else admin
        assert client.get(url).status_code == 404, url


def test_2_to_the_70_in_json_ids_is_422(app, api):
    editor = api("editor", bearer=True)
    with app.app_context():
        actor_id = factories.actor(name="Welthaus").id
    cases = [
        ("POST", "/api/contacts", {"actor_id": 2**70, "name": "Ada"}, "actor_id"),
        ("POST", "/api/relations", {"source_id": 2**70, "target_id": actor_id, "kind": "x"}, ""),
        ("POST", f"/api/actors/{actor_id}/topics", {"topic_id": 2**70}, "topic_id"),
        ("PATCH", f"/api/actors/{actor_id}", {"version": 2**70}, "version"),
    ]
    for method, url, body, field in cases:
        response = editor.open(method, url, json=body)
        assert response.status_code == 422, (url, response.get_data(as_text=True))
        assert "zu groß" in response.get_json()["error"]
        if field:
            assert field in response.get_json()["fields"]


def test_json_nested_5000_deep_is_400(api):
    editor = api("editor", bearer=True)
    deep = "[" * 5000 + "]" * 5000
    for url in ("/api/actors", "/api/graph/layout", "/api/workshops"):
        response = editor.post(url, data=deep, headers={"Content-Type": "application/json"})
        assert response.status_code == 400, url
        assert "zu tief verschachtelt" in response.get_json()["error"]


NUL_TEXTS = ["Welt\x00haus", "Welt\x0bhaus", "Welt\x1fhaus", "\ud800"]


def test_nul_and_xml_illegal_characters_are_refused_by_the_api(app, api):
    editor = api("editor", bearer=True)
    for text in NUL_TEXTS:
        response = editor.post("/api/actors", json={"name": text, "category": "verwaltung"})
        assert response.status_code == 422, repr(text)
        assert "Steuerzeichen" in response.get_json()["error"]
    assert editor.post("/api/actors", json={"name": "Tab\tund\nZeile", "category": "schule"})
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Actor.id))) == 1


def test_nul_is_refused_by_every_form(app, login):
    editor = login("editor")
    response = editor.post(
        "/akteure/neu",
        data={"name": "Welt\x00haus", "category": "verwaltung", "csrf_token": editor.csrf},
    )
    assert response.status_code in (200, 422)  # the form again, with the field's error
    assert "unzulässige Steuerzeichen" in response.get_data(as_text=True)
    response = editor.post(
        "/themen/neu", data={"code": "SDG5", "title": "a\x01b", "csrf_token": editor.csrf}
    )
    assert "unzulässige Steuerzeichen" in response.get_data(as_text=True)
    with app.app_context():
        assert factories.dump()["actor"] == [] and factories.dump()["topic"] == []


def test_every_form_class_checks_control_characters():
    """New forms get the check by deriving from core.forms.Form."""
    import importlib
    import pkgutil

    from flask_wtf import FlaskForm

    import netzwerk
    from netzwerk.core.forms import Form

    for info in pkgutil.walk_packages(netzwerk.__path__, "netzwerk."):
        if info.name.endswith("forms"):
            importlib.import_module(info.name)
    stack, seen = list(FlaskForm.__subclasses__()), []
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.startswith("netzwerk"):
            seen.append(cls)
            assert issubclass(cls, Form), f"{cls.__module__}.{cls.__name__} is no core.forms.Form"
    assert len(seen) > 15


def test_nul_in_an_import_rejects_the_row(app, login):
    editor = login("editor")
    data = "Name;Kategorie\nGut;verwaltung\nBö\x00se;verwaltung\n".encode()
    page = editor.post(
        "/austausch/import",
        data={"files": [(io.BytesIO(data), "akteure.csv")], "csrf_token": editor.csrf},
        content_type="multipart/form-data",
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<td class="num">3</td>' in html
    assert "Spalte Name enthält unzulässige Steuerzeichen" in html
    assert "Übernehmen</button>" not in html


def test_exports_survive_old_data_with_nul(app, login, runner, tmp_path):
    """Stored before it was refused: XLSX, GraphML, GEXF and `export DIR` crashed on it."""
    with app.app_context():
        actor = factories.actor(name="Welthaus")
        # PostgreSQL never stored NUL (it refuses it); other characters XML cannot hold, yes
        old = "alt\x0bdaten" if db.engine.dialect.name == "postgresql" else "alt\x00\x0bdaten"
        db.session.execute(sa.update(Actor).where(Actor.id == actor.id).values(description=old))
        db.session.commit()
    editor = login("editor")
    for url in ("/austausch/export/alle.xlsx", "/export/netzwerk.graphml", "/export/netzwerk.gexf"):
        response = editor.get(url)
        assert response.status_code == 200, url
        assert url.endswith(".xlsx") or b"altdaten" in response.data
    target = tmp_path / "export"
    result = runner.invoke(args=["export", str(target)])
    assert result.exit_code == 0, result.output
    assert (target / "graph.graphml").read_bytes().count(b"altdaten") == 1


def test_a_failed_export_leaves_no_half_folder(app, runner, tmp_path, monkeypatch):
    from netzwerk.network import exports

    def broken(*_args, **_kwargs):
        raise ValueError("kaputt")

    monkeypatch.setattr(exports, "gexf_bytes", broken)
    target = tmp_path / "export"
    target.mkdir()
    (target / "alt.txt").write_text("bleibt")
    result = runner.invoke(args=["export", str(target)])
    assert result.exit_code != 0
    assert sorted(p.name for p in target.iterdir()) == ["alt.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["export"] or all(
        not p.name.startswith(".export") for p in tmp_path.iterdir()
    )


# --- item 8: the workshops API checks like the other endpoints ---------------------------------

WORKSHOP = {"title": "Fokusgruppe Fairer Handel", "timezone": "Europe/Berlin"}


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"title": {"$gt": ""}}, "title", "title muss ein Text sein."),
        ({"capacity": True}, "capacity", "capacity muss eine ganze Zahl oder null sein."),
        ({"capacity": 1.5}, "capacity", "capacity muss eine ganze Zahl oder null sein."),
        ({"topic_ids": "SDG12"}, "topic_ids", "topic_ids muss eine Liste von Nummern"),
        ({"topic_ids": [{"id": 1}]}, "topic_ids", "topic_ids muss eine Liste von Nummern"),
        ({"wichtig": "ja"}, "wichtig", "Unbekanntes Feld: wichtig"),
    ],
)
def test_workshops_api_refuses_wrong_types_and_unknown_fields(app, api, body, field, message):
    editor = api("editor", bearer=True)
    response = editor.post("/api/workshops", json={**WORKSHOP, **body})
    assert response.status_code == 422, response.get_json()
    assert message in response.get_json()["error"]
    assert field in response.get_json()["fields"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Workshop.id))) == 0


def test_workshops_api_patch_checks_types_and_read_only_fields(app, api):
    editor = api("editor", bearer=True)
    created = editor.post("/api/workshops", json={**WORKSHOP, "capacity": 12})
    assert created.status_code == 201
    workshop = created.get_json()
    url = f"/api/workshops/{workshop['id']}"
    assert editor.patch(url, json={"capacity": "viele"}).status_code == 422
    assert editor.patch(url, json={"uid": "anders@example.org"}).status_code == 422
    assert editor.patch(url, json={"sequence": 99}).status_code == 422
    assert editor.patch(url, json={"capacity": False}).status_code == 422
    same = editor.patch(url, json=workshop)  # a GET's answer sent back unchanged is fine
    assert same.status_code == 200, same.get_json()
    assert editor.patch(url, json={"capacity": None}).get_json()["capacity"] is None
    assert editor.post(f"{url}/invitations", json={"contact_ids": [True]}).status_code == 422
    assert editor.post(f"{url}/invitations", json={"contact_ids": "1,2"}).status_code == 422
