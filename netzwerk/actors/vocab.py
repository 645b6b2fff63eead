"""Fixed vocabularies of the actor domain. Categories are a table (admins extend them)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.vocab import Vocabulary


class Sector(Vocabulary):
    ADMINISTRATION = "verwaltung", _l("Verwaltung")
    POLITICS = "politik", _l("Politik")
    CIVIL_SOCIETY = "zivilgesellschaft", _l("Zivilgesellschaft")
    EDUCATION = "bildung", _l("Bildung/Wissenschaft")
    ECONOMY = "wirtschaft", _l("Wirtschaft")
    PARTNER_CITY = "partnerstadt", _l("Partnerstadt")
    STATE = "staat", _l("Fördermittelgeber/Staat")
    MEDIA = "medien", _l("Medien")


class Level(Vocabulary):
    LOCAL = "lokal", _l("lokal")
    REGIONAL = "regional", _l("regional")
    STATE = "land", _l("Land")
    FEDERAL = "bund", _l("Bund")
    INTERNATIONAL = "international", _l("international")


class Status(Vocabulary):
    ACTIVE = "aktiv", _l("aktiv")
    CANDIDATE = "kandidat", _l("Kandidat")
    INACTIVE = "inaktiv", _l("inaktiv")


class RelationKind(Vocabulary):
    COOPERATION = "kooperation", _l("Kooperation")
    PARTNERSHIP = "partnerschaft", _l("Partnerschaft")
    FUNDING = "foerderung", _l("Förderung")
    INSTRUCTION = "weisung", _l("Weisung")
    MEMBERSHIP = "mitgliedschaft", _l("Mitgliedschaft")
    INFORMATION = "information", _l("Information")
    CONFLICT = "konflikt", _l("Konflikt")


class Reciprocity(Vocabulary):
    """Whether both organisations of a relation named it in a survey (netzwerk.surveys); empty
    for relations nobody was asked about."""

    CONFIRMED = "bestaetigt", _l("bestätigt")
    ONE_SIDED = "einseitig", _l("einseitig")


LANGUAGES = {
    "de": "Deutsch",
    "en": "English",
    "uk": "Українська",
    "fr": "Français",
    "nl": "Nederlands",
}


class LegalBasis(Vocabulary):
    """Art. 6 DSGVO: why the city may store a contact's data."""

    CONSENT = "einwilligung", _l("Einwilligung")
    LEGITIMATE_INTEREST = "berechtigtes_interesse", _l("berechtigtes Interesse")
    PUBLIC_TASK = "oeffentliche_aufgabe", _l("öffentliche Aufgabe")
