"""Defaults and NETZWERK_* environment variables, nothing else."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def _secret_key(instance_path: Path) -> str:
    """Keep one generated key in instance/ so sessions survive restarts."""
    if key := os.environ.get("NETZWERK_SECRET_KEY"):
        return key
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_hex(32)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never readable by others
    with os.fdopen(fd, "w") as out:
        out.write(key)
    return key


def _port(value: str) -> int:
    """The port `make run` serves on (PORT), for mail links when NETZWERK_BASE_URL is unset."""
    try:
        port = int(value)
    except ValueError:
        return 5000
    return port if 0 < port < 65536 else 5000


def load(instance_path: Path, overrides: dict | None = None) -> dict:
    """Build the configuration from the environment, with defaults that work offline;
    `overrides` (create_app's test_config) win. A secret key is generated and kept in the
    instance folder only when neither the environment nor the overrides give one."""
    instance_path.mkdir(parents=True, exist_ok=True)
    overrides = overrides or {}
    env = os.environ.get
    settings = {
        "SECRET_KEY": env("NETZWERK_SECRET_KEY", ""),
        "SQLALCHEMY_DATABASE_URI": env(
            "NETZWERK_DATABASE_URL", f"sqlite:///{instance_path / 'netzwerk.sqlite'}"
        ),
        "SMTP_URL": env("NETZWERK_SMTP_URL", ""),
        "MAIL_FROM": env("NETZWERK_MAIL_FROM", "KEpol Aachen <kepol@localhost>"),
        # the municipality named on the council document's title page
        "MUNICIPALITY": env("NETZWERK_MUNICIPALITY", "Stadt Aachen"),
        # unset: mail links use the address a request came in on, else 127.0.0.1:PORT (mail.links)
        "BASE_URL": env("NETZWERK_BASE_URL", "").strip().rstrip("/"),
        "PORT": _port(env("PORT", "")),
        "OUTBOX_DIR": str(instance_path / "outbox"),
        "BABEL_DEFAULT_LOCALE": "de",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Berlin",
        "LANGUAGES": ("de", "en"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env("NETZWERK_BASE_URL", "").startswith("https://"),
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": env("NETZWERK_BASE_URL", "").startswith("https://"),
        # failed logins per address and user name, per address, per name (auth/ratelimit.py)
        "RATELIMIT_ENABLED": env("NETZWERK_RATELIMIT_ENABLED", "1").lower() not in ("0", "false"),
        "RATELIMIT_STORAGE_URI": env("NETZWERK_RATELIMIT_STORAGE_URL", "memory://"),
        "LOGIN_RATE_LIMIT": env("NETZWERK_LOGIN_RATE_LIMIT", "10 per minute"),
        # requests per client address to the respondents' survey pages and name lookup
        "SURVEY_RATE_LIMIT": env("NETZWERK_SURVEY_RATE_LIMIT", "60 per minute"),
        "LOGIN_ADDRESS_RATE_LIMIT": env("NETZWERK_LOGIN_ADDRESS_RATE_LIMIT", "30 per minute"),
        "LOGIN_NAME_RATE_LIMIT": env("NETZWERK_LOGIN_NAME_RATE_LIMIT", "50 per minute"),
        # requests per client address to the public reflection pages (programme/reflection)
        "REFLECTION_RATE_LIMIT": env("NETZWERK_REFLECTION_RATE_LIMIT", "60 per minute"),
        "WTF_CSRF_TIME_LIMIT": None,
        # the largest request body (uploads); larger ones are refused before they are read: 413
        "MAX_CONTENT_LENGTH": int(env("NETZWERK_MAX_UPLOAD_MB", "20")) * 1024 * 1024,
        # RSVP links, poll pages and calendar feeds: requests per client address
        "PUBLIC_RATE_LIMIT": env("NETZWERK_PUBLIC_RATE_LIMIT", "60 per minute"),
        "API_MAX_PER_PAGE": 500,
        "PER_PAGE": 25,
        # what one imported file may hold (exchange/tables.py Limits); beyond it: 422
        "IMPORT_MAX_ROWS": int(env("NETZWERK_IMPORT_MAX_ROWS", "100000")),
        "IMPORT_MAX_COLUMNS": int(env("NETZWERK_IMPORT_MAX_COLUMNS", "200")),
        "IMPORT_MAX_CELLS": int(env("NETZWERK_IMPORT_MAX_CELLS", "2000000")),
        "IMPORT_MAX_UNPACKED": int(env("NETZWERK_IMPORT_MAX_UNPACKED_MB", "50")) * 1024 * 1024,
        "IMPORT_MAX_ENTRIES": 1000,
        # seconds an import (preview or apply) may work in a web request; the CLI has no limit
        "IMPORT_TIME_LIMIT": int(env("NETZWERK_IMPORT_TIME_LIMIT", "60")),
        # hours a checked upload waits for "Übernehmen" in instance/imports/
        "IMPORT_PREVIEW_HOURS": float(env("NETZWERK_IMPORT_PREVIEW_HOURS", "24")),
        # login with the administration's directory (auth/ldap.py); unset URL: local only
        "LDAP_URL": env("NETZWERK_LDAP_URL", ""),
        "LDAP_BIND_DN": env("NETZWERK_LDAP_BIND_DN", ""),
        "LDAP_BIND_PASSWORD": env("NETZWERK_LDAP_BIND_PASSWORD", ""),
        "LDAP_USER_DN_TEMPLATE": env("NETZWERK_LDAP_USER_DN_TEMPLATE", ""),
        "LDAP_USER_BASE": env("NETZWERK_LDAP_USER_BASE", ""),
        "LDAP_USER_FILTER": env("NETZWERK_LDAP_USER_FILTER", "(uid={username})"),
        "LDAP_STARTTLS": env("NETZWERK_LDAP_STARTTLS", "0").lower() in ("1", "true", "yes"),
        "LDAP_CA_FILE": env("NETZWERK_LDAP_CA_FILE", ""),
        "LDAP_GROUPS": env("NETZWERK_LDAP_GROUPS", ""),
        "LDAP_GROUP_BASE": env("NETZWERK_LDAP_GROUP_BASE", ""),
        "LDAP_GROUP_FILTER": env(
            "NETZWERK_LDAP_GROUP_FILTER", "(|(member={dn})(uniqueMember={dn}))"
        ),
        "LDAP_NAME_ATTRIBUTE": env("NETZWERK_LDAP_NAME_ATTRIBUTE", "displayName"),
        "LDAP_EMAIL_ATTRIBUTE": env("NETZWERK_LDAP_EMAIL_ATTRIBUTE", "mail"),
        "LDAP_GROUP_ATTRIBUTE": env("NETZWERK_LDAP_GROUP_ATTRIBUTE", "memberOf"),
        "LDAP_TIMEOUT": float(env("NETZWERK_LDAP_TIMEOUT", "5")),
        # contacts without activity for this many months show in the retention view
        "RETENTION_MONTHS": int(env("NETZWERK_RETENTION_MONTHS", "24")),
    }
    settings.update(overrides)
    if not settings.get("SECRET_KEY"):
        settings["SECRET_KEY"] = _secret_key(instance_path)
    return settings
