"""Routes attached to the /api blueprint."""

from __future__ import annotations

from ..core.api import api_bp  # noqa: F401
