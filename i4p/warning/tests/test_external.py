"""Importing UCDP GED and ACLED-layout files: typed, placed as precisely as the data allows,
re-imported without duplicates, bad rows reported and skipped."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from conftest import shared_file
from i4p.accounts.models import TokenScope
from i4p.accounts.services import issue_token
from i4p.core.errors import Invalid
from i4p.geo.loaders import load_places
from i4p.geo.models import Place, PlaceKind
from i4p.warning.external import import_events
from i4p.warning.frameworks import load_default_framework
from i4p.warning.models import ExternalEvent, ExternalSource, PlacePrecision, TimePrecision
from i4p.warning.tests.builders import WarningWorld, build_warning_world
from i4p.web.tests.world import database_fingerprint

pytestmark = pytest.mark.django_db

GED_HEADER = [
    "id", "year", "type_of_violence", "conflict_name", "side_a", "side_b", "where_prec",
    "where_coordinates", "adm_1", "adm_2", "latitude", "longitude", "country", "date_prec",
    "date_start", "date_end", "low", "best", "high", "source_headline",
]  # fmt: skip
ACLED_HEADER = [
    "event_id_cnty", "event_date", "event_type", "sub_event_type", "actor1", "actor2",
    "country", "iso", "admin1", "admin2", "location", "latitude", "longitude", "geo_precision",
    "time_precision", "fatalities", "notes",
]  # fmt: skip


def csv_file(tmp_path: Path, header: list[str], rows: list[dict[str, Any]]) -> Path:
    path = tmp_path / "events.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        for row in rows:
            writer.writerow({name: row.get(name, "") for name in header})
    return path


def ged(event_id: str, **more: Any) -> dict[str, Any]:
    """A GED event in Tamale (Ghana), known to the point and the day."""
    return {
        "id": event_id,
        "year": "2024",
        "type_of_violence": "2",
        "conflict_name": "Bimoba - Konkomba",
        "side_a": "Bimoba",
        "side_b": "Konkomba",
        "where_prec": "1",
        "where_coordinates": "Tamale town",
        "latitude": "9.41",
        "longitude": "-0.86",
        "country": "Ghana",
        "date_prec": "1",
        "date_start": "2024-06-01",
        "date_end": "2024-06-01",
        "low": "2",
        "best": "3",
        "high": "5",
        **more,
    }


def events() -> dict[str, ExternalEvent]:
    return {e.source_id: e for e in ExternalEvent.objects.select_related("place", "event_type")}


# -- UCDP GED, real files -------------------------------------------------------------------


def test_the_syria_ged_release_imports_typed_dated_and_placed() -> None:
    path = shared_file("ucdp/data4ds4da_ucdp_syria_ged191.csv.gz")
    load_places(["SY"], progress=False)
    load_default_framework()

    report = import_events(path, kind="ucdp", by=None)

    assert (report.rows, report.created, report.skipped) == (16566, 16566, 0)
    first = ExternalEvent.objects.select_related("place", "event_type").get(source_id="214797")
    assert first.source == ExternalSource.UCDP_GED
    assert first.event_type is not None and first.event_type.code == "battles"
    assert first.type_label == "State-based conflict, Syria: Government"
    assert first.actors_text == "Government of Syria - Syrian insurgents"
    assert (first.fatalities, first.fatalities_low, first.fatalities_high) == (4, 4, 4)
    assert first.time_precision == TimePrecision.DAY
    assert first.place_precision == PlacePrecision.EXACT
    assert first.country_code == "SY"
    assert first.place is not None and first.place.country_code == "SY"
    assert first.raw["source_office"] == "SOHR"
    # Every event is at least in Syria; region-only events are filed no deeper than that.
    assert not ExternalEvent.objects.filter(place__isnull=True).exists()
    assert not ExternalEvent.objects.filter(
        place_precision=PlacePrecision.ADMIN1, place__kind=PlaceKind.ADMIN2
    ).exists()
    assert (
        not ExternalEvent.objects.filter(place_precision=PlacePrecision.COUNTRY)
        .exclude(place__kind=PlaceKind.COUNTRY)
        .exists()
    )


def test_importing_a_file_again_or_a_newer_release_updates_and_never_duplicates() -> None:
    load_places(["SY", "MM", "BD"], progress=False)
    subset = shared_file("ucdp/hdx-scraper-ucdp_ged191_MMR_BGD_subset.csv")
    sample = shared_file("ucdp/uncertainUCDP_ucdpged_sample_ged231.csv")
    first = import_events(subset, kind="ucdp", by=None)
    total = ExternalEvent.objects.count()

    again = import_events(subset, kind="ucdp", by=None)
    newer = import_events(sample, kind="ucdp", by=None)

    assert first.created == total == 3194
    assert (again.created, again.updated) == (0, 3194)
    assert ExternalEvent.objects.count() == total + newer.created
    assert newer.created + newer.updated == 1000 - newer.skipped
    myanmar = ExternalEvent.objects.get(source_id="209980")
    assert myanmar.country_code == "MM" and myanmar.place is not None
    assert myanmar.time_precision == TimePrecision.WEEK  # date_prec 2: within 2-6 days


def test_the_hdx_file_with_hxl_hashtags_imports_and_an_hdx_summary_is_refused() -> None:
    load_places(["BD"], progress=False)
    tagged = shared_file("hdx/hdx-scraper-ucdp_conflict_data_BGD_hxl.csv")
    summary = shared_file("hdx/hdx-scraper-ucdp_qc_conflict_data_BGD_hxl.csv")

    report = import_events(tagged, kind="ucdp", by=None)
    with pytest.raises(Invalid) as refused:
        import_events(summary, kind="ucdp", by=None)

    assert (report.created, report.skipped) == (601, 0)  # the hashtag row is not an event
    assert set(ExternalEvent.objects.values_list("country_code", flat=True)) == {"BD"}
    assert "date_start" in refused.value.message
    assert ExternalEvent.objects.count() == 601


# -- places follow the stated precision -----------------------------------------------------


def test_the_place_goes_no_deeper_than_ged_says_the_coordinates_are_known(
    tmp_path: Path,
) -> None:
    world = build_warning_world()
    path = csv_file(
        tmp_path,
        GED_HEADER,
        [
            ged("1", where_prec="1"),
            ged("2", where_prec="2"),
            ged("3", where_prec="3"),
            ged("4", where_prec="4"),
            ged("5", where_prec="5"),
            ged("6", where_prec="6"),
            ged("7", where_prec="7"),
            ged("8", country="Togo"),  # a point near a border, on the wrong side
        ],
    )

    import_events(path, kind="ucdp", by=None)

    found = events()
    expected = {
        "1": (world.tamale, PlacePrecision.EXACT),
        "2": (world.tamale, PlacePrecision.NEAR),
        "3": (world.tamale, PlacePrecision.ADMIN2),
        "4": (world.northern, PlacePrecision.ADMIN1),
        "5": (world.ghana, PlacePrecision.COUNTRY),
        "6": (world.ghana, PlacePrecision.COUNTRY),
        "7": (world.ghana, PlacePrecision.UNKNOWN),  # at sea: only the stated country
        "8": (None, PlacePrecision.EXACT),  # Togo is not loaded: the point is not trusted
    }
    assert {k: (e.place, e.place_precision) for k, e in found.items()} == expected
    assert found["8"].country_code == "TG"
    assert found["1"].event_type is not None
    assert found["1"].event_type.code == "battles.armed_clash"  # non-state conflict


def test_ged_types_and_date_precisions_map_to_the_frameworks(tmp_path: Path) -> None:
    build_warning_world()
    path = csv_file(
        tmp_path,
        GED_HEADER,
        [
            ged("1", type_of_violence="1", date_prec="4", date_end="2024-06-28"),
            ged("2", type_of_violence="2", date_prec="3"),
            ged("3", type_of_violence="3", date_prec="5", date_end="2024-12-31"),
        ],
    )

    import_events(path, kind="ucdp", by=None)

    found = events()
    assert {k: e.event_type.code for k, e in found.items() if e.event_type} == {
        "1": "battles",
        "2": "battles.armed_clash",
        "3": "violence_against_civilians.attack",
    }
    assert {k: e.time_precision for k, e in found.items()} == {
        "1": TimePrecision.MONTH,
        "2": TimePrecision.WEEK,
        "3": TimePrecision.YEAR,
    }
    assert str(found["3"].occurred_until) == "2024-12-31"


# -- bad rows -------------------------------------------------------------------------------


def test_bad_rows_are_skipped_with_their_row_number_and_reason_and_good_rows_are_kept(
    tmp_path: Path,
) -> None:
    build_warning_world()
    path = csv_file(
        tmp_path,
        GED_HEADER,
        [
            ged("1"),
            ged("2", date_start="1st of June"),
            ged("3", where_prec="9"),
            ged("4", latitude="95.2"),
            ged("", best="3"),
            ged("6", best="-3"),
            ged("7", date_end="2024-05-01"),
            ged("8", type_of_violence="4"),
            ged("9"),
        ],
    )

    report = import_events(path, kind="ucdp", by=None, batch_size=3)

    assert set(events()) == {"1", "9"}
    assert (report.rows, report.created, report.skipped) == (9, 2, 7)
    assert [str(problem) for problem in report.problems] == [
        "row 3: date_start '1st of June' is not a date",
        "row 4: where_prec '9' is not 1 to 7",
        "row 5: latitude/longitude 95.2, -0.86 lie outside the globe",
        "row 6: id is empty",
        "row 7: best '-3' is negative",
        "row 8: date_end 2024-05-01 comes before date_start 2024-06-01",
        "row 9: type_of_violence '4' is not 1, 2 or 3",
    ]


def test_the_command_shows_progress_reports_bad_rows_and_sums_up(tmp_path: Path) -> None:
    build_warning_world()
    path = csv_file(tmp_path, GED_HEADER, [ged("1"), ged("2", latitude="north"), ged("3")])
    out, err = io.StringIO(), io.StringIO()

    call_command("import_events", str(path), "--source", "ucdp", stdout=out, stderr=err)
    call_command("import_events", str(path), "--source", "ucdp", stdout=out, stderr=err)

    assert "row 3: latitude/longitude 'north', '-0.86' are not numbers" in err.getvalue()
    assert "3 rows read: 2 events created, 0 updated, 1 rows skipped." in out.getvalue()
    assert "3 rows read: 0 events created, 2 updated, 1 rows skipped." in out.getvalue()
    assert "Importing" in err.getvalue()  # tqdm's bar
    with pytest.raises(CommandError, match="ACLED"):
        call_command("import_events", str(path), "--source", "acled", stdout=out, stderr=err)
    assert ExternalEvent.objects.count() == 2


# -- ACLED ----------------------------------------------------------------------------------


def acled(event_id: str, **more: Any) -> dict[str, Any]:
    return {
        "event_id_cnty": event_id,
        "event_date": "2024-06-01",
        "event_type": "Battles",
        "sub_event_type": "Armed clash",
        "actor1": "Communal Militia (Ghana)",
        "actor2": "Civilians (Ghana)",
        "country": "Ghana",
        "iso": "288",
        "admin1": "Northern",
        "admin2": "Tamale",
        "location": "Tamale",
        "latitude": "9.41",
        "longitude": "-0.86",
        "geo_precision": "1",
        "time_precision": "1",
        "fatalities": "2",
        "notes": "Clash between two groups at the market.",
        **more,
    }


def test_acled_rows_take_the_framework_type_of_the_same_acled_names(tmp_path: Path) -> None:
    world: WarningWorld = build_warning_world()
    path = csv_file(
        tmp_path,
        ACLED_HEADER,
        [
            acled("GHA1"),
            acled(
                "GHA2",
                event_type="Explosions/Remote violence",
                sub_event_type="Air/drone strike",
                event_date="15 January 2020",
                time_precision="2",
                geo_precision="3",
            ),
            acled("GHA3", event_type="Riots", sub_event_type="A kind ACLED adds next year"),
            acled("GHA4", event_type="Protests", sub_event_type="", time_precision="3"),
            acled("GHA5", event_date="last Tuesday"),
            acled("GHA6", geo_precision="7"),
        ],
    )

    report = import_events(path, kind="acled", by=None)

    found = events()
    assert {k: e.event_type.code for k, e in found.items() if e.event_type} == {
        "GHA1": "battles.armed_clash",
        "GHA2": "explosions.air_drone_strike",
        "GHA3": "riots",
        "GHA4": "protests",
    }
    assert found["GHA1"].source == ExternalSource.ACLED
    assert found["GHA1"].type_label == "Battles: Armed clash"
    assert (found["GHA1"].place, found["GHA1"].place_precision) == (
        world.tamale,
        PlacePrecision.LOCALITY,
    )
    assert (found["GHA2"].place, found["GHA2"].place_precision) == (
        world.northern,
        PlacePrecision.ADMIN1,
    )
    assert str(found["GHA2"].occurred_from) == "2020-01-15"
    assert found["GHA2"].time_precision == TimePrecision.WEEK
    assert found["GHA4"].time_precision == TimePrecision.MONTH
    assert found["GHA1"].country_code == "GH" and found["GHA1"].fatalities == 2
    assert found["GHA1"].actors_text == "Communal Militia (Ghana); Civilians (Ghana)"
    assert [p.row for p in report.problems] == [6, 7]
    assert Place.objects.filter(kind=PlaceKind.COUNTRY).count() == 1


# -- the import endpoint --------------------------------------------------------------------


def test_an_analyst_imports_a_file_through_the_api_and_a_monitor_cannot(tmp_path: Path) -> None:
    world = build_warning_world()
    path = csv_file(tmp_path, GED_HEADER, [ged("1"), ged("2", where_prec="x"), ged("3")])

    def send(user: Any, scope: str = TokenScope.WRITE) -> Any:
        _token, plain = issue_token(user, by=user, name="import", scope=scope)
        client = Client(HTTP_AUTHORIZATION=f"Bearer {plain}")
        with path.open("rb") as handle:
            return client.post("/api/v1/external-events/import", {"file": handle, "source": "ucdp"})

    refused = [send(world.monitor), send(world.tamale_analyst, TokenScope.READ)]
    assert [answer.status_code for answer in refused] == [403, 403]
    assert not ExternalEvent.objects.exists()

    first, again = send(world.tamale_analyst), send(world.tamale_analyst)

    assert first.status_code == 200, first.content
    assert first.json() == {
        "rows": 3,
        "created": 2,
        "updated": 0,
        "skipped": 1,
        "problems": [{"row": 3, "reason": "where_prec 'x' is not a number"}],
    }
    assert (again.json()["created"], again.json()["updated"]) == (0, 2)
    assert ExternalEvent.objects.count() == 2


# -- files that are not CSV text ------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"


def test_an_image_sent_to_the_import_endpoint_is_refused_with_its_reason(tmp_path: Path) -> None:
    world = build_warning_world()
    image = tmp_path / "events.png"
    image.write_bytes(PNG)
    _token, plain = issue_token(
        world.tamale_analyst, by=None, name="import", scope=TokenScope.WRITE
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {plain}")
    before = database_fingerprint()

    with image.open("rb") as handle:
        answer = client.post("/api/v1/external-events/import", {"file": handle, "source": "ucdp"})

    assert answer.status_code == 400, answer.content
    assert answer.json()["code"] == "invalid"
    assert "not UTF-8 text" in answer.json()["message"]
    assert answer.json()["fields"] == {"file": ["not a UTF-8 CSV file, plain or gzipped"]}
    assert database_fingerprint() == before


def test_a_file_that_stops_being_utf8_halfway_imports_nothing(tmp_path: Path) -> None:
    build_warning_world()
    path = csv_file(tmp_path, GED_HEADER, [ged(str(n)) for n in range(1, 40)])
    path.write_bytes(path.read_bytes() + b"40,2024,2,\xff\xfe broken\n")

    with pytest.raises(Invalid, match="not UTF-8 text"):
        import_events(path, kind="ucdp", by=None, batch_size=5)

    assert not ExternalEvent.objects.exists()


def test_the_command_says_an_image_is_not_a_csv_file(tmp_path: Path) -> None:
    build_warning_world()
    image = tmp_path / "events.png"
    image.write_bytes(PNG)

    with pytest.raises(CommandError, match="This is not a CSV file: it is not UTF-8 text"):
        call_command("import_events", str(image), "--source", "ucdp", stdout=io.StringIO())

    assert not ExternalEvent.objects.exists()


def test_a_broken_gzip_file_is_refused_with_its_reason(tmp_path: Path) -> None:
    build_warning_world()
    path = tmp_path / "events.csv.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00 not really gzip")

    with pytest.raises(Invalid, match="not a whole gzip file"):
        import_events(path, kind="ucdp", by=None)
