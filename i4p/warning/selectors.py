"""Reading reports: every query is scoped by role and place here, so no caller can forget."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from i4p.accounts.permissions import Perm
from i4p.accounts.selectors import scope_of
from i4p.core.errors import Invalid, NotAllowed, NotFound
from i4p.core.kept import Kept
from i4p.core.models import AuditEvent
from i4p.geo.models import Place
from i4p.warning.models import (
    EventType,
    ExternalEvent,
    InboundMessage,
    Incident,
    IndicatorFramework,
    Observation,
    Report,
    ReportField,
    Sensitivity,
)


def visible_reports(user: Any) -> QuerySet[Report]:
    """Reports `user` may read: their own, plus every report in their place scope.

    A monitor sees what they sent; a district analyst the district's reports; a national
    analyst the country's. Restricted reports stay with staff who hold the reveal grant there.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return Report.objects.none()
    scope = scope_of(user, Perm.VIEW_REPORTS)
    own = Q(reporter__user=user)
    if scope.nowhere:
        condition = own
    else:
        in_scope = scope.q("place")
        restricted = Q(sensitivity=Sensitivity.RESTRICTED)
        reveal = scope_of(user, Perm.REVEAL_IDENTITY)
        in_scope &= ~restricted | reveal.q("place")
        condition = own | in_scope
    return (
        Report.objects.filter(condition)
        .select_related("place", "event_type", "reporter", "incident", "framework")
        .order_by("-received_at", "-pk")
    )


def report_for(user: Any, report_uuid: uuid.UUID) -> Report:
    report = visible_reports(user).filter(uuid=report_uuid).first()
    if report is None:
        raise NotFound("No such report, or not one you may see.")
    return report


def triage_messages(user: Any) -> QuerySet[InboundMessage]:
    """Inbound messages waiting for a person, in the reviewer's place scope.

    Messages with no place yet are seen by reviewers whose scope is everywhere, or by the
    country's reviewers once the gateway's country is known.
    """
    scope = scope_of(user, Perm.REVIEW)
    if scope.nowhere:
        return InboundMessage.objects.none()
    condition = scope.q("place")
    if scope.everywhere:
        condition = Q(pk__isnull=False)
    return (
        InboundMessage.objects.filter(condition, state="triage")
        .select_related("gateway", "reporter", "place")
        .order_by("received_at", "pk")
    )


# -- the reports API: filters, the framework, external events ---------------------------------


@dataclass(frozen=True)
class ReportFilters:
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    place: Place | None = None  # this place and every place inside it
    event_type: str = ""  # a code; its sub-types count too
    kind: str = ""
    verification: str = ""
    triage: bool | None = None


def _type_code(field: str, code: str) -> Q:
    return Q(**{f"{field}__code": code}) | Q(**{f"{field}__code__startswith": code + "."})


def filtered_reports(user: Any, filters: ReportFilters) -> QuerySet[Report]:
    """`visible_reports` narrowed by time (when it occurred), place, type, state."""
    reports = visible_reports(user)
    if filters.since is not None:
        reports = reports.filter(occurred_at__gte=filters.since)
    if filters.until is not None:
        reports = reports.filter(occurred_at__lt=filters.until)
    if filters.place is not None:
        reports = reports.filter(place__path__startswith=filters.place.path)
    if filters.event_type:
        reports = reports.filter(_type_code("event_type", filters.event_type))
    if filters.kind:
        reports = reports.filter(kind=filters.kind)
    if filters.verification:
        reports = reports.filter(verification=filters.verification)
    if filters.triage is not None:
        reports = reports.filter(needs_triage=filters.triage)
    return reports.prefetch_related(
        Prefetch("observations", queryset=Observation.objects.select_related("indicator"))
    )


# Places named by requests, kept per process: a client sending many reports names the same few.
_places_by_uuid: Kept[Place | None] = Kept("places by uuid", changed_by=(Place,), copies=True)


def place_named(place_uuid: uuid.UUID | None, field: str) -> Place | None:
    """The place a request names by UUID; an unknown one is an error, not "anywhere"."""
    if place_uuid is None:
        return None
    place = _places_by_uuid.read(place_uuid, lambda: Place.objects.filter(uuid=place_uuid).first())
    if place is None:
        raise Invalid("No place has this id.", fields={field: ["Unknown place."]})
    return place


def current_framework() -> IndicatorFramework:
    """The active framework with everything a client needs to build its forms."""
    framework = (
        IndicatorFramework.objects.filter(is_active=True)
        .order_by("slug", "-version")
        .prefetch_related(
            "indicators",
            Prefetch("event_types", queryset=EventType.objects.select_related("parent")),
            Prefetch("fields", queryset=ReportField.objects.filter(is_active=True)),
        )
        .first()
    )
    if framework is None:
        raise NotFound("No indicator framework is active.")
    return framework


@dataclass(frozen=True)
class ExternalEventFilters:
    source: str = ""
    since: dt.date | None = None
    until: dt.date | None = None
    place: Place | None = None
    event_type: str = ""


def visible_external_events(user: Any, filters: ExternalEventFilters) -> QuerySet[ExternalEvent]:
    """External events in the places where `user` may read reports.

    Events placed nowhere (a point at sea) are for staff whose scope is everywhere.
    """
    scope = scope_of(user, Perm.VIEW_REPORTS)
    if scope.nowhere:
        raise NotAllowed("Only staff who read reports may see external events.")
    events = ExternalEvent.objects.filter(scope.q("place"))
    if filters.source:
        events = events.filter(source=filters.source)
    if filters.since is not None:
        events = events.filter(occurred_from__gte=filters.since)
    if filters.until is not None:
        events = events.filter(occurred_from__lte=filters.until)
    if filters.place is not None:
        events = events.filter(place__path__startswith=filters.place.path)
    if filters.event_type:
        events = events.filter(_type_code("event_type", filters.event_type))
    return events.select_related("place", "event_type").order_by("-occurred_from", "-pk")


# -- review: queue, history, incidents (review pages and API) ------------------------------


@dataclass(frozen=True)
class QueueFilters:
    """What a reviewer narrows the queue to; empty values leave a filter out."""

    status: str = ""  # a Verification value
    triage: bool | None = None
    place: Place | None = None
    event_type: EventType | None = None
    assigned_to_me: bool = False


def review_queue(user: Any, filters: QueueFilters = QueueFilters()) -> QuerySet[Report]:
    """Reports the reviewer may review (place scope of Perm.REVIEW), oldest waiting first."""
    scope = scope_of(user, Perm.REVIEW)
    if scope.nowhere:
        return Report.objects.none()
    reports = visible_reports(user).filter(scope.q("place"))
    if filters.status:
        reports = reports.filter(verification=filters.status)
    if filters.triage is not None:
        reports = reports.filter(needs_triage=filters.triage)
    if filters.place is not None:
        reports = reports.filter(place__path__startswith=filters.place.path)
    if filters.event_type is not None:
        reports = reports.filter(
            Q(event_type=filters.event_type) | Q(event_type__parent=filters.event_type)
        )
    if filters.assigned_to_me:
        reports = reports.filter(assigned_to=user)
    return reports.select_related("assigned_to", "locked_by").order_by("received_at", "pk")


def my_reports(user: Any) -> QuerySet[Report]:
    """What a monitor sent, newest first, with what became of it."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Report.objects.none()
    return (
        Report.objects.filter(reporter__user=user)
        .select_related("place", "event_type")
        .order_by("-received_at", "-pk")
    )


def report_history(report: Report) -> QuerySet[AuditEvent]:
    """The report's audit events, oldest first: who did what when, field names only."""
    return AuditEvent.objects.filter(
        target_type=Report._meta.label_lower, target_uuid=report.uuid
    ).order_by("at", "pk")


def visible_incidents(user: Any) -> QuerySet[Incident]:
    """Incidents placed in the user's report scope."""
    scope = scope_of(user, Perm.VIEW_REPORTS)
    if scope.nowhere:
        return Incident.objects.none()
    return (
        Incident.objects.filter(scope.q("place"))
        .select_related("place", "event_type", "confirmed_by")
        .annotate(report_count=Count("reports", distinct=True))
        .order_by("-occurred_at", "-pk")
    )


def incident_for(user: Any, incident_uuid: uuid.UUID) -> Incident:
    incident = visible_incidents(user).filter(uuid=incident_uuid).first()
    if incident is None:
        raise NotFound("No such incident, or not one you may see.")
    return incident


def incident_reports(user: Any, incident: Incident) -> QuerySet[Report]:
    return visible_reports(user).filter(incident=incident).order_by("occurred_at", "pk")


def external_candidates(incident: Incident, *, days: int = 3) -> QuerySet[ExternalEvent]:
    """External events that may be the same event: same country (district when known), near
    in time, not yet attached."""
    events = ExternalEvent.objects.exclude(incidents=incident).select_related("place")
    if incident.place is not None:
        events = events.filter(
            Q(place__path__startswith=incident.place.path)
            | Q(place__isnull=True, country_code=incident.place.country_code)
        )
    if incident.occurred_at is not None:
        day = incident.occurred_at.date()
        events = events.filter(
            occurred_from__lte=day + dt.timedelta(days=days),
            occurred_until__gte=day - dt.timedelta(days=days),
        )
    return events.order_by("occurred_from", "pk")
