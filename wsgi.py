"""Entry point for gunicorn: `gunicorn wsgi:app` (see docs/deployment.md).

Behind a reverse proxy (nginx) every request comes from the proxy's address. Set
NETZWERK_PROXY_FIX to the number of proxies in front of the app (usually 1): their
X-Forwarded-For, X-Forwarded-Proto and X-Forwarded-Host headers are then trusted, so the login
rate limit counts per client address and links are built with https and the public host name.
Without it those headers are ignored, since anyone could send them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from netzwerk import create_app


def proxy_count(value: str) -> int:
    """NETZWERK_PROXY_FIX as a number of proxies: "" or "0" means none."""
    try:
        count = int(value.strip() or 0)
    except ValueError:
        count = -1
    if count < 0:
        raise RuntimeError(
            f"NETZWERK_PROXY_FIX muss die Zahl der Proxys vor der Anwendung sein (z. B. 1), "
            f"nicht {value!r}."
        )
    return count


def build(environ: Mapping[str, str] = os.environ) -> Flask:
    application = create_app()
    proxies = proxy_count(environ.get("NETZWERK_PROXY_FIX", ""))
    if proxies:
        application.wsgi_app = ProxyFix(
            application.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )
    return application


app = build()
