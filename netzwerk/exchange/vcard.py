"""Address books: contacts as one vCard 4.0 file (RFC 6350) for Outlook, Thunderbird, Apple
Contacts or a CardDAV server.

`vcards` turns any list of contacts into the file (a workshop's invitees, a filtered actor list,
and later a survey's recipients use the same function); `export_contacts` adds what makes it a
personal-data export: the audit entry and the download. Each card has a stable UID (the same
contact gives the same card in every export, so a second import updates instead of duplicating),
the organisation, function, e-mail, phone and preferred language. Notes and consent data stay in
netzwerk (data minimisation), and contacts who revoked their consent are left out.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC

import sqlalchemy as sa
import vobject

from ..actors import services as actor_services
from ..actors.models import Contact
from ..extensions import db
from .services import Download, _audit_export

VCARD_MIMETYPE = "text/vcard; charset=utf-8"
PRODID = "-//netzwerk//Adressbuch-Export//DE"
# a fixed namespace: UID = uuid5(namespace, "contact-<id>"), the same card in every export
UID_NAMESPACE = uuid.UUID("7b0e4f8e-4f2a-5b8e-9c1d-6e6b2d1a0c55")


def contact_uid(contact: Contact) -> str:
    return f"urn:uuid:{uuid.uuid5(UID_NAMESPACE, f'contact-{contact.id}')}"


HONORIFICS = {"dr.", "prof.", "dipl.-ing.", "pfr.", "pfarrerin", "pfarrer"}


def _name_parts(name: str) -> tuple[str, str, str]:
    """ "Prof. Dr. Anna Maria Schmidt" → ("Schmidt", "Anna Maria", "Prof. Dr."): the last word
    as family name (what address books sort by), leading titles as prefix."""
    words = name.split()
    prefix = []
    while len(words) > 1 and words[0].casefold() in HONORIFICS:
        prefix.append(words.pop(0))
    if not words:
        return "", "", ""
    return words[-1], " ".join(words[:-1]), " ".join(prefix)


def exportable(contacts: Iterable[Contact]) -> list[Contact]:
    """The contacts that go into an address book: not revoked, each once, sorted by name."""
    seen: dict[int, Contact] = {}
    for contact in contacts:
        if contact is not None and contact.consent_revoked_at is None:
            seen.setdefault(contact.id, contact)
    return sorted(seen.values(), key=lambda c: (_name_parts(c.name)[0].casefold(), c.name))


def vcard(contact: Contact) -> vobject.base.Component:
    card = vobject.vCard()
    card.add("version").value = "4.0"
    card.add("prodid").value = PRODID
    card.add("uid").value = contact_uid(contact)
    card.add("kind").value = "individual"
    card.add("fn").value = contact.name
    family, given, prefix = _name_parts(contact.name)
    card.add("n").value = vobject.vcard.Name(family=family, given=given, prefix=prefix)
    if contact.actor is not None:
        card.add("org").value = [contact.actor.name]
    if contact.function:
        card.add("title").value = contact.function
    if contact.email:
        email = card.add("email")
        email.value = contact.email
        email.type_param = "work"
    if contact.phone:
        phone = card.add("tel")
        phone.value = contact.phone
        phone.type_param = "work"
    if contact.language:
        card.add("lang").value = contact.language
    if contact.updated_at:
        stamp = contact.updated_at
        stamp = stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)
        card.add("rev").value = stamp.strftime("%Y%m%dT%H%M%SZ")
    return card


def vcards(contacts: Iterable[Contact]) -> str:
    """One .vcf text with a vCard 4.0 for each exportable contact (CRLF line ends, folded)."""
    return "".join(vcard(contact).serialize() for contact in exportable(contacts))


def export_contacts(contacts: Sequence[Contact], what: str, filename: str) -> Download:
    """The address book as a download, recorded in the audit trail as a personal-data export."""
    chosen = exportable(contacts)
    data = "".join(vcard(contact).serialize() for contact in chosen).encode("utf-8")
    _audit_export(what, "vcf", True, len(chosen))
    return Download(filename, VCARD_MIMETYPE, data)


def export_actor_list(filters: dict) -> Download:
    """The contacts of the actors on the filtered actor list (the filters of /akteure)."""
    actors = actor_services.actor_query(filters).subquery()
    contacts = db.session.scalars(
        sa.select(Contact).where(Contact.actor_id.in_(sa.select(actors.c.id)))
    ).all()
    described = ", ".join(f"{k}={v}" for k, v in sorted(filters.items())) or "ohne Filter"
    return export_contacts(contacts, f"Adressbuch Akteursliste ({described})", "kontakte.vcf")
