"""Incidents: reports about one event suggested as a group, confirmed or split by an analyst."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from i4p.core.errors import Invalid, NotAllowed, WrongState
from i4p.warning.incidents import (
    attach_external_event,
    confirm_incident,
    detach_external_event,
    split_incident,
    suggest_incidents,
)
from i4p.warning.models import (
    ExternalEvent,
    ExternalSource,
    Incident,
    IncidentStatus,
    PlacePrecision,
    Report,
    TimePrecision,
)
from i4p.warning.selectors import external_candidates, incident_reports, visible_incidents
from i4p.warning.tests.builders import WarningWorld, build_warning_world, submit_test_report

pytestmark = pytest.mark.django_db


def hours_ago(hours: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(hours=hours)


def three_reports_of_one_clash(world: WarningWorld) -> list[Report]:
    return [
        submit_test_report(world, occurred_at=hours_ago(5)),
        submit_test_report(world, event_code="battles", occurred_at=hours_ago(3)),
        submit_test_report(world, occurred_at=hours_ago(1)),
    ]


def test_reports_of_one_kind_of_event_in_one_district_and_window_are_suggested_together() -> None:
    world = build_warning_world()
    reports = three_reports_of_one_clash(world)
    other_type = submit_test_report(world, event_code="protests", occurred_at=hours_ago(2))
    other_place = submit_test_report(world, place=world.yendi, occurred_at=hours_ago(2))
    long_before = submit_test_report(world, occurred_at=hours_ago(24 * 10))
    incidents = suggest_incidents(by=world.national_analyst)
    assert len(incidents) == 1
    incident = incidents[0]
    assert incident.status == IncidentStatus.SUGGESTED
    assert incident.place == world.tamale
    assert set(incident.reports.all()) == set(reports)
    for loose in (other_type, other_place, long_before):
        assert Report.objects.get(pk=loose.pk).incident is None


def test_a_later_report_joins_the_suggested_incident_and_nothing_is_grouped_twice() -> None:
    world = build_warning_world()
    three_reports_of_one_clash(world)
    (incident,) = suggest_incidents(by=world.tamale_analyst)
    late = submit_test_report(world, occurred_at=hours_ago(0.5))
    assert suggest_incidents(by=world.tamale_analyst) == [incident]
    assert Report.objects.get(pk=late.pk).incident == incident
    assert Incident.objects.count() == 1
    assert suggest_incidents(by=world.tamale_analyst) == []


def test_an_analyst_only_groups_the_reports_of_their_area() -> None:
    world = build_warning_world()
    three_reports_of_one_clash(world)
    assert suggest_incidents(by=world.yendi_analyst) == []
    assert not Incident.objects.exists()
    with pytest.raises(NotAllowed):
        suggest_incidents(by=world.monitor)


def test_an_analyst_confirms_a_suggested_incident() -> None:
    world = build_warning_world()
    three_reports_of_one_clash(world)
    (incident,) = suggest_incidents(by=world.tamale_analyst)
    with pytest.raises(NotAllowed):
        confirm_incident(incident, by=world.yendi_analyst)
    confirm_incident(incident, by=world.tamale_analyst, title="Market clash, Tamale")
    stored = Incident.objects.get(pk=incident.pk)
    assert stored.status == IncidentStatus.CONFIRMED
    assert stored.confirmed_by == world.tamale_analyst
    assert stored.title == "Market clash, Tamale"
    with pytest.raises(WrongState):
        confirm_incident(stored, by=world.tamale_analyst)


def test_splitting_off_reports_makes_a_second_incident_and_keeps_them_apart() -> None:
    world = build_warning_world()
    reports = three_reports_of_one_clash(world)
    (incident,) = suggest_incidents(by=world.tamale_analyst)
    with pytest.raises(Invalid):
        split_incident(incident, reports, by=world.tamale_analyst)  # not every report
    other = split_incident(incident, [reports[2]], by=world.tamale_analyst)
    assert list(other.reports.all()) == [reports[2]]
    assert set(incident.reports.all()) == set(reports[:2])
    assert Incident.objects.get(pk=incident.pk).status == IncidentStatus.CONFIRMED
    assert other.status == IncidentStatus.CONFIRMED
    assert suggest_incidents(by=world.tamale_analyst) == []  # not regrouped


def test_external_events_are_offered_and_attached_for_triangulation() -> None:
    world = build_warning_world()
    three_reports_of_one_clash(world)
    (incident,) = suggest_incidents(by=world.tamale_analyst)
    today = timezone.now().date()
    near = ExternalEvent.objects.create(
        source=ExternalSource.ACLED,
        source_id="GHA1",
        occurred_from=today,
        occurred_until=today,
        time_precision=TimePrecision.DAY,
        place=world.tamale,
        place_precision=PlacePrecision.ADMIN2,
        country_code="GH",
    )
    ExternalEvent.objects.create(
        source=ExternalSource.ACLED,
        source_id="GHA2",
        occurred_from=today - dt.timedelta(days=40),
        occurred_until=today - dt.timedelta(days=40),
        time_precision=TimePrecision.DAY,
        place=world.tamale,
        place_precision=PlacePrecision.ADMIN2,
        country_code="GH",
    )
    assert list(external_candidates(incident)) == [near]
    attach_external_event(incident, near, by=world.tamale_analyst)
    assert list(incident.external_events.all()) == [near]
    assert not external_candidates(incident).exists()
    with pytest.raises(WrongState):
        attach_external_event(incident, near, by=world.tamale_analyst)
    with pytest.raises(NotAllowed):
        detach_external_event(incident, near, by=world.yendi_analyst)
    detach_external_event(incident, near, by=world.tamale_analyst)
    assert not incident.external_events.exists()


def test_incidents_are_seen_only_within_the_analysts_area() -> None:
    world = build_warning_world()
    three_reports_of_one_clash(world)
    (incident,) = suggest_incidents(by=world.tamale_analyst)
    assert list(visible_incidents(world.tamale_analyst)) == [incident]
    assert list(visible_incidents(world.national_analyst)) == [incident]
    assert not visible_incidents(world.yendi_analyst).exists()
    assert not visible_incidents(world.monitor).exists()
    assert incident_reports(world.tamale_analyst, incident).count() == 3
