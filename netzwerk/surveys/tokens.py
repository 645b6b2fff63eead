"""The respondents' personal links, made like the RSVP links of the workshops.

A recipient stores a random salt and the SHA-256 of its link token; the token is
HMAC-SHA256(SECRET_KEY, survey id + salt) (43 characters, as the RSVP links), derived again
whenever a mail is sent. A copy of the database without the secret key opens no survey, a token
opens only its one recipient's answer in its one survey (the survey id is part of what is
signed), and a new salt kills the old link. Queued mails carry the workshops' placeholder
(same length and alphabet), filled in while sending (workshops.tokens.fill).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from flask import current_app

from ..auth.models import hash_token
from .models import SurveyRecipient


def _derive(survey_id: int, salt: str) -> str:
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    message = f"netzwerk.surveys:{survey_id}:{salt}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def new_link(recipient: SurveyRecipient) -> None:
    """A fresh salt: a new link, and the old one stops working."""
    recipient.token_salt = secrets.token_urlsafe(24)
    recipient.token_hash = hash_token(_derive(recipient.survey_id, recipient.token_salt))


def link_token(recipient: SurveyRecipient) -> str:
    """The recipient's token; if the secret key changed since, the stored hash follows it so
    the mail about to be sent carries a working link."""
    token = _derive(recipient.survey_id, recipient.token_salt)
    digest = hash_token(token)
    if not hmac.compare_digest(digest, recipient.token_hash):
        recipient.token_hash = digest
    return token


def token_hash(token: str) -> str:
    return hash_token(token)
