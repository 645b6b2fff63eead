"""Hostile spreadsheets (issue 14, item 1): a tiny XLSX naming a far cell, a zip bomb, a
workbook with thousands of parts, a broken shared-string index. Each is refused quickly with a
422 that names the limit, before anything big is built in memory."""

from __future__ import annotations

import io
import time
import zipfile

import pytest
from openpyxl import Workbook

from netzwerk.exchange import services, tables

SHEET = "xl/worksheets/sheet1.xml"
HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)
HEADER_ROW = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>Name</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>Kategorie</t></is></c></row>'
)


@pytest.fixture
def app_config(tmp_path) -> dict:
    return {"IMPORT_DIR": str(tmp_path / "imports")}


def workbook(sheet_xml: str | bytes | None = None, extra: dict[str, bytes] | None = None) -> bytes:
    """A real workbook from openpyxl whose first sheet is replaced by `sheet_xml`."""
    wb = Workbook()
    wb.active.title = "Akteure"
    wb.active.append(["Name", "Kategorie"])
    source = io.BytesIO()
    wb.save(source)
    out = io.BytesIO()
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            content = src.read(item.filename)
            if item.filename == SHEET and sheet_xml is not None:
                content = sheet_xml.encode() if isinstance(sheet_xml, str) else sheet_xml
            dst.writestr(item.filename, content)
        for name, content in (extra or {}).items():
            dst.writestr(name, content)
    return out.getvalue()


def sheet(rows: str, dimension: str = "") -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f"{HEAD}{dim}<sheetData>{HEADER_ROW}{rows}</sheetData></worksheet>"


def upload(client, name: str, data: bytes):
    return client.post(
        "/austausch/import",
        data={"files": [(io.BytesIO(data), name)], "csrf_token": client.csrf},
        content_type="multipart/form-data",
    )


def refused(client, data: bytes, name: str = "boese.xlsx") -> str:
    started = time.perf_counter()
    response = upload(client, name, data)
    elapsed = time.perf_counter() - started
    html = response.get_data(as_text=True)
    assert response.status_code == 422, html[:2000]
    assert elapsed < 10, f"refusing took {elapsed:.1f} s"
    return html


FAR = '<row r="{n}"><c r="{ref}" t="inlineStr"><is><t>x</t></is></c></row>'


def test_a_far_column_reference_is_refused_before_rows_are_filled(login):
    """8 cells at column DEJTLY took 3.6 GB: each row was padded up to that column."""
    editor = login("editor")
    rows = "".join(FAR.format(n=n, ref=f"DEJTLY{n}") for n in range(2, 10))
    html = refused(editor, workbook(sheet(rows)))
    assert "höchstens 200 Spalten" in html and "DEJTLY2" in html


def test_an_absurd_column_reference_is_refused_not_a_memory_error(login):
    editor = login("editor")
    html = refused(editor, workbook(sheet(FAR.format(n=2, ref="ZZZZZZZZZZZZ2"))))
    assert "höchstens 200 Spalten" in html


def test_a_far_row_is_refused(login):
    editor = login("editor")
    html = refused(editor, workbook(sheet(FAR.format(n=1048576, ref="A1048576"))))
    assert "höchstens 100.000 Zeilen" in html


def test_a_dimension_beyond_the_limits_is_refused(login):
    """openpyxl pads every row up to the <dimension> it finds."""
    editor = login("editor")
    html = refused(editor, workbook(sheet("", dimension="A1:XFD1048576")))
    assert "höchstens 200 Spalten" in html


def test_the_openpyxl_fallback_is_scanned_first(app, login):
    """A workbook our reader gives up on (a number cell that is no number) goes to openpyxl
    only after the same limits were checked."""
    editor = login("editor")
    rows = '<row r="2"><c r="A2"><v>keine Zahl</v></c></row>' + FAR.format(n=3, ref="DEJTLY3")
    html = refused(editor, workbook(sheet(rows)))
    assert "höchstens 200 Spalten" in html


def test_a_zip_bomb_is_refused_by_its_unpacked_size(app, login):
    """An XLSX that unpacked to 450 MB of rows took 131 s and 3.2 GB."""
    app.config["IMPORT_MAX_UNPACKED"] = 2 * 1024 * 1024
    editor = login("editor")
    padding = "<!--" + "x" * (3 * 1024 * 1024) + "-->"
    data = workbook(sheet(padding))
    assert len(data) < 100_000  # a small upload
    html = refused(editor, data)
    assert "höchstens 2 MB entpackt" in html


def test_too_many_parts_are_refused(login):
    editor = login("editor")
    extra = {f"xl/media/bild{i}.bin": b"" for i in range(1100)}
    html = refused(editor, workbook(extra=extra))
    assert "höchstens 1.000 Teile" in html


def test_too_many_cells_are_refused(app, login):
    app.config["IMPORT_MAX_CELLS"] = 50
    editor = login("editor")
    rows = "".join(
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>A{n}</t></is></c>'
        f'<c r="B{n}" t="inlineStr"><is><t>verwaltung</t></is></c></row>'
        for n in range(2, 40)
    )
    html = refused(editor, workbook(sheet(rows)))
    assert "höchstens 50 Zellen" in html


def test_a_shared_string_index_out_of_range_names_the_row(login):
    editor = login("editor")
    rows = '<row r="2"><c r="A2" t="s"><v>99</v></c><c r="B2" t="s"><v>0</v></c></row>'
    html = refused(editor, workbook(sheet(rows)))
    assert "Zeile 2" in html and "beschädigt" in html


def test_a_csv_with_too_many_rows_is_refused(app, login):
    app.config["IMPORT_MAX_ROWS"] = 50
    editor = login("editor")
    text = "Name;Kategorie\n" + "".join(f"A{i};verwaltung\n" for i in range(60))
    html = refused(editor, text.encode(), "akteure.csv")
    assert "höchstens 50 Zeilen" in html


def test_an_ordinary_workbook_still_imports(app, login):
    editor = login("editor")
    rows = (
        '<row r="2"><c r="A2" t="inlineStr"><is><t>Welthaus</t></is></c>'
        '<c r="B2" t="inlineStr"><is><t>verwaltung</t></is></c></row>'
    )
    response = upload(editor, "akteure.xlsx", workbook(sheet(rows, dimension="A1:B2")))
    assert response.status_code == 200
    assert "Welthaus" in response.get_data(as_text=True)


def test_limits_come_from_the_configuration(app):
    app.config["IMPORT_MAX_COLUMNS"] = 1
    with app.app_context(), pytest.raises(services.Invalid, match="höchstens 1 Spalten"):
        services.import_files([("a.csv", b"Name;Kategorie\nA;verwaltung\n")])
    assert tables.Limits().max_rows == 100_000


# --- item 5: checked uploads expire and are erased with the person --------------------------


def token_of(page) -> str:
    import re

    html = page.get_data(as_text=True)
    assert page.status_code == 200, html[:1500]
    return re.search(r'name="token" type="hidden" value="([^"]+)"', html).group(1)


def apply(client, token: str):
    return client.post(
        "/austausch/import/uebernehmen", data={"token": token, "csrf_token": client.csrf}
    )


def age(folder, hours: float) -> None:
    import os

    moment = time.time() - hours * 3600
    os.utime(folder, (moment, moment))


def test_a_checked_upload_expires_after_24_hours(app, login, runner, tmp_path):
    editor = login("editor")
    csv = b"Name;Kategorie\nWelthaus;eine-welt-gruppe\n"
    old = token_of(upload(editor, "akteure.csv", csv))
    fresh = token_of(upload(editor, "akteure.csv", csv))
    root = tmp_path / "imports"
    assert all(p.stat().st_mode & 0o077 == 0 for p in (root / old).iterdir())  # 0600
    age(root / old, 25)

    assert apply(editor, old).status_code == 404  # expired: gone, even before a cleanup
    assert not (root / old).exists()
    age(root / fresh, 23)
    result = runner.invoke(args=["import-cleanup"])
    assert result.exit_code == 0 and "entfernt: 0" in result.output
    age(root / fresh, 25)
    result = runner.invoke(args=["import-cleanup"])
    assert "entfernt: 1" in result.output and list(root.iterdir()) == []


def test_erasure_removes_the_person_from_checked_uploads(app, login, tmp_path):
    from netzwerk.actors.models import Contact
    from netzwerk.exchange import privacy
    from netzwerk.extensions import db
    from tests import factories

    with app.app_context():
        welthaus = factories.actor(name="Welthaus")
        erika = factories.contact(welthaus, name="Erika Mustermann", email="erika@example.org")
        erika_id = erika.id
    editor = login("editor")
    hers = token_of(
        upload(
            editor,
            "kontakte.csv",
            b"Akteur;Name;E-Mail\nWelthaus;Erika Mustermann;ERIKA@example.org\n",
        )
    )
    xlsx = workbook(
        sheet(
            '<row r="2"><c r="A2" t="inlineStr"><is><t>Erika Mustermann e.V.</t></is></c>'
            '<c r="B2" t="inlineStr"><is><t>eine-welt-gruppe</t></is></c></row>'
        )
    )
    also_hers = token_of(upload(editor, "akteure.xlsx", xlsx))
    other = token_of(upload(editor, "akteure.csv", b"Name;Kategorie\nSchule;schule\n"))
    with app.app_context():
        summary = privacy.erase_contact(db.session.get(Contact, erika_id))
    assert summary["import_previews_removed"] == 2
    root = tmp_path / "imports"
    assert sorted(p.name for p in root.iterdir()) == [other]
    assert apply(editor, hers).status_code == 404
    assert apply(editor, also_hers).status_code == 404
