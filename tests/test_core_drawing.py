"""Pictures drawn by our own code: any user text becomes a label, in SVG and in PNG."""

from __future__ import annotations

from xml.etree import ElementTree

from netzwerk.core.drawing import Scene

HOSTILE = (
    "a\nb\u2028c\u2029d</script><img src=/xss-probe?x>",
    "\u202eevil\u202c \u200f\u05d0\u05d1 \u0627\u0644 ﷽",
    "x\x00y\x07z",
    "👩🏽‍💻 " * 40,
)


def test_hostile_labels_become_one_line_of_text_in_svg_and_png():
    scene = Scene(300, 200)
    for i, label in enumerate(HOSTILE):
        scene.text(10, 20 + 30 * i, label)
    scene.circle(150, 100, 40, fill=None, stroke="#333333", dash=True)
    root = ElementTree.fromstring(scene.svg("Titel <b>", "Beschreibung & mehr"))
    ns = {"svg": "http://www.w3.org/2000/svg"}
    texts = ["".join(t.itertext()) for t in root.iterfind("svg:text", ns)]
    assert texts[0] == "a b c d</script><img src=/xss-probe?x>"  # text, not markup
    assert not root.findall(".//svg:img", ns) and not root.findall(".//svg:script", ns)
    assert root.find("svg:circle", ns).get("fill") == "none"
    assert scene.png().startswith(b"\x89PNG")  # the DOCX picture renders every label
