"""The Aachen demo data set."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Nothing to wire: the CLI (setup, demo) calls demo.services.load_demo."""
