"""Sessions end on the server (issue 14, item 6): a copied session cookie is worthless after
logout, a password change ends the user's other sessions, and "Überall sonst abmelden" on the
profile page ends every session but the current one."""

from __future__ import annotations

import sqlalchemy as sa

from netzwerk.auth.models import User
from netzwerk.extensions import db
from tests.conftest import PASSWORD, csrf_token


def second_browser(app, client):
    """Another browser holding a copy of `client`'s session cookie."""
    thief = app.test_client()
    cookie = client.get_cookie("session")
    thief.set_cookie("session", cookie.value)
    return thief


def logged_in(client) -> bool:
    return client.get("/akteure/").status_code == 200


def test_a_copied_cookie_is_worthless_after_logout(app, login):
    owner = login("editor")
    thief = second_browser(app, owner)
    assert logged_in(thief)

    owner.post("/logout", data={"csrf_token": owner.csrf})

    assert not logged_in(owner)
    assert not logged_in(thief)
    assert thief.get("/api/actors").status_code == 401


def test_a_password_change_ends_the_other_sessions(app, login):
    owner = login("editor")
    other = second_browser(app, owner)
    response = owner.post(
        "/profil",
        data={
            "display_name": "",
            "email": "",
            "locale": "de",
            "timezone": "Europe/Berlin",
            "password": "ein-ganz-neues-passwort-7",
            "password2": "ein-ganz-neues-passwort-7",
            "csrf_token": owner.csrf,
        },
    )
    assert response.status_code == 302
    assert logged_in(owner)  # the session that changed it stays
    assert not logged_in(other)


def test_log_out_everywhere_else_from_the_profile(app, login):
    owner = login("viewer")
    laptop = second_browser(app, owner)
    page = owner.get("/profil").get_data(as_text=True)
    assert "Überall sonst abmelden" in page

    response = owner.post("/profil/sitzungen-beenden", data={"csrf_token": owner.csrf})

    assert response.status_code == 302
    assert "Alle anderen Sitzungen sind abgemeldet" in owner.get("/profil").get_data(as_text=True)
    assert logged_in(owner) and not logged_in(laptop)


def test_a_deactivated_user_is_out_at_once(app, login):
    admin = login("admin")
    victim = login("editor", username="ex-kollege")
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "ex-kollege"))
        user_id = user.id
    admin.post(
        f"/admin/benutzer/{user_id}",
        data={"username": "ex-kollege", "role": "editor", "csrf_token": admin.csrf},
    )
    assert not logged_in(victim)


def test_logging_in_again_after_logout_works(app, login):
    owner = login("editor", username="wieder-da")
    owner.post("/logout", data={"csrf_token": owner.csrf})
    response = owner.post(
        "/login",
        data={"username": "wieder-da", "password": PASSWORD, "csrf_token": csrf_token(owner)},
    )
    assert response.status_code == 302 and logged_in(owner)
