"""Users and API tokens."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from functools import cache
from importlib import resources

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import OperationalError
from werkzeug.security import check_password_hash

from ..audit.services import record
from ..core.errors import Conflict, DomainError, Invalid, NotFound
from ..core.timeutil import utcnow
from ..extensions import db
from . import ldap
from .models import SOURCE_LDAP, SOURCE_LOCAL, ApiToken, Role, User, hash_token

log = logging.getLogger(__name__)
# never a valid hash (no "$"), so no password matches it: the directory checks passwords
UNUSABLE_HASH = "!directory"  # noqa: S105

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
            _(
                "Das Passwort muss mindestens %(MIN_PASSWORD)s Zeichen haben.",
                MIN_PASSWORD=MIN_PASSWORD,
            ),
            field="password",
        )
    if password.strip().casefold() in common_passwords():
        raise Invalid(
            _(
                "Dieses Passwort steht auf der Liste der häufigsten Passwörter und ist "
                "leicht zu erraten. Bitte wählen Sie ein anderes (z. B. drei zufällige "
                "Wörter)."
            ),
            field="password",
        )


def get_user(username: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise NotFound(_("Unbekannter Benutzer: %(username)s", username=username))
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
        raise Invalid(_("Benutzername fehlt."), field="username")
    check_password_rules(password)
    role = Role.parse(role)
    if role is None:
        raise Invalid(_("Unbekannte Rolle."), field="role")
    if db.session.scalar(sa.select(User.id).where(User.username == username)):
        raise Conflict(
            _("Den Benutzer %(username)s gibt es schon.", username=username), field="username"
        )
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


class LoginFailed(DomainError):
    """A refused login, with the sentence the login form shows."""


def wrong_password_message() -> str:
    return _("Benutzername oder Passwort ist falsch.")


def login(username: str, password: str) -> User:
    """The user for these credentials, or LoginFailed with what the person should read.

    A local account (the first admin, anyone created under "Benutzer") is checked here, also
    while a directory is configured and even when it is unreachable. Every other name goes to
    the directory if there is one: its users are created at their first login, updated at each
    (name, e-mail, role) and deactivated when the directory no longer lets them in (gone,
    disabled, in no mapped group)."""
    username = (username or "").strip()
    user = db.session.scalar(sa.select(User).where(User.username == username))
    directory_settings = ldap.settings()
    if (user is not None and user.source == SOURCE_LOCAL) or directory_settings is None:
        if user is None:
            check_password_hash(_dummy_hash(), password or "")  # as long as a wrong password
            raise LoginFailed(wrong_password_message())
        if not user.check_password(password or "") or not user.active:
            raise LoginFailed(wrong_password_message())
        return user
    try:
        found = ldap.Directory(directory_settings).authenticate(username, password or "")
    except ldap.DirectoryError as exc:
        log.warning("LDAP login of %r refused: %s (%s)", username, exc.reason, exc.detail)
        if exc.reason == ldap.UNAVAILABLE:
            raise LoginFailed(
                _(
                    "Der Verzeichnisdienst (LDAP) ist gerade nicht erreichbar, daher ist die "
                    "Anmeldung mit dem Konto der Verwaltung nicht möglich. Lokale Konten von "
                    "netzwerk können sich weiterhin anmelden."
                )
            ) from exc
        if user is not None and exc.reason in (ldap.NOT_FOUND, ldap.DISABLED, ldap.NO_GROUP):
            deactivate_directory_user(user, exc.reason)
        if exc.reason == ldap.NO_GROUP:
            raise LoginFailed(
                _(
                    "Ihr Konto im Verzeichnis ist keiner netzwerk-Gruppe zugeordnet, daher "
                    "haben Sie keinen Zugang. Bitte wenden Sie sich an die Administration."
                )
            ) from exc
        raise LoginFailed(wrong_password_message()) from exc
    return apply_directory_user(found, user)


def authenticate(username: str, password: str) -> User | None:
    try:
        return login(username, password)
    except LoginFailed:
        return None


def apply_directory_user(found: ldap.DirectoryUser, user: User | None = None) -> User:
    """Create or update the local user of a directory entry (name, e-mail, role, active)."""
    if user is None:
        user = db.session.scalar(sa.select(User).where(User.username == found.username))
    if user is None:
        user = User(
            username=found.username,
            display_name=found.name,
            email=found.email,
            role=found.role,
            source=SOURCE_LDAP,
            directory_dn=found.dn,
            password_hash=UNUSABLE_HASH,
        )
        db.session.add(user)
        db.session.flush()
        record(
            "user",
            user.id,
            "create",
            {
                "username": [None, user.username],
                "role": [None, user.role.value],
                "source": [None, SOURCE_LDAP],
            },
            label=user.username,
            user=user,
        )
        db.session.commit()
        return user
    changes = {}
    for name, value in (
        ("display_name", found.name),
        ("email", found.email),
        ("role", found.role),
        ("active", True),
        ("directory_dn", found.dn),
    ):
        if getattr(user, name) != value:
            changes[name] = [str(getattr(user, name)), str(value)]
            setattr(user, name, value)
    if changes:
        record("user", user.id, "update", changes, label=user.username, user=user)
    db.session.commit()
    return user


def deactivate_directory_user(user: User, reason: str) -> None:
    """The directory no longer lets this person in: lock the local user (sessions and API
    tokens stop working with it)."""
    if user.source != SOURCE_LDAP or not user.active:
        return
    user.active = False
    user.session_generation += 1  # its session cookies end with it
    record(
        "user",
        user.id,
        "update",
        {"active": ["True", "False"], "directory": [None, reason]},
        label=user.username,
    )
    db.session.commit()


def sync_directory_users() -> dict[str, list[str]]:
    """Check every directory user against the directory (`flask ldap sync`, e.g. nightly):
    update the ones it knows, deactivate the ones it no longer lets in."""
    directory_settings = ldap.settings()
    if directory_settings is None:
        raise Invalid(_("Kein Verzeichnis konfiguriert (NETZWERK_LDAP_URL)."))
    directory = ldap.Directory(directory_settings)
    result: dict[str, list[str]] = {"updated": [], "deactivated": [], "unchanged": []}
    users = db.session.scalars(
        sa.select(User).where(User.source == SOURCE_LDAP).order_by(User.username)
    ).all()
    for user in users:
        found = directory.lookup(user.username)
        if found is None or found.disabled or found.role is None:
            reason = "gone" if found is None else ldap.DISABLED if found.disabled else ldap.NO_GROUP
            was_active = user.active
            deactivate_directory_user(user, reason)
            result["deactivated" if was_active else "unchanged"].append(user.username)
            continue
        before = (user.display_name, user.email, user.role, user.active, user.directory_dn)
        apply_directory_user(found, user)
        after = (user.display_name, user.email, user.role, user.active, user.directory_dn)
        result["updated" if before != after else "unchanged"].append(user.username)
    return result


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
