"""Links in queued mail: the stored message carries a placeholder where the recipient's secret
link token goes, and the token is put in while the message is sent (`fill`), so the queue table
holds no secret link.

Placeholder and token have the same length and the same URL-safe alphabet, so every encoding of
the message (quoted-printable, iCalendar folding, base64) lays them out alike and the filled
message is byte for byte what a composition with the token would have given; a retry sends the
very same bytes again.
"""

from __future__ import annotations

import base64
import binascii
import re

from flask import current_app

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


def public_url(path: str) -> str:
    """An absolute link for a mail (NETZWERK_BASE_URL + path)."""
    return current_app.config["BASE_URL"].rstrip("/") + path


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
    """The stored message with the recipient's link token in place of every placeholder."""
    if len(token) != TOKEN_LENGTH:
        raise ValueError("link token of unexpected length")
    raw = _fill_text(raw, token)
    return _BASE64_BODY.sub(lambda m: _fill_base64(m, token), raw)
