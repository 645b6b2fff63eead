"""Login, logout, language, profile and the admin pages (users, audit trail) with each role."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import quote, urlsplit

import pytest
import sqlalchemy as sa
from werkzeug.routing import IntegerConverter

from netzwerk.audit.models import AuditEntry
from netzwerk.audit.services import record
from netzwerk.auth.models import ApiToken, User
from netzwerk.extensions import db
from tests import factories as f
from tests.conftest import PASSWORD, csrf_token
from tests.test_actors_views import actor_form


def text(response) -> str:
    return response.get_data(as_text=True)


def sample_url(rule) -> str:
    """The rule with a placeholder for each argument (the object need not exist: the login
    check comes first)."""
    values = {}
    for name, converter in rule._converters.items():
        if type(converter).__name__ == "AnyConverter":  # a listed value, or the route won't match
            values[name] = sorted(converter.items)[0]
        else:
            values[name] = 1 if isinstance(converter, IntegerConverter) else "x"
    url = rule.rule
    for name, value in values.items():
        url = re.sub(rf"<(?:[^:<>]+:)?{name}>", str(value), url)
    return url


# --- login required everywhere ------------------------------------------------------------------


def test_every_html_page_requires_login(app, client):
    """Walks the URL map: any page a domain adds is covered without listing it here."""
    token = csrf_token(client)
    checked = 0
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if rule.endpoint == "static" or rule.endpoint.startswith("api."):
            continue
        if getattr(view, "is_public", False):
            continue
        url = sample_url(rule)
        if "GET" in rule.methods:
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": token})
        assert response.status_code == 302, f"{rule.endpoint} {url}: {response.status_code}"
        assert response.location.startswith("/login?next="), rule.endpoint
        checked += 1
    assert checked >= 30


def test_login_page_and_static_files_are_public(client):
    assert client.get("/login").status_code == 200
    assert client.get("/static/css/app.css").status_code == 200


# --- login and logout ----------------------------------------------------------------------------


def login_as(client, username: str, password: str, next_url: str | None = None):
    url = "/login" if next_url is None else f"/login?next={next_url}"
    return client.post(
        url,
        data={"username": username, "password": password, "csrf_token": csrf_token(client)},
    )


def test_wrong_password_shows_an_error(make_user, client):
    make_user("anna", "editor")
    response = login_as(client, "anna", "falsch-falsch")
    assert response.status_code == 200
    assert "Benutzername oder Passwort ist falsch." in text(response)
    assert client.get("/").status_code == 302  # still logged out


def test_unknown_user_gets_the_same_error(client):
    response = login_as(client, "niemand", PASSWORD)
    assert "Benutzername oder Passwort ist falsch." in text(response)


def test_login_then_logout(make_user, client):
    make_user("anna", "viewer")
    response = login_as(client, "anna", PASSWORD)
    assert (response.status_code, response.location) == (302, "/")
    assert "Übersicht" in text(client.get("/"))
    assert client.get("/logout").status_code == 405  # a link cannot log anybody out
    response = client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert response.location == "/login"
    assert client.get("/").status_code == 302


def test_login_without_csrf_token_is_refused(make_user, client):
    make_user("anna", "viewer")
    response = client.post("/login", data={"username": "anna", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_deactivated_user_cannot_log_in(app, make_user, client):
    user_id = make_user("anna", "editor")
    with app.app_context():
        db.session.get(User, user_id).active = False
        db.session.commit()
    assert "Benutzername oder Passwort ist falsch." in text(login_as(client, "anna", PASSWORD))


def test_next_leads_back_to_the_requested_page(make_user, client):
    make_user("anna", "viewer")
    response = client.get("/themen/?x=1")
    assert response.location == "/login?next=/themen/?x%3D1"
    response = login_as(client, "anna", PASSWORD, next_url="/themen/%3Fx%3D1")
    assert response.location == "/themen/?x=1"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
    ],
)
def test_next_only_allows_local_paths(make_user, client, target):
    make_user("anna", "viewer")
    response = login_as(client, "anna", PASSWORD, next_url=quote(target, safe=""))
    assert response.status_code == 302
    # browsers read a backslash as a slash: "/\\host" would be "//host"
    location = response.location.replace("\\", "/")
    parts = urlsplit(location)
    assert location.startswith("/") and not location.startswith("//")
    assert (parts.scheme, parts.netloc) == ("", "")


# --- language ----------------------------------------------------------------------------------


def test_lang_parameter_switches_and_sticks(login):
    client = login("viewer")
    assert '<html lang="de">' in text(client.get("/"))
    html = text(client.get("/?lang=en"))
    assert '<html lang="en">' in html
    assert 'hreflang="de">Deutsch</a>' in html  # the way back
    assert '<html lang="en">' in text(client.get("/akteure/"))  # kept in the session
    assert '<html lang="de">' in text(client.get("/akteure/?lang=de"))


def test_lang_parameter_works_before_login(client):
    assert '<html lang="en">' in text(client.get("/login?lang=en"))


def test_unknown_lang_is_ignored(login):
    assert '<html lang="de">' in text(login("viewer").get("/?lang=xx"))


def test_profile_locale_is_used(app, login):
    client = login("viewer", username="jane")
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "jane"))
        user.locale = "en"
        db.session.commit()
    assert '<html lang="en">' in text(client.get("/"))
    # ?lang= overrides the profile for this session
    assert '<html lang="de">' in text(client.get("/?lang=de"))


def test_user_sets_english_and_time_zone_in_profile(app, login):
    client = login("viewer", username="jane")
    response = client.post(
        "/profil",
        data={
            "csrf_token": client.csrf,
            "display_name": "Jane Doe",
            "email": "jane@example.org",
            "locale": "en",
            "timezone": "Africa/Johannesburg",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "jane"))
        assert (user.locale, user.timezone, user.display_name) == (
            "en",
            "Africa/Johannesburg",
            "Jane Doe",
        )
    assert '<html lang="en">' in text(client.get("/"))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("timezone", "Afrika/Kapstadt", "Unbekannte Zeitzone: Afrika/Kapstadt"),
        ("email", "jane-at-example", "Ungültige E-Mail-Adresse."),
        ("password2", "anders-12345", "Die Passwörter stimmen nicht überein."),
        ("password", "kurz", "Feld muss mindestens 8 Zeichen beinhalten."),
    ],
)
def test_profile_bad_input_is_a_field_error(app, login, field, value, message):
    client = login("viewer", username="jane")
    with app.app_context():
        before = f.dump()
    data = {
        "csrf_token": client.csrf,
        "display_name": "",
        "email": "",
        "locale": "de",
        "timezone": "Europe/Berlin",
        "password": "ein-neues-passwort",
        "password2": "ein-neues-passwort",
    }
    if field in ("timezone", "email"):
        data |= {"password": "", "password2": ""}
    data[field] = value
    if field == "password":
        data["password2"] = value
    response = client.post("/profil", data=data)
    assert response.status_code == 200
    errors = re.search(rf'id="{field}-errors"[^>]*>(.*?)</ul>', text(response), re.S)
    assert errors and message in errors.group(1), text(response)
    with app.app_context():
        assert f.dump() == before


# --- API tokens in the profile -------------------------------------------------------------------


def test_user_creates_and_revokes_own_token(app, login):
    client = login("viewer", username="jane")
    response = client.post("/profil/tokens", data={"csrf_token": client.csrf, "name": "Excel"})
    assert response.status_code == 200
    secret = re.search(r'<code class="token">([^<]+)</code>', text(response)).group(1)
    bearer = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    assert bearer.get("/api/actors", headers=headers).status_code == 200
    # shown once only
    assert secret not in text(client.get("/profil"))
    with app.app_context():
        token_id = db.session.scalar(sa.select(ApiToken.id))
    response = client.post(
        f"/profil/tokens/{token_id}/widerrufen", data={"csrf_token": client.csrf}
    )
    assert response.status_code == 302
    assert bearer.get("/api/actors", headers=headers).status_code == 401


def test_nobody_revokes_another_users_token(app, login, api_token):
    headers = api_token("editor")
    with app.app_context():
        token_id = db.session.scalar(sa.select(ApiToken.id))
    client = login("editor", username="andere")
    response = client.post(
        f"/profil/tokens/{token_id}/widerrufen", data={"csrf_token": client.csrf}
    )
    assert response.status_code == 403
    assert app.test_client().get("/api/actors", headers=headers).status_code == 200


# --- admin pages ---------------------------------------------------------------------------------


ADMIN_PAGES = [
    "/admin/benutzer",
    "/admin/benutzer/neu",
    "/admin/benutzer/{uid}",
    "/admin/kategorien",
    "/admin/kategorien/neu",
    "/admin/kategorien/schule",
    "/admin/protokoll",
]


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_admin_pages_are_for_admins_only(login, make_user, page):
    uid = make_user("someone", "viewer")
    url = page.format(uid=uid)
    assert login("admin").get(url).status_code == 200
    assert login("editor").get(url).status_code == 403
    assert login("viewer").get(url).status_code == 403


def test_admin_navigation_is_shown_to_admins_only(login):
    html = text(login("admin").get("/admin/benutzer"))
    for link in ("/admin/benutzer", "/admin/kategorien", "/admin/protokoll"):
        assert f'href="{link}"' in html
    assert 'href="/admin/benutzer"' not in text(login("editor").get("/"))


def user_form(csrf: str, **overrides) -> dict:
    data = {
        "csrf_token": csrf,
        "username": "steuerung1",
        "display_name": "Mitglied Steuerungsgruppe",
        "email": "sg1@example.org",
        "role": "viewer",
        "active": "y",
        "password": "sicheres-passwort",
    }
    return data | overrides


def test_admin_creates_user_who_can_log_in(app, login, client):
    admin = login("admin", username="chefin")
    response = admin.post("/admin/benutzer/neu", data=user_form(admin.csrf, role="editor"))
    assert response.status_code == 302
    assert "steuerung1" in text(admin.get("/admin/benutzer"))
    with app.app_context():
        entry = db.session.scalar(
            sa.select(AuditEntry).where(
                AuditEntry.entity == "user", AuditEntry.label == "steuerung1"
            )
        )
        assert entry.username == "chefin"
        assert entry.changes["role"] == [None, "editor"]
    assert login_as(client, "steuerung1", "sicheres-passwort").status_code == 302


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"username": "chefin"}, "username", "Den Benutzer chefin gibt es schon."),
        ({"password": "kurz"}, "password", "Feld muss mindestens 8 Zeichen beinhalten."),
        ({"password": ""}, "password", "mindestens 8 Zeichen"),
        ({"email": "kein@"}, "email", "Ungültige E-Mail-Adresse."),
        ({"role": "gott"}, "role", "Keine gültige Auswahl"),
    ],
)
def test_admin_user_form_errors(app, login, overrides, field, message):
    admin = login("admin", username="chefin")
    with app.app_context():
        before = f.dump()
    response = admin.post("/admin/benutzer/neu", data=user_form(admin.csrf, **overrides))
    assert response.status_code == 200
    errors = re.search(rf'id="{field}-errors"[^>]*>(.*?)</ul>', text(response), re.S)
    assert errors and message in errors.group(1), text(response)
    with app.app_context():
        assert f.dump() == before


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_non_admins_cannot_create_or_change_users(app, login, make_user, role):
    victim = make_user("opfer", "viewer")
    client = login(role)
    with app.app_context():
        before = f.dump()
    response = client.post("/admin/benutzer/neu", data=user_form(client.csrf, role="admin"))
    assert response.status_code == 403
    response = client.post(
        f"/admin/benutzer/{victim}", data=user_form(client.csrf, username="opfer", role="admin")
    )
    assert response.status_code == 403
    with app.app_context():
        assert f.dump() == before


def test_admin_changes_role_and_locks_user_out(app, login, make_user, client):
    uid = make_user("opfer", "viewer")
    admin = login("admin")
    form = text(admin.get(f"/admin/benutzer/{uid}"))
    assert 'value="opfer"' in form
    response = admin.post(
        f"/admin/benutzer/{uid}",
        data=user_form(admin.csrf, username="opfer", role="editor", active="", password=""),
    )
    assert response.status_code == 302
    with app.app_context():
        user = db.session.get(User, uid)
        assert (user.role.value, user.active) == ("editor", False)
        entry = db.session.scalar(
            sa.select(AuditEntry).where(AuditEntry.entity == "user", AuditEntry.action == "update")
        )
        assert entry.changes["role"] == ["viewer", "editor"]
    assert "Benutzername oder Passwort ist falsch." in text(login_as(client, "opfer", PASSWORD))


def test_admin_cannot_demote_themselves(app, login):
    admin = login("admin", username="chefin")
    with app.app_context():
        uid = db.session.scalar(sa.select(User.id).where(User.username == "chefin"))
    response = admin.post(
        f"/admin/benutzer/{uid}",
        data=user_form(admin.csrf, username="chefin", role="viewer", password=""),
    )
    assert response.status_code == 200
    assert "Sie können sich nicht selbst die Admin-Rolle entziehen." in text(response)
    with app.app_context():
        assert db.session.get(User, uid).role.value == "admin"


# --- audit trail page ----------------------------------------------------------------------------


def rows(html: str) -> list[str]:
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    return re.findall(r"<tr>(.*?)</tr>", body, re.S)


def test_audit_page_lists_changes_with_filters(app, login):
    editor = login("editor", username="koordination")
    actor = actor_form(editor.csrf, name="Welthaus Aachen", category="eine-welt-gruppe")
    assert editor.post("/akteure/neu", data=actor).status_code == 302
    topic = {"csrf_token": editor.csrf, "code": "SDG4", "title": "Bildung", "priority": "1"}
    assert editor.post("/themen/neu", data=topic).status_code == 302
    admin = login("admin", username="chefin")
    html = text(admin.get("/admin/protokoll"))
    assert "Welthaus Aachen" in html and "SDG4 Bildung" in html
    assert "koordination" in html and "angelegt" in html
    # filter by entity
    html = text(admin.get("/admin/protokoll?entity=topic"))
    assert "SDG4 Bildung" in html and "Welthaus Aachen" not in html
    # filter by user: the admin's own user-creation entries are not koordination's
    html = text(admin.get("/admin/protokoll?user=koordination"))
    assert len(rows(html)) == 2
    assert "Welthaus Aachen" in html
    # the object link leads to that object's history
    with app.app_context():
        actor_entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.entity == "actor"))
    assert f"entity=actor&amp;entity_id={actor_entry.entity_id}" in html
    html = text(admin.get(f"/admin/protokoll?entity=actor&entity_id={actor_entry.entity_id}"))
    assert len(rows(html)) == 1


def test_audit_date_range_uses_the_users_time_zone(app, login):
    with app.app_context():
        # 23:30 UTC on 1 March is 00:30 on 2 March in Berlin
        for label, when in (
            ("late", datetime(2025, 3, 1, 23, 30)),
            ("early", datetime(2025, 3, 1, 12, 0)),
            ("next", datetime(2025, 3, 3, 8, 0)),
        ):
            record("actor", 1, "update", {"city": ["a", "b"]}, label=label).created_at = when
        db.session.commit()
    admin = login("admin")
    html = text(admin.get("/admin/protokoll?entity=actor&from=2025-03-02&to=2025-03-02"))
    labels = [re.search(r">(late|early|next)<", row).group(1) for row in rows(html)]
    assert labels == ["late"]
    html = text(admin.get("/admin/protokoll?entity=actor&from=2025-03-01"))
    assert len(rows(html)) == 3
    html = text(admin.get("/admin/protokoll?entity=actor&to=2025-03-01"))
    assert [re.search(r">(late|early|next)<", row).group(1) for row in rows(html)] == ["early"]


def test_audit_bad_dates_are_reported(login):
    admin = login("admin")
    response = admin.get("/admin/protokoll?from=gestern")
    assert response.status_code == 200
    assert "kein gültiges Datum" in text(response)
    response = admin.get("/admin/protokoll?from=2025-03-05&to=2025-03-01")
    assert "Das Von-Datum liegt nach dem Bis-Datum." in text(response)


def test_audit_page_is_paged(app, login):
    with app.app_context():
        for n in range(30):
            record("topic", n, "update", {"title": [str(n), str(n + 1)]}, label=f"Eintrag {n:02d}")
        db.session.commit()
    admin = login("admin")
    first = text(admin.get("/admin/protokoll?entity=topic"))
    second = text(admin.get("/admin/protokoll?entity=topic&page=2"))
    assert len(rows(first)) == 25 and len(rows(second)) == 5
    assert "Eintrag 29" in first and "Eintrag 00" in second  # newest first
    assert "entity=topic&amp;page=2" in first  # the filter is kept when paging
