"""Alert pages: the list, one alert with its timeline and deliveries and the buttons of the
lifecycle, the form to write one by hand, "my alerts" for members, and the deliveries
dashboard for staff. Plain forms, no script."""

from __future__ import annotations

import uuid as uuid_module
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from i4p.accounts.models import User
from i4p.accounts.permissions import Perm
from i4p.accounts.selectors import has_anywhere
from i4p.core.errors import DomainError, NotFound
from i4p.geo.models import Place
from i4p.warning import alerts as alert_services
from i4p.warning import delivery as delivery_services
from i4p.warning.alert_selectors import alert_for, sees_workings, visible_alerts
from i4p.warning.alerts import Words, default_words, may_issue, may_respond, served_languages
from i4p.warning.models import (
    AlertState,
    CapScope,
    Certainty,
    Delivery,
    DeliveryChannel,
    EventType,
    Severity,
    Urgency,
)
from i4p.warning.routing import ROUTABLE

PAGE_SIZE = 50


# -- list and detail --------------------------------------------------------------------------


@require_safe
def alert_list(request: HttpRequest) -> HttpResponse:
    alerts = visible_alerts(request.user)
    state = request.GET.get("state", "")
    if state in AlertState.values:
        alerts = alerts.filter(state=state)
    page = Paginator(alerts, PAGE_SIZE).get_page(request.GET.get("page"))
    language = request.LANGUAGE_CODE if hasattr(request, "LANGUAGE_CODE") else ""
    rows = [(alert, _headline(alert, language)) for alert in page]
    return render(
        request,
        "warning/alerts/list.html",
        {
            "page": page,
            "rows": rows,
            "states": AlertState.choices,
            "state": state,
            "may_write": has_anywhere(request.user, Perm.ISSUE_ALERTS),
        },
    )


def _headline(alert: Any, language: str) -> str:
    texts = list(alert.texts.all())
    for text in texts:
        if text.language == language:
            return str(text.headline)
    return str(texts[0].headline) if texts else str(alert.identifier)


class CancelForm(forms.Form):
    reason = forms.CharField(label=_lazy("Why is it cancelled?"), max_length=2000)


class NoteForm(forms.Form):
    note = forms.CharField(label=_lazy("Note"), max_length=2000, required=False)


ACTIONS = ("acknowledge", "issue", "close", "cancel")


@require_http_methods(["GET", "HEAD", "POST"])
def alert_page(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponse:
    try:
        alert = alert_for(request.user, uuid)
    except NotFound as missing:
        raise Http404(missing.message) from None
    cancel = CancelForm()
    error = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action not in ACTIONS:
            error = _("Choose what to do.")
        else:
            try:
                done = _act(request, alert, action)
            except DomainError as refused:
                error = refused.message
                if action == "cancel":
                    cancel = CancelForm(request.POST)
            else:
                if done is not None:
                    messages.success(request, done[0])
                    return redirect("warning:alert", done[1])
                cancel = CancelForm(request.POST)
                cancel.is_valid()
                error = _("Say why the alert is cancelled.")
    # Opening the alert marks the member's notice of it read.
    if isinstance(request.user, User):
        mine = Delivery.objects.filter(
            alert=alert, user=request.user, channel=DeliveryChannel.APP, read_at__isnull=True
        )
        for notice in mine:
            delivery_services.mark_read(notice, by=request.user)
    workings = sees_workings(request.user, alert)
    issuer = may_issue(request.user, alert.place)
    responder = may_respond(request.user, alert)
    return render(
        request,
        "warning/alerts/detail.html",
        {
            "alert": alert,
            "texts": list(alert.texts.all()),
            "workings": workings,
            "timeline": list(alert.timeline.select_related("actor")) if workings else [],
            "deliveries": list(alert.deliveries.select_related("actor").order_by("created_at"))
            if workings
            else [],
            "may_issue": issuer and alert.state == AlertState.DRAFT,
            "may_end": issuer and alert.state in alert_services.LIVE,
            "may_acknowledge": responder and alert.state == AlertState.ISSUED,
            "cancel": cancel,
            "error": error,
            "follow_ups": list(alert.followed_by.order_by("created_at")) if workings else [],
        },
        status=400 if error else 200,
    )


def _act(request: HttpRequest, alert: Any, action: str) -> tuple[str, Any] | None:
    by = request.user
    text = request.POST.get("note", "")[:2000]
    if action == "acknowledge":
        alert_services.acknowledge_alert(alert, by=by, text=text)
        return _("Alert acknowledged: escalation has stopped."), alert.uuid
    if action == "issue":
        alert_services.issue_alert(alert, by=by)
        return _("Alert issued: it is being sent."), alert.uuid
    if action == "close":
        alert_services.close_alert(alert, by=by, text=text)
        return _("Alert closed."), alert.uuid
    form = CancelForm(request.POST)
    if not form.is_valid():
        return None
    follow = alert_services.cancel_alert(alert, by=by, text=form.cleaned_data["reason"])
    return _("Alert cancelled: everyone it reached is told."), follow.uuid


# -- writing one by hand ----------------------------------------------------------------------


class PlaceForm(forms.Form):
    place = forms.UUIDField(label=_lazy("Place (its id)"))


class AlertForm(forms.Form):
    place = forms.UUIDField(widget=forms.HiddenInput)
    event_type = forms.ChoiceField(label=_lazy("Event type"), required=False)
    severity = forms.ChoiceField(label=_lazy("Severity"), choices=Severity.choices)
    urgency = forms.ChoiceField(label=_lazy("Urgency"), choices=Urgency.choices)
    certainty = forms.ChoiceField(label=_lazy("Certainty"), choices=Certainty.choices)
    scope = forms.ChoiceField(label=_lazy("Who may see it"), choices=CapScope.choices[:2])
    issue_now = forms.BooleanField(label=_lazy("Issue at once"), required=False)

    def __init__(self, *args: Any, languages: list[str], event_types: list[Any], **kw: Any):
        super().__init__(*args, **kw)
        self.languages = languages
        field: Any = self.fields["event_type"]
        field.choices = [("", "—")] + [(e.code, e.name) for e in event_types]
        for code in languages:
            self.fields[f"event_{code}"] = forms.CharField(
                label=_lazy("Event") + f" [{code}]", max_length=200
            )
            self.fields[f"headline_{code}"] = forms.CharField(
                label=_lazy("Headline") + f" [{code}]", max_length=300
            )
            self.fields[f"description_{code}"] = forms.CharField(
                label=_lazy("Description") + f" [{code}]", required=False, widget=forms.Textarea
            )
            self.fields[f"instruction_{code}"] = forms.CharField(
                label=_lazy("Instruction") + f" [{code}]", required=False, widget=forms.Textarea
            )

    def words(self) -> list[Words]:
        data = self.cleaned_data
        return [
            Words(
                code,
                data[f"event_{code}"],
                data[f"headline_{code}"],
                data.get(f"description_{code}", ""),
                data.get(f"instruction_{code}", ""),
            )
            for code in self.languages
        ]


def _event_types() -> list[EventType]:
    from i4p.warning.intake import active_framework

    try:
        framework = active_framework()
    except DomainError:
        return []
    return list(EventType.objects.filter(framework=framework).order_by("code"))


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def alert_new(request: HttpRequest) -> HttpResponse:
    if not has_anywhere(request.user, Perm.ISSUE_ALERTS):
        raise Http404
    chooser = PlaceForm(request.GET or None)
    place: Place | None = None
    source = request.POST if request.method == "POST" else request.GET
    try:
        place_id = uuid_module.UUID(str(source.get("place", "")))
    except ValueError:
        place_id = None
    if place_id is not None:
        place = Place.objects.filter(uuid=place_id).first()
        if place is None or not may_issue(request.user, place):
            chooser = PlaceForm(source)
            chooser.is_valid()
            chooser.add_error("place", _("No place you may issue alerts for has this id."))
            place = None
    if place is None:
        return render(
            request,
            "warning/alerts/new.html",
            {"chooser": chooser, "form": None},
            status=400 if place_id is not None or request.method == "POST" else 200,
        )
    event_types = _event_types()
    languages = served_languages()
    if request.method == "POST":
        form = AlertForm(request.POST, languages=languages, event_types=event_types)
        if form.is_valid():
            event = next(
                (e for e in event_types if e.code == form.cleaned_data["event_type"]), None
            )
            try:
                alert = alert_services.draft_alert(
                    place,
                    by=request.user,
                    words=form.words(),
                    event_type=event,
                    severity=form.cleaned_data["severity"],
                    urgency=form.cleaned_data["urgency"],
                    certainty=form.cleaned_data["certainty"],
                    scope=form.cleaned_data["scope"],
                    issue=form.cleaned_data["issue_now"],
                )
            except DomainError as refused:
                form.add_error(None, refused.message)
                for name, problems in refused.fields.items():
                    for problem in problems:
                        form.add_error(None, f"{name}: {problem}")
            else:
                messages.success(request, _("Alert saved."))
                return redirect("warning:alert", alert.uuid)
        status = 400
    else:
        initial: dict[str, Any] = {
            "place": place.uuid,
            "severity": Severity.MODERATE,
            "urgency": Urgency.EXPECTED,
            "certainty": Certainty.POSSIBLE,
            "scope": CapScope.RESTRICTED,
        }
        for words in default_words(place, None):
            initial[f"event_{words.language}"] = words.event
            initial[f"headline_{words.language}"] = words.headline
            initial[f"description_{words.language}"] = words.description
        form = AlertForm(initial=initial, languages=languages, event_types=event_types)
        status = 200
    return render(request, "warning/alerts/new.html", {"form": form, "place": place}, status=status)


# -- members: my alerts -----------------------------------------------------------------------


@require_safe
@login_required
def my_alerts(request: HttpRequest) -> HttpResponse:
    notices = delivery_services.my_deliveries(request.user)
    page = Paginator(notices, PAGE_SIZE).get_page(request.GET.get("page"))
    language = getattr(request, "LANGUAGE_CODE", "")
    rows = [(notice, _headline(notice.alert, language)) for notice in page]
    return render(
        request,
        "warning/alerts/mine.html",
        {"page": page, "rows": rows, "unread": delivery_services.unread_count(request.user)},
    )


@require_POST
@login_required
def mark_read(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponse:
    user = request.user
    notice = (
        Delivery.objects.filter(uuid=uuid, user=user).first() if isinstance(user, User) else None
    )
    if notice is None:
        raise Http404
    delivery_services.mark_read(notice, by=request.user)
    return redirect("warning:my_alerts")


# -- staff: the deliveries dashboard ----------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def deliveries_dashboard(request: HttpRequest) -> HttpResponse:
    if not delivery_services.may_manage_deliveries(request.user):
        raise Http404
    shown = delivery_services.dashboard_deliveries(request.user)
    error = ""
    if request.method == "POST":
        try:
            delivery_id = uuid_module.UUID(request.POST.get("delivery", ""))
        except ValueError:
            delivery_id = None
        target = shown.filter(uuid=delivery_id).first() if delivery_id else None
        if target is None:
            error = _("Choose a delivery of an alert you manage.")
        else:
            try:
                delivery_services.retry_now(target, by=request.user)
            except DomainError as refused:
                error = refused.message
            else:
                messages.success(request, _("Sending again now."))
                return redirect("warning:deliveries")
    state = request.GET.get("state", "")
    if state in ("failed", "retrying", "queued", "sent"):
        shown = shown.filter(state=state)
    page = Paginator(shown, PAGE_SIZE).get_page(request.GET.get("page"))
    unrouted = (
        visible_alerts(request.user)
        # Imported alerts nobody vouches for are never sent: they did not fail to reach anyone.
        .filter(ROUTABLE, state=AlertState.ISSUED, level="", msg_type="Alert")
        .order_by("-issued_at")[:50]
    )
    return render(
        request,
        "warning/alerts/deliveries.html",
        {"page": page, "error": error, "unrouted": list(unrouted), "state": state},
        status=400 if error else 200,
    )
