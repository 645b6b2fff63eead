"""Signals between domains (blinker, as Indico does): a domain that keeps data about a person
answers for its own part, so the data-protection code needs to know no other domain.

Each domain connects its receivers in its `init_app`. Receivers are called with the sender
(the contact) and return their part; `results()` collects what they returned.
"""

from __future__ import annotations

from typing import Any

from blinker import Namespace

_signals = Namespace()

personal_data = _signals.signal(
    "personal-data",
    doc="Art. 15: sender = contact; return (section name, JSON-ready data) or None.",
)
erase_personal_data = _signals.signal(
    "erase-personal-data",
    doc="Art. 17: sender = contact, before its row is deleted; return {what: count}.",
)
contact_activity = _signals.signal(
    "contact-activity",
    doc="Retention: sender = None; return {contact id: datetime of the last activity}.",
)


missing_actors = _signals.signal(
    "missing-actors",
    doc=(
        "Gap analysis: sender = None; return a list of organisations named as missing by the "
        "actors themselves (a survey): {topic_id, key, name, category, named_by: [actor ids], "
        "reasons, status, actor_id, proposal_id, survey_id}."
    ),
)
analysis_findings = _signals.signal(
    "analysis-findings",
    doc=(
        "Findings: sender = None; return a list of findings {kind, severity, text, actors, "
        "topic} that do not come from the graph (e.g. a survey's response rate)."
    ),
)


def results(signal, sender: Any = None, **kwargs: Any) -> list[Any]:
    """What every connected receiver returned (None left out), in the order they connected."""
    return [value for _, value in signal.send(sender, **kwargs) if value is not None]


# --- pages and deletes that other domains contribute to -----------------------------------------

actor_sections = _signals.signal(
    "actor-sections",
    doc="Actor page: sender = actor; return {'template': name, ...context} or None.",
)
topic_sections = _signals.signal(
    "topic-sections",
    doc="Topic page: sender = topic; return {'template': name, ...context} or None.",
)
actor_dependents = _signals.signal(
    "actor-dependents",
    doc="Before an actor is deleted: sender = actor; return a list of sentences naming what "
    "refers to it (projects it leads, measures, …) and loses that reference.",
)
