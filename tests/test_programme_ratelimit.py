"""The reflection pages are rate-limited per client address (Flask-Limiter), guesses included."""

from __future__ import annotations

import pytest

from tests.test_programme_reflection import (
    draft_world,  # noqa: F401 - a fixture
    make_links,
)

pytestmark = pytest.mark.usefixtures("fast_passwords")


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": True, "REFLECTION_RATE_LIMIT": "3 per minute"}


def test_the_public_pages_are_rate_limited(app, draft_world):  # noqa: F811 - the fixture
    _, token = make_links(app, draft_world)["Anna Becker"]
    reader = app.test_client()
    answers = [reader.get(f"/programm/reflexion/{token}").status_code for _ in range(3)]
    assert answers == [200, 200, 200]
    blocked = reader.get(f"/programm/reflexion/{token}")
    assert blocked.status_code == 429 and blocked.headers.get("Retry-After")
    # guessing counts too
    assert reader.get("/programm/reflexion/geraten").status_code == 429
