"""vis-network's files from the installed pyvis package, so the map works offline and loads
nothing from a CDN."""

from __future__ import annotations

from importlib import resources

VIS_VERSION = "9.1.2"
VENDOR_DIR = f"lib/vis-{VIS_VERSION}"
VENDOR_FILES = {
    "vis-network.min.js": "text/javascript",
    "vis-network.css": "text/css",
}
_vendor_cache: dict[str, tuple[bytes, str]] = {}


def vendor_file(name: str) -> tuple[bytes, str, str]:
    """(content, mimetype, etag) of a vis-network file from the installed pyvis package, so the
    map works offline and loads nothing from a CDN."""
    if name not in VENDOR_FILES:
        raise KeyError(name)
    if name not in _vendor_cache:
        content = resources.files("pyvis").joinpath(VENDOR_DIR, name).read_bytes()
        etag = f"vis-{VIS_VERSION}-{len(content)}"
        _vendor_cache[name] = (content, etag)
    content, etag = _vendor_cache[name]
    return content, VENDOR_FILES[name], etag
