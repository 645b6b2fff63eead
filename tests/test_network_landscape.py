"""The Akteurslandkarte's slots: sector → slice, role → ring, and a placement that is the same
for the same data, keeps every node in its slice and ring and no two label boxes overlapping."""

from __future__ import annotations

import math

import sqlalchemy as sa

from netzwerk.extensions import db
from netzwerk.network import landscape
from netzwerk.network.landscape import Item


def test_sectors_map_onto_the_six_slices():
    assert landscape.slice_of("verwaltung") == landscape.ADMINISTRATION
    assert landscape.slice_of("politik") == landscape.ADMINISTRATION
    assert landscape.slice_of("verwaltung", "land") == landscape.FUNDERS
    assert landscape.slice_of("politik", "bund") == landscape.FUNDERS
    assert landscape.slice_of("zivilgesellschaft") == landscape.CIVIL_SOCIETY
    assert landscape.slice_of("medien") == landscape.CIVIL_SOCIETY
    assert landscape.slice_of("bildung") == landscape.EDUCATION
    assert landscape.slice_of("wirtschaft") == landscape.ECONOMY
    assert landscape.slice_of("partnerstadt") == landscape.INTERNATIONAL
    assert landscape.slice_of("staat") == landscape.FUNDERS
    assert landscape.slice_of("") == landscape.CIVIL_SOCIETY  # a named organisation, no category


def test_roles_and_influence_give_the_ring():
    assert landscape.ring_of(["federfuehrend"]) == landscape.KEY
    assert landscape.ring_of(["mitwirkend", "federfuehrend"]) == landscape.KEY
    assert landscape.ring_of([], power=4, interest=5) == landscape.KEY
    assert landscape.ring_of([], power=5, interest=3) == landscape.SECONDARY
    assert landscape.ring_of(["mitwirkend"], power=2, interest=2) == landscape.PRIMARY
    assert landscape.ring_of(["interessiert"]) == landscape.SECONDARY
    assert landscape.ring_of(["betroffen"]) == landscape.SECONDARY
    assert landscape.ring_of([]) == landscape.SECONDARY


def items(n: int) -> list[Item]:
    slices = [key for key, _ in landscape.SLICES]
    rings = [key for key, _ in landscape.RINGS]
    return [
        Item(
            id=f"a{i}",
            name=f"Akteur {i:03d}",
            slice=slices[(i * 7) % len(slices)],
            ring=rings[(i * 5) % len(rings)],
            label=f"Akteur Nummer {i} mit langem Namen" if i % 4 == 0 else f"A{i}",
        )
        for i in range(n)
    ]


def overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_placement_is_deterministic_and_keeps_slices_rings_and_labels_apart():
    data = items(80)
    positions, geometry = landscape.place(data, [("t1", "SDG12")])
    again, geometry_again = landscape.place(list(reversed(data)), [("t1", "SDG12")])
    assert positions == again and geometry == geometry_again
    assert positions["t1"] == (0.0, 0.0)

    rings = {r["key"]: r for r in geometry["rings"]}
    slice_index = {key: i for i, (key, _) in enumerate(landscape.SLICES)}
    for item in data:
        x, y = positions[item.id]
        start, end = landscape.slice_angles(slice_index[item.slice])
        angle = math.atan2(y, x)
        while angle < start:
            angle += 2 * math.pi
        assert start < angle < end, item
        ring = rings[item.ring]
        assert ring["inner"] < math.hypot(x, y) < ring["outer"], item
    boxes = [landscape.box(i.label, *positions[i.id]) for i in data]
    boxes.append(landscape.topic_box("SDG12", 0.0, 0.0))
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not overlaps(a, b)
    # rings follow each other outwards
    assert geometry["centre"] <= geometry["rings"][0]["inner"]
    for inner, outer in zip(geometry["rings"], geometry["rings"][1:], strict=False):
        assert inner["outer"] == outer["inner"]


def test_within_a_slice_and_ring_names_come_in_order():
    data = [
        Item(id=f"a{i}", name=name, slice=landscape.ECONOMY, ring=landscape.KEY, label=name)
        for i, name in enumerate(["Zeta", "alpha", "Mitte"])
    ]
    positions, _ = landscape.place(data)
    nearest = sorted(data, key=lambda i: (math.hypot(*positions[i.id]), i.id))
    assert [i.name for i in nearest][0] == "alpha"


def test_map_api_places_actors_and_ghost_slots_in_their_slices(app, login):
    from netzwerk.demo.services import load_demo
    from netzwerk.topics.models import Topic

    with app.app_context():
        load_demo()
        sdg12 = db.session.scalar(sa.select(Topic.id).where(Topic.code == "SDG12"))
    client = login("viewer")
    url = f"/api/graph?topic={sdg12}&ansicht=akteurslandkarte"
    data = client.get(url).get_json()
    assert data["filters"]["ansicht"] == "akteurslandkarte"
    geo = data["landscape"]
    assert [s["label"] for s in geo["slices"]][0] == "Verwaltung und Politik"
    assert [r["label"] for r in geo["rings"]] == [
        "Schlüsselakteure",
        "Primärakteure",
        "Sekundärakteure",
    ]
    kinds = {n["kind"] for n in data["nodes"]}
    assert kinds == {"actor", "topic", "gap"}  # no workshops or projects in this view
    assert not [e for e in data["edges"] if e["kind"] in ("topic_link", "gap")]
    ghosts = [n for n in data["nodes"] if n["kind"] == "gap"]
    assert {g["slice"] for g in ghosts} >= {landscape.EDUCATION, landscape.ECONOMY}
    assert client.get(url).get_json() == data  # the same data, the same picture

    english = client.get(url + "&lang=en").get_json()["landscape"]
    assert english["slices"][0]["label"] == "Administration and politics"
    assert [r["label"] for r in english["rings"]] == [
        "Key actors",
        "Primary actors",
        "Secondary actors",
    ]

    wrong = client.get("/api/graph?ansicht=kreis")
    assert wrong.status_code == 422 and "ansicht" in wrong.get_json()["error"]


def test_the_akteurslandkarte_downloads_as_svg_with_title_slots_and_legend(app, login):
    """What a coordinator puts in front of the steering group: one SVG file with the topic in
    the title, the date, the six slice and three ring names, every actor's label, the missing
    actor groups as dashed slots with their names, the legend and a text alternative."""
    from xml.etree import ElementTree

    from netzwerk.demo.services import load_demo
    from netzwerk.topics.models import Topic

    with app.app_context():
        load_demo()
        sdg12 = db.session.scalar(sa.select(Topic.id).where(Topic.code == "SDG12"))
        api = None
    client = login("viewer")
    api = client.get(f"/api/graph?topic={sdg12}&ansicht=akteurslandkarte").get_json()
    response = client.get(f"/karte/akteurslandkarte.svg?topic={sdg12}")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert "akteurslandkarte.svg" in response.headers["Content-Disposition"]
    ns = {"svg": "http://www.w3.org/2000/svg"}
    root = ElementTree.fromstring(response.data)
    texts = ["".join(t.itertext()) for t in root.iterfind(".//svg:text", ns)]
    joined = "\n".join(texts)
    assert texts[0].startswith("Akteurslandkarte – SDG12")
    assert texts[1].startswith("Stand: ")
    for name in (
        "Verwaltung und Politik",
        "Zivilgesellschaft",
        "Bildung und Wissenschaft",
        "Wirtschaft",
        "Partnerstädte und international",
        "Land, Bund, Fördermittelgeber",
        "Schlüsselakteure",
        "Primärakteure",
        "Sekundärakteure",
        "Legende",
    ):
        assert name in texts, name
    for node in api["nodes"]:
        if node["kind"] in ("actor", "gap"):
            # a label wraps onto several lines: every word is drawn
            assert all(word in joined for word in node["label"].split()), node["label"]
    gaps = [n for n in api["nodes"] if n["kind"] == "gap"]
    dashed = root.findall(".//svg:circle[@stroke-dasharray]", ns)
    assert len(dashed) >= len(gaps) > 0  # the slots (and the legend's sample)
    desc = root.find("svg:desc", ns).text
    assert "leere Plätze für fehlende Akteure" in desc and gaps[0]["label"] in desc

    english = client.get(f"/karte/akteurslandkarte.svg?topic={sdg12}&lang=en")
    texts = [
        "".join(t.itertext())
        for t in ElementTree.fromstring(english.data).iterfind(".//svg:text", ns)
    ]
    assert texts[0].startswith("Actor map – SDG12")
    assert "Key actors" in texts and "Legend" in texts
