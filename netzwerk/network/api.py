"""Network API: graph data for the map (map_api), gaps, findings and metrics (report_api)."""

from __future__ import annotations

from . import map_api, report_api  # noqa: F401
