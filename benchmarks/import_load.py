"""Load during large import previews: gunicorn with 4 workers, 2,000 actors, 20 clients reading
and writing while an editor has 10,000-row files checked.

The database and the clients are those of benchmarks/load.py (10 editors who also change
their actors through the API, the rest viewers; about 0.5 s between clicks, twice as busy as
load.py's people). While they click, one more editor uploads 10,000 topics and then 10,000
actors to /austausch/import, in turn, `--rounds` times each: every upload is a full preview
(read, check every row, roll back) on SQLite.

Before issue 14 a preview held SQLite's write lock for its whole run, so every save waited and
failed after 5 s ("database is locked", as a 500), and the topic preview was quadratic (8,000
rows: 14 s). Goals: no client request fails, p95 of all client requests under 1 s, a preview
of 10,000 topics under 5 s.

Run: `.venv/bin/python benchmarks/import_load.py` (`--rows`, `--clients`, `--rounds`,
`--workers`). Bounded: at most --clients threads, --rounds × 2 uploads. Not part of the tests.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import load as base  # noqa: E402  (benchmarks/load.py: database, server, clients)

GOAL_P95_MS = 1000
GOAL_TOPICS_S = 5.0


def topics_csv(rows: int) -> bytes:
    lines = ["Code;Titel;Beschreibung;Priorität"]
    lines += [f"IMP{i};Importthema {i};Aus der Lastprobe;{i % 3 + 1}" for i in range(rows)]
    return ("\r\n".join(lines) + "\r\n").encode()


def actors_csv(rows: int) -> bytes:
    lines = ["Externe ID;Name;Kategorie;Ort;Einfluss;Interesse"]
    lines += [
        f"IMP-{i};Importierte Organisation {i:05d};eine-welt-gruppe;Aachen;"
        f"{i % 5 + 1};{(i * 3) % 5 + 1}"
        for i in range(rows)
    ]
    return ("\r\n".join(lines) + "\r\n").encode()


def multipart(fields: dict[str, str], name: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for key, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
        f"Content-Type: text/csv\r\n\r\n".encode()
        + data
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def preview(browser: base.Browser, name: str, data: bytes) -> tuple[float, int, str]:
    page = browser.request("GET", "/austausch/")
    match = re.search(rb'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page.body)
    if not match:
        return 0.0, page.status, "no form on /austausch/"
    body, content_type = multipart({"csrf_token": match.group(1).decode()}, name, data)
    started = time.perf_counter()
    answer = browser.request(
        "POST", "/austausch/import", body, {"Content-Type": content_type}, timeout=300
    )
    seconds = time.perf_counter() - started
    ok = answer.status == 200 and "Übernehmen</button>".encode() in answer.body
    return seconds, answer.status, "" if ok else (answer.error or answer.body[-300:].decode())


def run(
    rows: int = 10_000,
    clients: int = 20,
    rounds: int = 2,
    workers: int = 4,
    actors: int = 2000,
    think: float = 0.5,
    log=print,
) -> dict:
    if not 1 <= clients <= 200 or not 1 <= rounds <= 10 or not 100 <= rows <= 100_000:
        raise SystemExit("bounded: 1–200 clients, 1–10 rounds, 100–100,000 rows")
    editors = max(1, min(base.EDITORS, clients))
    with tempfile.TemporaryDirectory(prefix="netzwerk-import-load-") as tmp:
        tmp_path = Path(tmp)
        database = tmp_path / "load.sqlite"
        data = base.build_database(database, actors, editors + 1)
        log(f"… data: {data['counts']}")
        importer_account = data["editors"].pop()
        data["editor_slots"] = {e["name"]: i for i, e in enumerate(data["editors"])}
        port = base.free_port()
        server_log, access = tmp_path / "gunicorn.log", tmp_path / "access.log"
        server = base.start_gunicorn(database, port, workers, server_log, access)
        try:
            base.wait_ready(port, server, server_log)
            browsers = [
                base.Browser(port, e["name"], e["token"]) for e in data["editors"][:editors]
            ] + [base.Browser(port, "lesen") for _ in range(clients - editors)]
            importer = base.Browser(port, importer_account["name"])
            with ThreadPoolExecutor(max_workers=8) as pool:
                list(pool.map(base.Browser.login, [*browsers, importer]))
            base.warm_up(browsers, data, workers)
            rng = random.Random(3)
            # editors: about a third of their clicks change an actor (GET + PATCH)
            people = [base.Client(b, data, random.Random(rng.random()), 0.3) for b in browsers]
            stop = threading.Event()

            def click(person: base.Client) -> list[base.Sample]:
                time.sleep(person.rng.uniform(0, think))
                while not stop.is_set():
                    person.click(time.monotonic() + base.TIMEOUT)
                    time.sleep(min(person.rng.expovariate(1 / think), 5 * think))
                return person.samples

            files = [("themen.csv", topics_csv(rows)), ("akteure.csv", actors_csv(rows))]
            previews: list[dict] = []
            log(f"… {clients} clients while {rounds}× {len(files)} previews of {rows:,} rows")
            with ThreadPoolExecutor(max_workers=clients) as pool:
                running = [pool.submit(click, p) for p in people]
                time.sleep(1.0)  # the clients are under way before the first upload
                began = time.monotonic()
                for _ in range(rounds):
                    for name, payload in files:
                        seconds, status, error = preview(importer, name, payload)
                        previews.append(
                            {"file": name, "seconds": seconds, "status": status, "error": error}
                        )
                        log(f"… preview {name}: {status} in {seconds:.1f} s {error[:200]}")
                elapsed = time.monotonic() - began
                stop.set()
                samples = [s for f in running for s in f.result()]
        finally:
            base.stop(server)
        tracebacks = server_log.read_text(errors="replace").count("Traceback")
    times = [s.ms for s in samples] or [0.0]
    writes = [s.ms for s in samples if s.group.startswith("PATCH")] or [0.0]
    failed = [s for s in samples if s.failed]
    topics = [p["seconds"] for p in previews if p["file"] == "themen.csv"]
    actor_times = [p["seconds"] for p in previews if p["file"] == "akteure.csv"]
    result = {
        "rows": rows,
        "clients": clients,
        "workers": workers,
        "actors": data["counts"]["actors"],
        "requests": len(samples),
        "writes": len(writes) if samples else 0,
        "seconds": elapsed,
        "errors": len(failed),
        "failures": [f"{f.group}: {f.status} {f.error[:120]}" for f in failed[:5]],
        "p50": base.percentile(times, 0.5),
        "p95": base.percentile(times, 0.95),
        "max": max(times),
        "write_p95": base.percentile(writes, 0.95),
        "preview_topics_s": max(topics),
        "preview_actors_s": max(actor_times),
        "previews_ok": all(not p["error"] for p in previews),
        "server_tracebacks": tracebacks,
    }
    result["met"] = (
        result["errors"] == 0
        and result["p95"] < GOAL_P95_MS
        and result["preview_topics_s"] < GOAL_TOPICS_S
        and result["previews_ok"]
        and not tracebacks
    )
    return result


def table(r: dict) -> str:
    title = f"{r['clients']} clients, {r['workers']} workers, {r['actors']:,} actors"
    return "\n".join(
        [
            f"Load during import previews of {r['rows']:,} rows ({title})",
            "",
            "| measure | figure | goal |",
            "|:--|--:|:--|",
            f"| client requests during the previews | {r['requests']:,} in "
            f"{r['seconds']:.0f} s | |",
            f"| errors | {r['errors']} (server tracebacks: {r['server_tracebacks']}) | 0 |",
            f"| p95 of all client requests (p50, max) | {r['p95']:.0f} ms ({r['p50']:.0f}, "
            f"{r['max']:.0f} ms) | < {GOAL_P95_MS} ms |",
            f"| p95 of the saves (PATCH, {r['writes']}) | {r['write_p95']:.0f} ms | |",
            f"| preview of {r['rows']:,} topics (slowest) | {r['preview_topics_s']:.1f} s "
            f"| < {GOAL_TOPICS_S:.0f} s |",
            f"| preview of {r['rows']:,} actors (slowest) | {r['preview_actors_s']:.1f} s | |",
            "",
            "goals met" if r["met"] else f"GOALS MISSED {r['failures']}",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000, help="rows per file (10,000)")
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (20)")
    parser.add_argument("--rounds", type=int, default=2, help="topics + actors uploads (2)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (4)")
    args = parser.parse_args()
    result = run(
        args.rows,
        args.clients,
        args.rounds,
        args.workers,
        log=lambda text: print(text, file=sys.stderr, flush=True),
    )
    print(table(result))
    return 0 if result["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
