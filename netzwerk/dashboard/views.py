"""The start page."""

from __future__ import annotations

from flask import Blueprint, render_template

from . import services

bp = Blueprint("dashboard", __name__)


@bp.route("/")
def index():
    return render_template("dashboard/index.html", **services.dashboard())
