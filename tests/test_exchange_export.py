"""Exports: formula neutralisation, personal data only on request, audit entries, the filtered
actor list, coverage and gaps reports, and `flask --app netzwerk export DIR`."""

from __future__ import annotations

import io
import zipfile

import sqlalchemy as sa
from openpyxl import load_workbook

from netzwerk.actors.models import Actor
from netzwerk.audit.models import AuditEntry
from netzwerk.exchange import services, tables
from netzwerk.extensions import db
from tests import factories

NASTY = {
    "name": '=HYPERLINK("http://evil.example","klick")',
    "short_name": "+SUM(A1:A9)",
    "city": "@cmd",
    "description": "-2+3",
    "website": "",
}


def exports(fmt: str, client, name="alle", **params):
    response = client.get(f"/austausch/export/{name}.{fmt}", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response


def test_formula_cells_are_neutralised_in_xlsx_and_csv(app, login):
    with app.app_context():
        actor = factories.actor(category="schule", **NASTY)
        factories.contact(actor, name="Anna", notes="=1+1", phone="+49 241 1")
        factories.actor(name="Harmlos", category="schule", description="Text mit = in der Mitte")
    editor = login("editor")

    workbook = load_workbook(io.BytesIO(exports("xlsx", editor, kontakte="1").data))

    texts = []
    for ws in workbook.worksheets:
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    for value in texts:
        assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
    for original in (*[v for v in NASTY.values() if v], "=1+1", "+49 241 1"):
        assert "'" + original in texts
    assert "Text mit = in der Mitte" in texts  # only the start of a cell counts

    archive = zipfile.ZipFile(io.BytesIO(exports("csv", editor, kontakte="1").data))
    actors_csv = archive.read("akteure.csv").decode("utf-8-sig")
    assert ";'+SUM(A1:A9);" in actors_csv and ";'@cmd;" in actors_csv
    assert ";'-2+3;" in actors_csv
    assert "'+49 241 1" in archive.read("kontakte.csv").decode("utf-8-sig")


def test_tab_and_carriage_return_at_the_start_are_neutralised_too():
    values = ["\tTab", "\rCR", "'=schon mit Apostroph", "Normal", 42]
    workbook = load_workbook(io.BytesIO(tables.write_xlsx([("Test", ["A"] * 5, [values])])))
    cells = list(next(workbook.active.iter_rows(min_row=2)))
    # (openpyxl's own XML writer stores a carriage return as a line feed, its lxml writer keeps
    # it; what counts is the apostrophe before it)
    assert cells[1].value in ("'\nCR", "'\rCR")
    assert [c.value for c in cells[:1] + cells[2:]] == [
        "'\tTab",
        "''=schon mit Apostroph",
        "Normal",
        42,
    ]
    assert [c.data_type for c in cells] == ["s", "s", "s", "s", "n"]
    csv_line = tables.write_csv(["A"] * 5, [values]).decode("utf-8-sig").split("\r\n")[1]
    assert csv_line.startswith("'\tTab;")
    # reading gives back exactly what was written
    assert [tables.restore(tables.neutralise(v)) for v in values] == values


def test_neutralised_cells_import_back_unchanged(app):
    with app.app_context():
        factories.actor(category="schule", **NASTY)
        before = factories.dump()["actor"]
        data = services.export_entities("actors", "xlsx").data
        report = services.import_files([("akteure.xlsx", data)])
        assert report.counts()["actors"]["unchanged"] == 1
        assert factories.dump()["actor"] == before


def test_contacts_only_on_request_and_every_export_audited(app, login):
    with app.app_context():
        actor = factories.actor(name="Welthaus", category="eine-welt-gruppe")
        factories.contact(actor, name="Anna Beispiel", email="anna@example.org")
    editor = login("editor")

    plain = exports("xlsx", editor).data
    with_contacts = exports("xlsx", editor, kontakte="1").data
    contacts_csv = exports("csv", editor, name="kontakte").data

    assert load_workbook(io.BytesIO(plain)).sheetnames == [
        "Themen",
        "Akteure",
        "Themenzuordnungen",
        "Beziehungen",
        "Projekte",
    ]
    archive = zipfile.ZipFile(io.BytesIO(plain))
    assert not any(b"anna@example.org" in archive.read(n) for n in archive.namelist())
    assert "Kontakte" in load_workbook(io.BytesIO(with_contacts)).sheetnames
    assert "anna@example.org" in contacts_csv.decode("utf-8-sig")
    with app.app_context():
        entries = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "export").order_by(AuditEntry.id)
        ).all()
        assert [(e.username, e.changes["personal_data"][1]) for e in entries] == [
            ("editor-user", False),
            ("editor-user", True),
            ("editor-user", True),
        ]
        assert entries[2].changes["content"] == [None, "Kontakte"]
        assert all("anna" not in (e.label + str(e.changes)).lower() for e in entries)


def test_viewers_cannot_export(app, login):
    viewer = login("viewer")
    assert viewer.get("/austausch/export/alle.xlsx").status_code == 403
    assert viewer.get("/austausch/export/akteursliste.csv").status_code == 403


def test_filtered_actor_list_as_on_the_actor_page(app, login):
    with app.app_context():
        factories.actor(name="Gesamtschule Brand", category="schule")
        factories.actor(name="Inda-Gymnasium", category="schule", status="kandidat")
        factories.actor(name="RWTH Aachen", category="hochschule")
    editor = login("editor")

    page = editor.get("/akteure/?category=schule").get_data(as_text=True)
    assert "/austausch/export/akteursliste.csv?category=schule" in page
    response = editor.get("/austausch/export/akteursliste.csv?category=schule&status=aktiv")

    lines = response.data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Externe ID;Name;")
    assert [line.split(";")[1] for line in lines[1:]] == ["Gesamtschule Brand"]
    workbook = load_workbook(io.BytesIO(editor.get("/austausch/export/akteursliste.xlsx").data))
    assert [r[1] for r in workbook.active.iter_rows(min_row=2, values_only=True)] == [
        "Gesamtschule Brand",
        "Inda-Gymnasium",
        "RWTH Aachen",
    ]
    with app.app_context():
        labels = list(
            db.session.scalars(sa.select(AuditEntry.label).where(AuditEntry.action == "export"))
        )
        assert labels[0] == "Export: Akteursliste (category=schule, status=aktiv) (csv)"


def test_coverage_matrix_and_gaps_report(app, login):
    with app.app_context():
        sdg12 = factories.topic(code="SDG12", title="Konsum")
        welthaus = factories.actor(name="Welthaus", category="eine-welt-gruppe")
        fb = factories.actor(name="Fachbereich Umwelt", category="verwaltung")
        factories.link(welthaus, sdg12, "federfuehrend")
        factories.link(fb, sdg12, "mitwirkend")
    editor = login("editor")

    coverage = editor.get("/austausch/bericht/abdeckung.csv").data.decode("utf-8-sig")
    rows = [line.split(";") for line in coverage.splitlines()]
    assert rows[0] == ["Akteur", "Kategorie", "SDG12"]
    assert ["Welthaus", "Entwicklungspolitische Initiative/NGO", "federführend"] in rows
    assert ["Fachbereich Umwelt", "Fachbereich/Stabsstelle der Stadtverwaltung", "mitwirkend"] in (
        rows
    )
    workbook = load_workbook(io.BytesIO(editor.get("/austausch/bericht/abdeckung.xlsx").data))
    assert workbook.sheetnames == ["Abdeckung", "Kategorien je Thema"]

    gaps = editor.get("/austausch/bericht/luecken.csv").data.decode("utf-8-sig").splitlines()
    assert gaps[0] == "Thema;Kategorie;vorhanden;erwartet;Kandidaten;Begründung"
    politics = [g for g in gaps[1:] if g.startswith("SDG12;Rat, Ausschuss, Fraktion;0;1;0;")]
    assert politics, gaps
    # the administration is there, so it is no gap
    assert not [g for g in gaps if g.startswith("SDG12;Fachbereich/Stabsstelle")]


def test_cli_export_writes_every_table_and_the_map_files(app, runner, tmp_path):
    with app.app_context():
        actor = factories.actor(name="Welthaus", category="eine-welt-gruppe")
        factories.contact(actor, name="Anna Beispiel", email="anna@example.org")

    result = runner.invoke(args=["export", str(tmp_path / "aus")])

    assert result.exit_code == 0, result.output
    names = {p.name for p in (tmp_path / "aus").iterdir()}
    assert {
        "themen.csv",
        "akteure.csv",
        "themenzuordnungen.csv",
        "beziehungen.csv",
        "netzwerk.xlsx",
        "abdeckung.csv",
        "luecken.xlsx",
    } <= names
    assert "kontakte.csv" not in names
    assert "mit --personal einschließen" in result.output
    from netzwerk.network.exports import FILENAMES  # the map's files land there too

    assert set(FILENAMES.values()) <= names

    result = runner.invoke(args=["export", "--personal", str(tmp_path / "alles")])
    assert result.exit_code == 0, result.output
    contacts = (tmp_path / "alles" / "kontakte.csv").read_text("utf-8-sig")
    assert "anna@example.org" in contacts
    with app.app_context():
        entry = db.session.scalar(
            sa.select(AuditEntry)
            .where(AuditEntry.action == "export")
            .order_by(AuditEntry.id.desc())
        )
        assert entry.username == "system" and entry.changes["personal_data"] == [None, True]
        assert db.session.scalar(sa.select(sa.func.count(Actor.id))) == 1
