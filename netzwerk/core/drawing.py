"""Small pictures drawn by our own code: a scene of lines, circles, rectangles and labels that
becomes SVG (pages, PDF) or PNG (DOCX, which cannot hold SVG) with the same geometry.

Charts and the map picture of the documents build a Scene; nothing here knows a domain. Text is
escaped for SVG here, so a label can never become markup; the picture carries its text
alternative as <title> and <desc>.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

FONT_FILES = {
    False: (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    ),
    True: (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",
    ),
}
FONT_FAMILY = "DejaVu Sans, Verdana, sans-serif"


def xml_text(value: str) -> str:
    """Text an XML document can hold: control characters other than tab/newline removed."""
    return "".join(c for c in str(value) if c in "\t\n" or ord(c) >= 32)


@dataclass
class Scene:
    width: int
    height: int
    background: str = "#ffffff"
    items: list[tuple] = field(default_factory=list)

    def line(self, x1, y1, x2, y2, color="#555555", width=1.0, dash: bool = False) -> None:
        self.items.append(("line", x1, y1, x2, y2, color, width, dash))

    def polyline(self, points: list[tuple[float, float]], color="#1f5f8b", width=2.0) -> None:
        if len(points) >= 2:
            self.items.append(("polyline", list(points), color, width))

    def circle(
        self, cx, cy, r, fill: str | None = "#1f5f8b", stroke="#ffffff", dash: bool = False
    ) -> None:
        """`fill=None`: only the outline (a ring)."""
        self.items.append(("circle", cx, cy, r, fill, stroke, dash))

    def rect(self, x, y, w, h, fill="#1f5f8b", stroke: str | None = None) -> None:
        self.items.append(("rect", x, y, w, h, fill, stroke))

    def text(
        self, x, y, value: str, size=11, anchor="start", color="#222222", bold: bool = False
    ) -> None:
        """`anchor`: start, middle or end; y is the baseline. A label is one line: line
        breaks (also U+2028/U+2029) become spaces."""
        line = " ".join(str(value).replace("\u2028", "\n").replace("\u2029", "\n").splitlines())
        self.items.append(("text", x, y, xml_text(line), size, anchor, color, bold))

    # --- SVG ---------------------------------------------------------------------------------

    def svg(self, title: str, description: str = "") -> str:
        parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" '
            f'height="{self.height}" viewBox="0 0 {self.width} {self.height}" role="img" '
            f'font-family="{FONT_FAMILY}">',
            f"<title>{escape(xml_text(title))}</title>",
        ]
        if description:
            parts.append(f"<desc>{escape(xml_text(description))}</desc>")
        parts.append(f'<rect width="100%" height="100%" fill="{self.background}"/>')
        for item in self.items:
            kind = item[0]
            if kind == "line":
                _, x1, y1, x2, y2, color, width, dash = item
                extra = ' stroke-dasharray="4 3"' if dash else ""
                parts.append(
                    f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                    f'stroke="{color}" stroke-width="{width}"{extra}/>'
                )
            elif kind == "polyline":
                _, points, color, width = item
                path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
                parts.append(
                    f'<polyline points="{path}" fill="none" stroke="{color}" '
                    f'stroke-width="{width}"/>'
                )
            elif kind == "circle":
                _, cx, cy, r, fill, stroke, dash = item
                extra = ' stroke-dasharray="3 2"' if dash else ""
                parts.append(
                    f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{r:.1f}" fill="{fill or "none"}" '
                    f'stroke="{stroke}"{extra}/>'
                )
            elif kind == "rect":
                _, x, y, w, h, fill, stroke = item
                extra = f' stroke="{stroke}"' if stroke else ""
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" '
                    f'fill="{fill}"{extra}/>'
                )
            elif kind == "text":
                _, x, y, value, size, anchor, color, bold = item
                weight = ' font-weight="bold"' if bold else ""
                parts.append(
                    f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{color}" '
                    f"text-anchor={quoteattr(anchor)}{weight}>{escape(value)}</text>"
                )
        parts.append("</svg>")
        return "".join(parts)

    def svg_data_uri(self, title: str, description: str = "") -> str:
        """The SVG as a data: URI for an <img>: it shows in pages and PDFs and, as an image,
        can run nothing."""
        data = base64.b64encode(self.svg(title, description).encode("utf-8")).decode("ascii")
        return f"data:image/svg+xml;base64,{data}"

    # --- PNG ---------------------------------------------------------------------------------

    def png(self, scale: float = 2.0) -> bytes:
        from PIL import Image, ImageDraw

        image = Image.new("RGB", (int(self.width * scale), int(self.height * scale)), "white")
        draw = ImageDraw.Draw(image)
        draw.rectangle((0, 0, image.width, image.height), fill=self.background)
        s = scale
        for item in self.items:
            kind = item[0]
            if kind == "line":
                _, x1, y1, x2, y2, color, width, dash = item
                if dash:
                    _dashed(draw, x1 * s, y1 * s, x2 * s, y2 * s, color, max(1, int(width * s)))
                else:
                    draw.line(
                        (x1 * s, y1 * s, x2 * s, y2 * s), fill=color, width=max(1, int(width * s))
                    )
            elif kind == "polyline":
                _, points, color, width = item
                draw.line(
                    [(x * s, y * s) for x, y in points],
                    fill=color,
                    width=max(1, int(width * s)),
                    joint="curve",
                )
            elif kind == "circle":
                _, cx, cy, r, fill, stroke, _dash = item
                draw.ellipse(
                    ((cx - r) * s, (cy - r) * s, (cx + r) * s, (cy + r) * s),
                    fill=fill,
                    outline=stroke,
                    width=max(1, int(s)),
                )
            elif kind == "rect":
                _, x, y, w, h, fill, stroke = item
                draw.rectangle(
                    (x * s, y * s, (x + w) * s, (y + h) * s), fill=fill, outline=stroke or None
                )
            elif kind == "text":
                _, x, y, value, size, anchor, color, bold = item
                font = _font(int(size * s), bold)
                pil_anchor = {"start": "ls", "middle": "ms", "end": "rs"}.get(anchor, "ls")
                draw.text((x * s, y * s), value, fill=color, font=font, anchor=pil_anchor)
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=False)
        return out.getvalue()


def bar_chart(
    rows: list[tuple[str, int, str]], width: int = 420, label_width: int = 110, size: int = 10
) -> Scene:
    """Horizontal bars, one per (label, count, colour), the count at the bar's end; labels
    longer than the label column are shortened with "…" (the text alternative has them all)."""
    row = 2.2 * size
    scene = Scene(width, int(12 + row * len(rows)))
    most = max((n for _, n, _c in rows), default=0) or 1
    fits = max(4, int(label_width / (size * 0.6)))
    for i, (label, n, color) in enumerate(rows):
        y = 8 + i * row
        text = label if len(label) <= fits else label[: fits - 1] + "…"
        scene.text(label_width, y + 1.3 * size, text, size=size, anchor="end")
        bar = (width - label_width - 60) * n / most
        scene.rect(label_width + 8, y + 2, max(bar, 1 if n else 0), row - 0.8 * size, fill=color)
        scene.text(label_width + 14 + bar, y + 1.3 * size, str(n), size=size)
    return scene


def _dashed(draw, x1, y1, x2, y2, color, width, on=8.0, off=6.0) -> None:
    length = ((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5
    if not length:
        return
    dx, dy = (x2 - x1) / length, (y2 - y1) / length
    pos = 0.0
    while pos < length:
        end = min(pos + on, length)
        draw.line(
            (x1 + dx * pos, y1 + dy * pos, x1 + dx * end, y1 + dy * end), fill=color, width=width
        )
        pos = end + off


@lru_cache(maxsize=32)
def _font(size: int, bold: bool):
    from PIL import ImageFont

    for path in FONT_FILES[bold]:
        if Path(path).exists():
            # the basic layout: raqm (complex shaping) fails on some user text, such as runs of
            # bidirectional control characters, and a label must never break a document
            return ImageFont.truetype(path, size, layout_engine=ImageFont.Layout.BASIC)
    return ImageFont.load_default(size=size)


def text_width(value: str, size: float) -> float:
    """An estimate of a label's width in pixels (DejaVu Sans averages about 0.6 em)."""
    return len(value) * size * 0.6
