"""JSON API for actors, contacts and relations."""

from __future__ import annotations

from ..core.api import api_bp  # noqa: F401
