"""A network survey from the coordinator's side up to the respondent's link: creating it,
choosing whom to ask, sending through the mail queue to a real SMTP server on loopback, and
what the personal link opens (and what it does not)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from netzwerk.actors import services as actors
from netzwerk.extensions import db
from netzwerk.mail.models import MailMessage
from netzwerk.surveys import sending, services, tokens
from netzwerk.surveys.models import Survey, SurveyRecipient
from tests import factories
from tests.surveys_support import (
    answer,
    close,
    closes_on,
    links_by_address,
    make_survey,
    network,
    send,
)
from tests.workshops_support import received


@pytest.fixture
def smtp_app(app, smtp_server):
    app.config["SMTP_URL"] = smtp_server.url
    app.config["MAIL_FROM"] = "KEpol Aachen <kepol@aachen.example>"
    return app


def test_an_editor_creates_a_survey_on_the_page(app, login):
    data = network(app)
    editor = login("editor")
    response = editor.post(
        "/befragungen/neu",
        data={
            "csrf_token": editor.csrf,
            "title": "Netzwerkbefragung Fairer Handel",
            "topics": [str(data["topic"])],
            "questions": ["eintrag", "partner", "fehlende"],
            "closes_on": closes_on(),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    # next step: choosing whom to ask
    assert "/empfaenger" in response.headers["Location"]
    page = editor.get(response.headers["Location"]).get_data(as_text=True)
    assert "Wählen Sie jetzt, wen Sie fragen." in page
    assert "Kontakt RWTH Aachen" in page
    survey_page = editor.get(response.headers["Location"].replace("/empfaenger", ""))
    text = survey_page.get_data(as_text=True)
    assert "Netzwerkbefragung Fairer Handel" in text
    assert "Nachhaltige Städte" in text
    assert "Entwurf" in text
    listing = editor.get("/befragungen/").get_data(as_text=True)
    assert "Netzwerkbefragung Fairer Handel" in listing


def test_a_closing_date_in_the_past_is_a_field_error(app, login):
    data = network(app)
    editor = login("editor")
    response = editor.post(
        "/befragungen/neu",
        data={
            "csrf_token": editor.csrf,
            "title": "Zu spät",
            "topics": [str(data["topic"])],
            "questions": ["partner"],
            "closes_on": "2020-01-01",
        },
    )
    assert response.status_code == 200  # the form again, with the error at its field
    assert "Das Enddatum liegt in der Vergangenheit." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Survey.id))) == 0


def test_contacts_without_address_or_consent_are_shown_but_not_addable(app, login):
    data = network(app)
    with app.app_context():
        org = factories.actor(name="Weltladen Aachen", category="weltladen")
        no_mail = factories.contact(org, name="Ohne Adresse", email="")
        revoked = factories.contact(org, name="Widerrufen", email="w@example.org")
        actors.update_contact(revoked, {"consent_revoked_at": "2026-01-02"})
        no_mail_id, revoked_id = no_mail.id, revoked.id
    with app.app_context():
        survey = services.create_survey(
            {"title": "Befragung", "topic_ids": [data["topic"]], "closes_on": closes_on()}
        )
        survey_id = survey.id
    editor = login("editor")
    page = editor.get(f"/befragungen/{survey_id}/empfaenger").get_data(as_text=True)
    assert "Ohne Adresse" in page and "Widerrufen" in page
    assert f'value="{no_mail_id}"' not in page and f'value="{revoked_id}"' not in page
    assert "Keine E-Mail-Adresse hinterlegt." in page
    assert "widerrufen" in page
    response = editor.post(
        f"/befragungen/{survey_id}/empfaenger/neu",
        data={
            "csrf_token": editor.csrf,
            "contact_ids": [str(data["city"]["contact"]), str(revoked_id)],
        },
        follow_redirects=True,
    )
    assert "kann nicht befragt werden" in response.get_data(as_text=True)
    with app.app_context():
        # all or nothing: the addable contact was not added either
        assert db.session.scalar(sa.select(sa.func.count(SurveyRecipient.id))) == 0
    response = editor.post(
        f"/befragungen/{survey_id}/empfaenger/neu",
        data={"csrf_token": editor.csrf, "contact_ids": [str(data["city"]["contact"])]},
        follow_redirects=True,
    )
    assert "1 Empfänger*innen hinzugefügt." in response.get_data(as_text=True)


def test_filters_narrow_the_candidates_by_category(app, login):
    data = network(app)
    with app.app_context():
        survey_id = services.create_survey(
            {"title": "Befragung", "topic_ids": [data["topic"]], "closes_on": closes_on()}
        ).id
    editor = login("editor")
    page = editor.get(f"/befragungen/{survey_id}/empfaenger?category=hochschule")
    text = page.get_data(as_text=True)
    assert "Kontakt RWTH Aachen" in text
    assert "Kontakt Eine Welt Forum Aachen" not in text


def test_each_recipient_gets_one_mail_with_a_personal_link_and_never_a_second(
    smtp_app, smtp_server
):
    data = network(smtp_app)
    survey_id = make_survey(smtp_app, data)
    counts, report = send(smtp_app, survey_id)
    assert counts["queued"] == 3 and report.sent == 3 and report.connections == 1
    messages = received(smtp_server)
    assert {m["To"].addresses[0].addr_spec for m in messages} == {
        "city@example.org",
        "ngo@example.org",
        "uni@example.org",
    }
    first = messages[0]
    assert first["Subject"] == "Befragung: Netzwerkbefragung 2027"
    assert first.get_body(preferencelist=("plain",)) is not None
    assert first.get_body(preferencelist=("html",)) is not None
    tokens_sent = links_by_address(smtp_server)
    assert len(set(tokens_sent.values())) == 3
    # the queue stores no link: only the placeholder
    with smtp_app.app_context():
        raws = db.session.scalars(sa.select(MailMessage.raw)).all()
        assert all(token not in raw for raw in raws for token in tokens_sent.values())
    # sending again sends nothing twice
    counts, report = send(smtp_app, survey_id)
    assert counts["queued"] == 0 and report.sent == 0
    assert len(smtp_server.messages) == 3
    # the progress page counts the delivered mails
    with smtp_app.app_context():
        from netzwerk.surveys import analysis

        assert analysis.progress(services.get_survey(survey_id))["invited"] == 3


def test_the_link_from_the_mail_opens_the_form_of_ones_own_organisation(
    smtp_app, smtp_server, client
):
    data = network(smtp_app)
    survey_id = make_survey(smtp_app, data)
    send(smtp_app, survey_id)
    token = links_by_address(smtp_server)["ngo@example.org"]
    page = client.get(f"/befragung/{token}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Netzwerkbefragung 2027" in text
    assert 'value="Eine Welt Forum Aachen"' in text  # the record to confirm
    assert "Nachhaltige Städte" in text
    # the autocomplete answers with organisation names only, with a valid link only
    names = client.get(f"/befragung/{token}/organisationen?q=aachen").get_json()
    assert {item["name"] for item in names["items"]} == {
        "Stadtverwaltung Aachen",
        "RWTH Aachen",
    }
    assert set(names["items"][0]) == {"id", "name"}
    assert client.get("/befragung/" + "x" * 43 + "/organisationen?q=aachen").status_code == 404


def test_the_autocomplete_answers_at_most_20_names(app, client):
    data = network(app)
    with app.app_context():
        for n in range(30):
            factories.actor(name=f"Verein Aachen {n:02d}", category="eine-welt-gruppe")
    survey_id = make_survey(app, data, keys=("city",))
    with app.app_context():
        recipient = services.get_survey(survey_id).recipients[0]
        token = tokens.link_token(recipient)
    items = client.get(f"/befragung/{token}/organisationen?q=verein").get_json()["items"]
    assert len(items) == 20


def test_a_token_is_useless_for_another_survey(app, client):
    data = network(app)
    first = make_survey(app, data, keys=("city",))
    second = make_survey(app, data, keys=("city",))
    with app.app_context():
        r1 = services.get_survey(first).recipients[0]
        r2 = services.get_survey(second).recipients[0]
        token1 = tokens.link_token(r1)
        # the same person, the same salt, but signed for the other survey: no link
        forged = tokens._derive(second, r1.token_salt)  # noqa: SLF001
        assert token1 != tokens.link_token(r2)
    assert client.get(f"/befragung/{forged}").status_code == 404
    assert client.get(f"/befragung/{token1}").status_code == 200
    answer(client, token1, data["topic"], partners=[("RWTH Aachen", "kooperation", "2")])
    with app.app_context():
        assert services.get_survey(first).recipients[0].answered
        assert not services.get_survey(second).recipients[0].answered


def test_after_the_closing_date_the_link_says_so_and_takes_nothing(app, client):
    data = network(app)
    survey_id = make_survey(app, data, keys=("city",))
    with app.app_context():
        token = tokens.link_token(services.get_survey(survey_id).recipients[0])
    csrf_page = client.get(f"/befragung/{token}").get_data(as_text=True)
    assert "Antwort speichern" in csrf_page
    close(app, survey_id)
    page = client.get(f"/befragung/{token}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "zu Ende gegangen" in text
    assert "Antwort speichern" not in text
    assert client.get(f"/befragung/{token}/organisationen?q=rw").status_code == 403
    with app.app_context():
        from netzwerk.surveys import answers
        from netzwerk.surveys.answers import Closed

        recipient = services.get_survey(survey_id).recipients[0]
        with pytest.raises(Closed):
            answers.save_answer(recipient, {"comment": "zu spät"})


def test_reminders_go_only_to_those_who_have_not_answered(smtp_app, smtp_server, client):
    data = network(smtp_app)
    survey_id = make_survey(smtp_app, data)
    send(smtp_app, survey_id)
    token = links_by_address(smtp_server)["city@example.org"]
    answer(client, token, data["topic"], partners=[("RWTH Aachen", "kooperation", "3")])
    smtp_server.messages.clear()
    with smtp_app.app_context():
        batch, counts = sending.remind(services.get_survey(survey_id))
        sending.deliver_now(batch)
    reminded = {m["To"].addresses[0].addr_spec for m in received(smtp_server)}
    assert reminded == {"ngo@example.org", "uni@example.org"}
    assert all(
        m["Subject"].startswith("Erinnerung an die Befragung") for m in received(smtp_server)
    )
    # the reminder carries the same personal link as the first mail
    assert links_by_address(smtp_server)["ngo@example.org"]


def test_revoked_consent_between_queueing_and_sending_blocks_the_mail(smtp_app, smtp_server):
    data = network(smtp_app)
    survey_id = make_survey(smtp_app, data)
    with smtp_app.app_context():
        batch, counts = sending.send_survey(services.get_survey(survey_id))
        contact = actors.get_contact(data["uni"]["contact"])
        actors.update_contact(contact, {"consent_revoked_at": "2026-12-01"})
        report = sending.deliver_now(batch)
        assert report.sent == 2 and report.blocked == 1
        statuses = db.session.scalars(sa.select(MailMessage.status)).all()
        assert sorted(s.value for s in statuses) == ["blocked", "sent", "sent"]
    assert "uni@example.org" not in {m["To"].addresses[0].addr_spec for m in received(smtp_server)}


def test_sending_from_the_page_shows_progress_then_the_rates(smtp_app, smtp_server, login):
    from tests.workshops_support import wait_for_batch

    data = network(smtp_app)
    survey_id = make_survey(smtp_app, data)
    editor = login("editor")
    response = editor.post(f"/befragungen/{survey_id}/senden", data={"csrf_token": editor.csrf})
    assert response.status_code == 302
    status = wait_for_batch(editor, response.headers["Location"] + ".json")
    assert status["sent"] == 3
    page = editor.get(f"/befragungen/{survey_id}").get_data(as_text=True)
    assert "gesendet" in page
    assert "0 von 3 Personen" in page


def test_viewers_cannot_send_or_create(app, login):
    data = network(app)
    survey_id = make_survey(app, data)
    viewer = login("viewer")
    assert (
        viewer.post(
            f"/befragungen/{survey_id}/senden", data={"csrf_token": viewer.csrf}
        ).status_code
        == 403
    )
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(MailMessage.id))) == 0


def test_a_title_with_line_breaks_is_one_line_in_the_subject(smtp_app, smtp_server):
    data = network(smtp_app)
    survey_id = make_survey(
        smtp_app, data, keys=("city",), title="Netzwerk\u2028befragung\r\nBcc: x"
    )
    send(smtp_app, survey_id)
    (mail,) = received(smtp_server)
    assert mail["Subject"] == "Befragung: Netzwerk befragung Bcc: x"
    assert mail["Bcc"] is None


def test_reminders_go_out_on_the_chosen_day_from_the_command_line(smtp_app, smtp_server, runner):
    from datetime import date

    data = network(smtp_app)
    survey_id = make_survey(smtp_app, data, keys=("city", "ngo"))
    send(smtp_app, survey_id)
    smtp_server.messages.clear()
    result = runner.invoke(args=["survey", "remind", "--due"])
    assert "Heute ist keine Erinnerung fällig." in result.output
    with smtp_app.app_context():
        services.update_survey(
            services.get_survey(survey_id), {"remind_on": date.today().isoformat()}
        )
    result = runner.invoke(args=["survey", "remind", "--due"])
    assert result.exit_code == 0, result.output
    assert "2 gesendet" in result.output
    assert len(received(smtp_server)) == 2
    # the same day again: nothing twice
    result = runner.invoke(args=["survey", "remind", "--due"])
    assert "Heute ist keine Erinnerung fällig." in result.output
    assert len(smtp_server.messages) == 2
