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
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


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
        "BASE_URL": env("NETZWERK_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "OUTBOX_DIR": str(instance_path / "outbox"),
        "BABEL_DEFAULT_LOCALE": "de",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Berlin",
        "LANGUAGES": ("de", "en"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env("NETZWERK_BASE_URL", "").startswith("https://"),
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": env("NETZWERK_BASE_URL", "").startswith("https://"),
        # failed logins per client address and per user name (auth/ratelimit.py)
        "RATELIMIT_ENABLED": env("NETZWERK_RATELIMIT_ENABLED", "1").lower() not in ("0", "false"),
        "RATELIMIT_STORAGE_URI": env("NETZWERK_RATELIMIT_STORAGE_URL", "memory://"),
        "LOGIN_RATE_LIMIT": env("NETZWERK_LOGIN_RATE_LIMIT", "10 per minute"),
        # requests per client address to the respondents' survey pages and name lookup
        "SURVEY_RATE_LIMIT": env("NETZWERK_SURVEY_RATE_LIMIT", "60 per minute"),
        "WTF_CSRF_TIME_LIMIT": None,
        "API_MAX_PER_PAGE": 500,
        "PER_PAGE": 25,
        # contacts without activity for this many months show in the retention view
        "RETENTION_MONTHS": int(env("NETZWERK_RETENTION_MONTHS", "24")),
    }
    settings.update(overrides)
    if not settings.get("SECRET_KEY"):
        settings["SECRET_KEY"] = _secret_key(instance_path)
    return settings
