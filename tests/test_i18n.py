"""The English interface: pages read in English with ?lang=en or the profile's language, German
stays the default, and the catalogue translates every German msgid the code and templates use."""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from netzwerk.workshops import invitations
from netzwerk.workshops import services as workshops
from tests import factories
from tests.conftest import PASSWORD, csrf_token
from tests.workshops_support import plan

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "netzwerk" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")

# what a German interface shows in the header; none of it may remain in the English one
GERMAN_CHROME = ("Übersicht", "Akteure", "Themen", "Karte", "Lücken", "Abmelden", "Verwaltung")


@pytest.fixture(autouse=True, scope="module")
def compiled_catalogue():
    """`make translations` compiles the .mo (it is not committed); compile it here too when it is
    missing or older than the .po, so this module also runs on its own."""
    if not MO.exists() or MO.stat().st_mtime < PO.stat().st_mtime:
        with open(PO, "rb") as fh:
            catalog = read_po(fh, locale="en")
        tmp = MO.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            write_mo(fh, catalog)
        os.replace(tmp, MO)


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return html.unescape(response.get_data(as_text=True))


def header(text: str) -> str:
    """The site header: brand, main navigation, language switch, user menu."""
    return re.search(r'<header class="site-header">.*?</header>', text, re.S).group(0)


def visible(fragment: str) -> str:
    """The text a reader sees, without tags (attributes such as URLs drop out)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))


@pytest.fixture
def network(app):
    """One actor with a contact, a topic link and a relation, and two workshops (one cancelled)."""
    with app.app_context():
        topic = factories.topic(code="SDG12", title="Nachhaltiger Konsum")
        actor = factories.actor(name="Eine Welt Forum Aachen", category="eine-welt-netzwerk")
        other = factories.actor(name="Fachbereich Umwelt")
        factories.contact(actor, name="Ada Muster")
        factories.link(actor, topic, role="federfuehrend")
        factories.relation(actor, other)
        actor_id = actor.id
    planned = plan(app, title="Fokusgruppe Beschaffung")
    cancelled = plan(app, title="Steuerungsgruppe Mai", phase="steuerungsgruppe")
    with app.app_context():
        invitations.cancel_workshop(workshops.get_workshop(cancelled["id"]))
    return {"actor": actor_id, "planned": planned["id"], "cancelled": cancelled["id"]}


def test_main_pages_read_in_english(login, network):
    client = login("editor")
    dashboard = page(client, "/?lang=en")
    nav = visible(header(dashboard))
    for word in ("Overview", "Actors", "Topics", "Map", "Gaps", "Workshops", "Sign out"):
        assert word in nav
    for word in GERMAN_CHROME:
        assert word not in nav
    assert "Actors per topic" in dashboard and "Recent changes" in dashboard
    assert "Workshop cancelled: " in dashboard  # audit labels: entity and action

    # the choice sticks for the session: no ?lang= needed on the next pages
    actors = page(client, "/akteure/")
    assert "Create actor" in actors and "Filter actors" in actors
    assert "Category" in actors and "Sector" in actors
    assert "One World network, promoters" in actors  # the category's own English label
    assert "Akteur anlegen" not in actors

    actor = page(client, f"/akteure/{network['actor']}")
    for heading in ("Contacts", "Relations", "History"):
        assert f">{heading}</h2>" in actor, heading
    # enum labels: sector, topic role, relation kind
    for label in ("Civil society", "lead", "Cooperation"):
        assert f"<td>{label}</td>" in actor or f"<dd>{label}</dd>" in actor, label
    for german in ("Beziehungen", "Kooperation", "federführend", "Bearbeiten", "Verlauf"):
        assert german not in visible(actor), german

    network_map = page(client, "/karte")
    assert "Network map" in network_map and "Legend" in network_map
    assert "Find actor" in network_map and "Netzwerkkarte" not in network_map

    gaps = page(client, "/luecken")
    assert "Gaps and findings" in gaps and "Missing actor groups" in gaps
    assert "Fehlende Akteursgruppen" not in gaps

    overview = page(client, "/workshops/")
    assert "Workshops and process" in overview
    for phase in ("Stocktaking", "Focus group", "Steering group", "Council proposal"):
        assert phase in overview
    assert "Bestandsanalyse" not in overview and "Ratsvorlage" not in overview
    # the same German word, two meanings: a workshop is cancelled, an invitee declines
    cancelled = page(client, f"/workshops/{network['cancelled']}")
    assert re.search(r'ws-status-abgesagt">cancelled<', cancelled)
    assert re.search(r"<strong>0</strong> declined", cancelled)


def test_login_page_in_english(client):
    text = page(client, "/login?lang=en")
    assert '<html lang="en">' in text
    for word in ("Sign in", "Username", "Password"):
        assert word in text
    for german in ("Anmelden", "Benutzername", "Passwort"):
        assert german not in visible(text)


def test_german_stays_the_default(login, network):
    client = login("editor")
    dashboard = page(client, "/")
    nav = visible(header(dashboard))
    for word in ("Übersicht", "Akteure", "Karte", "Lücken", "Abmelden"):
        assert word in nav
    assert "Sign out" not in nav and "Overview" not in nav
    assert "Bestandsanalyse" in page(client, "/workshops/")
    assert "Anmelden" in page(client.application.test_client(), "/login")


def test_profile_language_turns_the_interface_english(app, login):
    client = login("viewer", username="jane")
    response = client.post(
        "/profil",
        data={"csrf_token": client.csrf, "locale": "en", "timezone": "Europe/Berlin"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Profile saved." in html.unescape(response.get_data(as_text=True))

    # a later session of the same user (no ?lang= anywhere) is English from the start
    later = app.test_client()
    response = later.post(
        "/login", data={"username": "jane", "password": PASSWORD, "csrf_token": csrf_token(later)}
    )
    assert response.status_code == 302
    nav = visible(header(page(later, "/")))
    assert "Overview" in nav and "Sign out" in nav
    assert "Übersicht" not in nav and "Abmelden" not in nav
    # ?lang=de still wins for the session
    assert "Abmelden" in visible(header(page(later, "/?lang=de")))


# --- the catalogue ------------------------------------------------------------------------------


def _placeholders(text: str) -> list[str]:
    return sorted(re.findall(r"%\(\w+\)s|\{\w+\}", text))


def test_catalogue_has_no_untranslated_or_fuzzy_entries():
    with open(PO, "rb") as fh:
        catalog = read_po(fh, locale="en")
    problems = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        if message.fuzzy:
            problems.append(f"fuzzy: {ids[0]!r}")
        elif not all(s.strip() for s in strings):
            problems.append(f"untranslated: {ids[0]!r}")
        elif _placeholders(ids[0]) != _placeholders(strings[0]):
            problems.append(f"placeholders differ: {ids[0]!r} → {strings[0]!r}")
    assert not problems, "messages.po:\n" + "\n".join(problems)


def _make_messages_keywords() -> dict:
    """The keywords `make messages` passes to pybabel extract (-k ...), added to the defaults."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    rule = re.search(r"pybabel extract (.*)", makefile).group(1)
    keywords = dict(DEFAULT_KEYWORDS)
    keywords.update(parse_keywords(re.findall(r"-k (\S+)", rule)))
    return keywords


def test_every_string_in_the_code_is_in_the_catalogue():
    """A German msgid added to the code or a template must be extracted (`make messages`) and
    translated in messages.po before the suite is green."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    extracted = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=_make_messages_keywords()
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            extracted.setdefault((context, msgid), f"{filename}:{lineno}")
    assert len(extracted) > 500  # extraction really ran over the code and the templates
    with open(PO, "rb") as fh:
        catalog = read_po(fh, locale="en")
    missing = []
    for (context, msgid), where in sorted(extracted.items(), key=lambda kv: kv[1]):
        entry = catalog.get(msgid, context=context)
        if entry is None or not entry.string or entry.fuzzy:
            missing.append(f"{where}: {msgid!r}")
    assert not missing, "run `make messages` and translate in messages.po:\n" + "\n".join(missing)


# --- the services' messages follow the reader's language ---------------------------------------


def test_error_messages_from_the_services_read_in_english(app, login):
    """What a service refuses (API, forms, imports, polls) is said in the reader's language;
    the German interface keeps the German wording."""
    from tests.test_exchange_import import csv_bytes, upload
    from tests.test_workshops_polls import undated_workshop

    with app.app_context():
        factories.actor(name="Welthaus Aachen")
    editor = login("editor")
    editor.get("/?lang=en")

    missing = editor.get("/api/actors/99999")
    assert missing.status_code == 404
    assert missing.get_json()["error"] == "Actor 99999 not found."
    invalid = editor.post(
        "/api/actors", json={"name": "", "category": "schule"}, headers={"X-CSRFToken": editor.csrf}
    )
    assert invalid.status_code == 422
    assert "The name is missing." in invalid.get_data(as_text=True)
    typed = editor.post(
        "/api/actors", json={"name": 5, "category": "schule"}, headers={"X-CSRFToken": editor.csrf}
    )
    assert "name must be a string." in typed.get_data(as_text=True)

    preview = upload(
        editor, "akteure.csv", csv_bytes("Name;Kategorie;Einfluss\nWelthaus;schule;9\n")
    )
    text = html.unescape(preview.get_data(as_text=True))
    assert "Einfluss: 9 – allowed 1–5" in text  # the file's own column name, in English words
    assert "erlaubt" not in text

    ws = undated_workshop(app)
    refused = editor.post(
        f"/workshops/{ws['id']}/umfrage/mehrere",
        data={
            "csrf_token": editor.csrf,
            "start_time": "10:00",
            "end_time": "12:00",
            "date_0": "2020-01-15",
        },
    )
    assert refused.status_code == 422
    text = html.unescape(refused.get_data(as_text=True))
    assert "This date is in the past." in text and "Vergangenheit" not in text

    editor.get("/?lang=de")
    german = editor.get("/api/actors/99999").get_json()["error"]
    assert german == "Akteur 99999 nicht gefunden."
