"""Response pages: an alert's chain from first report to outcome, with the forms to record a
response and its outcome, and the figures of the gap between alert and response.

Server-rendered, no script: the chart is an SVG drawn here. No reporter is ever named.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from i4p.accounts.permissions import Perm
from i4p.accounts.selectors import scope_of
from i4p.core.errors import DomainError, NotFound
from i4p.geo.models import Place, PlaceKind
from i4p.registry.models import Actor
from i4p.warning.models import Alert, Outcome, ResponseKind
from i4p.warning.responses import (
    LEVELS,
    Chain,
    FigureRow,
    Figures,
    alert_chain,
    alert_for_chain,
    record_outcome,
    record_response,
    response_figures,
)

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ResponseForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What was done"), choices=ResponseKind.choices)
    description = forms.CharField(
        label=gettext_lazy("Describe it"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Who met whom, where, what was agreed. Do not name sources."),
    )
    started_at = forms.DateTimeField(label=gettext_lazy("Started"), widget=DATETIME_WIDGET)
    ended_at = forms.DateTimeField(
        label=gettext_lazy("Ended"), required=False, widget=DATETIME_WIDGET
    )
    actor = forms.ModelChoiceField(
        label=gettext_lazy("For the mechanism"),
        queryset=Actor.objects.none(),
        to_field_name="uuid",
        required=False,
    )

    def __init__(self, *args: Any, mechanisms: list[Actor], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["actor"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Actor.objects.filter(pk__in=[actor.pk for actor in mechanisms])
        if len(mechanisms) == 1:
            field.initial = mechanisms[0].uuid


class OutcomeForm(forms.Form):
    response = forms.UUIDField(widget=forms.HiddenInput)
    outcome = forms.ChoiceField(label=gettext_lazy("Outcome"), choices=Outcome.choices)
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _alert(request: HttpRequest, uuid: Any) -> Alert:
    try:
        return alert_for_chain(request.user, uuid)
    except NotFound as error:
        raise Http404(error.message) from error


def _chain_page(
    request: HttpRequest,
    chain: Chain,
    response_form: ResponseForm | None = None,
    outcome_form: OutcomeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    if chain.may_respond and response_form is None:
        response_form = ResponseForm(
            mechanisms=chain.mechanisms, initial={"started_at": timezone.localtime()}
        )
    texts = {t.language: t for t in chain.alert.texts.all()}
    language = request.LANGUAGE_CODE if hasattr(request, "LANGUAGE_CODE") else "en"
    headline = texts.get(language) or next(iter(texts.values()), None)
    return render(
        request,
        "warning/responses/chain.html",
        {
            "chain": chain,
            "alert": chain.alert,
            "headline": headline.headline if headline is not None else chain.alert.identifier,
            "response_form": response_form,
            "outcome_form": outcome_form,
            "outcome_choices": Outcome.choices,
        },
        status=status,
    )


def _add_errors(form: forms.Form, error: DomainError) -> None:
    for name, problems in error.fields.items():
        target = name if name in form.fields else None
        for problem in problems:
            form.add_error(target, problem)
    if not error.fields:
        form.add_error(None, error.message)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def chain_page(request: HttpRequest, uuid: Any) -> HttpResponse:
    """The chain as a vertical timeline; members and responders record on the same page."""
    alert = _alert(request, uuid)
    chain = alert_chain(alert, user=request.user)
    if request.method != "POST":
        return _chain_page(request, chain)
    if not chain.may_respond:
        raise Http404(_("No such alert, or not one you may respond to."))
    if request.POST.get("action") == "outcome":
        outcome_form = OutcomeForm(request.POST)
        if outcome_form.is_valid():
            response = next(
                (r for r in chain.responses if r.uuid == outcome_form.cleaned_data["response"]),
                None,
            )
            if response is None:
                outcome_form.add_error(None, _("No such response on this alert."))
            else:
                try:
                    record_outcome(
                        response,
                        by=request.user,
                        outcome=outcome_form.cleaned_data["outcome"],
                        note=outcome_form.cleaned_data["note"],
                    )
                except DomainError as error:
                    _add_errors(outcome_form, error)
                else:
                    messages.success(request, _("Outcome recorded."))
                    return redirect("warning:alert_chain", uuid=alert.uuid)
        return _chain_page(request, chain, outcome_form=outcome_form, status=400)
    form = ResponseForm(request.POST, mechanisms=chain.mechanisms)
    if form.is_valid():
        data = form.cleaned_data
        try:
            record_response(
                alert,
                by=request.user,
                kind=data["kind"],
                description=data["description"],
                started_at=data["started_at"],
                ended_at=data["ended_at"],
                actor=data["actor"],
            )
        except DomainError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Response recorded."))
            return redirect("warning:alert_chain", uuid=alert.uuid)
    return _chain_page(request, chain, response_form=form, status=400)


# -- figures ------------------------------------------------------------------------------------


class FiguresForm(forms.Form):
    since = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=gettext_lazy("Until (included)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    place = forms.ModelChoiceField(
        label=gettext_lazy("Place"),
        queryset=Place.objects.none(),
        to_field_name="uuid",
        required=False,
    )
    level = forms.ChoiceField(
        label=gettext_lazy("Group places by"),
        choices=[(kind.value, kind.label) for kind in LEVELS],
        initial=PlaceKind.ADMIN1,
        required=False,
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["place"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = places_in_scope(user)


PICKER_LIMIT = 300


def places_in_scope(user: Any) -> Any:
    """Places of the picker: those where `user` sees alerts, districts and above, bounded so
    the page stays light."""
    scope = scope_of(user, Perm.VIEW_ALERTS)
    places = Place.objects.filter(kind__in=LEVELS)
    if not scope.everywhere:
        condition = Q(pk__in=[])
        for prefix in scope.paths:
            condition |= Q(path__startswith=prefix)
        places = places.filter(condition)
    ids = list(places.order_by("path").values_list("pk", flat=True)[:PICKER_LIMIT])
    return Place.objects.filter(pk__in=ids).order_by("path")


@dataclass
class Bar:
    """One row of the chart; numbers already written as SVG wants them (never localised)."""

    label: str
    y: str
    ack_width: str
    response_width: str
    ack_text_x: str
    response_text_x: str
    ack_text: str
    response_text: str


@dataclass
class Chart:
    bars: list[Bar]
    width: str
    height: str


def duration_text(seconds: float | None) -> str:
    """A duration a person reads at a glance: "45 min", "3 h 20 min", "2 d 4 h"."""
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    if minutes < 60:
        return _("%(m)d min") % {"m": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes}
    days, hours = divmod(hours, 24)
    return _("%(d)d d %(h)d h") % {"d": days, "h": hours}


CHART_WIDTH = 360  # pixels for the longest bar
ROW_HEIGHT = 34


LABEL_WIDTH = 160


def _svg(number: float) -> str:
    return f"{number:.1f}"


def chart(rows: list[FigureRow]) -> Chart:
    """Median time to acknowledge and to first response per row, on one scale."""
    longest = max(
        [value for row in rows for value in (row.ack_median, row.response_median) if value] or [1.0]
    )
    drawn = []
    for index, row in enumerate(rows):
        ack = CHART_WIDTH * (row.ack_median or 0) / longest
        response = CHART_WIDTH * (row.response_median or 0) / longest
        drawn.append(
            Bar(
                label=row.label,
                y=str(index * ROW_HEIGHT),
                ack_width=_svg(ack),
                response_width=_svg(response),
                ack_text_x=_svg(LABEL_WIDTH + ack + 4),
                response_text_x=_svg(LABEL_WIDTH + response + 4),
                ack_text=duration_text(row.ack_median),
                response_text=duration_text(row.response_median),
            )
        )
    return Chart(
        bars=drawn,
        width=str(LABEL_WIDTH + CHART_WIDTH + 90),
        height=str(len(rows) * ROW_HEIGHT + 24),
    )


def _period(data: dict[str, Any]) -> tuple[dt.datetime, dt.datetime]:
    """The days asked for, the last one included; the last 90 days unless told."""
    today = timezone.localdate()
    until_day = data.get("until") or today
    since_day = data.get("since") or until_day - dt.timedelta(days=89)
    zone = timezone.get_current_timezone()
    since = dt.datetime.combine(since_day, dt.time.min, tzinfo=zone)
    until = dt.datetime.combine(until_day + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return since, until


@login_required
@require_safe
def figures_page(request: HttpRequest) -> HttpResponse:
    """Time to acknowledge, time to first response, share with an outcome: by place and by
    mechanism, for the alerts in the viewer's scope."""
    if scope_of(request.user, Perm.VIEW_ALERTS).nowhere:
        raise Http404(_("These figures are for staff who see alerts."))
    bound = bool(request.GET)
    form = FiguresForm(request.GET if bound else None, user=request.user)
    figures: Figures | None = None
    error = ""
    data: dict[str, Any] | None = {}
    if bound:
        data = form.cleaned_data if form.is_valid() else None
    if data is not None:
        since, until = _period(data)
        try:
            figures = response_figures(
                request.user,
                since=since,
                until=until,
                place=data.get("place"),
                level=data.get("level") or PlaceKind.ADMIN1,
            )
        except DomainError as problem:
            error = problem.message
            for name, problems in problem.fields.items():
                for text in problems:
                    form.add_error(name if name in form.fields else None, text)
    return render(
        request,
        "warning/responses/figures.html",
        {
            "form": form,
            "figures": figures,
            "error": error,
            "rows": _display(figures),
            "place_chart": chart(figures.by_place if figures else []),
            "mechanism_chart": chart(figures.by_mechanism if figures else []),
        },
        status=200 if figures is not None else 400,
    )


def _display(figures: Figures | None) -> dict[str, list[dict[str, Any]]]:
    if figures is None:
        return {"total": [], "places": [], "mechanisms": []}

    def row(item: FigureRow) -> dict[str, Any]:
        share = item.outcome_share
        return {
            "label": item.label,
            "alerts": item.alerts,
            "acknowledged": item.acknowledged,
            "ack_median": duration_text(item.ack_median),
            "ack_p90": duration_text(item.ack_p90),
            "responded": item.responded,
            "response_median": duration_text(item.response_median),
            "response_p90": duration_text(item.response_p90),
            "with_outcome": item.with_outcome,
            "share": f"{share:.0%}" if share is not None else "—",
        }

    return {
        "total": [row(figures.total)],
        "places": [row(item) for item in figures.by_place],
        "mechanisms": [row(item) for item in figures.by_mechanism],
    }
