"""Spreadsheet import: round trips, every rejection reason with its row, encodings and separators,
matching of existing actors, the two-step page and the CLI."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime

import pytest
import sqlalchemy as sa

from netzwerk.actors.models import Actor, Contact, Relation
from netzwerk.audit.models import AuditEntry
from netzwerk.exchange import services
from netzwerk.exchange.tables import write_csv, write_xlsx
from netzwerk.extensions import db
from netzwerk.network.models import NodePosition
from netzwerk.projects.models import Project
from netzwerk.topics.models import ActorTopic, Topic
from tests import factories


@pytest.fixture
def app_config(tmp_path) -> dict:
    """Uploads waiting for "Übernehmen" go to the test's own folder."""
    return {"IMPORT_DIR": str(tmp_path / "imports")}


def csv_bytes(text: str, encoding: str = "utf-8") -> bytes:
    return text.replace("\n", "\r\n").encode(encoding)


def entity_dump() -> dict:
    """Every entity table without the audit trail and its change counter (an import adds to
    them)."""
    return {k: v for k, v in factories.dump().items() if k not in ("audit_entry", "data_version")}


def build_network(app) -> None:
    """Data with the awkward cases: umlauts, formula-like text, line breaks, consent dates."""
    with app.app_context():
        sdg12 = factories.topic(code="SDG12", title="Nachhaltiger Konsum", priority=1)
        sdg4 = factories.topic(code="SDG4", title="Bildung", description="=Bildung für alle")
        welthaus = factories.actor(
            name="Welthaus Aachen e.V.",
            short_name="Welthaus",
            external_id="W-001",
            category="eine-welt-gruppe",
            city="Aachen",
            website="https://welthaus.example.org",
            description='Zeile eins\nZeile zwei; mit Semikolon, Komma und "Anführung"',
            power=4,
            interest=5,
        )
        schule = factories.actor(
            name="Gesamtschule Brand", category="schule", status="kandidat", level="regional"
        )
        fb = factories.actor(
            name="Fachbereich Umwelt", category="verwaltung", description="-2 Stellen, @Team"
        )
        factories.contact(
            welthaus,
            name="Zoë Müller-Lüdenscheidt",
            email="zoe@example.org",
            phone="+49 241 555-10",
            function="Bildungsreferentin",
            language="en",
            timezone="Africa/Johannesburg",
            notes="spricht Afrikaans\n=keine Formel",
            legal_basis="einwilligung",
            consent_date="2025-03-31",
            consent_source="Anmeldung Fachtag",
        )
        factories.contact(schule, name="Jan Kruse", email="", consent_invitations=False)
        factories.link(welthaus, sdg12, "federfuehrend")
        factories.link(schule, sdg4, "mitwirkend")
        factories.relation(welthaus, schule, "kooperation", strength=3, note="+ Schulpartnerschaft")
        factories.relation(fb, welthaus, "foerderung", directed=True)
        factories.project(
            title="=Faire Woche; mit Semikolon",
            description="Zeile eins\n+zwei",
            topics=["SDG12", "SDG4"],
            lead_actor_id=welthaus.id,
            partner_actor_ids=[schule.id, fb.id],
            funder_actor_id=fb.id,
            funding_amount="12.500,50",
            funding_programme="Inlandsprojekte",
            starts_on="2024-09-01",
            ends_on="2025-09-30",
            sdg_targets="12.8, 4.7",
            links="https://welthaus.example.org/woche",
        )


def export_all(fmt: str) -> list[tuple[str, bytes]]:
    result = services.export_entities("alle", fmt, personal=True)
    if fmt == "xlsx":
        return [(result.filename, result.data)]
    archive = zipfile.ZipFile(io.BytesIO(result.data))
    return [(name, archive.read(name)) for name in archive.namelist()]


def wipe_entities() -> None:
    for model in (Project, Relation, ActorTopic, Contact, Actor, Topic):
        db.session.execute(sa.delete(model))
    db.session.commit()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_round_trip_changes_nothing(app, fmt):
    build_network(app)
    with app.app_context():
        before = entity_dump()
        files = export_all(fmt)
        report = services.import_files(files)
        assert report.applied and not report.rejected
        counts = report.counts()
        assert set(counts) == {"topics", "actors", "contacts", "links", "relations", "projects"}
        assert all(c["create"] == c["update"] == 0 for c in counts.values()), counts
        assert entity_dump() == before

        # into an empty database: everything comes back, and exports the very same files
        wipe_entities()
        report = services.import_files(files)
        assert report.applied, report.rejected
        assert report.counts()["actors"]["create"] == 3
        assert report.counts()["relations"]["create"] == 2
        assert report.counts()["projects"]["create"] == 1
        again = export_all(fmt)
        if fmt == "csv":
            assert again == files  # byte for byte
        else:  # the workbook's zip carries timestamps: compare the cells
            assert _cells(again[0][1]) == _cells(files[0][1])
        zoe = db.session.scalar(sa.select(Contact).where(Contact.email == "zoe@example.org"))
        assert zoe.name == "Zoë Müller-Lüdenscheidt"
        assert zoe.notes == "spricht Afrikaans\n=keine Formel"
        assert zoe.phone == "+49 241 555-10"
        assert zoe.consent_date == date(2025, 3, 31) and zoe.legal_basis == "einwilligung"
        assert zoe.actor.external_id == "W-001"
        jan = db.session.scalar(sa.select(Contact).where(Contact.name == "Jan Kruse"))
        assert jan.consent_invitations is False and not jan.may_invite


def _cells(data: bytes) -> dict:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in wb.worksheets}


def test_import_is_audited_per_row_and_as_a_whole(app):
    with app.app_context():
        data = csv_bytes("Name;Kategorie\nEine-Welt-Forum;eine-welt-gruppe\n")
        start = db.session.scalar(sa.select(sa.func.max(AuditEntry.id))) or 0
        services.import_files([("akteure.csv", data)])
        entries = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.id > start).order_by(AuditEntry.id)
        ).all()
        assert [(e.entity, e.action) for e in entries] == [
            ("actor", "create"),
            ("import", "import"),
        ]
        assert entries[0].changes["name"] == [None, "Eine-Welt-Forum"]
        assert entries[0].label == "Eine-Welt-Forum"
        assert entries[1].changes["files"] == [None, ["akteure.csv"]]


# --- rejections ------------------------------------------------------------------------------


ACTORS_BAD = """Name;Kategorie;Einfluss;Status
Welthaus;eine-welt-gruppe;3;aktiv
Irgendwas;gibtsnicht;3;aktiv
WELTHAUS;schule;2;aktiv
;schule;2;aktiv
Zu mächtig;schule;9;aktiv
Unbekannter Status;schule;2;verschollen
"""
CONTACTS_BAD = """Akteur;Name;E-Mail;Einwilligung vom
Welthaus;Anna Beispiel;anna(at)example.org;
Niemand e.V.;Bernd Beispiel;bernd@example.org;
Welthaus;Carla Beispiel;carla@example.org;31.02.2025
Welthaus;Dora Beispiel;dora@example.org;
Welthaus;Dora Beispiel;dora@example.org;
"""
RELATIONS_BAD = """Von;Nach;Art;Stärke
Welthaus;Nirgendwo GmbH;Kooperation;2
Welthaus;Welthaus;Kooperation;2
Welthaus;Stadtrat;Freundschaft;2
Welthaus;Stadtrat;Kooperation;2
Welthaus;Stadtrat;kooperation;3
Welthaus;Irgendwas;Kooperation;2
Welthaus;Stadtrat;Förderung;7
"""
LINKS_BAD = """Akteur;Thema;Rolle
Welthaus;SDG99;mitwirkend
Welthaus;SDG12;Chef
"""

# the column as the file names it, the value, and what is allowed
ALL_CATEGORIES = (
    "verwaltung, verwaltungsspitze, politik, partnerschaftsverein, eine-welt-gruppe, "
    "eine-welt-netzwerk, weltladen, migrantenorganisation, kirche, schule, hochschule, "
    "bildungstraeger, jugend, wirtschaft, handel-gastronomie, medien, partnerstadt, "
    "foerdermittelgeber, land, vergleichskommune"
)
EXPECTED = [
    (
        "akteure.csv",
        3,
        "Kategorie: gibtsnicht – unbekannt, erlaubt: verwaltung, verwaltungsspitze,",
    ),
    ("akteure.csv", 4, "Doppelt: der Akteur „WELTHAUS“ steht schon in Zeile 2"),
    ("akteure.csv", 5, "Der Name fehlt"),
    ("akteure.csv", 6, "Einfluss: 9 – erlaubt 1–5"),
    ("akteure.csv", 7, "Status: verschollen – unbekannt, erlaubt: aktiv, kandidat, inaktiv"),
    ("kontakte.csv", 2, "Ungültige E-Mail-Adresse: anna(at)example.org"),
    ("kontakte.csv", 3, "Unbekannter Akteur: Niemand e.V."),
    ("kontakte.csv", 4, "kein Datum"),
    ("kontakte.csv", 6, "Doppelt: der Kontakt „Dora Beispiel“ steht schon in Zeile 5"),
    ("themenzuordnungen.csv", 2, "Unbekanntes Thema: SDG99"),
    ("themenzuordnungen.csv", 3, "Rolle: Chef – unbekannt, erlaubt: federfuehrend, mitwirkend"),
    ("beziehungen.csv", 2, "Unbekannter Akteur: Nirgendwo GmbH"),
    ("beziehungen.csv", 3, "Ein Akteur kann keine Beziehung zu sich selbst haben"),
    ("beziehungen.csv", 4, "Art: Freundschaft – unbekannt, erlaubt: "),
    ("beziehungen.csv", 6, "Doppelt: diese Beziehung steht schon in Zeile 5"),
    ("beziehungen.csv", 7, "„Irgendwas“ wurde selbst abgelehnt (akteure.csv, Zeile 3)"),
    ("beziehungen.csv", 8, "Stärke: 7 – erlaubt 1–3"),
]


def write_bad_files(tmp_path):
    files = {
        "akteure.csv": ACTORS_BAD,
        "kontakte.csv": CONTACTS_BAD,
        "beziehungen.csv": RELATIONS_BAD,
        "themenzuordnungen.csv": LINKS_BAD,
    }
    paths = []
    for name, text in files.items():
        path = tmp_path / name
        path.write_bytes(csv_bytes(text))
        paths.append(str(path))
    return paths


def test_every_rejection_reason_with_its_row_and_nothing_written(app, runner, tmp_path):
    with app.app_context():
        factories.actor(name="Stadtrat", category="politik")
        factories.topic(code="SDG12", title="Konsum")
        before = factories.dump()
    paths = write_bad_files(tmp_path)

    result = runner.invoke(args=["import", *paths])

    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()  # the rejected rows go to stderr
    for source, row, reason in EXPECTED:
        prefix = f"{source}, Zeile {row}: "
        assert any(line.startswith(prefix) and reason in line for line in lines), (
            prefix,
            reason,
            lines,
        )
    rejected_rows = [line for line in lines if ", Zeile " in line]
    assert len(rejected_rows) == len(EXPECTED), rejected_rows
    assert "Nichts importiert: 17 Zeile(n) abgelehnt." in result.output
    with app.app_context():
        assert factories.dump() == before  # not even the valid rows, not even an audit entry


def test_rejected_rows_also_in_the_service_report(app):
    with app.app_context():
        report = services.import_files([("akteure.csv", csv_bytes(ACTORS_BAD))], commit=False)
        assert [(r.row, r.kind) for r in report.rejected] == [
            (3, "actors"),
            (4, "actors"),
            (5, "actors"),
            (6, "actors"),
            (7, "actors"),
        ]
        assert not report.ok
        assert report.counts()["actors"]["create"] == 1
        assert db.session.scalar(sa.select(sa.func.count(Actor.id))) == 0


def test_a_file_without_known_headers_is_refused(app):
    with app.app_context(), pytest.raises(services.Invalid, match="keine bekannte Tabelle"):
        services.import_files([("liste.csv", csv_bytes("Foo;Bar\n1;2\n"))])


def test_xlsx_rows_numbered_as_excel_shows_them(app):
    data = write_xlsx(
        [
            ("Akteure", ["Name", "Kategorie"], [["Gut", "schule"], ["", ""], ["Schlecht", "xyz"]]),
            ("Hinweise", ["Spalte", "Erklärung"], [["Name", "Pflicht"]]),
        ]
    )
    with app.app_context():
        report = services.import_files([("liste.xlsx", data)], commit=False)
    assert [(r.source, r.row, r.reason) for r in report.rejected] == [
        ("liste.xlsx › Akteure", 4, "Kategorie: xyz – unbekannt, erlaubt: " + ALL_CATEGORIES)
    ]
    skipped = [t for t in report.tables if t.sheet is None]
    assert [t.source for t in skipped] == ["liste.xlsx › Hinweise"]


# --- encodings, separators, headers ----------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "bom", "label"),
    [
        ("utf-8", b"", "UTF-8"),
        ("utf-8", b"\xef\xbb\xbf", "UTF-8 mit BOM"),
        ("cp1252", b"", "Windows-1252"),
    ],
)
@pytest.mark.parametrize(("sep", "sep_label"), [(",", "Komma (,)"), (";", "Semikolon (;)")])
def test_encodings_and_separators_detected(app, encoding, bom, label, sep, sep_label):
    text = (
        f"Name{sep}Kategorie{sep}Ort{sep}Beschreibung\n"
        f'Weltladen Köln – Café Süd{sep}weltladen{sep}Köln{sep}"Fairer Handel{sep} seit 1985"\n'
    )
    data = bom + csv_bytes(text, encoding)
    with app.app_context():
        report = services.import_files([("akteure.csv", data)])
        (table,) = report.tables
        assert (table.encoding, table.delimiter_label) == (label, sep_label)
        actor = db.session.scalar(sa.select(Actor))
        assert actor.name == "Weltladen Köln – Café Süd"
        assert actor.city == "Köln"
        assert actor.description == f"Fairer Handel{sep} seit 1985"


def test_english_headers_and_matching_by_external_id_then_name(app):
    with app.app_context():
        factories.actor(name="Welthaus", external_id="W-1", category="eine-welt-gruppe")
        factories.actor(name="Anderer Akteur", category="schule", city="Aachen")
        data = csv_bytes(
            "External ID,Name,Category,City,Power\n"
            'W-1,Welthaus Aachen e.V.,"One World network, promoters",Aachen,5\n'
            ",ANDERER AKTEUR,school,Stolberg,\n"
            "X-9,Neu hier,University/research,,\n"
        )
        report = services.import_files([("actors.csv", data)])
        assert report.applied, report.rejected
        c = report.counts()["actors"]
        assert (c["create"], c["update"]) == (1, 2)
        names = {a.name: a for a in db.session.scalars(sa.select(Actor))}
        # matched without regard to case; the file's spelling is the new one (shown as a change)
        assert set(names) == {"Welthaus Aachen e.V.", "ANDERER AKTEUR", "Neu hier"}
        welthaus = names["Welthaus Aachen e.V."]
        assert welthaus.category_key == "eine-welt-netzwerk" and welthaus.power == 5
        assert names["ANDERER AKTEUR"].city == "Stolberg"
        assert names["ANDERER AKTEUR"].power == 3  # an empty cell keeps the stored number
        assert names["Neu hier"].category_key == "hochschule"
        assert names["Neu hier"].external_id == "X-9"
        update = db.session.scalar(
            sa.select(AuditEntry).where(
                AuditEntry.entity == "actor",
                AuditEntry.entity_id == welthaus.id,
                AuditEntry.action == "update",
            )
        )
        assert update.changes["name"] == ["Welthaus", "Welthaus Aachen e.V."]


def test_relations_may_refer_to_actors_of_the_same_workbook(app):
    data = write_xlsx(
        [
            ("Beziehungen", ["Von", "Nach", "Art"], [["Alpha", "Beta", "Partnerschaft"]]),
            ("Akteure", ["Name", "Kategorie"], [["Alpha", "schule"], ["Beta", "hochschule"]]),
        ]
    )
    with app.app_context():
        report = services.import_files([("neu.xlsx", data)])
        assert report.applied, report.rejected
        relation = db.session.scalar(sa.select(Relation))
        assert (relation.source.name, relation.target.name) == ("Alpha", "Beta")


def test_consent_columns_in_contacts(app):
    with app.app_context():
        factories.actor(name="Welthaus", category="eine-welt-gruppe")
        data = csv_bytes(
            "Akteur;Name;E-Mail;Rechtsgrundlage;Einwilligung vom;Einladungen erlaubt;Widerruf am\n"
            "Welthaus;Anna;anna@example.org;Einwilligung;01.02.2024;ja;15.03.2025\n"
            "Welthaus;Ben;ben@example.org;öffentliche Aufgabe;;nein;\n"
        )
        services.import_files([("kontakte.csv", data)])
        anna = db.session.scalar(sa.select(Contact).where(Contact.name == "Anna"))
        assert anna.legal_basis == "einwilligung"
        assert anna.consent_date == date(2024, 2, 1)
        assert anna.consent_revoked_at == datetime(2025, 3, 15)
        assert not anna.may_invite
        ben = db.session.scalar(sa.select(Contact).where(Contact.name == "Ben"))
        assert ben.legal_basis == "oeffentliche_aufgabe" and not ben.may_invite


# --- the page: preview, then "Übernehmen" ----------------------------------------------------


def upload(client, name: str, data: bytes):
    return client.post(
        "/austausch/import",
        data={"files": [(io.BytesIO(data), name)], "csrf_token": client.csrf},
        content_type="multipart/form-data",
    )


def test_two_step_import_in_the_browser_forms(app, login, tmp_path):
    editor = login("editor")
    data = csv_bytes("Name;Kategorie;Ort\nEine Welt Forum Düren;eine-welt-gruppe;Düren\n", "cp1252")

    page = upload(editor, "akteure.csv", data)

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for text in ("Windows-1252", "Semikolon (;)", "Wird neu angelegt", "Eine Welt Forum Düren"):
        assert text in html
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Actor.id))) == 0  # only a preview
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', html).group(1)

    done = editor.post(
        "/austausch/import/uebernehmen", data={"token": token, "csrf_token": editor.csrf}
    )

    assert done.status_code == 302
    with app.app_context():
        assert [a.name for a in db.session.scalars(sa.select(Actor))] == ["Eine Welt Forum Düren"]
    index = editor.get("/austausch/").get_data(as_text=True)
    assert "Import übernommen" in index
    again = editor.post(
        "/austausch/import/uebernehmen", data={"token": token, "csrf_token": editor.csrf}
    )
    assert again.status_code == 404  # the checked files are gone once applied
    assert list((tmp_path / "imports").iterdir()) == []


def test_preview_with_rejections_offers_no_apply(app, login):
    editor = login("editor")
    page = upload(editor, "akteure.csv", csv_bytes(ACTORS_BAD))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Abgelehnte Zeilen" in html and "Kategorie: gibtsnicht – unbekannt" in html
    assert "Übernehmen</button>" not in html
    assert 'name="token"' not in html


def test_apply_needs_the_same_user_and_csrf(app, login):
    editor = login("editor")
    html = upload(editor, "a.csv", csv_bytes("Name;Kategorie\nA;schule\n")).get_data(True)
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', html).group(1)
    other = login("editor", username="zweite-redakteurin")
    response = other.post(
        "/austausch/import/uebernehmen", data={"token": token, "csrf_token": other.csrf}
    )
    assert response.status_code == 404
    response = editor.post("/austausch/import/uebernehmen", data={"token": token})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Actor.id))) == 0


def test_viewers_cannot_import(app, login):
    viewer = login("viewer")
    response = upload(viewer, "akteure.csv", csv_bytes("Name;Kategorie\nA;schule\n"))
    assert response.status_code == 403
    assert viewer.get("/austausch/").status_code == 403


def test_templates_have_the_german_headers_and_import_empty(app, login):
    editor = login("editor")
    response = editor.get("/austausch/vorlage/akteure.csv")
    assert response.status_code == 200
    first = response.data.decode("utf-8-sig").splitlines()[0]
    assert first.startswith("Externe ID;Name;Kurzname;Kategorie;Sektor")
    workbook = editor.get("/austausch/vorlage/alle.xlsx")
    sheets = _cells(workbook.data)
    assert list(sheets) == [
        "Themen",
        "Akteure",
        "Kontakte",
        "Themenzuordnungen",
        "Beziehungen",
        "Projekte",
        "Hinweise",
    ]
    assert sheets["Beziehungen"][0][:3] == ["Von", "Von Externe ID", "Nach"]
    with app.app_context():
        report = services.import_files([("vorlage.xlsx", workbook.data)])
        assert report.applied and not report.rows


def test_cli_import_prints_what_it_did(app, runner, tmp_path):
    path = tmp_path / "akteure.csv"
    path.write_bytes(write_csv(["Name", "Kategorie"], [["Eine Welt Forum", "eine-welt-gruppe"]]))
    dry = runner.invoke(args=["import", "--dry-run", str(path)])
    assert dry.exit_code == 0, dry.output
    assert "Prüfung ohne Fehler (nichts geschrieben): Akteure: 1 neu" in dry.output
    done = runner.invoke(args=["import", str(path)])
    assert done.exit_code == 0, done.output
    assert "UTF-8 mit BOM, Trennzeichen Semikolon (;)" in done.output
    assert "Importiert: Akteure: 1 neu, 0 geändert, 0 unverändert" in done.output
    with app.app_context():
        actor_id = db.session.scalar(sa.select(Actor.id).where(Actor.name == "Eine Welt Forum"))
        # the map's place is stored with the import: no worker has to compute it on a visit
        placed = db.session.scalar(
            sa.select(NodePosition.key).where(NodePosition.key == f"a{actor_id}")
        )
        assert placed == f"a{actor_id}"


# --- the XLSX reader -------------------------------------------------------------------------


def _workbook_bytes() -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    wb = Workbook()  # the normal writer: shared strings and styles, as Excel saves them
    ws = wb.active
    ws.title = "Akteure"
    ws.append(["Name", "Kategorie", "Einfluss", "Beschreibung", "Seit", "Aktiv"])
    ws.append(["Welthaus", "eine-welt-gruppe", 3, "Ökumenisch", datetime(2024, 5, 2), True])
    ws.append(["Zweiter", "schule", 2.0, None, None, False])
    ws.append([])
    ws.append(["Dritter", "schule", 4.5, "a_x", None, None])
    ws["D6"] = CellRichText("fett ", TextBlock(InlineFont(b=True), "und normal"))
    ws["A6"] = "Vierter"
    ws["H6"] = "weit rechts"
    other = wb.create_sheet("Hinweise")
    other.append(["nur", "Text"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_the_xlsx_reader_reads_what_openpyxl_reads():
    from netzwerk.exchange import tables

    data = _workbook_bytes()
    fast = tables.read_xlsx("t.xlsx", data)
    slow = tables._read_xlsx_openpyxl("t.xlsx", data)
    assert [(t.source, t.headers, t.rows) for t in fast] == [
        (t.source, t.headers, t.rows) for t in slow
    ]
    rows = dict(fast[0].rows)
    assert rows[2]["power"] == 3 and rows[5]["power"] == 4.5
    assert rows[6]["description"] == "fett und normal"
    assert sorted(rows) == [2, 3, 5, 6]  # the empty row 4 is skipped, numbers kept
    assert tables._unescape("Zeile_x000D_zwei_x005F_x0041_") == "Zeile\rzwei_x0041_"


def test_an_xlsx_with_xml_entities_is_refused(app):
    data = _workbook_bytes()
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(
                    b"<worksheet",
                    b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><worksheet',
                    1,
                )
            target.writestr(item, content)
    with app.app_context(), pytest.raises(services.Invalid, match="keine lesbare Excel-Datei"):
        services.import_files([("boese.xlsx", out.getvalue())])
