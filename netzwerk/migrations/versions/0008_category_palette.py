"""daily: a distinguishable category palette (no two default colours near-identical)

The six default colours that were too close to another one (the nearest pair differed by
ΔE 10) are replaced where an installation still has the old default; a colour someone chose
stays. Downgrade puts the old defaults back the same way.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 16:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# key: (old default, new default)
PALETTE = {
    "eine-welt-netzwerk": ("#3969ac", "#a1caf1"),
    "wirtschaft": ("#4b4b8f", "#c2b280"),
    "handel-gastronomie": ("#a5aa99", "#e68fac"),
    "verwaltungsspitze": ("#174a7c", "#b3446c"),
    "land": ("#17becf", "#882d17"),
    "migrantenorganisation": ("#e73f74", "#2b3d26"),
}
category = sa.table("category", sa.column("key", sa.String), sa.column("color", sa.String))


def _swap(index_from: int, index_to: int) -> None:
    for key, colours in PALETTE.items():
        op.execute(
            category.update()
            .where(category.c.key == key, sa.func.lower(category.c.color) == colours[index_from])
            .values(color=colours[index_to])
        )


def upgrade():
    _swap(0, 1)


def downgrade():
    _swap(1, 0)
