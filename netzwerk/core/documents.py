"""Documents (protocols, the council document, reports) as a list of blocks, rendered three
ways from the same content: as part of a page, as DOCX (python-docx) and as PDF (WeasyPrint from
our own HTML template, templates/documents/document.html). A domain builds the blocks; nothing
here knows a domain.

Text is plain text everywhere: Jinja escapes it in HTML, python-docx in the DOCX XML, and
characters XML cannot hold are dropped. WeasyPrint may fetch nothing but data: URIs (pictures
are inline SVG data), so a document never reaches another host; the fonts are DejaVu from the
system (apt: fonts-dejavu-core).
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from datetime import datetime
from xml.sax.saxutils import escape

from flask import render_template

from .drawing import Scene, xml_text

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_MIMETYPE = "application/pdf"


# --- blocks ------------------------------------------------------------------------------------


@dataclass
class Title:
    title: str
    subtitle: str = ""
    lines: list[str] = field(default_factory=list)


@dataclass
class Heading:
    text: str
    level: int = 1


@dataclass
class Paragraph:
    text: str
    small: bool = False


@dataclass
class Bullets:
    items: list[str]


@dataclass
class Facts:
    pairs: list[tuple[str, str]]


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    caption: str = ""
    # relative column widths (any unit); empty: equal
    widths: list[float] = field(default_factory=list)
    numeric: set[int] = field(default_factory=set)  # columns aligned right


@dataclass
class Picture:
    scene: Scene
    title: str
    description: str = ""
    width_cm: float = 16.0

    def data_uri(self) -> str:
        return self.scene.svg_data_uri(self.title, self.description)

    def print_uri(self) -> str:
        """The picture for the PDF: a PNG at the print resolution, as in the DOCX."""
        return "data:image/png;base64," + base64.b64encode(self.png(PRINT_DPI)).decode("ascii")

    def png(self, dpi: int) -> bytes:
        """The picture at `dpi` at its printed width (the scene's own size is in pixels)."""
        return self.scene.png(scale=self.width_cm / 2.54 * dpi / self.scene.width)


PRINT_DPI = 200  # pictures in DOCX and PDF: sharp on paper; 300 dpi took twice the time and size


@dataclass
class PageBreak:
    pass


Block = Title | Heading | Paragraph | Bullets | Facts | Table | Picture | PageBreak


@dataclass
class Document:
    title: str
    blocks: list[Block]
    lang: str = "de"
    subject: str = ""
    footer: str = ""
    created: datetime | None = None

    def kind(self, block: Block) -> str:
        return type(block).__name__.lower()


# --- PDF ---------------------------------------------------------------------------------------


def render_html(document: Document) -> str:
    """The standalone print HTML (our template and stylesheet, everything inline)."""
    return render_template("documents/document.html", doc=document)


# The few user-agent rules our print template needs. WeasyPrint's full HTML5 stylesheet has
# hundreds of rules, matched against every element: on a 50-page council document that is a
# second of the cascade for elements we never use.
LEAN_UA_CSS = """
html, body, div, p, h1, h2, h3, h4, h5, h6, ul, ol, dl, dt, dd, figure, figcaption, section,
article, blockquote { display: block }
head, style, title, meta, script { display: none }
li { display: list-item }
ul { margin: .3em 0; padding-left: 1.4em }
table { display: table } caption { display: table-caption }
thead { display: table-header-group } tbody { display: table-row-group }
tr { display: table-row } td, th { display: table-cell }
col { display: table-column } colgroup { display: table-column-group }
th, b, strong { font-weight: bold } i, em { font-style: italic }
img { display: inline-block }
body { margin: 0 }
"""


def pdf(document: Document) -> bytes:
    """WeasyPrint may fetch data: URIs only (the pictures); any other URL is refused."""
    from weasyprint import CSS, HTML
    from weasyprint.urls import URLFetcher

    class LeanHTML(HTML):
        def _ua_stylesheets(self, forms: bool = False):
            return [CSS(string=LEAN_UA_CSS)]

    fetcher = URLFetcher(allowed_protocols=("data",), fail_on_errors=False)
    return LeanHTML(string=render_html(document), url_fetcher=fetcher).write_pdf()


# --- DOCX --------------------------------------------------------------------------------------


def docx(document: Document) -> bytes:
    """The document as DOCX in a sober municipal layout: Arial, headings of the built-in
    heading styles (so a table of contents and LibreOffice see them), tables with a repeated
    header row, page numbers in the footer."""
    from docx import Document as DocxDocument
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.shared import Cm, Pt, RGBColor

    out = DocxDocument()
    section = out.sections[0]
    section.different_first_page_header_footer = any(isinstance(b, Title) for b in document.blocks)
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.left_margin = section.right_margin = Cm(2.2)
    section.top_margin, section.bottom_margin = Cm(2.0), Cm(2.0)
    normal = out.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(10.5)
    _language(normal, "de-DE" if document.lang == "de" else "en-GB")
    for level in (1, 2, 3):
        style = out.styles[f"Heading {level}"]
        style.font.name = "Arial"
        style.font.color.rgb = RGBColor(0x1F, 0x3A, 0x5F)
        style.font.size = Pt({1: 16, 2: 13, 3: 11.5}[level])
    title_style = out.styles["Title"]
    title_style.font.name = "Arial"
    title_style.font.color.rgb = RGBColor(0x1F, 0x3A, 0x5F)
    props = out.core_properties
    props.title = xml_text(document.title)[:250]
    props.subject = xml_text(document.subject)[:250]
    props.language = document.lang
    props.author = "netzwerk"
    _footer(section, xml_text(document.footer or document.title))
    body = out.element.body
    # python-docx resolves a style given by name against every style of the template for each
    # paragraph (a third of the time on a 300-paragraph document): look each id up once
    style_ids: dict[str, str] = {}

    def styled(text: str, name: str):
        if name not in style_ids:
            style_ids[name] = out.styles[name].style_id
        paragraph = out.add_paragraph(text)
        paragraph._p.get_or_add_pPr().style = style_ids[name]
        return paragraph

    for block in document.blocks:
        if isinstance(block, Title):
            for _ in range(6):
                out.add_paragraph()
            styled(xml_text(block.title), "Title")
            if block.subtitle:
                p = out.add_paragraph()
                run = p.add_run(xml_text(block.subtitle))
                run.font.size = Pt(14)
            for _ in range(3):
                out.add_paragraph()
            for line in block.lines:
                out.add_paragraph(xml_text(line))
            out.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        elif isinstance(block, Heading):
            styled(xml_text(block.text), f"Heading {min(max(block.level, 1), 3)}")
        elif isinstance(block, Paragraph):
            p = out.add_paragraph()
            lines = xml_text(block.text).split("\n")
            for n, line in enumerate(lines):
                run = p.add_run(line)
                if block.small:
                    run.font.size = Pt(9)
                    run.italic = True
                if n < len(lines) - 1:
                    run.add_break()
        elif isinstance(block, Bullets):
            for item in block.items:
                styled(xml_text(item), "List Bullet")
        elif isinstance(block, Facts):
            body._insert_tbl(_table_xml(None, [list(p) for p in block.pairs], [1, 2.6], set()))
            out.add_paragraph()
        elif isinstance(block, Table):
            if block.caption:
                p = out.add_paragraph()
                p.add_run(xml_text(block.caption)).bold = True
            widths = block.widths or [1] * len(block.headers)
            body._insert_tbl(_table_xml(block.headers, block.rows, widths, block.numeric))
            out.add_paragraph()
        elif isinstance(block, Picture):
            out.add_picture(io.BytesIO(block.png(PRINT_DPI)), width=Cm(block.width_cm))
            out.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
            caption = out.add_paragraph()
            run = caption.add_run(xml_text(block.title))
            run.italic = True
            run.font.size = Pt(9)
        elif isinstance(block, PageBreak):
            out.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    buffer = io.BytesIO()
    out.save(buffer)
    return buffer.getvalue()


TEXT_WIDTH_TWIPS = 9412  # 16.6 cm between the margins


def _run_xml(text: str, bold: bool = False) -> str:
    """A run of 9 pt text; line breaks become <w:br/>."""
    props = "<w:rPr>" + ("<w:b/>" if bold else "") + '<w:sz w:val="18"/></w:rPr>'
    parts = [escape(line) for line in xml_text(text if text is not None else "").split("\n")]
    inner = "<w:br/>".join(f'<w:t xml:space="preserve">{part}</w:t>' for part in parts)
    return f"<w:r>{props}{inner}</w:r>"


def _cell_xml(
    text: str, width: int, bold: bool = False, shade: bool = False, right: bool = False
) -> str:
    fill = '<w:shd w:val="clear" w:color="auto" w:fill="E8EDF3"/>' if shade else ""
    align = '<w:pPr><w:jc w:val="right"/></w:pPr>' if right else ""
    return (
        f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{fill}</w:tcPr>'
        f"<w:p>{align}{_run_xml(text, bold)}</w:p></w:tc>"
    )


def _table_xml(
    headers: list[str] | None, rows: list[list[str]], weights: list[float], numeric: set[int]
):
    """A whole table built as XML in one go: python-docx's cell API recomputes the table grid
    on every access, which makes a 200-row table take seconds."""
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    whole = sum(weights) or 1
    widths = [int(TEXT_WIDTH_TWIPS * w / whole) for w in weights]
    parts = [
        f'<w:tbl {nsdecls("w")}><w:tblPr><w:tblStyle w:val="TableGrid"/>'
        f'<w:tblW w:w="{sum(widths)}" w:type="dxa"/><w:tblLayout w:type="fixed"/>'
        '<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="1" '
        'w:lastColumn="0" w:noHBand="0" w:noVBand="1"/></w:tblPr><w:tblGrid>',
        "".join(f'<w:gridCol w:w="{w}"/>' for w in widths),
        "</w:tblGrid>",
    ]
    if headers is not None:
        cells = "".join(
            _cell_xml(h, w, bold=True, shade=True, right=i in numeric)
            for i, (h, w) in enumerate(zip(headers, widths, strict=True))
        )
        parts.append(f"<w:tr><w:trPr><w:tblHeader/></w:trPr>{cells}</w:tr>")
    for row in rows:
        cells = "".join(
            _cell_xml(
                row[i] if i < len(row) else "",
                w,
                bold=headers is None and i == 0,
                right=i in numeric,
            )
            for i, w in enumerate(widths)
        )
        parts.append(f"<w:tr>{cells}</w:tr>")
    parts.append("</w:tbl>")
    return parse_xml("".join(parts))


def _language(style, tag: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    rpr = style.element.get_or_add_rPr()
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), tag)
    rpr.append(lang)


def _footer(section, text: str) -> None:
    """The document's name left, the page number right."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    paragraph = section.footer.paragraphs[0]
    run = paragraph.add_run(text[:120] + "\t\t")
    run.font.size = Pt(8)
    for kind, value in (("begin", None), (None, "PAGE"), ("end", None)):
        part = paragraph.add_run()
        part.font.size = Pt(8)
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = value
        part._r.append(element)


# --- plain text (mail bodies) ------------------------------------------------------------------


def plain_text(document: Document, width: int = 78) -> str:
    """The document as plain text for the text part of a mail: headings underlined, facts as
    "key: value", tables as indented lines, pictures as their title."""
    lines: list[str] = []
    for block in document.blocks:
        if isinstance(block, Title):
            lines += [block.title, "=" * min(len(block.title), width), block.subtitle, *block.lines]
        elif isinstance(block, Heading):
            underline = "=" if block.level == 1 else "-"
            lines += ["", block.text, underline * min(len(block.text), width)]
        elif isinstance(block, Paragraph):
            lines += [block.text, ""]
        elif isinstance(block, Bullets):
            lines += [f"  - {item}" for item in block.items] + [""]
        elif isinstance(block, Facts):
            lines += [f"{key}: {value}" for key, value in block.pairs] + [""]
        elif isinstance(block, Table):
            if block.caption:
                lines.append(block.caption)
            for row in block.rows:
                cells = [" ".join(str(c).split()) for c in row if str(c).strip()]
                lines.append("  - " + " | ".join(cells))
            lines.append("")
        elif isinstance(block, Picture):
            lines += [f"[{block.title}]", ""]
    text = "\n".join(xml_text(line) for line in lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip() + "\n"
