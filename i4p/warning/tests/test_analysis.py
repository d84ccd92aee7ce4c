"""Analysis: the count table honours place and time precision, trust and verdicts; the
incremental path equals a full rebuild; the scan finds a burst where it happened only; the
risk view shows its sums; pages and API are scoped by role and place."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from i4p.accounts.models import Role, TokenScope, User
from i4p.accounts.services import issue_token
from i4p.core.errors import Invalid, NotAllowed
from i4p.core.models import AuditEvent
from i4p.geo.models import Place
from i4p.geo.tests.factories import make_place
from i4p.warning import analysis, review
from i4p.warning.intake import Draft, Identity, submit_report
from i4p.warning.models import (
    Channel,
    Count,
    CountPack,
    CountRequest,
    EventType,
    Indicator,
    Observation,
    Polarity,
    Report,
    Reporter,
    ReportKind,
    Signal,
    SignalState,
    Trust,
    Verification,
)
from i4p.warning.protection import set_reporter_trust
from i4p.warning.tests.builders import WarningWorld, build_warning_world, staff
from i4p.web.tests.world import logged_in

pytestmark = pytest.mark.django_db

TODAY = dt.date(2024, 6, 30)
CLASH = "battles.armed_clash"


@pytest.fixture
def world() -> WarningWorld:
    return build_warning_world()


@pytest.fixture
def immediate_tasks(settings: Any) -> Iterator[None]:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    yield
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def make_report(
    world: WarningWorld,
    place: Place,
    when: dt.datetime,
    *,
    code: str | None = CLASH,
    precision: str = "day",
    killed: int | None = None,
    verification: str = Verification.PENDING,
    **fields: Any,
) -> Report:
    """A stored report, written straight to the table (the scan reads counts, not intake)."""
    return Report.objects.create(
        kind=fields.pop("kind", ReportKind.INCIDENT),
        framework=world.framework,
        channel=Channel.API,
        received_at=when,
        occurred_at=when,
        time_precision=precision,
        place=place,
        event_type=EventType.objects.get(framework=world.framework, code=code) if code else None,
        killed=killed,
        verification=verification,
        **fields,
    )


def cells(**filters: Any) -> dict[tuple[str, str, str, dt.date], tuple[int, ...]]:
    """The count table as {(place, series, precision, day): (reports, confirmed, killed)}."""
    rows = Count.objects.filter(**filters).select_related("place", "event_type", "indicator")
    table: dict[tuple[str, str, str, dt.date], tuple[int, ...]] = {}
    for row in rows:
        series = (
            row.event_type.code
            if row.event_type
            else (f"indicator:{row.indicator.code}" if row.indicator else "untyped")
        )
        table[(row.place.name, series, row.precision, row.day)] = (
            row.reports,
            row.confirmed,
            row.killed,
            row.injured,
            row.displaced,
        )
    return table


# -- counting ------------------------------------------------------------------------------


def test_a_report_is_counted_at_its_place_and_every_place_above_on_the_places_own_day(
    world: WarningWorld,
) -> None:
    world.tamale.time_zone = "America/Los_Angeles"  # 03:00 UTC is the evening before there
    world.tamale.save(update_fields=["time_zone"])
    make_report(world, world.tamale, at(dt.date(2024, 3, 10), 3), killed=2)
    make_report(world, world.yendi, at(dt.date(2024, 3, 10), 3), killed=1)

    analysis.rebuild_counts()

    table = cells(precision="day")
    assert table[("Tamale", CLASH, "day", dt.date(2024, 3, 9))] == (1, 0, 2, 0, 0)
    assert table[("Yendi", CLASH, "day", dt.date(2024, 3, 10))] == (1, 0, 1, 0, 0)
    assert table[("Northern", CLASH, "day", dt.date(2024, 3, 9))] == (1, 0, 2, 0, 0)
    assert table[("Ghana", CLASH, "day", dt.date(2024, 3, 10))] == (1, 0, 1, 0, 0)
    assert ("Volta", CLASH, "day", dt.date(2024, 3, 10)) not in table
    assert len(table) == 6


def test_a_report_known_to_the_week_month_or_year_is_counted_only_at_that_precision(
    world: WarningWorld,
) -> None:
    make_report(world, world.tamale, at(dt.date(2024, 3, 14)), precision="week")
    make_report(world, world.tamale, at(dt.date(2024, 3, 14)), precision="month")
    make_report(world, world.ghana, at(dt.date(2024, 3, 14)), precision="year", killed=3000)

    analysis.rebuild_counts()

    table = cells()
    assert table[("Tamale", CLASH, "week", dt.date(2024, 3, 11))][0] == 1  # the Monday
    assert table[("Tamale", CLASH, "month", dt.date(2024, 3, 1))][0] == 1
    assert table[("Ghana", CLASH, "year", dt.date(2024, 1, 1))][2] == 3000
    # Known only to the country: never in a region or district; only to the year: never a day.
    assert not Count.objects.filter(precision="day").exists()
    assert not Count.objects.filter(precision="year").exclude(place=world.ghana).exists()


def test_a_year_long_country_row_with_thousands_of_deaths_makes_no_district_or_day_spike(
    world: WarningWorld,
) -> None:
    for offset in range(0, 120, 3):  # a quiet background in both districts
        make_report(world, world.tamale, at(TODAY - dt.timedelta(days=offset)))
        make_report(world, world.yendi, at(TODAY - dt.timedelta(days=offset + 1)))
    for _ in range(30):  # UCDP-like: the year and the country are all that is known
        make_report(world, world.ghana, at(TODAY), precision="year", killed=3000)
    world.framework.parameters = {"measure": "killed", "methods": ["ears_c1", "ears_c2"]}
    world.framework.save(update_fields=["parameters"])

    analysis.rebuild_counts()
    analysis.scan(until=TODAY)

    assert not Signal.objects.exists()


def test_confirmed_counts_verified_and_credible_reports_and_trusted_senders_only(
    world: WarningWorld,
) -> None:
    day = dt.date(2024, 5, 2)
    make_report(world, world.tamale, at(day), verification=Verification.VERIFIED)
    make_report(world, world.tamale, at(day), verification=Verification.CREDIBLE)
    make_report(world, world.tamale, at(day))  # pending, no reporter
    newcomer = Reporter.objects.create(handle="new-1", trust=Trust.NEW)
    veteran = Reporter.objects.create(handle="old-1", trust=Trust.TRUSTED)
    blocked = Reporter.objects.create(handle="blk-1", trust=Trust.BLOCKED)
    make_report(world, world.tamale, at(day), reporter=newcomer)
    make_report(world, world.tamale, at(day), reporter=veteran)
    make_report(world, world.tamale, at(day), reporter=blocked)  # a blocked sender: not counted

    analysis.rebuild_counts()

    reports, confirmed, *_ = cells()[("Tamale", CLASH, "day", day)]
    assert (reports, confirmed) == (5, 3)


def test_reports_judged_false_or_duplicate_are_not_counted(world: WarningWorld) -> None:
    day = dt.date(2024, 5, 2)
    original = make_report(world, world.tamale, at(day))
    make_report(world, world.tamale, at(day), verification=Verification.FALSE)
    make_report(
        world, world.tamale, at(day), verification=Verification.DUPLICATE, duplicate_of=original
    )

    analysis.rebuild_counts()

    assert cells()[("Tamale", CLASH, "day", day)][0] == 1


def test_situation_reports_are_counted_by_indicator_with_the_sum_of_their_values(
    world: WarningWorld,
) -> None:
    indicator = Indicator.objects.filter(
        framework=world.framework, polarity=Polarity.CONFLICT, value_type="count"
    ).first()
    assert indicator is not None
    for value in (3.0, 4.0):
        report = make_report(
            world, world.tamale, at(dt.date(2024, 5, 2)), code=None, kind=ReportKind.SITUATION
        )
        Observation.objects.create(report=report, indicator=indicator, value=value)

    analysis.rebuild_counts()

    row = Count.objects.get(place=world.tamale, indicator=indicator)
    assert (row.reports, row.value_sum, row.event_type_id) == (2, 7.0, None)
    assert not Count.objects.filter(place=world.tamale, indicator__isnull=True).exists()


# -- incremental == rebuild ---------------------------------------------------------------


def submit(world: WarningWorld, place: Place, when: dt.datetime, *, phone: str = "") -> Report:
    draft = Draft(
        event_type=EventType.objects.get(framework=world.framework, code=CLASH),
        description="Fighting near the market.",
        place=place,
        occurred_at=when,
        killed=1,
        injured=2,
    )
    report, _new = submit_report(
        draft,
        by=world.monitor,
        channel=Channel.WEB,
        payload={"description": "x"},
        sender=Identity(phone=phone),
    )
    return report


def test_the_counts_kept_up_to_date_report_by_report_equal_a_full_rebuild(
    world: WarningWorld,
    immediate_tasks: None,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    analyst = world.national_analyst
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        reports = [
            submit(world, world.tamale, now - dt.timedelta(days=d % 5, hours=d)) for d in range(8)
        ]
        reports.append(submit(world, world.yendi, now - dt.timedelta(days=2)))
    after_intake = cells()
    assert after_intake  # the task ran and counted
    with django_capture_on_commit_callbacks(execute=True):
        review.take_lock(reports[0], by=analyst)
        review.judge_report(reports[0], by=analyst, verdict=Verification.FALSE)
        review.take_lock(reports[1], by=analyst)
        review.judge_report(reports[1], by=analyst, verdict=Verification.VERIFIED)
        review.take_lock(reports[2], by=analyst)
        review.edit_report(
            reports[2],
            by=analyst,
            changes=review.ReportChanges(
                place=world.volta,
                event_type=EventType.objects.get(framework=world.framework, code="riots"),
                killed=7,
            ),
        )
        set_reporter_trust(reports[3].reporter, by=world.admin, trust=Trust.TRUSTED)  # type: ignore[arg-type]
    incremental = cells()
    kept = packed()
    assert incremental != after_intake

    analysis.rebuild_counts()

    assert cells() == incremental
    # The packs the scan reads, kept with the counts, are the packs of the rebuild.
    assert packed() == kept
    assert ("Volta", "riots", "day", timezone.localdate(reports[2].occurred_at)) in incremental


def test_the_count_requests_commit_with_the_reports_and_one_task_counts_them_all(
    world: WarningWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django_tasks_db.models import DBTaskResult

    counting = DBTaskResult.objects.filter(task_path="i4p.warning.analysis.update_counts")
    report = submit(world, world.tamale, timezone.now(), phone="+233201234567")
    # Queued in the database with the report (the default queue): no commit of its own. The
    # request names the report by id, never the reporter.
    assert counting.count() == 1
    assert list(CountRequest.objects.values_list("report_id", "groups")) == [(report.pk, [])]
    # A second report while the task waits: its request joins the same task.
    second = submit(world, world.tamale, timezone.now())
    assert counting.count() == 1 and CountRequest.objects.count() == 2

    # A submission that fails after the report row was written leaves neither report nor
    # request.
    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(analysis, "counted_on_commit", broken)
    with pytest.raises(RuntimeError):
        submit(world, world.yendi, timezone.now())
    assert CountRequest.objects.count() == 2
    assert not Report.objects.filter(place=world.yendi).exists()

    # What the worker does with the task: takes both requests, counts both reports at every
    # level, and leaves nothing waiting.
    assert analysis.update_counts.call() >= 0
    day = timezone.localdate(report.occurred_at)
    assert timezone.localdate(second.occurred_at) == day
    assert cells()[("Tamale", CLASH, "day", day)][0] == 2
    assert cells()[("Ghana", CLASH, "day", day)][0] == 2
    assert not CountRequest.objects.exists()


def test_a_count_task_that_fails_puts_its_requests_back_and_the_sweep_queues_a_new_one(
    world: WarningWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django_tasks_db.models import DBTaskResult

    report = submit(world, world.tamale, timezone.now())

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(analysis, "recount", broken)
    with pytest.raises(RuntimeError):
        analysis.update_counts.call()
    assert list(CountRequest.objects.values_list("report_id", flat=True)) == [report.pk]
    monkeypatch.undo()
    DBTaskResult.objects.all().delete()  # the queued task was lost with the worker, say
    assert analysis.count_waiting() == 1
    assert DBTaskResult.objects.filter(task_path="i4p.warning.analysis.update_counts").exists()
    analysis.update_counts.call()
    assert not CountRequest.objects.exists()
    assert cells()[("Tamale", CLASH, "day", timezone.localdate(report.occurred_at))][0] == 1


def packed() -> dict[tuple[int, int], tuple[int, bytes]]:
    return {
        (place, year): (rows, bytes(data))
        for place, year, rows, data in CountPack.objects.values_list(
            "place", "year", "rows", "data"
        )
    }


def test_the_packs_the_scan_reads_hold_every_count_row_but_the_years(world: WarningWorld) -> None:
    make_report(world, world.tamale, at(dt.date(2023, 12, 31)), killed=3)
    make_report(world, world.tamale, at(dt.date(2024, 1, 1)), code="riots")
    make_report(world, world.yendi, at(dt.date(2024, 1, 1)), precision="week")  # week of 2024
    make_report(world, world.yendi, at(dt.date(2024, 3, 9)), precision="month")
    make_report(world, world.ghana, at(dt.date(2024, 3, 9)), precision="year", killed=900)
    make_report(world, world.volta, at(dt.date(2024, 3, 9)), code=None)
    analysis.rebuild_counts()

    def as_read(row: Count) -> tuple[float, ...]:
        code = analysis.PRECISION_CODE[row.precision]
        return (
            *(float(v) for v in (row.place_id, row.event_type_id or 0, row.indicator_id or 0)),
            *(float(v) for v in (code, analysis.day_number(row.day), row.reports)),
            *(float(v) for v in (row.confirmed, row.killed, row.value_sum or 0)),
        )

    rows = Count.objects.exclude(precision="year")
    assert sorted(map(tuple, analysis.read_counts().tolist())) == sorted(map(as_read, rows))
    assert Count.objects.filter(precision="year", killed=900).exists()  # counted, not packed
    # One pack per place and year of the first day of each row's period.
    assert set(packed()) == {(r.place_id, r.day.year) for r in rows}
    assert (world.tamale.pk, 2023) in packed() and (world.tamale.pk, 2024) in packed()
    only = analysis.read_counts([world.yendi.pk])
    assert set(only[:, 0].tolist()) == {world.yendi.pk} and len(only) == 2
    assert len(analysis.read_counts([])) == 0


def test_an_instance_that_counted_before_packs_existed_gets_them_when_it_upgrades(
    world: WarningWorld,
) -> None:
    import importlib

    from django.apps import apps

    upgrade = importlib.import_module("i4p.warning.migrations.0004_count_packs")
    make_report(world, world.tamale, at(dt.date(2023, 12, 31)), killed=3)
    make_report(world, world.yendi, at(dt.date(2024, 2, 1)), precision="month")
    analysis.rebuild_counts()
    rebuilt = packed()
    CountPack.objects.all().delete()  # what the count table held before the upgrade

    upgrade.pack_the_counts(apps, None)

    assert packed() == rebuilt and len(rebuilt) == 6


@pytest.mark.django_db(transaction=True)
def test_two_workers_recounting_one_region_at_once_both_end_up_in_its_pack(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each worker packs the region's rows after writing its own: the second waits for the
    first's commit, so neither worker's rows are lost from the pack."""
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite takes one writer at a time: workers never overlap there")
    world = build_warning_world()
    make_report(world, world.tamale, at(dt.date(2024, 5, 1)))
    analysis.rebuild_counts()  # the packs exist: the workers lock them
    reports = [
        make_report(world, world.tamale, at(dt.date(2024, 5, 2))),
        make_report(world, world.yendi, at(dt.date(2024, 5, 3))),
    ]
    both_counted = threading.Barrier(2, timeout=20)
    repack, pack = analysis._repack, analysis._packs
    have_read = threading.Semaphore(0)

    def repack_when_both_counted(pairs: set[tuple[int, int]]) -> None:
        both_counted.wait()  # each worker has written its rows, neither has committed
        repack(pairs)

    def pack_when_both_read(rows: Any) -> Any:
        # Without the pack lock both workers would read the rows here before either writes
        # (and the later write would drop the other's rows); with it the second waits to
        # read until the first committed, so the first packs after a second alone.
        have_read.release()
        for _other in range(2):
            have_read.acquire(timeout=1)
        have_read.release()
        return pack(rows)

    monkeypatch.setattr(analysis, "_repack", repack_when_both_counted)
    monkeypatch.setattr(analysis, "_packs", pack_when_both_read)
    errors: list[BaseException] = []

    def worker(report: Report) -> None:
        try:
            analysis.recount(analysis.groups_of([report]))
        except BaseException as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(r,)) for r in reports]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    kept = packed()
    monkeypatch.undo()
    analysis.rebuild_counts()
    assert packed() == kept
    region = analysis.read_counts([world.tamale.parent_id])  # type: ignore[list-item]
    assert sorted(region[:, 4].tolist()) == [
        float(analysis.day_number(dt.date(2024, 5, d))) for d in (1, 2, 3)
    ]


def test_a_recount_run_twice_changes_nothing(world: WarningWorld) -> None:
    report = make_report(world, world.tamale, at(dt.date(2024, 5, 2)), killed=4)
    groups = analysis.groups_of([report])
    analysis.recount(groups)
    once = cells()
    analysis.recount(groups)
    assert cells() == once
    assert once[("Ghana", CLASH, "day", dt.date(2024, 5, 2))] == (1, 0, 4, 0, 0)


# -- the scan -------------------------------------------------------------------------------


def quiet_background(world: WarningWorld, days: int = 90) -> None:
    """Every district has a report every few days: the usual level of events."""
    for offset in range(days):
        day = TODAY - dt.timedelta(days=offset)
        if offset % 3 == 0:
            make_report(world, world.tamale, at(day))
        if offset % 3 == 1:
            make_report(world, world.yendi, at(day))
        if offset % 4 == 2:
            make_report(world, world.volta, at(day))


def burst(world: WarningWorld, place: Place, day: dt.date, reports: int = 9) -> None:
    for hour in range(reports):
        make_report(world, place, at(day, hour + 6), killed=2)


def test_a_burst_of_reports_in_one_district_makes_a_signal_there_and_above_not_next_door(
    world: WarningWorld,
) -> None:
    quiet_background(world)
    burst(world, world.tamale, TODAY - dt.timedelta(days=1))

    analysis.rebuild_counts()
    result = analysis.scan(until=TODAY)

    day_signals = Signal.objects.filter(period="day", period_start=TODAY - dt.timedelta(days=1))
    where = {(s.place.name, s.series, s.method) for s in day_signals}
    assert ("Tamale", "all", "c2") in where
    # The sub-type (armed clash) counts towards its type's series (battles).
    assert ("Tamale", "type:battles", "c2") in where
    assert not any(series == f"type:{CLASH}" for _place, series, _method in where)
    assert ("Northern", "all", "c2") in where
    assert not day_signals.filter(place__in=[world.yendi, world.volta]).exists()
    signal = day_signals.get(place=world.tamale, series="all", method="c2")
    assert signal.observed == 9 and signal.killed == 18 and signal.confirmed == 0
    assert signal.expected < signal.threshold < signal.observed
    assert not analysis.signal_is_confirmed(signal)  # nine unverified reports alone
    assert {s.pk for s in result.signals} == set(Signal.objects.values_list("pk", flat=True))


def stored_signals() -> set[tuple[Any, ...]]:
    """Every stored signal as plain values: where, which series and method, when, the figures."""
    return set(
        Signal.objects.values_list(
            "place_id", "series", "method", "period", "period_start", *analysis.FIGURES
        )
    )


def test_signals_stored_in_bulk_are_the_signals_stored_one_by_one(
    world: WarningWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    quiet_background(world)
    burst(world, world.tamale, TODAY - dt.timedelta(days=1))
    analysis.rebuild_counts()

    analysis.scan(until=TODAY)
    one_by_one = stored_signals()
    Signal.objects.all().delete()
    monkeypatch.setattr(analysis, "COPY_SIGNALS", 0)  # PostgreSQL: COPY from the first
    result = analysis.scan(until=TODAY)

    assert stored_signals() == one_by_one
    assert {(s.pk, s.uuid) for s in result.signals} == set(Signal.objects.values_list("pk", "uuid"))
    assert all(s.state == SignalState.NEW and s.place_id for s in result.signals)


def test_a_scan_reading_the_counts_in_parts_finds_what_one_reading_finds(
    world: WarningWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    quiet_background(world)
    burst(world, world.tamale, TODAY - dt.timedelta(days=1))
    burst(world, world.yendi, TODAY - dt.timedelta(days=3))
    analysis.rebuild_counts()

    monkeypatch.setattr(analysis, "COUNT_PARTS", 1)
    whole = analysis.scan(until=TODAY)
    at_once = stored_signals()
    Signal.objects.all().delete()
    monkeypatch.setattr(analysis, "COUNT_PARTS", 3)  # PostgreSQL: read while detecting
    parts = analysis.scan(until=TODAY)

    assert stored_signals() == at_once and len(at_once) > 2
    assert (parts.series, parts.cells, parts.alarms) == (whole.series, whole.cells, whole.alarms)


def test_a_framework_may_ask_for_each_sub_type_as_its_own_series(world: WarningWorld) -> None:
    world.framework.parameters = {"sub_types": True}
    world.framework.save(update_fields=["parameters"])
    quiet_background(world)
    burst(world, world.tamale, TODAY - dt.timedelta(days=1))
    analysis.rebuild_counts()
    analysis.scan(until=TODAY)
    series = set(
        Signal.objects.filter(place=world.tamale, period="day").values_list("series", flat=True)
    )
    assert f"type:{CLASH}" in series and "type:battles" not in series


def test_scanning_again_does_not_duplicate_signals_and_reports_nothing_new(
    world: WarningWorld,
) -> None:
    quiet_background(world)
    burst(world, world.tamale, TODAY - dt.timedelta(days=1))
    analysis.rebuild_counts()
    first = analysis.scan(until=TODAY)
    stored = Signal.objects.count()

    again = analysis.scan(until=TODAY)

    assert first.created == stored > 0
    assert (again.created, again.updated, len(again.signals)) == (0, 0, 0)
    assert Signal.objects.count() == stored


def test_a_burst_judged_false_withdraws_its_signal_through_the_incremental_task(
    world: WarningWorld,
    immediate_tasks: None,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    quiet_background(world)
    burst(world, world.tamale, TODAY - dt.timedelta(days=1))
    analysis.rebuild_counts()
    analysis.scan(until=TODAY)
    assert Signal.objects.filter(place=world.tamale, period="day").exists()
    analyst = world.national_analyst
    with django_capture_on_commit_callbacks(execute=True):
        Report.objects.filter(occurred_at__date=TODAY - dt.timedelta(days=1)).update(
            verification=Verification.FALSE
        )
        one = Report.objects.filter(occurred_at__date=TODAY - dt.timedelta(days=1)).first()
        assert one is not None
        one.verification = Verification.PENDING
        one.save(update_fields=["verification"])
        review.take_lock(one, by=analyst)
        review.judge_report(one, by=analyst, verdict=Verification.FALSE)

    # The task recounted that day and rescanned Tamale's series: the signal has no support.
    assert ("Tamale", CLASH, "day", TODAY - dt.timedelta(days=1)) not in cells()
    assert not Signal.objects.filter(
        place=world.tamale, period="day", period_start=TODAY - dt.timedelta(days=1)
    ).exists()


def test_the_framework_parameters_choose_methods_and_refuse_unknown_names(
    world: WarningWorld,
) -> None:
    world.framework.parameters = {"methods": ["ewma"], "periods": ["week"], "week": {"z": 2.5}}
    chosen = analysis.settings_of(world.framework)
    assert chosen.methods == ("ewma",) and chosen.periods == ("week",)
    assert chosen.by_period["week"].z == 2.5
    assert chosen.by_period["day"].baseline == 7  # the documented default
    for wrong in ({"methods": ["farrington"]}, {"day": {"zz": 1}}, {"colour": "red"}):
        world.framework.parameters = wrong
        with pytest.raises(Invalid):
            analysis.settings_of(world.framework)


# -- dismissing, risk ---------------------------------------------------------------------


def a_signal(world: WarningWorld, place: Place, **fields: Any) -> Signal:
    values: dict[str, Any] = {
        "framework": world.framework,
        "place": place,
        "series": "all",
        "method": "c2",
        "period": "day",
        "period_start": TODAY - dt.timedelta(days=1),
        "window": 7,
        "expected": 1.0,
        "observed": 9.0,
        "threshold": 3.0,
        "statistic": 8.0,
    }
    values.update(fields)
    return Signal.objects.create(**values)


def test_an_analyst_dismisses_a_signal_with_a_reason_and_the_audit_log_says_so(
    world: WarningWorld,
) -> None:
    signal = a_signal(world, world.tamale)
    with pytest.raises(NotAllowed):
        analysis.dismiss_signal(signal, by=world.yendi_analyst, reason="not ours")
    with pytest.raises(Invalid):
        analysis.dismiss_signal(signal, by=world.tamale_analyst, reason=" ")

    analysis.dismiss_signal(signal, by=world.tamale_analyst, reason="A wedding, not a fight.")

    signal.refresh_from_db()
    assert signal.state == SignalState.DISMISSED
    event = AuditEvent.objects.get(action="signal.dismissed")
    assert event.by == world.tamale_analyst and "wedding" in event.note


def test_the_risk_of_a_place_adds_signals_severity_and_trend_and_shows_the_sums(
    world: WarningWorld,
) -> None:
    today = timezone.localdate()
    for offset in range(35, 125, 9):  # ten reports over the 90 days before
        make_report(world, world.tamale, at(today - dt.timedelta(days=offset)))
    for offset in range(10):  # ten in the last 30 days: about three times the usual rate
        make_report(world, world.tamale, at(today - dt.timedelta(days=offset)), killed=10)
    a_signal(world, world.tamale, period_start=today - dt.timedelta(days=2))
    a_signal(world, world.tamale, period_start=today - dt.timedelta(days=3), method="cusum")
    a_signal(
        world,
        world.tamale,
        period_start=today - dt.timedelta(days=4),
        method="ewma",
        state=SignalState.DISMISSED,
    )
    analysis.rebuild_counts()

    risks = {r.place.name: r for r in analysis.place_risks(world.tamale_analyst)}

    tamale = risks["Tamale"]
    terms = {t.key: t for t in tamale.terms}
    assert terms["signals"].points == 16.0  # 2 of 5 signals x 40
    assert terms["severity"].figure == 100.0
    assert terms["severity"].points == pytest.approx(40 * 2.0043 / 3.0004, abs=0.1)
    assert terms["trend"].figure == pytest.approx(11 / (10 * 30 / 90 + 1), abs=0.01)
    assert "100 killed" in terms["severity"].explanation
    assert tamale.score == pytest.approx(sum(t.points for t in tamale.terms))
    assert set(risks) == {"Tamale"}  # the district analyst sees their district only
    national = [r.place.name for r in analysis.place_risks(world.national_analyst)]
    # Only Tamale has signals; Ghana and Northern share its reports, larger places first.
    assert national == ["Tamale", "Ghana", "Northern"]


# -- pages and API, scoped ----------------------------------------------------------------


def test_the_signal_list_shows_signals_in_the_viewers_area_only(world: WarningWorld) -> None:
    a_signal(world, world.tamale)
    a_signal(world, world.yendi, observed=12.0)

    tamale_page = logged_in(world.tamale_analyst).get("/analysis/signals/")
    national_page = logged_in(world.national_analyst).get("/analysis/signals/")
    monitor_page = logged_in(world.monitor).get("/analysis/signals/")

    assert tamale_page.status_code == 200
    assert "Tamale" in tamale_page.content.decode() and "Yendi" not in tamale_page.content.decode()
    assert "Yendi" in national_page.content.decode()
    assert monitor_page.status_code == 403


def test_dismissing_from_the_signal_list_asks_a_reason_and_is_refused_outside_the_area(
    world: WarningWorld,
) -> None:
    signal = a_signal(world, world.tamale)
    url = f"/analysis/signals/{signal.uuid}/dismiss/"

    refused = logged_in(world.yendi_analyst).post(url, {"reason": "no"})
    empty = logged_in(world.tamale_analyst).post(url, {"reason": ""})
    done = logged_in(world.tamale_analyst).post(url, {"reason": "A football match."})

    assert refused.status_code == 404
    assert empty.status_code == 400
    assert done.status_code == 302
    signal.refresh_from_db()
    assert signal.state == SignalState.DISMISSED


def test_the_risk_page_ranks_places_and_writes_the_formula_out(world: WarningWorld) -> None:
    today = timezone.localdate()
    for offset in range(5):
        make_report(world, world.yendi, at(today - dt.timedelta(days=offset)), killed=3)
    a_signal(world, world.yendi, period_start=today)
    analysis.rebuild_counts()

    page = logged_in(world.national_analyst).get("/analysis/risk/")
    text = page.content.decode()

    assert page.status_code == 200
    assert "Yendi" in text and "15 killed" in text and "log10" in text
    assert (
        logged_in(world.tamale_analyst).get("/analysis/risk/").content.decode().count("Yendi") == 0
    )
    assert logged_in(world.monitor).get("/analysis/risk/").status_code == 403


def token_client(user: User) -> Client:
    _token, plain = issue_token(user, by=user, name="analysis", scope=TokenScope.READ)
    return Client(HTTP_AUTHORIZATION=f"Bearer {plain}")


def test_the_api_gives_counts_signals_and_risk_in_the_callers_area_only(
    world: WarningWorld,
) -> None:
    today = timezone.localdate()
    make_report(world, world.tamale, at(today), killed=2)
    make_report(world, world.yendi, at(today), killed=5)
    a_signal(world, world.yendi, period_start=today)
    analysis.rebuild_counts()
    tamale = token_client(world.tamale_analyst)
    national = token_client(world.national_analyst)

    counts = tamale.get("/api/v1/counts", {"period": "day"}).json()
    assert {row["place"]["name"] for row in counts["items"]} == {"Tamale"}
    assert {row["place"]["name"] for row in national.get("/api/v1/counts").json()["items"]} == {
        "Tamale",
        "Yendi",
        "Northern",
        "Ghana",
    }
    assert tamale.get("/api/v1/signals").json()["items"] == []
    signals = national.get("/api/v1/signals").json()["items"]
    assert [(s["place"]["name"], s["method"], s["observed"]) for s in signals] == [
        ("Yendi", "c2", 9.0)
    ]
    risk = national.get("/api/v1/risk").json()["items"]
    assert risk[0]["place"]["name"] in {"Yendi", "Northern", "Ghana"}
    assert {t["key"] for t in risk[0]["terms"]} == {"signals", "severity", "trend"}
    assert Client().get("/api/v1/signals").status_code == 401
    assert token_client(world.monitor).get("/api/v1/risk").status_code == 403
    assert national.get("/api/v1/counts", {"period": "fortnight"}).status_code == 400
    assert national.get("/api/v1/counts", {"place": "not-a-place"}).status_code == 400


def test_a_responder_of_a_district_sees_its_signals_but_cannot_dismiss_them(
    world: WarningWorld,
) -> None:
    responder = staff("responder-tamale", Role.RESPONDER, world.tamale)
    signal = a_signal(world, world.tamale)

    assert list(analysis.visible_signals(responder)) == [signal]
    with pytest.raises(NotAllowed):
        analysis.dismiss_signal(signal, by=responder, reason="no")


def test_a_new_district_without_reports_has_no_counts(world: WarningWorld) -> None:
    empty = make_place("Bole", kind="admin2", parent=world.northern)
    make_report(world, world.tamale, at(dt.date(2024, 5, 2)))
    analysis.rebuild_counts()
    assert not Count.objects.filter(place=empty).exists()


def test_i4p_analyse_rebuilds_the_counts_and_scans_without_duplicating_signals(
    world: WarningWorld,
) -> None:
    from io import StringIO

    from django.core.management import call_command

    quiet_background(world)
    burst(world, world.tamale, TODAY - dt.timedelta(days=1))
    Count.objects.create(place=world.volta, precision="day", day=TODAY, reports=99)  # stale

    first, second = StringIO(), StringIO()
    call_command("analyse", "--until", TODAY.isoformat(), "--no-progress", stdout=first)
    signals = Signal.objects.count()
    call_command("analyse", "--until", TODAY.isoformat(), "--no-progress", stdout=second)

    assert not Count.objects.filter(reports=99).exists()
    assert signals > 0 and Signal.objects.count() == signals
    assert "0 new signals" in second.getvalue() and f"{signals} new signals" in first.getvalue()
