"""Accessibility (BITV 2.0 / WCAG 2.1 AA) in Chromium.

axe-core (npm devDependency, node_modules/axe-core) checks every HTML page of the URL map in
German and English: as admin for the pages behind the login, anonymously for the public ones
(login, privacy notice, RSVP and poll pages by token), plus the states a user reaches by acting
(the map's side panel, forms showing their errors, the error page). All violations are collected
and reported at once. A second test uses only the keyboard to reach every function of the map
through its table view.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import PASSWORD
from tests.test_security_routes import DemoWorld, urls_for

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
MAP_READY = "#map-canvas[data-state=ready]"

RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => n.target.join(" ")),
  }));
}"""


@pytest.fixture(scope="module")
def axe_script() -> Path:
    if not AXE.exists():
        message = (
            "axe-core is missing (node_modules/axe-core/axe.min.js): run "
            "`npm ci --no-audit --no-fund` in the repository root"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip("ACCESSIBILITY TESTS SKIPPED: " + message)
    return AXE


# --- the pages ------------------------------------------------------------------------------


def html_pages(app, client, world: DemoWorld, public: bool) -> list[str]:
    """GET routes answering an HTML page (200) to this client: public ones or the others."""
    urls = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint == "static" or rule.rule.startswith("/api"):
            continue
        if getattr(app.view_functions[rule.endpoint], "is_public", False) != public:
            continue
        for url in urls_for(app, rule, world):
            response = client.get(url)
            if response.status_code == 200 and response.mimetype == "text/html":
                urls.append(url)
    return urls


@pytest.fixture
def demo_site(app):
    """The Aachen demo plus a workshop with invitations sent, a poll slot and an API token."""
    from netzwerk.demo.services import load_demo
    from netzwerk.network import reference_store

    with app.app_context():
        load_demo()
        reference_store.ensure_reference()
    world = DemoWorld(app, None)
    world.slot  # noqa: B018 - the poll has something to vote on
    world.batch  # noqa: B018 - the invitations went out: delivery page, RSVP token
    world.api_token  # noqa: B018 - the profile lists a token
    return world


def log_in(page, username: str) -> None:
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


class Checker:
    """Runs axe on the current page of one browser context and keeps what it found."""

    def __init__(self, lang: str):
        self.lang = lang
        self.checked: list[str] = []
        self.violations: list[str] = []
        self.rules: set[str] = set()

    def check(self, page, label: str) -> None:
        assert page.get_attribute("html", "lang") == self.lang, f"{label}: not in {self.lang}"
        self.checked.append(label)
        for v in page.evaluate(RUN_AXE, WCAG_TAGS):
            self.rules.add(v["id"])
            targets = ", ".join(v["nodes"][:4]) + (" …" if len(v["nodes"]) > 4 else "")
            self.violations.append(
                f"[{self.lang}] {label}: {v['id']} ({v['impact']}, {len(v['nodes'])}×) "
                f"{v['help']} → {targets}"
            )

    def visit(self, page, url: str) -> None:
        page.goto(url)
        if urlsplit(url).path in ("/karte", "/map"):
            page.wait_for_selector(MAP_READY, state="attached")
        self.check(page, url)


ERRORS_ANNOUNCED = """() => [...document.querySelectorAll("[aria-invalid=true]")].map((field) => {
  const ids = (field.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
  const described = ids.map((id) => document.getElementById(id)).filter(Boolean);
  const announced = described.some((el) => el.closest("[role=alert]") && el.textContent.trim());
  return announced ? null : field.name || field.id;
}).filter(Boolean)"""


IMPORT_OK = "Name;Kategorie;Ort\nEine-Welt-Forum Eilendorf;eine-welt-gruppe;Aachen\n"
IMPORT_BAD = "Name;Kategorie\nNeuer Verein;gibtsnicht\n;schule\n"


def check_errors(checker: Checker, page, label: str) -> None:
    """A form shown again with errors: fields say they are invalid and name the error."""
    assert page.locator("[aria-invalid=true]").count() > 0, f"{label}: no field marked invalid"
    assert page.evaluate(ERRORS_ANNOUNCED) == [], f"{label}: errors not tied to their fields"
    checker.check(page, label)


def send_empty(checker: Checker, page, label: str) -> None:
    page.locator("main button[type=submit]").last.click()
    page.wait_for_load_state()
    check_errors(checker, page, f"{label} (sent empty: errors shown)")


def check_states(checker: Checker, page, tmp_path: Path) -> None:
    """What a page shows only after the user acts."""
    page.goto("/karte")
    page.wait_for_selector(MAP_READY, state="attached")
    page.fill("#map-search-input", "Weltladen")
    page.press("#map-search-input", "Enter")
    page.wait_for_selector("#map-panel:not([hidden])")
    checker.check(page, "/karte (side panel of an actor)")
    checker.visit(page, "/karte?ansicht=akteurslandkarte&topic=SDG12")  # the Akteurslandkarte
    checker.visit(page, "/karte?seit=2026-01-01")  # the comparison: marks, counts, legend
    checker.visit(page, "/karte/tabelle?seit=2026-01-01")

    for url in ("/akteure/neu", "/themen/neu", "/workshops/neu"):
        page.goto(url)
        send_empty(checker, page, url)

    upload = "form[enctype='multipart/form-data'] button[type=submit]"
    for name, rows, rejected in (("new", IMPORT_OK, 0), ("rejected rows", IMPORT_BAD, 1)):
        page.goto("/austausch/")
        page.set_input_files(
            "input[type=file]",
            files=[{"name": "akteure.csv", "mimeType": "text/csv", "buffer": rows.encode()}],
        )
        page.locator(upload).click()
        page.wait_for_load_state()
        assert page.locator("#rejected-head").count() == rejected, name
        checker.check(page, f"import preview ({name})")

    if checker.lang == "de":  # the standalone map file is German only; opened from the disk
        export = tmp_path / "netzwerk.html"
        export.write_bytes(page.request.get("/export/netzwerk.html").body())
        page.goto(export.as_uri())
        page.wait_for_selector("#netzwerk-map canvas")
        checker.check(page, "/export/netzwerk.html (the downloaded file)")

    page.goto("/akteure/999999")
    checker.check(page, "/akteure/999999 (404 page)")


def test_every_page_has_no_wcag_21_aa_violations(
    axe_script, app, browser, live_server, demo_site, login, tmp_path
):
    private = html_pages(app, login("admin"), demo_site, public=False)  # user "admin-user"
    public = html_pages(app, app.test_client(), demo_site, public=True)
    assert len(private) > 40 and "/karte" in private and "/karte/tabelle" in private
    assert "/login" in public and any(u.startswith("/einladung/") for u in public)
    assert any(u.endswith("/umfrage") and u.startswith("/einladung/") for u in public)

    checkers = []
    for lang in ("de", "en"):
        # axe is added to every document before the page's own scripts; the page's CSP
        # (script-src 'self') stays in force, so what is checked is what users get
        context = browser.new_context(base_url=live_server.url, locale=f"{lang}-DE")
        context.add_init_script(path=str(axe_script))
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))

        anonymous = Checker(lang)
        page.goto(f"/login?lang={lang}")
        for url in public:
            anonymous.visit(page, url)
        rsvp = next(u for u in public if re.fullmatch(r"/einladung/[^/]+", u))
        page.goto(rsvp)
        send_empty(anonymous, page, "/einladung/<token>")
        page.goto("/login")
        page.fill("input[name=username]", "admin-user")
        page.fill("input[name=password]", "falsch")
        page.click("button[type=submit]")
        page.wait_for_load_state()
        check_errors(anonymous, page, "/login (wrong password)")

        admin = Checker(lang)
        log_in(page, "admin-user")
        page.goto(f"/?lang={lang}")
        for url in private:
            admin.visit(page, url)
        check_states(admin, page, tmp_path)
        context.close()
        checkers += [anonymous, admin]
        assert errors == [], f"[{lang}] scripts failed: {errors}"

    checked = sum(len(c.checked) for c in checkers)
    violations = [v for c in checkers for v in c.violations]
    rules = sorted(set().union(*(c.rules for c in checkers)))
    print(
        f"\naxe-core {WCAG_TAGS}: {checked} page views "
        f"({len(public)} public + {len(private)} admin pages + states, de and en), "
        f"{len(violations)} violations" + (f" of rules {', '.join(rules)}" if rules else "")
    )
    assert not violations, f"{len(violations)} WCAG 2.1 AA violations:\n" + "\n".join(violations)


# --- the map without a mouse ----------------------------------------------------------------

FOCUSED = r"""() => {
  const el = document.activeElement;
  return {tag: el.tagName.toLowerCase(), id: el.id, href: el.getAttribute("href") || "",
          text: (el.textContent || "").replace(/\s+/g, " ").trim(),
          visible: !!el.offsetParent || el === document.body};
}"""


def tab_to(page, wanted, what: str, limit: int = 400) -> dict:
    """Press Tab until the focused element satisfies `wanted`; it must be visible on the way."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if wanted(focused):
            assert focused["visible"], f"{what} gets the focus but is not visible"
            return focused
    raise AssertionError(f"{what}: not reached with {limit} presses of Tab")


SELECTED = "(s) => { const e = document.querySelector(s); return e.options[e.selectedIndex].text }"


def choose(page, select: str, label: str) -> None:
    """Change a focused <select> with the arrow keys until the option `label` is chosen."""
    for _ in range(50):
        if label in page.evaluate(SELECTED, select):
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"{label} not found in {select}")


def test_map_functions_work_by_keyboard_through_the_table(app, page, browser_login):
    from netzwerk.demo.services import load_demo

    with app.app_context():
        load_demo()
    browser_login("editor")

    # on the map: search an actor, its details get the focus, its neighbourhood by Enter
    page.goto("/karte")
    page.wait_for_selector(MAP_READY, state="attached")
    tab_to(page, lambda f: f["id"] == "map-search-input", "the map's search field")
    page.keyboard.type("Weltladen")
    page.keyboard.press("Enter")
    page.wait_for_selector("#map-panel:not([hidden])")
    assert page.evaluate("document.activeElement.id") == "map-panel"
    tab_to(page, lambda f: f["text"] == "Nachbarschaft zeigen", "the panel's neighbourhood button")
    page.keyboard.press("Enter")
    page.wait_for_selector("#map-ego:not([hidden])")
    assert "ego=a" in page.url

    # the table view, from the map's own link
    page.goto("/karte")
    tab_to(page, lambda f: f["id"] == "map-table-link", "the link to the table view")
    page.keyboard.press("Enter")
    page.wait_for_url("**/karte/tabelle")

    # filters: open them, pick a topic with the arrow keys, apply
    tab_to(page, lambda f: f["tag"] == "summary" and f["text"] == "Filter", "the filters")
    page.keyboard.press("Enter")
    tab_to(page, lambda f: f["id"] == "f-topic", "the topic filter")
    choose(page, "#f-topic", "SDG12")
    tab_to(page, lambda f: f["text"] == "Anwenden", "the filters' apply button")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/karte/tabelle\?.*topic=\d+"))
    assert page.locator("#topics + ul li").count() == 1

    # a gap offers "Akteur anlegen", prefilled with the missing group and the topic
    tab_to(page, lambda f: f["text"] == "Akteur anlegen", "a gap's create link")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/akteure/neu\?category=[\w-]+&topic=\d+"))
    assert page.locator("#category").input_value() != ""
    page.go_back()

    # the neighbourhood of an actor, then the actor's page
    tab_to(page, lambda f: f["text"].startswith("Nachbarn:"), "a neighbourhood link")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"ego=a\d+"))
    notice = page.locator("p.map-ego")
    assert notice.text_content().strip().startswith("Nachbarschaft von")
    actor = tab_to(
        page, lambda f: re.fullmatch(r"/akteure/\d+", f["href"]) is not None, "an actor link"
    )
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{actor['href']}")
    assert page.get_by_role("heading", level=1).text_content().strip().startswith(actor["text"])
    page.go_back()

    # and back to the whole table
    tab_to(page, lambda f: f["text"] == "Ganze Tabelle", "the way back from the neighbourhood")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "ego=" not in url)
    assert page.locator("p.map-ego").count() == 0
    assert page.foreign_requests == [] and page.console_errors == []
