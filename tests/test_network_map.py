"""The map's server side: /api/graph on the demo data, filters, stored positions, the
"Neu anordnen" action, the table view and vis-network served from the installed pyvis."""

from __future__ import annotations

import math
from importlib import resources

import pytest
import sqlalchemy as sa

from netzwerk.extensions import db
from netzwerk.network.layout import SPACING
from netzwerk.network.models import NodePosition
from tests import factories


@pytest.fixture
def demo(app):
    """The Aachen demo; returns {topic code: topic id} and {actor name: actor id}."""
    from netzwerk.actors.models import Actor
    from netzwerk.demo.services import load_demo
    from netzwerk.network.positions import place_new_nodes
    from netzwerk.topics.models import Topic

    with app.app_context():
        load_demo()
        place_new_nodes()  # as `setup` does: the first layout is stored
        topics = dict(db.session.execute(sa.select(Topic.code, Topic.id)).all())
        actors = dict(db.session.execute(sa.select(Actor.name, Actor.id)).all())
    return {"topics": topics, "actors": actors}


def nodes_of(data, kind):
    return [n for n in data["nodes"] if n["kind"] == kind]


def positions_in_db(app) -> dict[str, tuple[float, float]]:
    with app.app_context():
        rows = db.session.execute(sa.select(NodePosition.key, NodePosition.x, NodePosition.y))
        return {key: (x, y) for key, x, y in rows}


def test_graph_shows_actors_topics_workshops_and_the_demo_gaps(app, login, demo):
    viewer = login("viewer")
    response = viewer.get("/api/graph")
    assert response.status_code == 200
    data = response.get_json()

    assert len(nodes_of(data, "actor")) == len(demo["actors"]) == 62
    assert {t["label"] for t in nodes_of(data, "topic")} == set(demo["topics"])
    with app.app_context():
        from netzwerk.workshops.services import workshops

        if workshops():
            assert nodes_of(data, "workshop")
    for node in data["nodes"]:
        assert isinstance(node["x"], float | int) and isinstance(node["y"], float | int)

    sdg12 = demo["topics"]["SDG12"]
    ghosts = {g["category"]: g for g in nodes_of(data, "gap") if g["topic_id"] == sdg12}
    for missing in ("migrantenorganisation", "kirche", "handel-gastronomie"):
        assert missing in ghosts, f"no ghost node for {missing} at SDG12"
    kirche = ghosts["kirche"]
    assert kirche["label"] == "fehlt: Kirche/Glaubensgemeinschaft"
    assert kirche["have"] == 0 and kirche["need"] >= 1 and kirche["reason"]
    assert kirche["create_url"] == f"/akteure/neu?category=kirche&topic={sdg12}"
    # each ghost hangs on its topic with a dashed "gap" edge
    gap_edges = {(e["from"], e["to"]) for e in data["edges"] if e["kind"] == "gap"}
    assert (kirche["id"], f"t{sdg12}") in gap_edges
    # and sits near that topic
    topic = next(t for t in nodes_of(data, "topic") if t["topic_id"] == sdg12)
    assert math.dist((kirche["x"], kirche["y"]), (topic["x"], topic["y"])) < 5 * SPACING

    # degree and betweenness from the analysis come along for the side panel
    kepol = next(n for n in nodes_of(data, "actor") if n["actor_id"] == 1)
    assert kepol["degree"] > 20 and kepol["betweenness"] > 0.3
    assert data["styles"]["categories"]["kirche"].startswith("#")


def test_gap_button_opens_the_prefilled_actor_form(app, login, demo):
    editor = login("editor")
    data = editor.get("/api/graph?topic=SDG12").get_json()
    ghost = next(g for g in nodes_of(data, "gap") if g["category"] == "kirche")
    html = editor.get(ghost["create_url"]).get_data(as_text=True)
    assert '<option selected value="kirche">' in html or 'value="kirche" selected' in html


def test_filters_reduce_the_graph_and_are_checked(app, login, demo):
    viewer = login("viewer")
    full = viewer.get("/api/graph").get_json()
    sdg12 = demo["topics"]["SDG12"]

    by_topic = viewer.get("/api/graph?topic=SDG12").get_json()
    assert 0 < len(nodes_of(by_topic, "actor")) < len(nodes_of(full, "actor"))
    assert [t["topic_id"] for t in nodes_of(by_topic, "topic")] == [sdg12]
    linked = {e["from"] for e in by_topic["edges"] if e["kind"] == "topic_link"}
    assert {a["id"] for a in nodes_of(by_topic, "actor")} == linked
    assert all(g["topic_id"] == sdg12 for g in nodes_of(by_topic, "gap"))
    assert viewer.get(f"/api/graph?topic={sdg12}").get_json()["counts"] == by_topic["counts"]

    schools = viewer.get("/api/graph?category=schule").get_json()
    assert nodes_of(schools, "actor")
    assert {a["category"] for a in nodes_of(schools, "actor")} == {"schule"}

    civil = viewer.get("/api/graph?sector=zivilgesellschaft&status=aktiv").get_json()
    assert all(
        a["sector"] == "zivilgesellschaft" and a["status"] == "aktiv"
        for a in nodes_of(civil, "actor")
    )

    funding = viewer.get("/api/graph?kind=foerderung").get_json()
    relations = [e for e in funding["edges"] if e["kind"] not in ("topic_link", "gap", "workshop")]
    assert relations and all(e["kind"] == "foerderung" for e in relations)
    assert len(nodes_of(funding, "actor")) < len(nodes_of(full, "actor"))

    ego = viewer.get("/api/graph?ego=a2&depth=1&topics=0").get_json()
    ids = {a["id"] for a in nodes_of(ego, "actor")}
    neighbours = {
        e["to"] if e["from"] == "a2" else e["from"]
        for e in full["edges"]
        if "a2" in (e["from"], e["to"]) and e["kind"] not in ("topic_link", "workshop")
    }
    assert ids == {"a2"} | neighbours
    assert not nodes_of(ego, "topic") and not nodes_of(ego, "gap")
    wider = viewer.get("/api/graph?ego=a2&depth=2&topics=0").get_json()
    assert len(nodes_of(wider, "actor")) > len(ids)

    hidden = viewer.get("/api/graph?ghosts=0&workshops=0").get_json()
    assert not nodes_of(hidden, "gap") and not nodes_of(hidden, "workshop")

    bad_filters = (("topic=SDG99", "topic"), ("sector=weltall", "sector"), ("depth=7", "depth"))
    for bad, field in bad_filters:
        response = viewer.get(f"/api/graph?ego=a1&{bad}")
        assert response.status_code == 422, bad
        assert field in response.get_json()["fields"]


def test_positions_are_stored_and_stable(app, login, demo):
    viewer = login("viewer")
    stored = positions_in_db(app)
    first = viewer.get("/api/graph").get_json()
    second = viewer.get("/api/graph").get_json()
    where = {n["id"]: (n["x"], n["y"]) for n in first["nodes"]}
    assert where == {n["id"]: (n["x"], n["y"]) for n in second["nodes"]}
    assert positions_in_db(app) == stored  # reading the map writes nothing

    # every layer's nodes have a stored place, the optional project layer's too
    every_layer = viewer.get("/api/graph?projects=1").get_json()
    placed = [n for n in every_layer["nodes"] if n["kind"] != "gap"]
    assert {n["id"] for n in placed} == set(stored)
    assert all(stored[n["id"]] == (n["x"], n["y"]) for n in placed)
    # ghosts are computed on the fly, never stored
    assert not any(key.startswith("g") for key in stored)
    # a filtered view uses the same stored positions
    subset = viewer.get("/api/graph?topic=SDG12").get_json()
    assert all(where[n["id"]] == (n["x"], n["y"]) for n in nodes_of(subset, "actor"))


def test_new_actor_is_placed_next_to_its_neighbour(app, login, demo):
    viewer = login("viewer")
    before = {n["id"]: (n["x"], n["y"]) for n in viewer.get("/api/graph").get_json()["nodes"]}
    with app.app_context():
        from netzwerk.actors.models import Actor

        neighbour = db.session.get(Actor, demo["actors"]["Welthaus Aachen e.V."])
        newcomer = factories.actor(name="Neuer Eine-Welt-Laden", category="weltladen")
        factories.relation(newcomer, neighbour)
        loner = factories.actor(name="Ganz allein e.V.", category="eine-welt-gruppe")
        new_id, near_id, loner_id = newcomer.id, neighbour.id, loner.id
    after = {n["id"]: (n["x"], n["y"]) for n in viewer.get("/api/graph").get_json()["nodes"]}

    new, near = after[f"a{new_id}"], after[f"a{near_id}"]
    assert math.dist(new, near) < 2 * SPACING
    assert math.dist(new, near) > 1  # next to it, not on top of it
    unchanged = [k for k in before if not k.startswith("g")]
    assert all(after[k] == before[k] for k in unchanged), "existing nodes must not move"
    # without neighbours: a free spot on the rim, outside the existing picture
    xs = [p[0] for k, p in before.items() if not k.startswith("g")]
    ys = [p[1] for k, p in before.items() if not k.startswith("g")]
    centre = (sum(xs) / len(xs), sum(ys) / len(ys))
    radius = max(math.dist(centre, (x, y)) for x, y in zip(xs, ys, strict=True))
    assert math.dist(after[f"a{loner_id}"], centre) > radius
    # placed for the reader, stored with the next change (a read writes nothing)
    assert f"a{new_id}" not in positions_in_db(app)
    editor = login("editor")
    response = editor.post(
        "/api/actors",
        json={"name": "Noch ein Weltladen", "category": "weltladen"},
        headers={"X-CSRFToken": editor.csrf},
    )
    assert response.status_code == 201
    stored = positions_in_db(app)
    assert stored[f"a{new_id}"] == new and f"a{response.get_json()['id']}" in stored


def test_only_editors_save_positions(app, login, demo):
    viewer = login("viewer")
    viewer.get("/api/graph")
    moved = {"positions": [{"id": "a1", "x": 1234.5, "y": -987.0}]}
    response = viewer.post("/api/graph/positions", json=moved, headers={"X-CSRFToken": viewer.csrf})
    assert response.status_code == 403
    assert positions_in_db(app)["a1"] != (1234.5, -987.0)

    editor = login("editor")
    assert editor.post("/api/graph/positions", json=moved).status_code == 400  # no CSRF token
    response = editor.post("/api/graph/positions", json=moved, headers={"X-CSRFToken": editor.csrf})
    assert response.status_code == 200 and response.get_json() == {"saved": 1}
    assert positions_in_db(app)["a1"] == (1234.5, -987.0)
    with app.app_context():
        assert db.session.get(NodePosition, "a1").pinned
    node = next(n for n in viewer.get("/api/graph").get_json()["nodes"] if n["id"] == "a1")
    assert (node["x"], node["y"]) == (1234.5, -987.0)

    for bad in (
        [{"id": "g1-kirche", "x": 0, "y": 0}],
        [{"id": "a1", "x": "links", "y": 0}],
        [{"id": "a99999", "x": 0, "y": 0}],
        [],
    ):
        response = editor.post(
            "/api/graph/positions", json={"positions": bad}, headers={"X-CSRFToken": editor.csrf}
        )
        assert response.status_code == 422, bad
        assert response.get_json()["error"]


def test_relayout_recomputes_for_editors_only(app, login, demo):
    editor = login("editor")
    viewer = login("viewer")
    editor.get("/api/graph")
    headers = {"X-CSRFToken": editor.csrf}
    editor.post(
        "/api/graph/positions",
        json={"positions": [{"id": "a1", "x": 99999.0, "y": 99999.0}]},
        headers=headers,
    )
    assert viewer.post("/api/graph/layout", headers={"X-CSRFToken": viewer.csrf}).status_code == 403

    response = editor.post("/api/graph/layout", json={}, headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    stored = positions_in_db(app)
    assert body["nodes"] == len(stored) >= 62 + 5
    assert stored["a1"] != (99999.0, 99999.0)
    with app.app_context():
        assert not db.session.scalar(sa.select(sa.func.count()).where(NodePosition.pinned))
    again = editor.post("/api/graph/layout", json={}, headers=headers)
    assert again.status_code == 200
    assert positions_in_db(app) == stored, "the layout is deterministic"


def test_map_page_redirect_and_table(app, login, demo):
    viewer = login("viewer")
    response = viewer.get("/map?topic=SDG12")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/karte?topic=SDG12")

    page = viewer.get("/karte?topic=SDG12")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/vendor/vis-network.min.js?v=9.1.2" in html
    assert "/static/js/map.js" in html
    assert '<script type="application/json" id="map-config">' in html
    assert "https://" not in html and "http://" not in html  # no CDN, no other host
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "Neu anordnen" not in html  # viewers do not get the button
    assert "Neu anordnen" in login("editor").get("/karte").get_data(as_text=True)
    # a wrong filter in the URL is reported, the page still works
    wrong = viewer.get("/karte?sector=weltall")
    assert wrong.status_code == 200 and "Unbekannter Wert für sector" in wrong.get_data(
        as_text=True
    )

    table = viewer.get("/karte/tabelle?topic=SDG12").get_data(as_text=True)
    assert "Weltladen Aachen" in table
    assert "Kirche/Glaubensgemeinschaft" in table  # the gap
    assert "Stadtbibliothek" not in table  # not linked to SDG12


def test_user_data_is_escaped_in_the_table(app, login):
    with app.app_context():
        a = factories.actor(name="<img src=x onerror=alert(1)>", category="weltladen")
        b = factories.actor(name="Nachbar", category="weltladen")
        factories.relation(a, b)
    html = login("viewer").get("/karte/tabelle").get_data(as_text=True)
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_vis_network_comes_from_the_pyvis_package(client):
    expected = resources.files("pyvis").joinpath("lib/vis-9.1.2/vis-network.min.js").read_bytes()
    response = client.get("/vendor/vis-network.min.js?v=9.1.2")  # no login needed
    assert response.status_code == 200
    assert response.data == expected
    assert response.mimetype == "text/javascript"
    assert "max-age=31536000" in response.headers["Cache-Control"]
    etag = response.headers["ETag"]
    again = client.get("/vendor/vis-network.min.js?v=9.1.2", headers={"If-None-Match": etag})
    assert again.status_code == 304
    css = client.get("/vendor/vis-network.css?v=9.1.2")
    assert css.status_code == 200 and css.mimetype == "text/css"
    assert client.get("/vendor/..%2Fsetup.py").status_code == 404
    assert client.get("/vendor/vis-network.esm.js").status_code == 404


def test_api_needs_login(client):
    assert client.get("/api/graph").status_code == 401


def test_focus_opens_the_map_on_an_actor_and_an_unknown_one_is_named(app, login, demo):
    import json
    import re

    viewer = login("viewer")
    actor_id = next(iter(demo["actors"].values()))
    html = viewer.get(f"/karte?focus={actor_id}").get_data(as_text=True)
    config = json.loads(re.search(r'id="map-config">(.*?)</script>', html, re.S).group(1))
    assert config["focus"] == f"a{actor_id}"
    actor_page = viewer.get(f"/akteure/{actor_id}").get_data(as_text=True)
    assert f'href="/karte?focus={actor_id}"' in actor_page
    wrong = viewer.get("/karte?focus=999999").get_data(as_text=True)
    assert "Unbekannter Akteur für die Karte: 999999" in wrong


def test_a_cancelled_workshop_is_not_drawn_unless_asked_for(app, login):
    from netzwerk.workshops import invitations, services
    from tests.workshops_support import plan

    held = plan(app, title="Fokusgruppe Beschaffung")
    dropped = plan(app, title="Abgesagte Fokusgruppe")
    with app.app_context():
        invitations.cancel_workshop(services.get_workshop(dropped["id"]), "")
    viewer = login("viewer")
    drawn = {n["id"] for n in nodes_of(viewer.get("/api/graph").get_json(), "workshop")}
    assert drawn == {f"w{held['id']}"}
    asked = viewer.get("/api/graph?cancelled=1").get_json()
    assert {n["id"] for n in nodes_of(asked, "workshop")} == {f"w{held['id']}", f"w{dropped['id']}"}
    assert 'name="cancelled"' in viewer.get("/karte").get_data(as_text=True)
