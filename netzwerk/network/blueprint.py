"""The network blueprint; map_views.py and report_views.py attach their routes to it."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("network", __name__)
