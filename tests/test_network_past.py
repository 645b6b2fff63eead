"""The network of a past day and the comparison with it: a history built through the services
with fixed timestamps, compared with what was true on each day (/api/graph?at=, /api/gaps?at=,
the map data with ?seit=)."""

from __future__ import annotations

import pytest

from tests.history_support import build

pytestmark = pytest.mark.usefixtures("fast_passwords")


def network(data: dict) -> tuple[set, set, set]:
    """(actor names, relations as (from, to, kind), topic links as (actor, topic))."""
    names = {n["id"]: n.get("name", n["label"]) for n in data["nodes"]}
    actors = {n["name"] for n in data["nodes"] if n["kind"] == "actor"}
    relations = {
        (names[e["from"]], names[e["to"]], e["kind"])
        for e in data["edges"]
        if e["kind"] not in ("topic_link", "gap", "workshop", "project")
    }
    links = {(names[e["from"]], names[e["to"]]) for e in data["edges"] if e["kind"] == "topic_link"}
    return actors, relations, links


TOPIC = "SDG99 Testthema"


def test_the_graph_of_a_past_day_is_what_was_true_then(app, login):
    build(app)
    viewer = login("viewer")
    before = viewer.get("/api/graph?at=2025-12-20").get_json()
    assert network(before) == (set(), set(), set())
    assert [n["label"] for n in before["nodes"] if n["kind"] == "topic"] == ["SDG99"]
    january = viewer.get("/api/graph?at=2026-01-20").get_json()
    assert network(january) == (
        {"Stadtverwaltung", "Ratsfraktion <b>X</b>"},
        {("Stadtverwaltung", "Ratsfraktion <b>X</b>", "kooperation")},
        {("Stadtverwaltung", TOPIC), ("Ratsfraktion <b>X</b>", TOPIC)},
    )
    assert january["at"] == "2026-01-20"
    february = viewer.get("/api/graph?at=2026-02-20").get_json()
    assert network(february) == (
        {"Stadtverwaltung", "Ratsfraktion <b>X</b>", "Schule Nord"},
        {
            ("Stadtverwaltung", "Ratsfraktion <b>X</b>", "kooperation"),
            ("Stadtverwaltung", "Schule Nord", "partnerschaft"),
        },
        {("Stadtverwaltung", TOPIC), ("Ratsfraktion <b>X</b>", TOPIC), ("Schule Nord", TOPIC)},
    )
    march = viewer.get("/api/graph?at=2026-03-05").get_json()
    today = viewer.get("/api/graph").get_json()
    expected = (
        {"Stadtverwaltung", "Schule Nord", "Hochschule Süd"},
        set(),
        {("Stadtverwaltung", TOPIC), ("Schule Nord", TOPIC), ("Hochschule Süd", TOPIC)},
    )
    assert network(march) == expected == network(today)
    # the day of a change: it counts at the end of that day (Europe/Berlin)
    assert "Hochschule Süd" in network(viewer.get("/api/graph?at=2026-03-01").get_json())[0]
    assert "Hochschule Süd" not in network(viewer.get("/api/graph?at=2026-02-28").get_json())[0]


def test_the_gaps_of_a_past_day(app, login):
    build(app)
    viewer = login("viewer")

    def missing(day: str) -> set[str]:
        rows = viewer.get(f"/api/gaps?topic=SDG99&at={day}").get_json()
        assert {row["source"] for row in rows} <= {"checklist"}
        return {row["category"] for row in rows}

    everything = {
        "verwaltung",
        "politik",
        "eine-welt-netzwerk",
        "migrantenorganisation",
        "hochschule",
        "schule",
        "partnerschaftsverein",
    }
    assert missing("2025-12-20") == everything
    assert missing("2026-01-20") == everything - {"verwaltung", "politik"}
    assert missing("2026-02-20") == everything - {"verwaltung", "politik", "schule"}
    assert missing("2026-03-05") == everything - {"verwaltung", "schule", "hochschule"}
    now = {row["category"] for row in viewer.get("/api/gaps?topic=SDG99").get_json()}
    assert now == missing("2026-03-05")


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("at=2026-13-01", 400),
        ("at=gestern", 400),
        ("seit=01.02.2026x", 400),
        ("at=2999-01-01", 422),
    ],
)
def test_a_wrong_date_is_answered_as_json(app, login, query, status):
    viewer = login("viewer")
    for path in ("/api/graph", "/api/gaps"):
        if path == "/api/gaps" and query.startswith("seit"):
            continue
        response = viewer.get(f"{path}?{query}")
        assert response.status_code == status, path
        assert response.is_json and "error" in response.get_json()


def test_the_comparison_marks_what_changed_since(app, login):
    ids = build(app)
    viewer = login("viewer")
    data = viewer.get("/api/graph?seit=2026-02-20&topic=SDG99").get_json()
    by_id = {n["id"]: n for n in data["nodes"]}
    edges = {e["id"]: e for e in data["edges"]}
    assert data["since"] == "2026-02-20"
    # the university came in March: new
    uni = by_id[f"a{ids['uni']}"]
    assert uni["change"] == "new" and uni["change_label"] == "neu seit 20.02.2026"
    # the council group was deleted on 1 March: drawn faded, with its relation and link
    council = by_id[f"a{ids['council']}"]
    assert council["name"] == "Ratsfraktion <b>X</b>"
    assert council["change"] == "removed" and council["change_label"] == "entfernt am 01.03.2026"
    assert edges[f"r{ids['first']}"]["change"] == "removed"
    assert edges[f"r{ids['second']}"]["change"] == "removed"
    removed_links = [
        e for e in data["edges"] if e.get("change") == "removed" and e["kind"] == "topic_link"
    ]
    assert [e["from"] for e in removed_links] == [f"a{ids['council']}"]
    # unchanged ones carry no mark
    assert "change" not in by_id[f"a{ids['admin']}"]
    assert "change" not in by_id[f"a{ids['school']}"]
    # the university gap closed since; politics opened again (a gap as any other)
    closed = [n for n in data["nodes"] if n["kind"] == "closed_gap"]
    assert [n["category"] for n in closed] == ["hochschule"]
    assert closed[0]["change_label"] == "Lücke geschlossen seit 20.02.2026"
    gaps = {n["category"] for n in data["nodes"] if n["kind"] == "gap"}
    assert "politik" in gaps and "hochschule" not in gaps
    assert data["counts"]["actors"] == 3
    assert data["counts"]["added"] == 1 and data["counts"]["removed"] == 1
    assert data["counts"]["closed_gaps"] == 1
    # in English and in the Akteurslandkarte as well
    english = viewer.get("/api/graph?seit=2026-02-20&topic=SDG99&lang=en").get_json()
    council = next(n for n in english["nodes"] if n["id"] == f"a{ids['council']}")
    assert council["change_label"] == "removed on Mar 1, 2026"
    landscape = viewer.get(
        "/api/graph?seit=2026-02-20&topic=SDG99&ansicht=akteurslandkarte"
    ).get_json()
    flags = {n["id"]: n.get("change") for n in landscape["nodes"]}
    assert flags[f"a{ids['council']}"] == "removed" and flags[f"a{ids['uni']}"] == "new"


def test_a_past_day_compared_with_an_earlier_one(app, login):
    ids = build(app)
    viewer = login("viewer")
    data = viewer.get("/api/graph?at=2026-02-20&seit=2026-01-20").get_json()
    flags = {n["id"]: n.get("change") for n in data["nodes"] if n["kind"] == "actor"}
    assert flags == {
        f"a{ids['admin']}": None,
        f"a{ids['council']}": None,
        f"a{ids['school']}": "new",
    }
    edges = {e["id"]: e.get("change") for e in data["edges"]}
    assert edges[f"r{ids['second']}"] == "new" and edges[f"r{ids['first']}"] is None


def test_the_map_page_keeps_the_dates_in_its_filter_form(app, login):
    build(app)
    viewer = login("viewer")
    html = viewer.get("/karte?at=2026-02-20&seit=2026-01-20").get_data(as_text=True)
    assert 'type="date" id="f-at" name="at" value="2026-02-20"' in html
    assert 'type="date" id="f-since" name="seit" value="2026-01-20"' in html
    assert "neu seit" in html and "Lücke geschlossen" in html  # the legend
    table = viewer.get("/karte/tabelle?seit=2026-02-20&topic=SDG99").get_data(as_text=True)
    assert "Ratsfraktion &lt;b&gt;X&lt;/b&gt;" in table and "entfernt am 01.03.2026" in table
    svg = viewer.get("/karte/akteurslandkarte.svg?seit=2026-02-20&topic=SDG99").get_data(
        as_text=True
    )
    assert "Ratsfraktion &lt;b&gt;X&lt;/b&gt;" in svg and "<b>" not in svg
    for row in (
        "neu seit dem Datum",
        "entfernt seit dem Datum",
        "Lücke geschlossen seit dem Datum",
    ):
        assert row in svg
    past = viewer.get("/karte/akteurslandkarte.svg?at=2026-01-20&topic=SDG99").get_data(
        as_text=True
    )
    assert "Stand: 20. Januar 2026" in past and "Schule Nord" not in past
    wrong = viewer.get("/karte?at=kein-datum").get_data(as_text=True)
    assert "kein Datum" in wrong


def test_the_date_errors_read_in_english(app, login):
    viewer = login("viewer")
    viewer.get("/?lang=en")
    bad = viewer.get("/api/graph?at=2026-13-01").get_json()["error"]
    assert bad == "at: “2026-13-01” is not a date (YYYY-MM-DD, e.g. 2026-03-01)."
    assert viewer.get("/api/gaps?at=2999-01-01").get_json()["error"] == (
        "at: 2999-01-01 is in the future."
    )


def test_the_exports_of_a_past_day(app, login):
    """The offline map and the graph files as of a day: what existed then, named by that day."""
    build(app)
    viewer = login("viewer")
    response = viewer.get("/export/netzwerk.html?at=2026-02-20")
    assert response.status_code == 200
    assert "karte-2026-02-20.html" in response.headers["Content-Disposition"]
    page = response.get_data(as_text=True)
    assert "Stand 2026-02-20" in page
    assert "Schule Nord" in page and "Hochschule Süd" not in page
    assert "Ratsfraktion &lt;b&gt;X&lt;/b&gt;" in page or "Ratsfraktion \\u003cb\\u003eX" in page
    graphml = viewer.get("/export/netzwerk.graphml?at=2026-02-20")
    assert "netzwerk-2026-02-20.graphml" in graphml.headers["Content-Disposition"]
    text = graphml.get_data(as_text=True)
    assert "Schule Nord" in text and "Hochschule Süd" not in text
    today = viewer.get("/export/netzwerk.graphml").get_data(as_text=True)
    assert "Hochschule Süd" in today and "Ratsfraktion" not in today
    assert viewer.get("/export/netzwerk.html?at=gestern").status_code == 400
