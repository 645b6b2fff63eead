"""Invitation speed: 500 invitations to an SMTP server on loopback (goal: under 30 s, one
connection).

Builds its own app on a temporary SQLite file and its own aiosmtpd server on a free loopback
port, invites N contacts through the same services the pages use, queues the messages
(composing each iMIP mail with its calendar object), delivers the batch and prints a table.
Run: `.venv/bin/python benchmarks/invitations.py` (`--invitations N` for another size).
"""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from netzwerk import create_app  # noqa: E402
from netzwerk.extensions import db  # noqa: E402

GOAL_SECONDS = 30.0
GOAL_CONNECTIONS = 1


class Counter:
    """An SMTP handler that only counts: messages, recipients and connections (sessions)."""

    def __init__(self):
        self.messages = 0
        self.sessions: list = []

    async def handle_DATA(self, server, session, envelope):
        if session not in self.sessions:
            self.sessions.append(session)
        self.messages += len(envelope.rcpt_tos)
        return "250 OK"


def smtp_server():
    from aiosmtpd.controller import Controller

    handler = Counter()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, handler, f"smtp://127.0.0.1:{port}"


def run(n: int) -> dict:
    from netzwerk.actors import services as actors
    from netzwerk.mail import queue
    from netzwerk.topics import services as topics
    from netzwerk.workshops import invitations, services

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
                }
            )
            with app.app_context():
                db.create_all()
                actors.ensure_categories()
                topic = topics.create_topic({"code": "SDG12", "title": "Faire Beschaffung"})
                contact_ids = []
                for a in range(n // 10 + 1):
                    actor = actors.create_actor(
                        {"name": f"Organisation {a:04d}", "category": "eine-welt-gruppe"},
                        commit=False,
                    )
                    for c in range(10):
                        if len(contact_ids) == n:
                            break
                        zone = ("Europe/Berlin", "Africa/Johannesburg", "Europe/Kyiv")[c % 3]
                        contact = actors.create_contact(
                            actor,
                            {
                                "name": f"Person {a:04d}-{c}",
                                "email": f"p{a:04d}.{c}@example.org",
                                "language": "de" if c % 2 else "en",
                                "timezone": zone,
                            },
                            commit=False,
                        )
                        contact_ids.append(contact.id)
                db.session.commit()
                workshop = services.create_workshop(
                    {
                        "title": "Fokusgruppe SDG 12 – Faire Beschaffung",
                        "topic_ids": [topic.id],
                        "starts_at": datetime(2031, 2, 4, 14),
                        "ends_at": datetime(2031, 2, 4, 16, 30),
                        "timezone": "Europe/Berlin",
                        "location": "Verwaltungsgebäude Katschhof",
                        "agenda": "1. Stand\n2. Ziele\n3. Maßnahmen",
                        "organizer_name": "Miriam Albers",
                        "organizer_email": "m.albers@aachen.example",
                        "status": "geplant",
                    }
                )
                invitations.add_invitations(workshop, contact_ids)

                start = time.perf_counter()
                batch, counts = invitations.send_invitations(workshop)
                queued = time.perf_counter() - start
                start = time.perf_counter()
                report = queue.deliver(batch=batch)
                delivered = time.perf_counter() - start
                db.session.remove()
                db.engine.dispose()
    finally:
        controller.stop()
    return {
        "invitations": n,
        "queued": counts["queued"],
        "sent": report.sent,
        "failed": report.failed,
        "received": handler.messages,
        "connections": report.connections,
        "server_sessions": len(handler.sessions),
        "queue_seconds": queued,
        "deliver_seconds": delivered,
        "total_seconds": queued + delivered,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invitations", type=int, default=500)
    args = parser.parse_args()
    r = run(args.invitations)
    ok = (
        r["total_seconds"] < GOAL_SECONDS
        and r["connections"] == GOAL_CONNECTIONS
        and r["received"] == r["invitations"]
        and r["failed"] == 0
    )
    print(
        f"Invitation benchmark: {r['invitations']} invitations to aiosmtpd on loopback "
        f"(goal < {GOAL_SECONDS:.0f} s, {GOAL_CONNECTIONS} connection)"
    )
    print()
    print(f"| {'step':<38} | {'messages':>8} | {'seconds':>8} | {'connections':>11} |")
    print(f"|{'-' * 40}|{'-' * 10}|{'-' * 10}|{'-' * 13}|")
    step = "compose + queue (iMIP, calendar)"
    print(f"| {step:<38} | {r['queued']:>8} | {r['queue_seconds']:8.2f} | {'–':>11} |")
    print(
        f"| {'deliver over SMTP':<38} | {r['sent']:>8} | {r['deliver_seconds']:8.2f} | "
        f"{r['connections']:>11} |"
    )
    print(
        f"| {'total (server received ' + str(r['received']) + ')':<38} | {r['sent']:>8} | "
        f"{r['total_seconds']:8.2f} | {r['server_sessions']:>11} |"
    )
    print()
    verdict = "erfüllt" if ok else "VERFEHLT"
    print(
        f"Ziel (< {GOAL_SECONDS:.0f} s, eine Verbindung, alle zugestellt): {verdict} – "
        f"{r['total_seconds']:.1f} s, {r['connections']} Verbindung(en), "
        f"{r['received']}/{r['invitations']} zugestellt, "
        f"{r['invitations'] / r['total_seconds']:.0f} Einladungen/s"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
