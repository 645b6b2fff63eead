"""Login with the town hall's directory, against a real OpenLDAP server (tests/ldap_support.py):
users created at their first login and updated at each, roles from groups, deactivation when the
directory says so, local accounts beside it, clear German errors, TLS with the town hall's CA,
the login rate limit, and `flask ldap sync|check`."""

from __future__ import annotations

import socket

import pytest
import sqlalchemy as sa

from netzwerk import create_app
from netzwerk.audit.models import AuditEntry
from netzwerk.auth import ldap
from netzwerk.auth.models import Role, User
from netzwerk.auth.services import LoginFailed
from netzwerk.auth.services import login as service_login
from netzwerk.extensions import db
from tests import ldap_support as directory
from tests.conftest import PASSWORD, csrf_token

WRONG = "Benutzername oder Passwort ist falsch."
NO_GROUP = "keiner netzwerk-Gruppe zugeordnet"
UNREACHABLE = "Der Verzeichnisdienst (LDAP) ist gerade nicht erreichbar"


@pytest.fixture(scope="module")
def slapd(tmp_path_factory):
    server = directory.start_slapd(tmp_path_factory.mktemp("slapd"))
    yield server
    server.stop()


@pytest.fixture
def app_config(slapd, request) -> dict:
    """A service account searching people by uid, roles from memberOf (a test adds settings
    with indirect parametrisation)."""
    return getattr(request, "param", {}) | {
        "LDAP_URL": slapd.url,
        "LDAP_BIND_DN": directory.SERVICE_DN,
        "LDAP_BIND_PASSWORD": directory.SERVICE_PASSWORD,
        "LDAP_USER_BASE": directory.PEOPLE,
        "LDAP_USER_FILTER": "(uid={username})",
        "LDAP_GROUPS": directory.GROUP_MAP,
        "LDAP_TIMEOUT": 3,
    }


def _post_login(client, username: str, password: str):
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_token(client)},
    )


def _login(app, username: str, password: str):
    """(response, client) of a login through the form, as a person would."""
    client = app.test_client()
    return _post_login(client, username, password), client


def _user(app, username: str) -> User | None:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        if user is not None:
            db.session.expunge(user)
        return user


def _password(username: str) -> str:
    return directory.PEOPLE_DATA[username][2]


def _set_groups(slapd, username: str, add: list[str] = (), remove: list[str] = ()) -> None:
    dn = f"uid={username},{directory.PEOPLE}"
    for group in add:
        slapd.modify(f"dn: {group}\nchangetype: modify\nadd: member\nmember: {dn}\n")
    for group in remove:
        slapd.modify(f"dn: {group}\nchangetype: modify\ndelete: member\nmember: {dn}\n")


# --- first login, updates, roles ------------------------------------------------------------------


def test_first_login_creates_the_user_with_name_email_and_role(app):
    assert _user(app, "anna.schmidt") is None
    response, client = _login(app, "anna.schmidt", _password("anna.schmidt"))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert client.get("/").status_code == 200
    anna = _user(app, "anna.schmidt")
    assert anna.display_name == "Anna Schmidt" and anna.email == "anna.schmidt@aachen.example"
    assert anna.role is Role.EDITOR and anna.active and anna.source == "ldap"
    assert anna.directory_dn == f"uid=anna.schmidt,{directory.PEOPLE}"
    assert not anna.check_password(_password("anna.schmidt"))  # no password is kept here
    with app.app_context():
        entry = db.session.scalar(
            sa.select(AuditEntry).where(AuditEntry.entity == "user", AuditEntry.action == "create")
        )
        assert entry.label == "anna.schmidt" and entry.changes["source"] == [None, "ldap"]
    # the admin's user list says where the account comes from
    admin = app.test_client()
    with app.app_context():
        from netzwerk.auth.services import create_user

        create_user("chefin", PASSWORD, "admin")
    _post_login(admin, "chefin", PASSWORD)
    assert "Verzeichnis (LDAP)" in admin.get("/admin/benutzer").get_data(as_text=True)


def test_each_login_updates_name_email_and_role_from_the_directory(app, slapd):
    dn = f"uid=emil.ng,{directory.PEOPLE}"
    assert _login(app, "emil.ng", _password("emil.ng"))[0].status_code == 302
    assert _user(app, "emil.ng").role is Role.VIEWER
    try:
        slapd.modify(
            f"dn: {dn}\nchangetype: modify\nreplace: mail\nmail: emil.ng@stadt.example\n-\n"
            "replace: displayName\ndisplayName: Emil Ng-Berger\n"
        )
        _set_groups(slapd, "emil.ng", add=[directory.EDITORS])
        assert _login(app, "emil.ng", _password("emil.ng"))[0].status_code == 302
        emil = _user(app, "emil.ng")
        assert (emil.display_name, emil.email, emil.role) == (
            "Emil Ng-Berger",
            "emil.ng@stadt.example",
            Role.EDITOR,
        )
    finally:
        slapd.modify(
            f"dn: {dn}\nchangetype: modify\nreplace: mail\nmail: emil.ng@aachen.example\n-\n"
            "replace: displayName\ndisplayName: Emil Ng\n"
        )
        _set_groups(slapd, "emil.ng", remove=[directory.EDITORS])


def test_the_highest_mapped_group_wins(app):
    assert _login(app, "bernd.kaya", _password("bernd.kaya"))[0].status_code == 302
    assert _user(app, "bernd.kaya").role is Role.ADMIN


def test_group_dns_are_compared_as_the_directory_does():
    mapping = ldap.parse_group_map(
        "CN=Netzwerk-Admins, OU=Groups,DC=aachen,DC=example = admin\n"
        "cn=netzwerk-lesen,ou=groups,dc=aachen,dc=example=viewer"
    )
    assert ldap.role_for([directory.ADMINS.upper()], mapping) is Role.ADMIN
    assert ldap.role_for([directory.VIEWERS, directory.ADMINS], mapping) is Role.ADMIN
    assert ldap.role_for([directory.CANTEEN], mapping) is None
    with pytest.raises(ValueError, match="viewer\\|editor\\|admin"):
        ldap.parse_group_map("cn=x,dc=y=superuser")


def test_a_wrong_group_mapping_stops_the_start(tmp_path):
    with pytest.raises(ValueError, match="NETZWERK_LDAP_GROUPS"):
        create_app(
            {
                "TESTING": True,
                "INSTANCE_PATH": str(tmp_path),
                "SECRET_KEY": "x",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}",
                "LDAP_URL": "ldap://127.0.0.1:1",
                "LDAP_GROUPS": "cn=netzwerk,dc=aachen=chef",
            }
        )


# --- refusals and their messages ------------------------------------------------------------------


def test_a_wrong_password_is_refused_in_plain_german(app):
    response, client = _login(app, "anna.schmidt", "falsch-falsch")
    assert response.status_code == 200 and WRONG in response.get_data(as_text=True)
    assert _user(app, "anna.schmidt") is None
    assert client.get("/").status_code == 302  # not logged in
    # somebody the directory does not know: the same words
    assert WRONG in _login(app, "niemand", "irgendwas-1")[0].get_data(as_text=True)
    with app.app_context(), pytest.raises(LoginFailed, match=WRONG):
        service_login("anna.schmidt", "")  # never an anonymous bind


def test_a_person_in_no_mapped_group_is_told_why(app):
    response, _ = _login(app, "clara.wolf", _password("clara.wolf"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and NO_GROUP in html
    assert _user(app, "clara.wolf") is None


def test_leaving_the_groups_deactivates_the_user_and_ends_the_session(app, slapd):
    response, client = _login(app, "emil.ng", _password("emil.ng"))
    assert response.status_code == 302 and client.get("/").status_code == 200
    _set_groups(slapd, "emil.ng", remove=[directory.VIEWERS])
    try:
        response, _ = _login(app, "emil.ng", _password("emil.ng"))
        assert NO_GROUP in response.get_data(as_text=True)
        assert _user(app, "emil.ng").active is False
        assert client.get("/").status_code == 302  # the open session is over too
    finally:
        _set_groups(slapd, "emil.ng", add=[directory.VIEWERS])
    # back in a group: the next login opens the account again
    assert _login(app, "emil.ng", _password("emil.ng"))[0].status_code == 302
    assert _user(app, "emil.ng").active is True


def test_a_disabled_directory_account_is_refused_and_deactivated(app, slapd):
    dn = f"uid=dora.lang,{directory.PEOPLE}"
    slapd.modify(
        f"dn: {dn}\nchangetype: modify\nreplace: userAccountControl\nuserAccountControl: 512\n"
    )
    try:
        assert _login(app, "dora.lang", _password("dora.lang"))[0].status_code == 302
        assert _user(app, "dora.lang").active
        # Active Directory's ACCOUNTDISABLE bit (514 = 512 + 2)
        slapd.modify(
            f"dn: {dn}\nchangetype: modify\nreplace: userAccountControl\nuserAccountControl: 514\n"
        )
        response, _ = _login(app, "dora.lang", _password("dora.lang"))
        assert WRONG in response.get_data(as_text=True)
        assert _user(app, "dora.lang").active is False
    finally:
        slapd.modify(
            f"dn: {dn}\nchangetype: modify\nreplace: userAccountControl\nuserAccountControl: 514\n"
        )


def test_a_person_removed_from_the_directory_is_deactivated(app, slapd):
    dn = f"uid=gerd.temp,{directory.PEOPLE}"
    slapd.modify(
        f"dn: {dn}\nchangetype: add\nobjectClass: inetOrgPerson\nuid: gerd.temp\ncn: Gerd\n"
        f"sn: Temp\nuserPassword: Gerd-Passwort-7\n\n"
        f"dn: {directory.VIEWERS}\nchangetype: modify\nadd: member\nmember: {dn}\n"
    )
    assert _login(app, "gerd.temp", "Gerd-Passwort-7")[0].status_code == 302
    slapd.modify(f"dn: {dn}\nchangetype: delete\n")
    response, _ = _login(app, "gerd.temp", "Gerd-Passwort-7")
    assert WRONG in response.get_data(as_text=True)
    assert _user(app, "gerd.temp").active is False


def test_a_search_filter_cannot_be_injected_through_the_name(app):
    for name in ("*", "anna*", "anna.schmidt)(uid=*", "*)(|(uid=*"):
        response, _ = _login(app, name, _password("anna.schmidt"))
        assert WRONG in response.get_data(as_text=True), name
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


# --- local accounts beside the directory ----------------------------------------------------------


def test_local_accounts_keep_working_and_win_over_the_directory(app, make_user):
    make_user("admin", "admin")  # the first admin, local
    # the directory has an "admin" too, with another password: it never takes this account over
    response, _ = _login(app, "admin", _password("admin"))
    assert WRONG in response.get_data(as_text=True)
    assert _login(app, "admin", PASSWORD)[0].status_code == 302
    admin = _user(app, "admin")
    assert admin.source == "local" and admin.display_name == ""


def test_an_unreachable_directory_is_said_and_local_login_still_works(app, make_user):
    with socket.socket() as s:  # a port where nothing listens
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    app.config["LDAP_URL"] = f"ldap://127.0.0.1:{closed}"
    make_user("ortsadmin", "admin")
    response, _ = _login(app, "anna.schmidt", _password("anna.schmidt"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and UNREACHABLE in html
    assert "Lokale Konten von netzwerk können sich weiterhin anmelden" in html
    assert _login(app, "ortsadmin", PASSWORD)[0].status_code == 302


def test_a_second_directory_server_takes_over(app, slapd):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    app.config["LDAP_URL"] = f"ldap://127.0.0.1:{closed} {slapd.url}"
    assert _login(app, "anna.schmidt", _password("anna.schmidt"))[0].status_code == 302


def test_without_a_directory_only_local_accounts_log_in(app, make_user):
    app.config["LDAP_URL"] = ""
    make_user("lokal", "viewer")
    assert WRONG in _login(app, "anna.schmidt", _password("anna.schmidt"))[0].get_data(as_text=True)
    assert _login(app, "lokal", PASSWORD)[0].status_code == 302


# --- TLS, direct bind, group search ---------------------------------------------------------------


def test_starttls_with_the_town_hall_ca(app, slapd):
    app.config.update(LDAP_STARTTLS=True, LDAP_CA_FILE=slapd.ca_file)
    assert _login(app, "anna.schmidt", _password("anna.schmidt"))[0].status_code == 302
    # a CA that did not sign the server's certificate: refused, said as "not reachable"
    app.config["LDAP_CA_FILE"] = slapd.other_ca_file
    response, _ = _login(app, "bernd.kaya", _password("bernd.kaya"))
    assert UNREACHABLE in response.get_data(as_text=True)
    assert _user(app, "bernd.kaya") is None


def test_ldaps_with_the_town_hall_ca(app, slapd):
    app.config.update(LDAP_URL=slapd.ldaps_url, LDAP_CA_FILE=slapd.ca_file)
    assert _login(app, "bernd.kaya", _password("bernd.kaya"))[0].status_code == 302
    assert _user(app, "bernd.kaya").role is Role.ADMIN
    app.config["LDAP_CA_FILE"] = slapd.other_ca_file
    assert UNREACHABLE in _login(app, "anna.schmidt", _password("anna.schmidt"))[0].get_data(
        as_text=True
    )


def test_direct_bind_without_a_service_account(app, slapd):
    """Active Directory style: the person binds as themselves and reads their own entry,
    found by sAMAccountName."""
    app.config.update(
        LDAP_BIND_DN="",
        LDAP_BIND_PASSWORD="",
        LDAP_USER_DN_TEMPLATE=f"uid={{username}},{directory.PEOPLE}",
        LDAP_USER_FILTER="(&(objectClass=inetOrgPerson)(sAMAccountName={username}))",
        LDAP_URL=slapd.ldaps_url,
        LDAP_CA_FILE=slapd.ca_file,
    )
    assert _login(app, "anna.schmidt", _password("anna.schmidt"))[0].status_code == 302
    assert _user(app, "anna.schmidt").role is Role.EDITOR
    assert WRONG in _login(app, "bernd.kaya", "falsch-falsch")[0].get_data(as_text=True)


def test_roles_from_a_group_search_instead_of_member_of(app):
    app.config.update(LDAP_GROUP_BASE=directory.GROUPS, LDAP_GROUP_FILTER="(member={dn})")
    assert _login(app, "bernd.kaya", _password("bernd.kaya"))[0].status_code == 302
    assert _user(app, "bernd.kaya").role is Role.ADMIN
    assert NO_GROUP in _login(app, "clara.wolf", _password("clara.wolf"))[0].get_data(as_text=True)


# --- rate limit and command line ------------------------------------------------------------------


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True}], indirect=True)
def test_the_login_rate_limit_counts_directory_logins(app):
    """The default limit (10 failed logins a minute per address and per name); the limit string
    stays the default: Flask-Limiter keeps a login view's limits across apps in one process."""
    client = app.test_client()
    for _ in range(10):
        assert WRONG in _post_login(client, "anna.schmidt", "falsch").get_data(as_text=True)
    blocked = _post_login(client, "anna.schmidt", _password("anna.schmidt"))
    assert blocked.status_code == 429 and "Zu viele" in blocked.get_data(as_text=True)
    assert _user(app, "anna.schmidt") is None


def test_ldap_sync_deactivates_whom_the_directory_dropped(app, runner, slapd):
    for name in ("anna.schmidt", "emil.ng"):
        assert _login(app, name, _password(name))[0].status_code == 302
    _set_groups(slapd, "emil.ng", remove=[directory.VIEWERS])
    try:
        result = runner.invoke(args=["ldap", "sync"])
        assert result.exit_code == 0, result.output
        assert "gesperrt: 1 (emil.ng)" in result.output
        assert _user(app, "emil.ng").active is False and _user(app, "anna.schmidt").active
    finally:
        _set_groups(slapd, "emil.ng", add=[directory.VIEWERS])
    result = runner.invoke(args=["ldap", "check", "bernd.kaya"])
    assert result.exit_code == 0, result.output
    assert "Rolle: admin" in result.output and directory.ADMINS in result.output
    assert runner.invoke(args=["ldap", "check", "niemand"]).exit_code == 1
