"""Exports: formula-like text (typed XLSX cells, apostrophes in CSV), personal data only on
request, audit entries, the filtered actor list, coverage and gaps reports, and
`flask --app netzwerk export DIR`."""

from __future__ import annotations

import io
import zipfile

import pandas
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


def test_formula_like_text_is_a_plain_text_cell_in_xlsx_and_apostrophed_in_csv(app, login):
    """XLSX: the value itself in a string cell with Excel's quote prefix (no apostrophe in the
    data, for Excel, pandas and openpyxl alike); CSV: the leading apostrophe against injection."""
    with app.app_context():
        actor = factories.actor(category="schule", **NASTY)
        factories.contact(actor, name="@Mallory", notes="=1+1", phone="+49 241 5572-10")
        factories.actor(name="Harmlos", category="schule", description="Text mit = in der Mitte")
    editor = login("editor")
    data = exports("xlsx", editor, kontakte="1").data
    workbook = load_workbook(io.BytesIO(data))

    texts, prefixed = [], []
    for ws in workbook.worksheets:
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
                    assert cell.data_type == "s"
                    if cell.quotePrefix:
                        prefixed.append(cell.value)
    originals = (*[v for v in NASTY.values() if v], "=1+1", "+49 241 5572-10", "@Mallory")
    for original in originals:
        assert original in texts and original in prefixed
    assert not any(value.startswith("'") for value in texts)
    assert "Text mit = in der Mitte" in texts and "Text mit = in der Mitte" not in prefixed

    contacts = pandas.read_excel(io.BytesIO(data), sheet_name="Kontakte", dtype=str)
    mallory = contacts[contacts["Name"] == "@Mallory"].iloc[0]
    assert mallory["Telefon"] == "+49 241 5572-10" and mallory["Notizen"] == "=1+1"
    actors = pandas.read_excel(io.BytesIO(data), sheet_name="Akteure", dtype=str)
    assert NASTY["short_name"] in set(actors["Kurzname"].dropna())
    assert NASTY["name"] in set(actors["Name"])

    archive = zipfile.ZipFile(io.BytesIO(exports("csv", editor, kontakte="1").data))
    actors_csv = archive.read("akteure.csv").decode("utf-8-sig")
    assert ";'+SUM(A1:A9);" in actors_csv and ";'@cmd;" in actors_csv
    assert ";'-2+3;" in actors_csv
    contacts_csv = archive.read("kontakte.csv").decode("utf-8-sig")
    assert "'+49 241 5572-10" in contacts_csv and "'@Mallory" in contacts_csv


def test_tab_and_carriage_return_at_the_start_are_protected_too():
    values = ["\tTab", "\rCR", "'=schon mit Apostroph", "Normal", 42]
    workbook = load_workbook(io.BytesIO(tables.write_xlsx([("Test", ["A"] * 5, [values])])))
    cells = list(next(workbook.active.iter_rows(min_row=2)))
    assert [c.value for c in cells] == values
    assert [c.data_type for c in cells] == ["s", "s", "s", "s", "n"]
    assert [c.quotePrefix for c in cells] == [True, True, True, False, False]
    csv_line = tables.write_csv(["A"] * 5, [values]).decode("utf-8-sig").split("\r\n")[1]
    assert csv_line.startswith("'\tTab;") and ";''=schon mit Apostroph;" in csv_line
    # reading a CSV gives back exactly what was written
    assert [tables.restore(tables.neutralise(v)) for v in values] == values


def test_neutralised_cells_import_back_unchanged(app):
    with app.app_context():
        factories.actor(category="schule", **NASTY)
        factories.actor(category="schule", name="'=mit Apostroph", city="'+49")
        before = factories.dump()["actor"]
        for fmt in ("xlsx", "csv"):
            export = services.export_entities("actors", fmt)
            report = services.import_files([(f"akteure.{fmt}", export.data)])
            assert report.counts()["actors"]["unchanged"] == 2, fmt
            assert factories.dump()["actor"] == before, fmt


def test_both_xlsx_readers_keep_quote_prefixed_text(app):
    """The fast reader and openpyxl (used for workbooks the fast reader refuses) agree."""
    with app.app_context():
        factories.actor(category="schule", name="'=mit Apostroph", **{"short_name": "+SUM(A1)"})
        data = services.export_entities("actors", "xlsx").data
    fast = tables.read_xlsx("a.xlsx", data)[0].rows
    slow = tables._read_xlsx_openpyxl("a.xlsx", data)[0].rows
    assert fast == slow
    assert [(r["name"], r["short_name"]) for _, r in fast] == [("'=mit Apostroph", "+SUM(A1)")]


def test_xlsx_from_an_older_export_with_apostrophes_imports_without_them(app):
    """Older netzwerk versions wrote the CSV form ('+49 …) into XLSX too: such a cell without
    the quote-prefix style loses its protective apostrophe on import."""
    with app.app_context():
        actor = factories.actor(category="schule", **NASTY)
        before = factories.dump()["actor"]
        workbook = load_workbook(io.BytesIO(services.export_entities("actors", "xlsx").data))
        for row in workbook["Akteure"].iter_rows(min_row=2):
            for cell in row:
                if tables.looks_like_formula(cell.value):
                    cell.value = "'" + cell.value
                    cell.quotePrefix = False
        old = io.BytesIO()
        workbook.save(old)
        report = services.import_files([("akteure.xlsx", old.getvalue())])
        assert report.counts()["actors"]["unchanged"] == 1
        assert factories.dump()["actor"] == before
        db.session.refresh(actor)
        assert actor.short_name == "+SUM(A1:A9)" and actor.city == "@cmd"


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
