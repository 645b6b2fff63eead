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
