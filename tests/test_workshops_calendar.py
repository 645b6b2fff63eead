"""Calendar files: the .ics download stored by a real CalDAV server (Radicale on loopback), and
the secret subscribable feeds."""

from __future__ import annotations

import re
from datetime import datetime

from icalendar import Calendar

from netzwerk.workshops import feeds, invitations, services
from tests.conftest import dav
from tests.workshops_support import plan


def test_the_download_is_stored_by_a_caldav_server_with_the_same_uid(app, login, radicale):
    ws = plan(app)
    download = login("viewer").get(f"/workshops/{ws['id']}.ics")
    assert download.status_code == 200
    assert download.mimetype == "text/calendar"
    assert "attachment" in download.headers["Content-Disposition"]
    cal = Calendar.from_ical(download.data)
    assert "METHOD" not in cal  # a stored calendar object must not carry METHOD
    (event,) = cal.walk("VEVENT")
    assert str(event["UID"]) == ws["uid"]
    assert "ATTENDEE" not in event and "ORGANIZER" not in event

    status, _ = dav("MKCALENDAR", f"{radicale}/kepol/workshops/")
    assert status == 201
    item = f"{radicale}/kepol/workshops/workshop-{ws['id']}.ics"
    status, _ = dav("PUT", item, download.data, "text/calendar; charset=utf-8")
    assert status == 201
    status, stored = dav("GET", item)
    assert status == 200
    (stored_event,) = Calendar.from_ical(stored).walk("VEVENT")
    assert str(stored_event["UID"]) == ws["uid"]
    assert str(stored_event["SUMMARY"]) == "Fokusgruppe SDG 12 – Faire Beschaffung"
    assert stored_event.decoded("DTSTART") == event.decoded("DTSTART")


def test_the_download_needs_a_login_and_a_date(app, client, login):
    ws = plan(app)
    assert client.get(f"/workshops/{ws['id']}.ics").status_code == 302
    undated = plan(app, starts_at=None, ends_at=None, status="entwurf")
    response = login("viewer").get(f"/workshops/{undated['id']}.ics")
    assert response.status_code == 422
    assert "noch keinen Termin" in response.get_data(as_text=True)


def _new_feed_url(response) -> str:
    """The address shown once on the page that answers "create"/"renew"."""
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return re.search(r'<code class="token">http://127\.0\.0\.1(/kalender/[^<]+\.ics)</code>', html)[
        1
    ]


def test_secret_feeds_for_all_workshops_and_per_topic(app, client, login):
    planned = plan(app, [{"name": "Anna", "email": "anna@example.org"}])
    draft = plan(app, title="Entwurf ohne Veröffentlichung", status="entwurf")
    cancelled = plan(app, title="Abgesagter Workshop")
    with app.app_context():
        invitations.cancel_workshop(services.get_workshop(cancelled["id"]))

    editor = login("editor")
    all_url = _new_feed_url(
        editor.post("/workshops/kalender/neu", data={"csrf_token": editor.csrf})
    )
    topic_url = _new_feed_url(
        editor.post(
            "/workshops/kalender/neu",
            data={"csrf_token": editor.csrf, "topic_id": planned["topic_id"]},
        )
    )
    # shown once: the page lists both feeds, but no address any more
    page = editor.get("/workshops/kalender").get_data(as_text=True)
    assert all_url not in page and topic_url not in page
    assert not re.search(r"/kalender/[^/\"<]+\.ics", page)
    assert page.count("Link erzeugt am") == 2

    feed = client.get(all_url)  # no login: the secret URL is the key
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    cal = Calendar.from_ical(feed.data)
    assert str(cal["METHOD"]) == "PUBLISH"
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    assert planned["uid"] in events and cancelled["uid"] in events
    assert draft["uid"] not in events
    assert str(events[cancelled["uid"]]["STATUS"]) == "CANCELLED"
    assert b"anna@example.org" not in feed.data and b"ATTENDEE" not in feed.data

    topic_feed = Calendar.from_ical(client.get(topic_url).data)
    assert [str(e["UID"]) for e in topic_feed.walk("VEVENT")] == [planned["uid"]]

    # a new link replaces the old one
    renewed = _new_feed_url(
        editor.post("/workshops/kalender/neu", data={"csrf_token": editor.csrf})
    )
    assert renewed != all_url
    assert client.get(all_url).status_code == 404
    assert client.get(renewed).status_code == 200
    assert client.get(topic_url).status_code == 200  # the other feed is untouched
    assert client.get("/kalender/geraten.ics").status_code == 404


def test_viewers_cannot_create_feed_links(app, login):
    viewer = login("viewer")
    assert (
        viewer.post("/workshops/kalender/neu", data={"csrf_token": viewer.csrf}).status_code == 403
    )


def test_feed_times_are_utc(app, client):
    ws = plan(app, starts_at=datetime(2030, 7, 1, 10), ends_at=datetime(2030, 7, 1, 12))
    with app.app_context():
        feed = feeds.create_feed(None)
        token = feed.token
    data = client.get(f"/kalender/{token}.ics").data
    assert f"UID:{ws['uid']}".encode() in data
    assert b"DTSTART:20300701T080000Z" in data
