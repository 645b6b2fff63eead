"""Actors, contacts, categories and relations."""
