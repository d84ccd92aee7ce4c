"""Report downloads (CSV with HXL hashtags, GeoJSON, JSON) and the public page of reports.

Downloads stream a batch at a time and follow the filters in the query string
(`/reports/export.csv?kind=incident&place=<uuid>&since=2026-01-01`). Signed-in users get the
reports they may see; anyone else the public, redacted export.
"""

from __future__ import annotations

import datetime as dt

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from i4p.accounts.permissions import Perm
from i4p.accounts.selectors import has_anywhere
from i4p.core.audit import record_event
from i4p.geo.models import Place
from i4p.registry.exchange.places import as_uuid
from i4p.warning import public
from i4p.warning.exports import FORMATS, ReportExport, ReportFilters
from i4p.warning.models import ReportKind, Verification


class BadFilters(ValueError):
    """A download link whose filters name nothing that exists, or are not dates."""


def _date(text: str, name: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BadFilters(_("“%(name)s” is not a date (YYYY-MM-DD).") % {"name": name}) from None


def report_filters(
    *,
    kind: str = "",
    verification: str = "",
    event_type: str = "",
    place: str = "",
    since: str = "",
    until: str = "",
) -> ReportFilters:
    """Filters from text (query string, API, command line); BadFilters explains a bad one."""
    if kind not in ("", *ReportKind.values):
        raise BadFilters(_("Unknown kind of report."))
    if verification not in ("", *Verification.values):
        raise BadFilters(_("Unknown verification status."))
    found = None
    if place:
        place_id = as_uuid(place)
        found = Place.objects.filter(uuid=place_id).first() if place_id else None
        if found is None:
            raise BadFilters(_("No place has the id “%(id)s”.") % {"id": place})
    return ReportFilters(
        kind=kind,
        verification=verification,
        event_type=event_type[:60],
        place=found,
        since=_date(since, "since"),
        until=_date(until, "until"),
    )


def streamed(export: ReportExport, fmt: str) -> StreamingHttpResponse:
    chosen = FORMATS[fmt]
    response = StreamingHttpResponse(chosen.write(export), content_type=chosen.content_type)
    name = "public-reports" if export.public else "reports"
    response["Content-Disposition"] = f'attachment; filename="i4p-{name}.{chosen.extension}"'
    response["Cache-Control"] = "private, no-store" if not export.public else "public, max-age=300"
    return response


def record_export(user: object, fmt: str, note: str) -> None:
    """A staff export holds scoped reports: a read worth recording (format and filters only)."""
    if has_anywhere(user, Perm.VIEW_REPORTS):
        record_event(None, "report.exported", by=user, fields=[fmt], note=note[:300])


@require_GET
def export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    if fmt not in FORMATS:
        raise Http404(_("No such export."))
    query = request.GET
    try:
        filters = report_filters(
            **{name: query.get(name, "")[:100] for name in _FILTER_NAMES},
        )
    except BadFilters as error:
        return HttpResponse(str(error), status=400, content_type="text/plain; charset=utf-8")
    record_export(request.user, fmt, query.urlencode())
    return streamed(ReportExport(request.user, filters), fmt)


_FILTER_NAMES = ("kind", "verification", "event_type", "place", "since", "until")


@require_GET
def public_reports_page(request: HttpRequest) -> HttpResponse:
    """Public reports, redacted: counts per place (small ones hidden) and the latest reports."""
    counts, total = public.counts_by_place()
    reports = public.public_reports().select_related("event_type")
    page = Paginator(reports.only(*_LISTED), 50).get_page(request.GET.get("page"))
    book = public.load_book(report.place_id for report in page.object_list)
    rows = [
        {
            "date": report.occurred_at.date() if report.occurred_at else None,
            "event_type": report.event_type.name if report.event_type else "",
            "place": public.public_place(book.get(report.place_id), book),
            "killed": report.killed,
            "verification": report.get_verification_display(),
        }
        for report in page.object_list
    ]
    return render(
        request,
        "warning/public_reports.html",
        {
            "counts": counts,
            "total": total,
            "page": page,
            "rows": rows,
            "threshold": public.min_count(),
            "delay_hours": public.delay_hours(),
            "level": public.place_level(),
            "formats": list(FORMATS),
        },
    )


_LISTED = (
    "uuid",
    "occurred_at",
    "event_type",
    "place",
    "killed",
    "verification",
    "received_at",
)
