"""Report exports: HXL CSV, GeoJSON and JSON, streamed, scoped and redacted as the pages are."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import hxl
import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.test import Client

from i4p.accounts.services import issue_token
from i4p.core.models import AuditEvent
from i4p.warning.exports import FORMATS, ReportExport, ReportFilters
from i4p.warning.models import Sensitivity, Visibility
from i4p.warning.tests.builders import WarningWorld, build_warning_world
from i4p.warning.tests.exporting import CANARY_EMAIL, CANARY_NAME, CANARY_PHONE, stored_report
from i4p.web.tests.world import logged_in

pytestmark = pytest.mark.django_db

TAMALE_POINT = (9.4321, -0.8512)


def export_text(fmt: str, user: Any, filters: ReportFilters | None = None) -> str:
    return "".join(FORMATS[fmt].write(ReportExport(user, filters)))


def csv_rows(text: str) -> list[dict[str, str]]:
    lines = list(csv.reader(io.StringIO(text)))
    return [dict(zip(lines[1], line, strict=True)) for line in lines[2:]]


@pytest.fixture
def world() -> WarningWorld:
    return build_warning_world()


def test_the_csv_is_read_by_libhxl_which_finds_each_column_by_its_hashtag(
    world: WarningWorld,
) -> None:
    report = stored_report(world.tamale, latitude=TAMALE_POINT[0], longitude=TAMALE_POINT[1])
    text = export_text("csv", world.tamale_analyst)
    data = hxl.data(io.BytesIO(text.encode()))
    rows = list(data)
    assert len(rows) == 1
    assert rows[0].get("#event +code +i4p") == str(report.uuid)
    assert rows[0].get("#adm2 +name") == "Tamale"
    assert rows[0].get("#adm1 +name") == "Northern"
    assert rows[0].get("#country +code") == "GH"
    assert rows[0].get("#geo +lat") == "9.4321"
    assert rows[0].get("#description") == "Houses burnt near the market."
    assert rows[0].get("#meta +reporter") == report.reporter.handle  # type: ignore[union-attr]


def test_each_analyst_exports_only_the_reports_of_their_own_area(world: WarningWorld) -> None:
    tamale = stored_report(world.tamale)
    yendi = stored_report(world.yendi)
    volta = stored_report(world.volta)
    ids = {row["#event +code +i4p"] for row in csv_rows(export_text("csv", world.tamale_analyst))}
    assert ids == {str(tamale.uuid)}
    ids = {row["#event +code +i4p"] for row in csv_rows(export_text("csv", world.yendi_analyst))}
    assert ids == {str(yendi.uuid)}
    national = csv_rows(export_text("csv", world.national_analyst))
    assert {row["#event +code +i4p"] for row in national} == {
        str(r.uuid) for r in (tamale, yendi, volta)
    }


@pytest.mark.parametrize("fmt", ["csv", "geojson", "json"])
def test_no_export_ever_holds_the_reporters_phone_name_or_email(
    world: WarningWorld, fmt: str
) -> None:
    stored_report(world.tamale, visibility=Visibility.PUBLIC, age_hours=100)
    for user in (world.admin, world.national_analyst, world.tamale_analyst, AnonymousUser()):
        text = export_text(fmt, user)
        assert "245550199" not in text and "555 0199" not in text
        assert CANARY_NAME not in text and "Canary" not in text
        assert CANARY_EMAIL not in text and "example.org" not in text
        assert CANARY_PHONE not in text


def test_exact_coordinates_go_only_to_staff_whose_scope_covers_the_place(
    world: WarningWorld,
) -> None:
    stored_report(
        world.tamale, by=world.monitor, latitude=TAMALE_POINT[0], longitude=TAMALE_POINT[1]
    )
    [staff_row] = csv_rows(export_text("csv", world.tamale_analyst))
    assert (staff_row["#geo +lat"], staff_row["#geo +precision"]) == ("9.4321", "exact")
    # The monitor sent it and sees it, but only with the point moved, as the public would.
    [own_row] = csv_rows(export_text("csv", world.monitor))
    assert own_row["#geo +precision"] == "fuzzed"
    assert own_row["#geo +lat"] not in ("", "9.4321")
    assert csv_rows(export_text("csv", world.monitor)) == [own_row]  # the same point each time


def test_anyone_not_signed_in_gets_only_public_reports_without_free_text_or_reporter(
    world: WarningWorld,
) -> None:
    shown = stored_report(world.tamale, visibility=Visibility.PUBLIC, age_hours=100)
    stored_report(world.tamale, age_hours=100)  # private
    text = export_text("csv", AnonymousUser())
    [row] = csv_rows(text)
    assert row["#event +code +i4p"] == str(shown.uuid)
    assert "#description" not in text and "Houses burnt" not in text
    assert "#meta +reporter" not in text and shown.reporter.handle not in text  # type: ignore[union-attr]
    assert row["#adm1 +name"] == "Northern" and row["#adm2 +name"] == ""  # rolled up
    assert len(row["#date +occurred"]) == 10  # the day only


def test_the_geojson_is_a_feature_collection_of_points_longitude_first(
    world: WarningWorld,
) -> None:
    located = stored_report(world.tamale, latitude=TAMALE_POINT[0], longitude=TAMALE_POINT[1])
    at_place = stored_report(world.yendi)
    nowhere = stored_report(None)
    document = json.loads(export_text("geojson", world.admin))
    assert document["type"] == "FeatureCollection" and "crs" not in document
    features = {f["id"]: f for f in document["features"]}
    assert features[str(located.uuid)]["geometry"] == {
        "type": "Point",
        "coordinates": [TAMALE_POINT[1], TAMALE_POINT[0]],
    }
    assert features[str(at_place.uuid)]["geometry"]["coordinates"] == [-0.01, 9.44]
    assert features[str(nowhere.uuid)]["geometry"] is None
    assert features[str(located.uuid)]["properties"]["admin2"] == "Tamale"


def test_the_json_export_lists_every_visible_report_with_named_fields(
    world: WarningWorld,
) -> None:
    report = stored_report(world.tamale, killed=2)
    document = json.loads(export_text("json", world.tamale_analyst))
    assert document["public"] is False
    assert [r["id"] for r in document["reports"]] == [str(report.uuid)]
    assert document["reports"][0]["killed"] == "2"
    assert document["reports"][0]["admin2"] == "Tamale"


def test_an_export_runs_a_fixed_number_of_queries_however_many_reports(
    world: WarningWorld, django_assert_max_num_queries: Any
) -> None:
    for _ in range(3):
        stored_report(world.tamale)
    few = ReportExport(world.national_analyst)
    with django_assert_max_num_queries(12) as few_queries:
        "".join(FORMATS["csv"].write(few))
    for _ in range(30):
        stored_report(world.yendi)
    many = ReportExport(world.national_analyst)
    with django_assert_max_num_queries(12) as many_queries:
        "".join(FORMATS["csv"].write(many))
    assert many.count == 33
    assert len(many_queries.captured_queries) == len(few_queries.captured_queries)


def test_the_download_page_streams_the_reports_and_records_who_exported(
    world: WarningWorld,
) -> None:
    stored_report(world.tamale)
    response = logged_in(world.tamale_analyst).get("/reports/export.csv?kind=incident")
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    assert len(csv_rows(body)) == 1
    event = AuditEvent.objects.get(action="report.exported")
    assert event.by == world.tamale_analyst


def test_a_download_with_a_filter_that_names_nothing_explains_itself(
    world: WarningWorld,
) -> None:
    client = logged_in(world.tamale_analyst)
    response = client.get("/reports/export.csv?place=not-a-place")
    assert response.status_code == 400 and b"place" in response.content
    assert client.get("/reports/export.csv?since=yesterday").status_code == 400
    assert client.get("/reports/export.xlsx").status_code == 404


def test_filters_keep_only_the_reports_asked_for(world: WarningWorld) -> None:
    tamale = stored_report(world.tamale)
    stored_report(world.volta)
    response = logged_in(world.national_analyst).get(
        f"/reports/export.json?place={world.northern.uuid}"
    )
    body = json.loads(b"".join(response.streaming_content))  # type: ignore[attr-defined]
    assert [r["id"] for r in body["reports"]] == [str(tamale.uuid)]


def test_the_api_streams_the_export_to_a_token_and_the_public_part_to_anyone(
    world: WarningWorld,
) -> None:
    private = stored_report(world.tamale)
    public = stored_report(world.tamale, visibility=Visibility.PUBLIC, age_hours=100)
    _token, plain = issue_token(world.tamale_analyst, by=world.tamale_analyst, name="bench")
    response = Client().get(
        "/api/v1/reports/export?format=geojson", HTTP_AUTHORIZATION=f"Bearer {plain}"
    )
    assert response.status_code == 200 and response.streaming
    features = json.loads(b"".join(response.streaming_content))["features"]  # type: ignore[attr-defined]
    assert {f["id"] for f in features} == {str(private.uuid), str(public.uuid)}
    anonymous = Client().get("/api/v1/reports/export?format=json")
    reports = json.loads(b"".join(anonymous.streaming_content))["reports"]  # type: ignore[attr-defined]
    assert [r["id"] for r in reports] == [str(public.uuid)]
    bad = Client().get("/api/v1/reports/export?format=json&place=" + "0" * 36)
    assert bad.status_code in (400, 422)


def test_the_command_writes_the_export_to_a_file(world: WarningWorld, tmp_path: Path) -> None:
    stored_report(world.tamale)
    stored_report(world.tamale, visibility=Visibility.PUBLIC, sensitivity=Sensitivity.SENSITIVE)
    target = tmp_path / "reports.csv"
    call_command(
        "export_reports",
        "--format",
        "csv",
        "-o",
        str(target),
        "--as",
        world.tamale_analyst.username,
    )
    assert len(csv_rows(target.read_text(encoding="utf-8"))) == 2
    public = tmp_path / "public.geojson"
    call_command("export_reports", "--format", "geojson", "-o", str(public))
    assert json.loads(public.read_text(encoding="utf-8"))["features"] == []
