"""Domain exceptions: services raise them, one handler per surface turns them into a response."""

from __future__ import annotations


class DomainError(Exception):
    """A problem the user can fix; `message` is shown to them, `field` points at a form field."""

    status = 422

    def __init__(
        self,
        message: str,
        field: str | None = None,
        errors: dict | None = None,
        allowed: str | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.field = field
        self.errors = errors or ({field: [message]} if field else {})
        # what the field accepts ("1–5", "aktiv, kandidat, inaktiv"), for messages that name
        # the value and the column (imports)
        self.allowed = allowed


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class Invalid(DomainError):
    status = 422


class Forbidden(DomainError):
    status = 403
