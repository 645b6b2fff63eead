"""Label legibility of /karte (issue 10 §1), measured in Chromium at 1400×900 from the boxes
vis-network draws for each node with its label.

For the Aachen demo (62 actors) and the demo grown to 200 actors (tests/map_support.py): per
map, the nodes shown, the share that carries its name at the default view, the share of named
nodes whose box overlaps another named one, and how much of the view the drawing fills (the
larger of width and height). Goals: every topic map names every node with no overlap and fills
at least 80 %; the whole map overlaps at most 2 % of its names and names at least 40 % of the
nodes. Before (issue 10): demo whole map 47 overlapping pairs of 93 labels, SDG 13 10 of 20,
SDG 12 6 of 27, topic maps filled 43–79 %; 200 actors 475 overlapping pairs.

Run: `.venv/bin/python benchmarks/map_labels.py` (`--actors 200,500` for other sizes).
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from benchmarks.map import CHROMIUM, CHROMIUM_ARGS, logged_in, serve  # noqa: E402
from netzwerk import create_app  # noqa: E402
from netzwerk.extensions import db  # noqa: E402
from tests.map_support import overlapping  # noqa: E402

PASSWORD = "benchmark-passwort-123"
MEASURE = """() => {
  const m = window.netzwerkMap;
  const canvas = document.querySelector('#map-canvas canvas');
  return { boxes: m.boundingBoxes(), scale: m.scale(), mode: m.labelMode(),
           width: canvas.clientWidth, height: canvas.clientHeight,
           labelled: m.nodeIds().filter((id) => (m.visNode(id).label || '') !== '') };
}"""


def make_app(tmp: Path, actors: int):
    from netzwerk.auth.services import create_user
    from netzwerk.demo.services import load_demo
    from netzwerk.topics.models import Topic
    from tests.map_support import grow_demo

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "benchmark",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'labels.sqlite'}",
            "RATELIMIT_ENABLED": False,
            "OUTBOX_DIR": str(tmp / "outbox"),
        }
    )
    with app.app_context():
        db.create_all()
        load_demo()
        create_user("bench", PASSWORD, "viewer")
        if actors > 62:
            grow_demo(actors)
        topics = list(db.session.execute(sa.select(Topic.id, Topic.code).order_by(Topic.id)))
    return app, topics


def measure(page, query: str) -> dict:
    page.goto(f"/karte{query}")
    page.wait_for_selector("#map-canvas[data-state=ready]", state="attached", timeout=120000)
    d = page.evaluate(MEASURE)
    boxes = d["boxes"].values()
    width = (max(b["right"] for b in boxes) - min(b["left"] for b in boxes)) * d["scale"]
    height = (max(b["bottom"] for b in boxes) - min(b["top"] for b in boxes)) * d["scale"]
    return {
        "nodes": len(d["boxes"]),
        "named": len(d["labelled"]),
        "overlap": len(overlapping(d["boxes"], d["labelled"])),
        "fill": max(width / d["width"], height / d["height"]),
        "mode": d["mode"],
        "font": 14 * max(d["scale"], 0.8) if d["mode"] == "zoom" else 14 * min(d["scale"], 1),
    }


def rows_for(browser, actors: int) -> list[tuple[str, dict, bool]]:
    with tempfile.TemporaryDirectory() as tmp:
        app, topics = make_app(Path(tmp), actors)
        server, url = serve(app)
        try:
            context, page = logged_in(browser, url, PASSWORD)
            out = []
            whole = measure(page, "")
            ok = (
                whole["overlap"] <= 0.02 * whole["named"] and whole["named"] >= 0.4 * whole["nodes"]
            )
            out.append((f"{actors} actors, whole map", whole, ok))
            for topic_id, code in topics:
                r = measure(page, f"?topic={topic_id}")
                ok = r["overlap"] == 0 and r["named"] == r["nodes"] and r["fill"] >= 0.8
                out.append((f"{actors} actors, {code}", r, ok))
            context.close()
        finally:
            server.shutdown()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actors", default="62,200", help="comma-separated sizes (62 = the demo)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.actors.split(",")]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        rows = [row for n in sizes for row in rows_for(browser, n)]
        browser.close()
    print(f"{'map':28} {'nodes':>5} {'named':>9} {'overlap':>9} {'fill':>5} {'label px':>8}  goal")
    for name, r, ok in rows:
        named = f"{r['named']} ({r['named'] / r['nodes']:.0%})"
        overlap = f"{r['overlap']} ({r['overlap'] / max(1, r['named']):.0%})"
        print(
            f"{name:28} {r['nodes']:>5} {named:>9} {overlap:>9} {r['fill']:>5.0%}"
            f" {r['font']:>8.1f}  {'met' if ok else 'not met'}"
        )


if __name__ == "__main__":
    main()
