"""Map speed: our map against pyvis 0.3.2's default output, and the map/gaps API at scale.

For synthetic networks (5 topics, N actors, about 3 relations per actor, half of the actors
linked to a topic), created in a temporary SQLite file through the app's models:

- seconds from navigation to a drawn and still picture in Chromium (/usr/bin/chromium via
  Playwright) for /karte, and for pyvis's default page of the same graph (`Network()`,
  `from_nx`, default physics, `cdn_resources="in_line"`, served over loopback; requests to
  other hosts, e.g. pyvis's Bootstrap CDN links, are aborted). pyvis gets PYVIS_TIMEOUT seconds;
  if its nodes are still moving then, the table says ">60 s".
- server time of /api/graph and /api/gaps (Flask test client, logged in): the first request
  after a data change (graph, metrics and layout cache built) and p50/p95 over repeated ones.

Goals (issue 4): at least 10x faster than pyvis at 500 actors, under about 1 s at 2,000,
API p95 under 100 ms at 8,000. Run: `.venv/bin/python benchmarks/map.py` (`--quick`: fewer
sizes and requests, pyvis capped at 20 s). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import logging
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from netzwerk import create_app  # noqa: E402
from netzwerk.extensions import db  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
PASSWORD = "benchmark-passwort-123"
TOPICS = [
    ("SDG17", "Globale Partnerschaften"),
    ("SDG12", "Fairer Handel"),
    ("SDG4", "Bildung"),
    ("SDG13", "Klima"),
    ("SDG11", "Nachhaltige Stadt"),
]
KINDS = ["kooperation", "partnerschaft", "foerderung", "information", "mitgliedschaft"]
ROLES = ["federfuehrend", "mitwirkend", "interessiert", "betroffen"]


# --- data ----------------------------------------------------------------------------------------


def make_app(tmp: Path, actors: int, seed: int = 11):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "benchmark",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'map.sqlite'}",
            "RATELIMIT_ENABLED": False,
            "OUTBOX_DIR": str(tmp / "outbox"),
        }
    )
    with app.app_context():
        db.create_all()
        from netzwerk.actors.models import Actor, Relation
        from netzwerk.actors.services import categories, ensure_categories
        from netzwerk.audit.services import record
        from netzwerk.auth.services import create_user
        from netzwerk.topics.models import ActorTopic, Topic

        ensure_categories()
        create_user("bench", PASSWORD, "editor")
        rng = random.Random(seed)
        cats = [(c.key, c.sector) for c in categories()]
        db.session.execute(sa.insert(Topic), [{"code": c, "title": t} for c, t in TOPICS])
        rows = []
        for i in range(1, actors + 1):
            key, sector = rng.choice(cats)
            name = f"Organisation {i:05d}"
            rows.append(
                {
                    "name": name,
                    "name_key": name.casefold(),
                    "short_name": f"Org {i}",
                    "category_key": key,
                    "sector": sector,
                    "description": "Beschreibung einer Organisation im Netzwerk.",
                    "power": rng.randint(1, 5),
                    "interest": rng.randint(1, 5),
                }
            )
        db.session.execute(sa.insert(Actor), rows)
        pairs = set()
        while len(pairs) < 3 * actors:
            a, b = rng.randint(1, actors), rng.randint(1, actors)
            if a != b:
                pairs.add((a, b, rng.choice(KINDS)))
        db.session.execute(
            sa.insert(Relation),
            [
                {"source_id": a, "target_id": b, "kind": k, "directed": k == "foerderung"}
                for a, b, k in pairs
            ],
        )
        links = [
            {"actor_id": i, "topic_id": rng.randint(1, len(TOPICS)), "role": rng.choice(ROLES)}
            for i in range(1, actors + 1)
            if rng.random() < 0.5
        ]
        db.session.execute(sa.insert(ActorTopic), links)
        record("benchmark", None, "create", {"actors": [None, actors]}, label="Benchmark")
        db.session.commit()
    return app


def touch(app) -> None:
    """A data change (an audit entry), so the next request rebuilds the server's caches."""
    record_change(app)


def record_change(app) -> None:
    """touch() itself (run_all.py wraps touch; fresh_visit needs the plain change)."""
    with app.app_context():
        from netzwerk.audit.services import record

        record("benchmark", None, "update", {}, label="Benchmark")
        db.session.commit()


def first_maps(app) -> tuple[int, float, float]:
    """(actors, seconds of the installation's first map, seconds of the first map of a worker
    started afterwards). The first computes every metric and shares it and the default view in
    the database; the worker is an app of its own on the same database with nothing cached, as
    a gunicorn worker started later (or restarted) is, and its first map is what a browser asks
    for: the page /karte, then /api/graph (fresh_visit has the parts)."""
    actors, first, visit = fresh_visit(app)
    return actors, first, visit["page"] + visit["api"]


def fresh_visit(app) -> tuple[int, float, dict[str, float]]:
    """(actors, the installation's first map (graph_json), {"page": /karte, "api": /api/graph,
    "api_alone": /api/graph of another fresh worker without the page before it, "changed":
    /api/graph of a fresh worker after a change no worker has drawn yet}), seconds."""
    from netzwerk.actors.models import Actor
    from netzwerk.network import map_data, map_filters, state
    from netzwerk.network.positions import place_new_nodes

    with app.app_context():
        place_new_nodes()  # stored positions, as an import or any edit leaves them (not timed)
    with app.test_request_context("/api/graph"):
        actors = db.session.scalar(sa.select(sa.func.count(Actor.id)))
        started = time.perf_counter()
        map_data.graph_json(map_filters.parse_filters({}))
        first = time.perf_counter() - started
        sharing = state.snapshot().analyses.sharing
        if sharing is not None:
            sharing.join()
    visit = {}
    runs = (
        (("page", "/karte"), ("api", "/api/graph")),
        (("api_alone", "/api/graph"),),
        (("changed", "/api/graph"),),  # after an edit elsewhere: no shared map of it yet
    )
    for pages in runs:
        if pages[0][0] == "changed":
            record_change(app)
        worker = create_app(dict(app.config))
        client = logged_in_client(worker)  # the login is not timed
        for name, url in pages:
            started = time.perf_counter()
            response = client.get(url)
            visit[name] = time.perf_counter() - started
            assert response.status_code == 200, (url, response.status_code)
        store = worker.extensions.get(state.EXTENSION)
        if store is not None and store["analyses"].sharing is not None:
            store["analyses"].sharing.join()  # before the database file goes
        with worker.app_context():
            db.engine.dispose()
    return actors, first, visit


def logged_in_client(app):
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)
    client.post("/login", data={"username": "bench", "password": PASSWORD, "csrf_token": token})
    return client


# --- API timings ---------------------------------------------------------------------------------


def time_requests(client, url: str, repeat: int) -> tuple[float, float, float]:
    """(first request s, p50 ms, p95 ms of the following ones)."""
    started = time.perf_counter()
    response = client.get(url)
    first = time.perf_counter() - started
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return first, statistics.median(times), p95


def api_row(actors: int, repeat: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(Path(tmp), actors)
        client = logged_in_client(app)
        started = time.perf_counter()
        with app.test_request_context():
            from netzwerk.network import positions

            positions.relayout()
        layout_s = time.perf_counter() - started
        touch(app)
        graph = time_requests(client, "/api/graph", repeat)
        filtered = time_requests(client, "/api/graph?topic=SDG12&sector=zivilgesellschaft", repeat)
        gaps = time_requests(client, "/api/gaps", repeat) if has_route(app, "/api/gaps") else None
        size = len(client.get("/api/graph").data)
        with app.app_context():
            db.engine.dispose()
    return {
        "actors": actors,
        "layout": layout_s,
        "graph": graph,
        "filtered": filtered,
        "gaps": gaps,
        "bytes": size,
    }


def has_route(app, path: str) -> bool:
    return any(rule.rule == path for rule in app.url_map.iter_rules())


# --- browser timings -----------------------------------------------------------------------------


def serve(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def only_loopback(route):
    if route.request.url.startswith(("http://127.0.0.1", "data:", "blob:")):
        route.continue_()
    else:
        route.abort()


def still_after(page, positions_js: str, timeout: float, started: float, interval=0.5) -> float:
    """Seconds from `started` until positions stop changing (two samples `interval` apart
    within 0.5 px); None if they still move after `timeout` seconds."""
    previous = None
    previous_at = None
    while time.perf_counter() - started < timeout:
        try:
            current = page.evaluate(positions_js)
        except Exception:  # page still loading its scripts
            current = None
        now = time.perf_counter()
        if current and previous and current.keys() == previous.keys():
            moved = max(
                abs(current[k]["x"] - previous[k]["x"]) + abs(current[k]["y"] - previous[k]["y"])
                for k in current
            )
            if moved < 0.5:
                return previous_at - started
        if current:
            previous, previous_at = current, now
        time.sleep(interval)
    return None


def logged_in(browser, url: str, password: str = PASSWORD):
    """(context, page) of a 1400×900 browser window logged in as "bench", loopback only."""
    context = browser.new_context(base_url=url, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.route("**/*", only_loopback)
    page.goto("/login")
    page.fill("input[name=username]", "bench")
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda u: "/login" not in u)
    return context, page


def our_map(browser, app, url: str) -> tuple[float, float, bool]:
    """(cold s, warm s, still): navigation → drawn, from the page's own clock; the cold visit
    is the first after the data changed (server caches empty)."""
    context, page = logged_in(browser, url)
    results = []
    still = True
    for _ in range(2):
        page.goto("/karte")
        page.wait_for_selector("#map-canvas[data-state=ready]", state="attached", timeout=120000)
        drawn = page.evaluate("window.netzwerkMap.drawnAt()") / 1000
        first = page.evaluate("window.netzwerkMap.positions()")
        time.sleep(0.5)
        second = page.evaluate("window.netzwerkMap.positions()")
        still = still and first == second
        results.append(drawn)
    context.close()
    return results[0], results[1], still


def pyvis_page(app, directory: Path) -> Path:
    import networkx as nx
    from pyvis.network import Network

    with app.app_context():
        from netzwerk.network.graph import build_graph

        full = build_graph()
    simple = nx.Graph()
    for node, attrs in full.nodes(data=True):
        simple.add_node(node, label=str(attrs.get("short_name") or attrs.get("label") or node))
    simple.add_edges_from((u, v) for u, v in full.edges() if u != v)
    net = Network(cdn_resources="in_line")
    net.from_nx(simple)
    path = directory / "pyvis.html"
    net.write_html(str(path))
    return path


def pyvis_time(browser, path: Path, timeout: float) -> float | None:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(path.parent))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.route("**/*", only_loopback)
    started = time.perf_counter()
    page.goto(f"http://127.0.0.1:{server.server_port}/{path.name}", wait_until="commit")
    result = still_after(
        page, "typeof network === 'undefined' ? null : network.getPositions()", timeout, started
    )
    context.close()
    server.shutdown()
    return result


def browser_row(browser, actors: int, pyvis_timeout: float) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(Path(tmp), actors)
        with app.test_request_context():
            from netzwerk.network import positions

            positions.relayout()
        touch(app)
        server, url = serve(app)
        cold, warm, still = our_map(browser, app, url)
        server.shutdown()
        page = pyvis_page(app, Path(tmp))
        pyvis = pyvis_time(browser, page, pyvis_timeout)
        with app.app_context():
            db.engine.dispose()
    return {"actors": actors, "cold": cold, "warm": warm, "still": still, "pyvis": pyvis}


# --- a Land-wide network: drawing time and frame rate ---------------------------------------------

LARGE_ACTORS = 10_000  # with about 3 relations per actor: 30,000 relations
LARGE_GOAL_S = 2.0  # /karte drawn and still (issue 10)
LARGE_GOAL_FPS = 20.0  # frames per second while dragging and zooming
GESTURE_S = 3.0  # seconds of each scripted gesture

FRAME_COUNTER = """() => {
  const f = { frames: 0, gaps: [], last: null, running: true, start: performance.now() };
  window.__frames = f;
  const tick = (t) => {
    if (!f.running) return;
    if (f.last !== null) f.gaps.push(t - f.last);
    f.last = t;
    f.frames += 1;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""
FRAME_RESULT = """() => {
  const f = window.__frames;
  f.running = false;
  const seconds = (performance.now() - f.start) / 1000;
  const gaps = f.gaps.slice().sort((a, b) => a - b);
  return { fps: f.frames / seconds, frames: f.frames, seconds,
           worst_ms: gaps.length ? gaps[gaps.length - 1] : null,
           p95_ms: gaps.length ? gaps[Math.floor(0.95 * (gaps.length - 1))] : null };
}"""


def frame_rate(page, gesture) -> dict:
    """Frames per second (requestAnimationFrame callbacks) while `gesture(page)` runs."""
    page.evaluate(FRAME_COUNTER)
    gesture(page)
    return page.evaluate(FRAME_RESULT)


def drag(box: dict):
    """Pan: press on the map's edge (where no node sits after fitting) and move in circles."""

    def run(page) -> None:
        import math

        x0, y0 = box["x"] + 12, box["y"] + box["height"] / 2
        page.mouse.move(x0, y0)
        page.mouse.down()
        started = time.perf_counter()
        step = 0
        while time.perf_counter() - started < GESTURE_S:
            step += 1
            angle = step / 10
            page.mouse.move(x0 + 150 + 120 * math.cos(angle), y0 + 120 * math.sin(angle))
        page.mouse.up()

    return run


def wheel_zoom(box: dict):
    """Zoom in and out with the mouse wheel over the middle of the map."""

    def run(page) -> None:
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        started = time.perf_counter()
        step = 0
        while time.perf_counter() - started < GESTURE_S:
            step += 1
            page.mouse.wheel(0, -100 if (step // 8) % 2 == 0 else 100)
            time.sleep(0.03)

    return run


def large_row(browser, actors: int) -> dict:
    """The map of a Land-wide network in Chromium: navigation → drawn and still (first visit,
    again), then the frame rate during a scripted drag and a wheel zoom of GESTURE_S seconds
    each. The server has drawn the map once before (metrics computed; not timed)."""
    from netzwerk.actors.models import Relation
    from netzwerk.network import map_data, map_filters, positions, state

    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(Path(tmp), actors)
        with app.test_request_context():
            positions.relayout()
        with app.test_request_context("/api/graph"):
            relations = db.session.scalar(sa.select(sa.func.count(Relation.id)))
            body = map_data.graph_json(map_filters.parse_filters({}))
            sharing = state.snapshot().analyses.sharing
        if sharing is not None:
            sharing.join()
        server, url = serve(app)
        cold, warm, still = our_map(browser, app, url)
        context, page = logged_in(browser, url)
        page.goto("/karte")
        page.wait_for_selector("#map-canvas[data-state=ready]", state="attached", timeout=120000)
        nodes = page.evaluate("window.netzwerkMap.nodeCount()")
        drawn_at = page.evaluate("window.netzwerkMap.drawnAt()") / 1000
        received = (
            page.evaluate(
                "performance.getEntriesByType('resource')"
                ".filter((e) => e.name.includes('/api/graph'))[0].responseEnd"
            )
            / 1000
        )
        time.sleep(1.0)
        box = page.locator("#map-canvas").bounding_box()
        idle = frame_rate(page, lambda p: time.sleep(1.0))
        node = page.evaluate("window.netzwerkMap.nodeIds()[0]")
        where = f"window.netzwerkMap.canvasPosition({json.dumps(node)})"
        before = page.evaluate(where)
        dragged = frame_rate(page, drag(box))
        after = page.evaluate(where)
        dragged["moved"] = abs(after["x"] - before["x"]) + abs(after["y"] - before["y"]) > 1
        zoomed = frame_rate(page, wheel_zoom(box))
        zoomed["moved"] = page.evaluate(where) != after
        # zoomed in on the middle until groups open into their actors (map.js), then a drag
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        started = time.perf_counter()
        for _ in range(16):
            page.mouse.wheel(0, -200)
            time.sleep(0.04)
        opened = None
        while time.perf_counter() - started < 30:
            opened = page.evaluate("window.netzwerkMap.groups && window.netzwerkMap.groups()")
            if not opened or opened["open"]:
                break
            time.sleep(0.1)
        time.sleep(1.0)
        opened_after = time.perf_counter() - started
        shown = page.evaluate("window.netzwerkMap.nodeCount()")
        dragged_open = frame_rate(page, drag(box))
        context.close()
        server.shutdown()
        with app.app_context():
            db.engine.dispose()
    return {
        "actors": actors,
        "relations": relations,
        "nodes": nodes,
        "bytes": len(body),
        "cold": cold,
        "warm": warm,
        "still": still,
        "received": received,  # the visit after our_map's two: /api/graph received …
        "drawn": drawn_at,  # … and the map drawn, seconds after navigation
        "idle": idle,
        "drag": dragged,
        "zoom": zoomed,
        "opened": opened,
        "opened_after": opened_after,
        "shown_open": shown,
        "drag_open": dragged_open,
    }


def print_large(r: dict) -> None:
    print(
        f"\nLand-wide network: {r['actors']:,} actors, {r['relations']:,} relations "
        f"({r['nodes']:,} map nodes, /api/graph {r['bytes'] / 1e6:.1f} MB), Chromium 1400×900\n"
    )
    print("| measure | figure | goal | |\n|---|---:|---|:-:|")
    drawn = max(r["cold"], r["warm"])
    ok = drawn <= LARGE_GOAL_S and r["still"]
    print(
        f"| /karte drawn and still | {r['warm']:.2f} s (first visit {r['cold']:.2f} s"
        f"{'' if r['still'] else ', NOT still'}) | ≤ {LARGE_GOAL_S:.0f} s | "
        f"{'met' if ok else 'not met'} |"
    )
    print(
        f"| … of which: /api/graph received after | {r['received']:.2f} s (drawn after "
        f"{r['drawn']:.2f} s: {r['drawn'] - r['received']:.2f} s for parsing, vis-network's data "
        "sets and the first drawing) | | |"
    )
    for name, label in (("drag", "drag (pan)"), ("zoom", "wheel zoom")):
        f = r[name]
        print(
            f"| frames/s during {GESTURE_S:.0f} s of {label} | {f['fps']:.1f} "
            f"(longest frame {f['worst_ms']:.0f} ms, p95 {f['p95_ms']:.0f} ms"
            f"{'' if f['moved'] else '; the view did NOT move'}) | "
            f"≥ {LARGE_GOAL_FPS:.0f} | {'met' if f['fps'] >= LARGE_GOAL_FPS else 'not met'} |"
        )
    print(f"| frames/s at rest (for comparison) | {r['idle']['fps']:.1f} | | |")
    if r["opened"]:
        f = r["drag_open"]
        print(
            f"| zoomed in: {r['opened']['open']} of {r['opened']['count']} groups opened, "
            f"{r['shown_open']:,} nodes drawn (wheel and opening {r['opened_after']:.1f} s) | "
            f"{f['fps']:.1f} frames/s while dragging (longest frame {f['worst_ms']:.0f} ms) | "
            f"≥ {LARGE_GOAL_FPS:.0f} | {'met' if f['fps'] >= LARGE_GOAL_FPS else 'not met'} |"
        )


# --- main ----------------------------------------------------------------------------------------


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer sizes and requests")
    parser.add_argument("--pyvis-timeout", type=float, default=None)
    parser.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="only the first map of the installation and of a worker started later, N actors",
    )
    parser.add_argument(
        "--large",
        type=int,
        nargs="?",
        const=LARGE_ACTORS,
        metavar="N",
        help=f"only the Land-wide network in Chromium: drawn and still, frames/s while dragging "
        f"and zooming (N actors, 3 relations each; default {LARGE_ACTORS:,})",
    )
    args = parser.parse_args()
    if args.large:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            result = large_row(browser, args.large)
            browser.close()
        print_large(result)
        return
    if args.workers:
        with tempfile.TemporaryDirectory() as tmp:
            actors, first, visit = fresh_visit(make_app(Path(tmp), args.workers))
        fresh = visit["page"] + visit["api"]
        print(f"\nFirst map, {actors:,} actors (server time, Flask test client)\n")
        print("| map | seconds | goal |\n|---|---:|---|")
        print(f"| first of the installation (computes and shares all metrics) | {first:.2f} | |")
        met = "met" if fresh <= 1.0 else "NOT met"
        print(
            f"| first of a worker started later: /karte + /api/graph | {fresh:.2f} "
            f"({visit['page']:.2f} + {visit['api']:.2f}) | ≤ 1 s: {met} |"
        )
        print(f"| … /api/graph alone as its first request | {visit['api_alone']:.2f} | |")
        print(
            "| … /api/graph after an edit elsewhere, before any worker drew it (graph built, "
            f"map encoded; metrics shared) | {visit['changed']:.2f} | |"
        )
        return
    browser_sizes = [500, 2000]
    api_sizes = [500, 2000] if args.quick else [500, 2000, 8000]
    repeat = 8 if args.quick else 20
    pyvis_timeout = args.pyvis_timeout or (20.0 if args.quick else 60.0)

    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        rows = []
        for n in browser_sizes:
            print(f"… browser, {n} actors", file=sys.stderr, flush=True)
            rows.append(browser_row(browser, n, pyvis_timeout))
        browser.close()

    print("\nNavigation → drawn and still picture in Chromium (seconds)\n")
    print(
        "| actors | netzwerk /karte (first visit) | netzwerk /karte (again) | still | "
        "pyvis 0.3.2 default | faster | goal |"
    )
    print("|---:|---:|---:|:-:|---:|---:|:--|")
    for r in rows:
        cap = f">{pyvis_timeout:.0f} s (still moving)"
        pyvis = f"{r['pyvis']:.1f} s" if r["pyvis"] is not None else cap
        base = r["pyvis"] if r["pyvis"] is not None else pyvis_timeout
        factor = base / r["warm"]
        factor_text = f"{factor:.0f}×" if r["pyvis"] is not None else f">{factor:.0f}×"
        goal = "≥10× pyvis" if r["actors"] == 500 else "< ~1 s"
        ok = factor >= 10 if r["actors"] == 500 else r["warm"] < 1.2
        print(
            f"| {r['actors']} | {r['cold']:.2f} s | {r['warm']:.2f} s | "
            f"{'yes' if r['still'] else 'NO'} | {pyvis} | {factor_text} | "
            f"{goal}: {'met' if ok else 'MISSED'} |"
        )

    print(
        "\nServer time (Flask test client; first request after a data change, then p50/p95 "
        f"over {repeat})\n"
    )
    print(
        "| actors | Neu anordnen | /api/graph first | /api/graph p50 / p95 | filtered p50 / p95 "
        "| /api/gaps first | /api/gaps p50 / p95 | /api/graph size |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    api_rows = []
    for n in api_sizes:
        print(f"… API, {n} actors", file=sys.stderr, flush=True)
        api_rows.append(api_row(n, repeat))
    for r in api_rows:
        g, f, gaps = r["graph"], r["filtered"], r["gaps"]
        gaps_first = f"{gaps[0]:.2f} s" if gaps else "–"
        gaps_p = f"{gaps[1]:.1f} / {gaps[2]:.1f} ms" if gaps else "–"
        print(
            f"| {r['actors']} | {r['layout']:.1f} s | {g[0]:.2f} s | {g[1]:.1f} / {g[2]:.1f} ms | "
            f"{f[1]:.1f} / {f[2]:.1f} ms | {gaps_first} | {gaps_p} | {r['bytes'] / 1e6:.1f} MB |"
        )
    worst = max(max(r["graph"][2], r["gaps"][2] if r["gaps"] else 0) for r in api_rows)
    print(
        f"\nAPI goal p95 < 100 ms at the largest size: {'met' if worst < 100 else 'MISSED'} "
        f"({worst:.1f} ms)"
    )


if __name__ == "__main__":
    main()
