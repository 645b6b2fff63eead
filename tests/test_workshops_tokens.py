"""RSVP links are derived, not stored: the queued mail holds a placeholder that delivery fills
in, byte for byte as if the link had been composed into it; a new salt kills a link; a changed
secret key leaves mailed links working until the next mail brings a new one."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
import sqlalchemy as sa

from netzwerk.extensions import db
from netzwerk.mail import links, queue
from netzwerk.mail.models import MailKind, MailMessage
from netzwerk.workshops import compose, invitations, services, tokens
from netzwerk.workshops.models import Invitation, Workshop
from tests.workshops_support import body_text, invitation_token, plan, received, send

ANNA = {"name": "Änne Kessler", "email": "a.kessler@example.org"}
BEN = {"name": "Ben Schmitz", "email": "ben@example.org"}
BOUNDARY = re.compile(r"={15}\d+==")  # MIME boundaries are random on every composition


def same_but_boundaries(a: str, b: str) -> bool:
    return BOUNDARY.sub("B", a) == BOUNDARY.sub("B", b)


def test_a_filled_message_is_exactly_the_message_composed_with_the_link(app, monkeypatch):
    """Every base URL length from 0 to 79 extra characters puts the token at another place of
    the quoted-printable lines, the iCalendar folding and the base64 attachment."""
    ws = plan(app, [dict(ANNA)], title="Fokusgruppe Ökologische Beschaffung – Aachen")
    monkeypatch.setattr(compose, "utcnow", lambda: datetime(2029, 12, 1, 9, 30))
    split = 0
    with app.app_context():
        invitation = db.session.get(Workshop, ws["id"]).invitations[0]
        token = tokens.rsvp_token(invitation)
        for extra in range(80):
            app.config["BASE_URL"] = "https://netzwerk.aachen.example/" + "k" * extra
            for kind in (MailKind.REQUEST, MailKind.POLL, MailKind.CANCEL):
                stored = compose.compose(invitation, kind, 0).raw
                assert token not in stored
                split += links.PLACEHOLDER not in stored
                with monkeypatch.context() as m:
                    m.setattr(links, "PLACEHOLDER", token)
                    direct = compose.compose(invitation, kind, 0).raw
                assert same_but_boundaries(links.fill(stored, token), direct), (extra, kind)
    assert split, "the placeholder was never broken over two lines: the test proves too little"


def test_the_sent_mail_carries_a_working_link_the_queue_does_not(app, smtp_server, client):
    app.config["SMTP_URL"] = smtp_server.url
    ws = plan(app, [dict(ANNA)])
    token = invitation_token(app, ws["id"], ws["contact_ids"][0])
    with app.app_context():
        batch, _ = invitations.send_invitations(services.get_workshop(ws["id"]))
        (queued,) = db.session.scalars(sa.select(MailMessage)).all()
        assert token not in queued.raw and links.PLACEHOLDER[:10] in queued.raw
        first = queue.wire_bytes(queued)
        assert queue.wire_bytes(queued) == first  # a retry sends the same bytes
        assert queue.deliver(batch=batch).sent == 1
        assert token not in db.session.scalar(sa.select(MailMessage.raw))
    (message,) = received(smtp_server)
    assert smtp_server.messages[0].content.replace(b"\r\n", b"\n") == first.replace(b"\r\n", b"\n")
    link = re.search(r"http://127\.0\.0\.1/einladung/(\S+)", body_text(message))[1]
    assert link == token
    assert client.get(f"/einladung/{link}").status_code == 200
    assert client.get(f"/einladung/{links.PLACEHOLDER}").status_code == 404


def test_inviting_again_after_a_withdrawal_gives_a_new_link(app, client, smtp_server):
    app.config["SMTP_URL"] = smtp_server.url
    ws = plan(app, [dict(ANNA)])
    send(app, ws["id"])
    old = invitation_token(app, ws["id"], ws["contact_ids"][0])
    with app.app_context():
        workshop = services.get_workshop(ws["id"])
        invitations.remove_invitation(workshop.invitations[0])  # sent: kept as withdrawn
    assert "zurückgezogen" in client.get(f"/einladung/{old}").get_data(as_text=True)
    with app.app_context():
        invitations.add_invitations(services.get_workshop(ws["id"]), ws["contact_ids"])
    new = invitation_token(app, ws["id"], ws["contact_ids"][0])
    assert new != old
    assert client.get(f"/einladung/{old}").status_code == 404
    assert client.get(f"/einladung/{old}/termin.ics").status_code == 404
    assert client.get(f"/einladung/{new}").status_code == 200


def test_a_changed_secret_key_keeps_mailed_links_until_the_next_mail(app, smtp_server, client):
    app.config["SMTP_URL"] = smtp_server.url
    ws = plan(app, [dict(ANNA), dict(BEN)])
    send(app, ws["id"])
    old = invitation_token(app, ws["id"], ws["contact_ids"][0])
    app.config["SECRET_KEY"] = "a-new-secret-key"
    assert client.get(f"/einladung/{old}").status_code == 200  # the link in the inbox works
    smtp_server.messages.clear()
    with app.app_context():
        workshop = services.get_workshop(ws["id"])
        batch = services.update_workshop(workshop, {"location": "Rathaus, Krönungssaal"})
        assert queue.deliver(batch=batch).sent == 2
    links = {
        m["To"].addresses[0].addr_spec: re.search(r"/einladung/(\S+)", body_text(m))[1]
        for m in received(smtp_server)
    }
    new = links[ANNA["email"]]
    assert new != old
    assert client.get(f"/einladung/{new}").status_code == 200  # the newest mail's link works
    assert client.get(f"/einladung/{old}").status_code == 404
    assert new == invitation_token(app, ws["id"], ws["contact_ids"][0])


@pytest.mark.parametrize("guess", ["x" * 43, links.PLACEHOLDER])
def test_odd_tokens_find_nothing(app, client, guess):
    plan(app, [dict(ANNA)])
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Invitation.id))) == 1
    assert client.get(f"/einladung/{guess}").status_code == 404
