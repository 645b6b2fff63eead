"""Secret tokens (API, RSVP links, calendar feeds): long and random, stored as hashes where they
are secrets, revocable, and shown to nobody who should not have them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from netzwerk.extensions import db
from netzwerk.mail import queue
from netzwerk.workshops import feeds, services
from netzwerk.workshops import invitations as invites
from tests import factories
from tests.test_security_routes import (  # noqa: F401 - demo is a fixture
    DemoWorld,
    FreshWorld,
    checked_rules,
    demo,
    session_of,
    urls_for,
)

pytestmark = pytest.mark.usefixtures("fast_passwords")  # many logins, no password tested

URLSAFE = re.compile(r"[A-Za-z0-9_-]+")
MIN_RANDOM_CHARS = 32  # 32 url-safe characters carry 192 bits


def text_in_database(needle: str) -> list[str]:
    """Every table.column whose stored text contains `needle` (works on any database)."""
    hits = []
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            for column in table.columns:
                if not isinstance(column.type, sa.String | sa.Text):
                    continue
                found = conn.execute(
                    sa.select(sa.func.count())
                    .select_from(table)
                    .where(sa.cast(column, sa.Text).contains(needle, autoescape=True))
                ).scalar()
                if found:
                    hits.append(f"{table.name}.{column.name}")
    return hits


def database_bytes(app) -> bytes:
    """The SQLite file with its write-ahead log, as a thief with a copy would read them."""
    path = Path(db.engine.url.database)
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


def api_status(client, secret: str) -> int:
    return client.get("/api/actors", headers={"Authorization": f"Bearer {secret}"}).status_code


def new_token_on_profile_page(client, name: str = "Auswertung") -> str:
    response = client.post("/profil/tokens", data={"name": name, "csrf_token": client.csrf})
    assert response.status_code == 200
    match = re.search(r'<code class="token">([^<]+)</code>', response.get_data(as_text=True))
    assert match, "the new token is not shown"
    return match.group(1)


# --- API tokens --------------------------------------------------------------------------------


def test_api_token_is_shown_once_and_stored_only_as_a_hash(app, login):
    editor = login("editor")
    secret = new_token_on_profile_page(editor)
    assert api_status(editor, secret) == 200
    assert secret not in editor.get("/profil").get_data(as_text=True)  # shown once only
    with app.app_context():
        assert text_in_database(secret) == []
        assert text_in_database(secret[10:]) == []  # nor the part after the shown prefix


@pytest.mark.sqlite_only
def test_api_token_is_not_in_the_database_file(app, login):
    editor = login("editor")
    secret = new_token_on_profile_page(editor)
    with app.app_context():
        db.session.remove()
        raw = database_bytes(app)
    assert raw, "no database file found"
    assert secret.encode() not in raw
    assert secret[10:].encode() not in raw


def test_api_tokens_are_long_random_and_distinct(app, make_user):
    from netzwerk.auth.services import create_token, get_user

    make_user("robot", "viewer")
    with app.app_context():
        user = get_user("robot")
        secrets = [create_token(user, f"t{n}") for n in range(20)]
    assert len(set(secrets)) == 20
    for secret in secrets:
        random_part = secret.removeprefix("nzw_")
        assert URLSAFE.fullmatch(random_part), secret
        assert len(random_part) >= MIN_RANDOM_CHARS, secret


def test_revoked_token_stops_working_at_once(app, login):
    from netzwerk.auth.models import ApiToken

    editor = login("editor")
    secret = new_token_on_profile_page(editor)
    with app.app_context():
        token_id = db.session.scalar(sa.select(ApiToken.id))
    response = editor.post(
        f"/profil/tokens/{token_id}/widerrufen", data={"csrf_token": editor.csrf}
    )
    assert response.status_code == 302
    assert api_status(editor, secret) == 401
    assert "widerrufen" in editor.get("/profil").get_data(as_text=True)


def test_only_the_owner_or_an_admin_revokes_a_token(app, login):
    from netzwerk.auth.models import ApiToken

    owner = login("editor")
    secret = new_token_on_profile_page(owner)
    with app.app_context():
        token_id = db.session.scalar(sa.select(ApiToken.id))
    other = login("viewer")
    response = other.post(f"/profil/tokens/{token_id}/widerrufen", data={"csrf_token": other.csrf})
    assert response.status_code == 403
    assert api_status(owner, secret) == 200
    admin = login("admin")
    response = admin.post(f"/profil/tokens/{token_id}/widerrufen", data={"csrf_token": admin.csrf})
    assert response.status_code == 302
    assert api_status(owner, secret) == 401


def test_token_of_a_deactivated_user_stops_working(app, login):
    from netzwerk.auth.services import get_user, update_user

    editor = login("editor")
    secret = new_token_on_profile_page(editor)
    with app.app_context():
        update_user(get_user("editor-user"), active=False)
    assert api_status(editor, secret) == 401


# --- RSVP links and calendar feeds (workshops) -------------------------------------------------


@pytest.fixture
def invitations(app):
    """Ten invitations to one planned workshop: the workshop id and {invitation id: token}
    (each token derived as the mail does: the database holds only its hash)."""
    from netzwerk.workshops.models import Invitation
    from netzwerk.workshops.tokens import rsvp_token

    workshop_id = FreshWorld(app, None).workshop
    with app.app_context():
        actor = factories.actor()
        contact_ids = [factories.contact(actor).id for _ in range(10)]
        invites.add_invitations(services.get_workshop(workshop_id), contact_ids)
        rows = db.session.scalars(sa.select(Invitation)).all()
        return workshop_id, {row.id: rsvp_token(row) for row in rows}


def new_feed_url(client, topic_id: int | None = None) -> str:
    """Create or renew a feed as an editor; its address is shown on that page only."""
    data = {"csrf_token": client.csrf} | ({"topic_id": topic_id} if topic_id else {})
    response = client.post("/workshops/kalender/neu", data=data)
    assert response.status_code == 200
    match = re.search(r'<code class="token">[^<]*/kalender/([^<]+)\.ics</code>', response.text)
    assert match, "the new feed address is not shown"
    return match.group(1)


def test_rsvp_tokens_are_long_random_and_distinct(invitations):
    _, tokens = invitations
    assert len(set(tokens.values())) == len(tokens) == 10
    for token in tokens.values():
        assert URLSAFE.fullmatch(token) and len(token) >= MIN_RANDOM_CHARS, token


def test_withdrawn_invitation_link_stops_working(app, login, invitations):
    workshop_id, tokens = invitations
    invitation_id, token = next(iter(tokens.items()))
    anonymous = app.test_client()
    assert anonymous.get(f"/einladung/{token}").status_code == 200
    editor = login("editor")
    response = editor.post(
        f"/workshops/{workshop_id}/einladungen/{invitation_id}/entfernen",
        data={"csrf_token": editor.csrf},
    )
    assert response.status_code == 302
    assert anonymous.get(f"/einladung/{token}").status_code == 404
    assert anonymous.get(f"/einladung/{token}/termin.ics").status_code == 404


def test_a_guessed_rsvp_token_finds_nothing(app, invitations):
    _, tokens = invitations
    token = next(iter(tokens.values()))
    anonymous = app.test_client()
    for guess in (token[:-1], token[:-1] + ("A" if token[-1] != "A" else "B"), token.upper()):
        if guess != token:
            assert anonymous.get(f"/einladung/{guess}").status_code == 404


def test_calendar_feed_link_is_long_random_and_renewable(app, login):
    editor = login("editor")
    with app.app_context():
        old = feeds.create_feed(None).token
    assert URLSAFE.fullmatch(old) and len(old) >= MIN_RANDOM_CHARS
    anonymous = app.test_client()
    assert anonymous.get(f"/kalender/{old}.ics").status_code == 200
    new = new_feed_url(editor)  # "renew"
    assert new != old
    assert URLSAFE.fullmatch(new) and len(new) >= MIN_RANDOM_CHARS
    assert anonymous.get(f"/kalender/{old}.ics").status_code == 404
    assert anonymous.get(f"/kalender/{new}.ics").status_code == 200
    assert new not in editor.get("/workshops/kalender").text  # shown once only


@pytest.mark.usefixtures("demo")
def test_no_staff_page_or_api_answer_shows_an_rsvp_link_to_a_viewer(app, login):
    """With an invitee's link anyone can answer in their name; a viewer (read-only) must not
    find it anywhere. (Feed links are meant for every user and are left out.)"""
    cookie, _, user_id = session_of(app, login, "viewer")
    world = DemoWorld(app, user_id)
    token = world.rsvp_token
    world.batch  # noqa: B018 - the invitation mail is queued: its text holds the link
    leaks = []
    for rule, method in checked_rules(app):
        if method != "GET" or rule.rule.startswith(("/einladung/", "/kalender/")):
            continue
        for url in urls_for(app, rule, world):
            c = app.test_client()
            c.set_cookie("session", cookie)
            if token in c.get(url).get_data(as_text=True):
                leaks.append(url)
    assert not leaks, "a viewer sees an RSVP link on:\n" + "\n".join(leaks)


# RSVP tokens are HMAC(secret key, salt) and stored as SHA-256 only; queued mails hold a
# placeholder that delivery fills in (netzwerk/workshops/tokens.py). Feed tokens: hash only.


def test_rsvp_token_is_stored_only_as_a_hash(app, invitations):
    _, tokens = invitations
    with app.app_context():
        for token in tokens.values():
            assert text_in_database(token) == []


def invitation_tokens() -> list[str]:
    from netzwerk.workshops.models import Invitation
    from netzwerk.workshops.tokens import rsvp_token

    return [rsvp_token(inv) for inv in db.session.scalars(sa.select(Invitation))]


def _send_and_deliver(app, workshop_id: int) -> None:

    with app.app_context():
        batch, _ = invites.send_invitations(services.get_workshop(workshop_id))
        for token in invitation_tokens():
            assert text_in_database(token) == []  # queued: the mail holds a placeholder
        assert queue.deliver(batch=batch).sent == 10


def test_rsvp_links_of_queued_and_sent_mails_are_not_stored(app, invitations):
    workshop_id, tokens = invitations
    _send_and_deliver(app, workshop_id)
    with app.app_context():
        for token in tokens.values():
            assert text_in_database(token) == []
    outbox = Path(app.config["OUTBOX_DIR"])  # no SMTP server: the mails went to the outbox
    sent = "".join(p.read_text() for p in outbox.glob("*.eml"))
    assert all(token in sent.replace("=\r\n", "").replace("=\n", "") for token in tokens.values())


@pytest.mark.sqlite_only
def test_rsvp_and_feed_tokens_are_not_in_the_database_file(app, login, invitations):
    workshop_id, tokens = invitations
    _send_and_deliver(app, workshop_id)
    feed = new_feed_url(login("editor"))
    with app.app_context():
        db.session.remove()
        raw = database_bytes(app)
    assert raw, "no database file found"
    for token in [*tokens.values(), feed]:
        assert token.encode() not in raw
        assert token[:20].encode() not in raw and token[-20:].encode() not in raw


def test_feed_token_is_stored_only_as_a_hash(app, login):
    with app.app_context():
        token = feeds.create_feed(None).token
        assert text_in_database(token) == []
    renewed = new_feed_url(login("editor"))
    with app.app_context():
        assert text_in_database(renewed) == []
