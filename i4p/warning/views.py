"""Early-warning pages: the report form, "my reports", review queue, report page, triage,
incidents.

Server-rendered, no script needed, light enough for a small phone on 2G. Reporter identity
never reaches these templates: staff see the reporter's handle, and a triage message shows
its text only, never its sender.
"""

from __future__ import annotations

import uuid as uuid_module
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_safe

from i4p.accounts.models import RoleGrant, User
from i4p.accounts.permissions import Perm, roles_with
from i4p.accounts.selectors import can, has_anywhere, scope_of
from i4p.core.errors import DomainError, NotFound
from i4p.geo.models import Place, PlaceKind
from i4p.warning import incidents as incident_services
from i4p.warning import review
from i4p.warning.forms import (
    AssignForm,
    EditReportForm,
    IncidentConfirmForm,
    QueueFilterForm,
    ReasonForm,
    ReportForm,
    SplitForm,
    TriageReportForm,
    VerdictForm,
    place_by_uuid,
)
from i4p.warning.intake import Words, active_framework, inbound_payload, inbound_sender
from i4p.warning.models import (
    EventType,
    ExternalEvent,
    InboundMessage,
    IndicatorFramework,
    Report,
    ReportField,
    Verification,
)
from i4p.warning.responses import feedback_status
from i4p.warning.selectors import (
    QueueFilters,
    external_candidates,
    incident_for,
    incident_reports,
    my_reports,
    report_for,
    report_history,
    review_queue,
    triage_messages,
    visible_incidents,
)
from i4p.warning.webform import submit_web_report

PAGE_SIZE = 25
# The intake service names the report's fields; the form asks them under these names.
FIELD_OF = {"occurred_at": "occurred_on", "occurred_until": "occurred_on", "verdict": "verdict"}
NO_UUID = uuid_module.UUID(int=0)  # matches nothing: a bad id finds no row
# Keys under which the gateways put the text of a message (never the sender's).
TEXT_KEYS = ("text", "Body", "body", "message", "content", "description", "msg")
# Districts and regions offered in pickers: bounded, so a page stays light.
PICKER_KINDS = (PlaceKind.COUNTRY, PlaceKind.ADMIN1, PlaceKind.ADMIN2)
PICKER_LIMIT = 300
# What each audit action means, in words a reader of the timeline understands.
ACTIONS = {
    "report.received": _lazy("received"),
    "report.locked": _lazy("took the edit lock"),
    "report.lock_renewed": _lazy("renewed the edit lock"),
    "report.unlocked": _lazy("released the edit lock"),
    "report.lock_broken": _lazy("broke the edit lock"),
    "report.assigned": _lazy("assigned it"),
    "report": _lazy("gave a verdict"),
    "report.edited": _lazy("corrected it"),
    "report.triage_cleared": _lazy("cleared the triage flag"),
}


def _explain(form: Any, error: DomainError) -> None:
    """Put a service's complaint next to the fields it names, or on top of the form."""
    placed = False
    for name, problems in error.fields.items():
        target = FIELD_OF.get(name, name.replace("answers.", "answer_"))
        for problem in problems:
            if target in form.fields:
                form.add_error(target, problem)
                placed = True
    if not placed:
        form.add_error(None, error.message)


def _framework() -> IndicatorFramework | None:
    try:
        return active_framework()
    except DomainError:
        return None


def _scope_places(user: Any, perm: Perm) -> list[Place]:
    """Countries, regions and districts in the user's scope, for pickers and filters."""
    scope = scope_of(user, perm)
    if scope.nowhere:
        return []
    inside = Q()
    for prefix in scope.paths:
        inside |= Q(path__startswith=prefix)
    return list(
        Place.objects.filter(inside, kind__in=PICKER_KINDS)
        .select_related("parent")
        .order_by("path")[:PICKER_LIMIT]
    )


# -- the report form ---------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def report_form(request: HttpRequest) -> HttpResponse:
    """The web form of the intake service; anonymous when the instance allows it."""
    if not request.user.is_authenticated and not settings.I4P_PUBLIC_REPORTS:
        return redirect(f"{reverse('accounts:login')}?next={request.path}")
    framework = _framework()
    if framework is None:
        raise Http404(_("Reports cannot be sent yet: no indicator framework is loaded."))
    if request.method != "POST":
        form = ReportForm(initial={"token": str(uuid_module.uuid4())}, framework=framework)
        return render(request, "warning/report_form.html", {"form": form})
    form = ReportForm(request.POST, framework=framework)
    if "find" in request.POST:  # "Find the place": show the namesakes, send nothing
        return render(
            request, "warning/report_form.html", {"form": form, "finding": True}, status=200
        )
    if form.is_valid():
        try:
            _report, _created = submit_web_report(
                form.draft(),
                by=request.user,
                payload=form.raw(),
                sender=form.identity(),
                consents=form.cleaned_data["consent"],
                token=form.cleaned_data["token"],
            )
        except DomainError as error:
            _explain(form, error)
        else:
            messages.success(request, _("Thank you. Your report is stored."))
            if request.user.is_authenticated:
                return redirect("warning:my_reports")
            return redirect("warning:report_sent")
    return render(request, "warning/report_form.html", {"form": form}, status=200)


@require_safe
def report_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "warning/report_sent.html")


@require_safe
@login_required
def my_reports_page(request: HttpRequest) -> HttpResponse:
    page = Paginator(my_reports(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    # What became of each report, in neutral words ("Acted on"); never who acted.
    status = feedback_status(page.object_list)
    for report in page.object_list:
        report.feedback = status.get(report.pk, "")  # type: ignore[attr-defined]
    return render(request, "warning/my_reports.html", {"page": page})


# -- the review queue --------------------------------------------------------------------------


def _require_reviewer(request: HttpRequest) -> None:
    if not has_anywhere(request.user, Perm.REVIEW):
        raise Http404  # not a reviewer: the review pages do not exist for them


def _uuid(value: str) -> uuid_module.UUID | None:
    try:
        return uuid_module.UUID(value)
    except ValueError:
        return None


@require_safe
@login_required
def queue(request: HttpRequest) -> HttpResponse:
    _require_reviewer(request)
    places = _scope_places(request.user, Perm.REVIEW)
    framework = _framework()
    form = QueueFilterForm(request.GET or None, places=places, framework=framework)
    filters = QueueFilters()
    if form.is_valid():
        data = form.cleaned_data
        place_id = _uuid(data["place"] or "")
        type_id = _uuid(data["event_type"] or "")
        filters = QueueFilters(
            status=data["status"],
            triage={"yes": True, "no": False}.get(data["triage"]),
            place=next((p for p in places if p.uuid == place_id), None),
            event_type=EventType.objects.filter(uuid=type_id).first() if type_id else None,
            assigned_to_me=data["mine"],
        )
    query = request.GET.copy()
    query.pop("page", None)
    page = Paginator(review_queue(request.user, filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "warning/queue.html",
        {"form": form, "page": page, "query": query.urlencode(), "now": timezone.now()},
    )


# -- one report --------------------------------------------------------------------------------


def _reviewers(report: Report) -> list[User]:
    """Users who can review this report's place: the ones it may be assigned to."""
    if report.place is None:
        condition = Q(place__isnull=True)
    else:
        ids = report.place.path.strip("/").split("/")
        ancestors = ["/" + "/".join(ids[: depth + 1]) + "/" for depth in range(len(ids))]
        condition = Q(place__isnull=True) | Q(place__path__in=ancestors)
    grants = RoleGrant.objects.filter(condition, role__in=roles_with(Perm.REVIEW))
    return list(
        User.objects.filter(pk__in=grants.values("user_id"), is_active=True).order_by("username")
    )


def _answers(report: Report) -> list[tuple[str, Any]]:
    labels = dict(
        ReportField.objects.filter(framework_id=report.framework_id).values_list("key", "label")
    )
    return [(labels.get(key, key), value) for key, value in report.answers.items()]


def _timeline(report: Report) -> list[dict[str, Any]]:
    """Who did what when. The reporter is named by handle, never by their account."""
    reporter_user = report.reporter.user_id if report.reporter else None
    rows = []
    for event in report_history(report):
        who = event.by_label or _("the system")
        if reporter_user is not None and event.by_id == reporter_user:
            who = _("reporter %(handle)s") % {"handle": report.reporter}
        # Reviewers' own notes are shown; the intake's notes name only the channel.
        rows.append(
            {
                "at": event.at,
                "who": who,
                "action": ACTIONS.get(event.action.split(".judged.")[0], event.action),
                "verdict": _verdict_label(event.action),
                "fields": event.fields,
                "note": event.note,
            }
        )
    return rows


def _verdict_label(action: str) -> str:
    if ".judged." not in action:
        return ""
    code = action.split(".judged.")[1]
    return str(Verification(code).label) if code in Verification.values else code


def _report_context(request: HttpRequest, report: Report, **bound: Any) -> dict[str, Any]:
    user = request.user
    reviewer = review.can_review(user, report)
    context: dict[str, Any] = {
        "report": report,
        "answers": _answers(report),
        "reviewer": reviewer,
        "history": _timeline(report)
        if reviewer or can(user, Perm.VIEW_REPORTS, report.place)
        else [],
        "holder": review.lock_holder(report),
        "can_break": can(user, Perm.BREAK_LOCK, report.place),
    }
    if reviewer:
        holder = context["holder"]
        context["holding"] = holder is not None and holder.pk == user.pk
        context["verdict_form"] = bound.get("verdict") or VerdictForm(
            initial={
                "verdict": report.verification if report.verification != "pending" else None,
                "reliability": report.source_reliability,
                "credibility": report.information_credibility,
                "duplicate_of": report.duplicate_of.uuid if report.duplicate_of else None,
            }
        )
        context["edit_form"] = bound.get("edit") or EditReportForm(
            initial={
                "event_type": str(report.event_type.uuid) if report.event_type else "",
                "killed": report.killed,
                "injured": report.injured,
                "displaced": report.displaced,
                "sensitivity": report.sensitivity,
                "visibility": report.visibility,
            },
            places=_scope_places(user, Perm.REVIEW),
            framework=report.framework,
        )
        context["assign_form"] = bound.get("assign") or AssignForm(
            initial={"assigned_to": str(report.assigned_to.uuid) if report.assigned_to else ""},
            reviewers=_reviewers(report),
        )
        context["break_form"] = bound.get("break") or ReasonForm()
    context["error"] = bound.get("error", "")
    return context


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def report_page(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponse:
    try:
        report = report_for(request.user, uuid)
    except NotFound as missing:
        raise Http404(missing.message) from None
    if request.method != "POST":
        return render(request, "warning/report.html", _report_context(request, report))
    if not review.can_review(request.user, report):
        raise Http404
    action = request.POST.get("action", "")
    bound: dict[str, Any] = {}
    try:
        done = _act(request, report, action, bound)
    except DomainError as error:
        for form in bound.values():
            _explain(form, error)
        bound["error"] = error.message
        done = ""
    if done:
        messages.success(request, done)
        return redirect("warning:report", uuid=report.uuid)
    if not bound:
        bound["error"] = _("Choose what to do.")
    report.refresh_from_db()
    return render(request, "warning/report.html", _report_context(request, report, **bound))


def _act(request: HttpRequest, report: Report, action: str, bound: dict[str, Any]) -> str:
    """Run one action of the report page; the message to show, or "" when a form has errors."""
    user = request.user
    if action == "lock":
        review.take_lock(report, by=user)
        return _("You hold the edit lock; it expires if you do nothing.")
    if action == "release":
        review.release_lock(report, by=user)
        return _("Lock released.")
    if action == "break":
        form = ReasonForm(request.POST)
        bound["break"] = form
        if not form.is_valid():
            return ""
        review.break_lock(report, by=user, reason=form.cleaned_data["reason"])
        return _("The lock is broken.")
    if action == "verdict":
        verdict = VerdictForm(request.POST)
        bound["verdict"] = verdict
        if not verdict.is_valid():
            return ""
        data = verdict.cleaned_data
        original = None
        if data["duplicate_of"]:
            original = Report.objects.filter(uuid=data["duplicate_of"]).first()
            if original is None:
                verdict.add_error("duplicate_of", _("No report has this id."))
                return ""
        review.judge_report(
            report,
            by=user,
            verdict=data["verdict"],
            reliability=data["reliability"],
            credibility=data["credibility"],
            duplicate_of=original,
            note=data["note"],
        )
        return _("Verdict recorded.")
    if action == "edit":
        edit = EditReportForm(
            request.POST, places=_scope_places(user, Perm.REVIEW), framework=report.framework
        )
        bound["edit"] = edit
        if not edit.is_valid():
            return ""
        data = edit.cleaned_data
        changes = review.ReportChanges(
            killed=data["killed"],
            injured=data["injured"],
            displaced=data["displaced"],
            sensitivity=data["sensitivity"],
            visibility=data["visibility"],
            event_type=EventType.objects.filter(
                framework=report.framework, uuid=_uuid(data["event_type"]) or NO_UUID
            ).first()
            if data["event_type"]
            else None,
        )
        if data["place"]:
            changes.place = place_by_uuid(data["place"])
        review.edit_report(report, by=user, changes=changes, note=data["note"])
        return _("Report corrected.")
    if action == "assign":
        assign = AssignForm(request.POST, reviewers=_reviewers(report))
        bound["assign"] = assign
        if not assign.is_valid():
            return ""
        chosen = assign.cleaned_data["assigned_to"]
        to = User.objects.filter(uuid=chosen).first() if chosen else None
        review.assign_report(report, by=user, to=to)
        return _("Assignment saved.")
    if action == "clear_triage":
        review.clear_triage(report, by=user)
        return _("The triage flag is cleared.")
    return ""


# -- triage ------------------------------------------------------------------------------------


def message_text(inbound: InboundMessage) -> str:
    """The words of a message, decrypted and masked as a report's are (`intake.Words`); the
    sender and every other field stay sealed."""
    payload = inbound_payload(inbound)
    for key in TEXT_KEYS:
        value = payload.get(key)
        if isinstance(value, str) and value.strip():
            country = inbound.gateway.country_code if inbound.gateway is not None else ""
            words = Words.of(inbound_sender(inbound), reporter=inbound.reporter, country=country)
            return words.mask(value)
    return ""


@require_safe
@login_required
def triage(request: HttpRequest) -> HttpResponse:
    _require_reviewer(request)
    page = Paginator(triage_messages(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(inbound, message_text(inbound)) for inbound in page.object_list]
    flagged = review_queue(request.user, QueueFilters(triage=True)).count()
    return render(request, "warning/triage.html", {"page": page, "rows": rows, "flagged": flagged})


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def triage_message(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponse:
    inbound = triage_messages(request.user).filter(uuid=uuid).first()
    framework = _framework()
    if inbound is None or framework is None:
        raise Http404
    places = [inbound.place] if inbound.place else []
    text = message_text(inbound)
    form = TriageReportForm(initial={"description": text}, framework=framework, places=places)
    dismiss = ReasonForm()
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "report":
                form = TriageReportForm(request.POST, framework=framework, places=places)
                if form.is_valid() and "find" not in request.POST:
                    report = review.report_from_triage(inbound, form.draft(), by=request.user)
                    messages.success(request, _("The message is now a report."))
                    return redirect("warning:report", uuid=report.uuid)
            elif action == "dismiss":
                dismiss = ReasonForm(request.POST)
                if dismiss.is_valid():
                    review.dismiss_inbound(
                        inbound, by=request.user, reason=dismiss.cleaned_data["reason"]
                    )
                    messages.success(request, _("The message is set aside, not deleted."))
                    return redirect("warning:triage")
            else:
                form.add_error(None, _("Choose what to do."))
        except DomainError as error:
            _explain(form if action == "report" else dismiss, error)
    return render(
        request,
        "warning/triage_message.html",
        {"inbound": inbound, "text": text, "form": form, "dismiss": dismiss},
    )


# -- incidents ---------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def incidents(request: HttpRequest) -> HttpResponse:
    if not has_anywhere(request.user, Perm.VIEW_REPORTS):
        raise Http404
    error = ""
    if request.method == "POST":
        if request.POST.get("action") != "suggest":
            error = _("Choose what to do.")
        else:
            try:
                found = incident_services.suggest_incidents(by=request.user)
            except DomainError as refused:
                error = refused.message
            else:
                messages.success(
                    request,
                    _("%(n)s incidents suggested or extended.") % {"n": len(found)},
                )
                return redirect("warning:incidents")
    page = Paginator(visible_incidents(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "warning/incidents.html",
        {
            "page": page,
            "error": error,
            "reviewer": has_anywhere(request.user, Perm.REVIEW),
        },
        status=200,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def incident_page(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponse:
    try:
        incident = incident_for(request.user, uuid)
    except NotFound as missing:
        raise Http404(missing.message) from None
    reports = list(incident_reports(request.user, incident))
    choices = [(str(r.uuid), str(r)) for r in reports]
    confirm = IncidentConfirmForm(initial={"title": incident.title})
    split = SplitForm(choices=choices)
    error = ""
    reviewer = can(request.user, Perm.REVIEW, incident.place)
    if request.method == "POST":
        if not reviewer:
            raise Http404
        action = request.POST.get("action", "")
        try:
            done = ""
            if action == "confirm":
                confirm = IncidentConfirmForm(request.POST)
                if confirm.is_valid():
                    incident_services.confirm_incident(
                        incident, by=request.user, title=confirm.cleaned_data["title"]
                    )
                    done = _("Incident confirmed.")
            elif action == "split":
                split = SplitForm(request.POST, choices=choices)
                if split.is_valid():
                    chosen = set(split.cleaned_data["reports"])
                    other = incident_services.split_incident(
                        incident, [r for r in reports if str(r.uuid) in chosen], by=request.user
                    )
                    messages.success(request, _("The chosen reports are a separate incident."))
                    return redirect("warning:incident", uuid=other.uuid)
            elif action in ("attach", "detach"):
                event = ExternalEvent.objects.filter(
                    uuid=_uuid(request.POST.get("event", "")) or NO_UUID
                ).first()
                if event is None:
                    error = _("Choose an external event.")
                elif action == "attach":
                    incident_services.attach_external_event(incident, event, by=request.user)
                    done = _("External event attached.")
                else:
                    incident_services.detach_external_event(incident, event, by=request.user)
                    done = _("External event detached.")
            else:
                error = _("Choose what to do.")
            if done:
                messages.success(request, done)
                return redirect("warning:incident", uuid=incident.uuid)
        except DomainError as refused:
            error = refused.message
        if not error and not (confirm.errors or split.errors):
            error = _("Check the form.")
    return render(
        request,
        "warning/incident.html",
        {
            "incident": incident,
            "reports": reports,
            "attached": list(incident.external_events.select_related("place")),
            "candidates": list(external_candidates(incident)[:20]) if reviewer else [],
            "confirm": confirm,
            "split": split,
            "reviewer": reviewer,
            "error": error,
        },
    )
