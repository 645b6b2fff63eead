"""Data protection: consent and its revocation, access (Art. 15), erasure (Art. 17) down to the
bytes of the database file, retention, the privacy notice, and the audit API for admins."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from netzwerk.actors.models import Actor, Contact
from netzwerk.audit.models import AuditEntry
from netzwerk.core.timeutil import utcnow
from netzwerk.exchange import privacy, services
from netzwerk.extensions import db
from netzwerk.mail import queue
from netzwerk.workshops import invitations
from tests import factories

NAME = "Zoë Quästenbüttel"
EMAIL = "zoe.quaestenbuettel@example.org"
OLD_NAME = "Zoe Quastenbuttel"
OLD_EMAIL = "zq-alt@example.org"


def contact_form(client, contact_id: int, **changes):
    data = {
        "name": NAME,
        "function": "Referentin",
        "email": EMAIL,
        "phone": "",
        "language": "de",
        "timezone": "Europe/Berlin",
        "notes": "",
        "legal_basis": "einwilligung",
        "consent_date": "2024-05-02",
        "consent_source": "Anmeldung Fachtag 2024",
        "consent_invitations": "y",
        "consent_revoked_at": "",
        "csrf_token": client.csrf,
    } | changes
    return client.post(f"/akteure/kontakte/{contact_id}/bearbeiten", data=data)


def make_person(app) -> tuple[int, int]:
    with app.app_context():
        actor = factories.actor(name="Welthaus Aachen", category="eine-welt-gruppe")
        contact = factories.contact(actor, name=NAME, email=EMAIL, phone="+49 241 1")
        return actor.id, contact.id


# --- consent -----------------------------------------------------------------------------------


def test_editor_records_consent_and_its_revocation(app, login):
    actor_id, contact_id = make_person(app)
    editor = login("editor")
    form = editor.get(f"/akteure/kontakte/{contact_id}/bearbeiten").get_data(as_text=True)
    for label in ("Rechtsgrundlage", "Einwilligung vom", "Widerruf/Widerspruch am"):
        assert label in form

    response = contact_form(editor, contact_id)
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        contact = db.session.get(Contact, contact_id)
        assert contact.legal_basis == "einwilligung"
        assert contact.consent_date == date(2024, 5, 2)
        assert contact.consent_source == "Anmeldung Fachtag 2024"
        assert contact.may_invite

    response = contact_form(editor, contact_id, consent_revoked_at="2025-06-30")

    assert response.status_code == 302
    with app.app_context():
        contact = db.session.get(Contact, contact_id)
        assert contact.consent_revoked_at.date() == date(2025, 6, 30)
        assert contact.may_invite is False
        entry = db.session.scalar(
            sa.select(AuditEntry)
            .where(AuditEntry.entity == "contact", AuditEntry.action == "update")
            .order_by(AuditEntry.id.desc())
        )
        assert entry.changes == {"consent_revoked_at": [None, "2025-06-30T00:00:00"]}
    page = editor.get(f"/akteure/{actor_id}").get_data(as_text=True)
    assert "nicht einladen: Einwilligung widerrufen" in page


def test_no_consent_to_invitations_shows_and_blocks(app, login):
    actor_id, contact_id = make_person(app)
    editor = login("editor")
    contact_form(editor, contact_id, consent_invitations="")
    with app.app_context():
        assert db.session.get(Contact, contact_id).may_invite is False
    page = editor.get(f"/akteure/{actor_id}").get_data(as_text=True)
    assert "nicht einladen: keine Einwilligung für Einladungen" in page


def test_unknown_legal_basis_and_bad_dates_are_refused(app):
    from netzwerk.actors import services as actors
    from netzwerk.core.errors import Invalid

    with app.app_context():
        actor = factories.actor(category="schule")
        with pytest.raises(Invalid, match="Unbekannte Rechtsgrundlage: Bauchgefühl"):
            actors.create_contact(actor, {"name": "A", "legal_basis": "Bauchgefühl"})
        with pytest.raises(Invalid, match="kein Datum"):
            actors.create_contact(actor, {"name": "A", "consent_date": "gestern"})
        contact = actors.create_contact(
            actor, {"name": "A", "legal_basis": "Berechtigtes Interesse"}
        )
        assert contact.legal_basis == "berechtigtes_interesse"


def _workshop_with(app, contact_ids: list[int]):
    """A planned workshop in a week with these contacts invited."""
    from netzwerk.workshops import services as ws

    start = utcnow() + timedelta(days=7)
    workshop = ws.create_workshop(
        {
            "title": "Fokusgruppe SDG 12 – Faire Beschaffung",
            "starts_at": start.strftime("%Y-%m-%dT10:00"),
            "ends_at": start.strftime("%Y-%m-%dT12:00"),
            "timezone": "Europe/Berlin",
            "organizer_name": "KEpol",
            "organizer_email": "kepol@example.org",
        }
    )
    invitations.add_invitations(workshop, contact_ids)
    return ws, workshop


def test_revoked_consent_blocks_sending(app, login):
    _, contact_id = make_person(app)
    with app.app_context():
        other = factories.contact(db.session.get(Contact, contact_id).actor, name="Bernd")
        other_id = other.id
        ws, workshop = _workshop_with(app, [contact_id, other_id])
        workshop_id = workshop.id
    contact_form(login("editor"), contact_id, consent_revoked_at=date.today().isoformat())
    with app.app_context():
        workshop = ws.get_workshop(workshop_id)
        _batch, counts = invitations.send_invitations(workshop)
        assert counts["queued"] == 1
        assert [b["name"] for b in counts["blocked"]] == [NAME]
        assert "widerrufen" in counts["blocked"][0]["reason"]


# --- Art. 15 -------------------------------------------------------------------------------------


def test_art15_export_has_contact_consent_invitations_and_audit(app, api):
    _, contact_id = make_person(app)
    with app.app_context():
        contact = db.session.get(Contact, contact_id)
        from netzwerk.actors import services as actors

        actors.update_contact(
            contact, {"function": "Bildungsreferentin", "consent_date": "1.2.2024"}
        )
        has_workshops = True
        try:
            ws, workshop = _workshop_with(app, [contact_id])
        except pytest.skip.Exception:
            has_workshops = False
        else:
            invitation = workshop.invitations[0]
            invitations.respond(invitation, "accepted", "Ich bringe Material mit")
            invitations.record_attendance(workshop, {invitation.id})

    response = api("admin", bearer=True).get(f"/api/contacts/{contact_id}/export")

    assert response.status_code == 200
    data = response.get_json()
    assert data["contact"]["name"] == NAME and data["contact"]["email"] == EMAIL
    assert data["contact"]["function"] == "Bildungsreferentin"
    assert data["contact"]["phone"] == "+49 241 1"
    assert data["organisation"]["name"] == "Welthaus Aachen"
    assert data["data_protection"]["consent_date"] == "2024-02-01"
    assert data["data_protection"]["legal_basis"] == "oeffentliche_aufgabe"
    assert data["data_protection"]["may_invite"] is True
    actions = [(e["entity"], e["action"]) for e in data["audit"]]
    assert actions[:2] == [("contact", "create"), ("contact", "update")]
    assert data["audit"][1]["changes"]["function"] == ["", "Bildungsreferentin"]
    if has_workshops:
        (item,) = data["workshops"]
        assert item["workshop"] == "Fokusgruppe SDG 12 – Faire Beschaffung"
        assert item["response"] == "accepted"
        assert item["comment"] == "Ich bringe Material mit"
        assert item["attended"] is True
        assert ("workshop", "invite") in actions and ("invitation", "rsvp") in actions
    with app.app_context():
        logged = db.session.scalar(
            sa.select(AuditEntry).where(AuditEntry.action == "export").order_by(AuditEntry.id)
        )
        assert logged.entity_id == contact_id and NAME not in logged.label


def test_art15_page_and_json_download_for_editors(app, login):
    _, contact_id = make_person(app)
    editor = login("editor")
    page = editor.get(f"/austausch/kontakte/{contact_id}/auskunft")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for text in (NAME, EMAIL, "Welthaus Aachen", "öffentliche Aufgabe", "Änderungsprotokoll"):
        assert text in html
    download = editor.get(f"/austausch/kontakte/{contact_id}/auskunft.json")
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert json.loads(download.data)["contact"]["email"] == EMAIL
    assert login("viewer").get(f"/austausch/kontakte/{contact_id}/auskunft").status_code == 403


def test_art15_and_art17_api_need_an_admin(app, api):
    _, contact_id = make_person(app)
    for role in ("viewer", "editor"):
        client = api(role, bearer=True)
        assert client.get(f"/api/contacts/{contact_id}/export").status_code == 403
        assert client.post(f"/api/contacts/{contact_id}/erase").status_code == 403
    assert api(None).get(f"/api/contacts/{contact_id}/export").status_code == 401
    session_admin = api("admin")
    no_csrf = session_admin.client.post(f"/api/contacts/{contact_id}/erase")
    assert no_csrf.status_code == 400
    with app.app_context():
        assert db.session.get(Contact, contact_id) is not None


# --- Art. 17 -------------------------------------------------------------------------------------


def database_bytes(app) -> bytes:
    path = Path(db.engine.url.database)
    data = path.read_bytes()
    wal = path.with_name(path.name + "-wal")
    return data + (wal.read_bytes() if wal.exists() else b"")


def traces(blob: bytes) -> list[str]:
    lowered = blob.lower()
    found = []
    for value in (NAME, EMAIL, OLD_NAME, OLD_EMAIL, "Quästenbüttel", "quaestenbuettel"):
        for form in (value, json.dumps(value)[1:-1]):
            if form.lower().encode() in lowered:
                found.append(form)
    return found


@pytest.mark.sqlite_only
def test_art17_leaves_no_trace_in_the_database_file(app, api, tmp_path):
    with app.app_context():
        actor = factories.actor(name="Welthaus Aachen", category="eine-welt-gruppe")
        contact = factories.contact(
            actor, name=OLD_NAME, email=OLD_EMAIL, notes="Lange Notiz " * 400
        )
        contact_id, actor_id = contact.id, actor.id
        from netzwerk.actors import services as actors

        actors.update_contact(contact, {"name": NAME, "email": EMAIL, "phone": "+49 241 77"})
        keep = factories.contact(actor, name="Bernd Bleibt", email="bernd@example.org")
        services.export_entities("kontakte", "csv")
        row = f"Welthaus Aachen;{NAME};{EMAIL};Chefin\n"
        services.import_files([("kontakte.csv", f"Akteur;Name;E-Mail;Funktion\n{row}".encode())])
        ws, workshop = _workshop_with(app, [contact_id, keep.id])
        batch, _ = invitations.send_invitations(workshop)
        queue.deliver(batch=batch)
        inv = next(i for i in workshop.invitations if i.contact_id == contact_id)
        invitations.respond(inv, "accepted", f"Gruß, {NAME}")
        invitations.record_attendance(workshop, {inv.id})
        invited = (workshop.id, len(workshop.invitations))
        assert traces(database_bytes(app))  # the test would prove nothing otherwise

    response = api("admin", bearer=True).post(f"/api/contacts/{contact_id}/erase")

    assert response.status_code == 200, response.get_data(as_text=True)
    summary = response.get_json()
    assert summary["contact_id"] == contact_id and summary["file_purged"] is True
    assert summary["audit_entries_blanked"] >= 4
    with app.app_context():
        assert traces(database_bytes(app)) == []
        assert db.session.get(Contact, contact_id) is None
        assert db.session.get(Actor, actor_id) is not None  # the organisation stays
        assert db.session.scalar(sa.select(Contact.name).where(Contact.actor_id == actor_id)) == (
            "Bernd Bleibt"
        )
        erased = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "erase"))
        assert erased.entity_id == contact_id and "Welthaus Aachen" in erased.label
        workshop = ws.get_workshop(invited[0])
        assert len(workshop.invitations) == invited[1]  # counts stay right
        anonymous = [i for i in workshop.invitations if i.contact_id is None]
        assert len(anonymous) == 1
        assert anonymous[0].response.value == "accepted" and anonymous[0].attended
        assert anonymous[0].comment == ""
        outbox = Path(app.config["OUTBOX_DIR"])
        for path in outbox.glob("**/*.eml"):
            assert EMAIL not in path.read_text("utf-8", errors="replace")
        assert summary["outbox_files_removed"] == 1


def test_erase_page_asks_first_and_only_admins_may(app, login):
    actor_id, contact_id = make_person(app)
    assert login("editor").get(f"/austausch/kontakte/{contact_id}/loeschen").status_code == 403
    admin = login("admin")
    page = admin.get(f"/austausch/kontakte/{contact_id}/loeschen").get_data(as_text=True)
    assert "Endgültig löschen" in page and "Welthaus Aachen bleibt erhalten" in page
    response = admin.post(
        f"/austausch/kontakte/{contact_id}/loeschen", data={"csrf_token": admin.csrf}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/akteure/{actor_id}")
    with app.app_context():
        assert db.session.get(Contact, contact_id) is None


# --- retention and the privacy notice ------------------------------------------------------------


def test_retention_lists_contacts_without_activity(app, login):
    with app.app_context():
        actor = factories.actor(name="Welthaus Aachen", category="eine-welt-gruppe")
        old = factories.contact(actor, name="Lange Still")
        factories.contact(actor, name="Frisch Dabei")
        long_ago = utcnow() - timedelta(days=3 * 365)
        db.session.execute(
            sa.update(Contact)
            .where(Contact.id == old.id)
            .values(created_at=long_ago, updated_at=long_ago)
        )
        db.session.execute(
            sa.update(AuditEntry)
            .where(AuditEntry.entity == "contact", AuditEntry.entity_id == old.id)
            .values(created_at=long_ago)
        )
        db.session.commit()
        rows = privacy.retention(24)
        assert [r["contact"].name for r in rows] == ["Lange Still"]
        assert privacy.retention(48) == []
    editor = login("editor")
    page = editor.get("/austausch/aufbewahrung?monate=24").get_data(as_text=True)
    assert "Lange Still" in page and "Frisch Dabei" not in page
    # looking at a person's data is no activity
    editor.get(f"/austausch/kontakte/{rows[0]['contact'].id}/auskunft")
    assert "Lange Still" in editor.get("/austausch/aufbewahrung").get_data(as_text=True)


def test_privacy_notice_is_public_and_linked_in_the_footer(client):
    page = client.get("/datenschutz")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Datenschutzhinweise" in html and "Art. 15" in html
    assert 'href="/datenschutz"' in client.get("/login").get_data(as_text=True)


# --- GET /api/audit ------------------------------------------------------------------------------


def test_audit_api_filters_for_admins(app, api):
    with app.app_context():
        a = factories.actor(name="Welthaus", category="eine-welt-gruppe")
        factories.contact(a, name="Anna")
        from netzwerk.actors import services as actors

        actors.update_actor(a, {"city": "Aachen"})
    admin = api("admin", bearer=True)
    with app.app_context():
        total = db.session.scalar(sa.select(sa.func.count(AuditEntry.id)))

    everything = admin.get("/api/audit").get_json()
    assert everything["total"] == total >= 3
    actors_only = admin.get("/api/audit?entity=actor").get_json()
    assert [(i["action"], i["label"]) for i in actors_only["items"]] == [
        ("update", "Welthaus"),
        ("create", "Welthaus"),
    ]
    assert actors_only["items"][0]["created_at"].endswith("+00:00")
    updated = admin.get("/api/audit?entity=actor&action=update").get_json()
    assert [i["changes"] for i in updated["items"]] == [{"city": ["", "Aachen"]}]
    contact = admin.get("/api/audit?entity=contact").get_json()["items"][0]
    one = admin.get(f"/api/audit?entity=contact&entity_id={contact['entity_id']}").get_json()
    assert one["total"] == 1
    today = utcnow().date()
    assert admin.get(f"/api/audit?entity=actor&from={today}&to={today}").get_json()["total"] == 2
    tomorrow = today + timedelta(days=1)
    assert admin.get(f"/api/audit?from={tomorrow}").get_json()["total"] == 0
    assert admin.get("/api/audit?user=system&entity=actor").get_json()["total"] == 2
    assert admin.get("/api/audit?user=niemand").get_json()["total"] == 0
    page = admin.get("/api/audit?entity=actor&per_page=1&page=2").get_json()
    assert page["items"][0]["action"] == "create" and page["per_page"] == 1
    bad = admin.get("/api/audit?from=gestern")
    assert bad.status_code == 422 and "kein Datum" in bad.get_json()["error"]
    assert admin.get("/api/audit?wer=ich").status_code == 422
    assert api("editor", bearer=True).get("/api/audit").status_code == 403
