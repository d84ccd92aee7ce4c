"""Situation reports: drafted from the data for a place and period, edited by an analyst,
published with their figures frozen, and printed to PDF by headless Chromium.

The figures are read through the author's own scope (`visible_reports`, `visible_incidents`,
the alert scope), so a report never counts what its author may not see, and never names a
reporter. They are kept as JSON on the report (`figures`): counts by event type, casualties,
the series for the chart, the points for the map (per place, never per report), signals,
alerts with their responses, notable incidents, and the analyst's notes per section.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import shutil
import subprocess
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count as Tally
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from i4p.accounts.permissions import Perm
from i4p.accounts.selectors import can, scope_of
from i4p.core.audit import record_event
from i4p.core.errors import DomainError, Invalid, NotAllowed, WrongState
from i4p.geo.models import Place
from i4p.warning import public
from i4p.warning.models import (
    Alert,
    AlertState,
    CapMsgType,
    IncidentStatus,
    Method,
    Response,
    Signal,
    SituationReport,
    SituationReportState,
    TimePrecision,
    Verification,
)
from i4p.warning.room import Bar, Chart, layout
from i4p.warning.selectors import visible_incidents, visible_reports

SECTIONS = ("reports", "casualties", "signals", "alerts", "incidents")
MAX_DAYS = 3 * 366
NOTABLE = 10
NEVER_COUNTED = (Verification.FALSE, Verification.DUPLICATE)
# A report is counted only when its time is known at least as finely as the period is long:
# an event known only to the year does not belong to one week's report.
PRECISIONS_FOR_SPAN: list[tuple[int, tuple[str, ...]]] = [
    (365, tuple(TimePrecision.values)),
    (28, (TimePrecision.MINUTE, TimePrecision.HOUR, TimePrecision.DAY, TimePrecision.WEEK,
          TimePrecision.MONTH)),
    (7, (TimePrecision.MINUTE, TimePrecision.HOUR, TimePrecision.DAY, TimePrecision.WEEK)),
    (0, (TimePrecision.MINUTE, TimePrecision.HOUR, TimePrecision.DAY)),
]  # fmt: skip
PDF_TIMEOUT_SECONDS = 60


class PdfUnavailable(DomainError):
    code = "pdf_unavailable"
    status = 503


def may_write(user: Any, place: Place) -> bool:
    """Staff who read reports and alerts at the place: the analysts of the place or above."""
    return can(user, Perm.VIEW_REPORTS, place) and can(user, Perm.VIEW_ALERTS, place)


def visible_situation_reports(user: Any) -> QuerySet[SituationReport]:
    """Published public reports for everyone; the rest (drafts too) for staff whose alert
    scope covers the place."""
    public = Q(state=SituationReportState.PUBLISHED, is_public=True)
    scope = scope_of(user, Perm.VIEW_ALERTS)
    condition = public if scope.nowhere else public | scope.q("place")
    return (
        SituationReport.objects.filter(condition)
        .select_related("place", "author")
        .order_by("-ends_on", "-created_at", "-pk")
    )


def in_scope(user: Any, report: SituationReport) -> bool:
    return can(user, Perm.VIEW_ALERTS, report.place)


# -- the figures -----------------------------------------------------------------------------


def _bounds(starts_on: dt.date, ends_on: dt.date) -> tuple[dt.datetime, dt.datetime]:
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(starts_on, dt.time.min, tzinfo=zone)
    return start, start + dt.timedelta(days=(ends_on - starts_on).days + 1)


def _precisions(starts_on: dt.date, ends_on: dt.date) -> tuple[str, ...]:
    span = (ends_on - starts_on).days + 1
    for days, precisions in PRECISIONS_FOR_SPAN:
        if span >= days:
            return precisions
    return PRECISIONS_FOR_SPAN[-1][1]


def _child_of(place: Place, path: str) -> int | None:
    """The id of the place one level below `place` on the way to `path` (or `place` itself)."""
    ids = [int(part) for part in path.strip("/").split("/") if part]
    depth = place.depth + 1
    return ids[depth] if len(ids) > depth else ids[-1] if ids else None


def compute_figures(
    place: Place, *, by: Any, starts_on: dt.date, ends_on: dt.date, language: str
) -> dict[str, Any]:
    """Everything the report shows, read through `by`'s scope, as JSON-ready values."""
    start, end = _bounds(starts_on, ends_on)
    reports = (
        visible_reports(by)
        .filter(scope_of(by, Perm.VIEW_REPORTS).q("place"))
        .filter(
            place__path__startswith=place.path,
            occurred_at__gte=start,
            occurred_at__lt=end,
            time_precision__in=_precisions(starts_on, ends_on),
        )
        .exclude(verification__in=NEVER_COUNTED)
        .filter(Q(occurred_until__isnull=True) | Q(occurred_until__lt=end))
        .order_by()
    )
    confirmed = Q(verification__in=[Verification.VERIFIED, Verification.CREDIBLE])
    by_type = [
        {
            "code": code or "",
            "name": name or _("Type not known"),
            "reports": n,
            "confirmed": c,
            "killed": k or 0,
            "injured": i or 0,
        }
        for code, name, n, c, k, i in reports.values("event_type__code", "event_type__name")
        .annotate(
            n=Tally("pk"),
            c=Tally("pk", filter=confirmed),
            k=Sum("killed"),
            i=Sum("injured"),
        )
        .order_by("-n", "event_type__code")
        .values_list("event_type__code", "event_type__name", "n", "c", "k", "i")
    ]
    totals = reports.aggregate(
        n=Tally("pk"), c=Tally("pk", filter=confirmed),
        killed=Sum("killed"), injured=Sum("injured"), displaced=Sum("displaced"),
    )  # fmt: skip
    weekly = (ends_on - starts_on).days + 1 > 120
    series: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0])
    zone = timezone.get_current_timezone()
    for occurred, killed in reports.values_list("occurred_at", "killed"):
        if occurred is None:
            continue
        day = occurred.astimezone(zone).date()
        cell = series[day - dt.timedelta(days=day.weekday()) if weekly else day]
        cell[0] += 1
        cell[1] += killed or 0
    by_place: dict[int | None, list[int]] = defaultdict(lambda: [0, 0])
    for path, killed in reports.values_list("place__path", "killed"):
        key = _child_of(place, path)
        by_place[key][0] += 1
        by_place[key][1] += killed or 0
    named = Place.objects.in_bulk([pk for pk in by_place if pk is not None])
    points = [
        {
            "place": named[pk].name,
            "id": str(named[pk].uuid),
            "lat": named[pk].latitude,
            "lon": named[pk].longitude,
            "reports": counts[0],
            "killed": counts[1],
        }
        for pk, counts in sorted(by_place.items(), key=lambda item: -item[1][0])
        if pk in named and named[pk].latitude is not None and named[pk].longitude is not None
    ]
    alert_scope = scope_of(by, Perm.VIEW_ALERTS)
    with translation.override(language):
        methods = {code: str(label) for code, label in Method.choices}
        states = {code: str(label) for code, label in AlertState.choices}
    signals = [
        {
            "place": signal_place,
            "type": type_name or series_key,
            "method": method,
            "method_name": methods.get(method, method),
            "period_start": period_start.isoformat(),
            "observed": observed,
            "expected": round(expected, 2),
            "threshold": round(threshold, 2),
        }
        for signal_place, type_name, series_key, method, period_start, observed, expected,
        threshold in _signals(place, alert_scope.q("place"), starts_on, ends_on)
    ]  # fmt: skip
    alerts = _alerts(place, alert_scope.q("place"), start, end, language)
    for alert in alerts:
        alert["state_name"] = states.get(alert["state"], alert["state"])
    responses = Response.objects.filter(alert__in=[a["pk"] for a in alerts])
    response_kinds = [
        {"kind": kind, "responses": n, "with_outcome": o}
        for kind, n, o in responses.values("kind")
        .annotate(n=Tally("pk"), o=Tally("pk", filter=~Q(outcome="")))
        .order_by("-n", "kind")
        .values_list("kind", "n", "o")
    ]
    for alert in alerts:
        alert.pop("pk")
    return {
        "place": {"id": str(place.uuid), "name": place.name, "kind": place.kind},
        "starts_on": starts_on.isoformat(),
        "ends_on": ends_on.isoformat(),
        "computed_at": timezone.now().isoformat(timespec="seconds"),
        "period": "week" if weekly else "day",
        "totals": {
            "reports": totals["n"] or 0,
            "confirmed": totals["c"] or 0,
            "killed": totals["killed"] or 0,
            "injured": totals["injured"] or 0,
            "displaced": totals["displaced"] or 0,
            "signals": len(signals),
            "alerts": len(alerts),
            "acknowledged": sum(1 for a in alerts if a["acknowledged_at"]),
            "responses": sum(row["responses"] for row in response_kinds),
            "with_outcome": sum(1 for a in alerts if a["outcomes"]),
        },
        "by_type": by_type,
        # [first day, reports, killed] per day (per week past 120 days).
        "series": [[day.isoformat(), n, k] for day, (n, k) in sorted(series.items())],
        "points": points,
        "signals": signals,
        "alerts": alerts,
        "responses": response_kinds,
        "incidents": _notable(by, place, start, end),
    }


def _signals(place: Place, scope: Q, starts_on: dt.date, ends_on: dt.date) -> list[Any]:
    return list(
        Signal.objects.filter(
            scope,
            place__path__startswith=place.path,
            period_start__gte=starts_on,
            period_start__lte=ends_on,
        )
        .order_by("period_start", "place__name", "method")
        .values_list(
            "place__name",
            "event_type__name",
            "series",
            "method",
            "period_start",
            "observed",
            "expected",
            "threshold",
        )[:200]
    )


def _alerts(
    place: Place, scope: Q, start: dt.datetime, end: dt.datetime, language: str
) -> list[dict[str, Any]]:
    alerts = (
        Alert.objects.filter(
            scope, place__path__startswith=place.path, created_at__gte=start, created_at__lt=end
        )
        .exclude(msg_type=CapMsgType.CANCEL)
        .exclude(state=AlertState.DRAFT)
        .select_related("place")
        .prefetch_related("texts", "responses")
        .order_by("created_at", "pk")
    )
    rows = []
    for alert in alerts:
        texts = {text.language: text.headline for text in alert.texts.all()}
        responses = list(alert.responses.all())
        rows.append(
            {
                "pk": alert.pk,
                "id": str(alert.uuid),
                "headline": texts.get(language) or next(iter(texts.values()), ""),
                "place": alert.place.name,
                "state": alert.state,
                "severity": alert.severity,
                "level": alert.level,
                "issued_at": alert.issued_at.isoformat() if alert.issued_at else "",
                "acknowledged_at": (
                    alert.acknowledged_at.isoformat() if alert.acknowledged_at else ""
                ),
                "responses": len(responses),
                "outcomes": [r.outcome for r in responses if r.outcome],
            }
        )
    return rows


def _notable(by: Any, place: Place, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    """Confirmed incidents first, then the largest casualties."""
    incidents = (
        visible_incidents(by)
        .filter(place__path__startswith=place.path, occurred_at__gte=start, occurred_at__lt=end)
        .annotate(killed=Sum("reports__killed"), injured=Sum("reports__injured"))
        .order_by()
    )
    rows: list[dict[str, Any]] = [
        {
            "id": str(incident.uuid),
            "title": incident.title,
            "type": incident.event_type.name if incident.event_type else "",
            "place": incident.place.name if incident.place else "",
            "date": incident.occurred_at.date().isoformat() if incident.occurred_at else "",
            "status": incident.status,
            "reports": getattr(incident, "report_count", 0),
            "killed": getattr(incident, "killed", None) or 0,
            "injured": getattr(incident, "injured", None) or 0,
        }
        for incident in incidents
    ]
    rows.sort(
        key=lambda row: (
            row["status"] != IncidentStatus.CONFIRMED,
            -(int(row["killed"]) + int(row["injured"])),
            str(row["date"]),
        )
    )
    return rows[:NOTABLE]


# -- writes ------------------------------------------------------------------------------------


def _check_period(starts_on: dt.date, ends_on: dt.date, language: str) -> None:
    errors: dict[str, list[str]] = {}
    if ends_on < starts_on:
        errors["ends_on"] = ["The period ends before it starts."]
    elif (ends_on - starts_on).days + 1 > MAX_DAYS:
        errors["ends_on"] = [f"A report covers at most {MAX_DAYS} days."]
    if language not in dict(settings.LANGUAGES):
        errors["language"] = ["Not a language of this instance."]
    if errors:
        raise Invalid("The period or language is not right.", fields=errors)


def _check_writer(by: Any, place: Place) -> None:
    if not may_write(by, place):
        raise NotAllowed("You cannot write situation reports for this place.")


def default_title(place: Place, starts_on: dt.date, ends_on: dt.date, language: str) -> str:
    with translation.override(language):
        return _("Situation report: %(place)s, %(start)s to %(end)s") % {
            "place": place.name,
            "start": starts_on.isoformat(),
            "end": ends_on.isoformat(),
        }


@transaction.atomic
def draft_situation_report(
    place: Place, *, by: Any, starts_on: dt.date, ends_on: dt.date, language: str
) -> SituationReport:
    """A draft drafted from the data, for the analyst to edit."""
    _check_writer(by, place)
    _check_period(starts_on, ends_on, language)
    figures = compute_figures(place, by=by, starts_on=starts_on, ends_on=ends_on, language=language)
    figures["notes"] = dict.fromkeys(SECTIONS, "")
    report = SituationReport.objects.create(
        place=place,
        starts_on=starts_on,
        ends_on=ends_on,
        language=language,
        title=default_title(place, starts_on, ends_on, language),
        figures=figures,
        author=by if getattr(by, "pk", None) else None,
    )
    record_event(report, "situation_report.drafted", by=by)
    return report


def _locked(report: SituationReport) -> SituationReport:
    return SituationReport.objects.select_for_update().get(pk=report.pk)


def _editable(report: SituationReport, by: Any) -> SituationReport:
    report = _locked(report)
    _check_writer(by, report.place)
    if report.state != SituationReportState.DRAFT:
        raise WrongState("A published report does not change; draft a new one.")
    return report


@transaction.atomic
def edit_situation_report(
    report: SituationReport,
    *,
    by: Any,
    title: str,
    summary: str,
    notes: dict[str, str],
    is_public: bool,
) -> SituationReport:
    """The analyst's words: the title, the summary and a note per section."""
    report = _editable(report, by)
    if not title.strip():
        raise Invalid("Give the report a title.", fields={"title": ["Write a title."]})
    unknown = sorted(set(notes) - set(SECTIONS))
    if unknown:
        raise Invalid("Unknown sections.", fields={"notes": [", ".join(unknown)]})
    changed = []
    before_notes = dict(report.figures.get("notes") or {})
    after_notes = {section: notes.get(section, "").strip() for section in SECTIONS}
    for name, value in (("title", title.strip()[:300]), ("summary", summary.strip())):
        if getattr(report, name) != value:
            setattr(report, name, value)
            changed.append(name)
    if after_notes != before_notes:
        report.figures = {**report.figures, "notes": after_notes}
        changed.append("notes")
    if report.is_public != is_public:
        report.is_public = is_public
        changed.append("is_public")
    if changed:
        report.save(update_fields=[*(n if n != "notes" else "figures" for n in changed),
                                   "updated_at"])  # fmt: skip
        record_event(report, "situation_report.edited", by=by, fields=changed)
    return report


def _read_figures_again(report: SituationReport, by: Any) -> None:
    """The figures from the data as it is now; the analyst's notes stay."""
    figures = compute_figures(
        report.place,
        by=by,
        starts_on=report.starts_on,
        ends_on=report.ends_on,
        language=report.language,
    )
    figures["notes"] = report.figures.get("notes") or dict.fromkeys(SECTIONS, "")
    report.figures = figures


@transaction.atomic
def refresh_situation_report(report: SituationReport, *, by: Any) -> SituationReport:
    """Read the data again (new reports arrived); the analyst's words stay."""
    report = _editable(report, by)
    _read_figures_again(report, by)
    report.save(update_fields=["figures", "updated_at"])
    record_event(report, "situation_report.refreshed", by=by, fields=["figures"])
    return report


@transaction.atomic
def publish_situation_report(report: SituationReport, *, by: Any) -> SituationReport:
    """Freeze it: the figures are read one last time and never change afterwards."""
    report = _editable(report, by)
    _read_figures_again(report, by)
    report.state = SituationReportState.PUBLISHED
    report.published_at = timezone.now()
    report.save(update_fields=["figures", "state", "published_at", "updated_at"])
    record_event(report, "situation_report.published", by=by, fields=["state", "figures"])
    return report


# -- pictures: the chart and the map, drawn on the server ----------------------------------


def chart_of(report: SituationReport) -> Chart:
    """Reports per day (per week past 120 days) over the whole period, gaps as zero."""
    figures = report.figures
    weekly = figures.get("period") == "week"
    values = {dt.date.fromisoformat(row[0]): row[1:] for row in figures.get("series", [])}
    step = dt.timedelta(days=7 if weekly else 1)
    day = report.starts_on - dt.timedelta(days=report.starts_on.weekday() if weekly else 0)
    bars = []
    while day <= report.ends_on:
        reports, killed = [*values.get(day, []), 0, 0][:2]
        bars.append(Bar(day, reports=int(reports), killed=int(killed)))
        day += step
    signalled = {s["period_start"] for s in figures.get("signals", [])}
    for bar in bars:
        span = [bar.start + dt.timedelta(days=d) for d in range(7 if weekly else 1)]
        if any(d.isoformat() in signalled for d in span):
            bar.signals.append(_("signal"))
    return layout(Chart(report.place, "week" if weekly else "day", bars))


@dataclass
class Dot:
    x: float
    y: float
    r: float
    label: str
    reports: int


MAP_W, MAP_H, MAP_PAD = 600, 340, 40


def map_dots(points: list[dict[str, Any]]) -> list[Dot]:
    """Places as circles sized by their reports, projected into the picture (equirectangular,
    longitudes shrunk by the cosine of the mean latitude, so shapes are not stretched)."""
    placed = [p for p in points if p.get("lat") is not None and p.get("lon") is not None]
    if not placed:
        return []
    lats = [float(p["lat"]) for p in placed]
    lons = [float(p["lon"]) for p in placed]
    shrink = math.cos(math.radians(sum(lats) / len(lats)))
    width = max((max(lons) - min(lons)) * shrink, 0.05)
    height = max(max(lats) - min(lats), 0.05)
    scale = min((MAP_W - 2 * MAP_PAD) / width, (MAP_H - 2 * MAP_PAD) / height)
    mid_x = (max(lons) + min(lons)) / 2 * shrink
    mid_y = (max(lats) + min(lats)) / 2
    top = max([int(p["reports"]) for p in placed] + [1])
    return [
        Dot(
            x=round(MAP_W / 2 + (float(p["lon"]) * shrink - mid_x) * scale, 1),
            y=round(MAP_H / 2 - (float(p["lat"]) - mid_y) * scale, 1),
            r=round(4 + 16 * math.sqrt(int(p["reports"]) / top), 1),
            label=str(p["place"]),
            reports=int(p["reports"]),
        )
        for p in placed
    ]


def public_points(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The map for readers outside the place's staff: places rolled up to the public level
    (`I4P_PUBLIC_PLACE_LEVEL`), small counts left out (`I4P_PUBLIC_MIN_COUNT`)."""
    places = {str(p.uuid): p for p in Place.objects.filter(uuid__in=[q["id"] for q in points])}
    book = public.load_book(p.pk for p in places.values())
    rolled: dict[int, dict[str, Any]] = {}
    for point in points:
        shown = public.public_place(places.get(point["id"]), book)
        if shown is None or shown.latitude is None or shown.longitude is None:
            continue
        row = rolled.setdefault(
            shown.pk,
            {"place": shown.name, "id": str(shown.uuid), "lat": shown.latitude,
             "lon": shown.longitude, "reports": 0, "killed": 0},
        )  # fmt: skip
        row["reports"] += int(point["reports"])
        row["killed"] += int(point["killed"])
    return [row for row in rolled.values() if row["reports"] >= public.min_count()]


# -- PDF ---------------------------------------------------------------------------------------


def chromium() -> str | None:
    """Headless Chromium: `I4P_CHROMIUM`, else `chromium` (Debian) or `chromium-browser`."""
    configured = str(getattr(settings, "I4P_CHROMIUM", "") or "")
    if configured:
        return configured if Path(configured).exists() else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def html_to_pdf(html: str) -> bytes:
    """Print a self-contained HTML page to PDF with Chromium's own print engine."""
    executable = chromium()
    if executable is None:
        raise PdfUnavailable(
            "PDF needs Chromium: install Debian's `chromium` package (apt-get install "
            "chromium) or set I4P_CHROMIUM to its path."
        )
    with tempfile.TemporaryDirectory(prefix="i4p-pdf-") as folder:
        source = Path(folder) / "report.html"
        target = Path(folder) / "report.pdf"
        source.write_text(html, encoding="utf-8")
        command = [
            executable,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--no-pdf-header-footer",
            f"--user-data-dir={Path(folder) / 'profile'}",
            f"--print-to-pdf={target}",
            source.as_uri(),
        ]
        try:
            subprocess.run(  # noqa: S603 - a fixed command line, the only input is our file
                command,
                check=True,
                capture_output=True,
                timeout=PDF_TIMEOUT_SECONDS,
                env={**os.environ, "HOME": folder},
            )
        except (subprocess.SubprocessError, OSError) as error:
            raise PdfUnavailable(f"Chromium could not print the report: {error}") from None
        if not target.exists():
            raise PdfUnavailable("Chromium printed nothing.")
        return target.read_bytes()
