"""Hostile text for every text field: the XSS corpus and the helper that stores it.

Each payload carries a tag naming the payload, the entity and the field (e.g. `x3a5`: payload 3
in the actor's field 5, the description), so whatever runs or shows up where it should not says
where it came from: in the text of an `alert`, in the query of a request to PROBE, in an attribute.

`fill()` puts payload i into every text field of the i-th actor, contact, topic, relation, topic
link, category, reference item, workshop (with an invitation that answered with a comment, a poll
slot, invitation and poll mails delivered to the outbox), user and API token, all through the
services, and returns what was stored, so that a test can compare what a page shows with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

PROBE = "/xss-probe"  # same origin: an injected <img src=...> is allowed by img-src 'self'


@dataclass(frozen=True)
class Payload:
    key: str
    template: str  # "{t}" is replaced by the tag
    shorter: tuple[str, ...] = ()  # for fields too short for the template, longest first

    def text(self, tag: str, limit: int | None = None) -> str:
        for template in (self.template, *self.shorter):
            text = template.replace("{t}", tag)
            if limit is None or len(text) <= limit:
                return text
        return self.template.replace("{t}", tag)[:limit]


PAYLOADS: list[Payload] = [
    # payload 0 breaks out of every context at once: pages that show an object only in passing
    # (delete confirmations, workshop sub-pages) are opened with the objects of payload 0 only
    Payload(
        "polyglot",
        "</textarea></title></style></script>'\"><svg onload=alert('{t}')>"
        "<img src=" + PROBE + "?{t}>{{7*7}}",
        shorter=("'\"></textarea><svg onload=alert('{t}')>", "'\"><svg onload=alert('{t}')>"),
    ),
    Payload("script tag", "<script>alert('{t}')</script>"),
    Payload("img onerror", "<img src=x onerror=alert('{t}')>"),
    Payload("attribute break + svg onload", "\"><svg onload=alert('{t}')>"),
    Payload("single-quote break + javascript: link", "'><a href=\"javascript:alert('{t}')\">x</a>"),
    Payload("</script> break", "</script><script>alert('{t}')</script>"),
    Payload("javascript: URL", "javascript:alert('{t}')"),
    Payload("event handler attribute", '" onmouseover="alert(\'{t}\')" x="'),
    Payload("template injection", "{{7*7}} ${7*7} {% if 1 %}{t}{% endif %}"),
    Payload("value with href and markup", 'href=<a href="' + PROBE + '?{t}">href</a>'),
    Payload("</textarea> break", "</textarea><script>alert('{t}')</script>"),
    Payload("line breaks in JSON", "a\r\nb\u2028c\u2029d</script><img src=" + PROBE + "?{t}>"),
    Payload("probe image", "<img src=" + PROBE + "?{t}>"),
]

# the text fields per entity; a tag is x<payload><entity letter><field position>
FIELDS = {
    "actor": ("a", ["name", "short_name", "external_id", "city", "website", "description"]),
    "contact": ("c", ["name", "function", "phone", "notes", "consent_source"]),
    "topic": ("t", ["code", "title", "description"]),
    "relation": ("r", ["note"]),
    "link": ("l", ["note"]),
    "category": ("k", ["label_de", "label_en"]),
    "item": ("i", ["reason"]),
    "workshop": (
        "w",
        ["title", "location", "online_url", "agenda", "organizer_name", "results", "follow_ups"],
    ),
    "invitation": ("v", ["comment"]),
    "user": ("u", ["display_name"]),
    "api_token": ("o", ["name"]),
    "project": ("p", ["title", "description", "funding_programme"]),
    "outcome": ("e", ["text", "named_organisation"]),
    "follow_up": ("f", ["text", "owner"]),
    "goal": ("g", ["title", "description"]),
    "measure": ("m", ["title", "description", "indicator", "funding_source"]),
    "draft": ("d", ["note"]),
    "status_update": ("h", ["note"]),
    "indicator_value": ("j", ["note"]),
    "survey": ("s", ["title", "intro"]),
    "nomination": ("n", ["name", "reason"]),
}


@dataclass
class Corpus:
    """Ids of the payload objects (index i holds payload i) and what the database kept."""

    n: int
    tags: dict[str, str] = field(default_factory=dict)  # "x2a5" → "actor 2.description ← ..."
    refused: list[str] = field(default_factory=list)  # values a service rightly refused
    ids: dict[str, list[Any]] = field(default_factory=dict)  # entity → id per payload
    stored: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # entity → values
    feed_token: str = ""

    def explain(self, text: str) -> str:
        """Name the payloads and fields whose tags occur in a message."""
        found = [f"{tag} = {what}" for tag, what in self.tags.items() if tag in text]
        return f"{text} [{'; '.join(found)}]" if found else text


def _tag(corpus: Corpus, entity: str, index: int, name: str) -> str:
    letter, names = FIELDS[entity]
    tag = f"x{index}{letter}{names.index(name)}"
    corpus.tags[tag] = f"{entity} {index}.{name} ← {PAYLOADS[index].key}"
    return tag


def value(corpus: Corpus, entity: str, index: int, name: str, limit: int | None = None) -> str:
    return PAYLOADS[index].text(_tag(corpus, entity, index, name), limit)


def fill(user_id: int | None = None) -> Corpus:
    """Store the corpus through the services (inside an app context). `user_id` names the user
    whose API tokens get payload names (the one who will look at the profile page)."""
    from netzwerk.actors import services as actors
    from netzwerk.auth import services as auth
    from netzwerk.auth.models import ApiToken, User
    from netzwerk.core.errors import Invalid
    from netzwerk.extensions import db
    from netzwerk.mail import queue
    from netzwerk.network import reference_store
    from netzwerk.surveys import answers, sending
    from netzwerk.surveys import services as surveys
    from netzwerk.surveys import tokens as survey_tokens
    from netzwerk.surveys.models import SurveyProposal
    from netzwerk.topics import services as topics
    from netzwerk.workshops import feeds, invitations, polls
    from netzwerk.workshops import services as workshops
    from netzwerk.workshops.tokens import rsvp_token

    n = len(PAYLOADS)
    corpus = Corpus(n=n)
    ids = corpus.ids
    for entity in (
        *FIELDS,
        "slot",
        "batch",
        "rsvp_token",
        "reflection_link",
        "reflection_token",
        "recipient",
        "survey_token",
    ):
        ids[entity] = []
        corpus.stored[entity] = []

    def keep(entity: str, obj: Any, ident: Any = None) -> None:
        ids[entity].append(obj.id if ident is None else ident)
        corpus.stored[entity].append({f: getattr(obj, f) for f in FIELDS[entity][1]})

    def v(entity: str, i: int, name: str, limit: int | None = None) -> str:
        return value(corpus, entity, i, name, limit)

    reference_store.ensure_reference()
    start = (datetime.now() + timedelta(days=40)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    for i in range(n):
        key = f"xss-{i}"
        category = actors.save_category(
            {
                "key": key,
                "label_de": v("category", i, "label_de", 200),
                "label_en": v("category", i, "label_en", 200),
                "sector": "zivilgesellschaft",
                "color": "#7f7f7f",
            }
        )
        keep("category", category, key)

        actor = actors.create_actor(
            {
                "name": v("actor", i, "name", 200),
                "short_name": v("actor", i, "short_name", 60),
                "external_id": v("actor", i, "external_id", 100),
                "category": key,
                "city": v("actor", i, "city", 120),
                "website": v("actor", i, "website", 480),  # the service may add https://
                "description": v("actor", i, "description"),
            }
        )
        keep("actor", actor)

        contact = actors.create_contact(
            actor,
            {
                "name": v("contact", i, "name", 200),
                "function": v("contact", i, "function", 200),
                # a valid address, but with what an address may hold: ' / = { } * `
                "email": f"x{i}'/onmouseover='alert`{{{{7*7}}}}`@example.org",
                "phone": v("contact", i, "phone", 60),
                "notes": v("contact", i, "notes"),
                "consent_source": v("contact", i, "consent_source", 200),
            },
        )
        keep("contact", contact)

        topic = topics.create_topic(
            {
                "code": v("topic", i, "code", 30),
                "title": v("topic", i, "title", 200),
                "description": v("topic", i, "description"),
            }
        )
        keep("topic", topic)
        link = topics.link_actor(actor, topic, "mitwirkend", note=v("link", i, "note"))
        keep("link", link)

        # a gap at the topic: the payload category is needed twice, present once
        item = reference_store.create_item(
            {
                "topic_code": topic.code,
                "category_key": key,
                "min_count": 2,
                "reason": v("item", i, "reason", 1000),
            }
        )
        keep("item", item)

        user = auth.create_user(
            f"xss-nutzer-{i}",
            "xss-passwort-123",
            "editor",
            display_name=v("user", i, "display_name"),
        )
        keep("user", user)
        if user_id is not None:
            owner = db.session.get(User, user_id)
            auth.create_token(owner, v("api_token", i, "name", 100))
            token = db.session.scalars(
                sa.select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())
            ).first()
            keep("api_token", token)

    for i in range(n):
        # relations form a ring through the payload actors, so they are one graph on the map
        relation = actors.create_relation(
            {
                "source_id": ids["actor"][i],
                "target_id": ids["actor"][(i + 1) % n],
                "kind": "kooperation",
                "note": v("relation", i, "note"),
            }
        )
        keep("relation", relation)

    for i in range(n):
        online = v("workshop", i, "online_url", 500)
        try:
            workshops._url(online, "online_url")
        except Invalid:
            corpus.refused.append(f"workshop {i}.online_url: {online!r}")
            # what the rule lets through: a quote that would end a single-quoted attribute
            online = f"https://example.org/x{i}wou?'onmouseover='alert(1)'&q={{{{7*7}}}}"
        begins = start + timedelta(days=i)
        workshop = workshops.create_workshop(
            {
                "title": v("workshop", i, "title", 200),
                "starts_at": begins.isoformat(),
                "ends_at": (begins + timedelta(hours=2)).isoformat(),
                "location": v("workshop", i, "location", 300),
                "online_url": online,
                "agenda": v("workshop", i, "agenda"),
                "organizer_name": v("workshop", i, "organizer_name", 200),
                "organizer_email": f"x{i}'/onfocus='alert`{{{{7*7}}}}`@example.org",
                "topic_ids": [ids["topic"][i]],
            }
        )
        workshops.save_results(
            workshop,
            {
                "results": v("workshop", i, "results"),
                "follow_ups": v("workshop", i, "follow_ups"),
            },
        )
        keep("workshop", workshop)
        invitation = invitations.add_invitations(workshop, [ids["contact"][i]])[0]
        batch, _ = invitations.send_invitations(workshop)
        slot = polls.add_slot(
            workshop,
            (begins + timedelta(days=1)).isoformat(),
            (begins + timedelta(days=1, hours=2)).isoformat(),
        )
        poll_batch, _ = polls.send_poll(workshop)
        for b in (batch, poll_batch):
            queue.deliver(batch=b)  # SMTP_URL "" → .eml files in OUTBOX_DIR
        invitations.respond(invitation, "accepted", comment=v("invitation", i, "comment"))
        keep("invitation", invitation)
        ids["slot"].append(slot.id)
        ids["batch"].append(batch)
        ids["rsvp_token"].append(rsvp_token(invitation))

        # a survey per payload, asking contact i, who names payload i as a missing organisation
        survey = surveys.create_survey(
            {
                "title": v("survey", i, "title", 200),
                "intro": v("survey", i, "intro", 5000),
                "topic_ids": [ids["topic"][i]],
                "closes_on": (begins + timedelta(days=30)).date().isoformat(),
            }
        )
        keep("survey", survey)
        (recipient,) = surveys.add_recipients(survey, [ids["contact"][i]])
        ids["recipient"].append(recipient.id)
        ids["survey_token"].append(survey_tokens.link_token(recipient))
        survey_batch, _ = sending.send_survey(survey)
        queue.deliver(batch=survey_batch)
        ids.setdefault("survey_batch", []).append(survey_batch)
        answers.save_answer(
            recipient,
            {
                "nominations": [
                    {
                        "name": v("nomination", i, "name", 200),
                        "reason": v("nomination", i, "reason", 1000),
                    }
                ]
            },
        )
        nomination = db.session.scalar(
            sa.select(SurveyProposal).where(SurveyProposal.recipient_id == recipient.id)
        )
        keep("nomination", nomination)
        ids.setdefault("proposal", []).append(nomination.id)

    # the second half of the process: projects, outcomes, the programme and its drafts
    from netzwerk.programme import drafts, monitoring, reflection
    from netzwerk.programme import services as programme
    from netzwerk.projects import services as projects
    from netzwerk.workshops import outcomes

    for i in range(n):
        project = projects.create_project(
            {
                "title": v("project", i, "title", 200),
                "description": v("project", i, "description"),
                "funding_programme": v("project", i, "funding_programme", 200),
                "lead_actor_id": ids["actor"][i],
                "topics": [ids["topic"][i]],
            }
        )
        keep("project", project)
        workshop = workshops.get_workshop(ids["workshop"][i])
        outcome = outcomes.create_outcome(
            workshop,
            {
                "kind": "zusage",
                "topic_id": ids["topic"][i],
                "text": v("outcome", i, "text", 1000),
                "named_organisation": v("outcome", i, "named_organisation", 200),
            },
        )
        keep("outcome", outcome)
        follow_up = outcomes.create_follow_up(
            workshop,
            {"text": v("follow_up", i, "text", 500), "owner": v("follow_up", i, "owner", 200)},
        )
        keep("follow_up", follow_up)
        goal = programme.create_goal(
            {
                "topic_id": ids["topic"][i],
                "title": v("goal", i, "title", 300),
                "description": v("goal", i, "description"),
                "outcome_ids": [outcome.id],
            }
        )
        keep("goal", goal)
        measure = programme.create_measure(
            {
                "goal_id": goal.id,
                "title": v("measure", i, "title", 300),
                "description": v("measure", i, "description"),
                "indicator": v("measure", i, "indicator", 300),
                "funding_source": v("measure", i, "funding_source", 200),
                "lead_actor_id": ids["actor"][i],
            }
        )
        keep("measure", measure)
        update = monitoring.add_update(
            measure, {"status": "laufend", "note": v("status_update", i, "note")}
        )
        keep("status_update", update)
        measured = monitoring.add_value(
            measure, {"value": 3, "note": v("indicator_value", i, "note", 500)}
        )
        keep("indicator_value", measured)
        draft = drafts.freeze(v("draft", i, "note", 500))
        keep("draft", draft, draft.number)
        link = reflection.create_links(draft, workshop, None)[0]
        ids["reflection_link"].append(link.id)
        ids["reflection_token"].append(reflection.token(link))

    corpus.feed_token = feeds.create_feed(None).token
    db.session.remove()
    return corpus
