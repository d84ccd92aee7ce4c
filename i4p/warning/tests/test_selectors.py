"""Who sees which reports: the monitor their own, each analyst their own area."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from i4p.accounts.models import Role
from i4p.accounts.services import grant_role
from i4p.warning.intake import Draft, submit_report
from i4p.warning.models import Channel, Report, Sensitivity
from i4p.warning.selectors import visible_reports
from i4p.warning.tests.builders import WarningWorld, build_warning_world, staff

pytestmark = pytest.mark.django_db


def report_in(world: WarningWorld, place: object, *, by: object = None) -> Report:
    draft = Draft(description="Tension at the water point.", place=place)  # type: ignore[arg-type]
    report, _ = submit_report(draft, by=by, channel=Channel.WEB, payload={})
    return report


def test_each_person_sees_the_reports_of_their_own_area_and_no_other() -> None:
    world = build_warning_world()
    mine = report_in(world, world.tamale, by=world.monitor)
    tamale = report_in(world, world.tamale)
    yendi = report_in(world, world.yendi)
    volta = report_in(world, world.volta)
    assert set(visible_reports(world.monitor)) == {mine}
    assert set(visible_reports(world.tamale_analyst)) == {mine, tamale}
    assert set(visible_reports(world.yendi_analyst)) == {yendi}
    assert set(visible_reports(world.national_analyst)) == {mine, tamale, yendi, volta}
    assert not visible_reports(AnonymousUser()).exists()
    assert not visible_reports(None).exists()


def test_a_restricted_report_stays_with_staff_who_may_reveal_identities_there() -> None:
    world = build_warning_world()
    report = report_in(world, world.tamale)
    Report.objects.filter(pk=report.pk).update(sensitivity=Sensitivity.RESTRICTED)
    assert not visible_reports(world.tamale_analyst).exists()
    assert visible_reports(world.admin).get() == report
    admin_of_tamale = staff("tamale-admin", Role.ADMIN, world.tamale)
    assert visible_reports(admin_of_tamale).get() == report
    grant_role(world.tamale_analyst, by=None, role=Role.ADMIN, place=world.yendi)
    assert not visible_reports(world.tamale_analyst).exists()


def test_the_list_costs_the_same_few_queries_for_many_reports(
    django_assert_max_num_queries: object,
) -> None:
    world = build_warning_world()
    for _ in range(15):
        report_in(world, world.tamale)
    with django_assert_max_num_queries(4):  # type: ignore[operator]
        rows = [
            (r.place.name if r.place else "", r.event_type)
            for r in visible_reports(world.national_analyst)
        ]
    assert len(rows) == 15
