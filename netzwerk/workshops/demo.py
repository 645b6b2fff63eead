"""The workshops part of the Aachen demo data."""

from __future__ import annotations

from datetime import datetime, timedelta

from ..core.timeutil import utcnow
from ..extensions import db
from . import invitations, services
from .models import Response, WorkshopStatus


def load_demo_workshops(items: list[dict], by_name: dict, by_code: dict) -> int:
    """Load the demo file's workshops with a few invitations each (none sent). Dates are local
    times in the workshop's zone; planned ones may say "in_days" to stay in the future."""
    count = 0
    for item in items:
        skip = ("invitations", "topics", "in_days", "status", "results", "follow_ups")
        data = {k: v for k, v in item.items() if k not in skip}
        if "in_days" in item:
            day = (utcnow() + timedelta(days=int(item["in_days"]))).date()
            start = datetime.fromisoformat(f"{day.isoformat()}T{item['time']}")
            data["starts_at"] = start
            data["ends_at"] = start + timedelta(minutes=int(item["minutes"]))
            data.pop("time", None)
            data.pop("minutes", None)
        data["topic_ids"] = [by_code[code].id for code in item.get("topics", [])]
        workshop = services.create_workshop(data, commit=False)
        contacts = []
        for entry in item.get("invitations", []):
            actor = by_name[entry["actor"]]
            contact = next(c for c in actor.contacts if c.name == entry["contact"])
            contacts.append((contact, entry))
        if contacts:
            invited = invitations.add_invitations(
                workshop, [c.id for c, _ in contacts], commit=False
            )
            for invitation, (_, entry) in zip(invited, contacts, strict=True):
                invitation.response = Response(entry.get("response", "needs-action"))
                invitation.attended = bool(entry.get("attended", False))
                invitation.comment = entry.get("comment", "")
                if invitation.response != Response.NEEDS_ACTION:
                    invitation.responded_at = workshop.starts_at - timedelta(days=7)
        workshop.results = item.get("results", "")
        workshop.follow_ups = item.get("follow_ups", "")
        # the status last: a held workshop takes no new invitations
        workshop.status = WorkshopStatus(item.get("status", WorkshopStatus.PLANNED.value))
        count += 1
    db.session.flush()
    return count
