"""The network blueprint: the map (map_views) and the analysis pages (report_views)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("network", __name__)

# the route modules attach their views to bp
from . import map_views, report_views  # noqa: E402, F401
