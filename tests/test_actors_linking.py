"""Everyday ways to an actor: link an existing one to a topic (topic page, gap row, ghost node)
instead of creating a second entry, a question before creating a likely duplicate, and a search
that finds actors by their contacts, umlauts written as ae/oe/ue and words inside names."""

from __future__ import annotations

import re

import sqlalchemy as sa

from netzwerk.actors import services as actor_services
from netzwerk.actors.models import Actor
from netzwerk.core.text import similarity
from netzwerk.extensions import db
from netzwerk.topics.models import ActorTopic
from tests import factories


def actor_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Actor.id)))


def test_names_that_mean_the_same_organisation_are_alike():
    known = "Förderverein Aachen-Kapstadt e.V."
    assert similarity("Förderverein Aachen Kapstadt", known) >= 0.85
    assert similarity("Foerderverein Aachen Kapstadt", known) >= 0.85
    assert similarity("FÖRDERVEREIN AACHEN–KAPSTADT", known) >= 0.85
    assert similarity("Stadt Aachen", "Städteregion Aachen") < 0.85
    assert similarity("Misereor", "Missio") < 0.85


def test_the_actor_form_asks_before_creating_a_likely_duplicate(app, login):
    with app.app_context():
        known = factories.actor(
            name="Förderverein Aachen-Kapstadt e.V.", category="partnerschaftsverein"
        )
        known_id = known.id
    editor = login("editor")
    form = {
        "csrf_token": editor.csrf,
        "name": "Foerderverein Aachen Kapstadt",
        "category": "partnerschaftsverein",
        "level": "lokal",
        "status": "aktiv",
        "country": "DE",
        "power": "3",
        "interest": "3",
        "topic_role": "mitwirkend",
        "sector": "",
        "topic": "",
    }
    before = actor_count(app)
    page = editor.post("/akteure/neu", data=form)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Gibt es diesen Akteur schon?" in html
    assert f'href="/akteure/{known_id}"' in html and "Förderverein Aachen-Kapstadt e.V." in html
    assert 'value="Foerderverein Aachen Kapstadt"' in html  # what was typed stays in the form
    assert actor_count(app) == before  # nothing created yet
    # the coordinator knows better: it is another organisation
    done = editor.post("/akteure/neu", data=form | {"confirm_similar": "1"})
    assert done.status_code == 302
    assert actor_count(app) == before + 1


def test_a_name_unlike_any_other_is_created_at_once(app, login):
    with app.app_context():
        factories.actor(name="Städteregion Aachen")
    editor = login("editor")
    response = editor.post(
        "/akteure/neu",
        data={
            "csrf_token": editor.csrf,
            "name": "Stadt Aachen",
            "category": "verwaltung",
            "level": "lokal",
            "status": "aktiv",
            "country": "DE",
            "power": "3",
            "interest": "3",
            "topic_role": "mitwirkend",
            "sector": "",
            "topic": "",
        },
    )
    assert response.status_code == 302


def test_a_new_actor_from_a_gap_joins_the_topic_as_contributing(app, login):
    with app.app_context():
        topic_id = factories.topic().id
    editor = login("editor")
    html = editor.get(f"/akteure/neu?category=kirche&topic={topic_id}").get_data(as_text=True)
    role = re.search(r'<select[^>]*name="topic_role".*?</select>', html, re.S).group(0)
    assert re.search(r'<option selected value="mitwirkend">|value="mitwirkend" selected', role)


def test_an_existing_actor_is_linked_from_the_topic_page(app, login):
    with app.app_context():
        topic = factories.topic(code="SDG12", title="Faire Beschaffung")
        topic_id = topic.id
        church = factories.actor(name="Katholikenrat Aachen", category="kirche")
        other = factories.actor(name="Evangelischer Kirchenkreis", category="kirche")
        factories.actor(name="RWTH Aachen", category="hochschule")
        factories.link(other, topic)
        church_id = church.id
    editor = login("editor")
    topic_page = editor.get(f"/themen/{topic_id}").get_data(as_text=True)
    assert f'href="/themen/{topic_id}/zuordnen"' in topic_page
    # from a gap: the missing category narrows the list; the linked one is not offered again
    page = editor.get(f"/themen/{topic_id}/zuordnen?category=kirche").get_data(as_text=True)
    assert "Katholikenrat Aachen" in page
    assert "Evangelischer Kirchenkreis" not in page and "RWTH Aachen" not in page
    # the search finds it with ae/oe/ue and a word from inside the name
    found = editor.get(f"/themen/{topic_id}/zuordnen?q=katholikenrat").get_data(as_text=True)
    assert "Katholikenrat Aachen" in found and "RWTH" not in found
    response = editor.post(
        f"/themen/{topic_id}/zuordnen?category=kirche",
        data={"csrf_token": editor.csrf, "actor_id": church_id, "role": "mitwirkend"},
    )
    assert response.status_code == 302 and response.location.endswith(f"/themen/{topic_id}")
    with app.app_context():
        link = db.session.scalar(
            sa.select(ActorTopic).where(
                ActorTopic.actor_id == church_id, ActorTopic.topic_id == topic_id
            )
        )
        assert link is not None and link.role.value == "mitwirkend"
    shown = editor.get(response.location).get_data(as_text=True)
    assert "Katholikenrat Aachen" in shown and "dem Thema SDG12 zugeordnet" in shown


def test_linking_without_choosing_an_actor_says_so(app, login):
    with app.app_context():
        topic_id = factories.topic().id
        factories.actor(name="Welthaus Aachen", category="weltladen")
    editor = login("editor")
    response = editor.post(
        f"/themen/{topic_id}/zuordnen", data={"csrf_token": editor.csrf, "role": "mitwirkend"}
    )
    assert response.status_code == 200
    assert "Bitte einen Akteur wählen." in response.get_data(as_text=True)


def test_gap_rows_and_ghost_nodes_offer_linking_an_existing_actor(app, login):
    from netzwerk.demo.services import load_demo
    from netzwerk.topics.models import Topic

    with app.app_context():
        load_demo()
        sdg12 = db.session.scalar(sa.select(Topic.id).where(Topic.code == "SDG12"))
    editor = login("editor")
    data = editor.get("/api/graph?topic=SDG12").get_json()
    ghost = next(n for n in data["nodes"] if n["kind"] == "gap" and n["category"] == "kirche")
    assert ghost["link_url"] == f"/themen/{sdg12}/zuordnen?category=kirche"
    assert editor.get(ghost["link_url"]).status_code == 200
    gaps = editor.get("/luecken").get_data(as_text=True)
    assert f"/themen/{sdg12}/zuordnen?category=kirche" in gaps


def test_actor_search_finds_contacts_umlauts_and_words_inside_names(app):
    with app.app_context():
        verein = factories.actor(name="Förderverein Aachen-Kapstadt e.V.", city="Aachen")
        factories.contact(
            verein, name="Jürgen Müller", function="Vorsitz", email="jm@verein.example"
        )
        factories.actor(name="Welthaus Aachen")

        def names(q):
            query = actor_services.actor_query({"q": q})
            return [a.name for a in db.session.scalars(query).unique()]

        assert names("foerderverein kapstadt") == ["Förderverein Aachen-Kapstadt e.V."]
        assert names("Kapstadt Förder") == ["Förderverein Aachen-Kapstadt e.V."]
        assert names("muell") == ["Förderverein Aachen-Kapstadt e.V."]  # the contact's name
        assert names("verein.example") == ["Förderverein Aachen-Kapstadt e.V."]
        assert names("vorsitz") == ["Förderverein Aachen-Kapstadt e.V."]
        assert names("haus") == ["Welthaus Aachen"]
        assert names("100%") == []
