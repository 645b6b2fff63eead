from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..core.timeutil import utcnow
from ..extensions import db


class AuditEntry(db.Model):
    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    username: Mapped[str] = mapped_column(sa.String(80), default="")
    entity: Mapped[str] = mapped_column(sa.String(40), index=True)
    entity_id: Mapped[int | None] = mapped_column(index=True)
    label: Mapped[str] = mapped_column(sa.String(300), default="")
    action: Mapped[str] = mapped_column(sa.String(20))
    # {"field": [before, after], ...}
    changes: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # the DataVersion its transaction committed (set by audit.services before the flush)
    data_version: Mapped[int | None] = mapped_column(sa.BigInteger, index=True)


class DataVersion(db.Model):
    """The change counter: one row whose number every transaction that writes audit entries
    raises by one (audit.services). Caches of derived data (the network analysis) compare it
    with the number they were built from.

    Unlike the newest audit id it rises in commit order: the increment locks the row until the
    transaction ends, so of two writers the one that commits later gets the higher number, and
    a reader that sees number N also sees every entry stamped N or lower."""

    __tablename__ = "data_version"

    id: Mapped[int] = mapped_column(primary_key=True)  # always 1
    version: Mapped[int] = mapped_column(sa.BigInteger, default=0)


@sa.event.listens_for(DataVersion.__table__, "after_create")
def _first_row(target, connection, **kw) -> None:
    """create_all (tests, a fresh schema) gets the single row the migration inserts."""
    connection.execute(target.insert().values(id=1, version=0))
