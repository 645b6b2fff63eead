from __future__ import annotations

import hashlib
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..core.timeutil import utcnow
from ..core.vocab import Vocabulary, vocab_column
from ..extensions import db


class Role(Vocabulary):
    VIEWER = "viewer", _l("Lesen")
    EDITOR = "editor", _l("Bearbeiten")
    ADMIN = "admin", _l("Verwalten")

    @property
    def rank(self) -> int:
        return [Role.VIEWER, Role.EDITOR, Role.ADMIN].index(self)


SOURCE_LOCAL = "local"
SOURCE_LDAP = "ldap"


class User(UserMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(80), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(200), default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    role: Mapped[Role] = mapped_column(vocab_column(Role), default=Role.VIEWER)
    locale: Mapped[str] = mapped_column(sa.String(8), default="de")
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Europe/Berlin")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # raised by logout, a password change and "log out everywhere else": a session cookie
    # remembers the number it was made with and is worth nothing once it differs
    session_generation: Mapped[int] = mapped_column(default=0, server_default=sa.text("0"))
    # "local": password stored here; "ldap": the directory checks the password and gives name,
    # e-mail and role at each login (auth/ldap.py), the stored hash is unusable
    source: Mapped[str] = mapped_column(sa.String(16), default="local", server_default="local")
    directory_dn: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")

    tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def has_role(self, role: Role) -> bool:
        return self.active and self.role.rank >= role.rank

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    @property
    def name(self) -> str:
        return self.display_name or self.username

    @property
    def from_directory(self) -> bool:
        return self.source == SOURCE_LDAP


def hash_token(token: str) -> str:
    """Tokens are long and random, so one SHA-256 suffices (no salt; lookups stay indexed)."""
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(db.Model):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(12))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="tokens")

    @property
    def active(self) -> bool:
        return self.revoked_at is None
