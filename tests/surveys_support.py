"""Helpers for the survey tests: a small network, a survey with recipients, the personal link
read from the mail a real SMTP server received, and the respondent's form posted as a browser
would post it."""

from __future__ import annotations

import re
from datetime import timedelta

from netzwerk.core.timeutil import utcnow
from netzwerk.extensions import db
from netzwerk.surveys import sending, services
from tests import factories
from tests.workshops_support import received

LINK = re.compile(r"https?://[^\s\"<>]+/befragung/([A-Za-z0-9_-]{43})")


def closes_on(days: int = 14) -> str:
    return (utcnow() + timedelta(days=days)).date().isoformat()


def network(app) -> dict:
    """Three organisations on one topic, each with a contact who may be mailed."""
    with app.app_context():
        topic = factories.topic(code="SDG11", title="Nachhaltige Städte")
        people = {}
        for key, name, category in (
            ("city", "Stadtverwaltung Aachen", "verwaltung"),
            ("ngo", "Eine Welt Forum Aachen", "eine-welt-gruppe"),
            ("uni", "RWTH Aachen", "hochschule"),
        ):
            actor = factories.actor(name=name, category=category)
            factories.link(actor, topic)
            contact = factories.contact(
                actor, name=f"Kontakt {name}", email=f"{key}@example.org", language="de"
            )
            people[key] = {"actor": actor.id, "contact": contact.id}
        return {"topic": topic.id, **people}


def make_survey(app, data: dict, keys=("city", "ngo", "uni"), **extra) -> int:
    with app.app_context():
        survey = services.create_survey(
            {
                "title": "Netzwerkbefragung 2027",
                "topic_ids": [data["topic"]],
                "closes_on": closes_on(),
                **extra,
            }
        )
        services.add_recipients(survey, [data[k]["contact"] for k in keys])
        return survey.id


def send(app, survey_id: int):
    with app.app_context():
        batch, counts = sending.send_survey(services.get_survey(survey_id))
        report = sending.deliver_now(batch)
        return counts, report


def links_by_address(smtp_server) -> dict[str, str]:
    """e-mail address → the token of the personal link in the mail it received (text part)."""
    result = {}
    for message in received(smtp_server):
        text = message.get_body(preferencelist=("plain",)).get_content()
        match = LINK.search(text)
        assert match, text
        result[message["To"].addresses[0].addr_spec] = match.group(1)
    return result


def form_token(client, token: str) -> str:
    html = client.get(f"/befragung/{token}").get_data(as_text=True)
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def answer(client, token: str, topic_id: int, partners=(), nominations=(), **fields):
    """Post the respondent's form: partners as (name, kind, strength), nominations as
    (name, category, reason)."""
    data = {"csrf_token": form_token(client, token), "consent_map": "y", **fields}
    for n, (name, kind, strength) in enumerate(partners):
        prefix = f"partners-{topic_id}-{n}"
        data |= {f"{prefix}-name": name, f"{prefix}-kind": kind, f"{prefix}-strength": strength}
    for n, (name, category, reason) in enumerate(nominations):
        prefix = f"nominations-{n}"
        data |= {
            f"{prefix}-name": name,
            f"{prefix}-category": category,
            f"{prefix}-reason": reason,
        }
    return client.post(f"/befragung/{token}", data=data)


def close(app, survey_id: int) -> None:
    with app.app_context():
        survey = services.get_survey(survey_id)
        survey.closes_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
