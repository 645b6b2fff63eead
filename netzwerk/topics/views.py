from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("topics", __name__, url_prefix="/themen")


@bp.route("/")
def index():
    return render_template("error.html", code=501, message="todo")


@bp.route("/<int:topic_id>")
def show(topic_id: int):
    return render_template("error.html", code=501, message="todo")
