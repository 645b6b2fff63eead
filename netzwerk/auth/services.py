"""Users and API tokens."""

from __future__ import annotations

import secrets
from datetime import timedelta
from functools import cache
from importlib import resources

import sqlalchemy as sa
from sqlalchemy.exc import OperationalError
from werkzeug.security import check_password_hash

from ..audit.services import record
from ..core.errors import Conflict, Invalid, NotFound
from ..core.timeutil import utcnow
from ..extensions import db
from .models import ApiToken, Role, User, hash_token

MIN_PASSWORD = 8
SESSION_GENERATION = "session_generation"  # the key in the signed session cookie


@cache
def common_passwords() -> frozenset[str]:
    """The bundled list (auth/common-passwords.txt: source and licence in its head)."""
    text = resources.files(__package__).joinpath("common-passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().casefold() for line in text.splitlines() if line and not line.startswith("#")
    )


def check_password_rules(password: str) -> None:
    """At least MIN_PASSWORD characters and not one of the few thousand most common ones."""
    if len(password) < MIN_PASSWORD:
        raise Invalid(
            f"Das Passwort muss mindestens {MIN_PASSWORD} Zeichen haben.", field="password"
        )
    if password.strip().casefold() in common_passwords():
        raise Invalid(
            "Dieses Passwort steht auf der Liste der häufigsten Passwörter und ist leicht zu "
            "erraten. Bitte wählen Sie ein anderes (z. B. drei zufällige Wörter).",
            field="password",
        )


def get_user(username: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"Unbekannter Benutzer: {username}")
    return user


def create_user(
    username: str,
    password: str,
    role: Role | str = Role.VIEWER,
    display_name: str = "",
    email: str = "",
    actor=None,
) -> User:
    username = username.strip()
    if not username:
        raise Invalid("Benutzername fehlt.", field="username")
    check_password_rules(password)
    role = Role.parse(role)
    if role is None:
        raise Invalid("Unbekannte Rolle.", field="role")
    if db.session.scalar(sa.select(User.id).where(User.username == username)):
        raise Conflict(f"Den Benutzer {username} gibt es schon.", field="username")
    user = User(username=username, role=role, display_name=display_name, email=email)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record(
        "user",
        user.id,
        "create",
        {"username": [None, username], "role": [None, role.value]},
        label=username,
        user=actor,
    )
    db.session.commit()
    return user


def update_user(
    user: User,
    *,
    role=None,
    display_name=None,
    email=None,
    active=None,
    password=None,
    locale=None,
    timezone=None,
) -> User:
    changes = {}
    for field, value in (
        ("role", Role.parse(role) if role else None),
        ("display_name", display_name),
        ("email", email),
        ("active", active),
        ("locale", locale),
        ("timezone", timezone),
    ):
        if value is not None and getattr(user, field) != value:
            changes[field] = [str(getattr(user, field)), str(value)]
            setattr(user, field, value)
    if password:
        check_password_rules(password)
        user.set_password(password)
        user.session_generation += 1  # every other session of the user ends
        changes["password"] = ["***", "***"]
    if changes.get("active") == ["True", "False"]:
        user.session_generation += 1
    if changes:
        record("user", user.id, "update", changes, label=user.username)
    db.session.commit()
    return user


def end_sessions(user: User, reason: str = "logout") -> int:
    """Make every session cookie of the user worthless (logout, "log out everywhere else");
    returns the new generation for the session that stays, if any."""
    user.session_generation += 1
    record("user", user.id, "sessions", {"ended": [None, reason]}, label=user.username)
    db.session.commit()
    return user.session_generation


_DUMMY_HASH: dict[object, str] = {}


def _dummy_hash() -> str:
    """A hash made like every user's (same method and cost), checked for unknown names so that
    a wrong name takes as long as a wrong password and names do not leak by timing."""
    from . import models

    maker = models.generate_password_hash  # the one User.set_password uses
    if maker not in _DUMMY_HASH:
        probe = User()
        probe.set_password(secrets.token_urlsafe(16))
        _DUMMY_HASH[maker] = probe.password_hash
    return _DUMMY_HASH[maker]


def authenticate(username: str, password: str) -> User | None:
    user = db.session.scalar(sa.select(User).where(User.username == username.strip()))
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def create_token(user: User, name: str) -> str:
    """Create a token and return its secret once; only its hash is stored."""
    secret = "nzw_" + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user, name=name or "API", token_hash=hash_token(secret), prefix=secret[:10]
    )
    db.session.add(token)
    db.session.flush()
    record(
        "api_token",
        token.id,
        "create",
        {"name": [None, token.name]},
        label=user.username,
        user=user,
    )
    db.session.commit()
    return secret


TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)


def user_for_token(secret: str) -> User | None:
    token = db.session.scalar(
        sa.select(ApiToken).where(ApiToken.token_hash == hash_token(secret.strip()))
    )
    if token is None or not token.active or not token.user.active:
        return None
    user = token.user
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > TOKEN_TOUCH_INTERVAL:
        _touch(token.id, now)
    return user


def _touch(token_id: int, now) -> None:
    """Note when a token was last used, at most every few minutes and only if the database is
    free at once: a Bearer request must not wait for (or fail on) another writer's lock."""
    stale = sa.or_(
        ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now - TOKEN_TOUCH_INTERVAL
    )
    sqlite = db.engine.dialect.name == "sqlite"
    if sqlite:
        waited = db.session.execute(sa.text("PRAGMA busy_timeout")).scalar()
    try:
        if sqlite:
            db.session.execute(sa.text("PRAGMA busy_timeout=50"))
        db.session.execute(
            sa.update(ApiToken).where(ApiToken.id == token_id, stale).values(last_used_at=now)
        )
        db.session.commit()
    except OperationalError:
        db.session.rollback()  # busy: a later request notes it
    finally:
        if sqlite:
            db.session.execute(sa.text(f"PRAGMA busy_timeout={int(waited)}"))


def revoke_token(token: ApiToken) -> None:
    token.revoked_at = utcnow()
    record("api_token", token.id, "revoke", label=token.user.username)
    db.session.commit()


def ensure_admin() -> str | None:
    """Create the first admin with a random password; returns that password, or None."""
    if db.session.scalar(sa.select(sa.func.count(User.id))):
        return None
    password = secrets.token_urlsafe(12)
    create_user("admin", password, Role.ADMIN, display_name="Administrator*in")
    return password
