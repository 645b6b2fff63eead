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


class SharedAnalysis(db.Model):
    """A slow analysis of one state of the data (the metrics: betweenness and communities; the
    unfiltered map's JSON per language, "map-body:de"), kept for every process of the
    installation: a freshly started worker reads it instead of computing it again
    (network/state.py, network/map_data.py).

    `version` is the change counter of the state it was computed for; `signature` digests
    what it was computed from: for the metrics the relation structure, so a later state with
    the same structure (an edit of a name or a category) uses it as it is; for the map the
    state, the stored positions, the language and the installed code.
    """

    __tablename__ = "shared_analysis"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    version: Mapped[int] = mapped_column(sa.BigInteger)
    signature: Mapped[str] = mapped_column(sa.String(64))
    payload: Mapped[str] = mapped_column(sa.Text)  # JSON
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
