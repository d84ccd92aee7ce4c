"""Analysis: the maintained count table, the anomaly scan over it, and the risk of a place.

Counting (see docs/analysis.md for the rules in words):
- a report is counted at its own place and at every place above it, at its own time precision
  (minute, hour or day → a `day` row; week → a `week` row on the week's Monday; month; year),
  on the calendar day of its place (`geo.localtime`): an event known only to the country is
  never counted in a district, one known only to the year never on a day;
- reports judged false or duplicate are not counted, nor unconfirmed reports of a blocked
  sender; `confirmed` counts reports verified or judged credible, or sent by a trusted reporter;
- situation reports are counted by indicator (the number of values and their sum).

The table is kept up to date cell by cell: every write that changes how a report is counted
calls `count_on_commit` (the intake writes the same request in its report's own statement:
`count_request`), which writes a `CountRequest` in the same commit and queues
`update_counts` unless one waits already; the task takes every waiting request and recomputes
the cells of the periods their reports fall in from the reports themselves (never +1, so running
it twice changes nothing) and then scans the series of those places again. `rebuild_counts`
recomputes the whole table and `scan` the whole history (`i4p analyse`).

The scan reads the counts into one matrix per period kind (series x periods, series = place x
event type, place x all events, place x indicator) and runs the methods of `detection` over
all rows at once; every alarm becomes (or updates) one `Signal`. It reads the count rows from
their packs (`CountPack`: a place's rows of one year in one value, written with the rows); a
full scan on PostgreSQL reads them in parts of whole places, the next in a thread while this
one is judged.
"""

from __future__ import annotations

import datetime as dt
import math
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from itertools import pairwise
from typing import Any, overload
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt
import psycopg
from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Min, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from i4p.accounts.permissions import Perm
from i4p.accounts.selectors import can, scope_of
from i4p.core.audit import record_event
from i4p.core.errors import Invalid, NotAllowed, WrongState
from i4p.core.rows import Question, insert_together
from i4p.core.tasks import enqueue_with_commit, queued_in_database
from i4p.geo.models import Place
from i4p.warning import detection
from i4p.warning.models import (
    Count,
    CountPack,
    CountRequest,
    EventType,
    Indicator,
    IndicatorFramework,
    Observation,
    Period,
    Polarity,
    Report,
    Reporter,
    ReportKind,
    Signal,
    SignalState,
    Trust,
    Verification,
)

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]

# Codes of the count precisions, in the order a longer period takes in the shorter ones.
PRECISIONS: tuple[str, ...] = (Period.DAY, Period.WEEK, Period.MONTH, Period.YEAR)
PRECISION_CODE = {name: code for code, name in enumerate(PRECISIONS)}
# The count row a report's time precision goes to.
COUNTED_AS = {
    "minute": Period.DAY,
    "hour": Period.DAY,
    "day": Period.DAY,
    "week": Period.WEEK,
    "month": Period.MONTH,
    "year": Period.YEAR,
}
NOT_COUNTED = (Verification.FALSE, Verification.DUPLICATE)
CONFIRMING = (Verification.VERIFIED, Verification.CREDIBLE)
EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
# A local day lies within 14 hours of the UTC day of the same date (UTC-12 to UTC+14).
ZONE_SLACK = dt.timedelta(hours=15)


def to_day(number: int) -> dt.date:
    return dt.date.fromordinal(int(number) + EPOCH_ORDINAL)


def day_number(day: dt.date) -> int:
    return day.toordinal() - EPOCH_ORDINAL


def period_start(day: dt.date, period: str) -> dt.date:
    """The first day of the period (week: Monday; month; year) that holds `day`."""
    if period == Period.WEEK:
        return day - dt.timedelta(days=day.weekday())
    if period == Period.MONTH:
        return day.replace(day=1)
    if period == Period.YEAR:
        return day.replace(month=1, day=1)
    return day


def period_end(start: dt.date, period: str) -> dt.date:
    """The first day after the period that starts on `start`."""
    if period == Period.WEEK:
        return start + dt.timedelta(days=7)
    if period == Period.MONTH:
        return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    if period == Period.YEAR:
        return start.replace(year=start.year + 1)
    return start + dt.timedelta(days=1)


def _starts(days: Ints, precision: Ints) -> Ints:
    """Vectorised `period_start` over day numbers, each at its own precision code."""
    starts = days.copy()
    week = precision == PRECISION_CODE[Period.WEEK]
    starts[week] = days[week] - (days[week] + 3) % 7  # 1970-01-01 was a Thursday
    for name, unit in ((Period.MONTH, "M"), (Period.YEAR, "Y")):
        chosen = precision == PRECISION_CODE[name]
        if chosen.any():
            as_dates = days[chosen].astype("datetime64[D]")
            starts[chosen] = (
                as_dates.astype(f"datetime64[{unit}]").astype("datetime64[D]").astype(np.int64)
            )
    return starts


# -- places and their local days -------------------------------------------------------------


@dataclass
class _Places:
    """For each place id: the chain of its ancestors and itself, and its time zone's index."""

    chains: dict[int, tuple[int, ...]]
    zone_index: dict[int, int]
    zones: list[str]


def _chain(path: str) -> tuple[int, ...]:
    return tuple(int(part) for part in path.strip("/").split("/") if part)


def _valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _places(ids: Iterable[int] | None = None) -> _Places:
    """Chains and zones of the given places (all places when `ids` is None)."""
    rows = Place.objects.all() if ids is None else Place.objects.filter(pk__in=set(ids))
    chains = {pk: _chain(path) for pk, path in rows.values_list("pk", "path")}
    ancestors = {pk for chain in chains.values() for pk in chain}
    zoned = Place.objects.exclude(time_zone="")
    if ids is not None:
        zoned = zoned.filter(pk__in=ancestors)
    zone_of = {pk: tz for pk, tz in zoned.values_list("pk", "time_zone") if _valid_zone(tz)}
    zones: list[str] = [settings.TIME_ZONE]
    index: dict[int, int] = {}
    for pk, chain in chains.items():
        name = next((zone_of[a] for a in reversed(chain) if a in zone_of), settings.TIME_ZONE)
        if name not in zones:
            zones.append(name)
        index[pk] = zones.index(name)
    return _Places(chains=chains, zone_index=index, zones=zones)


def _local_days(seconds: Ints, zone_codes: Ints, zones: Sequence[str]) -> Ints:
    """The local calendar day (days since 1970-01-01) of each UTC moment in its zone.

    Offsets change at most a few times a year, so each zone's offset is read once per UTC
    hour that occurs; an hour in which the offset changes is worked out moment by moment.
    """
    days = np.empty_like(seconds)
    for code, name in enumerate(zones):
        chosen = zone_codes == code
        if not chosen.any():
            continue
        moments = seconds[chosen]
        zone = ZoneInfo(name)
        hours, inverse = np.unique(moments // 3600, return_inverse=True)
        offsets = np.empty(len(hours), dtype=np.int64)
        steady = np.ones(len(hours), dtype=bool)
        for i, hour in enumerate(hours.tolist()):
            start = dt.datetime.fromtimestamp(hour * 3600, dt.UTC)
            first = start.astimezone(zone).utcoffset() or dt.timedelta()
            last = (start + dt.timedelta(seconds=3599)).astimezone(zone).utcoffset()
            offsets[i] = int(first.total_seconds())
            steady[i] = first == (last or dt.timedelta())
        local = moments + offsets[inverse]
        for i in np.nonzero(~steady[inverse])[0].tolist():
            moment = dt.datetime.fromtimestamp(int(moments[i]), dt.UTC).astimezone(zone)
            local[i] = moments[i] + int((moment.utcoffset() or dt.timedelta()).total_seconds())
        days[chosen] = local // 86400
    return days


# -- tallying reports into cells -------------------------------------------------------------

# Key columns of a tally: place, event type (0: none), indicator (0: none), precision, day.
# Value columns: reports, confirmed, killed, injured, displaced, value sum.
KEYS = 5
VALUES = 6


@dataclass
class Tally:
    keys: Ints = field(default_factory=lambda: np.zeros((0, KEYS), dtype=np.int64))
    values: Floats = field(default_factory=lambda: np.zeros((0, VALUES)))

    def __len__(self) -> int:
        return len(self.keys)


def _reduce(keys: Ints, values: Floats) -> Tally:
    """Sum the values of equal keys."""
    if len(keys) == 0:
        return Tally()
    order = np.lexsort(keys.T[::-1])
    keys, values = keys[order], values[order]
    change = np.any(keys[1:] != keys[:-1], axis=1)
    starts = np.concatenate([[0], np.nonzero(change)[0] + 1])
    return Tally(keys=keys[starts], values=np.add.reduceat(values, starts, axis=0))


def merge(tallies: Iterable[Tally]) -> Tally:
    parts = [t for t in tallies if len(t)]
    if not parts:
        return Tally()
    return _reduce(
        np.concatenate([t.keys for t in parts]), np.concatenate([t.values for t in parts])
    )


def _epoch_sql(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"CAST(EXTRACT(EPOCH FROM {column}) AS BIGINT)"
    return f"CAST(strftime('%%s', {column}) AS INTEGER)"


def _report_sql(columns: str, *, joins: str = "", extra: str = "") -> str:
    report = Report._meta.db_table
    reporter = Reporter._meta.db_table
    precision = (
        "CASE r.time_precision WHEN 'week' THEN 1 WHEN 'month' THEN 2 WHEN 'year' THEN 3 ELSE 0 END"
    )
    confirmed = (
        f"CASE WHEN r.verification IN ('{Verification.VERIFIED}', '{Verification.CREDIBLE}') "
        f"OR COALESCE(t.trust, '') = '{Trust.TRUSTED}' THEN 1 ELSE 0 END"
    )
    columns = columns.format(
        precision=precision, confirmed=confirmed, epoch=_epoch_sql("r.occurred_at")
    )
    # Table names and choice values only: nothing from a request reaches this text.
    return (
        f"SELECT {columns} FROM {report} r LEFT JOIN {reporter} t ON t.id = r.reporter_id "  # noqa: S608
        f"{joins} WHERE r.place_id IS NOT NULL AND r.occurred_at IS NOT NULL "
        f"AND r.verification NOT IN ('{Verification.FALSE}', '{Verification.DUPLICATE}') "
        f"AND NOT (COALESCE(t.trust, '') = '{Trust.BLOCKED}' "
        f"AND r.verification NOT IN ('{Verification.VERIFIED}', '{Verification.CREDIBLE}')) "
        f"{extra}"
    )


def _rows(sql: str, params: Sequence[Any], width: int, chunk: int) -> Iterator[Floats]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while True:
            rows = cursor.fetchmany(chunk)
            if not rows:
                return
            yield np.asarray(rows, dtype=np.float64).reshape(-1, width)


def _selection(reports: QuerySet[Report] | None) -> tuple[str, list[Any]]:
    if reports is None:
        return "", []
    sql, params = reports.values("pk").query.sql_with_params()
    return f"AND r.id IN ({sql})", list(params)


def _tally_rows(
    place_ids: Ints,
    event_types: Ints,
    indicators: Ints,
    precision: Ints,
    seconds: Ints,
    values: Floats,
    places: _Places,
) -> Tally:
    """Cells of rows (one per report or observation) at their place and every ancestor."""
    if len(place_ids) == 0:
        return Tally()
    unique, inverse = np.unique(place_ids, return_inverse=True)
    chains = [places.chains.get(int(pk), ()) for pk in unique.tolist()]
    zone_codes = np.array([places.zone_index.get(int(pk), 0) for pk in unique.tolist()])[inverse]
    days = _starts(_local_days(seconds, zone_codes, places.zones), precision)
    lengths = np.array([len(chain) for chain in chains], dtype=np.int64)
    flat = np.array([pk for chain in chains for pk in chain], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    repeat = lengths[inverse]
    row = np.repeat(np.arange(len(place_ids)), repeat)
    within = np.arange(len(row)) - np.repeat(np.cumsum(repeat) - repeat, repeat)
    ancestor = flat[offsets[inverse][row] + within]
    keys = np.stack(
        [ancestor, event_types[row], indicators[row], precision[row], days[row]], axis=1
    )
    return _reduce(keys, values[row])


def tally(reports: QuerySet[Report] | None = None, *, chunk: int = 200_000) -> Iterator[Tally]:
    """Tallies of the counted reports (all when `reports` is None), chunk by chunk."""
    extra, params = _selection(reports)
    places: _Places | None = None if reports is not None else _places()
    incidents = _report_sql(
        "r.place_id, COALESCE(r.event_type_id, 0), {precision}, {epoch}, {confirmed}, "
        "COALESCE(r.killed, 0), COALESCE(r.injured, 0), COALESCE(r.displaced, 0)",
        extra=f"AND r.kind = '{ReportKind.INCIDENT}' {extra}",
    )
    observation = Observation._meta.db_table
    situations = _report_sql(
        "r.place_id, o.indicator_id, {precision}, {epoch}, {confirmed}, o.value",
        joins=f"JOIN {observation} o ON o.report_id = r.id",
        extra=f"AND o.value IS NOT NULL {extra}",
    )
    for sql, width in ((incidents, 8), (situations, 6)):
        for block in _rows(sql, params, width, chunk):
            ids = block[:, 0].astype(np.int64)
            if reports is not None:
                places = _places(np.unique(ids).tolist())
            assert places is not None
            n = len(block)
            values = np.zeros((n, VALUES))
            values[:, 0] = 1.0
            values[:, 1] = block[:, 4]
            zero = np.zeros(n, dtype=np.int64)
            if width == 8:
                values[:, 2:5] = block[:, 5:8]
                types, indicators = block[:, 1].astype(np.int64), zero
            else:
                values[:, 5] = block[:, 5]
                types, indicators = zero, block[:, 1].astype(np.int64)
            yield _tally_rows(
                ids,
                types,
                indicators,
                block[:, 2].astype(np.int64),
                block[:, 3].astype(np.int64),
                values,
                places,
            )


# -- writing the count table -----------------------------------------------------------------

COUNT_COLUMNS = (
    "place_id",
    "event_type_id",
    "indicator_id",
    "precision",
    "day",
    "reports",
    "confirmed",
    "killed",
    "injured",
    "displaced",
    "value_sum",
)


def _count_rows(result: Tally) -> Iterator[tuple[Any, ...]]:
    keys = result.keys.tolist()
    values = result.values.tolist()
    for (place, event_type, indicator, precision, day), vals in zip(keys, values, strict=True):
        yield (
            place,
            event_type or None,
            indicator or None,
            PRECISIONS[precision],
            to_day(day),
            int(vals[0]),
            int(vals[1]),
            int(vals[2]),
            int(vals[3]),
            int(vals[4]),
            float(vals[5]) if indicator else None,
        )


def _insert_counts(result: Tally) -> None:
    if not len(result):
        return
    table = Count._meta.db_table
    names = ", ".join(f'"{name}"' for name in COUNT_COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and len(result) > 1000:
            raw = cursor.cursor  # psycopg's own cursor: COPY is the bulk path
            with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in _count_rows(result):
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(COUNT_COLUMNS))
        rows = list(_count_rows(result))
        for start in range(0, len(rows), 5000):
            cursor.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({marks})",  # noqa: S608
                rows[start : start + 5000],
            )


def rebuild_counts(*, progress: Callable[[int], object] | None = None) -> int:
    """Recompute the whole count table from the reports. Returns the number of rows."""
    parts: list[Tally] = []
    for part in tally():
        parts.append(part)
        if progress is not None:
            progress(int(part.values[:, 0].sum()) if len(part) else 0)
        if len(parts) > 8:  # keep memory flat: fold the partial tallies as we go
            parts = [merge(parts)]
    result = merge(parts)
    with transaction.atomic():
        Count.objects.all().delete()
        CountPack.objects.all().delete()
        _insert_counts(result)
        _write_packs(_packs(_tally_as_read(result)))
    return len(result)


# -- incremental counting -------------------------------------------------------------------

# A group of cells: the leaf place of a report, the precision it is counted at, and the first
# day of its period. Tasks get these (ids, a precision name and a date), never a person.
Group = tuple[int, str, str]


def groups_of(reports: Iterable[Report]) -> set[Group]:
    """Where and when each report is (or would be) counted, whether it counts now or not."""
    chosen = [r for r in reports if r.place_id is not None and r.occurred_at is not None]
    if not chosen:
        return set()
    places = _places({r.place_id for r in chosen if r.place_id is not None})
    ids = np.array([r.place_id for r in chosen], dtype=np.int64)
    zones = np.array([places.zone_index.get(int(pk), 0) for pk in ids.tolist()], dtype=np.int64)
    precision = np.array(
        [PRECISION_CODE[COUNTED_AS.get(r.time_precision, Period.DAY)] for r in chosen],
        dtype=np.int64,
    )
    seconds = np.array(
        [int(r.occurred_at.timestamp()) for r in chosen if r.occurred_at], dtype=np.int64
    )
    days = _starts(_local_days(seconds, zones, places.zones), precision)
    return {
        (int(pk), PRECISIONS[int(code)], to_day(int(day)).isoformat())
        for pk, code, day in zip(ids.tolist(), precision.tolist(), days.tolist(), strict=True)
    }


def count_on_commit(reports: Iterable[Report], *, before: Iterable[Group] = ()) -> None:
    """Once the commit is made, recount the cells these reports fall in (and `before`: where
    they fell before a change of place, type or time), then scan their series again.

    The request only names the reports (a `CountRequest` row each, in the same commit); the
    count task works out their cells. One task is queued unless one is already waiting: it
    will take these requests with the others.
    """
    ids = sorted({report.pk for report in reports if report.pk is not None})
    groups = [list(group) for group in sorted(set(before))]
    requests = [CountRequest(report_id=pk) for pk in ids]
    if groups:
        requests.append(CountRequest(groups=groups))
    if not requests:
        return
    *first, last = requests
    if first:
        CountRequest.objects.bulk_create(first)
    # Every report asks, so the last request is written and the question asked in one
    # statement: one round trip to the database, no query built each time.
    counted_on_commit(insert_together(last, ask=count_task_waiting()))


def count_request(report: Report) -> CountRequest:
    """The request to count a new report, for a service that writes it in the report's own
    statement (`core.rows.insert_together`, linked by `report_id`), asking there
    `count_task_waiting()`; it then hands the answer to `counted_on_commit`."""
    return CountRequest(report_id=report.pk)


def count_task_waiting() -> Question | None:
    """Whether a count task sits in the database queue, not yet started, as a question to ask
    in the statement that writes the requests (None: the queue is elsewhere). A request that
    commits just as that task starts waits for the next one, or the minute sweep."""
    if not queued_in_database(update_counts):
        return None
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    table = connection.ops.quote_name(DBTaskResult._meta.db_table)
    return Question(
        f"EXISTS (SELECT 1 FROM {table} WHERE task_path = %s AND status = %s)",  # noqa: S608
        (update_counts.module_path, TaskResultStatus.READY),
    )


def counted_on_commit(waiting: Any) -> None:
    """The requests are written and `waiting` answers `count_task_waiting()`: queue a count
    task with the commit unless one waits."""
    if not waiting:
        enqueue_with_commit(update_counts)


def _count_task_waiting() -> bool:
    """Whether a count task sits in the database queue, not yet started."""
    if not queued_in_database(update_counts):
        return False
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(
        task_path=update_counts.module_path, status=TaskResultStatus.READY
    ).exists()


# Requests one count task takes at most; more waiting → it queues the next task.
COUNT_BATCH = 5000


def _take_requests() -> tuple[set[int], set[Group], bool]:
    """Remove up to `COUNT_BATCH` waiting requests; their report ids, their cells, and
    whether more are waiting."""
    with transaction.atomic():
        waiting = CountRequest.objects.order_by("pk")
        if connection.features.has_select_for_update_skip_locked:
            waiting = waiting.select_for_update(skip_locked=True)
        taken = list(waiting[: COUNT_BATCH + 1])
        more = len(taken) > COUNT_BATCH
        taken = taken[:COUNT_BATCH]
        CountRequest.objects.filter(pk__in=[request.pk for request in taken]).delete()
    ids = {request.report_id for request in taken if request.report_id is not None}
    cells = {
        (int(place), str(precision), str(day))
        for request in taken
        for place, precision, day in request.groups
    }
    return ids, cells, more


@task()
def update_counts(groups: list[list[Any]] | None = None, reports: list[int] | None = None) -> int:
    """Take every waiting `CountRequest` (and these groups and report ids, from tasks queued
    before requests existed), recount their cells from the reports, scan the affected series
    and apply the alert rules to what is current.

    Returns the number of new or changed signals.
    """
    ids, cells, more = _take_requests()
    ids |= set(reports or ())
    cells |= {(int(place), str(precision), str(day)) for place, precision, day in groups or ()}
    try:
        found = _count_and_scan(ids, set(cells))
    except Exception:
        # Put the work back: the requests are the only record that these cells are stale.
        back = [CountRequest(report_id=pk) for pk in sorted(ids)]
        if cells:
            back.append(CountRequest(groups=[list(cell) for cell in sorted(cells)]))
        CountRequest.objects.bulk_create(back)
        raise
    if more:
        enqueue_with_commit(update_counts)
    return found


def _count_and_scan(ids: set[int], cells: set[Group]) -> int:
    if ids:
        chosen = Report.objects.filter(pk__in=ids).only("place_id", "occurred_at", "time_precision")
        cells |= groups_of(chosen)
    affected, since = recount(cells)
    if not affected:
        return 0
    found = scan(places=affected, since=since).signals
    # Alert rules look at what is happening now: a late report about last year may change
    # last year's signals, but it does not alert anyone today.
    from i4p.warning.rules import apply_rules

    apply_rules([signal for signal in found if is_current(signal)])
    return len(found)


def count_waiting() -> int:
    """Queue the count task when requests wait and no task does (run by the minute sweep)."""
    waiting = CountRequest.objects.count()
    if waiting and not _count_task_waiting():
        update_counts.enqueue()
    return waiting


# A signal is current while its period ended no longer ago than this.
CURRENT_DAYS = 2


def is_current(signal: Signal, *, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    ended = period_end(signal.period_start, signal.period)
    return ended >= today - dt.timedelta(days=CURRENT_DAYS - 1)


def recount(groups: Iterable[Group]) -> tuple[set[int], dt.date | None]:
    """Recompute the count rows of the groups' periods at their places and every place above.

    Returns the places touched and the earliest day affected.
    """
    groups = set(groups)
    if not groups:
        return set(), None
    places = _places({place for place, _p, _d in groups})
    targets: set[tuple[int, int, int]] = set()
    roots: dict[tuple[str, str], set[int]] = defaultdict(set)
    for place, precision, day in groups:
        chain = places.chains.get(place)
        if not chain:
            continue
        for ancestor in chain:
            targets.add(
                (ancestor, PRECISION_CODE[precision], day_number(dt.date.fromisoformat(day)))
            )
        roots[(precision, day)].add(chain[0])
    if not targets:
        return set(), None
    root_paths = dict(
        Place.objects.filter(pk__in={r for s in roots.values() for r in s}).values_list(
            "pk", "path"
        )
    )
    selection = Q()
    for (precision, day), tops in roots.items():
        start = dt.date.fromisoformat(day)
        end = period_end(start, precision)
        low = dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC) - ZONE_SLACK
        high = dt.datetime.combine(end, dt.time.min, tzinfo=dt.UTC) + ZONE_SLACK
        precisions = [name for name, period in COUNTED_AS.items() if period == precision]
        inside = Q()
        for top in tops:
            inside |= Q(place__path__startswith=root_paths[top])
        selection |= inside & Q(
            time_precision__in=precisions, occurred_at__gte=low, occurred_at__lt=high
        )
    for attempt in range(3):
        try:
            with transaction.atomic():
                _replace_cells(targets, merge(tally(Report.objects.filter(selection))))
            break
        except IntegrityError:  # another worker recounted the same cells at the same moment
            if attempt == 2:
                raise
    earliest = min(day for _p, _c, day in targets)
    return {place for place, _c, _d in targets}, to_day(earliest)


def _replace_cells(targets: set[tuple[int, int, int]], result: Tally) -> None:
    by_period: dict[tuple[int, int], list[int]] = defaultdict(list)
    for place, precision, day in targets:
        by_period[(precision, day)].append(place)
    gone = Q()
    for (precision, day), place_ids in by_period.items():
        gone |= Q(precision=PRECISIONS[precision], day=to_day(day), place_id__in=place_ids)
    Count.objects.filter(gone).delete()
    if len(result):
        wanted = np.array(
            [
                (place, precision, day) in targets
                for place, _t, _i, precision, day in result.keys.tolist()
            ],
            dtype=bool,
        )
        _insert_counts(Tally(keys=result.keys[wanted], values=result.values[wanted]))
    _repack(
        {
            (place, to_day(day).year)
            for place, precision, day in targets
            if precision != PRECISION_CODE[Period.YEAR]
        }
    )


# -- parameters --------------------------------------------------------------------------------

SCANNED_PERIODS: tuple[str, ...] = (Period.DAY, Period.WEEK, Period.MONTH)
DEFAULT_METHODS: tuple[str, ...] = ("ears_c2", "cusum")
# Baselines per period kind: a week of days, two months of weeks, half a year of months.
DEFAULT_PERIOD_PARAMETERS: dict[str, dict[str, Any]] = {
    Period.DAY: {},
    Period.WEEK: {"baseline": 8, "cusum_baseline": 12, "ewma_baseline": 12},
    Period.MONTH: {
        "baseline": 6,
        "cusum_baseline": 12,
        "ewma_baseline": 12,
        "guard": 1,
    },
}
MEASURES = ("reports", "killed")


@dataclass(frozen=True)
class RiskParameters:
    """The risk formula's documented defaults (docs/analysis.md)."""

    days: int = 30  # the recent window
    baseline_days: int = 90  # the window before it, for the trend
    signal_points: float = 40.0
    signals_full: int = 5  # this many signals give all the signal points
    severity_points: float = 40.0
    severity_full: float = 1000.0  # this many weighted casualties give all the severity points
    injured_weight: float = 0.5
    displaced_weight: float = 0.01
    trend_points: float = 20.0
    trend_full: float = 2.0  # reports at this multiple of their usual rate give all the points

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> RiskParameters:
        known = set(cls.__dataclass_fields__)
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"Unknown risk parameters: {', '.join(sorted(unknown))}.")
        return cls(**values)


@dataclass(frozen=True)
class AnalysisSettings:
    methods: tuple[str, ...]
    periods: tuple[str, ...]
    measure: str
    # Scan each sub-type as its own series (True), or roll sub-types up into their type.
    sub_types: bool
    by_period: dict[str, detection.Parameters]
    risk: RiskParameters


def settings_of(framework: IndicatorFramework) -> AnalysisSettings:
    """The framework's analysis parameters over the documented defaults; refuses unknown ones.

    `{"methods": [...], "periods": [...], "measure": "reports", "day": {...}, "week": {...},
    "month": {...}, "risk": {...}}`: see docs/analysis.md.
    """
    given = dict(framework.parameters or {})
    try:
        unknown = set(given) - {
            "methods",
            "periods",
            "measure",
            "sub_types",
            "risk",
            *SCANNED_PERIODS,
        }
        if unknown:
            raise ValueError(f"Unknown analysis parameters: {', '.join(sorted(unknown))}.")
        methods = tuple(given.get("methods", DEFAULT_METHODS))
        wrong = [m for m in methods if m not in detection.METHODS]
        if wrong or not methods:
            raise ValueError(f"Methods are among {', '.join(detection.METHODS)}.")
        periods = tuple(given.get("periods", SCANNED_PERIODS))
        if not periods or any(p not in SCANNED_PERIODS for p in periods):
            raise ValueError(f"Periods are among {', '.join(SCANNED_PERIODS)}.")
        sub_types = given.get("sub_types", False)
        if not isinstance(sub_types, bool):
            raise ValueError("sub_types is true or false.")
        measure = str(given.get("measure", "reports"))
        if measure not in MEASURES:
            raise ValueError(f"The measure is one of {', '.join(MEASURES)}.")
        by_period = {
            period: detection.Parameters.from_mapping(
                {**DEFAULT_PERIOD_PARAMETERS[period], **dict(given.get(period, {}))}
            )
            for period in SCANNED_PERIODS
        }
        risk = RiskParameters.from_mapping(dict(given.get("risk", {})))
    except (TypeError, ValueError) as problem:
        raise Invalid(
            f"The analysis parameters of {framework} do not fit: {problem}",
            fields={"parameters": [str(problem)]},
        ) from problem
    return AnalysisSettings(
        methods=methods,
        periods=periods,
        measure=measure,
        sub_types=sub_types,
        by_period=by_period,
        risk=risk,
    )


# -- packs: the count rows of a place and year in one value, as the scan reads them ----------

# Columns the scan reads, as a float matrix: place, event type, indicator, precision code, day
# number, reports, confirmed, killed, value sum (the injured and displaced it does not judge).
READ_WIDTH = 9
VALUE_SUM = 8

# One record per count row in a `CountPack`: little-endian, fixed width, the matrix's columns
# after the place (the pack's own). 0 stands for no event type, no indicator.
_PACK_FIELDS = (
    ("event_type", "<i4"),
    ("indicator", "<i4"),
    ("precision", "<i1"),
    ("day", "<i4"),
    ("reports", "<i4"),
    ("confirmed", "<i4"),
    ("killed", "<i4"),
    ("value_sum", "<f8"),
)
PACK_ROW = np.dtype(list(_PACK_FIELDS))
_PACKED = tuple(name for name, _kind in _PACK_FIELDS)
_YEAR = PRECISION_CODE[Period.YEAR]

# The count rows in the read layout (SQL for PostgreSQL and SQLite), for packing them again.
_COUNT_READ = (
    "SELECT place_id, COALESCE(event_type_id, 0), COALESCE(indicator_id, 0), "
    "CASE \"precision\" WHEN 'week' THEN 1 WHEN 'month' THEN 2 ELSE 0 END, {day}, "
    "reports, confirmed, killed, COALESCE(value_sum, 0) FROM {table} "
    'WHERE "precision" <> \'year\' AND "day" >= %s AND "day" < %s AND place_id IN ({places})'
)


def _year_of(days: Ints) -> Ints:
    return days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def _packs(rows: Floats) -> Iterator[CountPack]:
    """The packs of count rows in the read layout, one per place and year (year rows are
    left out). Records are in the order of their keys."""
    rows = rows[rows[:, 3] != _YEAR]
    if not len(rows):
        return
    keys = rows[:, :5].astype(np.int64)
    years = _year_of(keys[:, 4])
    order = np.lexsort((keys[:, 4], keys[:, 3], keys[:, 2], keys[:, 1], years, keys[:, 0]))
    keys, rows, years = keys[order], rows[order], years[order]
    records = np.empty(len(rows), dtype=PACK_ROW)
    for n, name in enumerate(_PACKED, start=1):
        records[name] = keys[:, n] if n < 5 else rows[:, n]
    cuts = np.flatnonzero((keys[1:, 0] != keys[:-1, 0]) | (years[1:] != years[:-1])) + 1
    bounds = [0, *cuts.tolist(), len(rows)]
    for low, high in pairwise(bounds):
        yield CountPack(
            place_id=int(keys[low, 0]),
            year=int(years[low]),
            rows=high - low,
            data=records[low:high].tobytes(),
        )


def _tally_as_read(result: Tally) -> Floats:
    """A tally's rows in the read layout."""
    return np.column_stack([result.keys.astype(np.float64), result.values[:, [0, 1, 2, 5]]])


def _write_packs(packs: Iterable[CountPack]) -> None:
    batch: list[CountPack] = []
    size = 0
    for pack in packs:
        batch.append(pack)
        size += len(pack.data)
        if size > 32 << 20:  # statements of a few tens of megabytes
            CountPack.objects.bulk_create(batch)
            batch, size = [], 0
    CountPack.objects.bulk_create(batch)


def _repack(pairs: set[tuple[int, int]]) -> None:
    """Pack again the count rows of these (place, year) pairs, after their rows changed.

    The packs are locked first, in one order, and changed in place: a worker packing the same
    place and year as another waits for its commit, then reads the rows that one wrote too (a
    new snapshot per statement), so no worker's rows are lost from a pack. A pack new to both
    may be inserted twice: the unique constraint refuses the second, and `recount` tries
    again."""
    pairs = {(place, year) for place, year in pairs}
    if not pairs:
        return
    places = sorted({place for place, _year in pairs})
    years = sorted({year for _place, year in pairs})
    held = CountPack.objects.filter(place_id__in=places, year__in=years).order_by(
        "place_id", "year"
    )
    existing = {
        (place, year): pk
        for pk, place, year in held.select_for_update().values_list("pk", "place_id", "year")
    }
    if connection.vendor == "postgresql":
        day = "CAST(\"day\" - DATE '1970-01-01' AS INTEGER)"
    else:
        day = 'CAST(julianday("day") - 2440587.5 AS INTEGER)'
    sql = _COUNT_READ.format(
        day=day, table=Count._meta.db_table, places=", ".join(["%s"] * len(places))
    )
    span = [dt.date(years[0], 1, 1), dt.date(years[-1] + 1, 1, 1)]
    blocks = list(_rows(sql, [*span, *places], READ_WIDTH, 500_000))
    fresh = [
        pack
        for pack in _packs(np.concatenate(blocks) if blocks else np.zeros((0, READ_WIDTH)))
        if (pack.place_id, pack.year) in pairs
    ]
    for pack in fresh:
        pack.pk = existing.pop((pack.place_id, pack.year), None)
    CountPack.objects.bulk_update([p for p in fresh if p.pk is not None], ["rows", "data"])
    _write_packs(p for p in fresh if p.pk is None)
    gone = [pk for key, pk in existing.items() if key in pairs]
    if gone:
        CountPack.objects.filter(pk__in=gone).delete()


def _unpack(packs: Sequence[tuple[int, int, bytes]]) -> Floats:
    """Packs (place, rows, data) → their count rows in the read layout, one float matrix."""
    if not packs:
        return np.zeros((0, READ_WIDTH))
    records = np.concatenate([np.frombuffer(data, dtype=PACK_ROW) for _p, _r, data in packs])
    counted = np.array([rows for _p, rows, _d in packs], dtype=np.int64)
    if int(counted.sum()) != len(records):
        raise DatabaseError("A count pack holds another number of rows than it says.")
    matrix = np.empty((len(records), READ_WIDTH))
    matrix[:, 0] = np.repeat(np.array([place for place, _r, _d in packs]), counted)
    for n, name in enumerate(_PACKED, start=1):
        matrix[:, n] = records[name]
    return matrix


_PACK_READ = "SELECT place_id, rows, data FROM {table}{where} ORDER BY place_id, year"


def read_counts(place_ids: Iterable[int] | None = None) -> Floats:
    """Every count row but year rows (of these places), from the packs, as one float
    matrix of `READ_WIDTH` columns."""
    where, params = "", []
    if place_ids is not None:
        params = sorted(set(place_ids))
        if not params:
            return np.zeros((0, READ_WIDTH))
        where = f" WHERE place_id IN ({', '.join(['%s'] * len(params))})"
    with connection.cursor() as cursor:
        cursor.execute(_PACK_READ.format(table=CountPack._meta.db_table, where=where), params)
        return _unpack([(place, rows, bytes(data)) for place, rows, data in cursor.fetchall()])


# A full scan reads the counts in this many parts (see `_count_parts`).
COUNT_PARTS = 8


def _count_parts(parts: int) -> Iterator[Floats]:
    """Every count row, in `parts` parts of whole places (so of whole series). On PostgreSQL
    the next part is read while the caller works on this one, in a thread on the same
    connection (psycopg waits for the server outside Python's lock). Until the last part is
    taken the connection is busy: the caller must not use the database meanwhile."""
    if connection.vendor != "postgresql":
        yield read_counts()
        return
    ids = sorted(Place.objects.values_list("pk", flat=True))
    # Whole places in each part; the first and last parts are open-ended, so a place made
    # meanwhile is still read.
    bounds = sorted({ids[n * len(ids) // parts] for n in range(1, parts)} if ids else set())
    wheres = [
        " AND ".join(f"place_id {op} {int(bound)}" for op, bound in pair if bound is not None)
        for pair in zip(
            [(">=", b) for b in [None, *bounds]], [("<", b) for b in [*bounds, None]], strict=True
        )
    ]
    table = CountPack._meta.db_table
    sqls = [_PACK_READ.format(table=table, where=f" WHERE {w}" if w else "") for w in wheres]
    connection.ensure_connection()
    raw = connection.connection

    def read(sql: str) -> Floats:
        # Binary results, from a server-side bound cursor (Django's is client-side): the
        # packs arrive as bytes, not as hexadecimal text.
        with psycopg.Cursor(raw) as cursor:
            cursor.execute(sql, binary=True)
            return _unpack(cursor.fetchall())

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="i4p-counts") as reader:
        ahead = reader.submit(read, sqls[0])
        for sql in sqls[1:]:
            ready = ahead.result()
            ahead = reader.submit(read, sql)
            yield ready
        yield ahead.result()


# -- the scan --------------------------------------------------------------------------------

FAMILY_ALL, FAMILY_TYPE, FAMILY_INDICATOR = 0, 1, 2


@dataclass(frozen=True)
class Alarm:
    """One alarm cell, before it is stored as a `Signal`."""

    place_id: int
    family: int
    ref: int
    method: str
    period: str
    start: dt.date
    window: int
    expected: float
    observed: float
    threshold: float
    statistic: float
    confirmed: float
    killed: int


@dataclass
class ScanResult:
    """What a scan found: the signals that are new or changed (for alert rules), and figures."""

    signals: SignalList = field(default_factory=lambda: SignalList())
    created: int = 0
    updated: int = 0
    withdrawn: int = 0
    series: int = 0
    cells: int = 0
    alarms: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


def _period_index(days: Ints, period: str) -> Ints:
    """Days → the index of their period since 1970 (days, weeks from a Monday, or months)."""
    if period == Period.WEEK:
        return (days - (days + 3) % 7 + 3) // 7
    if period == Period.MONTH:
        return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return days


def _period_day(index: int, period: str) -> dt.date:
    if period == Period.WEEK:
        return to_day(index * 7 - 3)
    if period == Period.MONTH:
        return dt.date(1970 + index // 12, index % 12 + 1, 1)
    return to_day(index)


@dataclass(frozen=True)
class _Series:
    """The count rows laid out as series: each count row may feed several series (its place's
    "all" series, its type's, its indicator's). `source[i]` is the count row of entry i and
    `inverse[i]` its series; `order` lists the entries series by series."""

    keys: Ints  # one flat key per series: (place * 3 + family) * refs + ref
    refs: int
    source: Ints
    inverse: Ints
    order: Ints
    ordered: Ints  # inverse[order], for finding one block of series by bisection


@dataclass(frozen=True)
class _Kinds:
    """What makes a framework's series: each event type's series (itself, or its parent when
    sub-types roll up), and the indicators judged for conflict."""

    parent_of: dict[int, int]
    types: set[int]
    indicators: set[int]


def _kinds_of(framework: IndicatorFramework) -> _Kinds:
    parent_of = dict(EventType.objects.filter(framework=framework).values_list("pk", "parent_id"))
    types = set(parent_of)
    if not settings_of(framework).sub_types:
        parent_of = {pk: parent or pk for pk, parent in parent_of.items()}
    else:
        parent_of = {pk: pk for pk in parent_of}
    indicators = set(
        Indicator.objects.filter(framework=framework, polarity=Polarity.CONFLICT).values_list(
            "pk", flat=True
        )
    )
    return _Kinds(parent_of=parent_of, types=types, indicators=indicators)


def _series_of(counts: Floats, kinds: _Kinds) -> _Series:
    """Lay the count rows out as series (place x all, place x type, place x indicator).

    Sub-types count towards their type's series unless the framework asks for sub-type series
    (`"sub_types": true`): a sub-type alone is too sparse a day series to judge. Only indices
    are made here, never copies of the rows: at ten million reports the rows are a gigabyte."""
    parent_of, types, indicators = kinds.parent_of, kinds.types, kinds.indicators
    place = counts[:, 0].astype(np.int64)
    event_type = counts[:, 1].astype(np.int64)
    indicator = counts[:, 2].astype(np.int64)
    incident = indicator == 0
    typed = incident & np.isin(event_type, np.fromiter(types, dtype=np.int64, count=len(types)))
    if typed.any():
        lookup = np.zeros(int(event_type.max()) + 1, dtype=np.int64)
        for pk, parent in parent_of.items():
            if pk < len(lookup):
                lookup[pk] = parent
        event_type = np.where(typed, lookup[np.where(typed, event_type, 0)], event_type)
    observed = ~incident & np.isin(
        indicator, np.fromiter(indicators, dtype=np.int64, count=len(indicators))
    )
    refs = int(max(event_type.max(initial=0), indicator.max(initial=0))) + 1
    sources, flats = [], []
    for family, chosen, ref in (
        (FAMILY_ALL, incident, None),
        (FAMILY_TYPE, typed, event_type),
        (FAMILY_INDICATOR, observed, indicator),
    ):
        rows = np.nonzero(chosen)[0]
        flat = (place[rows] * 3 + family) * refs
        if ref is not None:
            flat += ref[rows]
        sources.append(rows)
        flats.append(flat)
    source = np.concatenate(sources)
    keys, inverse = _distinct(np.concatenate(flats))
    # A stable sort of small integers is a radix sort in numpy: linear, not n log n.
    narrow = np.uint16 if len(keys) <= 1 << 16 else np.uint32
    order = np.argsort(inverse.astype(narrow), kind="stable")
    return _Series(
        keys=keys, refs=refs, source=source, inverse=inverse, order=order, ordered=inverse[order]
    )


def _distinct(values: Ints) -> tuple[Ints, Ints]:
    """`np.unique(values, return_inverse=True)`, without sorting when the values lie in a
    short range (the series keys of a part of the places do): marks and running counts."""
    if not len(values):
        return values, values
    low = int(values.min())
    span = int(values.max()) - low + 1
    if span > 4 * len(values) + (1 << 20):
        keys, inverse = np.unique(values, return_inverse=True)
        return keys, inverse.reshape(-1)
    present = np.zeros(span, dtype=bool)
    present[values - low] = True
    rank = np.cumsum(present) - 1
    return np.flatnonzero(present) + low, rank[values - low]


def _alarms_of(
    counts: Floats,
    layout: _Series,
    allowed: npt.NDArray[np.bool_],
    index: Ints,
    *,
    period: str,
    first: int,
    columns: int,
    report_from: int,
    settings_: AnalysisSettings,
    block: int,
) -> Iterator[tuple[list[Alarm], int]]:
    """Run every method over the series matrix, `block` series at a time. `allowed`: the
    count rows this period takes; `index`: each count row's period number."""
    # Imported here: numba loads in a process that scans, not in every web worker.
    from i4p.warning import kernels

    params = settings_.by_period[period]
    series, refs = layout.keys, layout.refs
    measure = counts[:, 7 if settings_.measure == "killed" else 5]
    walk = (layout.source, layout.inverse)
    sums = (counts[:, 6], counts[:, 7])
    for b in range(0, len(series), block):
        lo, hi = np.searchsorted(layout.ordered, [b, b + block])
        entries = layout.order[lo:hi]
        n = min(block, len(series) - b)
        family = (series[b : b + n] // refs) % 3
        counted = family != FAMILY_INDICATOR
        # Indicators are judged on the sum of their values.
        observed = np.zeros((n, columns))
        kernels.bin_series(
            entries,
            *walk,
            b,
            allowed,
            index,
            first,
            measure,
            counts[:, VALUE_SUM],
            counted,
            observed,
        )
        judged = []
        for method, result in zip(
            settings_.methods,
            detection.alarm_cells(observed, settings_.methods, params, counted, start=report_from),
            strict=True,
        ):
            r, c = result.rows, result.columns
            figures = [result.expected, result.observed, result.threshold, result.statistic]
            judged.append((method, result.window, r, c, figures))
        # Confirmed reports and the killed: only where an alarm is, from the count rows there.
        hit = np.unique(np.concatenate([r * columns + c for _m, _w, r, c, _f in judged]))
        wanted = np.zeros(n * columns, dtype=bool)
        wanted[hit] = True
        confirmed, killed = kernels.sums_at(
            entries, *walk, b, allowed, index, first, columns, hit, wanted, *sums
        )
        found: list[Alarm] = []
        for method, window, r, c, figures in judged:
            where = np.searchsorted(hit, r * columns + c)
            rows_of = zip(
                r.tolist(),
                c.tolist(),
                *(f.tolist() for f in figures),
                confirmed[where].tolist(),
                killed[where].tolist(),
                strict=True,
            )
            for r_, c_, expected, seen, threshold, statistic, confirmed_, killed_ in rows_of:
                key, ref = divmod(int(series[b + r_]), refs)
                found.append(
                    Alarm(
                        place_id=key // 3,
                        family=key % 3,
                        ref=ref,
                        method=method,
                        period=period,
                        start=_period_day(first + c_, period),
                        window=window,
                        expected=expected,
                        observed=seen,
                        threshold=threshold,
                        statistic=statistic,
                        confirmed=confirmed_,
                        killed=int(killed_),
                    )
                )
        yield found, n


def detect_alarms(
    counts: Floats,
    framework: IndicatorFramework,
    *,
    until: dt.date,
    since: dt.date | None = None,
    block: int = 2048,
    kinds: _Kinds | None = None,
    first_days: Mapping[int, int] | None = None,
) -> tuple[list[Alarm], int, int]:
    """Every alarm in `counts` (rows as `read_counts` gives them) from `since` to `until`.

    When `counts` is one part of the table (whole places: `_count_parts`), `first_days` gives
    the table's first day number per precision code, so that every part's matrices begin on
    the same period as the whole table's would; `kinds` (`_kinds_of`) spares the part a
    query. Returns (alarms, series, cells).
    """
    settings_ = settings_of(framework)
    alarms: list[Alarm] = []
    total_series = total_cells = 0
    if not len(counts):
        return alarms, 0, 0
    layout = _series_of(counts, kinds or _kinds_of(framework))
    days = counts[:, 4].astype(np.int64)
    precision = counts[:, 3].astype(np.int64)
    end_day = day_number(until)
    for period in settings_.periods:
        allowed = (precision <= PRECISION_CODE[period]) & (days <= end_day)
        if not allowed.any():
            continue
        index = _period_index(days, period)
        if first_days is None:
            first = int(index[allowed].min())
        else:
            earliest = min(
                day for code, day in first_days.items() if code <= PRECISION_CODE[period]
            )
            first = int(_period_index(np.array([earliest]), period)[0])
            # A row written since `first_days` were read may lie earlier still.
            first = min(first, int(index[allowed].min()))
        last = int(_period_index(np.array([end_day]), period)[0])
        columns = last - first + 1
        report_from = 0
        if since is not None:
            begin = int(_period_index(np.array([day_number(since)]), period)[0])
            report_from = max(0, begin - first)
        for found, n in _alarms_of(
            counts,
            layout,
            allowed,
            index,
            period=period,
            first=first,
            columns=columns,
            report_from=report_from,
            settings_=settings_,
            block=block,
        ):
            alarms.extend(found)
            total_series += n
            total_cells += n * columns
    return alarms, total_series, total_cells


def _series_labels(framework: IndicatorFramework) -> dict[tuple[int, int], str]:
    labels = {(FAMILY_ALL, 0): "all"}
    for pk, code in EventType.objects.filter(framework=framework).values_list("pk", "code"):
        labels[(FAMILY_TYPE, pk)] = f"type:{code}"
    for pk, code in Indicator.objects.filter(framework=framework).values_list("pk", "code"):
        labels[(FAMILY_INDICATOR, pk)] = f"indicator:{code}"
    return labels


FIGURES = ("window", "expected", "observed", "threshold", "statistic", "confirmed", "killed")


def _same(figures: Sequence[Any], alarm: Alarm) -> bool:
    figured = [getattr(alarm, name) for name in FIGURES]
    if figures == figured:  # most often: the same numbers, read back exactly
        return True
    return all(
        math.isclose(float(value), float(figure), abs_tol=1e-9)
        for value, figure in zip(figures, figured, strict=True)
    )


# Fresh signals past this many go to PostgreSQL by COPY (a full scan stores tens of thousands).
COPY_SIGNALS = 1000
_SIGNAL_FIELDS = [f.attname for f in Signal._meta.concrete_fields]


@transaction.atomic
def store_alarms(
    alarms: Sequence[Alarm],
    framework: IndicatorFramework,
    *,
    places: set[int] | None,
    since: dt.date | None,
    periods: Sequence[str],
) -> ScanResult:
    """Upsert one signal per alarm; signals still new that no alarm supports any more (a
    report judged false, say) are withdrawn. Signals an analyst acted on stay."""
    labels = _series_labels(framework)
    existing = Signal.objects.filter(framework=framework, period__in=list(periods))
    if since is not None:
        existing = existing.filter(period_start__gte=period_start(since, Period.MONTH))
    if places is not None:
        existing = existing.filter(place_id__in=places)
    # The stored cells as plain values: a full scan compares tens of thousands of them.
    known: dict[tuple[int, str, str, str, dt.date], tuple[Any, ...]] = {
        (place, series, method, period, start): (pk, state, rest)
        for pk, state, place, series, method, period, start, *rest in existing.values_list(
            "pk", "state", "place_id", "series", "method", "period", "period_start", *FIGURES
        )
    }
    result = ScanResult()
    now = timezone.now()
    fresh: list[dict[str, Any]] = []
    changed: dict[int, Alarm] = {}
    seen: set[tuple[int, str, str, str, dt.date]] = set()
    for alarm in alarms:
        series = labels.get((alarm.family, alarm.ref))
        if series is None:
            continue
        key = (alarm.place_id, series, alarm.method, alarm.period, alarm.start)
        seen.add(key)
        stored = known.get(key)
        if stored is None:
            fresh.append(
                {
                    "framework_id": framework.pk,
                    "place_id": alarm.place_id,
                    "event_type_id": alarm.ref if alarm.family == FAMILY_TYPE else None,
                    "indicator_id": alarm.ref if alarm.family == FAMILY_INDICATOR else None,
                    "series": series,
                    "method": alarm.method,
                    "period": alarm.period,
                    "period_start": alarm.start,
                    **{name: getattr(alarm, name) for name in FIGURES},
                }
            )
        elif not _same(stored[2], alarm):
            changed[stored[0]] = alarm
    created = _create_signals(fresh, now)
    updated = list(Signal.objects.filter(pk__in=list(changed)))
    for signal in updated:
        for name in FIGURES:
            setattr(signal, name, getattr(changed[signal.pk], name))
        signal.updated_at = now
    if updated:
        Signal.objects.bulk_update(updated, [*FIGURES, "updated_at"], batch_size=2000)
    stale = [
        pk
        for key, (pk, state, _figures) in known.items()
        if key not in seen and state == SignalState.NEW and _in_range(key[4], key[3], since)
    ]
    if stale:
        Signal.objects.filter(pk__in=stale).delete()
    result.signals = SignalList(created, updated)
    result.created, result.updated, result.withdrawn = len(created), len(updated), len(stale)
    return result


def _create_signals(rows: list[dict[str, Any]], now: dt.datetime) -> list[Signal] | _Written:
    """Insert the signals (field values by attribute name); returns them, saved."""
    if connection.vendor != "postgresql" or len(rows) <= COPY_SIGNALS:
        signals = [Signal(**row) for row in rows]
        return Signal.objects.bulk_create(signals, batch_size=2000)
    # PostgreSQL, many rows: ids taken from the table's own sequence, then one COPY of text
    # made here (every column's type is known: no per-value adaptation).
    table = Signal._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, len(rows)],
        )
        ids = [pk for (pk,) in cursor.fetchall()]
        names = ", ".join(f'"{name}"' for name in _SIGNAL_FIELDS)
        values = []
        lines = []
        moment = now.isoformat()
        for pk, row in zip(ids, rows, strict=True):
            row.update(
                id=pk, uuid=uuid.uuid4(), created_at=now, updated_at=now, state=SignalState.NEW
            )
            values.append(tuple(row[name] for name in _SIGNAL_FIELDS))
            lines.append(
                f"{pk}\t{row['uuid']}\t{moment}\t{moment}\t{row['framework_id']}\t"
                f"{row['place_id']}\t{_copy_value(row['event_type_id'])}\t"
                f"{_copy_value(row['indicator_id'])}\t{_copy_value(row['series'])}\t"
                f"{_copy_value(row['method'])}\t{_copy_value(row['period'])}\t"
                f"{row['period_start'].isoformat()}\t{int(row['window'])}\t"
                f"{float(row['expected'])!r}\t{float(row['observed'])!r}\t"
                f"{float(row['threshold'])!r}\t{float(row['statistic'])!r}\t"
                f"{float(row['confirmed'])!r}\t{int(row['killed'])}\t{SignalState.NEW.value}\n"
            )
        with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            copy.write("".join(lines).encode())
    return _Written(rows=values, alias=connection.alias)


def _copy_value(value: int | str | None) -> str:
    """A value in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, int):
        return str(value)
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


@dataclass
class _Written:
    """Signals stored by COPY: their values, in `_SIGNAL_FIELDS` order."""

    rows: list[tuple[Any, ...]]
    alias: str

    def __len__(self) -> int:
        return len(self.rows)


class SignalList(Sequence[Signal]):
    """The signals a scan made or changed. Those stored by COPY become model instances when
    the list is first read: a full scan stores tens of thousands, which nobody reads one by
    one (building them took longer than storing them)."""

    def __init__(self, *parts: list[Signal] | _Written) -> None:
        self._parts = list(parts)

    def extend(self, other: SignalList) -> None:
        self._parts += other._parts

    def __len__(self) -> int:
        return sum(len(part) for part in self._parts)

    def _signals(self) -> list[Signal]:
        if len(self._parts) != 1 or isinstance(self._parts[0], _Written):
            made: list[Signal] = []
            for part in self._parts:
                if isinstance(part, _Written):
                    made += [Signal.from_db(part.alias, _SIGNAL_FIELDS, row) for row in part.rows]
                else:
                    made += part
            self._parts = [made]
        only = self._parts[0]
        assert not isinstance(only, _Written)
        return only

    @overload
    def __getitem__(self, index: int) -> Signal: ...

    @overload
    def __getitem__(self, index: slice) -> list[Signal]: ...

    def __getitem__(self, index: int | slice) -> Signal | list[Signal]:
        return self._signals()[index]

    def __iter__(self) -> Iterator[Signal]:
        return iter(self._signals())


def _in_range(start: dt.date, period: str, since: dt.date | None) -> bool:
    if since is None:
        return True
    return start >= period_start(since, period)


def _method_key(method: str) -> str:
    return method.removeprefix("ears_")


def scan(
    *,
    framework: IndicatorFramework | None = None,
    places: Iterable[int] | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> ScanResult:
    """Scan the counts and store the signals; returns the signals that are new or changed.

    `places`: only the series of these places (an incremental scan); `since`: only alarms in
    periods from this day on are stored or withdrawn (the series' whole history is still read,
    so the result equals a full scan's for those cells). Every active framework is scanned
    when `framework` is None. `seconds` of the result: waiting for the counts (a full scan on
    PostgreSQL reads them in parts, the next while detecting in this one), detecting, storing.
    """
    frameworks = (
        [framework]
        if framework is not None
        else list(IndicatorFramework.objects.filter(is_active=True))
    )
    wanted = None if places is None else set(places)
    until = until or timezone.localdate()
    total = ScanResult()
    total.seconds = {"read": 0.0, "detect": 0.0, "store": 0.0}
    # Everything detection asks of the database is asked first: while the counts are read
    # part by part, the connection is busy reading the next part.
    plans = [(item, settings_of(item), _kinds_of(item)) for item in frameworks]
    found: list[list[Alarm]] = [[] for _plan in plans]
    first_days = None
    if wanted is None and connection.vendor == "postgresql":
        first_days = _first_days()
        parts = _count_parts(COUNT_PARTS)
    else:
        parts = iter([read_counts(wanted)])
    clock = time.perf_counter()
    for counts in parts:
        total.seconds["read"] += time.perf_counter() - clock
        for (item, _settings, kinds), alarms in zip(plans, found, strict=True):
            begin = time.perf_counter()
            more, series, cells = detect_alarms(
                counts, item, until=until, since=since, kinds=kinds, first_days=first_days
            )
            alarms.extend(more)
            total.seconds["detect"] += time.perf_counter() - begin
            total.series += series
            total.cells += cells
        clock = time.perf_counter()
    for (item, settings_, _kinds), alarms in zip(plans, found, strict=True):
        begin = time.perf_counter()
        stored = store_alarms(
            [replace(a, method=_method_key(a.method)) for a in alarms],
            item,
            places=wanted,
            since=since,
            periods=settings_.periods,
        )
        total.seconds["store"] += time.perf_counter() - begin
        total.signals.extend(stored.signals)
        total.created += stored.created
        total.updated += stored.updated
        total.withdrawn += stored.withdrawn
        total.alarms += len(alarms)
    return total


def _first_days() -> dict[int, int]:
    """The first day number of each precision scanned in the count table (its index on
    precision and day answers each at once)."""
    firsts = {}
    for name in SCANNED_PERIODS:
        first = Count.objects.filter(precision=name).aggregate(first=Min("day"))["first"]
        if first is not None:
            firsts[PRECISION_CODE[name]] = day_number(first)
    return firsts


def signal_is_confirmed(signal: Signal) -> bool:
    """Whether the confirmed reports alone (verified, credible, or from trusted reporters)
    cross the signal's threshold: what a public alert should ask for. Unverified reports from
    new senders alone never make a signal confirmed."""
    return signal.confirmed > signal.threshold and signal.confirmed >= 1


# -- signals: reading and dismissing -----------------------------------------------------------


def visible_signals(user: Any) -> QuerySet[Signal]:
    """Signals at places where `user` may see alerts."""
    scope = scope_of(user, Perm.VIEW_ALERTS)
    if scope.nowhere:
        return Signal.objects.none()
    return (
        Signal.objects.filter(scope.q("place"))
        .select_related("place", "event_type", "indicator", "framework")
        .order_by("-period_start", "-observed", "pk")
    )


@transaction.atomic
def dismiss_signal(signal: Signal, *, by: Any, reason: str) -> Signal:
    """An analyst judges a signal not worth an alert; it stays on record, dismissed."""
    if not can(by, Perm.ISSUE_ALERTS, signal.place):
        raise NotAllowed("You cannot act on signals in this area.")
    reason = reason.strip()
    if not reason:
        raise Invalid("Say why the signal is dismissed.", fields={"reason": ["Give a reason."]})
    fresh = Signal.objects.select_for_update().get(pk=signal.pk)
    if fresh.state == SignalState.DISMISSED:
        raise WrongState("This signal is already dismissed.")
    fresh.state = SignalState.DISMISSED
    fresh.save(update_fields=["state", "updated_at"])
    record_event(fresh, "signal.dismissed", by=by, fields=["state"], note=reason[:500])
    signal.state = fresh.state
    return signal


# -- risk -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RiskTerm:
    key: str
    label: str
    figure: float  # what was measured
    points: float
    max_points: float
    explanation: str  # the term in words, with its numbers


@dataclass(frozen=True)
class Risk:
    place: Place
    score: float
    terms: list[RiskTerm]
    signals: int
    reports: int
    killed: int
    injured: int
    displaced: int


def risk_terms(
    *,
    signals: int,
    killed: int,
    injured: int,
    displaced: int,
    recent: int,
    before: int,
    params: RiskParameters,
) -> list[RiskTerm]:
    """The three terms of the risk score, each with the sum that made it."""
    share = min(signals / params.signals_full, 1.0) if params.signals_full else 0.0
    weighted = killed + params.injured_weight * injured + params.displaced_weight * displaced
    severity = min(math.log10(1 + weighted) / math.log10(1 + params.severity_full), 1.0)
    usual = before * params.days / params.baseline_days
    ratio = (recent + 1) / (usual + 1)
    trend = min(max(math.log2(ratio) / math.log2(params.trend_full), 0.0), 1.0)
    return [
        RiskTerm(
            key="signals",
            label=_("Signals"),
            figure=signals,
            points=round(share * params.signal_points, 1),
            max_points=params.signal_points,
            explanation=_(
                "%(n)d signals not dismissed in the last %(days)d days; %(full)d or more give "
                "all %(max)g points: min(%(n)d / %(full)d, 1) x %(max)g = %(points).1f"
            )
            % {
                "n": signals,
                "days": params.days,
                "full": params.signals_full,
                "max": params.signal_points,
                "points": share * params.signal_points,
            },
        ),
        RiskTerm(
            key="severity",
            label=_("Severity"),
            figure=round(weighted, 1),
            points=round(severity * params.severity_points, 1),
            max_points=params.severity_points,
            explanation=_(
                "%(killed)d killed + %(iw)g x %(injured)d injured + %(dw)g x %(displaced)d "
                "displaced = %(weighted).1f; min(log10(1 + %(weighted).1f) / log10(1 + "
                "%(full)g), 1) x %(max)g = %(points).1f"
            )
            % {
                "killed": killed,
                "iw": params.injured_weight,
                "injured": injured,
                "dw": params.displaced_weight,
                "displaced": displaced,
                "weighted": weighted,
                "full": params.severity_full,
                "max": params.severity_points,
                "points": severity * params.severity_points,
            },
        ),
        RiskTerm(
            key="trend",
            label=_("Trend"),
            figure=round(ratio, 2),
            points=round(trend * params.trend_points, 1),
            max_points=params.trend_points,
            explanation=_(
                "%(recent)d reports in the last %(days)d days against %(usual).1f usual "
                "(%(before)d in the %(bdays)d days before); ratio (%(recent)d + 1) / "
                "(%(usual).1f + 1) = %(ratio).2f; min(max(log2(%(ratio).2f) / log2(%(full)g), "
                "0), 1) x %(max)g = %(points).1f"
            )
            % {
                "recent": recent,
                "days": params.days,
                "usual": usual,
                "before": before,
                "bdays": params.baseline_days,
                "ratio": ratio,
                "full": params.trend_full,
                "max": params.trend_points,
                "points": trend * params.trend_points,
            },
        ),
    ]


def place_risks(
    user: Any,
    *,
    place: Place | None = None,
    limit: int = 50,
    today: dt.date | None = None,
    framework: IndicatorFramework | None = None,
) -> list[Risk]:
    """Places in the viewer's scope (inside `place` if given), ranked by risk, each with its
    terms. A place appears when it has reports or signals in the recent or usual window."""
    scope = scope_of(user, Perm.VIEW_ALERTS)
    if scope.nowhere:
        return []
    framework = framework or IndicatorFramework.objects.filter(is_active=True).first()
    params = settings_of(framework).risk if framework is not None else RiskParameters()
    today = today or timezone.localdate()
    start = today - dt.timedelta(days=params.days - 1)
    early = start - dt.timedelta(days=params.baseline_days)
    counts = Count.objects.filter(
        scope.q("place"),
        indicator__isnull=True,
        precision__in=[Period.DAY, Period.WEEK],
        day__gte=early,
        day__lte=today,
    )
    signals = visible_signals(user).filter(period_start__gte=start, period_start__lte=today)
    signals = signals.exclude(state=SignalState.DISMISSED)
    if place is not None:
        counts = counts.filter(place__path__startswith=place.path)
        signals = signals.filter(place__path__startswith=place.path)
    figures: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for place_id, day, reports, killed, injured, displaced in counts.values_list(
        "place_id", "day", "reports", "killed", "injured", "displaced"
    ):
        row = figures[place_id]
        if day >= start:
            row["recent"] += reports
            row["killed"] += killed
            row["injured"] += injured
            row["displaced"] += displaced
        else:
            row["before"] += reports
    for place_id in signals.values_list("place_id", flat=True):
        figures[place_id]["signals"] += 1
    places = Place.objects.in_bulk(list(figures))
    risks = []
    for place_id, row in figures.items():
        terms = risk_terms(
            signals=row["signals"],
            killed=row["killed"],
            injured=row["injured"],
            displaced=row["displaced"],
            recent=row["recent"],
            before=row["before"],
            params=params,
        )
        risks.append(
            Risk(
                place=places[place_id],
                score=round(sum(t.points for t in terms), 1),
                terms=terms,
                signals=row["signals"],
                reports=row["recent"],
                killed=row["killed"],
                injured=row["injured"],
                displaced=row["displaced"],
            )
        )
    risks.sort(key=lambda r: (-r.score, r.place.depth, r.place.name))
    return risks[:limit]


def visible_counts(user: Any) -> QuerySet[Count]:
    scope = scope_of(user, Perm.VIEW_ALERTS)
    if scope.nowhere:
        return Count.objects.none()
    return (
        Count.objects.filter(scope.q("place"))
        .select_related("place", "event_type", "indicator")
        .order_by("day", "place_id", "pk")
    )
