"""The secret links of the workshops: RSVP links (invitees) and calendar feeds (subscribers).

Nothing in the database opens an invitation or a feed:

- An invitation stores a random salt and the SHA-256 of its link token. The token itself is
  HMAC-SHA256(SECRET_KEY, salt), derived again whenever it is needed, so a copy of the
  database (a backup, a stolen laptop) without the secret key opens no invitation. A new salt
  kills the old link (withdrawal, erasure, a second invitation).
- Queued mails hold a placeholder where the link goes; the link is put in while the message is
  sent (netzwerk.mail.links).
- A feed stores only the SHA-256 of a random token; the link is shown once, when it is made.

Lookups go by hash (`auth.models.hash_token`), like the API tokens.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from flask import current_app

from ..auth.models import hash_token
from ..mail import links
from .models import Invitation

TOKEN_LENGTH = links.TOKEN_LENGTH


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
