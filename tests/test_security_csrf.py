"""Every state-changing route refuses a request without a valid CSRF token, walked from the URL
map like the authorization test; requests with an API token (Bearer) need none."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from netzwerk.extensions import db
from tests.test_security_routes import (
    CSRF_MESSAGE,
    WRITE_LET_THROUGH,
    WRITES,
    FreshWorld,
    checked_rules,
    session_of,
    urls_for,
)

pytestmark = pytest.mark.usefixtures("fast_passwords")  # many logins, no password tested


def all_rows() -> dict[str, int]:
    """Rows per table, the audit log included: every change through a service writes one."""
    tables = db.metadata.sorted_tables
    query = sa.union_all(
        *(sa.select(sa.literal(t.name), sa.func.count()).select_from(t) for t in tables)
    )
    with db.engine.connect() as conn:
        return dict(conn.execute(query).all())


def write_urls(app, user_id: int, api_only: bool = False):
    """(method, url, is_api) of every state-changing route, each with fresh objects."""
    for rule, method in checked_rules(app):
        is_api = rule.rule.startswith("/api/") or rule.endpoint.startswith("api.")
        if method not in WRITES or (api_only and not is_api):
            continue
        for url in urls_for(app, rule, FreshWorld(app, user_id)):
            yield method, url, is_api


def test_every_state_change_refuses_a_missing_or_wrong_csrf_token(app, login):
    """As admin, who passes every role check, so the token is all that stops the request."""
    cookie, token, admin_id = session_of(app, login, "admin")
    _, foreign_token, _ = session_of(app, login, "editor")
    variants = {
        "no token": None,
        "a made-up token": "IjEyMzQ1Njc4OTAi.Zm9v.YmFy",
        "another session's token": foreign_token,
    }
    failures = []
    checks = 0
    for method, url, is_api in write_urls(app, admin_id):
        for what, sent in variants.items():
            c = app.test_client()
            c.set_cookie("session", cookie)
            with app.app_context():
                before = all_rows()
            if is_api:
                headers = {"X-CSRFToken": sent} if sent else {}
                response = c.open(url, method=method, json={"name": "x"}, headers=headers)
            else:
                data = {"csrf_token": sent} if sent else {}
                response = c.open(url, method=method, data=data)
            checks += 1
            with app.app_context():
                after = all_rows()
            body = response.get_data(as_text=True)
            if response.status_code != 400 or CSRF_MESSAGE not in body:
                failures.append(f"{method} {url} with {what}: got {response.status_code}")
            if after != before:
                changed = {t: (before[t], after[t]) for t in after if after[t] != before[t]}
                failures.append(f"{method} {url} with {what}: rows changed {changed}")
            if is_api and not response.is_json:
                failures.append(f"{method} {url} with {what}: answer is not JSON")
    print(f"\nCSRF: {checks} refused requests checked")
    assert checks > 0
    assert not failures, "\n".join(failures)


def test_api_token_requests_need_no_csrf_token(app, api_token):
    """A foreign site cannot send an Authorization header, so Bearer requests are exempt."""
    from netzwerk.auth.models import User

    headers = api_token("admin")
    with app.app_context():
        admin_id = db.session.scalar(sa.select(User.id).where(User.username == "api-admin"))
    failures = []
    checks = 0
    for method, url, _ in write_urls(app, admin_id, api_only=True):
        response = app.test_client().open(url, method=method, json={}, headers=headers)
        checks += 1
        body = response.get_data(as_text=True)
        if CSRF_MESSAGE in body or response.status_code not in WRITE_LET_THROUGH:
            failures.append(f"{method} {url}: got {response.status_code} {body[:120]}")
    assert checks > 0
    assert not failures, "\n".join(failures)


def test_a_made_up_bearer_header_does_not_skip_the_csrf_check_for_a_session(app, login):
    """A session cookie plus any "Bearer ..." header skips the CSRF check, so the session must not
    count then: the request is anonymous (401) and changes nothing."""
    cookie, _, admin_id = session_of(app, login, "admin")
    failures = []
    for method, url, _ in write_urls(app, admin_id, api_only=True):
        c = app.test_client()
        c.set_cookie("session", cookie)
        with app.app_context():
            before = all_rows()
        response = c.open(url, method=method, json={}, headers={"Authorization": "Bearer x"})
        with app.app_context():
            after = all_rows()
        if response.status_code != 401 or after != before:
            failures.append(f"{method} {url}: got {response.status_code}")
    assert not failures, "\n".join(failures)


def test_the_same_request_with_the_token_goes_through(app, login):
    """The refusals above are the token's doing: with it, a delete is carried out."""
    from netzwerk.actors.models import Actor

    c = login("editor")
    world = FreshWorld(app, None)
    url = f"/akteure/{world.actor}/loeschen"
    assert c.post(url, data={}).status_code == 400
    with app.app_context():
        assert db.session.get(Actor, world.actor) is not None
    assert c.post(url, data={"csrf_token": c.csrf}).status_code == 302
    with app.app_context():
        assert db.session.get(Actor, world.actor) is None
