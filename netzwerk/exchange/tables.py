"""Spreadsheet formats: which columns each kind of sheet has, and reading and writing CSV and XLSX.

No Flask and no database here: the services turn rows into actors, contacts, topics, topic links
and relations. A column is known by its German header (what the templates and exports write), its
English header or its field name, compared without case, spaces, hyphens and a trailing "*".
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

import defusedxml.ElementTree as ET
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..core.errors import Invalid

# --- the sheets --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    field: str
    de: str
    en: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    hint: Any = ""  # a lazy msgid: shown in the reader's language


@dataclass(frozen=True)
class Sheet:
    kind: str
    de: str  # sheet title and file name stem in German
    en: str
    columns: tuple[Column, ...]
    # each group names columns of which one must be present for a header to be this kind
    signature: tuple[frozenset[str], ...]
    personal: bool = False
    file_stem: str = ""

    def headers(self) -> list[str]:
        return [c.de for c in self.columns]

    @property
    def fields(self) -> list[str]:
        return [c.field for c in self.columns]


def _sig(*groups: str) -> tuple[frozenset[str], ...]:
    return tuple(frozenset(g.split("|")) for g in groups)


ACTOR_REF = (
    Column(
        "actor", "Akteur", "Actor", ("organisation", "organization"), hint=_l("Name des Akteurs")
    ),
    Column("actor_external_id", "Akteur Externe ID", "Actor external ID"),
)

TOPICS = Sheet(
    "topics",
    "Themen",
    "Topics",
    (
        Column("code", "Code", "Code", ("Kürzel",), required=True, hint=_l("z. B. SDG12")),
        Column("title", "Titel", "Title", required=True),
        Column("description", "Beschreibung", "Description"),
        Column("priority", "Priorität", "Priority", hint=_l("1 (hoch) bis 3")),
    ),
    _sig("code", "title"),
    file_stem="themen",
)
ACTORS = Sheet(
    "actors",
    "Akteure",
    "Actors",
    (
        Column("external_id", "Externe ID", "External ID", ("ID extern", "Ext ID")),
        Column("name", "Name", "Name", required=True),
        Column("short_name", "Kurzname", "Short name", ("Kürzel", "Abkürzung")),
        Column("category", "Kategorie", "Category", required=True, hint=_l("Schlüssel oder Name")),
        Column("sector", "Sektor", "Sector", hint=_l("leer: aus der Kategorie")),
        Column("level", "Ebene", "Level"),
        Column("city", "Ort", "City", ("Stadt",)),
        Column("country", "Land", "Country", hint=_l("ISO-Code, z. B. DE")),
        Column("website", "Website", "Website", ("Webseite", "Internetseite", "URL")),
        Column("description", "Beschreibung", "Description"),
        Column("power", "Einfluss", "Power", ("Influence", "Macht"), hint=_l("1 bis 5")),
        Column("interest", "Interesse", "Interest", hint=_l("1 bis 5")),
        Column("status", "Status", "Status"),
    ),
    _sig("name", "category"),
    file_stem="akteure",
)
CONTACTS = Sheet(
    "contacts",
    "Kontakte",
    "Contacts",
    (
        *ACTOR_REF,
        Column("name", "Name", "Name", required=True),
        Column("function", "Funktion", "Function", ("Position",)),
        Column("email", "E-Mail", "Email", ("E-Mail-Adresse", "Mail", "Email address")),
        Column("phone", "Telefon", "Phone", ("Telefonnummer", "Telephone")),
        Column("language", "Sprache", "Language", hint=_l("de, en, uk, fr, nl")),
        Column("timezone", "Zeitzone", "Time zone", ("Timezone",), hint=_l("z. B. Europe/Berlin")),
        Column("notes", "Notizen", "Notes", ("Notiz", "Note")),
        Column("legal_basis", "Rechtsgrundlage", "Legal basis"),
        Column("consent_date", "Einwilligung vom", "Consent date", hint=_l("TT.MM.JJJJ")),
        Column("consent_source", "Quelle der Einwilligung", "Consent source"),
        Column(
            "consent_invitations", "Einladungen erlaubt", "Invitations allowed", hint=_l("ja/nein")
        ),
        Column("consent_revoked_at", "Widerruf am", "Revoked on", hint=_l("TT.MM.JJJJ")),
    ),
    _sig("actor|actor_external_id", "name"),
    personal=True,
    file_stem="kontakte",
)
LINKS = Sheet(
    "links",
    "Themenzuordnungen",
    "Topic links",
    (
        *ACTOR_REF,
        Column("topic", "Thema", "Topic", required=True, hint=_l("Code, z. B. SDG12")),
        Column("role", "Rolle", "Role"),
        Column("note", "Notiz", "Note"),
    ),
    _sig("actor|actor_external_id", "topic"),
    file_stem="themenzuordnungen",
)
RELATIONS = Sheet(
    "relations",
    "Beziehungen",
    "Relations",
    (
        Column("source", "Von", "From", ("Quelle", "Source", "Von Akteur")),
        Column("source_external_id", "Von Externe ID", "From external ID"),
        Column("target", "Nach", "To", ("Ziel", "Target", "Zu", "Nach Akteur")),
        Column("target_external_id", "Nach Externe ID", "To external ID"),
        Column("kind", "Art", "Kind", ("Typ", "Type"), required=True),
        Column("directed", "Gerichtet", "Directed", hint=_l("ja/nein")),
        Column("strength", "Stärke", "Strength", hint=_l("1 bis 3")),
        Column("note", "Notiz", "Note"),
    ),
    _sig("source|source_external_id", "target|target_external_id"),
    file_stem="beziehungen",
)

PROJECTS = Sheet(
    "projects",
    "Projekte",
    "Projects",
    (
        Column("title", "Titel", "Title", ("Projekt", "Project"), required=True),
        Column("description", "Beschreibung", "Description"),
        Column("topics", "Themen", "Topics", hint=_l("Codes, mit ; getrennt, z. B. SDG17; SDG4")),
        Column("status", "Status", "Status"),
        Column(
            "lead", "Träger", "Lead", ("Federführung", "Lead actor"), hint=_l("Name des Akteurs")
        ),
        Column("lead_external_id", "Träger Externe ID", "Lead external ID"),
        Column("partners", "Partner", "Partners", hint=_l("Namen der Akteure, mit ; getrennt")),
        Column("partner_city", "Partnerstadt", "Partner city", hint=_l("Name des Akteurs")),
        Column("starts_on", "Beginn", "Start", hint=_l("TT.MM.JJJJ")),
        Column("ends_on", "Ende", "End", hint=_l("TT.MM.JJJJ")),
        Column("funding_amount", "Fördersumme", "Funding amount", ("Betrag",), hint=_l("EUR, ≥ 0")),
        Column("funder", "Fördermittelgeber", "Funder", ("Förderer",), hint=_l("Name des Akteurs")),
        Column("funding_programme", "Förderprogramm", "Funding programme", ("Programm",)),
        Column("sdg_targets", "SDG-Unterziele", "SDG targets", hint=_l("z. B. 4.7; 17.16")),
        Column("links", "Links", "Links", ("Link", "URL"), hint=_l("Adressen, mit Leerzeichen")),
    ),
    _sig("title", "lead|lead_external_id|partners|funder|partner_city"),
    file_stem="projekte",
)

# in the order an import needs them: relations, links and projects refer to actors and topics
SHEETS: tuple[Sheet, ...] = (TOPICS, ACTORS, CONTACTS, LINKS, RELATIONS, PROJECTS)
BY_KIND = {s.kind: s for s in SHEETS}


def normalise_header(text: Any) -> str:
    text = "" if text is None else str(text)
    text = text.strip().rstrip("*").strip().casefold()
    return re.sub(r"[\s_\-./]+", "", text)


def _header_index(sheet: Sheet) -> dict[str, str]:
    index: dict[str, str] = {}
    for col in sheet.columns:
        for name in (col.field, col.de, col.en, *col.aliases):
            index.setdefault(normalise_header(name), col.field)
    return index


HEADER_INDEX = {s.kind: _header_index(s) for s in SHEETS}
SHEET_TITLES = {normalise_header(n): s for s in SHEETS for n in (s.de, s.en, s.kind, s.file_stem)}


def map_headers(sheet: Sheet, headers: Sequence[Any]) -> list[str | None]:
    """The field of each column (None for columns this kind does not know)."""
    index = HEADER_INDEX[sheet.kind]
    seen: set[str] = set()
    fields: list[str | None] = []
    for header in headers:
        name = index.get(normalise_header(header))
        if name in seen:
            raise Invalid(_("Die Spalte „%(header)s“ kommt zweimal vor.", header=header))
        if name:
            seen.add(name)
        fields.append(name)
    return fields


def detect_sheet(headers: Sequence[Any]) -> Sheet | None:
    """The kind whose identifying columns are all present; on a tie the one knowing most columns."""
    best, best_score = None, 0
    for sheet in SHEETS:
        index = HEADER_INDEX[sheet.kind]
        present = {index[h] for h in map(normalise_header, headers) if h in index}
        if all(group & present for group in sheet.signature) and len(present) > best_score:
            best, best_score = sheet, len(present)
    return best


# --- formula neutralisation -------------------------------------------------------------------
#
# CSV has no cell types: text a spreadsheet would run as a formula gets a leading apostrophe there
# (OWASP CSV injection), and reading a CSV takes that apostrophe off again. An XLSX cell is typed:
# such text is written as a string cell with Excel's own "quote prefix" style (what Excel stores
# when someone types '=1+1), so the value stays exactly what it is for Excel, LibreOffice, pandas
# and openpyxl, and Excel still will not turn it into a formula when the cell is edited. Reading an
# XLSX takes a leading apostrophe off only from a cell without that style (a file from an older
# netzwerk, which wrote the CSV form into XLSX as well); a quote-prefixed cell is kept as it is.

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value: Any) -> bool:
    """Text a spreadsheet would take for a formula (also behind apostrophes, see neutralise)."""
    return isinstance(value, str) and value.lstrip("'").startswith(FORMULA_START)


def neutralise(value: Any) -> Any:
    """For CSV: text a spreadsheet would run as a formula gets a leading apostrophe.

    Text that already starts with apostrophes before such a character gets one more, so that
    `restore` gives back exactly what was stored."""
    if looks_like_formula(value):
        return "'" + value
    return value


class Literal(str):
    """Text from a quote-prefixed XLSX cell: the value as it stands, never `restore`d."""


def restore(value: Any) -> Any:
    if (
        isinstance(value, str)
        and value.startswith("'")
        and value.lstrip("'").startswith(FORMULA_START)
    ):
        return value[1:]
    return value


# --- reading -----------------------------------------------------------------------------------

ENCODINGS = (("utf-8-sig", "UTF-8 mit BOM"), ("utf-8", "UTF-8"), ("cp1252", "Windows-1252"))
DELIMITERS = {",": "Komma (,)", ";": "Semikolon (;)", "\t": "Tabulator"}
MAX_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What one uploaded file may hold. A 1.6 KB XLSX can name cell XFD1048576 or unpack to
    gigabytes; every bound is checked while streaming, before anything is kept in memory.
    The defaults are far above a municipal network (a few thousand rows, 20 columns) and are
    set with IMPORT_MAX_* (config.py)."""

    max_rows: int = 100_000
    max_columns: int = 200
    max_cells: int = 2_000_000
    max_unpacked: int = 50 * 1024 * 1024  # bytes, all parts of an XLSX together
    max_entries: int = 1_000  # parts (files) inside an XLSX

    @classmethod
    def from_config(cls, config) -> Limits:
        return cls(
            max_rows=int(config.get("IMPORT_MAX_ROWS", cls.max_rows)),
            max_columns=int(config.get("IMPORT_MAX_COLUMNS", cls.max_columns)),
            max_cells=int(config.get("IMPORT_MAX_CELLS", cls.max_cells)),
            max_unpacked=int(config.get("IMPORT_MAX_UNPACKED", cls.max_unpacked)),
            max_entries=int(config.get("IMPORT_MAX_ENTRIES", cls.max_entries)),
        )


def german_number(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def too_large(name: str, what: str) -> Invalid:
    return Invalid(
        _("%(name)s: die Datei ist zu groß für einen Import (%(what)s).", name=name, what=what)
    )


@dataclass
class Table:
    """One CSV file or one worksheet, its rows numbered as the spreadsheet shows them."""

    source: str
    sheet: Sheet | None
    headers: list[str]
    fields: list[str | None] = field(default_factory=list)
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""
    note: str = ""

    @property
    def ignored_columns(self) -> list[str]:
        return [h for h, f in zip(self.headers, self.fields, strict=False) if f is None and h]

    @property
    def delimiter_label(self) -> str:
        return DELIMITERS.get(self.delimiter, "")


def decode(data: bytes) -> tuple[str, str]:
    """The text and the name of its encoding: UTF-8 (with or without BOM), else Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "UTF-8 mit BOM"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError as exc:
        raise Invalid(
            _("Die Kodierung der Datei ist unbekannt; bitte als UTF-8 oder Windows-1252 speichern.")
        ) from exc


def sniff_delimiter(text: str) -> str:
    """Count the candidates in the header line, outside quotes: German Excel writes `;`."""
    first = text.split("\n", 1)[0]
    outside = re.sub(r'"[^"]*"', "", first)
    counts = {d: outside.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def _cell(value: Any) -> Any:
    """Spreadsheet cell → the value a service understands."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, datetime) and value.time() == time(0):
        return value.date()  # a date cell
    if isinstance(value, Literal):
        return str(value).strip()
    if isinstance(value, str):
        return restore(value.strip())
    return value


def _table(source: str, raw_rows: Iterable[tuple[int, Sequence[Any]]], sheet_hint=None) -> Table:
    rows = iter(raw_rows)
    for _number, header in rows:
        headers = [str(h).strip() if h is not None else "" for h in header]
        break
    else:
        return Table(source, None, [], note=_("leer"))
    while headers and not headers[-1]:
        headers.pop()
    sheet = detect_sheet(headers) or sheet_hint
    table = Table(source, sheet, headers)
    if sheet is None:
        table.note = _("keine bekannte Kopfzeile")
        return table
    table.fields = map_headers(sheet, headers)
    wanted = [(i, f) for i, f in enumerate(table.fields) if f]
    for number, values in rows:
        if not any(v not in (None, "") and str(v).strip() for v in values):
            continue
        row = {f: _cell(values[i]) if i < len(values) else "" for i, f in wanted}
        table.rows.append((number, row))
    return table


def read_csv(name: str, data: bytes, limits: Limits = Limits()) -> Table:
    text, encoding = decode(data)
    delimiter = sniff_delimiter(text)
    records = []
    try:
        for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            if len(records) >= limits.max_rows:
                raise too_large(name, _("höchstens %(n)s Zeilen", n=german_number(limits.max_rows)))
            if len(record) > limits.max_columns:
                raise too_large(
                    name, _("höchstens %(n)s Spalten", n=german_number(limits.max_columns))
                )
            records.append(record)
    except csv.Error as exc:
        raise Invalid(
            _("%(name)s: die CSV-Datei ist nicht lesbar (%(exc)s).", name=name, exc=exc)
        ) from exc
    stem = normalise_header(re.sub(r"\.[^.]*$", "", name.rsplit("/", 1)[-1]))
    table = _table(name, enumerate(records, start=1), SHEET_TITLES.get(stem))
    table.encoding, table.delimiter = encoding, delimiter
    return table


def read_xlsx(name: str, data: bytes, limits: Limits = Limits()) -> list[Table]:
    """Each worksheet as a table. The cells are streamed straight from the sheet XML (about three
    times faster than openpyxl's reader, which matters at 40,000 rows), checking the limits on
    the way; a workbook this reader does not understand is scanned for the limits and then
    handed to openpyxl."""
    archive = open_xlsx(name, data, limits)
    try:
        sheets = _XlsxReader(archive, name, limits).sheets()
        return [
            _table(f"{name} › {title}", rows, SHEET_TITLES.get(normalise_header(title)))
            for title, rows in sheets
        ]
    except (KeyError, ValueError, IndexError, ET.ParseError, zipfile.BadZipFile):
        # defusedxml refuses DTDs and entities with a ValueError: openpyxl (which uses
        # defusedxml too) then refuses the file with a clear message
        scan_xlsx(archive, name, limits)
        return _read_xlsx_openpyxl(name, data)


def open_xlsx(name: str, data: bytes, limits: Limits) -> zipfile.ZipFile:
    """The zip inside an XLSX, refused when it holds too many parts or unpacks to too much.
    The sizes in the zip directory are binding: zipfile never unpacks more than the size a
    part declares (and then fails its CRC check)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise Invalid(_("%(name)s: keine lesbare Excel-Datei (.xlsx).", name=name)) from exc
    infos = archive.infolist()
    if len(infos) > limits.max_entries:
        raise too_large(
            name, _("höchstens %(n)s Teile im Archiv", n=german_number(limits.max_entries))
        )
    if sum(info.file_size for info in infos) > limits.max_unpacked:
        mb = limits.max_unpacked // (1024 * 1024)
        raise too_large(name, _("höchstens %(n)s MB entpackt", n=german_number(mb)))
    return archive


class _Bounds:
    """Counts cells and checks each reference against the limits while a sheet is read."""

    def __init__(self, source: str, limits: Limits):
        self.source, self.limits, self.cells = source, limits, 0

    def row(self, number: int) -> None:
        if not 1 <= number <= self.limits.max_rows:
            raise too_large(
                self.source,
                _(
                    "Zeile %(row)s; höchstens %(n)s Zeilen",
                    row=german_number(number),
                    n=german_number(self.limits.max_rows),
                ),
            )

    def column(self, index: int, ref: str) -> None:
        if not 0 <= index < self.limits.max_columns:
            raise too_large(
                self.source,
                _(
                    "Zelle %(ref)s; höchstens %(n)s Spalten",
                    ref=ref[:20],
                    n=german_number(self.limits.max_columns),
                ),
            )

    def cell(self, index: int, ref: str) -> None:
        self.column(index, ref)
        self.cells += 1
        if self.cells > self.limits.max_cells:
            raise too_large(
                self.source, _("höchstens %(n)s Zellen", n=german_number(self.limits.max_cells))
            )

    def dimension(self, ref: str | None) -> None:
        """<dimension ref="A1:XFD1048576"/>: openpyxl would fill every row up to it."""
        for part in (ref or "").split(":"):
            column, row = _split_ref(part)
            if column is not None:
                self.column(column, part)
            if row is not None:
                self.row(row)


_REF = re.compile(r"\$?([A-Za-z]{1,10})?\$?(\d{1,15})?$")


def _split_ref(ref: str) -> tuple[int | None, int | None]:
    """ "AB7" → (27, 7); a reference too long to be real counts as beyond every limit."""
    match = _REF.match(ref.strip())
    if not match:
        return 10**9, 10**9
    letters, digits = match.groups()
    return (
        _column_index(letters) if letters else None,
        int(digits) if digits else None,
    )


def scan_xlsx(archive: zipfile.ZipFile, name: str, limits: Limits) -> None:
    """Stream every worksheet of a workbook our reader gave up on and check the limits before
    openpyxl reads it (openpyxl fills each row up to the farthest column and the dimension)."""
    cell_tag, row_tag, dim_tag = f"{MAIN}c", f"{MAIN}row", f"{MAIN}dimension"
    for info in archive.infolist():
        if not info.filename.startswith("xl/worksheets/") or not info.filename.endswith(".xml"):
            continue
        bounds = _Bounds(name, limits)
        previous = 0
        try:
            for _event, elem in ET.iterparse(archive.open(info)):
                if elem.tag == cell_tag:
                    column, row = _split_ref(elem.get("r") or "A1")
                    bounds.cell(column or 0, elem.get("r") or "")
                    if row is not None:
                        bounds.row(row)
                elif elem.tag == row_tag:
                    previous = int(elem.get("r") or previous + 1)
                    bounds.row(previous)
                    elem.clear()
                elif elem.tag == dim_tag:
                    bounds.dimension(elem.get("ref"))
        except (ValueError, ET.ParseError, zipfile.BadZipFile, KeyError) as exc:
            raise Invalid(_("%(name)s: keine lesbare Excel-Datei (.xlsx).", name=name)) from exc


def _read_xlsx_openpyxl(name: str, data: bytes) -> list[Table]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise Invalid(_("%(name)s: keine lesbare Excel-Datei (.xlsx).", name=name)) from exc
    tables = []
    try:
        for ws in workbook.worksheets:
            hint = SHEET_TITLES.get(normalise_header(ws.title))
            rows = enumerate(
                ([_openpyxl_value(cell) for cell in row] for row in ws.iter_rows()), start=1
            )
            tables.append(_table(f"{name} › {ws.title}", rows, hint))
    finally:
        workbook.close()
    return tables


def _openpyxl_value(cell) -> Any:
    value = getattr(cell, "value", None)
    style = getattr(cell, "style_array", None)
    if isinstance(value, str) and style is not None and style.quotePrefix:
        return Literal(value)
    return value


MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
DOC_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescape(text: str) -> str:
    """OOXML writes some characters as _xHHHH_ (a carriage return as _x000D_)."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text


class _XlsxReader:
    """Just enough of SpreadsheetML to read values: sheets, shared strings, date styles."""

    def __init__(self, archive: zipfile.ZipFile, name: str = "", limits: Limits = Limits()):
        self.archive, self.name, self.limits = archive, name, limits
        workbook = ET.fromstring(archive.read("xl/workbook.xml"))
        props = workbook.find(f"{MAIN}workbookPr")
        self.date1904 = props is not None and props.get("date1904") in ("1", "true")
        rels = ET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        self.targets = {
            r.get("Id"): r.get("Target", "") for r in rels.iter(f"{PKG_REL}Relationship")
        }
        self.sheet_refs = [
            (sheet.get("name", ""), self.targets[sheet.get(f"{DOC_REL}id")])
            for sheet in workbook.iter(f"{MAIN}sheet")
        ]
        self.strings = self._shared_strings()
        self.date_styles, self.quote_styles = self._styles()

    def _path(self, target: str) -> str:
        return target.lstrip("/") if target.startswith("/") else f"xl/{target}"

    def _part(self, kind: str) -> str | None:
        for target in self.targets.values():
            if target.rsplit("/", 1)[-1].lower() == kind:
                return self._path(target)
        return None

    def _shared_strings(self) -> list[str]:
        path = self._part("sharedstrings.xml")
        if path is None or path not in self.archive.namelist():
            return []
        strings = []
        for _event, elem in ET.iterparse(self.archive.open(path)):
            if elem.tag == f"{MAIN}si":
                parts = [t.text or "" for t in elem.iter(f"{MAIN}t")]
                # phonetic runs (rPh) carry readings, not text
                for ph in elem.iter(f"{MAIN}rPh"):
                    for t in ph.iter(f"{MAIN}t"):
                        parts.remove(t.text or "")
                strings.append(_unescape("".join(parts)))
                elem.clear()
        return strings

    def _styles(self) -> tuple[set[int], set[int]]:
        """The cell styles that show a date, and those with Excel's quote prefix."""
        from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format

        path = self._part("styles.xml")
        if path is None or path not in self.archive.namelist():
            return set(), set()
        styles = ET.fromstring(self.archive.read(path))
        formats = dict(BUILTIN_FORMATS)
        for fmt in styles.iter(f"{MAIN}numFmt"):
            formats[int(fmt.get("numFmtId", "0"))] = fmt.get("formatCode", "")
        xfs = styles.find(f"{MAIN}cellXfs")
        if xfs is None:
            return set(), set()
        dates, quoted = set(), set()
        for i, xf in enumerate(xfs.iter(f"{MAIN}xf")):
            if is_date_format(formats.get(int(xf.get("numFmtId", "0")), "")):
                dates.add(i)
            if xf.get("quotePrefix") in ("1", "true"):
                quoted.add(i)
        return dates, quoted

    def sheets(self) -> list[tuple[str, Iterable[tuple[int, list[Any]]]]]:
        """(title, rows) per worksheet; the rows are streamed, one row in memory at a time."""
        return [
            (title, self._rows(self._path(t), f"{self.name} › {title}"))
            for title, t in self.sheet_refs
        ]

    def _rows(self, path: str, source: str):
        from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

        epoch = CALENDAR_MAC_1904 if self.date1904 else CALENDAR_WINDOWS_1900
        row_tag, cell_tag, value_tag = f"{MAIN}row", f"{MAIN}c", f"{MAIN}v"
        dim_tag = f"{MAIN}dimension"
        bounds = _Bounds(source, self.limits)
        previous = 0
        for _event, row in ET.iterparse(self.archive.open(path)):
            if row.tag != row_tag:
                if row.tag == dim_tag:
                    bounds.dimension(row.get("ref"))
                continue
            number = int(row.get("r") or previous + 1)
            bounds.row(number)
            previous = number
            values: list[Any] = []
            for cell in row.iter(cell_tag):
                ref = cell.get("r")
                column = _split_ref(ref)[0] if ref else len(values)
                bounds.cell(column if column is not None else len(values), ref or "")
                if column is None:
                    column = len(values)
                if column > len(values):
                    values.extend([None] * (column - len(values)))
                kind = cell.get("t", "n")
                style = int(cell.get("s", "0"))
                v = cell.find(value_tag)
                text = v.text if v is not None else None
                if kind == "s":
                    value = self._shared(text, source, number) if text is not None else None
                elif kind == "inlineStr":
                    value = _unescape("".join(t.text or "" for t in cell.iter(f"{MAIN}t")))
                elif text is None:
                    value = None
                elif kind == "n":
                    number_value = float(text) if any(c in text for c in ".eE") else int(text)
                    if style in self.date_styles:
                        value = from_excel(number_value, epoch)
                    else:
                        value = number_value
                elif kind == "b":
                    value = text.strip() in ("1", "true")
                elif kind == "d":
                    value = datetime.fromisoformat(text)
                else:  # str (a formula's text), e (an error such as #N/A)
                    value = _unescape(text)
                if isinstance(value, str) and style in self.quote_styles:
                    value = Literal(value)
                values.append(value)
            row.clear()
            yield number, values

    def _shared(self, text: str, source: str, number: int) -> str:
        try:
            index = int(text)
            if index < 0:
                raise IndexError(index)
            return self.strings[index]
        except (ValueError, IndexError) as exc:
            raise Invalid(
                _(
                    "%(source)s, Zeile %(number)s: die Zelle verweist auf einen Text "
                    "(%(value)s), den es in der Datei nicht gibt (die Datei ist "
                    "beschädigt).",
                    source=source,
                    number=number,
                    value=text[:20],
                )
            ) from exc


def _column_index(ref: str) -> int:
    """A1 → 0, AB7 → 27."""
    index = 0
    for char in ref:
        if char.isalpha():
            index = index * 26 + (ord(char.upper()) - 64)
        else:
            break
    return index - 1


def read_file(name: str, data: bytes, limits: Limits = Limits()) -> list[Table]:
    """The tables of an uploaded file: one for a CSV, one per worksheet for an XLSX."""
    if len(data) > MAX_BYTES:
        raise Invalid(_("%(name)s: die Datei ist zu groß (höchstens 50 MB).", name=name))
    if data.startswith(b"PK\x03\x04") or name.lower().endswith((".xlsx", ".xlsm")):
        return read_xlsx(name, data, limits)
    if name.lower().endswith(".xls") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise Invalid(
            _(
                "%(name)s: das alte Excel-Format (.xls) bitte als .xlsx oder CSV speichern.",
                name=name,
            )
        )
    return [read_csv(name, data, limits)]


# --- writing -----------------------------------------------------------------------------------


def write_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]], delimiter: str = ";") -> bytes:
    """UTF-8 with BOM and semicolons: what German Excel opens without asking."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_csv_value(v) for v in row])
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(value)


_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _xlsx_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):
        return _ILLEGAL.sub("", value)
    return value


def write_xlsx(sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> bytes:
    """A workbook with one worksheet per (title, headers, rows); every text cell is a string
    cell, formula-like text also quote-prefixed (see the formula neutralisation above)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, headers, rows in sheets:
        ws = workbook.create_sheet(title[:31])
        ws.freeze_panes = "A2"
        rows = iter(rows)
        first = [[_xlsx_value(v) for v in row] for _, row in zip(range(200), rows, strict=False)]
        widths = [max(len(h), 8) for h in headers]
        for values in first:
            for i, v in enumerate(values[: len(widths)]):
                widths[i] = min(max(widths[i], len(str(v))), 60)
        for i, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width + 2
        header_cells = []
        for h in headers:
            cell = WriteOnlyCell(ws, value=h)
            cell.font = bold
            header_cells.append(cell)
        ws.append(header_cells)
        for values in itertools.chain(first, ([_xlsx_value(v) for v in row] for row in rows)):
            ws.append([_write_only_cell(ws, v) for v in values])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _write_only_cell(ws, value: Any):
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever the text
        if looks_like_formula(value):
            cell.quotePrefix = True  # as Excel stores '=1+1: shown and kept as text when edited
    elif isinstance(value, date):
        cell.number_format = "DD.MM.YYYY"
    return cell
