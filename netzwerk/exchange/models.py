"""What the data-protection functions keep: the identities erased under Art. 17."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..core.timeutil import utcnow
from ..extensions import db


class ErasedIdentity(db.Model):
    """A name or e-mail address of an erased person, only as a keyed hash (HMAC-SHA256 with a
    key derived from the secret key): enough to erase the person again when an older backup
    is restored, useless for finding out who it was without the key."""

    __tablename__ = "erased_identity"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(10))  # "email" or "name"
    digest: Mapped[str] = mapped_column(sa.String(64), index=True)
    key_id: Mapped[str] = mapped_column(sa.String(16))  # which secret key made the digest
    contact_id: Mapped[int | None]  # the erased contact's number (the row is gone)
    erased_at: Mapped[datetime] = mapped_column(default=utcnow)
