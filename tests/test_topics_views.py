"""Topic pages with each role: the list counts actors per role, the topic page groups them,
editors create, edit and delete topics (audited), viewers only read."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from netzwerk.audit.models import AuditEntry
from netzwerk.extensions import db
from netzwerk.topics.models import ActorTopic, Topic
from tests import factories as f

pytestmark = pytest.mark.usefixtures("fast_passwords")  # many logins, no password under test


@pytest.fixture
def sdg(app):
    """SDG12 with actors in three roles, SDG4 without actors."""
    with app.app_context():
        fair = f.topic(code="SDG12", title="Fairer Handel", description="Fairtrade-Town seit 2011")
        school = f.topic(code="SDG4", title="Bildung", priority=1)
        kepol = f.actor(name="KEpol-Koordination")
        shop = f.actor(name="Weltladen Aachen", category="weltladen")
        welthaus = f.actor(name="Welthaus Aachen", category="eine-welt-gruppe")
        f.link(kepol, fair, role="federfuehrend")
        f.link(shop, fair, role="mitwirkend")
        f.link(welthaus, fair, role="mitwirkend")
        return {"fair": fair.id, "school": school.id, "kepol": kepol.id}


def topic_form(csrf: str, **overrides) -> dict:
    data = {"csrf_token": csrf, "code": "SDG13", "title": "Klimaschutz", "priority": "2"}
    return data | {"description": ""} | overrides


def text(response) -> str:
    return response.get_data(as_text=True)


def row_of(html: str, code: str) -> list[str]:
    """The cells of the list row whose first cell links to `code`."""
    for row in re.findall(r"<tr>(.*?)</tr>", html, re.S):
        if re.search(rf">{code}</a>", row):
            return [
                re.sub(r"<[^>]+>", "", cell).strip()
                for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
            ]
    raise AssertionError(f"no row for {code}")


@pytest.mark.parametrize("role", ["viewer", "editor", "admin"])
def test_list_shows_actors_per_role(login, sdg, role):
    response = login(role).get("/themen/")
    assert response.status_code == 200
    html = text(response)
    for role_label in ("federführend", "mitwirkend", "interessiert", "betroffen"):
        assert role_label in html
    # code, title, priority, lead, contributing, interested, affected, total
    assert row_of(html, "SDG12") == ["SDG12", "Fairer Handel", "mittel", "1", "2", "0", "0", "3"]
    assert row_of(html, "SDG4") == ["SDG4", "Bildung", "hoch", "0", "0", "0", "0", "0"]
    # priority 1 comes first
    assert html.index(">SDG4<") < html.index(">SDG12<")


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_topic_page_groups_actors_by_role(login, sdg, role):
    response = login(role).get(f"/themen/{sdg['fair']}")
    assert response.status_code == 200
    html = text(response)
    assert "Fairtrade-Town seit 2011" in html
    lead = html.index("<h2>federführend")
    contributing = html.index("<h2>mitwirkend")
    interested = html.index("<h2>interessiert")
    assert lead < html.index("KEpol-Koordination") < contributing
    assert contributing < html.index("Weltladen Aachen") < interested
    assert contributing < html.index("Welthaus Aachen") < interested
    # alphabetical within a role
    assert html.index("Welthaus Aachen") < html.index("Weltladen Aachen")
    assert f'href="/akteure/{sdg["kepol"]}"' in html


def test_viewer_sees_no_edit_controls(login, sdg):
    client = login("viewer")
    assert "Thema anlegen" not in text(client.get("/themen/"))
    html = text(client.get(f"/themen/{sdg['fair']}"))
    assert f"/themen/{sdg['fair']}/bearbeiten" not in html
    assert "/themenzuordnung/" not in html


def test_editor_sees_edit_controls(login, sdg):
    client = login("editor")
    assert "Thema anlegen" in text(client.get("/themen/"))
    assert f"/themen/{sdg['fair']}/bearbeiten" in text(client.get(f"/themen/{sdg['fair']}"))


def test_unknown_topic_is_404(login):
    assert login("viewer").get("/themen/99").status_code == 404


EDITOR_ROUTES = [
    ("/themen/neu", lambda t: topic_form(t)),
    ("/themen/{fair}/bearbeiten", lambda t: topic_form(t, code="SDG12", title="Fairer Handel!")),
    ("/themen/{fair}/loeschen", lambda t: {"csrf_token": t}),
]


@pytest.mark.parametrize(("route", "data"), EDITOR_ROUTES, ids=[r for r, _d in EDITOR_ROUTES])
def test_anonymous_is_sent_to_login(client, sdg, route, data):
    for url in ("/themen/", f"/themen/{sdg['fair']}", route.format(**sdg)):
        response = client.get(url)
        assert response.status_code == 302
        assert response.location.startswith("/login?next=")


@pytest.mark.parametrize(("route", "data"), EDITOR_ROUTES, ids=[r for r, _d in EDITOR_ROUTES])
def test_viewer_cannot_change_topics(app, login, sdg, route, data):
    client = login("viewer")
    url = route.format(**sdg)
    with app.app_context():
        before = f.dump()
    assert client.get(url).status_code == 403
    assert client.post(url, data=data(client.csrf)).status_code == 403
    with app.app_context():
        assert f.dump() == before


@pytest.mark.parametrize(("route", "data"), EDITOR_ROUTES, ids=[r for r, _d in EDITOR_ROUTES])
def test_post_without_valid_csrf_changes_nothing(app, login, sdg, route, data):
    client = login("editor")
    url = route.format(**sdg)
    with app.app_context():
        before = f.dump()
    payload = data(client.csrf)
    del payload["csrf_token"]
    assert client.post(url, data=payload).status_code == 400
    assert client.post(url, data=payload | {"csrf_token": "x" + client.csrf}).status_code == 400
    with app.app_context():
        assert f.dump() == before


def test_editor_creates_topic(app, login):
    client = login("editor", username="koordination")
    response = client.post(
        "/themen/neu",
        data=topic_form(client.csrf, code=" SDG13 ", priority="1", description="Klimaticket"),
    )
    assert response.status_code == 302
    with app.app_context():
        topic = db.session.scalar(sa.select(Topic))
        assert (topic.code, topic.title, topic.priority) == ("SDG13", "Klimaschutz", 1)
        assert response.location == f"/themen/{topic.id}"
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.entity == "topic"))
        assert (entry.action, entry.username, entry.entity_id) == (
            "create",
            "koordination",
            topic.id,
        )
    html = text(client.get(response.location))
    assert "Thema SDG13 angelegt." in html and "Klimaticket" in html


def test_editor_edits_topic(app, login, sdg):
    client = login("editor")
    url = f"/themen/{sdg['fair']}/bearbeiten"
    form = text(client.get(url))
    assert 'value="SDG12"' in form and "Fairtrade-Town seit 2011" in form
    response = client.post(
        url, data=topic_form(client.csrf, code="SDG12", title="Fairer Handel und Beschaffung")
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Topic, sdg["fair"]).title == "Fairer Handel und Beschaffung"
        entry = db.session.scalar(
            sa.select(AuditEntry).where(AuditEntry.entity == "topic", AuditEntry.action == "update")
        )
        assert entry.changes["title"] == ["Fairer Handel", "Fairer Handel und Beschaffung"]


@pytest.mark.parametrize("code", ["SDG12", "sdg 12", "Sdg12"])
def test_duplicate_code_is_a_field_error(app, login, sdg, code):
    client = login("editor")
    with app.app_context():
        before = f.dump()
    for url in ("/themen/neu", f"/themen/{sdg['school']}/bearbeiten"):
        response = client.post(url, data=topic_form(client.csrf, code=code))
        assert response.status_code == 200
        errors = re.search(r'id="code-errors"[^>]*>(.*?)</ul>', text(response), re.S)
        assert errors and "Das Thema SDG12 gibt es schon." in errors.group(1)
    with app.app_context():
        assert f.dump() == before


def test_numeric_code_duplicate_is_a_field_error(app, login):
    with app.app_context():
        f.topic(code="12", title="Zwölf")
    client = login("editor")
    response = client.post("/themen/neu", data=topic_form(client.csrf, code="12"))
    assert response.status_code == 200
    assert "Das Thema 12 gibt es schon." in text(response)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("code", "", "Dieses Feld wird benötigt."),
        ("title", "", "Dieses Feld wird benötigt."),
        ("code", "X" * 31, "Feld kann nicht länger als 30 Zeichen sein."),
        ("priority", "7", "Keine gültige Auswahl"),
    ],
)
def test_bad_input_is_a_field_error(app, login, field, value, message):
    client = login("editor")
    response = client.post("/themen/neu", data=topic_form(client.csrf, **{field: value}))
    assert response.status_code == 200
    errors = re.search(rf'id="{field}-errors"[^>]*>(.*?)</ul>', text(response), re.S)
    assert errors and message in errors.group(1), text(response)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Topic.id))) == 0


def test_delete_asks_first_then_removes_topic_and_links(app, login, sdg):
    client = login("editor", username="koordination")
    confirm = client.get(f"/themen/{sdg['fair']}/loeschen")
    assert confirm.status_code == 200
    assert "SDG12 Fairer Handel" in text(confirm)
    assert "3 Zuordnungen von Akteuren" in text(confirm)
    with app.app_context():
        assert db.session.get(Topic, sdg["fair"]) is not None
    response = client.post(f"/themen/{sdg['fair']}/loeschen", data={"csrf_token": client.csrf})
    assert response.status_code == 302
    assert response.location == "/themen/"
    with app.app_context():
        assert db.session.get(Topic, sdg["fair"]) is None
        assert db.session.scalar(sa.select(sa.func.count(ActorTopic.id))) == 0
        entry = db.session.scalar(
            sa.select(AuditEntry).where(AuditEntry.entity == "topic", AuditEntry.action == "delete")
        )
        assert (entry.entity_id, entry.username) == (sdg["fair"], "koordination")
        assert entry.changes["removed"][0] == {"links": 3}
    assert "Thema SDG12 gelöscht." in text(client.get("/themen/"))
