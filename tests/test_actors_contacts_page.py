"""/kontakte: the coordination's address book, searched by name, e-mail, organisation and
function; reached from the navigation and the dashboard tile."""

from __future__ import annotations

from tests import factories


def people(app):
    with app.app_context():
        verein = factories.actor(name="Förderverein Aachen-Kapstadt e.V.")
        factories.contact(
            verein, name="Jürgen Müller", function="Vorsitzender", email="jm@verein.example"
        )
        rathaus = factories.actor(name="Stadt Aachen FB01")
        factories.contact(
            rathaus, name="Miriam Albers", function="KEpol-Koordination", email="m@aachen.example"
        )


def rows(html: str) -> str:
    return html.split('id="contacts"', 1)[1].split("</table>", 1)[0]


def test_contacts_are_found_by_name_mail_organisation_and_function(app, login):
    people(app)
    viewer = login("viewer")
    everyone = rows(viewer.get("/kontakte/").get_data(as_text=True))
    assert "Jürgen Müller" in everyone and "Miriam Albers" in everyone
    for query in ("mueller", "Jürgen", "jm@verein", "kapstadt", "vorsitz", "Förderverein Müller"):
        found = rows(viewer.get("/kontakte/", query_string={"q": query}).get_data(as_text=True))
        assert "Jürgen Müller" in found and "Miriam Albers" not in found, query
    found = rows(viewer.get("/kontakte/?q=koordination").get_data(as_text=True))
    assert "Miriam Albers" in found and "Jürgen Müller" not in found
    nothing = viewer.get("/kontakte/?q=niemand").get_data(as_text=True)
    assert "Keine Kontakte gefunden." in nothing
    assert "bearbeiten" not in everyone  # viewers read, editors change


def test_editors_get_edit_links_and_the_dashboard_tile_leads_there(app, login):
    people(app)
    editor = login("editor")
    assert "/bearbeiten" in rows(editor.get("/kontakte/").get_data(as_text=True))
    dashboard = editor.get("/").get_data(as_text=True)
    assert 'href="/kontakte/"><strong>2</strong>' in dashboard


def test_anonymous_visitors_see_no_contacts(app):
    people(app)
    response = app.test_client().get("/kontakte/")
    assert response.status_code == 302 and "/login" in response.location
