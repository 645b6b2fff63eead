"""Projects (stocktaking): validation, pages, API, spreadsheet exchange, the interlocking
findings of the stocktaking report and the projects' part of actor and topic pages."""

from __future__ import annotations

import html
import io

import pytest
import sqlalchemy as sa

from netzwerk.audit.models import AuditEntry
from netzwerk.core.errors import Invalid
from netzwerk.exchange import services as exchange
from netzwerk.extensions import db
from netzwerk.projects import analysis
from netzwerk.projects import services as projects
from netzwerk.projects.models import Project
from tests import factories

pytestmark = pytest.mark.usefixtures("fast_passwords")


@pytest.fixture
def world(app):
    """Two topics, a partner city, a funder and four actors here; relations where noted."""
    with app.app_context():
        ids = {
            "sdg12": factories.topic(code="SDG12", title="Fairer Handel").id,
            "sdg17": factories.topic(code="SDG17", title="Partnerschaften").id,
        }
        for key, name, category in (
            ("fb36", "FB36 Klima und Umwelt", "verwaltung"),
            ("fb60", "FB60 Vergabe", "verwaltung"),
            ("welthaus", "Welthaus Aachen", "eine-welt-gruppe"),
            ("verein", "Förderverein Aachen-Kapstadt", "partnerschaftsverein"),
            ("schule", "Couven-Gymnasium", "schule"),
            ("bmz", "BMZ", "foerdermittelgeber"),
            ("kapstadt", "City of Cape Town", "partnerstadt"),
        ):
            ids[key] = factories.actor(name=name, category=category).id
        return ids


def data_rows() -> dict:
    """Every table but the API token's "last used" time."""
    return {k: v for k, v in factories.dump().items() if k != "api_token"}


def make(app, **kw) -> int:
    with app.app_context():
        return factories.project(**kw).id


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"title": ""}, "title", "Titel fehlt"),
        ({"starts_on": "2025-05-01", "ends_on": "2025-04-30"}, "ends_on", "vor dem Beginn"),
        ({"funding_amount": "-1"}, "funding_amount", "nicht kleiner als 0"),
        ({"funding_amount": "viel"}, "funding_amount", "keine Zahl"),
        ({"sdg_targets": "18.1"}, "sdg_targets", "kein SDG-Unterziel"),
        ({"sdg_targets": "4.77.1"}, "sdg_targets", "kein SDG-Unterziel"),
        ({"links": "javascript:alert(1)"}, "links", "kein Link"),
        ({"lead_actor_id": 99999}, "lead_actor_id", "Unbekannter Akteur"),
        ({"topics": ["SDG99"]}, "topics", "Unbekanntes Thema"),
        ({"status": "vielleicht"}, "status", "Unbekannter Wert"),
        ({"starts_on": "31.02.2025"}, "starts_on", "kein Datum"),
    ],
)
def test_bad_input_names_the_field(app, world, data, field, words):
    with app.app_context():
        with pytest.raises(Invalid) as info:
            projects.create_project({"title": "Projekt"} | data)
        assert info.value.field == field
        assert words in info.value.message


def test_partner_city_must_be_a_partner_city(app, world):
    with app.app_context():
        with pytest.raises(Invalid, match="keine Partnerstadt"):
            projects.create_project({"title": "X", "partner_city_id": world["welthaus"]})
        project = projects.create_project(
            {
                "title": "Klimaticket",
                "partner_city_id": world["kapstadt"],
                "funding_amount": "12.500,50 €",
                "sdg_targets": "SDG 17.16; 4.7, 4.7, 13.a",
                "lead_actor_id": world["verein"],
                "partner_actor_ids": [world["verein"], world["kapstadt"]],
            }
        )
        assert str(project.funding_amount) == "12500.50"
        assert project.sdg_targets == "4.7, 13.a, 17.16"
        # the lead is not also its own partner
        assert [a.id for a in project.partners] == [world["kapstadt"]]


# --- pages -----------------------------------------------------------------------------------


def test_editor_creates_edits_and_deletes_a_project_through_the_pages(app, world, login):
    editor = login("editor")
    form = {
        "csrf_token": editor.csrf,
        "title": "Fairtrade-Messe",
        "topics": [str(world["sdg12"])],
        "status": "laufend",
        "lead_actor_id": str(world["fb36"]),
        "partner_actor_ids": [str(world["welthaus"])],
        "partner_city_id": "0",
        "funder_actor_id": str(world["bmz"]),
        "funding_amount": "6.000",
        "starts_on": "2025-05-01",
        "ends_on": "2025-04-01",
        "sdg_targets": "12.8",
    }
    page = editor.post("/projekte/neu", data=form)
    assert page.status_code == 200
    text = html.unescape(page.get_data(as_text=True))
    assert "das Ende (01.04.2025) liegt vor dem Beginn" in text
    assert 'aria-invalid="true"' in text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Project.id))) == 0

    form["ends_on"] = "2025-05-03"
    response = editor.post("/projekte/neu", data=form)
    assert response.status_code == 302
    show = html.unescape(editor.get(response.headers["Location"]).get_data(as_text=True))
    for words in ("Fairtrade-Messe", "FB36 Klima und Umwelt", "Welthaus Aachen", "BMZ", "6.000,00"):
        assert words in show
    with app.app_context():
        project_id = db.session.scalar(sa.select(Project.id))

    form["title"] = "Fairtrade-Messe 2025"
    form["partner_actor_ids"] = [str(world["welthaus"]), str(world["fb60"])]
    assert editor.post(f"/projekte/{project_id}/bearbeiten", data=form).status_code == 302
    with app.app_context():
        entries = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.entity == "project").order_by(AuditEntry.id)
        ).all()
        assert [e.action for e in entries] == ["create", "update"]
        assert entries[1].changes["title"] == ["Fairtrade-Messe", "Fairtrade-Messe 2025"]
        assert entries[1].changes["partners"] == [
            [world["welthaus"]],
            sorted([world["welthaus"], world["fb60"]]),
        ]

    confirm = editor.get(f"/projekte/{project_id}/loeschen").get_data(as_text=True)
    assert "Fairtrade-Messe 2025" in html.unescape(confirm)
    assert editor.post(f"/projekte/{project_id}/loeschen", data={"csrf_token": editor.csrf})
    with app.app_context():
        assert db.session.get(Project, project_id) is None


def test_viewer_sees_but_cannot_change(app, world, login):
    project_id = make(app, title="Schulpartnerschaft", lead_actor_id=world["schule"])
    viewer = login("viewer")
    assert viewer.get("/projekte/").status_code == 200
    assert viewer.get(f"/projekte/{project_id}").status_code == 200
    assert viewer.get("/projekte/neu").status_code == 403
    response = viewer.post(f"/projekte/{project_id}/loeschen", data={"csrf_token": viewer.csrf})
    assert response.status_code == 403


def test_projects_appear_on_actor_and_topic_pages(app, world, login):
    make(
        app,
        title="Klimaticket Aachen–Kapstadt",
        topics=["SDG17"],
        lead_actor_id=world["verein"],
        partner_actor_ids=[world["schule"]],
        partner_city_id=world["kapstadt"],
        funder_actor_id=world["bmz"],
    )
    viewer = login("viewer")
    for actor, role in (
        ("verein", "Träger"),
        ("schule", "Partner"),
        ("bmz", "Förderer"),
        ("kapstadt", "Partnerstadt"),
    ):
        page = html.unescape(viewer.get(f"/akteure/{world[actor]}").get_data(as_text=True))
        section = page.split("<h2>Projekte</h2>")[1].split("</section>")[0]
        assert "Klimaticket Aachen–Kapstadt" in section and role in section, actor
    topic = html.unescape(viewer.get(f"/themen/{world['sdg17']}").get_data(as_text=True))
    assert "Klimaticket Aachen–Kapstadt" in topic
    assert "Klimaticket" not in viewer.get(f"/themen/{world['sdg12']}").get_data(as_text=True)


def test_deleting_an_actor_names_its_projects_and_keeps_them(app, world, login):
    project_id = make(app, title="Faire Beschaffung", lead_actor_id=world["fb60"], topics=["SDG12"])
    editor = login("editor")
    confirm = html.unescape(editor.get(f"/akteure/{world['fb60']}/loeschen").get_data(as_text=True))
    assert "verlieren aber den Verweis" in confirm
    assert "Projekt „Faire Beschaffung“ (Träger)" in confirm
    editor.post(f"/akteure/{world['fb60']}/loeschen", data={"csrf_token": editor.csrf})
    with app.app_context():
        project = db.session.get(Project, project_id)
        assert project is not None and project.lead_actor_id is None
        entry = db.session.scalar(
            sa.select(AuditEntry).where(AuditEntry.entity == "actor", AuditEntry.action == "delete")
        )
        assert entry.changes["dependents"][0] == ["Projekt „Faire Beschaffung“ (Träger)"]


def test_text_is_escaped_on_every_page(app, world, login):
    evil = '<script>alert("x")</script>'
    project_id = make(
        app, title=evil, description=evil, topics=["SDG12"], lead_actor_id=world["fb36"]
    )
    viewer = login("viewer")
    for url in (
        "/projekte/",
        f"/projekte/{project_id}",
        f"/akteure/{world['fb36']}",
        f"/themen/{world['sdg12']}",
        "/projekte/bestandsanalyse",
        f"/projekte/bestandsanalyse?topic={world['sdg12']}",
    ):
        body = viewer.get(url).get_data(as_text=True)
        assert "<script>alert" not in body, url
        assert "&lt;script&gt;" in body, url


# --- the stocktaking report ------------------------------------------------------------------


def test_interlocking_findings_are_pure_functions():
    names = {1: "FB36", 2: "FB60", 3: "Welthaus", 4: "Kapstadt", 5: "BMZ", 6: "Schule"}
    items = [
        {
            "id": 10,
            "title": "Messe",
            "topic_ids": [7],
            "lead_id": 1,
            "partner_ids": [],
            "funder_id": 5,
        },
        {"id": 11, "title": "Beschaffung", "topic_ids": [7], "lead_id": 2, "partner_ids": []},
        {
            "id": 12,
            "title": "Faire Woche",
            "topic_ids": [7],
            "lead_id": 3,
            "partner_ids": [6],
            "funder_id": 5,
        },
        {
            "id": 13,
            "title": "Austausch",
            "topic_ids": [8],
            "lead_id": 6,
            "partner_ids": [],
            "partner_city_id": 4,
        },
        {
            "id": 14,
            "title": "Klimaticket",
            "topic_ids": [8],
            "lead_id": 6,
            "partner_ids": [4],
            "partner_city_id": 4,
        },
    ]
    topic = {"id": 7, "code": "SDG12"}
    # no relations: three groups of leads on SDG12, BMZ's two projects never meet, Kapstadt
    # hangs on the school alone
    found = analysis.interlocking(items, set(), names, [topic, {"id": 8, "code": "SDG17"}])
    kinds = [f["kind"] for f in found]
    assert kinds == ["leads_unrelated", "city_single_carrier", "funder_projects_apart"]
    leads = found[0]
    assert leads["severity"] == "hoch" and len(leads["params"]["groups"]) == 3
    assert found[1]["params"] == {
        "city": "Kapstadt",
        "actor": "Schule",
        "count": 2,
        "projects": ["Austausch", "Klimaticket"],
    }
    assert found[2]["params"]["groups"] == [["Faire Woche"], ["Messe"]]

    # a relation FB36–FB60 joins two groups; a conflict is no interlocking
    related = {frozenset((1, 2))}
    leads = analysis.unrelated_leads(items, related, names, topic)[0]
    assert [[g["lead"] for g in group] for group in leads["params"]["groups"]] == [
        ["FB36", "FB60"],
        ["Welthaus"],
    ]
    # FB36 and the school (Welthaus' partner) related: BMZ's projects meet, all leads linked
    related |= {frozenset((1, 6)), frozenset((1, 3))}
    assert analysis.funder_projects_apart(items, related, names) == []
    assert analysis.unrelated_leads(items, related, names, topic) == []


def test_stocktaking_report_says_what_exists_who_carries_funds_and_where_interlocking_is_missing(
    app, world, login
):
    make(
        app,
        title="Fairtrade-Messe",
        topics=["SDG12"],
        lead_actor_id=world["fb36"],
        funder_actor_id=world["bmz"],
        funding_amount=6000,
        partner_actor_ids=[world["welthaus"]],
    )
    make(
        app,
        title="Faire Beschaffung",
        topics=["SDG12"],
        lead_actor_id=world["fb60"],
        funder_actor_id=world["bmz"],
        funding_amount=4000,
    )
    make(
        app,
        title="Klimaticket",
        topics=["SDG17"],
        lead_actor_id=world["verein"],
        partner_city_id=world["kapstadt"],
        partner_actor_ids=[world["kapstadt"]],
    )
    with app.app_context():
        factories.relation(
            factories.actors.get_actor(world["fb36"]),
            factories.actors.get_actor(world["fb60"]),
            "konflikt",
        )
    viewer = login("viewer")
    page = html.unescape(
        viewer.get(f"/projekte/bestandsanalyse?topic={world['sdg12']}").get_data(as_text=True)
    )
    assert "10.000,00" in page  # funding of the topic
    assert "SDG12: Die Träger der Projekte bilden 2 Gruppen ohne Beziehung" in page
    assert "BMZ fördert 2 Projekte, deren Beteiligte sich nicht begegnen" in page
    assert "Klimaticket" not in page
    overview = html.unescape(viewer.get("/projekte/bestandsanalyse").get_data(as_text=True))
    assert (
        "Die Partnerschaft mit City of Cape Town wird nur von Förderverein Aachen-Kapstadt "
        "getragen (1 Projekt: „Klimaticket“)." in overview
    )
    english = html.unescape(
        viewer.get(f"/projekte/bestandsanalyse?topic={world['sdg12']}&lang=en").get_data(
            as_text=True
        )
    )
    assert "BMZ funds 2 projects whose participants never meet" in english

    api = viewer.get("/api/projects/stocktaking?topic=SDG12").json
    assert api["projects"] == 2 and api["funding_total"] == 10000.0
    assert {f["kind"] for f in api["findings"]} == {"leads_unrelated", "funder_projects_apart"}


# --- API -------------------------------------------------------------------------------------


@pytest.fixture(params=[False, True], ids=["session", "bearer"])
def editor_api(api, request):
    return api("editor", bearer=request.param)


def test_api_lists_creates_changes_and_deletes(app, world, editor_api, api):
    body = {
        "title": "Schulpartnerschaften",
        "topics": ["SDG17", world["sdg12"]],
        "lead_actor_id": world["schule"],
        "partner_actor_ids": [world["verein"]],
        "partner_city_id": world["kapstadt"],
        "starts_on": "2022-08-15",
        "funding_amount": 9500,
        "funder_actor_id": world["bmz"],
        "sdg_targets": ["4.7", "17.16"],
        "links": ["https://example.org/schulen"],
    }
    response = editor_api.post("/api/projects", json=body)
    assert response.status_code == 201, response.json
    created = response.json
    assert response.headers["Location"].endswith(f"/api/projects/{created['id']}")
    assert created["topics"] == ["SDG12", "SDG17"]
    assert created["funding_amount"] == 9500.0 and created["sdg_targets"] == ["4.7", "17.16"]
    assert created["status"] == "laufend" and created["ends_on"] is None

    viewer = api("viewer", bearer=True)
    listed = viewer.get("/api/projects?topic=SDG17&per_page=1").json
    assert listed == {"items": [created], "total": 1, "page": 1, "per_page": 1}
    assert viewer.get(f"/api/projects?actor={world['verein']}").json["total"] == 1
    assert viewer.get(f"/api/projects?partner_city={world['kapstadt']}").json["total"] == 1
    assert viewer.get("/api/projects?status=abgeschlossen").json["total"] == 0
    assert viewer.post("/api/projects", json=body).status_code == 403

    patched = editor_api.patch(
        f"/api/projects/{created['id']}", json={**created, "status": "abgeschlossen"}
    )
    assert patched.status_code == 200 and patched.json["status"] == "abgeschlossen"
    assert editor_api.delete(f"/api/projects/{created['id']}").status_code == 204
    assert viewer.get(f"/api/projects/{created['id']}").status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"title": "X", "funding_amount": -5}, 422, "funding_amount"),
        ({"title": "X", "starts_on": "2025-02-01", "ends_on": "2025-01-01"}, 422, "ends_on"),
        ({"title": "X", "topics": "SDG12"}, 422, "topics"),
        ({"title": "X", "lead_actor_id": "3"}, 422, "lead_actor_id"),
        ({"title": "X", "budget": 5}, 422, "budget"),
        ({"title": "X", "sdg_targets": ["99.1"]}, 422, "sdg_targets"),
        ({"description": "ohne Titel"}, 422, "title"),
    ],
)
def test_api_errors_are_json_with_the_field(app, world, api, body, status, field):
    editor = api("editor", bearer=True)
    with app.app_context():
        before = data_rows()
    response = editor.post("/api/projects", json=body)
    assert response.status_code == status
    assert response.json["error"] and field in response.json["fields"]
    with app.app_context():
        assert data_rows() == before


def test_api_refuses_unknown_filters_and_bad_json(app, world, api):
    viewer = api("viewer", bearer=True)
    assert viewer.get("/api/projects?funder=1").status_code == 422
    assert viewer.get("/api/projects?topic=SDG99").status_code == 422
    editor = api("editor", bearer=True)
    response = editor.client.post(
        "/api/projects",
        data="{kaputt",
        headers={**editor.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400 and "error" in response.json


def test_api_delete_of_an_actor_with_projects_asks_first(app, world, api):
    make(app, title="Faire Beschaffung", lead_actor_id=world["fb60"])
    editor = api("editor", bearer=True)
    response = editor.delete(f"/api/actors/{world['fb60']}")
    assert response.status_code == 409
    assert response.json["dependents"] == ["Projekt „Faire Beschaffung“ (Träger)"]
    assert "?force=1" in response.json["error"]
    assert editor.delete(f"/api/actors/{world['fb60']}?force=1").status_code == 204
    # an actor nothing refers to goes at once, as before
    assert editor.delete(f"/api/actors/{world['fb36']}").status_code == 204


# --- spreadsheets ----------------------------------------------------------------------------


def test_export_and_import_of_projects(app, world, login):
    make(
        app,
        title="=Faire Woche",
        topics=["SDG12", "SDG17"],
        lead_actor_id=world["welthaus"],
        partner_actor_ids=[world["schule"], world["fb36"]],
        partner_city_id=world["kapstadt"],
        funder_actor_id=world["bmz"],
        funding_amount="2.500,75",
        starts_on="01.09.2024",
        sdg_targets="12.8",
        links="https://example.org/a https://example.org/b",
    )
    editor = login("editor")
    csv = editor.get("/austausch/export/projekte.csv")
    assert csv.status_code == 200
    text = csv.data.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Titel;Beschreibung;Themen;Status;Träger")
    assert "'=Faire Woche" in text  # neutralised formula
    assert "Couven-Gymnasium; FB36 Klima und Umwelt" in text
    with app.app_context():
        before = factories.dump()
        report = exchange.import_files([("projekte.csv", csv.data)])
        assert report.applied and report.counts()["projects"]["unchanged"] == 1
        after = factories.dump()
        assert {k: v for k, v in after.items() if k not in ("audit_entry", "data_version")} == {
            k: v for k, v in before.items() if k not in ("audit_entry", "data_version")
        }


def test_project_import_is_all_or_nothing_with_row_numbers(app, world, runner, tmp_path):
    rows = [
        ["Titel", "Themen", "Träger", "Partner", "Beginn", "Ende", "Fördersumme", "Status"],
        [
            "Neu und gut",
            "SDG12",
            "Welthaus Aachen",
            "FB36 Klima und Umwelt",
            "01.01.2025",
            "",
            "100",
            "",
        ],
        ["Zu früh zu Ende", "SDG12", "Welthaus Aachen", "", "01.05.2025", "01.04.2025", "", ""],
        ["Negativ", "SDG12", "Welthaus Aachen", "", "", "", "-3", ""],
        ["Unbekannter Träger", "", "Niemand e.V.", "", "", "", "", ""],
        ["Falsches Thema", "SDG99", "", "", "", "", "", ""],
        ["Neu und gut", "", "", "", "", "", "", ""],
        ["Falscher Status", "", "", "", "", "", "", "irgendwann"],
    ]
    path = tmp_path / "projekte.csv"
    path.write_bytes(exchange.tables.write_csv(rows[0], rows[1:]))
    with app.app_context():
        before = factories.dump()
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 1
    for line in (
        "Zeile 3: ends_on: das Ende (01.04.2025) liegt vor dem Beginn (01.05.2025).",
        "Zeile 4: funding_amount darf nicht kleiner als 0 sein.",
        "Zeile 5: Unbekannter Träger: Niemand e.V.",
        "Zeile 6: Unbekanntes Thema: SDG99",
        "Zeile 7: Doppelt: das Projekt „Neu und gut“ steht schon in Zeile 2.",
        "Zeile 8: Unbekannter Wert für status: irgendwann",
    ):
        assert line in result.output, result.output
    with app.app_context():
        assert factories.dump() == before

    path.write_bytes(exchange.tables.write_csv(rows[0], rows[1:2]))
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        project = db.session.scalar(sa.select(Project))
        assert project.title == "Neu und gut" and project.lead.name == "Welthaus Aachen"
        assert [a.name for a in project.partners] == ["FB36 Klima und Umwelt"]


# --- demo ------------------------------------------------------------------------------------


def test_the_demo_brings_the_papers_projects(app, login):
    from netzwerk.demo.services import load_demo

    with app.app_context():
        counts = load_demo()
        assert counts["projects"] == 10
        titles = {p.title for p in projects.projects()}
    for words in (
        "Klimaticket",
        "Schulpartnerschaften",
        "Schulgarten",
        "Studierendenaustausch",
        "Fachaustausch",
        "Fairtrade-Messe",
        "Aktionstage",
        "Chernihiv",
    ):
        assert any(words in t for t in titles), words
    page = html.unescape(login("viewer").get("/projekte/bestandsanalyse").get_data(as_text=True))
    assert "Die Partnerschaft mit Chernihiv City Council wird nur von" in page
    assert "SDG12: Die Träger der Projekte bilden 3 Gruppen" in page


def test_xlsx_export_of_projects_opens_in_openpyxl(app, world, login):
    from openpyxl import load_workbook

    make(app, title="Messe", funding_amount=100, starts_on="2025-01-02")
    data = login("editor").get("/austausch/export/projekte.xlsx").data
    sheet = load_workbook(io.BytesIO(data)).active
    header = [c.value for c in sheet[1]]
    row = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert row["Titel"] == "Messe" and row["Fördersumme"] == 100
    assert row["Beginn"].date().isoformat() == "2025-01-02"


# --- the map layer ---------------------------------------------------------------------------


def test_projects_are_an_optional_layer_of_the_map(app, world, login, api):
    make(
        app,
        title="Klimaticket",
        topics=["SDG17"],
        lead_actor_id=world["verein"],
        partner_actor_ids=[world["schule"]],
        partner_city_id=world["kapstadt"],
    )
    viewer = login("viewer")
    plain = viewer.get("/api/graph").get_json()
    assert plain["counts"]["projects"] == 0
    assert not [n for n in plain["nodes"] if n["kind"] == "project"]
    layered = viewer.get("/api/graph?projects=1").get_json()
    (node,) = [n for n in layered["nodes"] if n["kind"] == "project"]
    assert node["label"] == "Klimaticket" and node["url"].endswith("/projekte/1")
    links = {(e["to"], e.get("lead", False)) for e in layered["edges"] if e["from"] == node["id"]}
    assert links == {
        (f"a{world['verein']}", True),
        (f"a{world['schule']}", False),
        (f"t{world['sdg17']}", False),
    }
    assert "project" in layered["styles"]["kinds"]
    # a project of another topic is not shown when one topic is chosen
    assert (
        viewer.get(f"/api/graph?projects=1&topic={world['sdg12']}").get_json()["counts"]["projects"]
        == 0
    )
    # a new project through the API shows up at once, placed next to its lead
    editor = api("editor", bearer=True)
    assert (
        editor.post(
            "/api/projects", json={"title": "Faire Woche", "lead_actor_id": world["welthaus"]}
        ).status_code
        == 201
    )
    again = viewer.get("/api/graph?projects=1").get_json()
    titles = {n["label"] for n in again["nodes"] if n["kind"] == "project"}
    assert titles == {"Klimaticket", "Faire Woche"}
    from netzwerk.network.models import NodePosition

    with app.app_context():
        assert db.session.get(NodePosition, "p2") is not None  # stored after the change
    table = html.unescape(viewer.get("/karte/tabelle?projects=1").get_data(as_text=True))
    assert "Faire Woche" in table and "Projekt: Träger" in table
    assert viewer.get("/api/graph?projects=vielleicht").status_code == 422
