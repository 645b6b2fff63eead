"""Load: gunicorn with 4 workers on loopback, 2,000 actors, 50 concurrent clients for 60 s.

The Aachen demo data (62 organisations, 9 workshops) is loaded into a temporary SQLite file
(WAL) and grown to 2,000 actors with about 3 relations each, contacts and topic links; the
stored map layout is computed once ("Neu anordnen"), as an installation has it. gunicorn serves
`wsgi:app` from this checkout with 4 sync workers on a free loopback port
(NETZWERK_RATELIMIT_ENABLED=0, since the clients log in from one address).

Each client is one person with a browser session (viewers and editors, logged in through the
login form) who clicks through a mix of map data, gaps, actor pages, the gaps/findings page and
workshop pages, pausing between clicks (`--think`, mean seconds, exponential; 0 = back to back);
editors change an actor through the API with their Bearer token (GET with its `version`, then
PATCH), a small share of the clicks. Every client edits its own actors, so any 409 is an error.

Reported per route group: count, errors (non-2xx or a failed connection), p50, p95, max; goal:
0 errors, p95 under 300 ms for pages (and the edits), under 100 ms for /api/graph and /api/gaps.
Then a one-off check of optimistic locking: two editors PATCH the same actor with the same
`version`, one after the other and at the same moment: one 200, one 409 with a clear message.

Run: `.venv/bin/python benchmarks/load.py` (`--duration`, `--clients`, `--actors`, `--workers`,
`--think`). Bounded: at most --clients threads, --duration seconds (plus a 10 s grace for
requests in flight), loopback only. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HOST = "127.0.0.1"
PASSWORD = "lastprobe-passwort-123"
EDITORS = 10  # of the clients, this many are editors (they also edit); the rest are viewers
TOPIC_CODES = ["SDG17", "SDG12", "SDG4", "SDG13", "SDG11"]
KINDS = ["kooperation", "partnerschaft", "foerderung", "information", "mitgliedschaft"]
ROLES = ["federfuehrend", "mitwirkend", "interessiert", "betroffen"]
GRACE = 10.0  # seconds a request still in flight may take after --duration
TIMEOUT = 30.0  # per request

# route group → share of the clicks (edits: GET /api/actors/<id> with its version, then PATCH)
MIX = {
    "GET /api/graph": 20,
    "GET /api/gaps": 10,
    "GET /akteure/<id>": 30,
    "GET /luecken": 10,
    "GET /workshops/": 10,
    "GET /workshops/<id>": 15,
    "edit": 5,
}
PAGES = ["GET /akteure/<id>", "GET /luecken", "GET /workshops/", "GET /workshops/<id>"]
GROUPS = [
    "GET /api/graph",
    "GET /api/gaps",
    *PAGES,
    "GET /api/actors/<id>",
    "PATCH /api/actors/<id>",
]
# p95 goals in ms (issue 7: pages under 300 ms, /api/graph under 100 ms; the map's other API
# call as in benchmarks/map.py; an edit's two requests count as a page)
GOALS = {group: 300 for group in GROUPS} | {"GET /api/graph": 100, "GET /api/gaps": 100}


# --- data ----------------------------------------------------------------------------------------


def build_database(path: Path, actors: int, editors: int, seed: int = 5) -> dict:
    """The demo data grown to `actors` actors in a SQLite file; users, tokens and ids for the
    clients. Bulk inserts for the synthetic part (the services would take minutes)."""
    import sqlalchemy as sa

    from netzwerk import create_app
    from netzwerk.extensions import db

    app = create_app(
        {
            "SECRET_KEY": "load",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "RATELIMIT_ENABLED": False,
            "OUTBOX_DIR": str(path.parent / "outbox"),
        }
    )
    with app.app_context():
        from netzwerk.actors.models import Actor, Contact, Relation
        from netzwerk.actors.services import categories, ensure_categories
        from netzwerk.audit.services import record
        from netzwerk.auth.services import create_token, create_user
        from netzwerk.demo.services import load_demo
        from netzwerk.topics.models import ActorTopic, Topic

        db.create_all()
        ensure_categories()
        load_demo()
        rng = random.Random(seed)
        cats = [(c.key, c.sector) for c in categories()]
        first = db.session.scalar(sa.select(sa.func.max(Actor.id))) + 1
        grown = actors - (first - 1)
        db.session.execute(
            sa.insert(Actor),
            [
                {
                    "name": f"Organisation {i:05d}",
                    "name_key": f"organisation {i:05d}",
                    "short_name": f"Org {i}",
                    "category_key": key,
                    "sector": sector,
                    "city": "Aachen",
                    "description": "Eine Organisation im Netzwerk der Lastprobe.",
                    "power": rng.randint(1, 5),
                    "interest": rng.randint(1, 5),
                }
                for i in range(first, actors + 1)
                for key, sector in [rng.choice(cats)]
            ],
        )
        ids = list(db.session.scalars(sa.select(Actor.id).order_by(Actor.id)))
        new_ids = ids[-grown:]
        db.session.execute(
            sa.insert(Contact),
            [
                {
                    "actor_id": a,
                    "name": f"Kontakt {a}-{n}",
                    "email": f"kontakt{a}-{n}@example.org",
                }
                for a in new_ids
                for n in range(rng.randint(0, 2))
            ],
        )
        existing = db.session.scalar(sa.select(sa.func.count(Relation.id)))
        pairs: set[tuple[int, int]] = set()
        while len(pairs) + existing < 3 * len(ids):
            a, b = rng.choice(ids), rng.choice(new_ids)
            if a != b:
                pairs.add((a, b))
        db.session.execute(
            sa.insert(Relation),
            [
                {"source_id": a, "target_id": b, "kind": k, "directed": k == "foerderung"}
                for a, b in sorted(pairs)
                for k in [rng.choice(KINDS)]
            ],
        )
        topics = list(db.session.scalars(sa.select(Topic.id)))
        db.session.execute(
            sa.insert(ActorTopic),
            [
                {"actor_id": a, "topic_id": rng.choice(topics), "role": rng.choice(ROLES)}
                for a in new_ids
                if rng.random() < 0.5
            ],
        )
        record("benchmark", None, "create", {"actors": [None, grown]}, label="Lastprobe")
        db.session.commit()
        users = []
        for i in range(editors):
            user = create_user(f"redaktion{i}", PASSWORD, "editor")
            users.append({"name": user.username, "token": create_token(user, "Lastprobe")})
        create_user("lesen", PASSWORD, "viewer")
        from netzwerk.workshops.models import Workshop

        workshops = list(db.session.scalars(sa.select(Workshop.id)))
        with app.test_request_context():
            from netzwerk.network import positions

            started = time.perf_counter()
            positions.relayout()
            layout_s = time.perf_counter() - started
        counts = {
            "actors": len(ids),
            "relations": db.session.scalar(sa.select(sa.func.count(Relation.id))),
            "contacts": db.session.scalar(sa.select(sa.func.count(Contact.id))),
            "links": db.session.scalar(sa.select(sa.func.count(ActorTopic.id))),
            "workshops": len(workshops),
        }
        db.session.remove()
        db.engine.dispose()
    return {
        "actor_ids": ids,
        "workshop_ids": workshops,
        "editors": users,
        "counts": counts,
        "layout_s": layout_s,
    }


# --- HTTP on loopback ----------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    body: bytes
    ms: float
    headers: list[tuple[str, str]] = field(default_factory=list)
    error: str = ""


class Browser:
    """One person's session: cookies, a CSRF token for the login form, a Bearer token for edits."""

    def __init__(self, port: int, username: str, token: str | None = None):
        self.port = port
        self.username = username
        self.token = token
        self.cookies: dict[str, str] = {}

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = TIMEOUT,
    ) -> Answer:
        headers = dict(headers or {})
        if self.cookies and "Authorization" not in headers:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.perf_counter()
        connection = http.client.HTTPConnection(HOST, self.port, timeout=max(0.1, timeout))
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            answer = Answer(
                response.status,
                data,
                (time.perf_counter() - started) * 1000,
                response.getheaders(),
            )
        except (OSError, http.client.HTTPException) as exc:
            return Answer(0, b"", (time.perf_counter() - started) * 1000, error=repr(exc))
        finally:
            connection.close()
        for name, value in answer.headers:
            if name.lower() == "set-cookie":
                cookie, _, _ = value.partition(";")
                key, _, val = cookie.partition("=")
                self.cookies[key.strip()] = val.strip()
        return answer

    def login(self) -> None:
        page = self.request("GET", "/login")
        match = re.search(rb'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page.body)
        if not match:
            raise RuntimeError(f"no login form ({page.status} {page.error})")
        form = urllib.parse.urlencode(
            {"username": self.username, "password": PASSWORD, "csrf_token": match.group(1)}
        ).encode()
        answer = self.request(
            "POST", "/login", form, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        if answer.status != 302:
            raise RuntimeError(f"login of {self.username} failed: {answer.status}")

    def api(
        self, method: str, path: str, data: dict | None = None, timeout: float = TIMEOUT
    ) -> Answer:
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        body = None
        if data is not None:
            body = json.dumps(data).encode()
            headers["Content-Type"] = "application/json"
        return self.request(method, path, body, headers, timeout)


# --- the server ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


ACCESS_FORMAT = "%(m)s %(U)s %(s)s %(M)s"  # method, path, status, milliseconds in the server


def start_gunicorn(
    database: Path, port: int, workers: int, log: Path, access: Path
) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    if not gunicorn.exists():
        raise SystemExit("gunicorn fehlt: .venv/bin/pip install -e '.[test]'")
    env = {
        **os.environ,
        "NETZWERK_DATABASE_URL": f"sqlite:///{database}",
        "NETZWERK_SECRET_KEY": "lastprobe",
        "NETZWERK_RATELIMIT_ENABLED": "0",  # all clients log in from 127.0.0.1
        "NETZWERK_BASE_URL": f"http://{HOST}:{port}",
    }
    env.pop("NETZWERK_PROXY_FIX", None)
    command = [
        str(gunicorn),
        "--workers",
        str(workers),
        "--bind",
        f"{HOST}:{port}",
        "--timeout",
        "120",
        "--graceful-timeout",
        "5",
        "--log-level",
        "warning",
        "--access-logfile",
        str(access),
        "--access-logformat",
        ACCESS_FORMAT,
        "wsgi:app",
    ]
    with open(log, "wb") as out:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def wait_ready(port: int, server: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    probe = Browser(port, "")
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn stopped:\n{log.read_text()[-3000:]}")
        if probe.request("GET", "/login", timeout=2).status == 200:
            return
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)  # the master stops its workers
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# --- the clients ---------------------------------------------------------------------------------


@dataclass
class Sample:
    group: str
    status: int
    ms: float
    error: str = ""

    @property
    def failed(self) -> bool:
        return not 200 <= self.status < 300


class Client:
    """One person clicking through the site until the deadline."""

    def __init__(self, browser: Browser, data: dict, rng: random.Random, edit_share: float):
        self.browser = browser
        self.data = data
        self.rng = rng
        self.edit_share = edit_share if browser.token else 0.0
        slot = data["editor_slots"].get(browser.username)
        self.own = data["actor_ids"][slot :: len(data["editors"])] if slot is not None else []
        self.samples: list[Sample] = []

    def click(self, deadline: float) -> None:
        timeout = min(TIMEOUT, deadline + GRACE - time.monotonic())
        if self.own and self.rng.random() < self.edit_share:
            self.edit(timeout)
            return
        groups = [g for g in MIX if g != "edit"]
        group = self.rng.choices(groups, weights=[MIX[g] for g in groups])[0]
        path = {
            "GET /api/graph": "/api/graph",
            "GET /api/gaps": "/api/gaps",
            "GET /akteure/<id>": f"/akteure/{self.rng.choice(self.data['actor_ids'])}",
            "GET /luecken": "/luecken",
            "GET /workshops/": "/workshops/",
            "GET /workshops/<id>": f"/workshops/{self.rng.choice(self.data['workshop_ids'])}",
        }[group]
        self.record(group, self.browser.request("GET", path, timeout=timeout))

    def edit(self, timeout: float) -> None:
        actor_id = self.rng.choice(self.own)
        read = self.browser.api("GET", f"/api/actors/{actor_id}", timeout=timeout)
        self.record("GET /api/actors/<id>", read)
        if read.status != 200:
            return
        current = json.loads(read.body)
        change = {"interest": current["interest"] % 5 + 1, "version": current["version"]}
        answer = self.browser.api("PATCH", f"/api/actors/{actor_id}", change, timeout=timeout)
        self.record("PATCH /api/actors/<id>", answer)

    def record(self, group: str, answer: Answer) -> None:
        error = answer.error or ("" if 200 <= answer.status < 300 else answer.body[:200].decode())
        self.samples.append(Sample(group, answer.status, answer.ms, error))

    def run(self, deadline: float, think: float) -> list[Sample]:
        # people do not all start in the same millisecond
        time.sleep(self.rng.uniform(0, think) if think else 0)
        while time.monotonic() < deadline:
            self.click(deadline)
            if think:
                pause = min(self.rng.expovariate(1 / think), 5 * think)
                time.sleep(max(0.0, min(pause, deadline - time.monotonic())))
        return self.samples


def warm_up(browsers: list[Browser], data: dict, workers: int, limit: float = 120) -> dict:
    """Until every worker has built its caches: rounds of concurrent requests to each read
    route, until a round's slowest answer is under 300 ms (or `limit` seconds passed). Not
    measured, so a request may take up to `limit`: the first round queues 2 × workers cold
    requests per route, which on a busy machine outlast the clients' 30 s timeout."""
    paths = [
        "/api/graph",
        "/api/gaps",
        "/luecken",
        "/workshops/",
        f"/workshops/{data['workshop_ids'][0]}",
        f"/akteure/{data['actor_ids'][0]}",
    ]
    started = time.monotonic()
    requests = rounds = 0
    with ThreadPoolExecutor(max_workers=min(len(browsers), 4 * workers)) as pool:
        while time.monotonic() - started < limit:
            jobs = [
                pool.submit(browsers[i % len(browsers)].request, "GET", path, None, None, limit)
                for path in paths
                for i in range(2 * workers)
            ]
            answers = [job.result() for job in jobs]
            requests += len(answers)
            rounds += 1
            bad = [a for a in answers if a.status != 200]
            if bad:
                raise SystemExit(f"warm-up failed: {bad[0].status} {bad[0].error}")
            if max(a.ms for a in answers) < 300:
                break
    return {"requests": requests, "rounds": rounds, "seconds": time.monotonic() - started}


# --- optimistic locking --------------------------------------------------------------------------


def locking_check(first: Browser, second: Browser, actor_id: int, rounds: int = 10) -> dict:
    """Two editors save the same actor with the same version: one after the other, then at the
    same moment (rounds times); each time exactly one 200 and one 409."""

    def version() -> int:
        return json.loads(first.api("GET", f"/api/actors/{actor_id}").body)["version"]

    def save(browser: Browser, seen: int, name: str, barrier=None) -> Answer:
        if barrier is not None:
            barrier.wait()
        return browser.api("PATCH", f"/api/actors/{actor_id}", {"city": name, "version": seen})

    seen = version()
    one = save(first, seen, "Aachen-Mitte")
    two = save(second, seen, "Aachen-Burtscheid")
    sequential = (one.status, two.status)
    message = json.loads(two.body).get("error", "") if two.body else ""
    together = []
    for n in range(rounds):
        seen = version()
        barrier = threading.Barrier(2)
        with ThreadPoolExecutor(max_workers=2) as pool:
            jobs = [
                pool.submit(save, browser, seen, f"Ort {n}-{i}", barrier)
                for i, browser in enumerate((first, second))
            ]
            together.append(tuple(sorted(job.result().status for job in jobs)))
    ok = sequential == (200, 409) and all(pair == (200, 409) for pair in together)
    return {"sequential": sequential, "message": message, "together": together, "ok": ok}


# --- the run -------------------------------------------------------------------------------------


def server_times(access: Path, since: float) -> dict[str, list[float]]:
    """Milliseconds per route group as gunicorn measured them (without the client's side)."""
    patterns = [
        ("GET", re.compile(r"/api/graph$"), "GET /api/graph"),
        ("GET", re.compile(r"/api/gaps$"), "GET /api/gaps"),
        ("GET", re.compile(r"/akteure/\d+$"), "GET /akteure/<id>"),
        ("GET", re.compile(r"/luecken$"), "GET /luecken"),
        ("GET", re.compile(r"/workshops/$"), "GET /workshops/"),
        ("GET", re.compile(r"/workshops/\d+$"), "GET /workshops/<id>"),
        ("GET", re.compile(r"/api/actors/\d+$"), "GET /api/actors/<id>"),
        ("PATCH", re.compile(r"/api/actors/\d+$"), "PATCH /api/actors/<id>"),
    ]
    times: dict[str, list[float]] = defaultdict(list)
    with open(access, encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines):
            if number < since:
                continue
            parts = line.split()
            if len(parts) != 4:
                continue
            method, path, _status, ms = parts
            for want, pattern, group in patterns:
                if method == want and pattern.match(path):
                    times[group].append(float(ms))
                    break
    return times


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def summarise(samples: list[Sample], server: dict[str, list[float]]) -> list[dict]:
    by_group: dict[str, list[Sample]] = defaultdict(list)
    for sample in samples:
        by_group[sample.group].append(sample)
    rows = []
    for group in GROUPS:
        items = by_group.get(group, [])
        times = [s.ms for s in items] or [0.0]
        errors = sum(s.failed for s in items)
        p95 = percentile(times, 0.95)
        rows.append(
            {
                "group": group,
                "count": len(items),
                "errors": errors,
                "p50": statistics.median(times),
                "p95": p95,
                "max": max(times),
                "server_p95": percentile(server.get(group) or [0.0], 0.95),
                "goal": GOALS[group],
                "met": bool(items) and errors == 0 and p95 < GOALS[group],
            }
        )
    return rows


def run(
    duration: float = 60,
    clients: int = 50,
    actors: int = 2000,
    workers: int = 4,
    think: float = 1.0,
    edit_share: float = MIX["edit"] / 100,
    seed: int = 1,
    log=print,
) -> dict:
    """Build the data, start gunicorn, run the clients, check locking; the figures as a dict."""
    if not 1 <= clients <= 500 or not 1 <= duration <= 3600 or not 1 <= workers <= 32:
        raise SystemExit("bounded: 1–500 clients, 1–3600 s, 1–32 workers")
    editors = max(1, min(EDITORS, clients))
    with tempfile.TemporaryDirectory(prefix="netzwerk-load-") as tmp:
        tmp_path = Path(tmp)
        database = tmp_path / "load.sqlite"
        started = time.monotonic()
        data = build_database(database, actors, editors + 1)
        log(
            f"… data: {data['counts']} in {time.monotonic() - started:.0f} s "
            f"(layout {data['layout_s']:.0f} s)"
        )
        locking_editor = data["editors"].pop()  # kept out of the mix for the locking check
        data["editor_slots"] = {e["name"]: i for i, e in enumerate(data["editors"])}
        port = free_port()
        server_log = tmp_path / "gunicorn.log"
        access = tmp_path / "access.log"
        server = start_gunicorn(database, port, workers, server_log, access)
        try:
            wait_ready(port, server, server_log)
            browsers = [Browser(port, e["name"], e["token"]) for e in data["editors"][:editors]] + [
                Browser(port, "lesen") for _ in range(clients - editors)
            ]
            with ThreadPoolExecutor(max_workers=8) as pool:
                list(pool.map(Browser.login, browsers))
            warm = warm_up(browsers, data, workers)
            log(f"… warm-up: {warm['requests']} requests in {warm['seconds']:.0f} s")
            # the share of edits over all clicks; only the editors edit
            share = min(1.0, edit_share * clients / editors)
            rng = random.Random(seed)
            people = [Client(b, data, random.Random(rng.random()), share) for b in browsers]
            log(f"… {clients} clients for {duration:.0f} s")
            skip = len(access.read_text(errors="replace").splitlines())  # log-ins, warm-up
            deadline = time.monotonic() + duration
            began = time.monotonic()
            with ThreadPoolExecutor(max_workers=clients) as pool:
                results = list(pool.map(lambda c: c.run(deadline, think), people))
            elapsed = time.monotonic() - began
            samples = [s for result in results for s in result]
            time.sleep(0.5)  # gunicorn writes the access log after the answer
            server_ms = server_times(access, skip)
            lockers = [
                Browser(port, "", data["editors"][0]["token"]),
                Browser(port, "", locking_editor["token"]),
            ]
            locking = locking_check(*lockers, data["actor_ids"][-1])
        finally:
            stop(server)
        server_errors = server_log.read_text(errors="replace").count("Traceback")
    rows = summarise(samples, server_ms)
    failures = [s for s in samples if s.failed][:5]
    return {
        "rows": rows,
        "requests": len(samples),
        "seconds": elapsed,
        "throughput": len(samples) / elapsed,
        "errors": sum(r["errors"] for r in rows),
        "failures": [f"{f.group}: {f.status} {f.error}" for f in failures],
        "server_tracebacks": server_errors,
        "locking": locking,
        "warm_up": warm,
        "counts": data["counts"],
        "settings": {
            "duration": duration,
            "clients": clients,
            "editors": editors,
            "workers": workers,
            "think": think,
            "edit_share": edit_share,
        },
        "met": all(r["met"] for r in rows) and locking["ok"] and not server_errors,
    }


def table(result: dict) -> str:
    s = result["settings"]
    c = result["counts"]
    lines = [
        f"Load: gunicorn {s['workers']} workers, {c['actors']:,} actors, {c['relations']:,} "
        f"relations, {s['clients']} clients ({s['editors']} editors) for {s['duration']:.0f} s, "
        f"think time {s['think']:.1f} s (mean), {s['edit_share']:.0%} edits",
        "",
        "| route | count | errors | p50 ms | p95 ms | max ms | goal p95 | | in server: p95 ms |",
        "|:--|--:|--:|--:|--:|--:|--:|:-:|--:|",
    ]
    for r in result["rows"]:
        lines.append(
            f"| {r['group']} | {r['count']} | {r['errors']} | {r['p50']:.0f} | {r['p95']:.0f} | "
            f"{r['max']:.0f} | < {r['goal']} ms | {'met' if r['met'] else 'MISSED'} | "
            f"{r['server_p95']:.0f} |"
        )
    lines.append("")
    lines.append(
        "p50/p95/max: as the clients saw them (connection, server, reading the answer); "
        "in server: gunicorn's own time for the request."
    )
    lines.append("")
    lines.append(
        f"{result['requests']:,} requests in {result['seconds']:.0f} s "
        f"({result['throughput']:.0f}/s), {result['errors']} errors, "
        f"{result['server_tracebacks']} server tracebacks"
    )
    for failure in result["failures"]:
        lines.append(f"  e.g. {failure}")
    lock = result["locking"]
    together = ", ".join("/".join(map(str, pair)) for pair in lock["together"])
    lines.append(
        f"Optimistic locking, same version: one after the other "
        f"{'/'.join(map(str, lock['sequential']))}, at the same moment {together} → "
        f"{'met' if lock['ok'] else 'MISSED'}; the second editor reads: „{lock['message']}“"
    )
    lines.append(
        f"Goal (0 errors, p95 goals, no lost update): {'met' if result['met'] else 'MISSED'}"
    )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60, help="seconds of load (60)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (50)")
    parser.add_argument("--actors", type=int, default=2000, help="actors in the database (2000)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (4)")
    parser.add_argument(
        "--think", type=float, default=1.0, help="mean pause between clicks in s (1.0; 0: none)"
    )
    args = parser.parse_args()
    result = run(
        args.duration,
        args.clients,
        args.actors,
        args.workers,
        args.think,
        log=lambda text: print(text, file=sys.stderr, flush=True),
    )
    print(table(result))
    return 0 if result["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
