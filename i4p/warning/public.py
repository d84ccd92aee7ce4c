"""What the public may see of reports: redacted, delayed, rolled up, fuzzed, never small counts.

Settings (env-driven, see `config/settings.py`):
- `I4P_PUBLIC_PLACE_LEVEL`: places are shown down to this admin level at most (a report in a
  village shows its region when the level is "admin1");
- `I4P_PUBLIC_FUZZ_METRES`: points move by up to this distance (`i4p.geo.locate.fuzz`, keyed
  by the instance's secret and the report's id, so the same report always moves the same way);
- `I4P_PUBLIC_DELAY_HOURS`: nothing received more recently than this is shown;
- `I4P_PUBLIC_MIN_COUNT`: an aggregate count below this is shown as "fewer than N".
Only reports a reviewer made public, of normal sensitivity, and not judged false or duplicate
are ever public.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from i4p.geo.locate import fuzz
from i4p.geo.models import Place, PlaceKind
from i4p.registry.exchange.places import PlaceBook
from i4p.warning.models import Report, Sensitivity, Verification, Visibility

# Admin levels from the top; a place is shown at the deepest of these not below the setting.
LEVELS: list[str] = [
    PlaceKind.COUNTRY,
    PlaceKind.ADMIN1,
    PlaceKind.ADMIN2,
    PlaceKind.ADMIN3,
    PlaceKind.LOCALITY,
]
NEVER_PUBLIC_SENSITIVITY = (Sensitivity.SENSITIVE, Sensitivity.RESTRICTED)
NEVER_PUBLIC_VERDICTS = (Verification.FALSE, Verification.DUPLICATE)


def place_level() -> str:
    level = str(settings.I4P_PUBLIC_PLACE_LEVEL)
    return level if level in LEVELS else PlaceKind.ADMIN1


def fuzz_metres() -> float:
    return float(max(int(settings.I4P_PUBLIC_FUZZ_METRES), 1))


def delay_hours() -> int:
    return max(int(settings.I4P_PUBLIC_DELAY_HOURS), 0)


def delay_cutoff(now: dt.datetime | None = None) -> dt.datetime:
    """Reports received after this moment are not public yet."""
    return (now or timezone.now()) - dt.timedelta(hours=delay_hours())


def min_count() -> int:
    return max(int(settings.I4P_PUBLIC_MIN_COUNT), 1)


def public_reports(now: dt.datetime | None = None) -> QuerySet[Report]:
    """Reports anyone may see (in their redacted form): public, normal, old enough."""
    return (
        Report.objects.filter(
            visibility=Visibility.PUBLIC,
            sensitivity=Sensitivity.NORMAL,
            received_at__lte=delay_cutoff(now),
        )
        .exclude(verification__in=NEVER_PUBLIC_VERDICTS)
        .order_by("-received_at", "-pk")
    )


def public_place(place: Place | None, book: PlaceBook) -> Place | None:
    """The place rolled up to the public level: its deepest ancestor not below the level."""
    if place is None:
        return None
    allowed = LEVELS[: LEVELS.index(place_level()) + 1]
    shown = None
    for candidate in book.lineage(place):
        if candidate.kind in allowed:
            shown = candidate
    return shown


def public_point(
    report_uuid: Any,
    latitude: float | None,
    longitude: float | None,
    place: Place | None,
    book: PlaceBook,
) -> tuple[float, float] | None:
    """(latitude, longitude) for the public: the report's point fuzzed, else the point of the
    rolled-up place (already no finer than the public level)."""
    if latitude is not None and longitude is not None:
        return fuzz(latitude, longitude, fuzz_metres(), seed=str(report_uuid))
    if place is not None:
        point = book.point(place)
        if point is not None:
            return point[1], point[0]
    return None


@dataclass(frozen=True)
class Cell:
    """One figure of an aggregate: the number, or None when it is too small to show."""

    value: int | None
    threshold: int

    @property
    def suppressed(self) -> bool:
        return self.value is None

    def __str__(self) -> str:
        if self.value is None:
            return f"< {self.threshold}"
        return f"{self.value:,}"


@dataclass(frozen=True)
class PlaceCount:
    place: Place | None
    reports: Cell
    killed: Cell


def suppress(values: list[int], threshold: int) -> list[int | None]:
    """Hide every count from 1 to threshold - 1; when only one is hidden and a total is shown,
    hide the next smallest too, so the hidden one cannot be found by subtraction."""
    hidden = [0 < value < threshold for value in values]
    if sum(hidden) == 1 and len(values) > 1:
        others = sorted(
            (value, index) for index, value in enumerate(values) if not hidden[index] and value > 0
        )
        if others:
            hidden[others[0][1]] = True
    return [None if hide else value for value, hide in zip(values, hidden, strict=True)]


def counts_by_place(
    reports: QuerySet[Report] | None = None, *, now: dt.datetime | None = None
) -> tuple[list[PlaceCount], Cell]:
    """Public reports counted per public place (rolled up), small counts suppressed.

    Returns the rows (largest first) and the total. Counting happens in the database per
    stored place; the roll-up adds the few place rows together in Python.
    """
    threshold = min_count()
    source = reports if reports is not None else public_reports(now)
    grouped = list(
        source.order_by()
        .values("place_id")
        .annotate(reports=Count("pk"), killed=Sum("killed"))
        .values_list("place_id", "reports", "killed")
    )
    book = PlaceBook()
    book.load(place_id for place_id, _reports, _killed in grouped)
    totals: dict[int | None, list[int]] = defaultdict(lambda: [0, 0])
    shown: dict[int | None, Place | None] = {}
    for place_id, reports_count, killed in grouped:
        place = public_place(book.get(place_id), book)
        key = place.pk if place is not None else None
        shown[key] = place
        totals[key][0] += reports_count
        totals[key][1] += killed or 0
    keys = sorted(totals, key=lambda key: (-totals[key][0], _name(shown[key])))
    report_cells = suppress([totals[key][0] for key in keys], threshold)
    killed_cells = suppress([totals[key][1] for key in keys], threshold)
    rows = [
        PlaceCount(shown[key], Cell(reports, threshold), Cell(killed, threshold))
        for key, reports, killed in zip(keys, report_cells, killed_cells, strict=True)
    ]
    total = sum(values[0] for values in totals.values())
    return rows, Cell(total if total == 0 or total >= threshold else None, threshold)


def _name(place: Place | None) -> str:
    return place.name if place is not None else ""


def load_book(place_ids: Iterable[int | None]) -> PlaceBook:
    book = PlaceBook()
    book.load(place_ids)
    return book
