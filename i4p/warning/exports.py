"""Report exports: CSV with HXL hashtags, GeoJSON (RFC 7946) and JSON, streamed.

Rows are read as tuples (`values_list`, never model instances) through `.iterator()`: a
server-side cursor on PostgreSQL, chunked reads on SQLite. Each format yields a chunk of text
per batch, so a million reports leave in flat memory and the first bytes go out at once.

Who gets what, the same rules as the pages:
- a signed-in user exports `selectors.visible_reports(user)` (own reports, plus every report
  in their place scope); exact coordinates only where they hold the view grant over the
  report's place, elsewhere the point is fuzzed as on public pages; the reporter is named by
  their handle at most — never a phone, name, e-mail or device;
- anyone else gets the public export: `public.public_reports()`, in its redacted form (place
  rolled up to the public level, fuzzed point, the day only, no free text, no reporter).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from i4p.accounts.permissions import Perm
from i4p.accounts.selectors import scope_of
from i4p.geo.locate import fuzz
from i4p.geo.models import Place, PlaceKind
from i4p.registry.exchange.places import PlaceBook
from i4p.warning import public
from i4p.warning.models import Report
from i4p.warning.selectors import visible_reports

BATCH = 2000

# (header for people, HXL hashtag for machines, row key). Staff exports carry all of them.
STAFF_COLUMNS: list[tuple[str, str, str]] = [
    ("Report id", "#event +code +i4p", "id"),
    ("Kind", "#event +kind", "kind"),
    ("Event type", "#event +type +code", "event_type"),
    ("Event type name", "#event +type +name", "event_type_name"),
    ("ACLED event type", "#event +type +acled", "acled_event_type"),
    ("ACLED sub-event type", "#event +type +sub +acled", "acled_sub_event_type"),
    ("Occurred", "#date +occurred", "occurred_at"),
    ("Occurred until", "#date +occurred +end", "occurred_until"),
    ("Time precision", "#meta +precision +time", "time_precision"),
    ("Received", "#date +reported", "received_at"),
    ("Channel", "#meta +channel", "channel"),
    ("Country code", "#country +code", "country_code"),
    ("Country", "#country +name", "country"),
    ("Admin 1 code", "#adm1 +code", "admin1_code"),
    ("Admin 1", "#adm1 +name", "admin1"),
    ("Admin 2 code", "#adm2 +code", "admin2_code"),
    ("Admin 2", "#adm2 +name", "admin2"),
    ("Place", "#loc +name", "place"),
    ("Place id", "#loc +code +i4p", "place_id"),
    ("Place precision", "#meta +precision +place", "place_precision"),
    ("Location method", "#meta +location_method", "location_method"),
    ("Latitude", "#geo +lat", "latitude"),
    ("Longitude", "#geo +lon", "longitude"),
    ("Point", "#geo +precision", "point"),
    ("Description", "#description", "description"),
    ("Title", "#description +title", "title"),
    ("Language", "#meta +lang", "language"),
    ("Actors", "#org +name +involved", "actors"),
    ("Killed", "#affected +killed", "killed"),
    ("Injured", "#affected +injured", "injured"),
    ("Displaced", "#affected +displaced", "displaced"),
    ("Verification", "#status +verification", "verification"),
    ("Source reliability", "#meta +reliability", "source_reliability"),
    ("Information credibility", "#meta +credibility", "information_credibility"),
    ("Sensitivity", "#meta +sensitivity", "sensitivity"),
    ("Visibility", "#meta +visibility", "visibility"),
    ("Needs triage", "#meta +triage", "needs_triage"),
    ("Reporter", "#meta +reporter", "reporter"),
    ("Incident id", "#event +code +incident", "incident"),
    ("Answers", "#meta +answers", "answers"),
]
# What the public export keeps: no free text, no reporter, no review detail, no exact time.
PUBLIC_KEYS = {
    "id",
    "kind",
    "event_type",
    "event_type_name",
    "acled_event_type",
    "acled_sub_event_type",
    "occurred_at",
    "country_code",
    "country",
    "admin1_code",
    "admin1",
    "admin2_code",
    "admin2",
    "place",
    "place_id",
    "latitude",
    "longitude",
    "point",
    "killed",
    "injured",
    "displaced",
    "verification",
}
PUBLIC_COLUMNS = [column for column in STAFF_COLUMNS if column[2] in PUBLIC_KEYS]

# The database columns read, in this order (values_list: tuples, no model instances).
_FIELDS = [
    "uuid",
    "kind",
    "event_type__code",
    "event_type__name",
    "event_type__acled_event_type",
    "event_type__acled_sub_event_type",
    "occurred_at",
    "occurred_until",
    "time_precision",
    "received_at",
    "channel",
    "place_id",
    "place_precision",
    "location_method",
    "latitude",
    "longitude",
    "title",
    "description",
    "language",
    "actors_text",
    "killed",
    "injured",
    "displaced",
    "verification",
    "source_reliability",
    "information_credibility",
    "sensitivity",
    "visibility",
    "needs_triage",
    "reporter__handle",
    "incident__uuid",
    "answers",
]


@dataclass(frozen=True)
class ReportFilters:
    kind: str = ""
    verification: str = ""
    event_type: str = ""  # an event type code; its sub-types are included
    place: Place | None = None
    since: dt.date | None = None  # occurred on or after
    until: dt.date | None = None  # occurred on or before


def _iso(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    if value.tzinfo is not None and value.utcoffset():
        value = value.astimezone(dt.UTC)
    # isoformat is several times faster than strftime, and a million rows have three each.
    return value.isoformat(timespec="seconds")[:19] + "Z"


def _sqlite_uuid(value: str) -> str:
    """SQLite keeps a UUID as 32 hex digits."""
    return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"


def _sqlite_when(value: str | dt.datetime | None) -> str:
    """SQLite keeps an aware datetime as UTC text, "2026-11-25 06:53:32.123456" (the driver
    parses it itself when a column's declared type asks it to)."""
    if isinstance(value, str):
        return f"{value[:10]}T{value[11:19]}Z"
    return _iso(value)


def _sqlite_answers(value: str | None) -> str:
    return "" if not value or value == "{}" else value  # already JSON text


def _answers(value: Any) -> str:
    if isinstance(value, str):  # a driver that hands JSON back as text
        value = json.loads(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""


def _when(value: dt.datetime | str | None) -> str:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return _iso(value)


def _pg_when(value: str | None) -> str:
    """PostgreSQL's text for a timestamptz in the UTC session Django opens:
    "2026-11-25 06:53:32.123456+00"."""
    return f"{value[:10]}T{value[11:19]}Z" if value else ""


# Per database: (uuid → text, datetime → ISO 8601 UTC text, answers → JSON text).
_TEXT: dict[str, tuple[Callable[[Any], str], Callable[[Any], str], Callable[[Any], str]]] = {
    "sqlite": (_sqlite_uuid, _sqlite_when, _sqlite_answers),
    # PostgreSQL hands these columns over as text (see `_text_from_postgresql`).
    "postgresql": (str, _pg_when, _sqlite_answers),
    "other": (str, _when, _answers),
}


def _text_from_postgresql(cursor: Any) -> None:
    """Have psycopg keep uuid, timestamptz and jsonb values as the text PostgreSQL sends:
    building a UUID and a datetime object per value, only to turn them back into text, cost
    more than reading the row (bench/README.md, export)."""
    from psycopg.types.string import TextLoader

    for type_name in ("uuid", "timestamptz", "jsonb"):
        cursor.adapters.register_loader(type_name, TextLoader)


def _number(value: int | None) -> str:
    return "" if value is None else str(value)


def _coordinate(value: float | None) -> str:
    return "" if value is None else f"{value:.6f}".rstrip("0").rstrip(".")


class ReportExport:
    """The reports `user` may export through `filters`, as rows of strings, a batch at a time."""

    def __init__(self, user: Any, filters: ReportFilters | None = None) -> None:
        self.user = user
        self.filters = filters or ReportFilters()
        self.public = user is None or not getattr(user, "is_authenticated", False)
        self.book = PlaceBook()
        self.columns = PUBLIC_COLUMNS if self.public else STAFF_COLUMNS
        self._scope = None if self.public else scope_of(user, Perm.VIEW_REPORTS)
        self._exact: dict[int | None, bool] = {}
        self._shown: dict[tuple[int | None, bool], dict[str, Any]] = {}
        self.count = 0  # rows written so far (for progress bars)
        self._text = _TEXT["other"]

    def reports(self) -> QuerySet[Report]:
        reports = public.public_reports() if self.public else visible_reports(self.user)
        f = self.filters
        if f.kind:
            reports = reports.filter(kind=f.kind)
        if f.verification:
            reports = reports.filter(verification=f.verification)
        if f.event_type:
            reports = reports.filter(
                Q(event_type__code=f.event_type) | Q(event_type__parent__code=f.event_type)
            )
        if f.place is not None:
            reports = reports.filter(place__path__startswith=f.place.path)
        if f.since is not None:
            reports = reports.filter(occurred_at__date__gte=f.since)
        if f.until is not None:
            reports = reports.filter(occurred_at__date__lte=f.until)
        # Entry order on the primary key: an index walk, no sort of a million rows.
        return reports.select_related(None).order_by("pk")

    def batches(self) -> Iterator[list[dict[str, str]]]:
        """Rows as {key: text}, BATCH at a time, with their places loaded once per batch.

        The ORM writes the scoped query (`values_list`); its rows are read from a chunked
        cursor (server-side on PostgreSQL) and turned into text here, column by column,
        without the ORM's per-value converters: they cost more than the read itself.
        """
        try:
            sql, params = self.reports().values_list(*_FIELDS).query.sql_with_params()
        except EmptyResultSet:
            return
        self._text = _TEXT[connection.vendor] if connection.vendor in _TEXT else _TEXT["other"]
        connection.ensure_connection()
        with connection.chunked_cursor() as cursor:
            if connection.vendor == "postgresql":
                _text_from_postgresql(cursor.cursor)
            cursor.execute(sql, params)
            while batch := cursor.fetchmany(BATCH):
                yield self._rows(batch)

    def _rows(self, batch: list[tuple[Any, ...]]) -> list[dict[str, str]]:
        self.book.load(row[11] for row in batch)
        rows = [self._row(row) for row in batch]
        self.count += len(rows)
        return rows

    def _row(self, r: tuple[Any, ...]) -> dict[str, str]:
        uuid_text, when, answers_text = self._text
        place_id = r[11]
        latitude, longitude = r[14], r[15]
        if self.public:
            place_values = self._place_values(place_id, public_level=True)
            shown = self.book.get(place_values["_pk"]) if place_values["_pk"] else None
            report_id = uuid_text(r[0])
            point = public.public_point(report_id, latitude, longitude, shown, self.book)
            kind = "fuzzed" if latitude is not None and longitude is not None else "place"
            return {
                **place_values,
                "id": report_id,
                "kind": r[1],
                "event_type": r[2] or "",
                "event_type_name": r[3] or "",
                "acled_event_type": r[4] or "",
                "acled_sub_event_type": r[5] or "",
                "occurred_at": when(r[6])[:10],
                "latitude": _coordinate(point[0]) if point else "",
                "longitude": _coordinate(point[1]) if point else "",
                "point": kind if point else "",
                "killed": _number(r[20]),
                "injured": _number(r[21]),
                "displaced": _number(r[22]),
                "verification": r[23],
            }
        report_id = uuid_text(r[0])
        point_kind = ""
        lat_text = lon_text = ""
        if latitude is not None and longitude is not None:
            if self._may_see_exact(place_id):
                lat_text, lon_text, point_kind = (
                    _coordinate(latitude),
                    _coordinate(longitude),
                    "exact",
                )
            else:
                moved = fuzz(latitude, longitude, public.fuzz_metres(), seed=report_id)
                lat_text, lon_text, point_kind = (
                    _coordinate(moved[0]),
                    _coordinate(moved[1]),
                    "fuzzed",
                )
        return {
            **self._place_values(place_id, public_level=False),
            "id": report_id,
            "kind": r[1],
            "event_type": r[2] or "",
            "event_type_name": r[3] or "",
            "acled_event_type": r[4] or "",
            "acled_sub_event_type": r[5] or "",
            "occurred_at": when(r[6]),
            "occurred_until": when(r[7]),
            "time_precision": r[8],
            "received_at": when(r[9]),
            "channel": r[10],
            "place_precision": r[12],
            "location_method": r[13],
            "latitude": lat_text,
            "longitude": lon_text,
            "point": point_kind,
            "title": r[16],
            "description": r[17],
            "language": r[18],
            "actors": r[19],
            "killed": _number(r[20]),
            "injured": _number(r[21]),
            "displaced": _number(r[22]),
            "verification": r[23],
            "source_reliability": r[24],
            "information_credibility": r[25],
            "sensitivity": r[26],
            "visibility": r[27],
            "needs_triage": "yes" if r[28] else "",
            "reporter": r[29] or "",
            "incident": uuid_text(r[30]) if r[30] else "",
            "answers": answers_text(r[31]),
        }

    def _may_see_exact(self, place_id: int | None) -> bool:
        if place_id not in self._exact:
            assert self._scope is not None
            self._exact[place_id] = self._scope.covers(self.book.get(place_id))
        return self._exact[place_id]

    def _place_values(self, place_id: int | None, *, public_level: bool) -> dict[str, Any]:
        key = (place_id, public_level)
        if key not in self._shown:
            place = self.book.get(place_id)
            if public_level:
                place = public.public_place(place, self.book)
            self._shown[key] = _place_columns(place, self.book)
        return self._shown[key]

    def point(self, row: dict[str, str]) -> tuple[float, float] | None:
        """(longitude, latitude) for a map: the row's point, else its place's."""
        if row.get("latitude") and row.get("longitude"):
            return float(row["longitude"]), float(row["latitude"])
        place = self.book.get(row.get("_pk") or None)  # type: ignore[arg-type]
        return self.book.point(place) if place is not None else None


_PLACE_KEYS = (
    "country_code",
    "country",
    "admin1_code",
    "admin1",
    "admin2_code",
    "admin2",
    "place",
    "place_id",
)


def _place_columns(place: Place | None, book: PlaceBook) -> dict[str, Any]:
    if place is None:
        return {"_pk": None, **dict.fromkeys(_PLACE_KEYS, "")}
    country = book.ancestor(place, PlaceKind.COUNTRY)
    admin1 = book.ancestor(place, PlaceKind.ADMIN1)
    admin2 = book.ancestor(place, PlaceKind.ADMIN2)
    return {
        "_pk": place.pk,
        "country_code": place.country_code,
        "country": country.name if country else "",
        "admin1_code": book.code(admin1) if admin1 else "",
        "admin1": admin1.name if admin1 else "",
        "admin2_code": book.code(admin2) if admin2 else "",
        "admin2": admin2.name if admin2 else "",
        "place": place.name,
        "place_id": str(place.uuid),
    }


# -- formats ----------------------------------------------------------------------------------


def reports_csv(export: ReportExport) -> Iterator[str]:
    """CSV: a header row for people, the HXL hashtag row for machines, then the reports."""
    values = operator.itemgetter(*[key for _header, _tag, key in export.columns])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([header for header, _tag, _key in export.columns])
    writer.writerow([tag for _header, tag, _key in export.columns])
    yield buffer.getvalue()
    for batch in export.batches():
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerows([values(row) for row in batch])
        yield buffer.getvalue()


def _properties(export: ReportExport, row: dict[str, str]) -> dict[str, str]:
    return {key: row.get(key, "") for _header, _tag, key in export.columns}


def reports_geojson(export: ReportExport) -> Iterator[str]:
    """An RFC 7946 FeatureCollection: a Point per report (longitude first, WGS 84); a report
    without any place has a null geometry, as the RFC allows, so every report is there."""
    yield '{"type":"FeatureCollection","features":['
    first = True
    for batch in export.batches():
        features = []
        for row in batch:
            point = export.point(row)
            features.append(
                {
                    "type": "Feature",
                    "id": row["id"],
                    "geometry": {
                        "type": "Point",
                        "coordinates": [round(point[0], 6), round(point[1], 6)],
                    }
                    if point
                    else None,
                    "properties": _properties(export, row),
                }
            )
        text = ",".join(json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features)
        yield ("" if first else ",") + text
        first = False
    yield "]}\n"


def reports_json(export: ReportExport) -> Iterator[str]:
    """{"generated_at": …, "public": bool, "reports": [{key: text}, …]}."""
    yield (
        json.dumps(
            {"generated_at": _iso(timezone.now()), "public": export.public}, separators=(",", ":")
        )[:-1]
        + ',"reports":['
    )
    first = True
    for batch in export.batches():
        text = ",".join(
            json.dumps(_properties(export, row), ensure_ascii=False, separators=(",", ":"))
            for row in batch
        )
        yield ("" if first else ",") + text
        first = False
    yield "]}\n"


@dataclass(frozen=True)
class ExportFormat:
    extension: str
    content_type: str
    write: Callable[[ReportExport], Iterator[str]]


FORMATS: dict[str, ExportFormat] = {
    "csv": ExportFormat("csv", "text/csv; charset=utf-8", reports_csv),
    "geojson": ExportFormat("geojson", "application/geo+json", reports_geojson),
    "json": ExportFormat("json", "application/json", reports_json),
}
