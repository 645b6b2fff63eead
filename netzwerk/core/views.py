"""Dashboard and small shared pages."""

from __future__ import annotations

from flask import Blueprint, render_template

from . import services

bp = Blueprint("core", __name__)


@bp.route("/")
def dashboard():
    return render_template("core/dashboard.html", **services.dashboard())
