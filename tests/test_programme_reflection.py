"""Reflection links (no login, one draft and one person, unguessable, stored as hashes,
expiring, revocable, rate-limited), comments per measure for the editor, the links and the
workshop protocol as mails through the queue, and the data-protection side of comments."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from netzwerk.core.timeutil import utcnow
from netzwerk.extensions import db
from netzwerk.mail import queue as mail
from netzwerk.mail.models import MailKind, MailMessage
from netzwerk.programme import drafts, reflection
from netzwerk.programme import services as programme
from netzwerk.programme.models import ReflectionComment, ReflectionLink
from netzwerk.workshops import invitations, notices, outcomes
from netzwerk.workshops import services as workshops
from netzwerk.workshops.models import Response
from tests import factories
from tests.conftest import csrf_token
from tests.workshops_support import body_text, plan, received, wait_for_batch

pytestmark = pytest.mark.usefixtures("fast_passwords")

PEOPLE = [
    {
        "name": "Anna Becker",
        "email": "anna@example.org",
        "actor": {"name": "Welthaus Aachen", "category": "eine-welt-gruppe"},
    },
    {
        "name": "Ben Schmitz",
        "email": "ben@example.org",
        "language": "en",
        "actor": {"name": "FB60 Vergabe", "category": "verwaltung"},
    },
]


@pytest.fixture
def draft_world(app):
    """A programme with two measures frozen as v1 and a reflection workshop with two invitees."""
    ws = plan(
        app,
        [dict(p, actor=dict(p["actor"])) for p in PEOPLE],
        phase="reflexionsworkshop",
        title="Reflexionsworkshop SDG 12",
    )
    with app.app_context():
        goal = programme.create_goal({"topic_id": ws["topic_id"], "title": "Fair beschaffen"})
        kaffee = programme.create_measure({"goal_id": goal.id, "title": "Fairer Kaffee"})
        kleidung = programme.create_measure({"goal_id": goal.id, "title": "Faire Dienstkleidung"})
        draft = drafts.freeze("für die Reflexion")
        return {**ws, "draft": draft.number, "kaffee": kaffee.id, "kleidung": kleidung.id}


def make_links(app, world, **kw):
    with app.app_context():
        links = reflection.create_links(
            drafts.get_draft(world["draft"]), workshops.get_workshop(world["id"]), kw.get("until")
        )
        return {link.invitation.name: (link.id, reflection.token(link)) for link in links}


def comment(client, token, measure_id, stance="zustimmung", text=""):
    return client.post(
        f"/programm/reflexion/{token}/massnahmen/{measure_id}",
        data={"csrf_token": csrf_token(client), "stance": stance, "text": text},
    )


def test_an_attendee_reads_the_draft_and_comments_without_an_account(app, draft_world, login):
    links = make_links(app, draft_world)
    _, token = links["Anna Becker"]
    reader = app.test_client()
    page = html.unescape(reader.get(f"/programm/reflexion/{token}").get_data(as_text=True))
    assert (
        "Guten Tag Anna Becker" in page
        and "Fairer Kaffee" in page
        and "Faire Dienstkleidung" in page
    )
    assert (
        comment(reader, token, draft_world["kaffee"], "zustimmung", "Gute Idee").status_code == 302
    )
    assert (
        comment(reader, token, draft_world["kleidung"], "bedenken", "<b>Zu teuer</b>").status_code
        == 302
    )
    # a second word on the same measure changes the first
    comment(reader, token, draft_world["kaffee"], "bedenken", "Doch lieber regional")
    page = reader.get(f"/programm/reflexion/{token}").get_data(as_text=True)
    assert "&lt;b&gt;Zu teuer&lt;/b&gt;" in page and "<b>Zu teuer" not in page
    assert "Doch lieber regional" in page and "Gute Idee" not in page
    # nothing to say is refused with a message at the measure
    empty = comment(reader, token, draft_world["kaffee"], "ohne", "")
    assert empty.status_code == 422 and "Bitte Zustimmung oder Bedenken" in html.unescape(
        empty.get_data(as_text=True)
    )
    # a measure of no draft of this link
    assert comment(reader, token, 99999, "bedenken", "x").status_code == 404

    ben = app.test_client()
    english = html.unescape(
        ben.get(f"/programm/reflexion/{links['Ben Schmitz'][1]}").get_data(as_text=True)
    )
    assert "Dear Ben Schmitz" in english  # his contact's language
    assert "Doch lieber regional" not in english  # another person's comments stay theirs

    editor = login("editor")
    v1 = html.unescape(
        editor.get(f"/programm/entwuerfe/v{draft_world['draft']}").get_data(as_text=True)
    )
    kaffee_part = v1.split("Fairer Kaffee")[1].split("Faire Dienstkleidung")[0]
    assert "Bedenken" in kaffee_part and "Anna Becker (Welthaus Aachen)" in kaffee_part
    assert "Doch lieber regional" in kaffee_part
    measure = html.unescape(
        editor.get(f"/programm/massnahmen/{draft_world['kleidung']}").get_data(as_text=True)
    )
    assert "<b>Zu teuer</b>" in measure and "Kommentare aus der Reflexion" in measure


def test_links_are_unguessable_stored_as_hashes_scoped_expiring_and_revocable(app, draft_world):
    links = make_links(app, draft_world)
    (anna_id, anna), (_, ben) = links["Anna Becker"], links["Ben Schmitz"]
    assert len(anna) == 43 and anna != ben
    with app.app_context():
        rows = [tuple(map(str, r)) for r in db.session.execute(sa.select(ReflectionLink.__table__))]
        assert not any(anna in cell for row in rows for cell in row)
    reader = app.test_client()
    assert reader.get(f"/programm/reflexion/{anna[:-1]}x").status_code == 404
    # scoped to one draft: a second draft gets other links; v1's link shows v1
    with app.app_context():
        programme.update_measure(
            programme.get_measure(draft_world["kaffee"]), {"title": "Kaffee neu"}
        )
        drafts.freeze("v2")
    page = reader.get(f"/programm/reflexion/{anna}").get_data(as_text=True)
    assert "Fairer Kaffee" in page and "Kaffee neu" not in page
    # expiry
    with app.app_context():
        link = db.session.get(ReflectionLink, anna_id)
        link.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    gone = reader.get(f"/programm/reflexion/{anna}")
    assert gone.status_code == 410 and "abgelaufen" in html.unescape(gone.get_data(as_text=True))
    assert comment(reader, anna, draft_world["kaffee"]).status_code == 410
    # revoking
    with app.app_context():
        link = next(
            lk
            for lk in reflection.links(drafts.get_draft(1))
            if lk.invitation.name == "Ben Schmitz"
        )
        reflection.revoke(link)
    assert reader.get(f"/programm/reflexion/{ben}").status_code == 410
    # with a new secret key the link is derived anew (as the next mail does) and the old one
    # stops working
    app.config["SECRET_KEY"] = "ein-anderer-schluessel"
    with app.app_context():
        link = db.session.get(ReflectionLink, anna_id)
        link.expires_at = utcnow() + timedelta(days=3)
        fresh = reflection.token(link)
        db.session.commit()
    assert fresh != anna
    assert reader.get(f"/programm/reflexion/{anna}").status_code == 404
    assert reader.get(f"/programm/reflexion/{fresh}").status_code == 200


def test_expiry_must_lie_in_the_future_and_within_a_year(app, draft_world, login):
    editor = login("editor")
    url = f"/programm/entwuerfe/v{draft_world['draft']}/reflexion"
    for day, words in (("2020-01-01", "in der Zukunft"), ("2099-01-01", "höchstens ein Jahr")):
        page = editor.post(
            url,
            data={"csrf_token": editor.csrf, "workshop_id": draft_world["id"], "expires_on": day},
        )
        assert page.status_code == 422 and words in html.unescape(page.get_data(as_text=True))
    ok = editor.post(
        url, data={"csrf_token": editor.csrf, "workshop_id": draft_world["id"], "expires_on": ""}
    )
    assert ok.status_code == 302
    listing = html.unescape(editor.get(url).get_data(as_text=True))
    assert "Anna Becker" in listing and "Ben Schmitz" in listing and "gültig" in listing


def test_a_comment_needs_the_csrf_token(app, draft_world):
    _, token = make_links(app, draft_world)["Anna Becker"]
    reader = app.test_client()
    reader.get(f"/programm/reflexion/{token}")
    response = reader.post(
        f"/programm/reflexion/{token}/massnahmen/{draft_world['kaffee']}",
        data={"stance": "bedenken", "text": "ohne Token"},
    )
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ReflectionComment.id))) == 0


# --- mails -----------------------------------------------------------------------------------


@pytest.fixture
def smtp_app(app, smtp_server):
    app.config["SMTP_URL"] = smtp_server.url
    return app


def test_the_links_go_out_by_mail_and_are_put_in_only_while_sending(
    smtp_app, smtp_server, draft_world, login
):
    links = make_links(smtp_app, draft_world)
    editor = login("editor")
    url = f"/programm/entwuerfe/v{draft_world['draft']}/reflexion/senden"
    with smtp_app.app_context():
        batch, counts = reflection.send_links(drafts.get_draft(draft_world["draft"]))
        assert counts == {"queued": 2, "blocked": []}
        raws = db.session.scalars(
            sa.select(MailMessage.raw).where(MailMessage.kind == MailKind.REFLECTION)
        ).all()
        assert all(token not in raw for raw in raws for _, token in links.values())
        report = mail.deliver(batch=batch)
        assert report.sent == 2
    messages = {m["To"].addresses[0].addr_spec: m for m in received(smtp_server)}
    anna = body_text(messages["anna@example.org"])
    assert f"/programm/reflexion/{links['Anna Becker'][1]}" in anna
    assert "Entwurf v1" in messages["anna@example.org"]["Subject"]
    ben = body_text(messages["ben@example.org"])
    assert "Dear Ben Schmitz" in ben and links["Ben Schmitz"][1] in ben
    # sending again sends nothing twice
    editor.post(url, data={"csrf_token": editor.csrf})
    with smtp_app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count(MailMessage.id)).where(
                    MailMessage.kind == MailKind.REFLECTION
                )
            )
            == 2
        )


def test_the_protocol_goes_to_the_participants_with_the_pdf(
    smtp_app, smtp_server, draft_world, login
):
    with smtp_app.app_context():
        workshop = workshops.get_workshop(draft_world["id"])
        for inv in workshop.invitations:
            inv.response = Response.ACCEPTED
        db.session.commit()
        invitations.record_attendance(workshop, {inv.id for inv in workshop.invitations})
        outcomes.create_outcome(
            workshop,
            {
                "kind": "ziel",
                "topic_id": draft_world["topic_id"],
                "text": "Faire Kriterien <script>x</script>",
                "votes": 5,
            },
        )
    editor = login("editor")
    response = editor.post(
        f"/workshops/{draft_world['id']}/protokoll/senden", data={"csrf_token": editor.csrf}
    )
    assert response.status_code == 302 and "/versand/" in response.headers["Location"]
    wait_for_batch(editor, response.headers["Location"] + ".json")
    messages = received(smtp_server)
    assert sorted(m["To"].addresses[0].addr_spec for m in messages) == [
        "anna@example.org",
        "ben@example.org",
    ]
    by_to = {m["To"].addresses[0].addr_spec: m for m in messages}
    anna = by_to["anna@example.org"]
    assert anna["Subject"] == "Protokoll: Reflexionsworkshop SDG 12"
    assert "Faire Kriterien <script>x</script>" in body_text(anna)
    html_part = anna.get_body(preferencelist=("html",)).get_content()
    assert "&lt;script&gt;x&lt;/script&gt;" in html_part and "<script>x" not in html_part
    attachments = list(anna.iter_attachments())
    assert [a.get_filename() for a in attachments] == [f"protokoll-{draft_world['id']}.pdf"]
    assert attachments[0].get_content().startswith(b"%PDF")
    assert by_to["ben@example.org"]["Subject"] == "Minutes: Reflexionsworkshop SDG 12"
    # a second sending after changes is a new message; nothing is sent twice by retrying
    with smtp_app.app_context():
        batch, counts = notices.send_protocol(workshops.get_workshop(draft_world["id"]))
        assert counts["queued"] == 2
        assert mail.deliver(batch=batch).sent == 2
        assert mail.deliver(batch=batch).sent == 0


def test_no_protocol_mail_without_participants(app, login):
    ws = plan(app, [{"name": "Cem", "email": "cem@example.org"}])
    editor = login("editor")
    page = editor.post(
        f"/workshops/{ws['id']}/protokoll/senden",
        data={"csrf_token": editor.csrf},
        follow_redirects=True,
    )
    assert "bitte zuerst die Anwesenheit erfassen" in html.unescape(page.get_data(as_text=True))


# --- data protection -------------------------------------------------------------------------


def test_access_and_erasure_cover_the_comments(app, draft_world, login):
    from netzwerk.exchange import privacy

    links = make_links(app, draft_world)
    _, token = links["Anna Becker"]
    comment(app.test_client(), token, draft_world["kaffee"], "bedenken", "Persönliche Meinung")
    with app.app_context():
        contact = db.session.get(factories.actors.Contact, draft_world["contact_ids"][0])
        export = privacy.subject_data(contact)
        text = str(export)
        assert "Persönliche Meinung" in text and "reflection" in text
        privacy.erase_contact(contact)
        item = db.session.scalar(sa.select(ReflectionComment))
        assert item.text == "" and item.stance.value == "bedenken"
    assert app.test_client().get(f"/programm/reflexion/{token}").status_code in (404, 410)
    page = html.unescape(
        login("editor").get(f"/programm/entwuerfe/v{draft_world['draft']}").get_data(as_text=True)
    )
    assert "Persönliche Meinung" not in page
    assert re.search(r"Bedenken", page)
