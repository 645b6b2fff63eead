"""Fixed vocabularies of the actor domain. Categories are a table (admins extend them)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.vocab import Vocabulary


class Sector(Vocabulary):
    ADMINISTRATION = "verwaltung"
    POLITICS = "politik"
    CIVIL_SOCIETY = "zivilgesellschaft"
    EDUCATION = "bildung"
    ECONOMY = "wirtschaft"
    PARTNER_CITY = "partnerstadt"
    STATE = "staat"
    MEDIA = "medien"

    @classmethod
    def labels(cls) -> dict:
        return {
            cls.ADMINISTRATION: _l("Verwaltung"),
            cls.POLITICS: _l("Politik"),
            cls.CIVIL_SOCIETY: _l("Zivilgesellschaft"),
            cls.EDUCATION: _l("Bildung/Wissenschaft"),
            cls.ECONOMY: _l("Wirtschaft"),
            cls.PARTNER_CITY: _l("Partnerstadt"),
            cls.STATE: _l("Fördermittelgeber/Staat"),
            cls.MEDIA: _l("Medien"),
        }


class Level(Vocabulary):
    LOCAL = "lokal"
    REGIONAL = "regional"
    STATE = "land"
    FEDERAL = "bund"
    INTERNATIONAL = "international"

    @classmethod
    def labels(cls) -> dict:
        return {
            cls.LOCAL: _l("lokal"),
            cls.REGIONAL: _l("regional"),
            cls.STATE: _l("Land"),
            cls.FEDERAL: _l("Bund"),
            cls.INTERNATIONAL: _l("international"),
        }


class Status(Vocabulary):
    ACTIVE = "aktiv"
    CANDIDATE = "kandidat"
    INACTIVE = "inaktiv"

    @classmethod
    def labels(cls) -> dict:
        return {cls.ACTIVE: _l("aktiv"), cls.CANDIDATE: _l("Kandidat"), cls.INACTIVE: _l("inaktiv")}


class RelationKind(Vocabulary):
    COOPERATION = "kooperation"
    PARTNERSHIP = "partnerschaft"
    FUNDING = "foerderung"
    INSTRUCTION = "weisung"
    MEMBERSHIP = "mitgliedschaft"
    INFORMATION = "information"
    CONFLICT = "konflikt"

    @classmethod
    def labels(cls) -> dict:
        return {
            cls.COOPERATION: _l("Kooperation"),
            cls.PARTNERSHIP: _l("Partnerschaft"),
            cls.FUNDING: _l("Förderung"),
            cls.INSTRUCTION: _l("Weisung"),
            cls.MEMBERSHIP: _l("Mitgliedschaft"),
            cls.INFORMATION: _l("Information"),
            cls.CONFLICT: _l("Konflikt"),
        }


LANGUAGES = {
    "de": "Deutsch",
    "en": "English",
    "uk": "Українська",
    "fr": "Français",
    "nl": "Nederlands",
}


class LegalBasis(Vocabulary):
    """Art. 6 DSGVO: why the city may store a contact's data."""

    CONSENT = "einwilligung"
    LEGITIMATE_INTEREST = "berechtigtes_interesse"
    PUBLIC_TASK = "oeffentliche_aufgabe"

    @classmethod
    def labels(cls) -> dict:
        return {
            cls.CONSENT: _l("Einwilligung"),
            cls.LEGITIMATE_INTEREST: _l("berechtigtes Interesse"),
            cls.PUBLIC_TASK: _l("öffentliche Aufgabe"),
        }
