"""Council document speed: a programme of 5 topics, 40 goals and 200 measures with 100 projects
in the stocktaking, as DOCX and PDF (goal: both together under 10 s).

Builds its own app on a temporary SQLite file: 150 actors with relations and topic links, 100
projects, 6 held workshops with attendance, the programme traced to workshop outcomes, a frozen
draft and the map's stored layout (so the document carries the actor map). Then times, in one
process, building the document's content, the DOCX (python-docx) and the PDF (WeasyPrint),
each once cold (the first in the process, as after a restart) and once warm.
Run: `.venv/bin/python benchmarks/council_document.py`.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from netzwerk import create_app  # noqa: E402
from netzwerk.extensions import db  # noqa: E402

GOAL_SECONDS = 10.0
SIZE = {"topics": 5, "goals": 40, "measures": 200, "projects": 100, "actors": 150}
CATEGORIES = [
    "verwaltung",
    "eine-welt-gruppe",
    "schule",
    "hochschule",
    "partnerschaftsverein",
    "weltladen",
    "wirtschaft",
    "politik",
    "foerdermittelgeber",
    "partnerstadt",
]


def build(size: dict) -> None:
    """The data set, through the services the pages use (one transaction per part)."""
    from netzwerk.actors import services as actors
    from netzwerk.network.positions import place_new_nodes
    from netzwerk.programme import drafts
    from netzwerk.programme import services as programme
    from netzwerk.projects import services as projects
    from netzwerk.topics import services as topics
    from netzwerk.workshops import invitations, outcomes
    from netzwerk.workshops import services as workshops

    rnd = random.Random(12)
    actors.ensure_categories()
    topic_list = [
        topics.create_topic(
            {"code": f"SDG{n}", "title": f"Handlungsfeld {n}", "priority": 1}, commit=False
        )
        for n in (4, 11, 12, 13, 17)[: size["topics"]]
    ]
    people = []
    for n in range(size["actors"]):
        category = CATEGORIES[n % len(CATEGORIES)]
        actor = actors.create_actor(
            {
                "name": f"Organisation {n:03d} für nachhaltige Entwicklung",
                "category": category,
                "city": "Aachen" if category != "partnerstadt" else "Kapstadt",
                "country": "DE" if category != "partnerstadt" else "ZA",
            },
            commit=False,
        )
        people.append(
            actors.create_contact(
                actor, {"name": f"Person {n:03d}", "email": f"p{n}@example.org"}, commit=False
            )
        )
        topics.link_actor(
            actor,
            topic_list[n % len(topic_list)],
            ("federfuehrend", "mitwirkend", "interessiert")[n % 3],
            commit=False,
        )
    db.session.flush()
    ids = [c.actor_id for c in people]
    pairs = set()
    while len(pairs) < size["actors"] * 2:
        a, b = rnd.sample(ids, 2)
        if (a, b) not in pairs and (b, a) not in pairs:
            pairs.add((a, b))
            actors.create_relation(
                {"source_id": a, "target_id": b, "kind": "kooperation"}, commit=False
            )
    cities = [i for n, i in enumerate(ids) if CATEGORIES[n % len(CATEGORIES)] == "partnerstadt"]
    funders = [
        i for n, i in enumerate(ids) if CATEGORIES[n % len(CATEGORIES)] == "foerdermittelgeber"
    ]
    for n in range(size["projects"]):
        projects.create_project(
            {
                "title": f"Projekt {n:03d}: Austausch, Bildung und faire Beschaffung",
                "description": "Ein Projekt der Bestandsanalyse mit einer längeren Beschreibung. "
                * 3,
                "topics": [topic_list[n % len(topic_list)]],
                "lead_actor_id": rnd.choice(ids),
                "partner_actor_ids": rnd.sample(ids, 3),
                "partner_city_id": rnd.choice(cities) if n % 2 else None,
                "funder_actor_id": rnd.choice(funders),
                "funding_amount": 1000 + 250 * n,
                "starts_on": date(2020 + n % 5, 1 + n % 12, 1),
                "sdg_targets": "4.7, 17.16",
            },
            commit=False,
        )
    db.session.commit()
    held = []
    for n in range(6):
        start = datetime(2025, 3 + n, 10, 9)
        workshop = workshops.create_workshop(
            {
                "title": f"Fokusgruppe {n + 1}",
                "topic_ids": [topic_list[n % len(topic_list)].id],
                "phase": "fokusgruppe",
                "starts_at": start,
                "ends_at": start + timedelta(hours=3),
                "status": "geplant",
            },
            commit=False,
        )
        invited = invitations.add_invitations(
            workshop, [c.id for c in rnd.sample(people, 15)], commit=False
        )
        for inv in invited:
            inv.attended = True
        workshop.status = workshops.WorkshopStatus.DONE
        held.append(workshop)
    db.session.commit()
    made = []
    for n in range(size["measures"]):
        made.append(
            outcomes.create_outcome(
                held[n % len(held)],
                {
                    "kind": "massnahmenidee",
                    "topic_id": topic_list[n % len(topic_list)].id,
                    "text": f"Idee {n} aus der Fokusgruppe",
                    "votes": n % 11,
                },
                commit=False,
            )
        )
    per_topic = size["goals"] // len(topic_list)
    per_goal = size["measures"] // size["goals"]
    n = 0
    for topic in topic_list:
        for g in range(per_topic):
            goal = programme.create_goal(
                {
                    "topic_id": topic.id,
                    "title": f"Ziel {g + 1} im Handlungsfeld {topic.code}",
                    "description": "Beschreibung des Ziels, damit der Text umbricht. " * 2,
                    "sdg_targets": "17.17",
                },
                commit=False,
            )
            for _m in range(per_goal):
                programme.create_measure(
                    {
                        "goal_id": goal.id,
                        "title": f"Maßnahme {n:03d} mit einem sprechenden Titel",
                        "description": "Was getan wird und von wem. " * 3,
                        "lead_actor_id": rnd.choice(ids),
                        "partner_actor_ids": rnd.sample(ids, 2),
                        "starts_on": "2026-01-01",
                        "ends_on": "2027-12-31",
                        "staff_fte": "0,25",
                        "budget": 5000 + n * 10,
                        "funding_source": "Haushalt und Fördermittel",
                        "indicator": "Zahl der erreichten Personen",
                        "indicator_scale": "anzahl",
                        "baseline": "10",
                        "target": "100",
                        "status": "laufend",
                        "outcome_ids": [made[n].id],
                    },
                    commit=False,
                )
                n += 1
    db.session.commit()
    drafts.freeze("Benchmark")
    place_new_nodes()


def run(size: dict | None = None) -> dict:
    size = size or SIZE
    from netzwerk.core import documents
    from netzwerk.programme import council

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "SECRET_KEY": "bench",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite",
                "INSTANCE_PATH": f"{tmp}/instance",
                "OUTBOX_DIR": f"{tmp}/outbox",
            }
        )
        timings: dict[str, float] = {}
        with app.test_request_context("/programm/ratsvorlage"):
            db.create_all()
            build(size)
            for round_ in ("cold", "warm"):
                start = time.perf_counter()
                document = council.document(None, "de")
                timings[f"content {round_}"] = time.perf_counter() - start
                start = time.perf_counter()
                docx = documents.docx(document)
                timings[f"docx {round_}"] = time.perf_counter() - start
                start = time.perf_counter()
                pdf = documents.pdf(document)
                timings[f"pdf {round_}"] = time.perf_counter() - start
            pages = _pages(pdf)
            db.session.remove()
            db.engine.dispose()
    for round_ in ("cold", "warm"):
        timings[f"total {round_}"] = sum(
            timings[f"{part} {round_}"] for part in ("content", "docx", "pdf")
        )
    return {
        "size": size,
        "timings": timings,
        "docx_bytes": len(docx),
        "pdf_bytes": len(pdf),
        "pages": pages,
    }


def _pages(pdf: bytes) -> int:
    import io

    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args()
    r = run()
    t = r["timings"]
    s = r["size"]
    print(
        f"Council document: {s['topics']} topics, {s['goals']} goals, {s['measures']} measures, "
        f"{s['projects']} projects ({r['pages']} PDF pages, DOCX {r['docx_bytes'] // 1024} KB, "
        f"PDF {r['pdf_bytes'] // 1024} KB)"
    )
    print()
    print("| step | cold (first in the process) | warm |")
    print("|---|---:|---:|")
    for part in ("content", "docx", "pdf", "total"):
        print(f"| {part} | {t[part + ' cold']:.2f} s | {t[part + ' warm']:.2f} s |")
    met = t["total warm"] < GOAL_SECONDS
    print()
    print(
        f"goal: content, DOCX and PDF together < {GOAL_SECONDS:.0f} s in a running server: "
        f"{'met' if met else 'NOT met'} ({t['total warm']:.2f} s; the first document after a "
        f"start {t['total cold']:.2f} s)"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
