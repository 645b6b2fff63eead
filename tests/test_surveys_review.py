"""What respondents answer and what becomes of it: saving and coming back, the review queue
(grouped nominations with fuzzy duplicates, corrections as a diff), decisions written through
the normal services with their source in the audit trail, and what the analysis shows (named
missing actors in /api/gaps and on /luecken, reciprocity, response rates), data protection."""

from __future__ import annotations

import sqlalchemy as sa

from netzwerk.actors.models import Actor, Relation
from netzwerk.audit.models import AuditEntry
from netzwerk.extensions import db
from netzwerk.surveys import review, services, tokens
from netzwerk.surveys.models import ProposalKind, ProposalStatus, SurveyProposal
from tests import factories
from tests.surveys_support import answer, make_survey, network, send


def links(app, survey_id: int) -> dict[str, str]:
    """actor name → the personal link token of its recipient."""
    with app.app_context():
        return {
            r.actor.name: tokens.link_token(r) for r in services.get_survey(survey_id).recipients
        }


def proposals(app, kind: ProposalKind) -> list[SurveyProposal]:
    with app.app_context():
        rows = db.session.scalars(
            sa.select(SurveyProposal).where(SurveyProposal.kind == kind).order_by(SurveyProposal.id)
        ).all()
        for p in rows:
            db.session.expunge(p)
        return rows


def decide(editor, proposal_id: int, action: str, **data):
    return editor.post(
        f"/befragungen/vorschlaege/{proposal_id}/{action}",
        data={"csrf_token": editor.csrf, **data},
        follow_redirects=True,
    )


def test_an_answer_is_saved_and_the_respondent_can_come_back_and_change_it(app, client):
    data = network(app)
    survey_id = make_survey(app, data)
    token = links(app, survey_id)["Stadtverwaltung Aachen"]
    response = answer(
        client,
        token,
        data["topic"],
        partners=[
            ("RWTH Aachen", "kooperation", "3"),
            ("Weltladen Burtscheid", "information", "1"),
        ],
        nominations=[("Fairtrade-Steuerungsgruppe", "eine-welt-netzwerk", "koordiniert alles")],
        comment="Gerne wieder.",
    )
    assert response.status_code == 302
    page = client.get(f"/befragung/{token}").get_data(as_text=True)
    assert "Danke! Ihre Antwort ist gespeichert." in page
    assert 'value="RWTH Aachen"' in page and 'value="Weltladen Burtscheid"' in page
    assert 'value="Fairtrade-Steuerungsgruppe"' in page and "Gerne wieder." in page
    # nothing changed in the network yet
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Relation.id))) == 0
    # coming back: one partner less
    answer(client, token, data["topic"], partners=[("RWTH Aachen", "kooperation", "2")])
    page = client.get(f"/befragung/{token}").get_data(as_text=True)
    assert 'value="Weltladen Burtscheid"' not in page
    standing = [
        p for p in proposals(app, ProposalKind.RELATION) if p.status != ProposalStatus.WITHDRAWN
    ]
    assert [(p.name or "RWTH Aachen", p.strength) for p in standing] == [("RWTH Aachen", 2)]


def test_a_partner_naming_oneself_is_a_field_error_and_nothing_is_saved(app, client):
    data = network(app)
    survey_id = make_survey(app, data)
    token = links(app, survey_id)["RWTH Aachen"]
    response = answer(client, token, data["topic"], partners=[("RWTH Aachen", "kooperation", "2")])
    assert response.status_code == 400
    assert "Das ist Ihre eigene Organisation" in response.get_data(as_text=True)
    assert proposals(app, ProposalKind.RELATION) == []


def test_nominations_are_grouped_with_named_by_n_and_likely_duplicates_offered(app, client, login):
    data = network(app)
    with app.app_context():
        factories.actor(name="Welthaus Aachen", category="eine-welt-gruppe")
    survey_id = make_survey(app, data)
    tokens_by_name = links(app, survey_id)
    for name, spelling in (
        ("Stadtverwaltung Aachen", "Misereor"),
        ("Eine Welt Forum Aachen", "MISEREOR e.V."),
        ("RWTH Aachen", "Misereor"),
    ):
        answer(
            client,
            tokens_by_name[name],
            data["topic"],
            nominations=[(spelling, "foerdermittelgeber", f"Grund von {name}")],
        )
    answer(
        client,
        tokens_by_name["RWTH Aachen"],
        data["topic"],
        nominations=[
            ("Misereor", "foerdermittelgeber", "Grund von RWTH Aachen"),
            ("Welthaus Aachn", "", ""),
        ],
    )
    editor = login("editor")
    page = editor.get(f"/befragungen/{survey_id}/pruefen?kind=nennung").get_data(as_text=True)
    assert "genannt von 3 Akteuren" in page
    assert "Misereor" in page and "MISEREOR e.V." in page  # both spellings
    assert "Grund von Eine Welt Forum Aachen" in page
    assert "genannt von 1 Akteur" in page
    assert "zusammenführen mit Welthaus Aachen" in page
    with app.app_context():
        survey = services.get_survey(survey_id)
        groups = review.nomination_groups(survey, review.parse_filters({"kind": "nennung"}, survey))
        assert [(g["name"], g["count"]) for g in groups] == [
            ("Misereor", 3),
            ("Welthaus Aachn", 1),
        ]


def test_accepting_a_nomination_group_makes_one_candidate_with_its_source_in_the_trail(
    app, client, login
):
    data = network(app)
    survey_id = make_survey(app, data)
    tokens_by_name = links(app, survey_id)
    for name in ("Stadtverwaltung Aachen", "Eine Welt Forum Aachen"):
        answer(
            client,
            tokens_by_name[name],
            data["topic"],
            nominations=[("Misereor", "foerdermittelgeber", "")],
        )
    first = proposals(app, ProposalKind.NOMINATION)[0]
    editor = login("editor")
    page = decide(editor, first.id, "annehmen", category="foerdermittelgeber")
    assert "2 angenommen" in page.get_data(as_text=True)
    with app.app_context():
        actor = db.session.scalar(sa.select(Actor).where(Actor.name == "Misereor"))
        assert actor.status.value == "kandidat"
        assert "Genannt in der Befragung" in actor.description
        entry = db.session.scalar(
            sa.select(AuditEntry).where(
                AuditEntry.entity == "actor", AuditEntry.entity_id == actor.id
            )
        )
        assert entry.changes["source"][1].startswith("Befragung „Netzwerkbefragung 2027“")
        assert "Antwort von Kontakt Stadtverwaltung Aachen" in entry.changes["source"][1]
    assert {p.status for p in proposals(app, ProposalKind.NOMINATION)} == {ProposalStatus.ACCEPTED}


def test_merging_a_nomination_links_the_existing_actor_to_the_topic(app, client, api):
    data = network(app)
    with app.app_context():
        welthaus = factories.actor(name="Welthaus Aachen", category="eine-welt-gruppe").id
    survey_id = make_survey(app, data)
    answer(
        client,
        links(app, survey_id)["RWTH Aachen"],
        data["topic"],
        nominations=[("Welthaus Aachn", "", "")],
    )
    (nomination,) = proposals(app, ProposalKind.NOMINATION)
    response = api("editor").post(
        f"/api/proposals/{nomination.id}/merge", json={"actor_id": welthaus}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["merged"] == 1
    with app.app_context():
        actor = db.session.get(Actor, welthaus)
        assert data["topic"] in [link.topic_id for link in actor.topic_links]
        assert db.session.scalar(sa.select(sa.func.count(Actor.id))) == 4  # no new actor


def test_rejecting_changes_nothing_in_the_network(app, client, login):
    data = network(app)
    survey_id = make_survey(app, data)
    answer(
        client,
        links(app, survey_id)["RWTH Aachen"],
        data["topic"],
        partners=[("Stadtverwaltung Aachen", "konflikt", "3")],
    )
    (relation,) = proposals(app, ProposalKind.RELATION)
    editor = login("editor")
    assert "1 abgelehnt" in decide(editor, relation.id, "ablehnen").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Relation.id))) == 0


def test_conflicting_corrections_both_wait_and_accepting_one_supersedes_the_other(
    app, client, login
):
    data = network(app)
    with app.app_context():
        city = db.session.get(Actor, data["city"]["actor"])
        second = factories.contact(city, name="Zweite Person", email="zweite@example.org")
        second_id = second.id
    survey_id = make_survey(app, data, keys=("city",))
    with app.app_context():
        services.add_recipients(services.get_survey(survey_id), [second_id])
    tokens_by_contact = {}
    with app.app_context():
        for r in services.get_survey(survey_id).recipients:
            tokens_by_contact[r.contact.name] = tokens.link_token(r)
    answer(
        client,
        tokens_by_contact["Kontakt Stadtverwaltung Aachen"],
        data["topic"],
        record_name="Stadt Aachen, Fachbereich Internationales",
    )
    answer(
        client,
        tokens_by_contact["Zweite Person"],
        data["topic"],
        record_name="Stadt Aachen – Eine-Welt-Koordination",
    )
    editor = login("editor")
    page = editor.get(f"/befragungen/{survey_id}/pruefen?kind=eintrag").get_data(as_text=True)
    assert "Stadt Aachen, Fachbereich Internationales" in page
    assert "Stadt Aachen – Eine-Welt-Koordination" in page
    assert "Widersprechende Vorschläge" in page
    with app.app_context():
        assert db.session.get(Actor, data["city"]["actor"]).name == "Stadtverwaltung Aachen"
    first, other = proposals(app, ProposalKind.RECORD)
    assert "1 überholt" in decide(editor, first.id, "annehmen").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Actor, data["city"]["actor"]).name == (
            "Stadt Aachen, Fachbereich Internationales"
        )
        assert db.session.get(SurveyProposal, other.id).status == ProposalStatus.SUPERSEDED
    # the superseded one can no longer be accepted by accident
    assert "schon überholt" in decide(editor, other.id, "annehmen").get_data(as_text=True)


def test_nominated_missing_actors_appear_in_api_gaps_and_on_the_gap_page(app, client, api, login):
    data = network(app)
    survey_id = make_survey(app, data)
    tokens_by_name = links(app, survey_id)
    for name in ("Stadtverwaltung Aachen", "RWTH Aachen"):
        answer(
            client,
            tokens_by_name[name],
            data["topic"],
            nominations=[("Misereor", "foerdermittelgeber", "fördert Projekte")],
        )
    gaps = api("viewer").get("/api/gaps").get_json()
    sources = {g["source"] for g in gaps}
    assert sources == {"checklist", "survey"}
    (named,) = [g for g in gaps if g["source"] == "survey"]
    assert named["name"] == "Misereor" and named["topic"] == "SDG11"
    assert "Genannt von 2 Akteuren" in named["reason"]
    page = login("viewer", username="leserin").get("/luecken").get_data(as_text=True)
    assert "Misereor" in page
    assert "2 Akteure" in page


def test_reciprocity_confirmed_when_both_name_it_one_sided_otherwise(app, client, login, api):
    data = network(app)
    survey_id = make_survey(app, data)
    send(app, survey_id)  # to the outbox folder
    tokens_by_name = links(app, survey_id)
    answer(
        client,
        tokens_by_name["Stadtverwaltung Aachen"],
        data["topic"],
        partners=[
            ("RWTH Aachen", "kooperation", "2"),
            ("Eine Welt Forum Aachen", "foerderung", "3"),
        ],
    )
    answer(
        client,
        tokens_by_name["RWTH Aachen"],
        data["topic"],
        partners=[("Stadtverwaltung Aachen", "kooperation", "2")],
    )
    with app.app_context():
        outcome = review.decide_many(services.get_survey(survey_id), "accept", kind="beziehung")
        assert outcome.accepted == 3
        rows = {
            (r.source.name, r.target.name, r.kind.value): r.reciprocity.value
            for r in db.session.scalars(sa.select(Relation))
        }
    assert rows == {
        ("Stadtverwaltung Aachen", "RWTH Aachen", "kooperation"): "bestaetigt",
        ("Eine Welt Forum Aachen", "Stadtverwaltung Aachen", "foerderung"): "einseitig",
    } or rows == {
        ("Stadtverwaltung Aachen", "RWTH Aachen", "kooperation"): "bestaetigt",
        ("Stadtverwaltung Aachen", "Eine Welt Forum Aachen", "foerderung"): "einseitig",
    }
    viewer = api("viewer")
    findings = viewer.get("/api/findings").get_json()
    kinds = {f["kind"] for f in findings}
    assert "one_sided_relation" in kinds
    (one_sided,) = [f for f in findings if f["kind"] == "one_sided_relation"]
    assert "Eine Welt Forum Aachen" in one_sided["text"]
    assert "nur eine Seite" in one_sided["text"]
    # the response rate is a finding too, and who is missing from the picture
    (rate,) = [f for f in findings if f["kind"] == "survey_response_rate"]
    assert "2 von 3 befragten Organisationen haben geantwortet (67 %)" in rate["text"]
    bias = [f["text"] for f in findings if f["kind"] == "survey_bias"]
    assert any("Aus Zivilgesellschaft hat" in t and "niemand geantwortet" in t for t in bias)
    # an English reader gets the survey findings in English
    english = viewer.get("/api/findings?lang=en").get_json()
    (rate,) = [f for f in english if f["kind"] == "survey_response_rate"]
    assert "2 of 3 organisations asked have answered (67 %)" in rate["text"]
    bias = [f["text"] for f in english if f["kind"] == "survey_bias"]
    assert any("Nobody from Civil society answered" in t for t in bias), bias


def test_markup_in_a_nomination_stays_text_everywhere(app, client, login, api):
    data = network(app)
    survey_id = make_survey(app, data)
    evil = '<script>alert("x")</script><b>Fake</b>'
    answer(
        client,
        links(app, survey_id)["RWTH Aachen"],
        data["topic"],
        nominations=[(evil, "foerdermittelgeber", '<img src=x onerror="alert(1)">')],
    )
    editor = login("editor")
    for url in (f"/befragungen/{survey_id}/pruefen?kind=nennung", "/luecken"):
        page = editor.get(url).get_data(as_text=True)
        assert "<script>alert" not in page and "<b>Fake</b>" not in page, url
        assert "&lt;script&gt;" in page, url
        assert "<img src=x" not in page, url
    gaps = api("viewer").get("/api/gaps").get_json()
    assert any(g.get("name") == evil for g in gaps)  # JSON carries the text as it was typed


def test_art15_lists_the_survey_answers_and_art17_erases_them(app, client, api):
    data = network(app)
    survey_id = make_survey(app, data)
    token = links(app, survey_id)["RWTH Aachen"]
    answer(
        client,
        token,
        data["topic"],
        partners=[("Stadtverwaltung Aachen", "kooperation", "2")],
        comment="Persönliche Bemerkung von Frau X",
    )
    contact_id = data["uni"]["contact"]
    admin = api("admin", bearer=True)
    export = admin.get(f"/api/contacts/{contact_id}/export").get_json()
    (item,) = export["surveys"]
    assert item["survey"] == "Netzwerkbefragung 2027"
    assert item["comment"] == "Persönliche Bemerkung von Frau X"
    assert [a["name"] for a in item["answers"] if a["kind"] == "beziehung"] == [
        "Stadtverwaltung Aachen"
    ]
    response = admin.post(f"/api/contacts/{contact_id}/erase")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert client.get(f"/befragung/{token}").status_code == 404  # the link is dead
    with app.app_context():
        (recipient,) = [
            r for r in services.get_survey(survey_id).recipients if r.contact_id is None
        ]
        assert recipient.comment == ""
        assert recipient.answered  # the response rate stays right


def test_named_organisations_are_candidate_ghost_nodes_on_the_map(app, client, api):
    data = network(app)
    survey_id = make_survey(app, data)
    tokens_by_name = links(app, survey_id)
    for name in ("Stadtverwaltung Aachen", "RWTH Aachen"):
        answer(
            client,
            tokens_by_name[name],
            data["topic"],
            nominations=[("Misereor", "foerdermittelgeber", "")],
        )
    viewer = api("viewer")
    graph = viewer.get("/api/graph?topics=1").get_json()
    (ghost,) = [n for n in graph["nodes"] if n.get("kind") == "nomination"]
    assert ghost["label"] == "Misereor (genannt von 2)"
    assert ghost["source"] == "survey"
    assert graph["counts"]["nominations"] == 1
    hidden = viewer.get("/api/graph?topics=1&nominations=0").get_json()
    assert not [n for n in hidden["nodes"] if n.get("kind") == "nomination"]


def test_responses_export_as_xlsx_with_contacts_only_when_asked(app, client, login):
    import io

    import openpyxl

    data = network(app)
    survey_id = make_survey(app, data)
    answer(
        client,
        links(app, survey_id)["RWTH Aachen"],
        data["topic"],
        partners=[("Stadtverwaltung Aachen", "kooperation", "3")],
        comment="Nur mit Kontaktdaten",
    )
    editor = login("editor")

    def sheets(url):
        response = editor.get(url)
        assert response.status_code == 200
        book = openpyxl.load_workbook(io.BytesIO(response.data))
        return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in book}

    plain = sheets(f"/befragungen/{survey_id}/antworten.xlsx")
    text = repr(plain)
    assert "uni@example.org" not in text and "Nur mit Kontaktdaten" not in text
    proposals_sheet = plain["Vorschläge"]
    assert any("Stadtverwaltung Aachen" in row for row in proposals_sheet[1:])
    personal = repr(sheets(f"/befragungen/{survey_id}/antworten.xlsx?personal=1"))
    assert "uni@example.org" in personal and "Nur mit Kontaktdaten" in personal
    assert login("viewer").get(f"/befragungen/{survey_id}/antworten.xlsx").status_code == 403


def test_a_nul_in_a_nomination_is_refused_and_nothing_is_saved(app, client):
    data = network(app)
    survey_id = make_survey(app, data)
    response = answer(
        client,
        links(app, survey_id)["RWTH Aachen"],
        data["topic"],
        nominations=[("Bö\x00se Initiative", "", "")],
    )
    assert response.status_code == 400
    assert "unzulässige Steuerzeichen" in response.get_data(as_text=True)
    assert proposals(app, ProposalKind.NOMINATION) == []


def test_a_decided_proposal_can_be_reopened_and_decided_again(app, client, login, api):
    data = network(app)
    survey_id = make_survey(app, data)
    tokens_by_name = links(app, survey_id)
    for name in ("Stadtverwaltung Aachen", "Eine Welt Forum Aachen"):
        answer(
            client,
            tokens_by_name[name],
            data["topic"],
            nominations=[("Misereor", "foerdermittelgeber", "")],
        )
    first, second = proposals(app, ProposalKind.NOMINATION)
    editor = login("editor")
    assert "2 abgelehnt" in decide(editor, first.id, "ablehnen").get_data(as_text=True)
    url = f"/befragungen/{survey_id}/pruefen?kind=nennung&status=abgelehnt"
    assert "Wieder öffnen" in editor.get(url).get_data(as_text=True)
    page = decide(editor, second.id, "wieder-oeffnen").get_data(as_text=True)
    assert "2 wieder geöffnet" in page
    assert {p.status for p in proposals(app, ProposalKind.NOMINATION)} == {ProposalStatus.PENDING}
    # accepted, reopened and accepted again: the candidate made the first time is kept and reused
    decide(editor, first.id, "annehmen", category="foerdermittelgeber")
    assert "2 wieder geöffnet" in decide(editor, first.id, "wieder-oeffnen").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(Actor.id).where(Actor.name == "Misereor"))
    assert "2 angenommen" in decide(
        editor, first.id, "annehmen", category="foerdermittelgeber"
    ).get_data(as_text=True)
    with app.app_context():
        named = sa.select(sa.func.count(Actor.id)).where(Actor.name == "Misereor")
        assert db.session.scalar(named) == 1
        trail = db.session.scalars(
            sa.select(AuditEntry.action).where(
                AuditEntry.entity == "survey", AuditEntry.entity_id == survey_id
            )
        ).all()
        assert trail.count("reopen") == 2
    # what is open cannot be reopened
    decide(editor, first.id, "wieder-oeffnen")
    page = decide(editor, first.id, "wieder-oeffnen").get_data(as_text=True)
    assert "lässt sich nicht öffnen" in page
