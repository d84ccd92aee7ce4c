"""Analysis pages: the risk of each place with its formula written out, and the signals list
with its "dismiss" action. Both show only places where the viewer may see alerts."""

from __future__ import annotations

import uuid as uuid_module

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from i4p.accounts.permissions import Perm
from i4p.accounts.selectors import can, has_anywhere
from i4p.core.errors import DomainError
from i4p.geo.models import Place
from i4p.warning import analysis
from i4p.warning.models import IndicatorFramework, Period, SignalState

PAGE_SIZE = 50


def _check(request: HttpRequest) -> None:
    if not has_anywhere(request.user, Perm.VIEW_ALERTS):
        raise PermissionDenied


@require_safe
@login_required
def risk_page(request: HttpRequest) -> HttpResponse:
    _check(request)
    inside = None
    if request.GET.get("place"):
        try:
            inside = Place.objects.filter(uuid=uuid_module.UUID(request.GET["place"])).first()
        except ValueError:
            inside = None
        if inside is None:
            raise Http404
    framework = IndicatorFramework.objects.filter(is_active=True).first()
    params = analysis.settings_of(framework).risk if framework else analysis.RiskParameters()
    risks = analysis.place_risks(request.user, place=inside, framework=framework)
    return render(
        request,
        "warning/analysis/risk.html",
        {"risks": risks, "params": params, "inside": inside},
    )


@require_safe
@login_required
def signals_page(request: HttpRequest) -> HttpResponse:
    _check(request)
    signals = analysis.visible_signals(request.user)
    state = request.GET.get("state", SignalState.NEW)
    if state in SignalState.values:
        signals = signals.filter(state=state)
    period = request.GET.get("period", "")
    if period in Period.values:
        signals = signals.filter(period=period)
    page = Paginator(signals, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "warning/analysis/signals.html",
        {
            "page": page,
            "state": state,
            "period": period,
            "states": SignalState.choices,
            "periods": [(p, label) for p, label in Period.choices if p != Period.YEAR],
            "query": f"state={state}&period={period}",
            "may_dismiss": {s.pk for s in page if can(request.user, Perm.ISSUE_ALERTS, s.place)},
        },
    )


@require_POST
@login_required
def dismiss(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponse:
    _check(request)
    signal = analysis.visible_signals(request.user).filter(uuid=uuid).first()
    if signal is None:
        raise Http404
    try:
        analysis.dismiss_signal(signal, by=request.user, reason=request.POST.get("reason", ""))
    except DomainError as refused:
        return render(
            request,
            "warning/analysis/dismiss_refused.html",
            {"error": refused.message, "signal": signal},
            status=refused.status,
        )
    messages.success(request, _("The signal is dismissed."))
    return redirect("warning:signals")
