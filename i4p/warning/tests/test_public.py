"""Public views of reports: each redaction rule on its own, on the page and in the export."""

from __future__ import annotations

import csv
import io
import math
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from i4p.warning.exports import FORMATS, ReportExport
from i4p.warning.models import Report, Sensitivity, Verification, Visibility
from i4p.warning.public import counts_by_place, public_reports, suppress
from i4p.warning.tests.builders import WarningWorld, build_warning_world
from i4p.warning.tests.exporting import stored_report

pytestmark = pytest.mark.django_db

POINT = (9.4321, -0.8512)


@pytest.fixture
def world(settings: Any) -> WarningWorld:
    settings.I4P_PUBLIC_PLACE_LEVEL = "admin1"
    settings.I4P_PUBLIC_FUZZ_METRES = 5000
    settings.I4P_PUBLIC_DELAY_HOURS = 48
    settings.I4P_PUBLIC_MIN_COUNT = 3
    return build_warning_world()


def public_rows() -> list[dict[str, str]]:
    text = "".join(FORMATS["csv"].write(ReportExport(AnonymousUser())))
    lines = list(csv.reader(io.StringIO(text)))
    return [dict(zip(lines[1], line, strict=True)) for line in lines[2:]]


def metres_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


def test_places_are_shown_only_down_to_the_configured_admin_level(
    world: WarningWorld, settings: Any
) -> None:
    stored_report(world.tamale, visibility=Visibility.PUBLIC, age_hours=100)
    [row] = public_rows()
    assert (row["#adm1 +name"], row["#adm2 +name"], row["#loc +name"]) == (
        "Northern",
        "",
        "Northern",
    )
    settings.I4P_PUBLIC_PLACE_LEVEL = "country"
    [row] = public_rows()
    assert (row["#country +name"], row["#adm1 +name"], row["#loc +name"]) == ("Ghana", "", "Ghana")
    settings.I4P_PUBLIC_PLACE_LEVEL = "admin2"
    [row] = public_rows()
    assert row["#adm2 +name"] == "Tamale"


def test_public_points_are_moved_by_at_most_the_configured_distance_and_always_the_same_way(
    world: WarningWorld, settings: Any
) -> None:
    stored_report(
        world.tamale,
        visibility=Visibility.PUBLIC,
        age_hours=100,
        latitude=POINT[0],
        longitude=POINT[1],
    )
    [row] = public_rows()
    shown = (float(row["#geo +lat"]), float(row["#geo +lon"]))
    assert row["#geo +precision"] == "fuzzed"
    assert 5000 / 4 - 1 <= metres_between(shown, POINT) <= 5000 + 1
    assert public_rows() == [row]  # stable: reloading averages nothing away
    settings.I4P_PUBLIC_FUZZ_METRES = 20_000
    [far] = public_rows()
    assert metres_between((float(far["#geo +lat"]), float(far["#geo +lon"])), POINT) > 5000


def test_nothing_newer_than_the_configured_delay_is_public(
    world: WarningWorld, settings: Any
) -> None:
    old = stored_report(world.tamale, visibility=Visibility.PUBLIC, age_hours=49)
    stored_report(world.tamale, visibility=Visibility.PUBLIC, age_hours=47)
    assert [row["#event +code +i4p"] for row in public_rows()] == [str(old.uuid)]
    settings.I4P_PUBLIC_DELAY_HOURS = 0
    assert len(public_rows()) == 2


@pytest.mark.parametrize("sensitivity", [Sensitivity.SENSITIVE, Sensitivity.RESTRICTED])
def test_sensitive_and_restricted_reports_are_never_public_even_when_marked_public(
    world: WarningWorld, sensitivity: str
) -> None:
    stored_report(
        world.tamale, visibility=Visibility.PUBLIC, sensitivity=sensitivity, age_hours=100
    )
    assert not public_reports().exists()
    assert public_rows() == []
    assert "Northern" not in Client().get("/reports/public/").content.decode()


def test_reports_judged_false_or_duplicate_are_not_public(world: WarningWorld) -> None:
    for verdict in (Verification.FALSE, Verification.DUPLICATE):
        report = stored_report(world.tamale, visibility=Visibility.PUBLIC, age_hours=100)
        Report.objects.filter(pk=report.pk).update(verification=verdict)
    assert public_rows() == []


def test_counts_smaller_than_the_threshold_are_shown_as_fewer_than_it(
    world: WarningWorld,
) -> None:
    for _ in range(4):
        stored_report(world.tamale, visibility=Visibility.PUBLIC, age_hours=100, killed=1)
    stored_report(world.volta, visibility=Visibility.PUBLIC, age_hours=100, killed=1)
    rows, total = counts_by_place()
    by_place = {row.place.name: row for row in rows if row.place}
    assert by_place["Volta"].reports.suppressed
    # Beside the total (5), Northern's 4 would give Volta's 1 away: it is hidden as well.
    assert by_place["Northern"].reports.suppressed
    assert total.value == 5
    page = Client().get("/reports/public/").content.decode()
    table = page.split('data-testid="public-counts"')[1].split("</table>")[0]
    assert table.count("fewer than 3") == 4  # reports and killed, in both places
    assert ">1<" not in table and ">4<" not in table


def test_when_one_count_alone_is_hidden_the_next_smallest_is_hidden_too() -> None:
    assert suppress([10, 7, 2], 3) == [10, None, None]
    assert suppress([10, 2, 1], 3) == [10, None, None]
    assert suppress([10, 7, 0], 3) == [10, 7, 0]
    assert suppress([2], 3) == [None]


def test_places_below_the_public_level_are_counted_in_their_region(world: WarningWorld) -> None:
    for place in (world.tamale, world.yendi, world.yendi, world.volta, world.volta, world.volta):
        stored_report(place, visibility=Visibility.PUBLIC, age_hours=100)
    rows, total = counts_by_place()
    assert [(row.place.name if row.place else "", row.reports.value) for row in rows] == [
        ("Northern", 3),
        ("Volta", 3),
    ]
    assert total.value == 6


def test_a_total_smaller_than_the_threshold_is_hidden_too(world: WarningWorld) -> None:
    stored_report(world.tamale, visibility=Visibility.PUBLIC, age_hours=100)
    rows, total = counts_by_place()
    assert total.suppressed and rows[0].reports.suppressed


def test_the_public_page_shows_redacted_reports_to_anyone(world: WarningWorld) -> None:
    stored_report(world.tamale, visibility=Visibility.PUBLIC, age_hours=100, killed=2)
    stored_report(world.yendi, age_hours=100)  # private: not listed, not counted
    response = Client().get("/reports/public/")
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('data-testid="public-report"') == 1
    assert "Northern" in page and "Tamale" not in page and "Yendi" not in page
    assert "Houses burnt" not in page and "Market fire" not in page
    assert len(response.content) < 100_000
    assert Client().post("/reports/public/").status_code == 405
