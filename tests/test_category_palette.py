"""The default category colours stay apart: on the map and in the legend no two categories
look alike (CIE L*a*b* distance ≥ 20 for every pair), and an installation that still has the
old near-identical defaults gets the new ones by migrating, while a chosen colour stays."""

from __future__ import annotations

import itertools
import json
import math
from importlib import resources

import flask_migrate
import sqlalchemy as sa

from netzwerk.extensions import db
from tests.test_migrations import fresh_app  # noqa: F401 (fixture)

NEAREST = 20.0


def lab(colour: str) -> tuple[float, float, float]:
    """sRGB → CIE L*a*b* (D65)."""
    text = colour.lstrip("#")
    r, g, b = (int(text[i : i + 2], 16) / 255 for i in (0, 2, 4))

    def linear(c: float) -> float:
        return ((c + 0.055) / 1.055) ** 2.4 if c > 0.04045 else c / 12.92

    r, g, b = linear(r), linear(g), linear(b)
    x = (r * 0.4124 + g * 0.3576 + b * 0.1805) / 0.95047
    y = r * 0.2126 + g * 0.7152 + b * 0.0722
    z = (r * 0.0193 + g * 0.1192 + b * 0.9505) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def test_no_two_default_category_colours_look_alike():
    defaults = json.loads(
        resources.files("netzwerk.actors").joinpath("categories.json").read_text("utf-8")
    )
    close = [
        (a["key"], b["key"], round(math.dist(lab(a["color"]), lab(b["color"])), 1))
        for a, b in itertools.combinations(defaults, 2)
        if math.dist(lab(a["color"]), lab(b["color"])) < NEAREST
    ]
    assert not close


def test_migrating_replaces_old_defaults_and_keeps_chosen_colours(fresh_app):  # noqa: F811
    with fresh_app.app_context():
        flask_migrate.upgrade(revision="0007")
        db.session.execute(
            sa.text(
                "INSERT INTO category (key, label_de, label_en, sector, color, position) VALUES "
                "('eine-welt-netzwerk', 'Eine-Welt-Netzwerk', 'One World network', "
                "'zivilgesellschaft', '#3969AC', 1), "
                "('wirtschaft', 'Unternehmen', 'Business', 'wirtschaft', '#123456', 2)"
            )
        )
        db.session.commit()
        flask_migrate.upgrade()
        colours = dict(db.session.execute(sa.text("SELECT key, color FROM category")).all())
    assert colours == {"eine-welt-netzwerk": "#a1caf1", "wirtschaft": "#123456"}
