"""Every page in English is English: each GET page the route walk of test_security_routes.py
knows (with its sample objects from the Aachen demo) is rendered with ?lang=en, and no German
msgid of the catalogue may appear in its text, its tooltips or its placeholders."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from babel.messages.pofile import read_po

from tests.test_i18n import PO, compiled_catalogue  # noqa: F401  (fixture: compiles the .mo)
from tests.test_security_routes import DemoWorld, checked_rules, session_of, urls_for

pytestmark = pytest.mark.usefixtures("fast_passwords")

# attributes a reader sees or hears
SHOWN_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt", "label")
# pages not in the interface language on purpose
OWN_LANGUAGE = {
    "workshops.rsvp",  # the invitee's page speaks the invitee's language
    "workshops.vote",
    "workshops.sign_in_sheet",  # printed for the room, in the workshop's language
}


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class Texts(HTMLParser):
    """Text nodes and shown attribute values of a page; scripts, styles and what is marked
    lang="de" on purpose (a German column name beside its English one) left out."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.items: list[str] = []
        self._open: list[tuple[str, bool]] = []  # tag, skipped

    def _skipping(self) -> bool:
        return any(skip for _, skip in self._open)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        skip = tag in ("script", "style") or attrs.get("lang") == "de"
        if not skip and not self._skipping():
            self.items += [attrs[n] for n in SHOWN_ATTRIBUTES if attrs.get(n)]
        if tag not in VOID:
            self._open.append((tag, skip))

    def handle_endtag(self, tag):
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index][0] == tag:
                del self._open[index:]
                break

    def handle_data(self, data):
        if not self._skipping() and data.strip():
            self.items.append(data)


def texts(html: str) -> list[str]:
    parser = Texts()
    parser.feed(html)
    return [" ".join(t.split()) for t in parser.items]


def german_patterns() -> tuple[list[tuple[str, re.Pattern]], set[str]]:
    """Each msgid whose English differs, as a pattern for a whole text (placeholders match
    anything, but a msgid needs some words of its own); long ones are also looked for inside a
    text. Also every English string, since a German word can be English too ("Filter")."""
    with open(PO, "rb") as fh:
        catalog = read_po(fh, locale="en")
    english = {
        " ".join(s.split())
        for m in catalog
        for s in (m.string if isinstance(m.string, tuple) else (m.string,))
        if s
    }
    patterns = []
    for message in catalog:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for msgid in ids:
            if not msgid or msgid in strings or not re.search(r"[A-Za-zÄÖÜäöüß]{3}", msgid):
                continue
            parts = re.split(r"%\(\w+\)[sd]|%[sd]|\{\w+\}", " ".join(msgid.split()))
            if len(parts) > 1 and len("".join(parts).strip()) < 10:
                continue  # "%(have)s von %(need)s" would match any text with "von" in it
            body = ".+?".join(re.escape(p) for p in parts)
            patterns.append((msgid, re.compile(f"^{body}$")))
            longest = max(parts, key=len).strip()
            if len(longest) >= 40 and " " in longest:  # user data may quote a short phrase
                patterns.append((msgid, re.compile(re.escape(longest))))
    return patterns, english


@pytest.fixture
def demo(app):
    from netzwerk.demo.services import load_demo
    from netzwerk.network import reference_store
    from netzwerk.network.positions import place_new_nodes

    with app.app_context():
        load_demo()
        reference_store.ensure_reference()
        place_new_nodes()
    return app


def test_every_page_in_english_shows_no_german_msgid(demo, login):
    app = demo
    client = login("admin", username="admin-user")
    client.get("/?lang=en")
    _cookie, _token, user_id = session_of(app, lambda role: client, "admin")
    world = DemoWorld(app, user_id)
    patterns, english = german_patterns()
    found: dict[str, set[str]] = {}
    pages = 0
    for rule, method in checked_rules(app):
        if method != "GET" or rule.rule.startswith("/api/") or rule.endpoint in OWN_LANGUAGE:
            continue
        for url in urls_for(app, rule, world):
            response = client.get(url, headers={"Accept-Language": "en"})
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            pages += 1
            for text in texts(response.get_data(as_text=True)):
                if text in english:
                    continue
                for msgid, pattern in patterns:
                    if pattern.search(text):
                        found.setdefault(f"{msgid!r}", set()).add(rule.rule)
    assert pages > 40
    report = [f"{msgid} on {', '.join(sorted(rules))}" for msgid, rules in sorted(found.items())]
    assert not found, f"{len(found)} German msgids on English pages:\n" + "\n".join(report)


def test_one_of_a_kind_is_counted_in_the_singular(app, login):
    from tests import factories

    with app.app_context():
        actor = factories.actor(name="Welthaus Aachen")
        factories.contact(actor)
        factories.link(actor, factories.topic())
    viewer = login("viewer")
    dashboard = viewer.get("/").get_data(as_text=True)
    assert "<strong>1</strong> Thema" in dashboard and "<strong>1</strong> Akteur<" in dashboard
    assert "<strong>1</strong> Kontakt<" in dashboard and "1</strong> Themen" not in dashboard
    english = viewer.get("/?lang=en").get_data(as_text=True)
    assert "<strong>1</strong> topic<" in english and "<strong>0</strong> relations" in english
    table = viewer.get("/karte/tabelle?lang=de").get_data(as_text=True)
    assert "1 Thema," in table and "1 Themen" not in table
