"""Mails to a workshop's invitees that are no calendar invitation: the protocol afterwards (text,
HTML and the PDF attached) and, for the programme, a personal reflection link. They go through
the same queue as the invitations (netzwerk.mail): composed once, stored whole, sent at most
once, one recipient per message; a personal link is put in while sending, never stored.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from ..audit.services import record
from ..core import documents
from ..core.errors import Invalid
from ..core.timeutil import utcnow
from ..extensions import db
from ..mail import queue as mail_queue
from ..mail.message import address, build_message, header_text
from ..mail.models import MailKind, MailMessage, MailStatus
from . import compose as invitation_mail
from . import protocol
from .models import Invitation, Workshop
from .timefmt import mail_language


def compose(
    invitation: Invitation,
    kind: MailKind,
    sequence: int,
    subject: str,
    text: str,
    html: str,
    attachments: list[tuple[str, str, bytes]] = (),
) -> MailMessage:
    """One message to one invitee, built like every mail (mail.message.build_message):
    multipart/alternative (text, HTML) and, with attachments, multipart/mixed."""
    workshop, contact = invitation.workshop, invitation.contact
    now = utcnow()
    mid = invitation_mail.message_id(invitation, kind, sequence)
    msg = build_message(
        to=address(contact.name, contact.email),
        reply_to=address(workshop.organizer_name, workshop.organizer_email)
        if workshop.organizer_email
        else None,
        subject=subject,
        text=text,
        html=html,
        calendar=None,
        method=None,
        message_id=mid,
        date=now,
        lang=mail_language(contact.language),
        attachments=attachments,
    )
    return MailMessage(
        scope=invitation_mail.scope(workshop),
        message_id=mid,
        recipient=contact.email,
        subject=header_text(subject)[:400],
        raw=msg.as_string(),
        status=MailStatus.QUEUED,
        created_at=now,
    )


def queue(
    source: str, source_id: int, kind: MailKind, sequence: int, make, batch: str
) -> MailMessage | None:
    """Queue the message `make()` composes unless the same (source, kind, sequence) exists:
    then a pending one joins the batch and a sent one is never sent again."""
    wanted = mail_queue.Wanted(source, source_id, kind, sequence, make)
    waiting = mail_queue.enqueue([wanted], batch)
    return waiting[0] if waiting else None


def render(kind: str, lang: str, **context) -> tuple[str, str]:
    """The text and HTML body of a notice (templates workshops/mail/notice_{lang}.*)."""
    context.update(kind=kind, lang=lang)
    text = render_template(f"workshops/mail/notice_{lang}.txt", **context)
    html = render_template(f"workshops/mail/notice_{lang}.html", **context)
    text = re.sub(r"\n[ \t]*(\n[ \t]*){2,}", "\n\n", text).strip() + "\n"
    return text, html


# --- the protocol ---------------------------------------------------------------------------------


def protocol_recipients(workshop: Workshop) -> list[Invitation]:
    """Who gets the protocol: the participants (present, or before attendance the accepted)
    with an address and no objection; the others are left out and named on the page."""
    _, people = protocol.participants(workshop)
    return [inv for inv in people if inv.contact is not None]


def send_protocol(workshop: Workshop) -> tuple[str, dict]:
    """Queue the protocol for every participant: the text in the mail, the PDF attached, in the
    participant's language. Sending it again after changes makes new messages (the next
    sequence); a retry of one sending never duplicates it."""
    recipients = protocol_recipients(workshop)
    if not recipients:
        raise Invalid(
            _(
                "Es gibt niemanden, dem das Protokoll geschickt werden könnte: bitte "
                "zuerst die Anwesenheit erfassen."
            )
        )
    sequence = (
        db.session.scalar(
            sa.select(sa.func.max(MailMessage.sequence)).where(
                MailMessage.scope == invitation_mail.scope(workshop),
                MailMessage.kind == MailKind.PROTOCOL,
            )
        )
        or 0
    ) + 1
    batch = mail_queue.new_batch()
    queued, blocked = 0, []
    rendered: dict[str, tuple[documents.Document, bytes]] = {}
    for invitation in recipients:
        reason = invitation_mail.block_reason(invitation.contact)
        if reason:
            blocked.append({"name": invitation.name, "reason": reason})
            continue
        lang = mail_language(invitation.contact.language)
        with force_locale(lang):
            if lang not in rendered:
                document = protocol.document(workshop, lang)
                rendered[lang] = (document, documents.pdf(document))
            document, pdf = rendered[lang]
            text, html = render(
                "protocol",
                lang,
                name=invitation.contact.name,
                workshop=workshop,
                body=documents.plain_text(document),
                doc=document,
            )
            subject = document.title
            filename = ("protokoll" if lang == "de" else "minutes") + f"-{workshop.id}.pdf"
        message = compose(
            invitation,
            MailKind.PROTOCOL,
            sequence,
            subject,
            text,
            html,
            [(filename, documents.PDF_MIMETYPE, pdf)],
        )
        queued_now = queue(
            invitation_mail.SOURCE,
            invitation.id,
            MailKind.PROTOCOL,
            sequence,
            lambda message=message: message,
            batch,
        )
        if queued_now is not None:
            queued += 1
    record(
        "workshop",
        workshop.id,
        "protocol",
        {"sent_to": [None, queued], "sequence": [None, sequence]},
        label=workshop.title,
    )
    db.session.commit()
    return batch, {"queued": queued, "blocked": blocked}
