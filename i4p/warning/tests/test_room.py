"""The situation room: scoped map layers (GeoJSON, lon/lat), charts from the count table with
signals marked, the alert board with escalation state, and filters by time, place and type."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from i4p.accounts.models import Role
from i4p.registry.models import Level
from i4p.warning import room
from i4p.warning.analysis import rebuild_counts
from i4p.warning.models import AlertState, Period, Reporter
from i4p.warning.tests.builders import staff
from i4p.warning.tests.roomworld import RoomWorld, build_room_world
from i4p.web.tests.world import logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> RoomWorld:
    return build_room_world()


def _period(days: int = 30) -> dict[str, str]:
    today = timezone.localdate()
    return {
        "since": (today - dt.timedelta(days=days - 1)).isoformat(),
        "until": today.isoformat(),
    }


def _geojson(client: Client, **query: str) -> dict[str, Any]:
    answer = client.get("/room/map.geojson", {**_period(), **query})
    assert answer.status_code == 200, answer.content
    assert answer["Content-Type"] == "application/geo+json"
    data: dict[str, Any] = json.loads(answer.content)
    return data


def _layer(data: dict[str, Any], layer: str) -> list[dict[str, Any]]:
    return [f for f in data["features"] if f["properties"]["layer"] == layer]


def test_the_district_analyst_sees_the_districts_reports_incidents_signals_and_alerts(
    world: RoomWorld,
) -> None:
    data = _geojson(logged_in(world.warning.tamale_analyst))
    assert len(_layer(data, "reports")) == 4
    assert [f["properties"]["id"] for f in _layer(data, "incidents")] == [str(world.incident.uuid)]
    assert [f["properties"]["id"] for f in _layer(data, "signals")] == [str(world.signal.uuid)]
    assert {f["properties"]["id"] for f in _layer(data, "alerts")} == {
        str(world.issued.uuid),
        str(world.draft.uuid),
    }


def test_an_analyst_of_another_district_sees_nothing_of_tamale(world: RoomWorld) -> None:
    client = logged_in(world.warning.yendi_analyst)
    data = _geojson(client)
    places = {f["properties"].get("place") for f in data["features"]}
    titles = {f["properties"].get("title") for f in data["features"]}
    assert "Tamale" not in places and "Tamale" not in titles
    assert [f["properties"]["id"] for f in _layer(data, "reports")] == [
        str(world.yendi_report.uuid)
    ]
    assert _layer(data, "alerts") == [] and _layer(data, "signals") == []
    page = client.get("/room/", _period()).content.decode()
    assert "Tamale" not in page
    assert str(world.issued.uuid) not in page
    # Its charts are of Yendi only: the region's and country's counts hold Tamale's reports.
    charts = room.charts(world.warning.yendi_analyst, room.RoomFilters.default())
    assert [chart.place.name for chart in charts] == ["Yendi"]


def test_a_responder_sees_the_alerts_and_signals_of_their_place_but_no_reports(
    world: RoomWorld,
) -> None:
    data = _geojson(logged_in(world.responder))
    assert _layer(data, "reports") == [] and _layer(data, "incidents") == []
    assert len(_layer(data, "signals")) == 1
    # The issued alert; not the draft, which reaches no one until an analyst issues it.
    assert [f["properties"]["id"] for f in _layer(data, "alerts")] == [str(world.issued.uuid)]


def test_people_without_the_alert_grant_find_no_room(world: RoomWorld) -> None:
    monitor = logged_in(world.warning.monitor)
    assert monitor.get("/room/").status_code == 404
    assert monitor.get("/room/map.geojson").status_code == 403
    assert Client().get("/room/map.geojson").status_code == 403
    assert Client().get("/room/").status_code == 302  # to the login page


def test_the_geojson_is_rfc_7946_longitude_first_with_the_stored_point_for_staff(
    world: RoomWorld,
) -> None:
    data = _geojson(logged_in(world.warning.tamale_analyst))
    assert data["type"] == "FeatureCollection"
    for feature in data["features"]:
        assert feature["type"] == "Feature"
        assert feature["geometry"]["type"] == "Point"
        lon, lat = feature["geometry"]["coordinates"]
        assert -180 <= lon <= 180 and -90 <= lat <= 90
        assert set(feature) == {"type", "geometry", "properties"}
    first = world.tamale_reports[0]
    feature = next(f for f in _layer(data, "reports") if f["properties"]["id"] == str(first.uuid))
    # Tamale is at 9.4 N, 0.84 W: longitude first, the point exactly as stored.
    assert feature["geometry"]["coordinates"] == [-0.839, 9.401]
    assert feature["properties"]["point"] == "stored"
    unplaced = next(
        f
        for f in _layer(data, "reports")
        if f["properties"]["id"] == str(world.tamale_reports[2].uuid)
    )
    assert unplaced["geometry"]["coordinates"] == [-0.85, 9.4]  # the place's point
    assert unplaced["properties"]["point"] == "place"


def test_no_reporter_identity_reaches_the_map_or_the_page(world: RoomWorld) -> None:
    reporter = Reporter.objects.create(handle="R-7Q2K", identity=b"sealed")
    world.tamale_reports[0].reporter = reporter
    world.tamale_reports[0].save()
    client = logged_in(world.warning.tamale_analyst)
    body = client.get("/room/map.geojson", _period()).content.decode()
    page = client.get("/room/", _period()).content.decode()
    for text in (body, page):
        assert "R-7Q2K" not in text and "reporter" not in text.lower()
        assert "Groups fought at the market" not in text  # no free text on the map


def test_filters_by_time_place_and_type_narrow_every_layer(world: RoomWorld) -> None:
    client = logged_in(world.warning.national_analyst)
    everything = _geojson(client)
    assert len(_layer(everything, "reports")) == 5
    protests = _geojson(client, event_type=str(world.protest.uuid))
    assert len(_layer(protests, "reports")) == 1 and _layer(protests, "signals") == []
    assert {f["properties"]["id"] for f in _layer(protests, "alerts")} == {str(world.draft.uuid)}
    yendi = _geojson(client, place=str(world.warning.yendi.uuid))
    assert [f["properties"]["id"] for f in _layer(yendi, "reports")] == [
        str(world.yendi_report.uuid)
    ]
    # A month ago: no report, but the alert still waiting for acknowledgement stays in view.
    old = timezone.localdate() - dt.timedelta(days=40)
    past = _geojson(
        client,
        since=(old - dt.timedelta(days=5)).isoformat(),
        until=old.isoformat(),
    )
    assert _layer(past, "reports") == [] and _layer(past, "signals") == []
    assert [f["properties"]["id"] for f in _layer(past, "alerts")] == [str(world.issued.uuid)]


def test_bad_filters_are_refused_with_a_clear_error(world: RoomWorld) -> None:
    client = logged_in(world.warning.tamale_analyst)
    for query in (
        {"since": "yesterday"},
        {"since": "2026-03-10", "until": "2026-03-01"},
        {"place": "not-a-place"},
        {"place": str(world.warning.volta.uuid)},  # outside the analyst's scope
        {"event_type": "<script>"},
        {"period": "century"},
        {"since": "2010-01-01", "until": "2026-01-01"},
    ):
        answer = client.get("/room/map.geojson", query)
        assert answer.status_code == 400, query
        assert answer.json()["code"] == "invalid" and answer.json()["fields"], query
        page = client.get("/room/", query)
        assert page.status_code == 200 and 'role="alert"' in page.content.decode(), query


def test_charts_count_reports_per_day_from_the_count_table_and_mark_the_signal(
    world: RoomWorld,
) -> None:
    filters = room.RoomFilters.default()
    charts = room.charts(world.warning.tamale_analyst, filters)
    assert [chart.place.name for chart in charts] == ["Tamale"]
    chart = charts[0]
    assert len(chart.bars) == room.DEFAULT_DAYS and chart.total == 4
    day = timezone.localdate() - dt.timedelta(days=3)
    bar = next(bar for bar in chart.bars if bar.start == day)
    assert bar.reports == 2 and bar.killed == 3 and bar.signals == ["EARS C2"]
    assert [b.start for b in chart.signalled] == [day]
    # The tallest bar reaches the top of the plot; empty days have no height.
    assert bar.height == max(b.height for b in chart.bars) > 0
    assert min(b.height for b in chart.bars) == 0


def test_the_national_analyst_charts_the_country_and_its_busiest_regions_by_week(
    world: RoomWorld,
) -> None:
    filters = room.RoomFilters(
        since=timezone.localdate() - dt.timedelta(days=59),
        until=timezone.localdate(),
        period=Period.WEEK,
    )
    charts = room.charts(world.warning.national_analyst, filters)
    assert [chart.place.name for chart in charts] == ["Ghana", "Northern"]
    assert charts[0].period == Period.WEEK and charts[0].total == 5
    assert all(bar.start.weekday() == 0 for bar in charts[0].bars)
    chosen = room.RoomFilters(
        since=filters.since, until=filters.until, place=world.warning.northern
    )
    names = [chart.place.name for chart in room.charts(world.warning.national_analyst, chosen)]
    assert names == ["Northern", "Tamale", "Yendi"]


def test_the_page_draws_charts_as_svg_with_a_table_of_the_same_numbers(
    world: RoomWorld,
) -> None:
    page = logged_in(world.warning.tamale_analyst).get("/room/").content.decode()
    assert page.count('data-testid="chart"') == 1
    assert '<svg class="series"' in page and 'class="sig"' in page
    assert '<table class="small">' in page and "EARS C2" in page
    # Leaflet and the cluster plug-in come from our static files, on this page only.
    assert "/static/vendor/leaflet/leaflet.js" in page
    assert "/static/vendor/leaflet/markercluster/leaflet.markercluster.js" in page
    # Nothing from another host (a CDN): every script and stylesheet is ours.
    sources = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', page)
    assert len(sources) >= 6 and all(src.startswith("/static/") for src in sources), sources
    assert 'data-tiles=""' in page
    other = logged_in(world.warning.tamale_analyst).get("/review/").content.decode()
    assert "leaflet" not in other


def test_the_board_shows_level_next_escalation_acknowledgement_and_failed_deliveries(
    world: RoomWorld,
) -> None:
    rows = room.alert_board(world.warning.tamale_analyst, room.RoomFilters.default())
    assert [row.alert.state for row in rows] == [AlertState.ISSUED, AlertState.DRAFT]
    issued = rows[0]
    assert issued.alert.level == Level.DISTRICT
    assert issued.deliveries == 2 and issued.failed == 1 and not issued.overdue
    page = logged_in(world.warning.tamale_analyst).get("/room/").content.decode()
    assert f'href="/alerts/{world.issued.uuid}/"' in page
    assert f'href="/alerts/{world.issued.uuid}/chain/"' in page
    assert 'data-testid="failed"' in page and "District" in page
    # Past its due time, it says so.
    type(world.issued).objects.filter(pk=world.issued.pk).update(
        escalation_due_at=timezone.now() - dt.timedelta(minutes=5)
    )
    rows = room.alert_board(world.warning.tamale_analyst, room.RoomFilters.default())
    assert rows[0].overdue
    assert "overdue" in logged_in(world.warning.tamale_analyst).get("/room/").content.decode()


def test_the_board_issues_a_draft_and_a_responder_acknowledges_it(world: RoomWorld) -> None:
    analyst = logged_in(world.warning.tamale_analyst)
    answer = analyst.post(
        f"/room/alerts/{world.draft.uuid}/issue/", {"action": "issue", "next": "/room/"}
    )
    assert answer.status_code == 302 and answer["Location"] == "/room/"
    world.draft.refresh_from_db()
    assert world.draft.state == AlertState.ISSUED
    responder = logged_in(world.responder)
    page = responder.get("/room/").content.decode()
    assert 'data-testid="acknowledge-alert"' in page and 'data-testid="issue-alert"' not in page
    responder.post(f"/room/alerts/{world.draft.uuid}/acknowledge/", {"action": "acknowledge"})
    world.draft.refresh_from_db()
    assert world.draft.state == AlertState.ACKNOWLEDGED
    assert world.draft.acknowledged_by == world.responder
    # Twice is refused with the reason, nothing changes.
    again = responder.post(
        f"/room/alerts/{world.draft.uuid}/acknowledge/", {"action": "acknowledge"}, follow=True
    )
    assert "already acknowledged" in again.content.decode()


def test_nobody_acts_on_an_alert_outside_their_places(world: RoomWorld) -> None:
    yendi = logged_in(world.warning.yendi_analyst)
    answer = yendi.post(f"/room/alerts/{world.draft.uuid}/issue/", {"action": "issue"})
    assert answer.status_code == 404
    world.draft.refresh_from_db()
    assert world.draft.state == AlertState.DRAFT
    other = staff("responder-yendi", Role.RESPONDER, world.warning.yendi)
    answer = logged_in(other).post(
        f"/room/alerts/{world.issued.uuid}/acknowledge/", {"action": "acknowledge"}
    )
    assert answer.status_code == 404


def test_an_analyst_drafts_an_alert_by_hand_from_the_room(world: RoomWorld) -> None:
    client = logged_in(world.warning.tamale_analyst)
    before = type(world.draft).objects.count()
    client.post(
        "/room/alerts/draft/",
        {"place": str(world.warning.tamale.uuid), "event_type": str(world.clash.uuid)},
    )
    assert type(world.draft).objects.count() == before + 1
    refused = client.post(
        "/room/alerts/draft/", {"place": str(world.warning.volta.uuid)}, follow=True
    )
    assert type(world.draft).objects.count() == before + 1
    assert 'class="error"' in refused.content.decode()


def test_the_charts_read_the_count_table_as_analysis_builds_it(world: RoomWorld) -> None:
    """The world's hand-made counts equal what `i4p analyse` rebuilds from the reports."""
    filters = room.RoomFilters.default()
    by_hand = [
        [(bar.start, bar.reports, bar.killed) for bar in chart.bars]
        for chart in room.charts(world.warning.national_analyst, filters)
    ]
    rebuild_counts()
    rebuilt = [
        [(bar.start, bar.reports, bar.killed) for bar in chart.bars]
        for chart in room.charts(world.warning.national_analyst, filters)
    ]
    assert rebuilt == by_hand and sum(n for _d, n, _k in rebuilt[0]) == 5
