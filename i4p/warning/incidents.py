"""Grouping reports about the same event into incidents, and triangulating with external data.

The machine only suggests: reports of the same kind of event (the same ACLED top-level type),
placed in the same district, within a time window, become a *suggested* incident. An analyst
confirms it, or splits off the reports that describe another event. External events (UCDP,
ACLED) are attached by an analyst for triangulation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from i4p.accounts.permissions import Perm
from i4p.accounts.selectors import can, scope_of
from i4p.core.audit import record_event
from i4p.core.errors import Invalid, NotAllowed, WrongState
from i4p.geo.models import Place
from i4p.warning.models import (
    ExternalEvent,
    Incident,
    IncidentStatus,
    Report,
    ReportKind,
    Verification,
)

# Reports this far apart in time are not taken for one event without a person saying so.
WINDOW = dt.timedelta(hours=48)
# Only recent reports are grouped automatically; older ones are history.
LOOK_BACK = dt.timedelta(days=60)
# country / admin1 / admin2: a district is the third step of a place's path.
DISTRICT_DEPTH = 2


def district_path(place: Place) -> str:
    """The path of the district holding `place`, or the place's own path above districts."""
    ids = place.path.strip("/").split("/")
    return "/" + "/".join(ids[: DISTRICT_DEPTH + 1]) + "/"


def event_family(code: str) -> str:
    """ACLED's top-level type: "battles.armed_clash" and "battles" are the same family."""
    return code.split(".", 1)[0]


def _check(user: Any, place: Place | None) -> None:
    if not can(user, Perm.REVIEW, place):
        raise NotAllowed("You cannot group reports in this area.")


def _groupable(by: Any, now: dt.datetime) -> list[Report]:
    scope = scope_of(by, Perm.REVIEW)
    return list(
        Report.objects.filter(
            scope.q("place"),
            kind=ReportKind.INCIDENT,
            incident__isnull=True,
            place__isnull=False,
            event_type__isnull=False,
            occurred_at__gte=now - LOOK_BACK,
        )
        .exclude(verification__in=[Verification.FALSE, Verification.DUPLICATE])
        .select_related("place", "event_type")
        .order_by("occurred_at", "pk")
    )


@transaction.atomic
def suggest_incidents(*, by: Any, now: dt.datetime | None = None) -> list[Incident]:
    """Group the loose reports of `by`'s area; returns the incidents suggested or extended.

    A loose report joins a suggested incident of its family and district when it falls in the
    window; loose reports that fit each other start a new suggested incident.
    """
    now = now or timezone.now()
    if scope_of(by, Perm.REVIEW).nowhere:
        raise NotAllowed("You cannot group reports.")
    reports = _groupable(by, now)
    if not reports:
        return []
    open_incidents = list(
        Incident.objects.filter(
            status=IncidentStatus.SUGGESTED,
            place__isnull=False,
            event_type__isnull=False,
            occurred_at__gte=now - LOOK_BACK - WINDOW,
        ).select_related("place", "event_type")
    )
    touched: dict[int, Incident] = {}
    loose: dict[tuple[str, str], list[Report]] = {}
    for report in reports:
        assert report.place is not None and report.event_type is not None
        key = (district_path(report.place), event_family(report.event_type.code))
        match = next(
            (
                incident
                for incident in open_incidents
                if incident.place is not None
                and incident.event_type is not None
                and incident.occurred_at is not None
                and report.occurred_at is not None
                and (district_path(incident.place), event_family(incident.event_type.code)) == key
                and abs(report.occurred_at - incident.occurred_at) <= WINDOW
            ),
            None,
        )
        if match is not None:
            report.incident = match
            report.save(update_fields=["incident", "updated_at"])
            touched[match.pk] = match
        else:
            loose.setdefault(key, []).append(report)
    districts = {
        place.path: place
        for place in Place.objects.filter(path__in=[path for path, _family in loose])
    }
    for (path, _family), group in loose.items():
        for cluster in _clusters(group):
            if len(cluster) < 2:
                continue
            first = cluster[0]
            assert first.event_type is not None
            place = districts.get(path) or first.place
            incident = Incident.objects.create(
                title=f"{first.event_type.name} — {place}"[:200],
                event_type=first.event_type,
                place=place,
                occurred_at=first.occurred_at,
                status=IncidentStatus.SUGGESTED,
            )
            Report.objects.filter(pk__in=[r.pk for r in cluster]).update(
                incident=incident, updated_at=now
            )
            touched[incident.pk] = incident
    for incident in touched.values():
        record_event(incident, "incident.suggested", by=by, fields=["reports"])
    return list(touched.values())


def _clusters(reports: list[Report]) -> Iterable[list[Report]]:
    """Reports (sorted by time) cut wherever one falls outside the window of its cluster."""
    cluster: list[Report] = []
    for report in reports:
        assert report.occurred_at is not None
        start = cluster[0].occurred_at if cluster else None
        if start is not None and report.occurred_at - start > WINDOW:
            yield cluster
            cluster = []
        cluster.append(report)
    if cluster:
        yield cluster


@transaction.atomic
def confirm_incident(incident: Incident, *, by: Any, title: str = "") -> Incident:
    """An analyst agrees these reports describe one event."""
    _check(by, incident.place)
    if incident.status == IncidentStatus.CONFIRMED:
        raise WrongState("This incident is already confirmed.")
    fields = ["status", "confirmed_by", "confirmed_at"]
    incident.status = IncidentStatus.CONFIRMED
    incident.confirmed_by = by
    incident.confirmed_at = timezone.now()
    if title.strip():
        incident.title = title.strip()[:200]
        fields.append("title")
    incident.save(update_fields=[*fields, "updated_at"])
    record_event(incident, "incident.confirmed", by=by, fields=fields)
    return incident


@transaction.atomic
def split_incident(incident: Incident, reports: list[Report], *, by: Any) -> Incident:
    """The chosen reports describe another event: they become an incident of their own.

    Both are confirmed, since a person has now judged them; the grouping is not suggested
    again.
    """
    _check(by, incident.place)
    members = set(incident.reports.values_list("pk", flat=True))
    chosen = [report for report in reports if report.pk in members]
    if not chosen or len(chosen) != len(reports):
        raise Invalid(
            "Choose reports of this incident.", fields={"reports": ["Choose some reports."]}
        )
    if len(chosen) == len(members):
        raise Invalid(
            "Leave at least one report in the incident.",
            fields={"reports": ["Not every report."]},
        )
    now = timezone.now()
    first = min(chosen, key=lambda r: (r.occurred_at or now, r.pk))
    other = Incident.objects.create(
        title=(f"{first.event_type.name if first.event_type else first} — {first.place or ''}")[
            :200
        ],
        event_type=first.event_type or incident.event_type,
        place=incident.place,
        occurred_at=first.occurred_at,
        status=IncidentStatus.CONFIRMED,
        confirmed_by=by,
        confirmed_at=now,
    )
    Report.objects.filter(pk__in=[r.pk for r in chosen]).update(incident=other, updated_at=now)
    for report in chosen:
        report.incident = other
    record_event(other, "incident.split_off", by=by, fields=["reports"], note=str(incident.uuid))
    if incident.status != IncidentStatus.CONFIRMED:
        incident.status = IncidentStatus.CONFIRMED
        incident.confirmed_by = by
        incident.confirmed_at = now
        incident.save(update_fields=["status", "confirmed_by", "confirmed_at", "updated_at"])
    record_event(incident, "incident.split", by=by, fields=["reports", "status"])
    return other


@transaction.atomic
def attach_external_event(incident: Incident, event: ExternalEvent, *, by: Any) -> Incident:
    """Another data set saw the same event: keep the link for triangulation."""
    _check(by, incident.place)
    if incident.external_events.filter(pk=event.pk).exists():
        raise WrongState("This external event is already attached.")
    incident.external_events.add(event)
    record_event(incident, "incident.external_attached", by=by, fields=["external_events"])
    return incident


@transaction.atomic
def detach_external_event(incident: Incident, event: ExternalEvent, *, by: Any) -> Incident:
    _check(by, incident.place)
    if not incident.external_events.filter(pk=event.pk).exists():
        raise WrongState("This external event is not attached.")
    incident.external_events.remove(event)
    record_event(incident, "incident.external_detached", by=by, fields=["external_events"])
    return incident
