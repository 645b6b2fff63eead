"""The public token pages and the limits around them (issue 14, items 9 and 10)."""

from __future__ import annotations

from netzwerk.extensions import db
from netzwerk.workshops import services
from netzwerk.workshops.models import Workshop
from tests.conftest import csrf_token
from tests.workshops_support import invitation_token, plan, send

ANNA = {"name": "Anna Becker", "email": "anna@example.org"}


def withdrawn_link(app) -> str:
    ws = plan(app, [dict(ANNA)])
    send(app, ws["id"])  # sent: withdrawing keeps the row (removed) and mails a CANCEL
    token = invitation_token(app, ws["id"], ws["contact_ids"][0])
    with app.app_context():
        invitation = db.session.get(Workshop, ws["id"]).invitations[0]
        services.remove_invitation(invitation)
        assert invitation.removed_at is not None
    return token


def test_a_withdrawn_invitation_shows_only_that(app, client):
    """The link still showed the workshop and termin.ics a CONFIRMED event."""
    token = withdrawn_link(app)
    for url in (f"/einladung/{token}", f"/einladung/{token}/termin.ics"):
        response = client.get(url)
        text = response.get_data(as_text=True)
        assert response.status_code == 410, url
        assert "Einladung zurückgezogen" in text
        for detail in ("Fokusgruppe", "Faire Beschaffung", "hybrid", "VEVENT", "CONFIRMED"):
            assert detail not in text, (url, detail)
    vote = client.get(f"/einladung/{token}/umfrage")
    assert vote.status_code == 410 and "Fokusgruppe" not in vote.get_data(as_text=True)
    answer = client.post(
        f"/einladung/{token}", data={"response": "accepted", "csrf_token": csrf_token(client)}
    )
    assert answer.status_code == 410
