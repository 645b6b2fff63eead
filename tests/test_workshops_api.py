"""The workshop API: JSON shape, roles, errors, invitations, send and cancel."""

from __future__ import annotations

from pathlib import Path

import pytest

from netzwerk.extensions import db
from netzwerk.workshops.models import Workshop
from tests import factories
from tests.workshops_support import plan

FIELDS = {
    "id",
    "uid",
    "title",
    "topic_ids",
    "phase",
    "format",
    "starts_at",
    "ends_at",
    "timezone",
    "location",
    "online_url",
    "capacity",
    "agenda",
    "status",
    "sequence",
}


@pytest.fixture
def api(app):
    return app.test_client()


def test_create_read_list_and_patch(app, api, api_token):
    editor = api_token("editor")
    with app.app_context():
        topic_id = factories.topic(code="SDG17", title="Globale Partnerschaften").id
    created = api.post(
        "/api/workshops",
        json={
            "title": "Fokusgruppe SDG 17",
            "topic_ids": [topic_id],
            "phase": "fokusgruppe",
            "format": "hybrid",
            "starts_at": "2030-07-16T10:00:00+02:00",
            "ends_at": "2030-07-16T13:00",
            "timezone": "Europe/Berlin",
            "location": "Katschhof",
            "online_url": "https://meet.example.org/sdg17",
            "capacity": 20,
            "agenda": "Ziele",
        },
        headers=editor,
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body.keys() >= FIELDS
    assert body["starts_at"] == "2030-07-16T10:00:00+02:00"
    assert body["ends_at"] == "2030-07-16T13:00:00+02:00"
    assert body["topic_ids"] == [topic_id]
    assert (body["status"], body["sequence"], body["capacity"]) == ("entwurf", 0, 20)
    assert body["organizer"]["email"] == "kepol@localhost"  # NETZWERK_MAIL_FROM by default

    listing = api.get("/api/workshops?per_page=10", headers=api_token("viewer")).get_json()
    assert listing["total"] == 1 and listing["items"][0]["uid"] == body["uid"]
    one = api.get(f"/api/workshops/{body['id']}", headers=api_token("viewer")).get_json()
    assert one == listing["items"][0]

    patched = api.patch(
        f"/api/workshops/{body['id']}",
        json={"title": "Fokusgruppe Partnerschaften"},
        headers=editor,
    )
    assert patched.status_code == 200
    assert patched.get_json()["title"] == "Fokusgruppe Partnerschaften"
    assert patched.get_json()["delivery"] is None  # nothing announced, nothing sent


def test_errors_are_json_in_german(app, api, api_token):
    editor = api_token("editor")
    bad = api.post(
        "/api/workshops",
        json={"title": "X", "starts_at": "morgen", "ends_at": "2030-01-01T10:00"},
        headers=editor,
    )
    assert bad.status_code == 422
    assert bad.get_json()["fields"] == {"starts_at": [bad.get_json()["error"]]}
    assert "kein gültiger Zeitpunkt" in bad.get_json()["error"]
    unknown = api.post("/api/workshops", json={"title": "X", "topic_ids": [999]}, headers=editor)
    assert unknown.status_code == 422 and unknown.get_json()["error"] == "Unbekanntes Thema: 999"
    assert api.get("/api/workshops/999", headers=editor).status_code == 404
    assert (
        api.post("/api/workshops", json={"title": "X"}, headers=api_token("viewer")).status_code
        == 403
    )
    assert api.get("/api/workshops").status_code == 401
    with app.app_context():
        assert db.session.query(Workshop).count() == 0


def test_invitations_send_and_cancel(app, api, api_token):
    editor = api_token("editor")
    ws = plan(app)
    with app.app_context():
        actor = factories.actor(name="Welthaus Aachen e.V.", category="eine-welt-gruppe")
        anna = factories.contact(actor, name="Anna Becker", email="anna@example.org").id
        nomail = factories.contact(actor, name="Ohne Adresse", email="").id

    refused = api.post(
        f"/api/workshops/{ws['id']}/invitations",
        json={"contact_ids": [anna, nomail]},
        headers=editor,
    )
    assert refused.status_code == 422
    assert refused.get_json()["error"] == (
        "Ohne Adresse (Welthaus Aachen e.V.) kann nicht eingeladen werden: "
        "Keine E-Mail-Adresse hinterlegt."
    )
    added = api.post(
        f"/api/workshops/{ws['id']}/invitations", json={"contact_ids": [anna]}, headers=editor
    )
    assert added.status_code == 201
    (item,) = added.get_json()["items"]
    assert (item["contact_id"], item["response"], item["delivery"]) == (anna, "needs-action", None)

    sent = api.post(f"/api/workshops/{ws['id']}/send", headers=editor).get_json()
    assert (sent["queued"], sent["sent"], sent["failed"]) == (1, 1, 0)
    assert len(list(Path(app.config["OUTBOX_DIR"]).glob("*.eml"))) == 1
    again = api.post(f"/api/workshops/{ws['id']}/send", headers=editor).get_json()
    assert (again["queued"], again["sent"]) == (0, 0)  # nothing twice

    listing = api.get(f"/api/workshops/{ws['id']}/invitations", headers=api_token("viewer"))
    (row,) = listing.get_json()["items"]
    assert row["delivery"]["status"] == "sent" and row["delivery"]["sequence"] == 0

    cancelled = api.post(f"/api/workshops/{ws['id']}/cancel", headers=editor).get_json()
    assert cancelled["status"] == "abgesagt" and cancelled["sequence"] == 1
    assert cancelled["delivery"]["sent"] == 1
    twice = api.post(f"/api/workshops/{ws['id']}/cancel", headers=editor)
    assert twice.status_code == 409


def test_session_requests_need_the_csrf_token(app, login):
    ws = plan(app)
    editor = login("editor")
    assert editor.post(f"/api/workshops/{ws['id']}/send").status_code == 400
    ok = editor.post(f"/api/workshops/{ws['id']}/send", headers={"X-CSRFToken": editor.csrf})
    assert ok.status_code == 200
