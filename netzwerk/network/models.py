"""Stored map positions: the layout is computed once on the server and reused on every visit."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..core.timeutil import utcnow
from ..extensions import db


class NodePosition(db.Model):
    """Where a map node sits, in vis-network pixels at zoom 1.

    `key` is the node id of the graph ("a12" actor, "t3" topic, "w5" workshop). `pinned` marks
    a position an editor set by hand (dragged); computed ones are not pinned.
    """

    __tablename__ = "node_position"

    key: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    x: Mapped[float]
    y: Mapped[float]
    pinned: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, index=True)
