"""Security headers on every kind of answer, the session cookie's flags, and the rules the
Content-Security-Policy relies on: no inline script, no inline event handler, no `|safe`, no
asset from another host in any template or static file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from netzwerk import config
from tests import factories
from tests.conftest import PASSWORD, csrf_token

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "netzwerk" / "templates"
STATIC = ROOT / "netzwerk" / "static"

# Templates rendered into a file that is opened without our server (so without our headers):
# the standalone HTML map must carry its scripts inline. It is rendered by its own autoescaping
# environment (network/exports.py) and served only as a download.
STANDALONE = {"network/export_map.html"}

# URLs that name something rather than load it.
NAMESPACES = ("http://www.w3.org/",)


def csp(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


@pytest.fixture
def answers(app, login, client):
    """One answer of each kind: public page, logged-in page, JSON, error page, static file,
    redirect, download."""
    with app.app_context():
        actor_id = factories.actor(name="Welthaus Aachen").id
    editor = login("editor")
    return {
        "login page": client.get("/login"),
        "redirect to login": client.get("/akteure/"),
        "page": editor.get("/profil"),
        "JSON of one": editor.get(f"/api/actors/{actor_id}"),
        "JSON": editor.get("/api/actors"),
        "401 JSON": client.get("/api/actors"),
        "404 page": editor.get("/akteure/999999"),
        "static file": client.get("/static/css/app.css"),
        "download": editor.get("/export/netzwerk.json"),
    }


def test_csp_allows_scripts_only_from_our_own_origin(answers):
    for name, response in answers.items():
        policy = csp(response)
        assert policy, f"{name}: no Content-Security-Policy"
        assert policy.get("default-src") == ["'self'"], name
        # no 'unsafe-inline', 'unsafe-eval', data:, *, or another host for scripts
        assert policy.get("script-src", policy["default-src"]) == ["'self'"], name
        assert policy.get("frame-ancestors") == ["'none'"], name
        assert policy.get("base-uri") == ["'self'"], name
        assert policy.get("form-action") == ["'self'"], name
        assert policy.get("object-src", policy["default-src"]) in (["'none'"], ["'self'"]), name
        for directive, sources in policy.items():
            remote = [s for s in sources if s == "*" or "://" in s or s.endswith(":")]
            remote = [s for s in remote if s not in ("data:", "blob:")]
            assert not remote, f"{name}: {directive} allows {remote}"
        if "script-src" in policy:
            assert "data:" not in policy["script-src"] and "blob:" not in policy["script-src"]


def test_other_security_headers_on_every_answer(answers):
    for name, response in answers.items():
        assert response.headers.get("X-Content-Type-Options") == "nosniff", name
        assert response.headers.get("Referrer-Policy") in (
            "no-referrer",
            "same-origin",
            "strict-origin",
            "strict-origin-when-cross-origin",
        ), name
        assert response.headers.get("X-Frame-Options") == "DENY", name


def _session_cookie(response) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, "the login set no session cookie"
    return cookies[-1]


def _log_in(app, make_user) -> str:
    make_user("cookie-test", "viewer")
    c = app.test_client()
    response = c.post(
        "/login",
        data={"username": "cookie-test", "password": PASSWORD, "csrf_token": csrf_token(c)},
    )
    assert response.status_code == 302
    return _session_cookie(response)


def _flags(cookie: str) -> dict[str, str]:
    flags = {}
    for part in cookie.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        flags[name.lower()] = value
    return flags


def test_session_cookie_is_httponly_and_samesite_lax(app, make_user):
    flags = _flags(_log_in(app, make_user))
    assert "httponly" in flags
    assert flags.get("samesite") == "Lax"
    assert "secure" not in flags  # served over plain http (the test setup, a laptop)


@pytest.mark.parametrize(
    ("base_url", "secure"),
    [
        ("https://netzwerk.aachen.de", True),
        ("http://127.0.0.1:5000", False),
        ("", False),
    ],
)
def test_cookies_are_secure_exactly_when_the_site_is_served_over_https(
    tmp_path, monkeypatch, base_url, secure
):
    monkeypatch.setenv("NETZWERK_BASE_URL", base_url)
    monkeypatch.setenv("NETZWERK_SECRET_KEY", "x")
    settings = config.load(tmp_path)
    assert settings["SESSION_COOKIE_SECURE"] is secure
    assert settings["REMEMBER_COOKIE_SECURE"] is secure
    assert settings["SESSION_COOKIE_HTTPONLY"] is True
    assert settings["SESSION_COOKIE_SAMESITE"] == "Lax"


class TestServedOverHttps:
    @pytest.fixture
    def app_config(self, monkeypatch):
        monkeypatch.setenv("NETZWERK_BASE_URL", "https://netzwerk.aachen.de")
        return {"BASE_URL": "https://netzwerk.aachen.de"}

    def test_session_cookie_is_secure(self, app, make_user):
        flags = _flags(_log_in(app, make_user))
        assert "secure" in flags
        assert "httponly" in flags
        assert flags.get("samesite") == "Lax"


# --- what the templates and static files may contain ----------------------------------------


def _files(root: Path, *suffixes: str) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in suffixes)


def _without_comments(text: str) -> str:
    """Jinja and HTML comments may mention anything."""
    text = re.sub(r"\{#.*?#\}", "", text, flags=re.S)
    return re.sub(r"<!--.*?-->", "", text, flags=re.S)


TAG = re.compile(r"<([a-zA-Z][a-zA-Z0-9-]*)\b((?:[^<>{]|\{\{.*?\}\}|\{%.*?%\}|\{)*)>", re.S)


def _template_problems(path: Path) -> list[str]:
    name = path.relative_to(TEMPLATES).as_posix()
    text = _without_comments(path.read_text("utf-8"))
    problems = []
    line = lambda pos: text.count("\n", 0, pos) + 1  # noqa: E731
    for m in TAG.finditer(text):
        tag, attrs = m.group(1).lower(), m.group(2)
        where = f"{name}:{line(m.start())}"
        inline_script = "src=" not in attrs and not re.search(r"type=[\"']application/json", attrs)
        if tag == "script" and name not in STANDALONE and inline_script:
            problems.append(f"{where}: inline <script> (put it in static/js/*.js)")
        if re.search(r"(?:^|\s)on[a-z]+\s*=", attrs):
            problems.append(f"{where}: inline event handler in <{tag}> (use addEventListener)")
        if re.search(r"=\s*[\"']?\s*javascript:", attrs, re.I):
            problems.append(f"{where}: javascript: URL in <{tag}>")
        for url in re.findall(
            r"\b(?:src|href|action|srcset|poster|data|formaction)\s*=\s*[\"']?\s*((?:https?:)?//[^\s\"'>]*)",
            attrs,
            re.I,
        ):
            if not url.startswith(NAMESPACES):
                problems.append(f"{where}: <{tag}> loads or links {url} (another host)")
    if re.search(r"\|\s*safe\b", text):
        problems.append(f"{name}: uses |safe (autoescaping must stay on)")
    if re.search(r"\{%-?\s*autoescape\s+(false|off)", text, re.I):
        problems.append(f"{name}: turns autoescaping off")
    for url in re.findall(r"url\(\s*[\"']?\s*((?:https?:)?//[^)\"']*)", text):
        problems.append(f"{name}: style loads {url} (another host)")
    return problems


def test_templates_keep_to_the_content_security_policy():
    templates = _files(TEMPLATES, ".html", ".htm", ".xml", ".svg", ".txt", ".ics")
    assert len(templates) > 20
    problems = [p for path in templates for p in _template_problems(path)]
    assert not problems, "\n".join(problems)


def _code_without_comments(text: str, suffix: str) -> str:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    if suffix == ".js":
        text = re.sub(r"(?m)^\s*//.*$", "", text)
    if suffix == ".svg":
        text = _without_comments(text)
    return text


def test_static_files_load_nothing_from_other_hosts():
    files = _files(STATIC, ".js", ".mjs", ".css", ".svg", ".html", ".json", ".webmanifest")
    assert files
    problems = []
    for path in files:
        text = _code_without_comments(path.read_text("utf-8"), path.suffix)
        for m in re.finditer(r"(?:https?:)?//[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}[^\s\"'`)]*", text):
            url = m.group(0)
            before = text[max(0, m.start() - 1) : m.start()]
            if url.startswith("//") and before not in ("'", '"', "(", "`"):
                continue  # a // line comment after code, not a protocol-relative URL
            if url.startswith(NAMESPACES):
                continue
            line = text.count("\n", 0, m.start()) + 1
            problems.append(f"{path.relative_to(ROOT)}:{line}: {url}")
        if path.suffix == ".js" and re.search(r"\beval\s*\(|\bnew\s+Function\s*\(", text):
            problems.append(f"{path.relative_to(ROOT)}: eval/new Function (blocked by the CSP)")
    assert not problems, "references to other hosts:\n" + "\n".join(problems)


def test_the_checks_find_what_they_look_for(tmp_path, monkeypatch):
    """The scanners themselves: each forbidden thing in a sample template is reported."""
    monkeypatch.setattr("tests.test_security_headers.TEMPLATES", tmp_path)
    sample = tmp_path / "probe.html"
    sample.write_text(
        "{# <script>ok in a comment</script> #}\n"
        '<script src="/static/js/app.js"></script>\n'
        '<script type="application/json">{"a": 1}</script>\n'
        "<script>alert(1)</script>\n"
        '<button type="button" onclick="go()">x</button>\n'
        '<a href="javascript:go()">x</a>\n'
        '<img src="https://cdn.example.com/x.png" alt="">\n'
        '<link rel="stylesheet" href="//fonts.example.com/x.css">\n'
        '<svg xmlns="http://www.w3.org/2000/svg"></svg>\n'
        '<div class="{{ a if b > c }}">{{ text|safe }}</div>\n'
        '<p style="background: url(https://example.com/bg.png)">x</p>\n',
        "utf-8",
    )
    problems = "\n".join(_template_problems(sample))
    assert "probe.html:4: inline <script>" in problems
    assert "probe.html:5: inline event handler in <button>" in problems
    assert "probe.html:6: javascript: URL in <a>" in problems
    assert "https://cdn.example.com/x.png" in problems
    assert "//fonts.example.com/x.css" in problems
    assert "w3.org" not in problems
    assert "uses |safe" in problems
    assert "style loads https://example.com/bg.png" in problems
    assert len(problems.splitlines()) == 7, problems
