"""Workshop outcomes: statements with topic, actors and dot votes; a confirmed commitment
creates the topic role or relation it implies; a named organisation becomes a candidate;
follow-ups with owner and date; the protocol as page, DOCX and PDF."""

from __future__ import annotations

import html
import io
import subprocess
import zipfile

import pytest
import sqlalchemy as sa

from netzwerk.actors.models import Actor, Relation
from netzwerk.audit.models import AuditEntry
from netzwerk.extensions import db
from netzwerk.topics.models import ActorTopic
from netzwerk.workshops import invitations, outcomes, services
from netzwerk.workshops.models import Outcome, Response, WorkshopStatus
from tests.workshops_support import plan

pytestmark = pytest.mark.usefixtures("fast_passwords")

PEOPLE = [
    {"name": "Anna Becker", "actor": {"name": "FB60 Vergabe", "category": "verwaltung"}},
    {"name": "Ben Schmitz", "actor": {"name": "Welthaus Aachen", "category": "eine-welt-gruppe"}},
    {"name": "Clara Wolff", "actor": {"name": "Couven-Gymnasium", "category": "schule"}},
    {"name": "Dirk Ohne", "actor": {"name": "Weltladen", "category": "weltladen"}},
]


@pytest.fixture
def held(app):
    """A focus group with four invitees, three of them present."""
    ws = plan(app, [dict(p, actor=dict(p["actor"])) for p in PEOPLE])
    with app.app_context():
        workshop = services.get_workshop(ws["id"])
        for inv in workshop.invitations:
            inv.response = Response.ACCEPTED
        db.session.commit()
        present = {inv.id for inv in workshop.invitations if inv.name != "Dirk Ohne"}
        invitations.record_attendance(workshop, present)
        ws["actors"] = {a.name: a.id for a in db.session.scalars(sa.select(Actor)).all()}
    return ws


def post_outcome(client, ws, **data):
    form = {
        "csrf_token": client.csrf,
        "outcome-kind": "ziel",
        "outcome-topic_id": str(ws["topic_id"]),
        "outcome-text": "",
        "outcome-votes": "0",
    }
    form.update({f"outcome-{k}": v for k, v in data.items()})
    return client.post(f"/workshops/{ws['id']}/aussagen/neu", data=form)


def test_editor_records_outcomes_with_topic_actors_and_votes(app, held, login):
    editor = login("editor")
    response = post_outcome(
        editor,
        held,
        kind="zusage",
        text="FB60 prüft faire Kriterien für Dienstkleidung",
        votes="7",
        actor_ids=[str(held["actors"]["FB60 Vergabe"])],
    )
    assert response.status_code == 302
    post_outcome(
        editor, held, kind="massnahmenidee", text="Fairer Kaffee in allen Kantinen", votes="12"
    )
    post_outcome(editor, held, kind="problem", text="Vergaberecht wirkt abschreckend", votes="3")

    # bad input: no text, negative votes, unknown actor, no topic → field errors, nothing saved
    for data, words in (
        ({"text": ""}, "Dieses Feld wird benötigt."),
        ({"text": "x", "votes": "-2"}, "mindestens 0"),
        ({"text": "x", "topic_id": "0"}, "Das Thema fehlt."),
    ):
        page = post_outcome(editor, held, **data)
        assert page.status_code == 422
        assert words in html.unescape(page.get_data(as_text=True)), data
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Outcome.id))) == 3

    page = html.unescape(
        login("viewer").get(f"/workshops/{held['id']}/aussagen").get_data(as_text=True)
    )
    goals = page.index("<h3>Maßnahmenidee</h3>")
    assert page.index("<h3>Problem</h3>") > goals and page.index("<h3>Zusage</h3>") > goals
    assert "Fairer Kaffee in allen Kantinen" in page and ">12<" in page
    assert "Zusage übernehmen" not in page  # a viewer sees, but does not act


def test_a_confirmed_commitment_creates_the_topic_role_it_implies(app, held, login):
    fb60 = held["actors"]["FB60 Vergabe"]
    with app.app_context():
        outcome = outcomes.create_outcome(
            services.get_workshop(held["id"]),
            {
                "kind": "zusage",
                "topic_id": held["topic_id"],
                "text": "FB60 prüft faire Kriterien für Dienstkleidung",
                "actor_ids": [fb60],
                "votes": 4,
            },
        )
        outcome_id = outcome.id
    editor = login("editor")
    url = f"/workshops/{held['id']}/aussagen/{outcome_id}/uebernehmen"
    form = editor.get(url).get_data(as_text=True)
    assert "FB60 Vergabe" in form
    response = editor.post(
        url,
        data={
            "csrf_token": editor.csrf,
            "what": "role",
            "actor_id": fb60,
            "role": "federfuehrend",
            "target_id": 0,
            "kind": "kooperation",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        link = db.session.scalar(sa.select(ActorTopic).where(ActorTopic.actor_id == fb60))
        assert link.topic_id == held["topic_id"] and link.role.value == "federfuehrend"
        assert "FB60 prüft faire Kriterien" in link.note
        outcome = db.session.get(Outcome, outcome_id)
        assert outcome.applied_at is not None
        assert outcome.applied_note.startswith("Themenrolle: FB60 Vergabe")
        assert db.session.scalar(
            sa.select(AuditEntry).where(
                AuditEntry.entity == "outcome", AuditEntry.action == "apply"
            )
        )
    # a second confirmation is refused, the page no longer offers it
    again = editor.post(
        url,
        data={
            "csrf_token": editor.csrf,
            "what": "role",
            "actor_id": fb60,
            "role": "mitwirkend",
            "target_id": 0,
            "kind": "kooperation",
        },
    )
    assert again.status_code == 200 and "schon übernommen" in html.unescape(
        again.get_data(as_text=True)
    )


def test_a_commitment_can_create_a_relation_instead(app, held, login):
    fb60, welthaus = held["actors"]["FB60 Vergabe"], held["actors"]["Welthaus Aachen"]
    with app.app_context():
        outcome_id = outcomes.create_outcome(
            services.get_workshop(held["id"]),
            {"kind": "zusage", "topic_id": held["topic_id"], "text": "Welthaus berät FB60"},
        ).id
    editor = login("editor")
    url = f"/workshops/{held['id']}/aussagen/{outcome_id}/uebernehmen"
    missing = editor.post(
        url,
        data={
            "csrf_token": editor.csrf,
            "what": "relation",
            "actor_id": welthaus,
            "role": "mitwirkend",
            "target_id": 0,
            "kind": "kooperation",
        },
    )
    assert "Bitte den anderen Akteur der Beziehung wählen." in html.unescape(
        missing.get_data(as_text=True)
    )
    editor.post(
        url,
        data={
            "csrf_token": editor.csrf,
            "what": "relation",
            "actor_id": welthaus,
            "role": "mitwirkend",
            "target_id": fb60,
            "kind": "kooperation",
        },
    )
    with app.app_context():
        relation = db.session.scalar(sa.select(Relation))
        assert (relation.source_id, relation.target_id, relation.kind.value) == (
            welthaus,
            fb60,
            "kooperation",
        )


def test_an_organisation_named_in_the_room_becomes_a_candidate(app, held, login):
    with app.app_context():
        outcome_id = outcomes.create_outcome(
            services.get_workshop(held["id"]),
            {
                "kind": "massnahmenidee",
                "topic_id": held["topic_id"],
                "text": "Kantinen-Caterer einbinden",
                "named_organisation": "Mensa-Catering GmbH",
            },
        ).id
    editor = login("editor")
    url = f"/workshops/{held['id']}/aussagen/{outcome_id}/kandidat"
    assert "Mensa-Catering GmbH" in editor.get(url).get_data(as_text=True)
    no_category = editor.post(
        url, data={"csrf_token": editor.csrf, "name": "Mensa-Catering GmbH", "category": ""}
    )
    assert no_category.status_code == 200
    response = editor.post(
        url,
        data={"csrf_token": editor.csrf, "name": "Mensa-Catering GmbH", "category": "wirtschaft"},
    )
    assert response.status_code == 302
    with app.app_context():
        actor = db.session.scalar(sa.select(Actor).where(Actor.name == "Mensa-Catering GmbH"))
        assert actor.status.value == "kandidat"
        assert [(link.topic_id, link.role.value) for link in actor.topic_links] == [
            (held["topic_id"], "interessiert")
        ]
        outcome = db.session.get(Outcome, outcome_id)
        assert outcome.named_organisation == "" and actor in outcome.actors


def test_follow_ups_need_what_and_who(app, held, login):
    editor = login("editor")
    base = {
        "csrf_token": editor.csrf,
        "task-text": "",
        "task-owner_actor_id": "0",
        "task-owner": "",
        "task-due_on": "",
    }
    url = f"/workshops/{held['id']}/aufgaben/neu"
    page = editor.post(url, data=base | {"task-text": "Kriterien prüfen"})
    assert page.status_code == 422
    assert "Wer kümmert sich?" in html.unescape(page.get_data(as_text=True))
    page = editor.post(
        url,
        data=base | {"task-text": "Kriterien prüfen", "task-owner": "x", "task-due_on": "morgen"},
    )
    assert page.status_code == 422
    ok = editor.post(
        url,
        data=base
        | {
            "task-text": "Kriterien prüfen",
            "task-owner_actor_id": str(held["actors"]["FB60 Vergabe"]),
            "task-owner": "Frau Kern",
            "task-due_on": "2030-03-31",
        },
    )
    assert ok.status_code == 302
    page = html.unescape(editor.get(f"/workshops/{held['id']}/aussagen").get_data(as_text=True))
    assert "FB60 Vergabe – Frau Kern" in page and "31.03.2030" in page


def fill_protocol(app, held):
    with app.app_context():
        workshop = services.get_workshop(held["id"])
        workshop.agenda = "1. Bestandsaufnahme\n2. Ziele <b>fett</b>"
        db.session.commit()
        for kind, text, votes in (
            ("ziel", "Faire Beschaffung verankern", 9),
            ("massnahmenidee", "Fairer Kaffee in allen Kantinen", 12),
            ("massnahmenidee", '<script>alert("x")</script>', 1),
            ("zusage", "FB60 prüft faire Kriterien für Dienstkleidung", 7),
        ):
            outcomes.create_outcome(
                workshop,
                {
                    "kind": kind,
                    "topic_id": held["topic_id"],
                    "text": text,
                    "votes": votes,
                    "actor_ids": [held["actors"]["FB60 Vergabe"]],
                },
            )
        outcomes.create_follow_up(
            workshop,
            {
                "text": "Kriterien prüfen",
                "owner_actor_id": held["actors"]["FB60 Vergabe"],
                "due_on": "2030-03-31",
            },
        )


def test_protocol_page_lists_participants_by_sector_outcomes_and_follow_ups(app, held, login):
    fill_protocol(app, held)
    page = login("viewer").get(f"/workshops/{held['id']}/protokoll").get_data(as_text=True)
    assert "&lt;script&gt;" in page and "<script>alert" not in page
    text = html.unescape(page)
    assert "3 Personen aus 3 Organisationen" in text  # the absent one does not count
    assert "Dirk Ohne" not in text and "Anna Becker" not in text  # organisations, not people
    for words in (
        "Verwaltung",
        "FB60 Vergabe",
        "Zivilgesellschaft",
        "Welthaus Aachen",
        "Bildung/Wissenschaft",
        "Couven-Gymnasium",
        "1. Bestandsaufnahme",
        "Fairer Kaffee in allen Kantinen",
        "Kriterien prüfen",
        "31.03.2030",
    ):
        assert words in text, words
    # measure ideas sorted by votes: 12 before 1
    assert text.index("Fairer Kaffee") < text.index('<script>alert("x")</script>')


def pdf_text(data: bytes) -> str:
    result = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    )
    return result.stdout.decode("utf-8")


def docx_text(data: bytes) -> str:
    from docx import Document

    document = Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


@pytest.fixture
def pdftotext():
    import os
    import shutil

    if shutil.which("pdftotext") is None:
        if os.environ.get("CI"):
            pytest.fail("pdftotext is missing on CI: .ci/run must install poppler-utils")
        pytest.skip("PDF TEXT CHECKS SKIPPED: pdftotext missing (apt-get install poppler-utils)")


def test_protocol_as_docx_and_pdf(app, held, login, pdftotext):
    fill_protocol(app, held)
    viewer = login("viewer")
    docx = viewer.get(f"/workshops/{held['id']}/protokoll.docx")
    assert docx.status_code == 200
    assert docx.headers["Content-Disposition"].startswith("attachment; filename=protokoll-")
    assert docx.mimetype.endswith("wordprocessingml.document")
    zipfile.ZipFile(io.BytesIO(docx.data)).testzip()
    text = docx_text(docx.data)
    for words in (
        "Protokoll: Fokusgruppe SDG 12",
        "Teilnehmende nach Sektor",
        "FB60 Vergabe",
        "Fairer Kaffee in allen Kantinen",
        '<script>alert("x")</script>',
        "Kriterien prüfen",
    ):
        assert words in text, words
    pdf = viewer.get(f"/workshops/{held['id']}/protokoll.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    text = pdf_text(pdf.data)
    for words in (
        "Protokoll: Fokusgruppe SDG 12",
        "Teilnehmende nach Sektor",
        "Welthaus Aachen",
        "Fairer Kaffee in allen Kantinen",
        "Kriterien prüfen",
        "31.03.2030",
    ):
        assert words in text, words
    english = pdf_text(viewer.get(f"/workshops/{held['id']}/protokoll.pdf?lang=en").data)
    assert "Minutes: Fokusgruppe SDG 12" in english and "Participants by sector" in english


def test_deleting_a_workshop_takes_its_outcomes(app, held):
    with app.app_context():
        workshop = services.get_workshop(held["id"])
        outcomes.create_outcome(
            workshop, {"kind": "ziel", "topic_id": held["topic_id"], "text": "Z"}
        )
        workshop.status = WorkshopStatus.CANCELLED
        db.session.commit()
        services.delete_workshop(workshop)
        assert db.session.scalar(sa.select(sa.func.count(Outcome.id))) == 0
