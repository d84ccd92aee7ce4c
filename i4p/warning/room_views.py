"""The situation room and situation reports: pages for analysts (and responders, who see the
alerts of their places), the map's GeoJSON, and the PDF of a situation report.

The room works without JavaScript: the filters are a GET form, the charts are SVG drawn on the
server with a table beside each, the board is a table. Leaflet and its cluster plug-in load on
this page only, from our own static files.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid as uuid_module
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from i4p.accounts.permissions import Perm
from i4p.accounts.selectors import scope_of
from i4p.core.errors import DomainError
from i4p.geo.models import Boundary, Place, PlaceKind
from i4p.warning import room, situation
from i4p.warning.alerts import (
    acknowledge_alert,
    default_words,
    draft_alert,
    issue_alert,
    may_issue,
)
from i4p.warning.forms import choice_field, event_type_choices
from i4p.warning.intake import active_framework
from i4p.warning.models import (
    Alert,
    AlertState,
    EventType,
    Period,
    SituationReport,
    SituationReportState,
)

NO_UUID = uuid_module.UUID(int=0)


def _uuid(value: Any) -> uuid_module.UUID | None:
    try:
        return uuid_module.UUID(str(value))
    except ValueError:
        return None


# -- filters -----------------------------------------------------------------------------------


class RoomFilterForm(forms.Form):
    since = forms.DateField(
        label=_lazy("From"), required=False, widget=forms.DateInput({"type": "date"})
    )
    until = forms.DateField(
        label=_lazy("To"), required=False, widget=forms.DateInput({"type": "date"})
    )
    place = forms.ChoiceField(label=_lazy("Place"), required=False)
    event_type = forms.ChoiceField(label=_lazy("Type"), required=False)
    period = forms.ChoiceField(
        label=_lazy("Chart by"),
        required=False,
        choices=[(Period.DAY, _lazy("Day")), (Period.WEEK, _lazy("Week"))],
    )

    def __init__(self, *args: Any, places: list[Place], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.places = places
        choice_field(self, "place").choices = [("", _("All my areas"))] + [
            (str(p.uuid), ("— " * p.depth) + p.name) for p in places
        ]
        try:
            framework = active_framework()
        except DomainError:
            choice_field(self, "event_type").choices = [("", _("Any type"))]
        else:
            choice_field(self, "event_type").choices = event_type_choices(
                framework, blank=_("Any type")
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", _("The period ends before it starts."))
        elif since and until and (until - since).days + 1 > room.MAX_SPAN_DAYS:
            self.add_error("until", _("Choose at most three years."))
        return data

    def filters(self) -> room.RoomFilters:
        """The filters asked for; the defaults (the last 30 days) where a value is missing."""
        base = room.RoomFilters.default()
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        until = data.get("until") or base.until
        since = data.get("since") or min(base.since, until)
        if data.get("until") and not data.get("since"):
            since = until - dt.timedelta(days=room.DEFAULT_DAYS - 1)
        place_id = _uuid(data.get("place") or "")
        type_id = _uuid(data.get("event_type") or "")
        return room.RoomFilters(
            since=since,
            until=until,
            place=next((p for p in self.places if p.uuid == place_id), None),
            event_type=EventType.objects.filter(uuid=type_id).first() if type_id else None,
            period=data.get("period") or Period.DAY,
        )


class DraftAlertForm(forms.Form):
    place = forms.ChoiceField(label=_lazy("Place"))
    event_type = forms.ChoiceField(label=_lazy("Type"), required=False)

    def __init__(self, *args: Any, places: list[Place], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "alert_%s")
        super().__init__(*args, **kwargs)
        self.places = places
        choice_field(self, "place").choices = [
            (str(p.uuid), ("— " * p.depth) + p.name) for p in places
        ]
        try:
            framework = active_framework()
        except DomainError:
            choice_field(self, "event_type").choices = [("", _("Any type"))]
        else:
            choice_field(self, "event_type").choices = event_type_choices(
                framework, blank=_("Tension or violence")
            )


def _room_user(request: HttpRequest) -> None:
    if not room.may_enter(request.user):
        raise Http404  # not staff of the alerts: the room does not exist for them


def _base_layer(filters: room.RoomFilters, places: list[Place]) -> dict[str, str]:
    """Tiles when the instance has a tile server; else the boundaries of the country, if
    loaded; else nothing (the place points drawn from the GeoJSON are the base)."""
    tiles = str(getattr(settings, "I4P_TILE_URL", "") or "")
    boundaries = ""
    focus = filters.place or (places[0] if places else None)
    if not tiles and focus is not None:
        country_path = "/" + focus.path.strip("/").split("/")[0] + "/"
        country = Place.objects.filter(path=country_path).first()
        if (
            country is not None
            and Boundary.objects.filter(place__path__startswith=country.path).exists()
        ):
            try:
                url = reverse("api:place_boundaries", kwargs={"place_uuid": country.uuid})
            except NoReverseMatch:
                url = ""
            boundaries = f"{url}?kind=admin1&tolerance=0.02" if url else ""
    return {
        "tiles": tiles,
        "attribution": str(getattr(settings, "I4P_TILE_ATTRIBUTION", "") or ""),
        "boundaries": boundaries,
    }


def _board(request: HttpRequest, filters: room.RoomFilters) -> list[room.BoardRow]:
    rows = room.alert_board(request.user, filters)
    respond = scope_of(request.user, Perm.RESPOND)
    issue = scope_of(request.user, Perm.ISSUE_ALERTS)
    for row in rows:
        row.may_issue = row.alert.state == AlertState.DRAFT and issue.covers(row.alert.place)
        row.may_acknowledge = row.alert.state == AlertState.ISSUED and respond.covers(
            row.alert.place
        )
    return rows


@require_safe
@login_required
def room_page(request: HttpRequest) -> HttpResponse:
    _room_user(request)
    places = room.room_places(request.user)
    default = room.RoomFilters.default()
    form = RoomFilterForm(
        request.GET or None,
        places=places,
        initial={"since": default.since, "until": default.until, "period": Period.DAY},
    )
    filters = form.filters()
    query = request.GET.copy()
    return render(
        request,
        "warning/room/room.html",
        {
            "form": form,
            "filters": filters,
            "charts": room.charts(request.user, filters),
            "chart_period": room.chart_period(filters),
            "board": _board(request, filters),
            "totals": {
                "reports": room.room_reports(request.user, filters).count(),
                "incidents": room.room_incidents(request.user, filters).count(),
                "signals": room.room_signals(request.user, filters).count(),
                "alerts": room.room_alerts(request.user, filters).count(),
            },
            "geojson": f"{reverse('warning:room_map')}?{query.urlencode()}",
            "map": _base_layer(filters, places),
            "may_issue": any(may_issue(request.user, p) for p in places),
            "alert_form": DraftAlertForm(
                places=places,
                initial={"place": str(filters.place.uuid) if filters.place else ""},
            ),
            "now": timezone.now(),
        },
    )


@require_safe
def room_map(request: HttpRequest) -> HttpResponse:
    """The map's layers as GeoJSON (RFC 7946), under the same filters and scope as the page."""
    if not room.may_enter(request.user):
        return JsonResponse(
            {
                "code": "not_allowed",
                "message": _("Only staff who see alerts may read the map."),
                "fields": {},
            },
            status=403,
        )
    form = RoomFilterForm(request.GET or None, places=room.room_places(request.user))
    if form.is_bound and not form.is_valid():
        return JsonResponse(
            {
                "code": "invalid",
                "message": _("The filters are not right."),
                "fields": {name: [str(e) for e in errors] for name, errors in form.errors.items()},
            },
            status=400,
        )
    collection = room.map_layers(request.user, form.filters())
    collection["features"] += _place_points(room.room_places(request.user))
    response = HttpResponse(
        json.dumps(collection, ensure_ascii=False, separators=(",", ":")),
        content_type="application/geo+json",
    )
    response["Cache-Control"] = "private, no-store"
    return response


def _place_points(places: list[Place]) -> list[dict[str, Any]]:
    """The admin areas of the user's scope as grey points: the base of a map without tiles."""
    return [
        {
            "type": "Feature",
            "geometry": {
                "type": "Point",
                "coordinates": [round(p.longitude, 5), round(p.latitude, 5)],
            },
            "properties": {"layer": "places", "title": p.name, "kind": p.kind},
        }
        for p in places
        if p.latitude is not None and p.longitude is not None and p.kind != PlaceKind.COUNTRY
    ]


# -- alerts by hand from the board (issue, acknowledge) ---------------------------------------


def _alert(request: HttpRequest, alert_uuid: uuid_module.UUID) -> Alert:
    scope = room.alert_scope(request.user)
    alert = Alert.objects.filter(scope.q("place"), uuid=alert_uuid).select_related("place").first()
    if alert is None:
        raise Http404(_("No such alert, or not one you may see."))
    return alert


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if not target.startswith("/room/") or "//" in target:
        target = reverse("warning:room")
    return redirect(target)


@require_POST
@login_required
def room_draft_alert(request: HttpRequest) -> HttpResponse:
    """A draft alert for a place in the neutral default words, to check and issue."""
    _room_user(request)
    places = room.room_places(request.user)
    form = DraftAlertForm(request.POST, places=places)
    if not form.is_valid():
        messages.error(request, _("Choose a place of your area and a type for the alert."))
        return _back(request)
    place_id = _uuid(form.cleaned_data["place"])
    place = next((p for p in places if p.uuid == place_id), None)
    type_id = _uuid(form.cleaned_data["event_type"] or "")
    event_type = EventType.objects.filter(uuid=type_id).first() if type_id else None
    if place is None:
        messages.error(request, _("Choose a place of your area for the alert."))
        return _back(request)
    try:
        draft_alert(
            place, by=request.user, words=default_words(place, event_type), event_type=event_type
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Alert drafted. Check it, then issue it."))
    return _back(request)


@require_POST
@login_required
def room_alert_action(request: HttpRequest, uuid: uuid_module.UUID, action: str) -> HttpResponse:
    _room_user(request)
    alert = _alert(request, uuid)
    if request.POST.get("action") != action or action not in ("issue", "acknowledge"):
        messages.error(request, _("Nothing was done: the button was not recognised."))
        return _back(request)
    try:
        if action == "issue":
            issue_alert(alert, by=request.user)
            messages.success(request, _("Alert issued."))
        else:
            acknowledge_alert(alert, by=request.user, text=request.POST.get("note", "")[:500])
            messages.success(request, _("Alert acknowledged."))
    except DomainError as error:
        messages.error(request, error.message)
    return _back(request)


# -- situation reports -------------------------------------------------------------------------


class DraftReportForm(forms.Form):
    place = forms.ChoiceField(label=_lazy("Place"))
    starts_on = forms.DateField(label=_lazy("From"), widget=forms.DateInput({"type": "date"}))
    ends_on = forms.DateField(label=_lazy("To"), widget=forms.DateInput({"type": "date"}))
    language = forms.ChoiceField(label=_lazy("Language"))

    def __init__(self, *args: Any, places: list[Place], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.places = places
        choice_field(self, "place").choices = [
            (str(p.uuid), ("— " * p.depth) + p.name) for p in places
        ]
        choice_field(self, "language").choices = list(settings.LANGUAGES)

    def chosen_place(self) -> Place | None:
        chosen = _uuid(self.cleaned_data.get("place", ""))
        return next((p for p in self.places if p.uuid == chosen), None)


class EditReportForm(forms.Form):
    title = forms.CharField(label=_lazy("Title"), max_length=300)
    summary = forms.CharField(
        label=_lazy("Summary"), required=False, widget=forms.Textarea({"rows": 5})
    )
    is_public = forms.BooleanField(
        label=_lazy("Public once published"),
        required=False,
        help_text=_lazy(
            "Anyone may then read it. Readers outside your places see the figures, places "
            "rolled up to the public level, and no incident titles or alert words."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for section, label in SECTION_LABELS.items():
            self.fields[f"note_{section}"] = forms.CharField(
                label=_("Note: %(section)s") % {"section": label},
                required=False,
                widget=forms.Textarea({"rows": 2}),
            )


SECTION_LABELS = {
    "reports": _lazy("Reports"),
    "casualties": _lazy("Casualties"),
    "signals": _lazy("Signals"),
    "alerts": _lazy("Alerts and responses"),
    "incidents": _lazy("Notable incidents"),
}


def _writer_places(request: HttpRequest) -> list[Place]:
    return [p for p in room.room_places(request.user) if situation.may_write(request.user, p)]


def _report(request: HttpRequest, report_uuid: uuid_module.UUID) -> SituationReport:
    report = situation.visible_situation_reports(request.user).filter(uuid=report_uuid).first()
    if report is None:
        raise Http404(_("No such situation report, or not one you may read."))
    return report


@require_http_methods(["GET", "HEAD", "POST"])
def reports_page(request: HttpRequest) -> HttpResponse:
    """The situation reports one may read, and the form to draft one."""
    places = _writer_places(request) if request.user.is_authenticated else []
    form = None
    if places:
        today = timezone.localdate()
        initial = {
            "starts_on": today - dt.timedelta(days=29),
            "ends_on": today,
            "language": (request.LANGUAGE_CODE or "en")[:2],
        }
        form = DraftReportForm(request.POST or None, places=places, initial=initial)
        if request.method == "POST" and form.is_valid():
            place = form.chosen_place()
            assert place is not None  # the choices are the writer's places
            try:
                report = situation.draft_situation_report(
                    place,
                    by=request.user,
                    starts_on=form.cleaned_data["starts_on"],
                    ends_on=form.cleaned_data["ends_on"],
                    language=form.cleaned_data["language"],
                )
            except DomainError as error:
                for name, problems in error.fields.items():
                    for problem in problems:
                        form.add_error(name if name in form.fields else None, problem)
                if not error.fields:
                    form.add_error(None, error.message)
            else:
                messages.success(request, _("Draft ready: edit the words, then publish."))
                return redirect("warning:situation_edit", uuid=report.uuid)
    elif request.method == "POST":
        raise Http404
    reports = situation.visible_situation_reports(request.user)[:100]
    return render(request, "warning/room/reports.html", {"form": form, "reports": reports})


def _context(request: HttpRequest, report: SituationReport) -> dict[str, Any]:
    staff = situation.in_scope(request.user, report)
    figures = report.figures
    points = figures.get("points", [])
    if not staff:
        points = situation.public_points(points)
    notes = figures.get("notes") or {}
    return {
        "report": report,
        "figures": figures,
        "totals": figures.get("totals", {}),
        "staff": staff,
        "chart": situation.chart_of(report),
        "dots": situation.map_dots(points),
        "points": points,
        "sections": [(key, label, notes.get(key, "")) for key, label in SECTION_LABELS.items()],
        "pdf_ready": situation.chromium() is not None,
        "may_edit": report.state == SituationReportState.DRAFT
        and situation.may_write(request.user, report.place),
        "map_w": situation.MAP_W,
        "map_h": situation.MAP_H,
    }


@require_safe
def report_page(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponse:
    report = _report(request, uuid)
    return render(request, "warning/room/report.html", _context(request, report))


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def report_edit(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponse:
    report = _report(request, uuid)
    if (
        not situation.may_write(request.user, report.place)
        or report.state != SituationReportState.DRAFT
    ):
        raise Http404(_("Only a draft is edited, by staff of its place."))
    notes = report.figures.get("notes") or {}
    initial = {"title": report.title, "summary": report.summary, "is_public": report.is_public}
    initial |= {f"note_{key}": notes.get(key, "") for key in SECTION_LABELS}
    form = EditReportForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            situation.edit_situation_report(
                report,
                by=request.user,
                title=data["title"],
                summary=data["summary"],
                notes={key: data[f"note_{key}"] for key in SECTION_LABELS},
                is_public=data["is_public"],
            )
            if request.POST.get("action") == "refresh":
                situation.refresh_situation_report(report, by=request.user)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Saved."))
            return redirect("warning:situation_report", uuid=report.uuid)
    return render(request, "warning/room/edit.html", {**_context(request, report), "form": form})


@require_POST
@login_required
def report_publish(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponse:
    report = _report(request, uuid)
    if request.POST.get("action") != "publish":
        messages.error(request, _("Nothing was done: the button was not recognised."))
        return redirect("warning:situation_report", uuid=report.uuid)
    try:
        situation.publish_situation_report(report, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Published. Its figures no longer change."))
    return redirect("warning:situation_report", uuid=report.uuid)


@require_safe
def report_pdf(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponse:
    report = _report(request, uuid)
    context = {**_context(request, report), "printing": True}
    html = render_to_string("warning/room/print.html", context, request=request)
    try:
        pdf = situation.html_to_pdf(html)
    except situation.PdfUnavailable as error:
        return HttpResponse(error.message, status=503, content_type="text/plain; charset=utf-8")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="situation-report-{report.uuid}.pdf"'
    response["Cache-Control"] = "private, no-store" if not report.is_public else "no-cache"
    return response
