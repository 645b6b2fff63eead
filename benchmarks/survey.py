"""Survey speed: 500 recipients, each naming 10 partners and 2 missing organisations (goals:
sending < 30 s, the review queue page < 300 ms p95, accepting everything < 10 s).

Builds its own app on a temporary SQLite file and its own aiosmtpd server on a free loopback
port; sends the survey through the mail queue, saves the answers through the same service the
form uses, times the review queue pages (relations and grouped nominations, as a logged-in
editor) and a bulk accept of every relation and nomination, and prints a table.
Run: `.venv/bin/python benchmarks/survey.py` (`--recipients N` for another size).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.invitations import smtp_server  # noqa: E402
from netzwerk import create_app  # noqa: E402
from netzwerk.extensions import db  # noqa: E402

GOAL_SEND = 30.0
GOAL_PAGE_MS = 300.0
GOAL_ACCEPT = 10.0
PARTNERS = 10
NOMINATIONS = 2
PAGE_REQUESTS = 20
NOMINATED_POOL = 150  # so the same organisation is named by several respondents


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def run(n: int) -> dict:
    from netzwerk.actors import services as actors
    from netzwerk.auth.services import create_user
    from netzwerk.surveys import answers, review, sending, services
    from netzwerk.topics import services as topics

    rng = random.Random(11)
    controller, handler, url = smtp_server()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            app = create_app(
                {
                    "SECRET_KEY": "bench",
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite",
                    "OUTBOX_DIR": f"{tmp}/outbox",
                    "SMTP_URL": url,
                    "BASE_URL": "https://netzwerk.aachen.example",
                    "MAIL_FROM": "KEpol Aachen <kepol@aachen.example>",
                    "WTF_CSRF_ENABLED": False,
                    "RATELIMIT_ENABLED": False,
                }
            )
            with app.app_context():
                db.create_all()
                actors.ensure_categories()
                topic = topics.create_topic({"code": "SDG11", "title": "Nachhaltige Städte"})
                names, contact_ids = [], []
                for a in range(n):
                    actor = actors.create_actor(
                        {"name": f"Organisation {a:04d}", "category": "eine-welt-gruppe"},
                        commit=False,
                    )
                    names.append(actor.name)
                    contact = actors.create_contact(
                        actor,
                        {
                            "name": f"Person {a:04d}",
                            "email": f"p{a:04d}@example.org",
                            "language": "de" if a % 2 else "en",
                        },
                        commit=False,
                    )
                    contact_ids.append(contact.id)
                db.session.commit()
                survey = services.create_survey(
                    {
                        "title": "Netzwerkbefragung 2027",
                        "topic_ids": [topic.id],
                        "closes_on": (date.today() + timedelta(days=30)).isoformat(),
                    }
                )
                services.add_recipients(survey, contact_ids)

                start = time.perf_counter()
                batch, counts = sending.send_survey(survey)
                report = sending.deliver_now(batch)
                send_seconds = time.perf_counter() - start

                start = time.perf_counter()
                for index, recipient in enumerate(services.get_survey(survey.id).recipients):
                    others = [x for x in rng.sample(names, PARTNERS + 1) if x != names[index]]
                    nominated = rng.sample(range(NOMINATED_POOL), NOMINATIONS)
                    answers.save_answer(
                        recipient,
                        {
                            "partners": {
                                topic.id: [
                                    {"name": other, "kind": "kooperation", "strength": 2}
                                    for other in others[:PARTNERS]
                                ]
                            },
                            "nominations": [
                                {
                                    "name": f"Genannte Initiative {k:03d}",
                                    "category": "eine-welt-gruppe",
                                    "reason": "fehlt",
                                }
                                for k in nominated
                            ],
                        },
                    )
                answer_seconds = time.perf_counter() - start
                survey_id = survey.id
                create_user("redaktion", "bench-passwort-123", "editor")
                db.session.remove()

            client = app.test_client()
            client.post("/login", data={"username": "redaktion", "password": "bench-passwort-123"})
            pages = {}
            for kind in ("beziehung", "nennung"):
                path = f"/befragungen/{survey_id}/pruefen?kind={kind}"
                assert client.get(path).status_code == 200  # warm
                times = []
                for _ in range(PAGE_REQUESTS):
                    start = time.perf_counter()
                    response = client.get(path)
                    times.append((time.perf_counter() - start) * 1000)
                    assert response.status_code == 200
                pages[kind] = (statistics.median(times), p95(times))

            with app.app_context():
                survey = services.get_survey(survey_id)
                counts_before = review.counts(survey)
                start = time.perf_counter()
                outcome = review.decide_many(survey, "accept")
                accept_seconds = time.perf_counter() - start
                db.session.remove()
                db.engine.dispose()
    finally:
        controller.stop()
    proposals = sum(c["offen"] for c in counts_before.values())
    return {
        "recipients": n,
        "queued": counts["queued"],
        "sent": report.sent,
        "received": handler.messages,
        "connections": report.connections,
        "send_seconds": send_seconds,
        "answer_seconds": answer_seconds,
        "relations": counts_before["beziehung"]["offen"],
        "nominations": counts_before["nennung"]["offen"],
        "proposals": proposals,
        "pages": pages,
        "accepted": outcome.accepted + outcome.merged,
        "skipped": len(outcome.skipped),
        "accept_seconds": accept_seconds,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=500)
    args = parser.parse_args()
    r = run(args.recipients)
    page_p95 = max(p for _, p in r["pages"].values())
    goals = {
        "send": r["send_seconds"] < GOAL_SEND and r["received"] == r["recipients"],
        "page": page_p95 < GOAL_PAGE_MS,
        "accept": r["accept_seconds"] < GOAL_ACCEPT and r["skipped"] == 0,
    }
    print(
        f"Survey benchmark: {r['recipients']} recipients, {PARTNERS} partners and "
        f"{NOMINATIONS} nominations each"
    )
    print()
    print(f"| {'step':<52} | {'figure':>22} | {'goal':>10} |")
    print(f"|{'-' * 54}|{'-' * 24}|{'-' * 12}|")
    rows = [
        (
            f"send: compose, queue, deliver ({r['received']}/{r['recipients']}, "
            f"{r['connections']} conn.)",
            f"{r['send_seconds']:.2f} s",
            f"< {GOAL_SEND:.0f} s",
        ),
        (
            f"save {r['recipients']} answers ({r['proposals']} proposals)",
            f"{r['answer_seconds']:.2f} s",
            "",
        ),
    ]
    for kind, (p50, p95_ms) in r["pages"].items():
        rows.append(
            (
                f"review queue page ?kind={kind} p95 (p50)",
                f"{p95_ms:.0f} ms ({p50:.0f} ms)",
                f"< {GOAL_PAGE_MS:.0f} ms",
            )
        )
    rows.append(
        (
            f"accept all ({r['relations']} relations, {r['nominations']} nominations)",
            f"{r['accept_seconds']:.2f} s",
            f"< {GOAL_ACCEPT:.0f} s",
        )
    )
    for step, figure, goal in rows:
        print(f"| {step:<52} | {figure:>22} | {goal:>10} |")
    print()
    met = sum(goals.values())
    print(f"{met} of {len(goals)} goals met" + ("" if met == len(goals) else f": {goals}"))
    return 0 if met == len(goals) else 1


if __name__ == "__main__":
    sys.exit(main())
