"""The protocol of a workshop: participants by sector, agenda, outcomes by kind and topic,
follow-ups with owner and date. One set of blocks (core.documents) for the page, DOCX and PDF.

Participants appear as organisations per sector with the number of people, not by name: the
protocol goes to every attendee, and the attendees' names are not theirs to share.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from flask_babel import format_date
from flask_babel import gettext as _

from ..actors.vocab import Sector
from ..core import documents as doc
from . import outcomes as outcome_services
from .models import Invitation, Workshop, WorkshopStatus
from .timefmt import local, times_for


def participants(workshop: Workshop) -> tuple[str, list[Invitation]]:
    """Who took part: those marked present, or before attendance is taken, the accepted."""
    active = workshop.active_invitations
    attended = [inv for inv in active if inv.attended]
    if attended or workshop.status == WorkshopStatus.DONE:
        return "attended", attended
    return "accepted", [inv for inv in active if inv.holds_seat]


def by_sector(invitations: list[Invitation]) -> list[dict[str, Any]]:
    """Sector → organisations with the number of their people, in the vocabulary's order."""
    counts: dict[Sector | None, Counter] = defaultdict(Counter)
    for inv in invitations:
        actor = inv.actor
        counts[actor.sector if actor else None][actor.name if actor else "–"] += 1
    rows = []
    for sector in [*Sector, None]:
        if sector not in counts:
            continue
        orgs = sorted(counts[sector].items(), key=lambda kv: kv[0].casefold())
        rows.append(
            {
                "sector": sector.label if sector else _("ohne Akteur"),
                "organisations": orgs,
                "people": sum(counts[sector].values()),
            }
        )
    return rows


def follow_up_rows(workshop: Workshop) -> list[dict[str, Any]]:
    """The agreed follow-ups with owner and date; lines of the older free-text field follow
    without owner and date."""
    rows = [
        {
            "text": item.text,
            "owner": item.owner_label,
            "due": format_date(item.due_on, "medium") if item.due_on else "",
            "done": item.done,
        }
        for item in workshop.follow_up_tasks
    ]
    known = {r["text"] for r in rows}
    rows += [
        {"text": line, "owner": "", "due": "", "done": False}
        for line in workshop.follow_up_items
        if line not in known
    ]
    return rows


def document(workshop: Workshop, lang: str = "de") -> doc.Document:
    when = times_for(workshop.starts_at, workshop.ends_at, workshop.timezone, None, lang)
    kind, people = participants(workshop)
    sectors = by_sector(people)
    blocks: list[doc.Block] = [
        doc.Heading(_("Protokoll: %(title)s", title=workshop.title), 1),
        doc.Facts(
            [
                (_("Termin"), when["workshop"] or "–"),
                (_("Ort"), workshop.location or workshop.online_url or "–"),
                (_("Prozessphase"), workshop.phase.label),
                (_("Themen"), ", ".join(t.label for t in workshop.topics) or "–"),
                (
                    _("Teilnehmende") if kind == "attended" else _("Zusagen"),
                    _(
                        "%(people)s Personen aus %(orgs)s Organisationen",
                        people=len(people),
                        orgs=len({inv.actor_id for inv in people}),
                    ),
                ),
            ]
        ),
        doc.Heading(_("Teilnehmende nach Sektor"), 2),
    ]
    if sectors:
        blocks.append(
            doc.Table(
                [_("Sektor"), _("Organisationen"), _("Personen")],
                [
                    [
                        row["sector"],
                        ", ".join(
                            f"{name} ({n})" if n > 1 else name for name, n in row["organisations"]
                        ),
                        str(row["people"]),
                    ]
                    for row in sectors
                ],
                widths=[1.2, 4, 0.8],
                numeric={2},
            )
        )
    else:
        blocks.append(doc.Paragraph(_("Noch keine Teilnahme erfasst.")))
    blocks.append(doc.Heading(_("Tagesordnung"), 2))
    agenda = [line.strip(" -•\t") for line in workshop.agenda.splitlines() if line.strip()]
    blocks.append(doc.Bullets(agenda) if agenda else doc.Paragraph("–"))
    blocks.append(doc.Heading(_("Ergebnisse"), 2))
    if workshop.results:
        blocks.append(doc.Paragraph(workshop.results))
    groups = outcome_services.grouped(workshop)
    for outcome_kind, topics in groups:
        blocks.append(doc.Heading(outcome_kind.label, 3))
        rows = []
        for topic, items in topics:
            for item in items:
                concerned = ", ".join(a.display_name for a in item.actors)
                rows.append([topic.code if topic else "–", item.text, concerned, str(item.votes)])
        blocks.append(
            doc.Table(
                [_("Thema"), _("Aussage"), _("Beteiligte"), _("Punkte")],
                rows,
                widths=[0.8, 4, 1.6, 0.6],
                numeric={3},
            )
        )
    if not groups and not workshop.results:
        blocks.append(doc.Paragraph(_("Noch keine Ergebnisse erfasst.")))
    blocks.append(doc.Heading(_("Vereinbarte nächste Schritte"), 2))
    follow = follow_up_rows(workshop)
    if follow:
        blocks.append(
            doc.Table(
                [_("Was"), _("Wer"), _("Bis wann")],
                [[r["text"] + (" ✓" if r["done"] else ""), r["owner"], r["due"]] for r in follow],
                widths=[4, 2, 1],
            )
        )
    else:
        blocks.append(doc.Paragraph("–"))
    if workshop.next_workshop:
        nxt = workshop.next_workshop
        day = (
            format_date(local(nxt.starts_at, nxt.timezone).date(), "medium")
            if nxt.starts_at
            else _("Termin offen")
        )
        blocks.append(
            doc.Paragraph(_("Nächster Workshop: %(title)s (%(day)s)", title=nxt.title, day=day))
        )
    title = _("Protokoll: %(title)s", title=workshop.title)
    return doc.Document(title=title, blocks=blocks, lang=lang, subject=title, footer=title)
