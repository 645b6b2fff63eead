"""The two ways a message leaves: an SMTP server (one connection per batch) or, without one,
an .eml file per message in the outbox folder."""

from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app
from flask_babel import gettext as _

from ..core.errors import Invalid
from ..core.files import write_private

SMTP_TIMEOUT = 30


class ConnectionLost(Exception):
    """The server went away or cannot be reached: stop the batch, try again later."""


class MessageRefused(Exception):
    """The server refused this one message (e.g. 451 for the recipient); go on with the next."""


class OutboxTransport:
    """Without an SMTP server every message becomes an .eml file in instance/outbox/."""

    connections = 0

    def __init__(self, folder: str):
        self.folder = Path(folder)

    def send(self, recipient: str, message_id: str, data: bytes, envelope_from: str) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9.@_-]+", "_", message_id.strip("<>"))
            write_private(self.folder / f"{name}.eml", data)  # personal data: 0600
        except OSError as exc:
            raise ConnectionLost(f"Ablage {self.folder} nicht beschreibbar: {exc}") from exc

    def close(self) -> None:
        pass


@dataclass
class SmtpSettings:
    host: str
    port: int
    starttls: bool = False
    ssl: bool = False
    username: str = ""
    password: str = ""


def parse_smtp_url(url: str) -> SmtpSettings:
    """smtp://host:port, smtp+starttls://user:pass@host:port or smtps://user:pass@host:port."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    defaults = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
    if scheme not in defaults or not parts.hostname:
        raise Invalid(
            _(
                "NETZWERK_SMTP_URL nicht verständlich: %(scheme)s://… (erwartet "
                "smtp://host:port, smtp+starttls://benutzer:passwort@host:port oder "
                "smtps://…)",
                scheme=scheme,
            )
        )
    return SmtpSettings(
        host=parts.hostname,
        port=parts.port or defaults[scheme],
        starttls=scheme == "smtp+starttls",
        ssl=scheme == "smtps",
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
    )


class SmtpTransport:
    """One SMTP connection for a whole batch, opened at the first message."""

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self.connection: smtplib.SMTP | None = None
        self.connections = 0

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        try:
            if s.ssl:
                conn = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=SMTP_TIMEOUT, context=ssl.create_default_context()
                )
            else:
                conn = smtplib.SMTP(s.host, s.port, timeout=SMTP_TIMEOUT)
            self.connections += 1
            conn.ehlo()
            if s.starttls:
                conn.starttls(context=ssl.create_default_context())
                conn.ehlo()
            if s.username:
                conn.login(s.username, s.password)
        except smtplib.SMTPAuthenticationError as exc:
            raise ConnectionLost(f"Anmeldung am Mailserver abgelehnt: {_smtp_error(exc)}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise ConnectionLost(
                f"Mailserver {s.host}:{s.port} nicht erreichbar: {_smtp_error(exc)}"
            ) from exc
        return conn

    def send(self, recipient: str, message_id: str, data: bytes, envelope_from: str) -> None:
        if self.connection is None:
            self.connection = self._connect()
        try:
            self.connection.sendmail(envelope_from, [recipient], data)
        except smtplib.SMTPRecipientsRefused as exc:
            raise MessageRefused(_smtp_error(exc)) from exc
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            if exc.smtp_code == 421:
                self.connection = None
                raise ConnectionLost(_smtp_error(exc)) from exc
            raise MessageRefused(_smtp_error(exc)) from exc
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self.connection = None
            raise ConnectionLost(f"Verbindung zum Mailserver abgebrochen: {exc}") from exc
        except smtplib.SMTPException as exc:
            raise MessageRefused(_smtp_error(exc)) from exc

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (OSError, smtplib.SMTPException):
                self.connection.close()
            self.connection = None


def _smtp_error(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        parts = [
            f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
            for code, text in exc.recipients.values()
        ]
        return "; ".join(parts)
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error
        text = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
        return f"{exc.smtp_code} {text}"
    return str(exc) or exc.__class__.__name__


def transport():
    url = current_app.config.get("SMTP_URL") or ""
    if not url:
        return OutboxTransport(current_app.config["OUTBOX_DIR"])
    return SmtpTransport(parse_smtp_url(url))
