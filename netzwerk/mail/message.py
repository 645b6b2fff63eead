"""The MIME structure of outgoing mail and its addresses (policy SMTP refuses CR/LF in any
header value; names and titles are made one line of text first)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, getaddresses

from flask import current_app
from flask_babel import gettext as _

from ..core.errors import Invalid


def header_text(value: str) -> str:
    """One line of header text: CR, LF, other control characters and the Unicode line
    separators become spaces, so a name or title can never start a header of its own."""
    return re.sub(r"[\x00-\x1f\x7f\x85\u2028\u2029]+", " ", value or "").strip()


def sender() -> Address:
    """The configured sender (NETZWERK_MAIL_FROM), e.g. 'KEpol Aachen <kepol@aachen.de>'."""
    configured = current_app.config["MAIL_FROM"]
    pairs = getaddresses([configured])
    name, addr = pairs[0] if pairs else ("", "")
    if "@" not in addr:
        raise Invalid(
            _("NETZWERK_MAIL_FROM ist keine E-Mail-Adresse: %(configured)s", configured=configured)
        )
    return address(name, addr)


# domains that no mail server outside can deliver to (RFC 2606, 6761, 6762 and common LAN names)
LOCAL_DOMAINS = (
    "localhost",
    "local",
    "localdomain",
    "invalid",
    "test",
    "example",
    "internal",
    "lan",
)


def undeliverable_reason(email: str) -> str | None:
    """Why replies to this address would bounce (for the log; the page has its own words), or
    None. Calendar clients answer an invitation by mail to the ORGANIZER: an address like the
    default kepol@localhost looks fine in netzwerk, but every "accept" in Outlook comes back."""
    local, _, domain = (email or "").strip().rpartition("@")
    domain = domain.lower().rstrip(".")
    if not local or not domain:
        return f"{email!r} is not a complete e-mail address"
    if "." not in domain:
        return f"the domain {domain!r} has no dot, so only this machine knows it"
    if domain.rsplit(".", 1)[-1] in LOCAL_DOMAINS:
        return f"{domain!r} is not a domain the internet can deliver to"
    return None


def address(name: str, email: str) -> Address:
    local, _, domain = email.strip().rpartition("@")
    return Address(display_name=header_text(name), username=local, domain=domain)


def tidy(text: str) -> str:
    """At most one blank line in a row: the templates' conditionals leave more."""
    return re.sub(r"\n[ \t]*(\n[ \t]*){2,}", "\n\n", text).strip() + "\n"


def build_message(
    *,
    to: Address,
    reply_to: Address | None,
    subject: str,
    text: str,
    html: str,
    calendar: bytes | None,
    method: str | None,
    message_id: str,
    date: datetime,
    lang: str = "de",
    from_: Address | None = None,
    sender_: Address | None = None,
    attachments: Sequence[tuple[str, str, bytes]] = (),
) -> EmailMessage:
    """The MIME structure of RFC 6047 as the common clients expect it. Headers are set through
    email.headerregistry with policy SMTP, which refuses CR/LF in any header value.
    `attachments` (filename, MIME type, bytes), e.g. a protocol's PDF, make it
    multipart/mixed."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = from_ or sender()
    if sender_ is not None:
        msg["Sender"] = sender_
    msg["To"] = to
    if reply_to is not None:
        msg["Reply-To"] = reply_to
    msg["Subject"] = header_text(subject)
    msg["Date"] = format_datetime(date.replace(tzinfo=UTC))
    msg["Message-ID"] = message_id
    msg["Content-Language"] = lang
    msg.set_content(text, cte="quoted-printable")
    msg.add_alternative(html, subtype="html", cte="quoted-printable")
    if calendar is not None:
        msg.add_alternative(
            calendar.decode("utf-8"),
            subtype="calendar",
            cte="quoted-printable",
            params={"method": method},
        )
        msg.make_mixed()
        msg.add_attachment(
            calendar,
            maintype="application",
            subtype="ics",
            filename="invite.ics",
            params={"method": method, "name": "invite.ics"},
        )
    if attachments and msg.get_content_type() != "multipart/mixed":
        msg.make_mixed()
    for filename, mimetype, data in attachments:
        maintype, _, subtype = mimetype.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg
