"""Authorization of every route: the URL map is walked, so a new route is checked without anyone
remembering to add it here.

Each rule and method is requested as anonymous, viewer, editor and admin, with its URL parameters
naming real objects (the Aachen demo data for reads, fresh objects for writes so that one role's
delete does not take the object from the next). The expected answer is read from the view:
`@public` views are open, `role_required` wrappers carry `required_role`, every other view needs
a login (anonymous → 302 to /login for pages, 401 JSON under /api). All failures are collected
and reported at once.
"""

from __future__ import annotations

import ast
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from werkzeug.routing import AnyConverter

from netzwerk.extensions import db
from netzwerk.workshops import feeds, invitations
from tests import factories
from tests.conftest import csrf_token

pytestmark = pytest.mark.usefixtures("fast_passwords")  # many logins, no password tested

ROOT = Path(__file__).resolve().parent.parent
ROLES = (None, "viewer", "editor", "admin")
RANK = {"viewer": 0, "editor": 1, "admin": 2}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
PUBLIC = "public"

# Login-only routes that change data. Everything else that changes data must name a role
# (editor_required / admin_required) or appear in IN_VIEW_ROLES.
SELF_SERVICE = {
    "auth.logout": "ends one's own session",
    "auth.profile": "one's own name, e-mail, language, time zone, password",
    "auth.end_other_sessions": "ends one's own other sessions",
    "auth.create_token": "one's own API tokens",
    "auth.revoke_token": "one's own tokens; others' only as admin (checked in the view)",
}

# Role checks made inside a view rather than by a decorator: endpoint → {method: role}.
IN_VIEW_ROLES: dict[str, dict[str, str]] = {
    "workshops.poll": {"POST": "editor"},  # viewers see the poll, editors add slots
    "workshops.attendance": {"POST": "editor"},  # viewers see the list, editors tick it
}

# A write answered like this was let through: a form shown again with its errors, a redirect
# after the change, a JSON validation error, a 400 for an incomplete form (not for the CSRF token:
# every request here carries a valid one).
WRITE_LET_THROUGH = {200, 201, 204, 302, 303, 400, 409, 422}
READ_LET_THROUGH = {200, 301, 302, 303, 308}
CSRF_MESSAGE = "Sicherheitstoken (CSRF)"


# --- the objects that URL parameters name ---------------------------------------------------


class World:
    """The ids a URL's parameters need, made on first use (attribute access) in an app context."""

    def __init__(self, app, user_id: int | None):
        self.app = app
        self.user_id = user_id
        self._ids: dict[str, object] = {}

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._ids:
            with self.app.app_context():
                self._ids[name] = getattr(self, f"make_{name}")()
                db.session.remove()
        return self._ids[name]

    # the same in both worlds
    def make_user(self) -> int:
        from netzwerk.auth.services import create_user

        # unique across World objects of one database (id(self) can be reused after a collection)
        return create_user(f"beispiel-{uuid.uuid4().hex[:12]}", "beispiel-passwort").id

    def make_api_token(self) -> int:
        """A token of the requesting user (anonymous: of someone), as the profile page lists."""
        from netzwerk.auth.models import ApiToken, User
        from netzwerk.auth.services import create_token

        owner = db.session.get(User, self.user_id or self.user)
        create_token(owner, "Beispiel")
        return db.session.scalars(
            sa.select(ApiToken.id).where(ApiToken.user_id == owner.id).order_by(ApiToken.id.desc())
        ).first()

    def make_workshop(self) -> int:
        from netzwerk.workshops import services as workshops

        start = (datetime.now() + timedelta(days=30)).replace(hour=10, minute=0, microsecond=0)
        workshop = workshops.create_workshop(
            {
                "title": f"Fokusgruppe {len(self._ids)}",
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(hours=2)).isoformat(),
                "topic_ids": [self.topic],
            }
        )
        return workshop.id

    def make_invitation(self) -> int:
        from netzwerk.workshops import services as workshops

        workshop = workshops.get_workshop(self.workshop)
        return invitations.add_invitations(workshop, [self.contact])[0].id

    def make_rsvp_token(self) -> str:
        from netzwerk.workshops.models import Invitation
        from netzwerk.workshops.tokens import rsvp_token

        return rsvp_token(db.session.get(Invitation, self.invitation))

    def make_slot(self) -> int:
        from netzwerk.workshops import polls
        from netzwerk.workshops import services as workshops

        workshop = workshops.get_workshop(self.workshop)
        return polls.add_slot(workshop, "2031-03-04T10:00", "2031-03-04T12:00").id

    def make_batch(self) -> str:
        from netzwerk.workshops import services as workshops

        self.invitation  # noqa: B018 - someone to send to
        return invitations.send_invitations(workshops.get_workshop(self.workshop))[0]

    def make_outcome(self) -> int:
        """A commitment naming an organisation: every outcome route has something to show."""
        from netzwerk.workshops import outcomes
        from netzwerk.workshops import services as workshops

        workshop = workshops.get_workshop(self.workshop)
        return outcomes.create_outcome(
            workshop,
            {
                "kind": "zusage",
                "topic_id": self.topic,
                "text": "Wir prüfen faire Kriterien",
                "named_organisation": "Beispiel-Catering",
            },
        ).id

    def make_follow_up(self) -> int:
        from netzwerk.workshops import outcomes
        from netzwerk.workshops import services as workshops

        workshop = workshops.get_workshop(self.workshop)
        return outcomes.create_follow_up(workshop, {"text": "Nachfassen", "owner": "KEpol"}).id

    def make_goal(self) -> int:
        from netzwerk.programme import services as programme

        return programme.create_goal(
            {"topic_id": self.topic, "title": "Faire Beschaffung", "outcome_ids": [self.outcome]}
        ).id

    def make_measure(self) -> int:
        from netzwerk.programme import services as programme

        return programme.create_measure(
            {"goal_id": self.goal, "title": "Fairer Kaffee", "lead_actor_id": self.actor}
        ).id

    def make_draft(self) -> int:
        from netzwerk.programme import drafts

        self.measure  # noqa: B018 - something to freeze
        return drafts.freeze("Beispiel").number

    def make_reflection_link(self) -> int:
        from netzwerk.programme import drafts, reflection
        from netzwerk.workshops import services as workshops

        self.invitation  # noqa: B018 - someone to give a link
        draft = drafts.get_draft(self.draft)
        workshop = workshops.get_workshop(self.workshop)
        return reflection.create_links(draft, workshop, None)[0].id

    def make_reflection_token(self) -> str:
        from netzwerk.programme import reflection

        return reflection.token(reflection.get_link(self.reflection_link))

    def make_status_update(self) -> int:
        from netzwerk.programme import monitoring
        from netzwerk.programme import services as programme

        measure = programme.get_measure(self.measure)
        return monitoring.add_update(measure, {"status": "laufend", "note": "Start"}).id

    def make_indicator_value(self) -> int:
        from netzwerk.programme import monitoring
        from netzwerk.programme import services as programme

        measure = programme.get_measure(self.measure)
        return monitoring.add_value(measure, {"value": 3}).id

    def make_feed_token(self) -> str:

        return feeds.create_feed(None).token

    def make_key(self) -> str:
        return "verwaltung"

    def make_survey(self) -> int:
        from netzwerk.actors.models import Actor
        from netzwerk.surveys import services as surveys

        survey = surveys.create_survey(
            {
                "title": f"Befragung {len(self._ids)}",
                "topic_ids": [self.topic],
                "closes_on": (datetime.now() + timedelta(days=30)).date().isoformat(),
            }
        )
        person = factories.contact(db.session.get(Actor, self.actor))
        surveys.add_recipients(survey, [person.id])
        return survey.id

    def make_recipient(self) -> int:
        from netzwerk.surveys import services as surveys

        return surveys.get_survey(self.survey).recipients[0].id

    def make_survey_token(self) -> str:
        from netzwerk.surveys import services as surveys
        from netzwerk.surveys.tokens import link_token

        return link_token(surveys.get_recipient(self.recipient))

    def make_proposal(self) -> int:
        from netzwerk.surveys import answers
        from netzwerk.surveys import services as surveys

        recipient = surveys.get_recipient(self.recipient)
        answers.save_answer(recipient, {"nominations": [{"name": "Genannt e.V."}]})
        from netzwerk.surveys.models import SurveyProposal

        return db.session.scalar(
            sa.select(SurveyProposal.id).where(SurveyProposal.recipient_id == recipient.id)
        )

    def make_survey_batch(self) -> str:
        from netzwerk.surveys import sending
        from netzwerk.surveys import services as surveys

        return sending.send_survey(surveys.get_survey(self.survey))[0]


class DemoWorld(World):
    """Existing rows of the Aachen demo data: what a reader of the site would open."""

    def _relation(self):
        from netzwerk.actors.models import Relation

        return db.session.scalars(sa.select(Relation).order_by(Relation.id)).first()

    def make_actor(self) -> int:
        return self._relation().source_id

    def make_other(self) -> int:
        return self._relation().target_id

    def make_relation(self) -> int:
        return self._relation().id

    def make_contact(self) -> int:
        from netzwerk.actors.models import Contact

        return db.session.scalars(sa.select(Contact.id).order_by(Contact.id)).first()

    def make_topic(self) -> int:
        from netzwerk.topics.models import Topic

        return db.session.scalars(sa.select(Topic.id).order_by(Topic.id)).first()

    def make_link(self) -> int:
        from netzwerk.topics.models import ActorTopic

        return db.session.scalars(sa.select(ActorTopic.id).order_by(ActorTopic.id)).first()

    def make_item(self) -> int:
        from netzwerk.network import reference_store

        reference_store.ensure_reference()
        return reference_store.reference_items()[0].id

    def make_project(self) -> int:
        from netzwerk.projects.models import Project

        return db.session.scalars(sa.select(Project.id).order_by(Project.id)).first()


class FreshWorld(World):
    """New rows for one write request, related to each other as the routes expect."""

    def _get(self, model, name: str):
        return db.session.get(model, getattr(self, name))

    def make_actor(self) -> int:
        return factories.actor().id

    def make_other(self) -> int:
        return factories.actor(category="schule").id

    def make_relation(self) -> int:
        from netzwerk.actors.models import Actor

        return factories.relation(self._get(Actor, "actor"), self._get(Actor, "other")).id

    def make_contact(self) -> int:
        from netzwerk.actors.models import Actor

        return factories.contact(self._get(Actor, "actor")).id

    def make_topic(self) -> int:
        return factories.topic().id

    def make_link(self) -> int:
        from netzwerk.actors.models import Actor
        from netzwerk.topics.models import Topic

        return factories.link(self._get(Actor, "actor"), self._get(Topic, "topic")).id

    def make_item(self) -> int:
        from netzwerk.network import reference_store
        from netzwerk.topics.models import Topic

        code = self._get(Topic, "topic").code
        return reference_store.create_item(
            {"topic_code": code, "category_key": "verwaltung", "min_count": 1, "reason": "Test"}
        ).id

    def make_project(self) -> int:
        return factories.project(lead_actor_id=self.actor, topics=[self.topic]).id


# URL parameter → value, or a list of values each requested. Keyed by parameter name, or by
# (endpoint, parameter name) where one name means different things on different routes.
SAMPLES = {
    "actor_id": lambda w: w.actor,
    "relation_id": lambda w: w.relation,
    "contact_id": lambda w: w.contact,
    "topic_id": lambda w: w.topic,
    "link_id": lambda w: w.link,
    "user_id": lambda w: w.user,
    "token_id": lambda w: w.api_token,
    "item_id": lambda w: w.item,
    "project_id": lambda w: w.project,
    "outcome_id": lambda w: w.outcome,
    "follow_up_id": lambda w: w.follow_up,
    "goal_id": lambda w: w.goal,
    "measure_id": lambda w: w.measure,
    "number": lambda w: w.draft,
    "ref_from": lambda w: w.draft,
    "ref_to": lambda w: "current",
    ("programme.revoke_reflection_link", "link_id"): lambda w: w.reflection_link,
    "update_id": lambda w: w.status_update,
    "value_id": lambda w: w.indicator_value,
    ("programme.reflect", "token"): lambda w: w.reflection_token,
    ("programme.comment", "token"): lambda w: w.reflection_token,
    "key": lambda w: w.key,
    "workshop_id": lambda w: w.workshop,
    "invitation_id": lambda w: w.invitation,
    "slot_id": lambda w: w.slot,
    "batch": lambda w: w.batch,
    "token": lambda w: w.rsvp_token,
    ("workshops.feed", "token"): lambda w: w.feed_token,
    "survey_id": lambda w: w.survey,
    "recipient_id": lambda w: w.recipient,
    "proposal_id": lambda w: w.proposal,
    ("surveys.respond", "token"): lambda w: w.survey_token,
    ("surveys.organisation_names", "token"): lambda w: w.survey_token,
    ("surveys.delivery", "batch"): lambda w: w.survey_batch,
    ("surveys.delivery_status", "batch"): lambda w: w.survey_batch,
    ("surveys.export", "fmt"): lambda w: "csv",
    ("network.vendor", "name"): lambda w: vendor_files(),
    # one format each: who may download does not depend on it, and exports are slow
    ("network.export", "fmt"): lambda w: "json",
    ("exchange.template", "name"): lambda w: "akteure",
    ("exchange.template", "fmt"): lambda w: "xlsx",
    ("exchange.export", "name"): lambda w: "alle",
    ("exchange.export", "fmt"): lambda w: "xlsx",
    ("exchange.export_actor_list", "fmt"): lambda w: ["csv", "vcf"],
    ("exchange.report", "which"): lambda w: "luecken",
    ("exchange.report", "fmt"): lambda w: "csv",
}


def vendor_files() -> list[str]:
    from netzwerk.network.vendor import VENDOR_FILES

    return sorted(VENDOR_FILES)


def urls_for(app, rule, world: World) -> list[str]:
    """Every URL to request for a rule; KeyError(message) when a parameter has no sample."""
    values: dict[str, list] = {}
    for name in sorted(rule.arguments):
        converter = rule._converters.get(name)
        sample = SAMPLES.get((rule.endpoint, name)) or SAMPLES.get(name)
        if sample is not None:
            value = sample(world)
        elif isinstance(converter, AnyConverter):
            value = sorted(converter.items)
        else:
            raise KeyError(
                f"add a sample value for {name} in {rule.rule} "
                f"(SAMPLES in tests/test_security_routes.py)"
            )
        values[name] = value if isinstance(value, list) else [value]
    combos: list[dict] = [{}]
    for name, options in values.items():
        combos = [{**combo, name: option} for combo in combos for option in options]
    with app.test_request_context():
        from flask import url_for

        return [url_for(rule.endpoint, **combo) for combo in combos]


# --- expectations ---------------------------------------------------------------------------


def needed_role(app, endpoint: str, method: str) -> str:
    """PUBLIC, or the least role that may use the route ("viewer" = any logged-in user)."""
    view = app.view_functions[endpoint]
    if getattr(view, "is_public", False):
        return PUBLIC
    role = IN_VIEW_ROLES.get(endpoint, {}).get(method) or getattr(view, "required_role", None)
    return str(role.value if hasattr(role, "value") else role) if role else "viewer"


def expected(needed: str, role: str | None, is_api: bool) -> str:
    if needed == PUBLIC:
        return "let through"
    if role is None:
        return "401 JSON" if is_api else "302 to /login"
    if RANK[role] < RANK[needed]:
        return "403"
    return "let through"


def sent_to_login(response) -> bool:
    """The login requirement's redirect: to /login with the page to come back to (a logout
    also ends on /login, but without `next`)."""
    location = urlsplit(response.headers.get("Location", ""))
    return response.status_code == 302 and location.path == "/login" and "next=" in location.query


def outcome_ok(expectation: str, method: str, response) -> bool:
    status = response.status_code
    if status >= 500:
        return False
    if expectation == "302 to /login":
        return sent_to_login(response)
    if expectation == "401 JSON":
        return status == 401 and response.is_json
    if expectation == "403":
        return status == 403
    if sent_to_login(response):
        return False
    if status == 400 and CSRF_MESSAGE in response.get_data(as_text=True):
        return False
    allowed = WRITE_LET_THROUGH if method in WRITES else READ_LET_THROUGH
    return status in allowed


def describe(response) -> str:
    status = response.status_code
    if 300 <= status < 400:
        return f"{status} to {response.headers.get('Location')}"
    if response.is_json:
        return f"{status} {response.get_data(as_text=True)[:150]}"
    return str(status)


# Tables a read may write to, and why.
WRITTEN_BY_READS = {
    "audit_entry": "downloads of personal data are logged",
    "shared_analysis": (
        "the metrics and the unfiltered map a read made, kept for the other workers "
        "(derived, no new data)"
    ),
}


def row_counts() -> dict[str, int]:
    """Rows per table, but for the tables in WRITTEN_BY_READS."""
    tables = [t for t in db.metadata.sorted_tables if t.name not in WRITTEN_BY_READS]
    query = sa.union_all(
        *(sa.select(sa.literal(t.name), sa.func.count()).select_from(t) for t in tables)
    )
    with db.engine.connect() as conn:
        return dict(conn.execute(query).all())


def checked_rules(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


# --- the test -------------------------------------------------------------------------------


@pytest.fixture
def demo(app):
    from netzwerk.demo.services import load_demo
    from netzwerk.network import reference_store

    with app.app_context():
        load_demo()
        reference_store.ensure_reference()  # as `init-db` does
    return app


def session_of(app, login, role: str | None) -> tuple[str, str, int | None]:
    """The session cookie, its CSRF token and the user id of one role (None: anonymous)."""
    from netzwerk.auth.models import User

    if role is None:
        c = app.test_client()
        token = csrf_token(c)
        user_id = None
    else:
        c = login(role)
        token = c.csrf
        with app.app_context():
            user_id = db.session.scalar(sa.select(User.id).where(User.username == f"{role}-user"))
    return c.get_cookie("session").value, token, user_id


def send(app, cookie: str, token: str, method: str, url: str, is_api: bool):
    """One request on a fresh client holding a copy of the session, so a logout or any other
    change to the session stays with this request."""
    c = app.test_client()
    c.set_cookie("session", cookie)
    if method not in WRITES:
        return c.open(url, method=method)
    if is_api:
        return c.open(url, method=method, json={}, headers={"X-CSRFToken": token})
    return c.open(url, method=method, data={"csrf_token": token})


@contextmanager
def same_session_generation(app, user_id: int | None):
    """Logout, a new password and "Überall sonst abmelden" end every copy of the session on the
    server (issue 14); the walk puts the user's session generation back after each request, so
    that the next request with the copied cookie is judged on its own."""
    from netzwerk.auth.models import User

    if user_id is None:
        yield
        return
    with app.app_context():
        generation = db.session.get(User, user_id).session_generation
    try:
        yield
    finally:
        with app.app_context():
            db.session.get(User, user_id).session_generation = generation
            db.session.commit()


def test_every_route_answers_each_role_as_its_view_declares(demo, login):
    app = demo
    sessions = {role: session_of(app, login, role) for role in ROLES}
    demo_worlds = {role: DemoWorld(app, sessions[role][2]) for role in ROLES}
    failures: list[str] = []
    checks = 0
    pairs = 0
    for rule, method in checked_rules(app):
        pairs += 1
        is_api = rule.rule.startswith("/api/") or rule.endpoint.startswith("api.")
        needed = needed_role(app, rule.endpoint, method)
        for role in ROLES:
            cookie, token, user_id = sessions[role]
            world = FreshWorld(app, user_id) if method in WRITES else demo_worlds[role]
            who = role or "anonymous"
            try:
                urls = urls_for(app, rule, world)
            except KeyError as exc:
                failures.append(f"{rule.endpoint}: {exc.args[0]}")
                break
            for url in urls:
                want = expected(needed, role, is_api)
                with app.app_context():
                    before = row_counts() if method not in WRITES else None
                checks += 1
                try:
                    with same_session_generation(app, user_id):
                        response = send(app, cookie, token, method, url, is_api)
                except Exception as exc:  # noqa: BLE001 - reported with all the others
                    failures.append(f"{who:9} {method:6} {url}: raised {exc!r}")
                    continue
                if not outcome_ok(want, method, response):
                    failures.append(
                        f"{who:9} {method:6} {url}: expected {want}, got {describe(response)}"
                    )
                if before is not None:
                    with app.app_context():
                        after = row_counts()
                    if after != before:
                        changed = {t: (before[t], after[t]) for t in after if after[t] != before[t]}
                        failures.append(f"{who:9} {method:6} {url}: a read changed rows {changed}")
    print(f"\nauthorization: {pairs} route×method pairs, {checks} requests over {len(ROLES)} roles")
    assert pairs > 50, "the URL map looks empty"
    assert not failures, f"{len(failures)} of {checks} checks failed:\n" + "\n".join(failures)


# --- rules that keep the table above honest --------------------------------------------------


def test_every_write_route_names_who_may_use_it(app):
    """A new POST/PATCH/DELETE route without a role check would pass the test above for
    viewers; so it has to be decorated, or listed here with the reason any user may use it."""
    missing = []
    for rule, method in checked_rules(app):
        if method not in WRITES:
            continue
        view = app.view_functions[rule.endpoint]
        if getattr(view, "is_public", False) or getattr(view, "required_role", None):
            continue
        if rule.endpoint in SELF_SERVICE or method in IN_VIEW_ROLES.get(rule.endpoint, {}):
            continue
        missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert not missing, (
        "these routes change data but name no role: decorate them with editor_required/"
        "admin_required, or add them to SELF_SERVICE in tests/test_security_routes.py with a "
        "reason:\n" + "\n".join(missing)
    )


def test_listed_exceptions_still_exist(app):
    for endpoint in [*SELF_SERVICE, *IN_VIEW_ROLES]:
        assert endpoint in app.view_functions, f"{endpoint} is gone: remove it from the table"


ROLE_DECORATORS = {"editor_required", "admin_required", "role_required"}
ROUTE_DECORATORS = {"route", "get", "post", "put", "patch", "delete"}


def _decorator_name(node: ast.expr) -> str:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def test_role_decorators_sit_below_the_route_decorator():
    """`@editor_required` above `@bp.route` registers the unchecked function: the role check
    would silently never run (and `required_role` would be missing from the URL map)."""
    wrong = []
    for path in sorted((ROOT / "netzwerk").rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            names = [_decorator_name(d) for d in node.decorator_list]
            routes = [
                i for i, n in enumerate(names) if n in ROUTE_DECORATORS or n.endswith("_route")
            ]
            roles = [i for i, n in enumerate(names) if n in ROLE_DECORATORS]
            if routes and roles and min(roles) < max(routes):
                wrong.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert not wrong, "role decorator above the route decorator:\n" + "\n".join(wrong)


def test_unknown_parameter_message_names_rule_and_parameter(app):
    """The failure a forgotten sample produces says what to add and where."""

    class Rule:
        rule = "/neu/<int:gadget_id>"
        endpoint = "x.y"
        arguments = {"gadget_id"}
        _converters: dict = {}

    with pytest.raises(KeyError) as info:
        urls_for(app, Rule, World(app, None))
    assert info.value.args[0].startswith("add a sample value for gadget_id in /neu/<int:gadget_id>")


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\t/evil.example/",
        "/\n/evil.example/",
        "/\\evil.example/",
        "/\\\\evil.example/",
    ],
)
def test_login_returns_only_to_pages_of_this_site(app, make_user, target):
    """?next= after the login is a path here, never a way to send a user to another host."""
    from tests.conftest import PASSWORD

    make_user("rueckkehr", "viewer")
    c = app.test_client()
    response = c.post(
        "/login",
        query_string={"next": target},
        data={"username": "rueckkehr", "password": PASSWORD, "csrf_token": csrf_token(c)},
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    parts = urlsplit(location)
    assert not parts.scheme and not parts.netloc, location
    assert not location.startswith(("//", "/\\")), location


def test_login_returns_to_the_page_asked_for(app, make_user):
    from tests.conftest import PASSWORD

    make_user("rueckkehr", "viewer")
    c = app.test_client()
    assert urlsplit(c.get("/themen/").headers["Location"]).query == "next=/themen/"
    response = c.post(
        "/login?next=/themen/",
        data={"username": "rueckkehr", "password": PASSWORD, "csrf_token": csrf_token(c)},
    )
    assert response.headers["Location"] == "/themen/"
