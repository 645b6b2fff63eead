"""Files with personal data that the app writes: readable by the app's own user only (0600)."""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE = 0o600


def write_private(path: str | Path, data: bytes) -> None:
    """Write `data` to a file created 0600 (also when it exists already: its mode is set)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE)
    try:
        os.fchmod(fd, PRIVATE)
        with os.fdopen(fd, "wb") as out:
            fd = -1
            out.write(data)
    finally:
        if fd != -1:
            os.close(fd)


def make_private(*paths: str | Path) -> None:
    """Take group and other permissions away from the files that exist and are ours."""
    for path in paths:
        try:
            info = os.stat(path)
        except OSError:
            continue
        if info.st_mode & 0o077 and info.st_uid == os.getuid():
            os.chmod(path, PRIVATE)
