"""Entry point for gunicorn: `gunicorn wsgi:app` (see docs/deployment.md).

Behind a reverse proxy (nginx) every request comes from the proxy's address. Set
NETZWERK_PROXY_FIX to the number of proxies in front of the app (usually 1): their
X-Forwarded-For, X-Forwarded-Proto and X-Forwarded-Host headers are then trusted, so the login
rate limit counts per client address and links are built with https and the public host name.
Without it those headers are ignored, since anyone could send them.

Python's full garbage collection walks every object the analysis caches hold (the network graph,
the map's parts: 0.1–0.2 s at 2,000 actors). Left alone it runs inside whichever request happens
to allocate at the wrong moment; in a server process it runs instead after an answer has been
sent (CollectBetweenRequests), and what the app holds from its start is frozen out of it.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Iterable, Mapping

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wsgi import ClosingIterator

from netzwerk import create_app

FULL_COLLECTION_EVERY = 10.0  # seconds at most between two full collections while requests come
NO_AUTOMATIC_FULL_COLLECTION = 1 << 30


class CollectBetweenRequests:
    """WSGI middleware: the full collection after an answer (at most every `every` seconds), the
    young generations as usual. Under gunicorn's sync workers the answer is sent before the
    iterable is closed, so nobody waits for it but the next request of this worker, which the
    other workers take meanwhile."""

    def __init__(self, wsgi_app, every: float = FULL_COLLECTION_EVERY):
        self.wsgi_app = wsgi_app
        self.every = every
        self.last = time.monotonic()
        young, middle, _ = gc.get_threshold()
        gc.set_threshold(young, middle, NO_AUTOMATIC_FULL_COLLECTION)

    def __call__(self, environ, start_response) -> Iterable[bytes]:
        return ClosingIterator(self.wsgi_app(environ, start_response), self.collect)

    def collect(self) -> None:
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            gc.collect()


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
    application.wsgi_app = CollectBetweenRequests(application.wsgi_app)
    gc.collect()
    gc.freeze()  # modules, the app, its configuration: alive as long as the process
    return application


app = build()
