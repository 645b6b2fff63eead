"""Import speed: 10,000 actors and 30,000 relations (goal: under 10 s), then the same again.

Writes the files the way an office would (CSV with `;` from German Excel, or one XLSX workbook),
imports them into a fresh SQLite database through the same service the UI and
`flask --app netzwerk import` use, and prints a table. Run: `.venv/bin/python benchmarks/import.py`
(`--actors N --relations M` for other sizes).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from netzwerk import create_app  # noqa: E402
from netzwerk.extensions import db  # noqa: E402

CATEGORIES = ["verwaltung", "politik", "eine-welt-gruppe", "schule", "hochschule", "wirtschaft"]
KINDS = ["Kooperation", "Partnerschaft", "Förderung", "Information", "Mitgliedschaft"]


def make_rows(n_actors: int, n_relations: int, seed: int = 7):
    rng = random.Random(seed)
    actors = [
        [
            f"EXT-{i:05d}",
            f"Organisation {i:05d} e.V.",
            f"Org {i}",
            rng.choice(CATEGORIES),
            "",
            "lokal",
            "Aachen",
            "DE",
            f"https://org{i}.example.org",
            "Beschreibung " * rng.randint(0, 5),
            rng.randint(1, 5),
            rng.randint(1, 5),
            "aktiv",
        ]
        for i in range(n_actors)
    ]
    seen: set[tuple[int, int, str]] = set()
    relations = []
    while len(relations) < n_relations:
        a, b = rng.randrange(n_actors), rng.randrange(n_actors)
        kind = rng.choice(KINDS)
        if a == b or (a, b, kind) in seen:
            continue
        seen.add((a, b, kind))
        relations.append(
            [actors[a][1], "", actors[b][1], "", kind, rng.random() < 0.3, rng.randint(1, 3), ""]
        )
    return actors, relations


def files(fmt: str, actors, relations) -> list[tuple[str, bytes]]:
    from netzwerk.exchange import tables

    if fmt == "csv":
        return [
            ("akteure.csv", tables.write_csv(tables.ACTORS.headers(), actors)),
            ("beziehungen.csv", tables.write_csv(tables.RELATIONS.headers(), relations)),
        ]
    data = tables.write_xlsx(
        [
            (tables.ACTORS.de, tables.ACTORS.headers(), actors),
            (tables.RELATIONS.de, tables.RELATIONS.headers(), relations),
        ]
    )
    return [("netzwerk.xlsx", data)]


def run(fmt: str, n_actors: int, n_relations: int) -> list[tuple[str, float, str]]:
    from netzwerk.actors.services import ensure_categories
    from netzwerk.exchange import tables
    from netzwerk.exchange.services import import_files

    actors, relations = make_rows(n_actors, n_relations)
    payload = files(fmt, actors, relations)
    results = []

    def timed(step: str, action) -> None:
        start = time.perf_counter()
        note = action()
        results.append((f"{fmt}: {step}", time.perf_counter() - start, note))

    def imported(commit: bool) -> str:
        report = import_files(payload, commit=commit)
        assert not report.rejected, report.rejected[:3]
        assert report.applied == commit
        return report.summary() if commit else ""

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite"}
        )
        with app.app_context():
            db.create_all()
            ensure_categories()
            timed("read files", lambda: f"{sum(len(tables.read_file(*f)) for f in payload)}")
            timed("preview (rolled back)", lambda: imported(False))
            timed("import into empty db", lambda: imported(True))
            timed("same files again", lambda: imported(True))
            db.engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actors", type=int, default=10_000)
    parser.add_argument("--relations", type=int, default=30_000)
    parser.add_argument("--formats", default="csv,xlsx")
    args = parser.parse_args()
    print(f"Import benchmark: {args.actors:,} actors, {args.relations:,} relations (goal < 10 s)")
    print()
    print(f"| {'step':<32} | {'seconds':>8} | result")
    print(f"|{'-' * 34}|{'-' * 10}|{'-' * 40}")
    for fmt in args.formats.split(","):
        for step, seconds, note in run(fmt, args.actors, args.relations):
            print(f"| {step:<32} | {seconds:8.2f} | {note}")


if __name__ == "__main__":
    main()
