"""Reflection: the attendees of a reflection workshop read a frozen draft through a personal
link (no login) and comment on each measure (agree / concerns / text), before or after the
workshop; the editor sees the comments per measure.

The links work like the RSVP links (workshops/tokens.py): the token is HMAC-SHA256(SECRET_KEY,
salt) with a prefix of its own, only its SHA-256 is stored, a copy of the database opens no
link. A link belongs to one draft and one person (an invitation), expires, can be revoked, and
the public pages are rate-limited (views.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from ..actors.models import Contact
from ..audit.services import apply_changes, record
from ..auth.models import hash_token
from ..core.errors import DomainError, Invalid, NotFound
from ..core.timeutil import aware, utcnow
from ..core.validation import parse_date, vocab_value
from ..extensions import db
from ..workshops.models import Invitation, Workshop
from .models import Draft, ReflectionComment, ReflectionLink, Stance

DEFAULT_DAYS = 42  # a link lasts six weeks unless the editor says otherwise
MAX_DAYS = 366


class LinkGone(DomainError):
    """An expired or revoked link: the page says so instead of a plain 404."""

    status = 410


def _derive(salt: str) -> str:
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    digest = hmac.new(
        key, b"netzwerk.programme.reflection:" + salt.encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def new_token(link: ReflectionLink) -> None:
    """A fresh salt: a new link, the old one stops working."""
    link.token_salt = secrets.token_urlsafe(24)
    link.token_hash = hash_token(_derive(link.token_salt))


def token(link: ReflectionLink) -> str:
    """The link's token, derived again from the secret key and the stored salt."""
    value = _derive(link.token_salt)
    digest = hash_token(value)
    if not hmac.compare_digest(digest, link.token_hash):  # the secret key was changed
        link.token_hash = digest
    return value


def link_url(link: ReflectionLink) -> str:
    from ..mail.links import public_url

    return public_url(f"/programm/reflexion/{token(link)}")


def link_by_token(value: str) -> ReflectionLink:
    """The link behind a token; expired or revoked links are gone (410)."""
    if not value or len(value) > 100:
        raise NotFound(_("Diesen Link gibt es nicht. Bitte prüfen Sie die Adresse."))
    link = db.session.scalar(
        sa.select(ReflectionLink).where(ReflectionLink.token_hash == hash_token(value))
    )
    if link is None:
        raise NotFound(_("Diesen Link gibt es nicht. Bitte prüfen Sie die Adresse."))
    if link.revoked_at is not None:
        raise LinkGone(_("Dieser Link wurde zurückgezogen."))
    if link.expires_at <= utcnow():
        raise LinkGone(
            _(
                "Dieser Link ist am %(expires_at)s abgelaufen. Bitte wenden Sie sich "
                "an die Koordination, wenn Sie noch kommentieren möchten.",
                expires_at=format(aware(link.expires_at), "%d.%m.%Y"),
            )
        )
    return link


def default_expiry(workshop: Workshop | None) -> date:
    """Four weeks after the workshop, at least six weeks from today."""
    start = utcnow().date() + timedelta(days=DEFAULT_DAYS)
    if workshop is not None and workshop.ends_at is not None:
        start = max(start, workshop.ends_at.date() + timedelta(days=28))
    return start


def reflection_workshops() -> list[Workshop]:
    """Workshops whose attendees may get links: reflection workshops first, then the rest."""
    from ..workshops.models import Phase

    rows = db.session.scalars(sa.select(Workshop).order_by(Workshop.starts_at.desc())).all()
    return sorted(rows, key=lambda w: w.phase != Phase.REFLECTION)


def create_links(draft: Draft, workshop: Workshop, expires_on: Any) -> list[ReflectionLink]:
    """A link for each person invited to the workshop (not withdrawn, not erased); existing
    links to this draft are kept and get the new expiry date."""
    day = parse_date(expires_on, "expires_on") if expires_on not in (None, "") else None
    day = day or default_expiry(workshop)
    today = utcnow().date()
    if day <= today:
        raise Invalid(_("Das Ablaufdatum muss in der Zukunft liegen."), field="expires_on")
    later = max(today, workshop.ends_at.date() if workshop.ends_at else today)
    if day > later + timedelta(days=MAX_DAYS):
        raise Invalid(
            _("Ein Link gilt höchstens ein Jahr (nach dem Workshop)."), field="expires_on"
        )
    expires = datetime.combine(day, time(23, 59))
    existing = {
        link.invitation_id: link
        for link in db.session.scalars(
            sa.select(ReflectionLink).where(ReflectionLink.draft_id == draft.id)
        )
    }
    result = []
    for invitation in workshop.active_invitations:
        if invitation.contact_id is None:
            continue
        link = existing.get(invitation.id)
        if link is None:
            link = ReflectionLink(draft=draft, invitation=invitation, expires_at=expires)
            new_token(link)
            db.session.add(link)
        else:
            link.expires_at = expires
            link.revoked_at = None
        result.append(link)
    if not result:
        raise Invalid(
            _(
                "Zu diesem Workshop ist niemand eingeladen; es gibt niemanden, der "
                "einen Link bekommen könnte."
            ),
            field="workshop_id",
        )
    db.session.flush()
    record(
        "draft",
        draft.id,
        "reflection_links",
        {
            "workshop": [None, workshop.title],
            "links": [None, len(result)],
            "expires_on": [None, day.isoformat()],
        },
        label=f"Entwurf v{draft.number}: Reflexionslinks",
    )
    db.session.commit()
    return result


def revoke(link: ReflectionLink) -> None:
    link.revoked_at = utcnow()
    record(
        "reflection_link",
        link.id,
        "revoke",
        {"revoked": [None, True]},
        label=f"Entwurf v{link.draft.number}: {link.invitation.name}",
    )
    db.session.commit()


def links(draft: Draft) -> list[ReflectionLink]:
    return list(
        db.session.scalars(
            sa.select(ReflectionLink)
            .where(ReflectionLink.draft_id == draft.id)
            .order_by(ReflectionLink.id)
        )
    )


def get_link(link_id: int, draft: Draft | None = None) -> ReflectionLink:
    link = db.session.get(ReflectionLink, link_id)
    if link is None or (draft is not None and link.draft_id != draft.id):
        raise NotFound(_("Link %(link_id)s nicht gefunden.", link_id=link_id))
    return link


def measure_ids(draft: Draft) -> set[int]:
    return {
        m["id"]
        for topic in draft.content.get("topics", [])
        for goal in topic["goals"]
        for m in goal["measures"]
    }


def comment(link: ReflectionLink, measure_id: int, data: dict[str, Any]) -> ReflectionComment:
    """Save (or change) the person's comment on one measure of the link's draft."""
    if measure_id not in measure_ids(link.draft):
        raise NotFound(_("Diese Maßnahme steht nicht in diesem Entwurf."))
    stance = vocab_value(Stance, data, "stance", Stance.NONE)
    text = str(data.get("text") or "").strip()
    if len(text) > 5000:
        raise Invalid(_("Der Kommentar ist zu lang (höchstens 5000 Zeichen)."), field="text")
    if not text and stance == Stance.NONE:
        raise Invalid(
            _("Bitte Zustimmung oder Bedenken wählen oder etwas schreiben."), field="text"
        )
    item = db.session.scalar(
        sa.select(ReflectionComment).where(
            ReflectionComment.link_id == link.id, ReflectionComment.measure_id == measure_id
        )
    )
    if item is None:
        item = ReflectionComment(link=link, measure_id=measure_id, stance=stance, text=text)
        db.session.add(item)
    else:
        apply_changes(item, {"stance": stance, "text": text})
        item.updated_at = utcnow()
    db.session.commit()
    return item


def comments_of(link: ReflectionLink) -> dict[int, ReflectionComment]:
    return {c.measure_id: c for c in link.comments}


def comments_by_measure(
    draft: Draft | None = None, measure_id: int | None = None
) -> dict[int, list[dict[str, Any]]]:
    """Comments for the editor, per measure id: who (person and organisation), which draft,
    stance, text, when; newest first."""
    query = (
        sa.select(ReflectionComment, ReflectionLink, Draft)
        .join(ReflectionLink, ReflectionComment.link_id == ReflectionLink.id)
        .join(Draft, ReflectionLink.draft_id == Draft.id)
        .order_by(ReflectionComment.updated_at.desc())
    )
    if draft is not None:
        query = query.where(ReflectionLink.draft_id == draft.id)
    if measure_id is not None:
        query = query.where(ReflectionComment.measure_id == measure_id)
    result: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for item, link, frozen in db.session.execute(query):
        invitation = link.invitation
        result[item.measure_id].append(
            {
                "name": invitation.name,
                "organisation": invitation.actor.name if invitation.actor else "",
                "draft": frozen.label,
                "stance": item.stance,
                "text": item.text,
                "updated_at": item.updated_at,
            }
        )
    return result


def stance_counts(draft: Draft) -> dict[int, dict[Stance, int]]:
    counts: dict[int, dict[Stance, int]] = defaultdict(lambda: dict.fromkeys(Stance, 0))
    for measure_id, items in comments_by_measure(draft).items():
        for item in items:
            counts[measure_id][item["stance"]] += 1
    return counts


# --- data protection (core.signals receivers) ----------------------------------------------------


def _links_of(contact: Contact) -> list[ReflectionLink]:
    return list(
        db.session.scalars(
            sa.select(ReflectionLink)
            .join(Invitation, ReflectionLink.invitation_id == Invitation.id)
            .where(Invitation.contact_id == contact.id)
            .order_by(ReflectionLink.id)
        )
    )


def personal_data_section(contact: Contact) -> tuple[str, list[dict]] | None:
    """Art. 15: the person's reflection links and comments."""
    items = []
    for link in _links_of(contact):
        items.append(
            {
                "draft": link.draft.label,
                "workshop": link.invitation.workshop.title,
                "created_at": aware(link.created_at).isoformat(),
                "expires_at": aware(link.expires_at).isoformat(),
                "revoked_at": aware(link.revoked_at).isoformat() if link.revoked_at else None,
                "comments": [
                    {
                        "measure_id": c.measure_id,
                        "stance": c.stance.value,
                        "text": c.text,
                        "updated_at": aware(c.updated_at).isoformat(),
                    }
                    for c in link.comments
                ],
            }
        )
    return ("reflection", items) if items else None


def erase_personal_data(contact: Contact) -> dict[str, int]:
    """Art. 17: the comments' texts go, the links stop working; the stances stay (anonymous,
    as the invitation does) so the counts per measure remain right."""
    from ..mail.models import PENDING, MailMessage, MailStatus
    from ..mail.queue import of

    count = 0
    ids = []
    for link in _links_of(contact):
        ids.append(link.id)
        link.revoked_at = link.revoked_at or utcnow()
        new_token(link)
        for item in link.comments:
            item.text = ""
            count += 1
    mails = 0
    if ids:  # the reflection mails to the person: never sent now, and their text is gone
        db.session.execute(
            sa.update(MailMessage)
            .where(of(SOURCE, ids), MailMessage.status.in_(PENDING))
            .values(status=MailStatus.BLOCKED)
        )
        mails = db.session.execute(
            sa.update(MailMessage)
            .where(of(SOURCE, ids))
            .values(recipient="", raw="", subject="", last_error="gelöscht (Art. 17 DSGVO)")
        ).rowcount
    return {"reflection_comments": count, "reflection_mails": mails}


def last_activity(_sender: Any = None) -> dict[int, datetime]:
    rows = db.session.execute(
        sa.select(Invitation.contact_id, sa.func.max(ReflectionComment.updated_at))
        .join(ReflectionLink, ReflectionLink.invitation_id == Invitation.id)
        .join(ReflectionComment, ReflectionComment.link_id == ReflectionLink.id)
        .where(Invitation.contact_id.is_not(None))
        .group_by(Invitation.contact_id)
    )
    return {contact_id: when for contact_id, when in rows if when is not None}


# --- sending the links ----------------------------------------------------------------------------


SOURCE = "reflection"  # mail queue source: the messages carrying a reflection link


def prepare_reflection_mail(messages) -> dict:
    """The "reflection" source of the mail queue: each message's link token (put in while
    sending, never stored in the queue), and no sending once the link is revoked, expired or
    its person's invitation withdrawn."""
    from ..mail.queue import Prepared
    from ..workshops.compose import block_reason

    found = {
        link.id: link
        for link in db.session.scalars(
            sa.select(ReflectionLink).where(ReflectionLink.id.in_({m.source_id for m in messages}))
        )
    }
    now = utcnow()
    result = {}
    for message in messages:
        link = found.get(message.source_id)
        if link is None or link.revoked_at is not None or link.expires_at <= now:
            result[message.id] = Prepared(blocked=_("Der Reflexionslink gilt nicht mehr."))
        elif link.invitation.removed_at is not None:
            result[message.id] = Prepared(blocked=_("Die Einladung wurde zurückgezogen."))
        elif reason := block_reason(link.invitation.contact):
            result[message.id] = Prepared(blocked=reason)
        else:
            result[message.id] = Prepared(token=token(link))
    return result


def mail_states(draft: Draft) -> dict[int, str]:
    """link id → the state of its mail (queued, sent, failed, blocked)."""
    from ..mail.models import MailMessage
    from ..mail.queue import of

    ids = [link.id for link in links(draft)]
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(MailMessage.source_id, MailMessage.status).where(of(SOURCE, ids))
    )
    return dict(rows.all())


def send_links(draft: Draft) -> tuple[str, dict]:
    """Queue one mail per valid link of the draft; a link that was mailed is not mailed again."""
    from flask_babel import force_locale, format_datetime

    from ..mail import links as mail_links
    from ..mail import queue as mail_queue
    from ..mail.models import MailKind
    from ..workshops import notices
    from ..workshops.compose import block_reason
    from ..workshops.timefmt import mail_language

    batch = mail_queue.new_batch()
    queued, blocked = 0, []
    now = utcnow()
    for link in links(draft):
        invitation = link.invitation
        if link.revoked_at is not None or link.expires_at <= now or invitation.removed_at:
            continue
        reason = block_reason(invitation.contact)
        if reason:
            blocked.append({"name": invitation.name, "reason": reason})
            continue
        lang = mail_language(invitation.contact.language)
        with force_locale(lang):
            expires = format_datetime(aware(link.expires_at), "medium")
            text, html = notices.render(
                "reflection",
                lang,
                name=invitation.contact.name,
                workshop=invitation.workshop,
                draft_label=draft.label,
                link=mail_links.public_url(f"/programm/reflexion/{mail_links.PLACEHOLDER}"),
                expires=expires,
            )
        subject = (
            f"Entwurf {draft.label} des Handlungsprogramms: Ihre Einschätzung"
            if lang == "de"
            else f"Draft {draft.label} of the action programme: your view"
        )
        message = notices.compose(invitation, MailKind.REFLECTION, link.id, subject, text, html)
        waiting = notices.queue(
            SOURCE, link.id, MailKind.REFLECTION, 0, lambda message=message: message, batch
        )
        if waiting is not None:
            queued += 1
    record(
        "draft",
        draft.id,
        "reflection_mail",
        {"queued": [None, queued]},
        label=f"Entwurf v{draft.number}: Reflexionslinks verschickt",
    )
    db.session.commit()
    return batch, {"queued": queued, "blocked": blocked}
