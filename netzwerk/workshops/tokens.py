"""The secret links of the workshops: RSVP links (invitees) and calendar feeds (subscribers).

Nothing in the database opens an invitation or a feed:

- An invitation stores a random salt and the SHA-256 of its link token. The token itself is
  HMAC-SHA256(SECRET_KEY, salt), derived again whenever it is needed, so a copy of the
  database (a backup, a stolen laptop) without the secret key opens no invitation. A new salt
  kills the old link (withdrawal, erasure, a second invitation).
- Queued mails hold a placeholder where the link goes; the link is put in while the message is
  sent (`fill`). Placeholder and token have the same length and the same URL-safe alphabet,
  so every encoding of the message (quoted-printable, iCalendar folding, base64) lays them
  out alike and the filled message is byte for byte what a composition with the token would
  have given; a retry sends the very same bytes again.
- A feed stores only the SHA-256 of a random token; the link is shown once, when it is made.

Lookups go by hash (`auth.models.hash_token`), like the API tokens.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets

from flask import current_app

from ..auth.models import hash_token
from .models import Invitation

TOKEN_LENGTH = 43  # base64url of 32 bytes, without padding: 256 bits
# what a stored message carries instead of the link token (same length, same alphabet)
PLACEHOLDER = "RSVP-LINK-WIRD-BEIM-VERSAND-EINGESETZT".ljust(TOKEN_LENGTH, "-")
# what an encoder may put between two characters: a quoted-printable soft line break and an
# iCalendar folding (CRLF + space); the characters themselves are never encoded
_BREAK = r"(?:=\r?\n|\r?\n[ \t])"
_FOLDED = re.compile(f"{_BREAK}*".join(re.escape(c) for c in PLACEHOLDER))
_SPLIT = re.compile(f"({_BREAK})")
_BASE64_BODY = re.compile(
    r"(Content-Transfer-Encoding: base64\r?\n(?:[^\r\n]+\r?\n)*\r?\n)((?:[A-Za-z0-9+/=]+\r?\n)+)",
    re.IGNORECASE,
)


def _derive(salt: str) -> str:
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    digest = hmac.new(key, b"netzwerk.workshops.rsvp:" + salt.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def new_rsvp_link(invitation: Invitation) -> None:
    """Give the invitation a fresh salt: a new link, and the old one stops working."""
    invitation.token_salt = secrets.token_urlsafe(24)
    invitation.token_hash = hash_token(_derive(invitation.token_salt))


def rsvp_token(invitation: Invitation) -> str:
    """The invitation's link token, derived from the secret key and the stored salt.

    If the secret key was changed since the link was made, the derived token no longer fits the
    stored hash; the invitation then takes the new one, so the mail about to be sent carries a
    working link (and links from earlier mails stop working)."""
    token = _derive(invitation.token_salt)
    digest = hash_token(token)
    if not hmac.compare_digest(digest, invitation.token_hash):
        invitation.token_hash = digest
    return token


def new_feed_token() -> tuple[str, str]:
    """A random feed token and its hash (the only part that is stored)."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def _put(match: re.Match, token: str) -> str:
    """The placeholder in `match`, perhaps broken over lines, replaced by `token` character by
    character; the line breaks stay where they are."""
    out, used = [], 0
    for n, piece in enumerate(_SPLIT.split(match.group(0))):
        if n % 2:  # a line break
            out.append(piece)
        else:
            out.append(token[used : used + len(piece)])
            used += len(piece)
    return "".join(out)


def _fill_text(text: str, token: str) -> str:
    return _FOLDED.sub(lambda m: _put(m, token), text)


def _fill_base64(match: re.Match, token: str) -> str:
    headers, body = match.group(1), match.group(2)
    lines = body.splitlines(keepends=True)
    try:
        data = base64.b64decode("".join(line.strip() for line in lines), validate=True)
    except (binascii.Error, ValueError):
        return match.group(0)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return match.group(0)
    filled = _fill_text(text, token)
    if filled == text:
        return match.group(0)
    newline = "\r\n" if lines[0].endswith("\r\n") else "\n"
    per_line = len(lines[0].rstrip("\r\n")) // 4 * 3
    raw = filled.encode("utf-8")
    encoded = [
        base64.b64encode(raw[i : i + per_line]).decode("ascii") + newline
        for i in range(0, len(raw), per_line)
    ]
    return headers + "".join(encoded)


def fill(raw: str, token: str) -> str:
    """The stored message with the invitee's link token in place of every placeholder."""
    if len(token) != TOKEN_LENGTH:
        raise ValueError("RSVP token of unexpected length")
    raw = _fill_text(raw, token)
    return _BASE64_BODY.sub(lambda m: _fill_base64(m, token), raw)
