"""Importing other data sets' events (UCDP GED, ACLED) as `ExternalEvent`s for triangulation.

A file is read in batches: each batch is parsed row by row (a bad row is skipped and reported
with its row number and reason, the good ones are kept), placed with one vectorised `locate`
call, and written with one upsert keyed on (source, source id), so importing a newer release
of the same file updates events and never duplicates them.

Places follow the precision the data set states: a point GED knows only to its region
(`where_prec` 4) is filed under the region, not under whatever district its coordinates
happen to fall in.

Event types map to the framework's ACLED-compatible types:

| source | value | event type |
|---|---|---|
| UCDP `type_of_violence` | 1 state-based conflict | `battles` (GED does not say which sub-type) |
| | 2 non-state conflict | `battles.armed_clash` (armed groups fighting each other) |
| | 3 one-sided violence | `violence_against_civilians.attack` |
| ACLED `event_type`, `sub_event_type` | as published | the type with the same ACLED names |

An ACLED sub-event type the framework lacks falls back to its top-level type.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pycountry
from django.db import transaction

from i4p.core.audit import record_event
from i4p.core.errors import Invalid
from i4p.geo.locate import locate
from i4p.geo.models import Place, PlaceKind
from i4p.warning.models import (
    EventType,
    ExternalEvent,
    ExternalSource,
    IndicatorFramework,
    PlacePrecision,
    TimePrecision,
)

BATCH = 2000

UCDP, ACLED = "ucdp", "acled"
SOURCES = {UCDP: ExternalSource.UCDP_GED, ACLED: ExternalSource.ACLED}

UCDP_COLUMNS = (
    "id", "type_of_violence", "date_start", "date_end", "date_prec", "where_prec",
    "latitude", "longitude", "country",
)  # fmt: skip
ACLED_COLUMNS = (
    "event_id_cnty", "event_date", "event_type", "country", "latitude", "longitude",
    "geo_precision", "time_precision", "fatalities",
)  # fmt: skip

UCDP_VIOLENCE = {
    1: ("battles", "State-based conflict"),
    2: ("battles.armed_clash", "Non-state conflict"),
    3: ("violence_against_civilians.attack", "One-sided violence"),
}
# GED date_prec: 1 the day; 2 within 2-6 days; 3 the week; 4 the month (8-30 days);
# 5 the year (31-365 days).
UCDP_TIME = {
    1: TimePrecision.DAY,
    2: TimePrecision.WEEK,
    3: TimePrecision.WEEK,
    4: TimePrecision.MONTH,
    5: TimePrecision.YEAR,
}
# GED where_prec → (precision, the deepest level its coordinates may place it at).
# 1 exact point; 2 within 25 km; 3 only the second-order division; 4 only the first-order
# division; 5 a linear feature or part of a country; 6 only the country; 7 at sea or in the air.
UCDP_PLACE = {
    1: (PlacePrecision.EXACT, "admin2"),
    2: (PlacePrecision.NEAR, "admin2"),
    3: (PlacePrecision.ADMIN2, "admin2"),
    4: (PlacePrecision.ADMIN1, "admin1"),
    5: (PlacePrecision.COUNTRY, "country"),
    6: (PlacePrecision.COUNTRY, "country"),
    7: (PlacePrecision.UNKNOWN, ""),
}
# ACLED time_precision: 1 the day; 2 within the week; 3 within the month.
ACLED_TIME = {1: TimePrecision.DAY, 2: TimePrecision.WEEK, 3: TimePrecision.MONTH}
# ACLED geo_precision: 1 the town itself; 2 near the town, or a part of a region;
# 3 only the region (its capital's coordinates).
ACLED_PLACE = {
    1: (PlacePrecision.LOCALITY, "admin2"),
    2: (PlacePrecision.NEAR, "admin2"),
    3: (PlacePrecision.ADMIN1, "admin1"),
}
LEVELS = ("country", "admin1", "admin2")

# UCDP country names that ISO 3166 spells otherwise.
COUNTRY_NAMES = {
    "myanmar (burma)": "MM",
    "dr congo (zaire)": "CD",
    "congo": "CG",
    "cambodia (kampuchea)": "KH",
    "russia (soviet union)": "RU",
    "yemen (north yemen)": "YE",
    "serbia (yugoslavia)": "RS",
    "zimbabwe (rhodesia)": "ZW",
    "madagascar (malagasy)": "MG",
    "bosnia-herzegovina": "BA",
    "ivory coast": "CI",
    "kingdom of eswatini": "SZ",
    "macedonia, frm": "MK",
    "turkey": "TR",
}


@dataclass
class RowProblem:
    row: int  # as a spreadsheet numbers it: the header is row 1
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.reason}"


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return len(self.problems)

    def summary(self) -> str:
        return (
            f"{self.rows} rows read: {self.created} events created, {self.updated} updated, "
            f"{self.skipped} rows skipped."
        )


@dataclass
class Parsed:
    """One row, understood; its place comes later, for the whole batch at once."""

    row: int
    source_id: str
    type_code: str
    type_label: str
    occurred_from: dt.date
    occurred_until: dt.date
    time_precision: str
    place_precision: str
    level: str  # the deepest level the coordinates may place it at ("" = none)
    latitude: float | None
    longitude: float | None
    country_code: str
    location_text: str
    actors_text: str
    fatalities: int | None
    fatalities_low: int | None
    fatalities_high: int | None
    description: str
    raw: dict[str, str]


class BadRow(ValueError):
    """Why one row cannot be imported; the row is skipped, the file goes on."""


# -- reading ---------------------------------------------------------------------------------


def _open_text(source: str | Path | IO[bytes]) -> IO[str]:
    """Text of a plain or gzipped CSV (GED releases are often shipped as .csv.gz)."""
    binary: IO[bytes]
    if isinstance(source, str | Path):
        with open(source, "rb") as probe:
            zipped = probe.read(2) == b"\x1f\x8b"
        binary = (
            gzip.open(source, "rb") if zipped else open(source, "rb")  # type: ignore[assignment]  # noqa: SIM115
        )
    else:
        data = source.read()
        binary = io.BytesIO(gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data)
    return io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")


def _is_hxl(row: dict[str, str]) -> bool:
    """HDX files carry a second header of HXL hashtags (#date+year, #geo+lat…)."""
    values = [v.strip() for v in row.values() if isinstance(v, str) and v.strip()]
    return bool(values) and all(v.startswith("#") for v in values)


def _unreadable(problem: Exception) -> Invalid:
    if isinstance(problem, UnicodeDecodeError):
        reason = "it is not UTF-8 text"
    elif isinstance(problem, csv.Error):
        reason = f"it cannot be read as CSV ({problem})"
    else:
        reason = "it is not a whole gzip file"
    return Invalid(
        f"This is not a CSV file: {reason}. Nothing was imported.",
        fields={"file": ["not a UTF-8 CSV file, plain or gzipped"]},
    )


def read_rows(source: str | Path | IO[bytes]) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number, row) of a CSV or gzipped CSV, skipping an HXL hashtag row.

    A file that is not CSV text (an image, a spreadsheet, a broken gzip) raises `Invalid`.
    """
    try:
        with _open_text(source) as text:
            reader = csv.DictReader(text)
            reader.fieldnames = [(name or "").strip() for name in reader.fieldnames or []]
            for number, row in enumerate(reader, start=2):
                if number == 2 and _is_hxl(row):
                    continue
                yield number, {k: (v or "").strip() for k, v in row.items() if k}
    except (UnicodeDecodeError, csv.Error, EOFError, gzip.BadGzipFile, zlib.error) as problem:
        raise _unreadable(problem) from problem


def count_rows(source: str | Path) -> int:
    """How many data rows a file has (for a progress bar's total)."""
    return sum(1 for _ in read_rows(source))


def check_columns(kind: str, columns: list[str]) -> None:
    needed = UCDP_COLUMNS if kind == UCDP else ACLED_COLUMNS
    missing = [c for c in needed if c not in columns]
    if missing:
        label = "a UCDP GED" if kind == UCDP else "an ACLED-layout"
        raise Invalid(
            f"This is not {label} file: the columns {', '.join(missing)} are missing. "
            "Nothing was imported.",
            fields={"file": [f"missing column {c}" for c in missing]},
        )


# -- understanding one row -------------------------------------------------------------------


def _whole(value: str, name: str, *, required: bool = True) -> int | None:
    """GED releases converted from R write whole numbers as "214797.0"."""
    if not value or value.upper() == "NA":
        if required:
            raise BadRow(f"{name} is empty")
        return None
    try:
        number = float(value)
    except ValueError:
        raise BadRow(f"{name} {value!r} is not a number") from None
    if not number.is_integer():
        raise BadRow(f"{name} {value!r} is not a whole number")
    return int(number)


def _count(value: str, name: str) -> int | None:
    number = _whole(value, name, required=False)
    if number is not None and number < 0:
        raise BadRow(f"{name} {value!r} is negative")
    return number


def _coordinates(lat: str, lon: str) -> tuple[float | None, float | None]:
    if not lat and not lon:
        return None, None
    try:
        latitude, longitude = float(lat), float(lon)
    except ValueError:
        raise BadRow(f"latitude/longitude {lat!r}, {lon!r} are not numbers") from None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise BadRow(f"latitude/longitude {lat}, {lon} lie outside the globe")
    return latitude, longitude


_DATE_FORMATS = ("%d %B %Y", "%d-%B-%Y", "%d/%m/%Y", "%Y/%m/%d")


def _date(value: str, name: str) -> dt.date:
    if not value:
        raise BadRow(f"{name} is empty")
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        pass
    for pattern in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise BadRow(f"{name} {value!r} is not a date")


def country_code(name: str = "", *, iso3: str = "", iso_numeric: str = "") -> str:
    """ISO 3166-1 alpha-2 from whichever the file gives: alpha-3, numeric, or a name."""
    record: Any = None
    if iso3:
        record = pycountry.countries.get(alpha_3=iso3.upper())
    if record is None and iso_numeric:
        number = _whole(iso_numeric, "iso", required=False)
        if number is not None:
            record = pycountry.countries.get(numeric=f"{number:03d}")
    if record is not None:
        return str(record.alpha_2)
    folded = name.strip().lower()
    if folded in COUNTRY_NAMES:
        return COUNTRY_NAMES[folded]
    if folded:
        try:
            return str(pycountry.countries.lookup(name.split("(")[0].strip()).alpha_2)
        except LookupError:
            return ""
    return ""


def _text(*parts: str, limit: int) -> str:
    return ", ".join(p for p in dict.fromkeys(parts) if p)[:limit]


def parse_ucdp(number: int, row: dict[str, str]) -> Parsed:
    source_id = _whole(row.get("id", ""), "id")
    violence = _whole(row.get("type_of_violence", ""), "type_of_violence")
    if violence not in UCDP_VIOLENCE:
        raise BadRow(f"type_of_violence {row.get('type_of_violence')!r} is not 1, 2 or 3")
    code, label = UCDP_VIOLENCE[violence]
    start = _date(row.get("date_start", ""), "date_start")
    end = _date(row.get("date_end", "") or row.get("date_start", ""), "date_end")
    if end < start:
        raise BadRow(f"date_end {end} comes before date_start {start}")
    date_prec = _whole(row.get("date_prec", ""), "date_prec")
    if date_prec not in UCDP_TIME:
        raise BadRow(f"date_prec {row.get('date_prec')!r} is not 1 to 5")
    where_prec = _whole(row.get("where_prec", ""), "where_prec")
    if where_prec not in UCDP_PLACE:
        raise BadRow(f"where_prec {row.get('where_prec')!r} is not 1 to 7")
    precision, level = UCDP_PLACE[where_prec]
    latitude, longitude = _coordinates(row.get("latitude", ""), row.get("longitude", ""))
    conflict = row.get("conflict_name", "")
    return Parsed(
        row=number,
        source_id=str(source_id),
        type_code=code,
        type_label=_text(label, conflict, limit=200),
        occurred_from=start,
        occurred_until=end,
        time_precision=UCDP_TIME[date_prec],
        place_precision=precision,
        level=level,
        latitude=latitude,
        longitude=longitude,
        country_code=country_code(row.get("country", ""), iso3=row.get("iso3", "")),
        location_text=_text(
            row.get("where_coordinates", ""),
            row.get("adm_2", ""),
            row.get("adm_1", ""),
            limit=300,
        ),
        actors_text=" - ".join(p for p in (row.get("side_a", ""), row.get("side_b", "")) if p)[
            :500
        ],
        fatalities=_count(row.get("best", ""), "best"),
        fatalities_low=_count(row.get("low", ""), "low"),
        fatalities_high=_count(row.get("high", ""), "high"),
        description=row.get("source_headline", "") or row.get("source_article", ""),
        raw=row,
    )


def parse_acled(number: int, row: dict[str, str]) -> Parsed:
    source_id = row.get("event_id_cnty", "")
    if not source_id:
        raise BadRow("event_id_cnty is empty")
    if len(source_id) > 60:
        raise BadRow("event_id_cnty is longer than 60 characters")
    day = _date(row.get("event_date", ""), "event_date")
    time_prec = _whole(row.get("time_precision", ""), "time_precision")
    if time_prec not in ACLED_TIME:
        raise BadRow(f"time_precision {row.get('time_precision')!r} is not 1, 2 or 3")
    geo_prec = _whole(row.get("geo_precision", ""), "geo_precision")
    if geo_prec not in ACLED_PLACE:
        raise BadRow(f"geo_precision {row.get('geo_precision')!r} is not 1, 2 or 3")
    precision, level = ACLED_PLACE[geo_prec]
    event_type, sub_type = row.get("event_type", ""), row.get("sub_event_type", "")
    if not event_type:
        raise BadRow("event_type is empty")
    latitude, longitude = _coordinates(row.get("latitude", ""), row.get("longitude", ""))
    return Parsed(
        row=number,
        source_id=source_id,
        type_code="",  # matched by ACLED names, see `_event_types`
        type_label=_text(event_type, sub_type, limit=200).replace(", ", ": ", 1),
        occurred_from=day,
        occurred_until=day,
        time_precision=ACLED_TIME[time_prec],
        place_precision=precision,
        level=level,
        latitude=latitude,
        longitude=longitude,
        country_code=country_code(row.get("country", ""), iso_numeric=row.get("iso", "")),
        location_text=_text(
            row.get("location", ""), row.get("admin2", ""), row.get("admin1", ""), limit=300
        ),
        actors_text="; ".join(p for p in (row.get("actor1", ""), row.get("actor2", "")) if p)[:500],
        fatalities=_count(row.get("fatalities", ""), "fatalities"),
        fatalities_low=None,
        fatalities_high=None,
        description=row.get("notes", ""),
        raw=row,
    )


# -- placing and typing a batch --------------------------------------------------------------


class _Types:
    """Event types of the active framework, by code and by ACLED names."""

    def __init__(self) -> None:
        framework = (
            IndicatorFramework.objects.filter(is_active=True).order_by("slug", "-version").first()
        )
        types = list(EventType.objects.filter(framework=framework).select_related("parent"))
        self.by_code = {t.code: t for t in types}
        self.by_acled: dict[tuple[str, str], EventType] = {}
        for t in types:
            top = t.parent.acled_event_type if t.parent is not None else t.acled_event_type
            sub = t.acled_sub_event_type if t.parent is not None else ""
            self.by_acled[(top.lower(), sub.lower())] = t

    def of(self, parsed: Parsed) -> EventType | None:
        if parsed.type_code:
            return self.by_code.get(parsed.type_code)
        top = str(parsed.raw.get("event_type", "")).lower()
        sub = str(parsed.raw.get("sub_event_type", "")).lower()
        return self.by_acled.get((top, sub)) or self.by_acled.get((top, ""))


def _place_ids(batch: list[Parsed], countries: dict[str, int]) -> list[int | None]:
    """The place of each event: located, but no deeper than its precision allows.

    A point that lands in another country than the one the row names (near a border) is
    filed under the named country only: the data set's word about the country wins.
    """
    result: list[int | None] = [countries.get(p.country_code) for p in batch]
    pointed = [i for i, p in enumerate(batch) if p.latitude is not None and p.level]
    if not pointed:
        return result
    found = locate(
        np.asarray([batch[i].latitude for i in pointed], dtype=np.float64),
        np.asarray([batch[i].longitude for i in pointed], dtype=np.float64),
    )
    ids = {level: found.place_ids(level).tolist() for level in LEVELS}
    located_country = [
        found.index.country_codes[c] if c >= 0 else "" for c in found.country.tolist()
    ]
    for j, i in enumerate(pointed):
        parsed = batch[i]
        if parsed.country_code and located_country[j] != parsed.country_code:
            continue
        for level in LEVELS[: LEVELS.index(parsed.level) + 1][::-1]:
            if ids[level][j] >= 0:
                result[i] = int(ids[level][j])
                break
        if not parsed.country_code:
            parsed.country_code = located_country[j]
    return result


UPDATED_FIELDS = [
    "event_type", "type_label", "occurred_from", "occurred_until", "time_precision", "place",
    "place_precision", "latitude", "longitude", "country_code", "location_text", "actors_text",
    "fatalities", "fatalities_low", "fatalities_high", "description", "raw", "updated_at",
]  # fmt: skip


def _save(batch: list[Parsed], *, source: str, types: _Types, report: ImportReport) -> None:
    # The last copy of an id in a batch wins, as a later row of the file would.
    batch = list({p.source_id: p for p in batch}.values())
    countries = dict(
        Place.objects.filter(
            kind=PlaceKind.COUNTRY,
            country_code__in={p.country_code for p in batch if p.country_code},
        ).values_list("country_code", "pk")
    )
    place_ids = _place_ids(batch, countries)
    known = set(
        ExternalEvent.objects.filter(
            source=source, source_id__in=[p.source_id for p in batch]
        ).values_list("source_id", flat=True)
    )
    events = [
        ExternalEvent(
            source=source,
            source_id=p.source_id,
            event_type=types.of(p),
            type_label=p.type_label,
            occurred_from=p.occurred_from,
            occurred_until=p.occurred_until,
            time_precision=p.time_precision,
            place_id=place_id,
            place_precision=p.place_precision,
            latitude=p.latitude,
            longitude=p.longitude,
            country_code=p.country_code,
            location_text=p.location_text,
            actors_text=p.actors_text,
            fatalities=p.fatalities,
            fatalities_low=p.fatalities_low,
            fatalities_high=p.fatalities_high,
            description=p.description,
            raw=p.raw,
        )
        for p, place_id in zip(batch, place_ids, strict=True)
    ]
    ExternalEvent.objects.bulk_create(
        events,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["source", "source_id"],
        update_fields=UPDATED_FIELDS,
    )
    report.created += len(batch) - len(known)
    report.updated += len(known)


def import_events(
    source: str | Path | IO[bytes],
    *,
    kind: str,
    by: Any,
    progress: Callable[[int], object] | None = None,
    batch_size: int = BATCH,
) -> ImportReport:
    """Import a UCDP GED (`kind="ucdp"`) or ACLED-layout (`"acled"`) CSV, plain or gzipped.

    Each batch is written in its own transaction, so good rows are kept even when a later
    part of the file is bad; bad rows are skipped and listed in the report.
    """
    if kind not in SOURCES:
        raise Invalid("Choose ucdp or acled.", fields={"source": ["ucdp or acled"]})
    parse = parse_ucdp if kind == UCDP else parse_acled
    if not isinstance(source, str | Path):
        source = io.BytesIO(source.read())  # an upload is read twice, so it is kept
    # The whole file is read once before anything is written: one that stops being CSV text
    # halfway (or never was) is refused, not imported up to the bad byte.
    for _row in read_rows(source):
        pass
    if isinstance(source, io.BytesIO):
        source.seek(0)
    report = ImportReport()
    types = _Types()
    rows = read_rows(source)
    first = next(rows, None)
    if first is None:
        raise Invalid("The file has no rows.", fields={"file": ["empty"]})
    check_columns(kind, list(first[1]))
    batch: list[Parsed] = []

    def flush() -> None:
        if batch:
            with transaction.atomic():
                _save(batch, source=SOURCES[kind], types=types, report=report)
            if progress is not None:
                progress(len(batch))
            batch.clear()

    for number, row in _chain(first, rows):
        report.rows += 1
        try:
            batch.append(parse(number, row))
        except BadRow as problem:
            report.problems.append(RowProblem(number, str(problem)))
            if progress is not None:
                progress(1)
        if len(batch) >= batch_size:
            flush()
    flush()
    with transaction.atomic():
        record_event(
            None, "external_events.imported", by=by, note=f"{SOURCES[kind]}: {report.summary()}"
        )
    return report


def _chain(
    first: tuple[int, dict[str, str]], rest: Iterator[tuple[int, dict[str, str]]]
) -> Iterator[tuple[int, dict[str, str]]]:
    yield first
    yield from rest
