"""The XSS corpus in Chromium: hostile text in every text field, then every page, the map with its
tooltips and side panel, the standalone HTML map and the invitation and poll e-mails are opened,
and nothing runs.

The pages come from the URL map (every GET rule, its parameters filled as in
tests/test_security_routes.py), so a new page is covered without being listed here. Pages that
show an object's fields (SHOWN, FORMS) are opened for the objects of every payload, other pages
with parameters for those of the polyglot payload; pages without parameters (the lists, which
show every payload object) also in English and with the polyglot in every query parameter their
GET forms send.

On each page we watch for dialogs, requests to the probe or to another host and
Content-Security-Policy reports (an injected inline script or handler that the CSP stopped), look
for markup that came from data (event-handler attributes, `javascript:` links, the probe as a
source), check that no entity shows up as text (`&lt;` on screen means double escaping) and that
detail pages and forms show the stored values literally. All findings are collected and reported
together, each with the page and the payload's tag.
"""

from __future__ import annotations

import email
import email.policy
import re
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from netzwerk.extensions import db
from tests import xss_corpus
from tests.test_security_routes import urls_for

pytestmark = pytest.mark.browser

PAGE_TIMEOUT = 10_000  # ms per page

# Findings in the DOM: markup that can only have come from data. Returns a list of strings.
DOM_CHECK = """() => {
  const bad = [];
  const probe = (value) => {
    try {
      const url = new URL(value, document.baseURI);
      if (url.protocol === "javascript:") return "javascript: URL";
      if (url.pathname.endsWith("/xss-probe")) return "probe URL";
    } catch (e) { /* not a URL: text in an attribute */ }
    return null;
  };
  const short = (el) => el.outerHTML.slice(0, 160);
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      if (attr.name.startsWith("on")) bad.push("event handler attribute: " + short(el));
      if (["href", "src", "action", "formaction", "data", "srcdoc", "poster",
           "background", "xlink:href"].includes(attr.name)) {
        const why = probe(attr.value);
        if (why) bad.push(why + " in " + attr.name + ": " + short(el));
      }
    }
  }
  const foreign = "iframe, object, embed, base:not([data-test]), meta[http-equiv=refresh i]";
  for (const el of document.querySelectorAll(foreign)) {
    bad.push("element from data: " + short(el));
  }
  for (const el of document.querySelectorAll("script:not([src])")) {
    if (el.type === "application/json") continue;
    if (/alert\\('x\\d+[a-z]\\d'\\)|xss-probe/.test(el.textContent)) {
      bad.push("inline script from data: " + short(el));
    }
  }
  return bad;
}"""

PAGE_STATE = (
    """() => {
  const bad = ("""
    + DOM_CHECK
    + """)();
  const fields = {};
  for (const el of document.querySelectorAll("input[name], textarea[name]")) {
    if (el.type === "hidden" || el.type === "checkbox" || el.type === "radio") continue;
    if (!(el.name in fields)) fields[el.name] = [el.tagName.toLowerCase(), el.value];
  }
  const query = new Set();  // what the page's GET forms (filters, search) send back to it
  for (const form of document.querySelectorAll("form")) {
    if (form.method !== "get") continue;
    for (const el of form.elements) if (el.name) query.add(el.name);
  }
  const text = document.body ? document.body.innerText : "";
  return { bad, text, fields, query: [...query] };
}"""
)

ENTITIES_AS_TEXT = re.compile(r"&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-f]+);", re.I)

# Which stored values a page must show literally (entity, fields), by endpoint.
SHOWN = {
    "actors.show": [
        ("actor", ["name", "short_name", "city", "website", "description", "external_id"]),
        ("contact", ["name", "function", "phone"]),
        ("link", ["note"]),
        ("relation", ["note"]),
        ("category", ["label_de"]),
    ],
    "topics.show": [("topic", ["code", "title", "description"])],
    "workshops.show": [
        ("workshop", ["title", "location", "online_url", "agenda", "organizer_name"])
    ],
    "workshops.results": [("workshop", ["title"])],
    "workshops.invitations": [("contact", ["name"]), ("invitation", ["comment"])],
    "workshops.rsvp": [("workshop", ["title", "location", "online_url"])],
    "exchange.subject_access": [("contact", ["name", "function", "phone", "notes"])],
    "network.reference": [("item", ["reason"])],
    "surveys.show": [("survey", ["title"])],
    "surveys.respond": [("survey", ["title", "intro"])],
    "surveys.review": [("survey", ["title"]), ("nomination", ["name", "reason"])],
    "actors.categories": [("category", ["label_de", "label_en"])],
    "auth.users": [("user", ["display_name"])],
    "auth.profile": [("api_token", ["name"])],
}

# Forms whose fields hold the stored values of one entity: the value must come back unchanged.
FORMS = {
    "actors.edit": "actor",
    "actors.edit_contact": "contact",
    "actors.edit_relation": "relation",
    "actors.edit_topic_link": "link",
    "actors.edit_category": "category",
    "topics.edit": "topic",
    "workshops.edit": "workshop",
    "workshops.results": "workshop",
    "network.edit_reference": "item",
    "auth.edit_user": "user",
}

# URL parameter → entity of the corpus (IndexedWorld attributes SAMPLES asks for)
WORLD = {
    "actor": "actor",
    "other": "actor",
    "relation": "relation",
    "contact": "contact",
    "topic": "topic",
    "link": "link",
    "user": "user",
    "api_token": "api_token",
    "item": "item",
    "key": "category",
    "workshop": "workshop",
    "invitation": "invitation",
    "slot": "slot",
    "batch": "batch",
    "rsvp_token": "rsvp_token",
    "project": "project",
    "outcome": "outcome",
    "follow_up": "follow_up",
    "goal": "goal",
    "measure": "measure",
    "draft": "draft",
    "reflection_link": "reflection_link",
    "reflection_token": "reflection_token",
    "status_update": "status_update",
    "indicator_value": "indicator_value",
    "survey": "survey",
    "recipient": "recipient",
    "proposal": "proposal",
    "survey_token": "survey_token",
    "survey_batch": "survey_batch",
}


def flat(text: str) -> str:
    """Whitespace as a browser shows it: any run of it (CR/LF, U+2028 ...) is one space."""
    return " ".join(str(text).split())


class IndexedWorld:
    """What SAMPLES asks for (`w.actor`, `w.workshop` ...), naming the objects of payload i."""

    def __init__(self, corpus: xss_corpus.Corpus, index: int):
        self.corpus = corpus
        self.index = index

    def __getattr__(self, name: str):
        if name == "feed_token":
            return self.corpus.feed_token
        if name not in WORLD:
            raise AttributeError(
                f"tests/browser/test_xss_corpus.py: WORLD has no entry for the URL sample {name!r}"
            )
        return self.corpus.ids[WORLD[name]][self.index]


def page_urls(app, corpus) -> tuple[list[tuple[str, str, int | None]], list[str]]:
    """(url, endpoint, payload index) for every GET rule, and the rules no sample fits.

    Pages that show an object's fields (SHOWN, FORMS) are opened for the objects of every
    payload; the other pages with parameters for those of payload 0, the polyglot; pages
    without parameters once (lists: they show every payload object)."""
    urls, missing, seen = [], [], set()
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        every = rule.endpoint in SHOWN or rule.endpoint in FORMS
        indexes = range(corpus.n) if rule.arguments and every else [0]
        for index in indexes:
            try:
                found = urls_for(app, rule, IndexedWorld(corpus, index))
            except (KeyError, AttributeError) as exc:
                missing.append(f"{rule.rule}: {exc.args[0]}")
                break
            for url in found:
                if url not in seen:
                    seen.add(url)
                    urls.append((url, rule.endpoint, index if rule.arguments else None))
    return urls, missing


class Watch:
    """Everything a page does that only an executed payload would do."""

    def __init__(self, corpus, live_url: str):
        self.corpus = corpus
        self.live_url = live_url
        self.where = "setup"
        self.failures: list[str] = []

    def fail(self, message: str) -> None:
        self.failures.append(f"{self.where}: {self.corpus.explain(message)}")

    def attach(self, page) -> None:
        def on_dialog(dialog):
            self.fail(f"{dialog.type} opened: {dialog.message!r}")
            dialog.dismiss()

        def on_request(request):
            url = request.url
            if urlsplit(url).path.endswith(xss_corpus.PROBE):
                self.fail(f"request to the probe: {url}")
            elif not url.startswith((self.live_url, "data:", "blob:", "about:", "file:")):
                self.fail(f"request to another host: {url}")

        def on_console(message):
            if "Content Security Policy" in message.text:
                self.fail(f"CSP stopped something: {message.text[:200]}")

        page.on("dialog", on_dialog)
        page.on("request", on_request)
        page.on("console", on_console)

    def check_dom(self, page) -> None:
        for finding in page.evaluate(DOM_CHECK):
            self.fail(finding)

    def check_text(self, text: str) -> None:
        if match := ENTITIES_AS_TEXT.search(text):
            start = max(match.start() - 40, 0)
            self.fail(
                f"escaped twice, {match.group()!r} on screen: {text[start : match.end() + 40]!r}"
            )


def is_html(response) -> bool:
    disposition = response.headers.get("content-disposition", "")
    content_type = response.headers.get("content-type", "")
    return content_type.startswith("text/html") and "attachment" not in disposition


def expected_text(corpus, endpoint: str, index: int | None) -> list[tuple[str, str]]:
    """(what, value) the page must show literally."""
    wanted = []
    for entity, names in SHOWN.get(endpoint, []):
        rows = corpus.stored[entity] if index is None else [corpus.stored[entity][index]]
        for row in rows:
            wanted += [(f"{entity}.{name}", row[name]) for name in names if row[name]]
    return wanted


def open_page(page, url: str, watch: Watch, statuses=(200,), where: str = "") -> dict:
    """Open a page and report what only a payload could have done; its state for more checks."""
    watch.where = where or url
    response = page.goto(url, wait_until="load", timeout=PAGE_TIMEOUT)
    if response is None or response.status not in statuses:
        watch.fail(f"answered {response.status if response else 'nothing'}")
    state = page.evaluate(PAGE_STATE)
    for finding in state["bad"]:
        watch.fail(finding)
    watch.check_text(state["text"])
    return state


def visit_pages(page, app, corpus, watch: Watch) -> tuple[int, int]:
    """Every GET page with the payload objects; then the pages without parameters in English
    and with the polyglot in every parameter their GET forms (filters, search) send."""
    urls, missing = page_urls(app, corpus)
    for message in missing:
        watch.where = "URL map"
        watch.fail(message)
    kinds: dict[str, bool] = {}  # endpoint and URL shape → an HTML page (not a download)
    plain: list[tuple[str, list[str]]] = []  # pages without parameters, their query names
    visited = skipped = 0
    for url, endpoint, index in urls:
        watch.where = url
        shape = endpoint + re.sub(r"[^/]*\d[^/]*", "#", url)
        if shape not in kinds:
            answer = page.request.get(url, max_redirects=0, fail_on_status_code=False)
            kinds[shape] = is_html(answer)
        if not kinds[shape]:
            skipped += 1
            continue
        state = open_page(page, url, watch)
        visited += 1
        if index is None:
            plain.append((url, state["query"]))
        shown = flat(state["text"])
        for what, expected in expected_text(corpus, endpoint, index):
            if flat(expected) not in shown:
                watch.fail(f"{what} not shown literally: {expected!r}")
        if endpoint in FORMS and index is not None:
            for name, expected in corpus.stored[FORMS[endpoint]][index].items():
                if name not in state["fields"]:
                    continue
                tag, got = state["fields"][name]
                # a textarea reports CR LF as LF; a one-line input drops line breaks
                expected = expected.replace("\r\n", "\n")
                if tag == "input":
                    expected = expected.replace("\n", "").replace("\r", "")
                if got != expected:
                    watch.fail(f"form field {name} shows {got!r}, stored {expected!r}")

    page.goto("/?lang=en")  # the language sticks to the session
    for url, _ in plain:
        open_page(page, url, watch, where=f"{url} (English)")
        visited += 1
    page.goto("/?lang=de")

    reflected = xss_corpus.PAYLOADS[0].text("x0q0")
    corpus.tags["x0q0"] = "a query parameter ← polyglot"
    for url, names in plain:
        query = urlencode(dict.fromkeys(sorted({*names, "q", "next"}), reflected))
        # a filter value it does not know may be refused (400/404/422), but not with a crash
        where = f"{url}?{'&'.join(f'{name}=' for name in sorted(names))}<polyglot>"
        open_page(page, f"{url}?{query}", watch, statuses=(200, 400, 404, 422), where=where)
        visited += 1
    return visited, skipped


# --- the map ---------------------------------------------------------------------------------


MAP_READY = "#map-canvas[data-state=ready]"
# topics, gaps and workshops are hovered for these payloads (their tooltips share one code path);
# every payload actor is hovered
MAP_SAMPLE = (0, 3, 11)  # polyglot, attribute break, line breaks in JSON


def hover(page, canvas: str, position: dict, tooltip: str) -> tuple[str | None, tuple]:
    """Move the mouse away, then onto the node; the tooltip's text (None if none showed)."""
    box = page.locator(canvas).bounding_box()
    x, y = box["x"] + position["x"], box["y"] + position["y"]
    if not (box["x"] < x < box["x"] + box["width"] and box["y"] < y < box["y"] + box["height"]):
        return None, (x, y)
    tip = page.locator(tooltip)
    page.mouse.move(box["x"] + 1, box["y"] + box["height"] - 1)
    try:
        if tip.count() and tip.is_visible():
            tip.wait_for(state="hidden", timeout=2000)
        page.mouse.move(x, y)
        tip.wait_for(state="visible", timeout=2000)
    except PlaywrightTimeout:
        return None, (x, y)
    return tip.inner_text(), (x, y)


def open_map(page, query: str, actor_name: str) -> None:
    """Draw the map with the side panel open, so the canvas keeps its size while we point."""
    page.goto("/karte" + query, timeout=PAGE_TIMEOUT)
    page.wait_for_selector(MAP_READY, state="attached")
    page.evaluate("(name) => window.netzwerkMap.search(name)", actor_name)
    page.locator("#map-panel").wait_for(state="visible")
    page.evaluate("document.getElementById('map-filters').requestSubmit()")
    page.wait_for_selector(MAP_READY, state="attached")


def check_map_node(page, node_id: str, watch: Watch) -> bool:
    """Hover the node (tooltip) and click it (side panel); both must name it, as text."""
    watch.where = f"{page.url}, node {node_id}"
    node = page.evaluate("(id) => window.netzwerkMap.node(id)", node_id)
    expected = node.get("name") or node.get("label")
    position = page.evaluate("(id) => window.netzwerkMap.canvasPosition(id)", node_id)
    text, (x, y) = hover(page, "#map-canvas", position, "div.vis-tooltip")
    if (text is None or flat(expected) not in flat(text)) and node["kind"] == "actor":
        # another node in the way: the map's search zooms to this one (400 ms)
        page.evaluate("(name) => window.netzwerkMap.search(name)", node["name"])
        page.wait_for_timeout(500)
        position = page.evaluate("(id) => window.netzwerkMap.canvasPosition(id)", node_id)
        text, (x, y) = hover(page, "#map-canvas", position, "div.vis-tooltip")
    if text is None or flat(expected) not in flat(text):
        watch.fail(f"no tooltip naming {expected!r} at the node (got {text!r})")
        return False
    watch.check_text(text)
    page.mouse.click(x, y)
    heading = page.locator("#map-panel h2")
    if flat(heading.inner_text()) != flat(expected):
        watch.fail(f"side panel names {heading.inner_text()!r}, not {expected!r}")
    watch.check_text(page.locator("#map-panel").inner_text())
    return True


def check_map(page, corpus, watch: Watch) -> int:
    """/karte: every payload actor, and topics, gaps and workshops of MAP_SAMPLE, hovered and
    clicked; topics and gaps with workshops hidden (a workshop sits on its topic)."""
    page.set_viewport_size({"width": 1600, "height": 1000})
    name = corpus.stored["actor"][0]["name"]
    topics = [f"t{corpus.ids['topic'][i]}" for i in MAP_SAMPLE]
    gaps = [f"g{corpus.ids['topic'][i]}-{corpus.ids['category'][i]}" for i in MAP_SAMPLE]
    workshops = [f"w{corpus.ids['workshop'][i]}" for i in MAP_SAMPLE]
    actors = [f"a{i}" for i in corpus.ids["actor"]]
    count = 0
    for query, wanted in (("?workshops=0", topics + gaps), ("", workshops + actors)):
        watch.where = "/karte" + query
        open_map(page, query, name)
        ids = set(page.evaluate("window.netzwerkMap.nodeIds()"))
        if missing := [i for i in wanted if i not in ids]:
            watch.fail(f"payload nodes missing from the map: {missing}")
        count += sum(check_map_node(page, node_id, watch) for node_id in wanted if node_id in ids)
        watch.where = "/karte" + query
        for finding in page.evaluate(DOM_CHECK):
            watch.fail(finding)
    page.set_viewport_size({"width": 1280, "height": 720})
    return count


# --- the standalone HTML map --------------------------------------------------------------------

# The export keeps its vis.Network in a closure; this keeps a handle on it for the test.
KEEP_NETWORK = """(() => {
  const vis = {};
  let Network;
  Object.defineProperty(vis, "Network", {
    configurable: true, enumerable: true,
    set(value) { Network = value; },
    get() {
      return Network && function (...args) {
        const network = new Network(...args);
        window.__network = network;
        return network;
      };
    },
  });
  window.vis = vis;
})();"""


def check_export(page, corpus, watch: Watch, tmp_path: Path) -> int:
    """Download karte.html through the link on /luecken and open it from disk."""
    watch.where = "/luecken export link"
    page.goto("/luecken", timeout=PAGE_TIMEOUT)
    with page.expect_download() as info:
        page.click("a[href$='/export/netzwerk.html']")
    path = tmp_path / "karte.html"
    info.value.save_as(path)
    export = page.context.new_page()
    watch.attach(export)
    export.add_init_script(KEEP_NETWORK)
    watch.where = "karte.html (file://)"
    export.goto(path.as_uri(), timeout=PAGE_TIMEOUT)
    watch.check_dom(export)
    watch.check_text(export.inner_text("body"))
    try:
        export.wait_for_selector("body[data-drawn='1']", state="attached", timeout=PAGE_TIMEOUT)
    except PlaywrightTimeout:
        watch.fail("the map was not drawn (its data or script broken?)")
        export.close()
        return 0
    count = 0
    for i, actor_id in enumerate(corpus.ids["actor"]):
        node_id = f"a{actor_id}"
        watch.where = f"karte.html, node {node_id}"
        name = corpus.stored["actor"][i]["name"]
        export.evaluate(
            "(id) => window.__network.focus(id, { scale: 1.5, animation: false })", node_id
        )
        position = export.evaluate(
            "(id) => window.__network.canvasToDOM(window.__network.getPositions([id])[id])",
            node_id,
        )
        text, (x, y) = hover(export, "#netzwerk-map", position, "div.vis-tooltip")
        if text is None or flat(name) not in flat(text):
            watch.fail(f"no tooltip naming {name!r} at the node (got {text!r})")
            continue
        watch.check_text(text)
        export.mouse.click(x, y)
        details = flat(export.inner_text("#details-text"))
        if flat(name) not in details:
            watch.fail(f"details show {details[:120]!r}, not {name!r}")
        count += 1
    watch.where = "karte.html (file://)"
    watch.check_dom(export)
    export.close()
    return count


# --- the e-mails ----------------------------------------------------------------------------------


def check_mails(page, outbox: Path, corpus, watch: Watch, live_url: str) -> int:
    """The text/html part of every .eml in the outbox, rendered with JavaScript on and without
    a CSP (as a lax mail client would): nothing runs, the workshop's or survey's title reads
    literally."""
    titles = [row["title"] for row in corpus.stored["workshop"]]
    titles += [row["title"] for row in corpus.stored["survey"]]
    reader = page.context.new_page()
    watch.attach(reader)
    files = sorted(outbox.glob("*.eml"))
    for path in files:
        watch.where = f"e-mail {path.name}"
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        html = message.get_body(preferencelist=("html",)).get_content()
        text = message.get_body(preferencelist=("plain",)).get_content()
        title = next((t for t in titles if flat(t) in flat(message["Subject"])), None)
        if title is None:
            watch.fail(f"subject names no payload workshop or survey: {message['Subject']!r}")
        elif flat(title) not in flat(text):
            watch.fail(f"plain text lacks the title {title!r}")
        # relative URLs (the probe) resolve against our server, so a request would be seen
        reader.set_content(f'<base href="{live_url}/" data-test>' + html, wait_until="load")
        watch.check_dom(reader)
        shown = reader.inner_text("body")
        watch.check_text(shown)
        if title is not None and flat(title) not in flat(shown):
            watch.fail(f"the mail does not show the title {title!r}")
    reader.close()
    return len(files)


# --- the test -----------------------------------------------------------------------------------


def test_xss_corpus_runs_nowhere(app, live_server, page, browser_login, tmp_path):
    from netzwerk.auth.models import User

    browser_login("admin")
    with app.app_context():
        admin_id = db.session.scalar(db.select(User.id).where(User.username == "browser-admin"))
        corpus = xss_corpus.fill(admin_id)
    assert any("javascript:" in r for r in corpus.refused), "javascript: as online link taken"

    watch = Watch(corpus, live_server.url)
    watch.attach(page)
    page.set_default_timeout(PAGE_TIMEOUT)

    visited, skipped = visit_pages(page, app, corpus, watch)
    nodes = check_map(page, corpus, watch)
    exported = check_export(page, corpus, watch, tmp_path)
    mails = check_mails(page, Path(app.config["OUTBOX_DIR"]), corpus, watch, live_server.url)

    print(
        f"\nxss corpus: {len(xss_corpus.PAYLOADS)} payloads, {len(corpus.tags)} tagged fields; "
        f"{visited} pages opened ({skipped} non-HTML downloads skipped), {nodes} map nodes and "
        f"{exported} export nodes hovered and clicked, {mails} e-mails rendered"
    )
    assert not watch.failures, f"{len(watch.failures)} findings:\n" + "\n".join(watch.failures)
    assert page.foreign_requests == []
    # an invitation and a poll per workshop, a mail per survey
    assert visited > 100 and mails == 3 * corpus.n
    assert nodes == corpus.n + 3 * len(MAP_SAMPLE) and exported == corpus.n
