"""The analysis cache after edits: the graph follows each change at once (row by row, equal to a
graph built from scratch), the slow metrics and findings catch up in the background and are
marked while they are older than the data."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from netzwerk.actors import services as actor_services
from netzwerk.actors.models import Actor, Relation
from netzwerk.audit.models import AuditEntry
from netzwerk.extensions import db
from netzwerk.network import analysis, reports, state
from netzwerk.network.graph import build_graph
from netzwerk.topics import services as topic_services
from netzwerk.topics.models import Topic
from tests import factories

CATCH_UP = 60  # seconds the background may take at most on a slow machine


@pytest.fixture
def demo(app):
    from netzwerk.demo.services import load_demo

    with app.app_context():
        load_demo()
        kepol = db.session.scalar(
            sa.select(Actor.id).where(Actor.short_name == "KEpol-Koordination")
        )
        sdg12 = db.session.scalar(sa.select(Topic.id).where(Topic.code == "SDG12"))
    return {"kepol": kepol, "sdg12": sdg12}


def shape(graph) -> tuple:
    """Everything the analyses and the map read, in iteration order."""
    return (
        graph.graph,
        list(graph.nodes(data=True)),
        list(graph.edges(keys=True, data=True)),
        list(graph.in_edges(keys=True, data=True)),
    )


def followed_equals_rebuilt() -> state.Snapshot:
    snap = state.snapshot()
    assert snap.followed, "the change should have been followed row by row"
    assert shape(snap.graph) == shape(build_graph())
    return snap


def test_followed_graph_equals_a_graph_built_from_scratch(app, demo):
    with app.app_context():
        start = state.snapshot()
        assert not start.followed
        kepol = db.session.get(Actor, demo["kepol"])
        sdg12 = db.session.get(Topic, demo["sdg12"])
        other = db.session.scalar(sa.select(Actor).where(Actor.id != kepol.id).limit(1))

        actor_services.update_actor(other, {"name": "Umbenannt e.V.", "power": 5})
        followed_equals_rebuilt()
        newcomer = factories.actor(name="Neuer Weltladen", category="weltladen")
        followed_equals_rebuilt()
        first = factories.relation(newcomer, kepol)
        followed_equals_rebuilt()
        factories.relation(newcomer, kepol, kind="foerderung")  # a parallel edge
        factories.relation(kepol, newcomer, kind="information")  # and one the other way
        followed_equals_rebuilt()
        actor_services.update_relation(first, {"kind": "partnerschaft", "strength": 3})
        followed_equals_rebuilt()
        actor_services.delete_relation(first)  # the parallel one stays
        followed_equals_rebuilt()
        link = factories.link(newcomer, sdg12, role="interessiert")
        followed_equals_rebuilt()
        topic_services.update_link(link, {"role": "federfuehrend"})
        followed_equals_rebuilt()
        contact = factories.contact(newcomer)
        snap = followed_equals_rebuilt()
        assert snap.graph.nodes[f"a{newcomer.id}"]["has_email"] is True
        actor_services.delete_contact(contact)
        followed_equals_rebuilt()
        topic_services.unlink(link)
        followed_equals_rebuilt()

        # several changes at once, among them a deleted actor whose id is used again
        newcomer_id = newcomer.id
        actor_services.delete_actor(newcomer)
        again = factories.actor(name="Wieder da", category="schule")
        factories.relation(again, other)
        actor_services.delete_actor(kepol)  # many relations and topic links go with it
        snap = followed_equals_rebuilt()
        if db.engine.dialect.name == "sqlite":
            assert again.id == newcomer_id  # SQLite hands out the freed id again
        assert snap.graph.degree(f"a{again.id}") == 1

        # the analyses see the same graph
        assert analysis.metrics(snap.graph) == analysis.metrics(build_graph())
        assert snap.metrics() == analysis.metrics(build_graph())
        assert start.graph.number_of_nodes() == len(shape(start.graph)[1])  # left as it was


def test_changes_that_do_not_touch_the_graph_keep_it(app, demo):
    with app.app_context():
        first = state.snapshot()
        from netzwerk.auth.services import create_user

        create_user("neu", "ein-langes-passwort-1", "viewer")
        second = state.snapshot()
        assert second is not first and second.graph is first.graph


def test_other_changes_build_the_graph_again(app, demo):
    with app.app_context():
        first = state.snapshot()
        factories.topic(code="SDG5", title="Geschlechtergerechtigkeit")
        second = state.snapshot()
        assert not second.followed
        assert "SDG5" in {t["code"] for t in reports.topics(second)}
        assert first.graph.number_of_nodes() + 1 == second.graph.number_of_nodes()


def test_a_change_committed_late_is_seen_at_once(app, demo):
    """On PostgreSQL a transaction may commit after one that took a higher audit id: the change
    counter rises in commit order, so the late change is seen by the next request, not only
    after some later change."""
    with app.app_context():
        snap = state.snapshot()
        high = db.session.scalar(sa.select(sa.func.max(AuditEntry.id))) + 10
        actor_a, actor_b = db.session.scalars(sa.select(Actor).limit(2)).all()
        actor_a.city = "Maastricht"
        db.session.add(AuditEntry(id=high, entity="actor", entity_id=actor_a.id, action="update"))
        db.session.commit()
        assert state.snapshot().graph.nodes[f"a{actor_a.id}"]["city"] == "Maastricht"
        actor_b.city = "Lüttich"  # committed late, with a lower audit id than the one before
        db.session.add(
            AuditEntry(id=high - 5, entity="actor", entity_id=actor_b.id, action="update")
        )
        db.session.commit()
        later = followed_equals_rebuilt()
        assert later.key > snap.key
        assert later.graph.nodes[f"a{actor_b.id}"]["city"] == "Lüttich"
        if db.engine.dialect.name == "postgresql":  # ids were given by hand: move the sequence on
            db.session.execute(
                sa.text(
                    "SELECT setval(pg_get_serial_sequence('audit_entry', 'id'),"
                    " (SELECT max(id) FROM audit_entry))"
                )
            )
            db.session.commit()


def test_the_change_counter_rises_in_commit_order(app, demo):
    """Two writers at once: the one that commits later gets the higher counter, whatever
    order they started in (on SQLite the second waits for the database lock, on PostgreSQL
    for the counter's row)."""
    with app.app_context():
        first_actor, second_actor = db.session.scalars(sa.select(Actor.id).limit(2)).all()
        engine = db.engine
    order: list[str] = []

    def write(actor_id: int, name: str, hold: threading.Event | None, go: threading.Event):
        with app.app_context(), Session(engine) as session:
            actor = session.get(Actor, actor_id)
            actor.city = name
            session.add(record_entry(actor_id))
            session.flush()  # takes the counter (and the write lock)
            if hold is not None:
                hold.set()
                go.wait(10)
            order.append(name)
            session.commit()

    def record_entry(actor_id):
        return AuditEntry(entity="actor", entity_id=actor_id, action="update", label="")

    flushed, release = threading.Event(), threading.Event()
    early = threading.Thread(target=write, args=(first_actor, "zuerst", flushed, release))
    early.start()
    assert flushed.wait(10)
    late = threading.Thread(target=write, args=(second_actor, "danach", None, threading.Event()))
    late.start()
    time.sleep(0.5)  # the second writer waits for the first
    assert order == []
    release.set()
    early.join(20)
    late.join(20)
    assert order == ["zuerst", "danach"]
    with app.app_context():
        stamps = dict(
            db.session.execute(
                sa.select(AuditEntry.entity_id, AuditEntry.data_version).where(
                    AuditEntry.entity_id.in_([first_actor, second_actor]),
                    AuditEntry.entity == "actor",
                    AuditEntry.action == "update",
                )
            ).all()
        )
        assert stamps[first_actor] < stamps[second_actor]
        snap = state.snapshot()
        assert snap.key == stamps[second_actor]
        assert snap.graph.nodes[f"a{first_actor}"]["city"] == "zuerst"
        assert snap.graph.nodes[f"a{second_actor}"]["city"] == "danach"


def wait_for(check, what: str):
    deadline = time.monotonic() + CATCH_UP
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    pytest.fail(f"{what} did not happen within {CATCH_UP} s")


def node(data: dict, actor_id: int) -> dict | None:
    return next((n for n in data["nodes"] if n.get("actor_id") == actor_id), None)


def test_map_shows_a_new_actor_at_once_and_its_metrics_follow(app, demo, login, api_token):
    viewer = login("viewer")
    editor = api_token("editor")
    before = viewer.get("/api/graph").get_json()
    assert before["metrics_current"] is True

    client = app.test_client()
    created = client.post(
        "/api/actors",
        json={"name": "Neue Initiative", "category": "eine-welt-gruppe"},
        headers=editor,
    )
    new_id = created.get_json()["id"]
    relation = client.post(
        "/api/relations",
        json={"source_id": new_id, "target_id": demo["kepol"], "kind": "kooperation"},
        headers=editor,
    )
    assert relation.status_code == 201, relation.get_json()

    after = viewer.get("/api/graph").get_json()
    fresh = node(after, new_id)
    assert fresh is not None and fresh["name"] == "Neue Initiative"  # at once
    assert fresh["degree"] == 1  # the degree is today's
    assert after["metrics_current"] is False  # betweenness and groups are being recomputed
    assert after["metrics_as_of"] == before["metrics_as_of"]
    assert fresh["community"] is None

    def caught_up():
        data = viewer.get("/api/graph").get_json()
        return data if data["metrics_current"] else None

    done = wait_for(caught_up, "the metrics catching up")
    assert done["metrics_as_of"] > before["metrics_as_of"]
    assert node(done, new_id)["community"] is not None
    # and they are what a computation from scratch gives
    with app.app_context():
        expected = {r["id"]: r for r in analysis.metrics(build_graph())}
    for item in done["nodes"]:
        if item["kind"] == "actor":
            row = expected[item["actor_id"]]
            assert (item["degree"], item["betweenness"], item["community"]) == (
                row["degree"],
                row["betweenness"],
                row["community"],
            )


def test_a_rename_leaves_the_metrics_current(app, demo, login, api_token):
    viewer = login("viewer")
    viewer.get("/api/graph")
    client = app.test_client()
    headers = api_token("editor")
    version = client.get(f"/api/actors/{demo['kepol']}", headers=headers).get_json()["version"]
    response = client.patch(
        f"/api/actors/{demo['kepol']}",
        json={"name": "KEpol Aachen (neu)", "interest": 1, "version": version},
        headers=headers,
    )
    assert response.status_code == 200
    data = viewer.get("/api/graph").get_json()
    assert data["metrics_current"] is True  # the relations did not change
    kepol = node(data, demo["kepol"])
    assert kepol["name"] == "KEpol Aachen (neu)" and kepol["interest"] == 1
    assert kepol["betweenness"] > 0.3
    rows = viewer.get("/api/metrics?sort=-betweenness&limit=1").get_json()
    assert rows[0]["label"] == "KEpol Aachen (neu)"


def test_api_metrics_and_exports_wait_for_the_current_state(app, demo, login):
    viewer = login("viewer")
    viewer.get("/api/graph")
    with app.app_context():
        kepol = db.session.get(Actor, demo["kepol"])
        newcomer = factories.actor(name="Gerade angelegt", category="schule")
        factories.relation(newcomer, kepol)
        new_id = newcomer.id
    rows = {r["id"]: r for r in viewer.get("/api/metrics").get_json()}
    assert rows[new_id]["community"] is not None and rows[new_id]["degree"] == 1
    with app.app_context():
        assert state.snapshot().metrics() == analysis.metrics(build_graph())


def test_gaps_page_says_when_findings_and_metrics_are_older(app, demo, login):
    viewer = login("viewer")
    notice = "werden im Hintergrund neu berechnet"
    assert notice not in viewer.get("/luecken").get_data(as_text=True)
    with app.app_context():
        loner = factories.actor(name="Ganz neuer Verein", category="eine-welt-gruppe")
        factories.relation(loner, db.session.get(Actor, demo["kepol"]))
        assert db.session.scalar(sa.select(sa.func.count(Relation.id)))
    html = viewer.get("/luecken").get_data(as_text=True)
    assert notice in html  # shown at once, with the earlier state's findings
    wait_for(lambda: notice not in viewer.get("/luecken").get_data(as_text=True), "renewal")
    with app.app_context():
        assert state.snapshot().findings() == analysis.findings(build_graph())


def test_map_after_edits_equals_a_map_built_from_scratch(app, demo, login):
    """The parts of the map kept between states never show an old value."""
    from netzwerk import create_app
    from netzwerk.network import map_data, map_filters

    viewer = login("viewer")
    viewer.get("/api/graph")
    viewer.get("/api/graph?topic=SDG12")
    with app.app_context():
        kepol = db.session.get(Actor, demo["kepol"])
        other = db.session.scalar(sa.select(Actor).where(Actor.id != kepol.id).limit(1))
        actor_services.update_actor(kepol, {"description": "Neu beschrieben", "status": "kandidat"})
        actor_services.update_actor(other, {"name": "Neuer Name", "category": "schule"})
        factories.relation(other, kepol, kind="konflikt")
    wait_for(lambda: viewer.get("/api/graph").get_json()["metrics_current"], "metrics")

    fresh = create_app(
        {
            "INSTANCE_PATH": app.instance_path,
            **{k: app.config[k] for k in ("TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI")},
        }
    )
    try:
        for query in ("", "?topic=SDG12", "?kind=konflikt", "?sector=verwaltung&topics=0"):
            kept = viewer.get(f"/api/graph{query}").get_json()
            with fresh.test_request_context(f"/api/graph{query}"):
                from flask import request

                built = map_data.map_data(map_filters.parse_filters(request.args))
            assert kept["nodes"] == built["nodes"], query
            assert kept["edges"] == built["edges"], query
            assert kept["counts"] == built["counts"], query
    finally:
        with fresh.app_context():
            db.session.remove()
            db.engine.dispose()


def test_gap_inputs_are_all_that_gaps_read(app, demo):
    """Gaps and their candidates are kept across a change that leaves GAP_INPUTS and the topic
    links alone; so changing every other attribute of every actor must not change them."""
    with app.app_context():
        snap = state.snapshot()
        graph = snap.graph
        other = graph.copy()
        for node, attrs in other.nodes(data=True):
            if attrs["kind"] != "actor":
                continue
            for name, value in list(attrs.items()):
                if name in (*state.GAP_INPUTS, "kind"):
                    continue
                if isinstance(value, bool):
                    attrs[name] = not value
                elif isinstance(value, int):
                    attrs[name] = value + 7
                else:
                    attrs[name] = f"{value}-anders"
        assert analysis.gaps(other, snap.reference) == analysis.gaps(graph, snap.reference)
        assert reports.candidates(other) == reports.candidates(graph)


def test_gaps_are_kept_or_computed_again_as_the_change_requires(app, demo):
    def current() -> state.Snapshot:
        reports.gap_list()  # gaps and candidates of this state
        snap = state.snapshot()
        fresh = build_graph()
        assert snap.gaps() == analysis.gaps(fresh, snap.reference)
        assert snap.carry(reports.CANDIDATES) == reports.candidates(fresh)
        return snap

    with app.app_context():
        first = current()
        kepol = db.session.get(Actor, demo["kepol"])
        actor_services.update_actor(kepol, {"interest": kepol.interest % 5 + 1})
        kept = current()
        assert kept.followed and kept.gaps() is first.gaps()  # nothing gaps read changed
        church = factories.actor(name="Katholikenrat", category="kirche", status="kandidat")
        factories.link(church, db.session.get(Topic, demo["sdg12"]))
        linked = current()
        assert linked.gaps() is not kept.gaps()
        actor_services.update_actor(church, {"power": 5})
        assert current().gaps() is linked.gaps()
        actor_services.update_actor(church, {"status": "aktiv"})
        assert current().gaps() != linked.gaps()  # one more active actor for SDG12
        actor_services.update_actor(church, {"name": "Katholikenrat Aachen", "status": "kandidat"})
        current()


# --- the metrics shared by all workers -----------------------------------------------------------


def second_worker(app):
    """Another process of the same installation: an app of its own on the same database."""
    from netzwerk import create_app

    return create_app(dict(app.config))


def counting_metrics(monkeypatch) -> list:
    """Records every computation of the metrics (they still run)."""
    calls = []
    real = analysis.metrics

    def counted(graph):
        calls.append(graph.number_of_nodes())
        return real(graph)

    monkeypatch.setattr(analysis, "metrics", counted)
    return calls


def test_a_fresh_worker_reads_the_metrics_another_worker_computed(app, demo, monkeypatch):
    calls = counting_metrics(monkeypatch)
    with app.app_context():
        first = state.snapshot()
        rows = first.metrics()
        first.analyses.sharing.join(CATCH_UP)
    assert len(calls) == 1

    other = second_worker(app)
    with other.app_context():
        fresh = state.snapshot()
        assert fresh is not first
        assert fresh.metrics() == rows  # the same figures, read instead of computed
    assert len(calls) == 1

    # a new relation changes the structure: the next worker computes and shares anew
    with app.app_context():
        actor_services.create_relation(
            {
                "source_id": demo["kepol"],
                "target_id": factories.actor(name="Neu e.V.").id,
                "kind": "kooperation",
            }
        )
        after = state.snapshot()
        changed = after.metrics()
        after.analyses.sharing.join(CATCH_UP)
    assert len(calls) == 2 and changed != rows
    with other.app_context():
        assert state.snapshot().metrics() == changed
    assert len(calls) == 2


def test_a_rename_elsewhere_keeps_the_shared_metrics(app, demo, monkeypatch):
    """A name or category edit leaves the relations as they were: the shared metrics still
    describe the structure, so no worker computes them again."""
    calls = counting_metrics(monkeypatch)
    with app.app_context():
        snap = state.snapshot()
        snap.metrics()
        snap.analyses.sharing.join(CATCH_UP)
        actor_services.update_actor(
            db.session.get(Actor, demo["kepol"]), {"name": "KEpol (umbenannt)"}
        )
    other = second_worker(app)
    with other.app_context():
        rows = state.snapshot().metrics()
    assert len(calls) == 1
    assert "KEpol (umbenannt)" in {r["label"] for r in rows}  # today's names on the old figures


# --- the default map shared by all workers -------------------------------------------------------


def counting_builds(monkeypatch) -> list:
    """Records every graph built from all rows (it is still built)."""
    calls = []
    real = state.build_graph

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(state, "build_graph", counted)
    return calls


def shared_map(app, client, headers=None, query: str = ""):
    """The unfiltered map as `client` gets it, once its worker has shared it."""
    response = client.get(f"/api/graph{query}", headers=headers)
    assert response.status_code == 200
    assert response.get_json()["metrics_current"] is True
    with app.app_context():
        sharing = state.snapshot().analyses.sharing
    if sharing is not None:
        sharing.join(CATCH_UP)
    return response


def test_a_fresh_worker_answers_the_map_another_worker_made(app, demo, api_token, monkeypatch):
    from netzwerk.network import map_data

    viewer, editor = api_token("viewer"), api_token("editor")
    made = shared_map(app, app.test_client(), viewer)
    english = shared_map(app, app.test_client(), viewer, "?lang=en")
    assert english.data != made.data
    builds = counting_builds(monkeypatch)

    other = second_worker(app)
    client = other.test_client()
    assert client.get("/api/graph", headers=viewer).data == made.data
    assert client.get("/api/graph?lang=en", headers=viewer).data == english.data
    assert builds == []  # read as the other worker made it, without building the graph
    # a filtered map is this worker's own
    topic = client.get("/api/graph?topic=SDG12", headers=viewer).get_json()
    assert builds == [1] and topic["counts"]["topics"] == 1

    # a change through the first worker: the second shows it, not the shared map of before
    with app.app_context():
        actor_services.update_actor(
            db.session.get(Actor, demo["kepol"]), {"name": "KEpol (umbenannt)"}
        )
    renamed = client.get("/api/graph", headers=viewer).get_json()
    assert node(renamed, demo["kepol"])["name"] == "KEpol (umbenannt)"
    assert renamed["metrics_current"] is True
    # moved on the first worker: the second shows the new place
    moved = app.test_client().post(
        "/api/graph/positions",
        json={"positions": [{"id": f"a{demo['kepol']}", "x": 4321.0, "y": -1234.0}]},
        headers=editor,
    )
    assert moved.status_code == 200, moved.get_json()
    kepol = node(client.get("/api/graph", headers=viewer).get_json(), demo["kepol"])
    assert (kepol["x"], kepol["y"]) == (4321.0, -1234.0)

    # after an update of the software a worker makes the map again, the same as before
    shared = shared_map(app, app.test_client(), viewer)
    monkeypatch.setattr(map_data, "_CODE", ["a later release"])
    builds.clear()
    third = second_worker(app)
    assert third.test_client().get("/api/graph", headers=viewer).data == shared.data
    assert builds == [1]
