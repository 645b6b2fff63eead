"""Routes attached to the network blueprint."""

from __future__ import annotations

from .views import bp  # noqa: F401
