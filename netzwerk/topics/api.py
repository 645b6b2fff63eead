"""JSON API for topics and actor-topic links."""

from __future__ import annotations

from ..core.api import api_bp  # noqa: F401
