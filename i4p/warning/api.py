"""Early-warning API: reports, review, external events, exports."""

from __future__ import annotations

import datetime as _dt
import datetime as dt
import uuid
from typing import Annotated, Any, Literal
from uuid import UUID

from django.http import HttpRequest, StreamingHttpResponse
from ninja import Field, File, Form, Header, Query, Router, Schema, Status
from ninja.files import UploadedFile

from i4p.accounts.models import User
from i4p.accounts.permissions import Perm
from i4p.accounts.selectors import has_anywhere
from i4p.api.auth import anyone, require_write, token_or_session
from i4p.api.schemas import MAX_COUNT, InputSchema
from i4p.core.errors import Invalid, NotAllowed, NotFound
from i4p.geo.models import Place
from i4p.warning import active, external, intake, review, selectors
from i4p.warning import incidents as incident_services
from i4p.warning.export_views import BadFilters, record_export, report_filters, streamed
from i4p.warning.exports import ReportExport
from i4p.warning.gateways.conversation import ask_reporter
from i4p.warning.intake import Draft, active_framework
from i4p.warning.models import (
    Channel,
    EventType,
    ExternalEvent,
    Incident,
    InformationCredibility,
    Report,
    Sensitivity,
    SourceReliability,
    Visibility,
)
from i4p.warning.schemas import (
    ErrorOut,
    EventTypeOut,
    ExternalEventListOut,
    ExternalEventOut,
    ExternalEventQuery,
    FrameworkOut,
    ImportOut,
    ImportProblemOut,
    IndicatorOut,
    ReportFieldOut,
    ReportIn,
    ReportListOut,
    ReportOut,
    ReportQuery,
)
from i4p.warning.selectors import incident_for, report_for, triage_messages

router = Router(tags=["early warning"])


# -- reports, the framework, external events ---------------------------------------------------

ERRORS: dict[int, type[ErrorOut]] = {code: ErrorOut for code in (400, 401, 403, 404, 409)}


def _draft(payload: ReportIn) -> intake.Draft:
    """The request as the intake service reads it; names (codes, UUIDs) become records."""
    framework = intake.active_framework()
    event_type = None
    if payload.event_type:
        event_type = active.event_type(framework.pk, payload.event_type)
        if event_type is None:
            raise Invalid(
                "The framework has no such event type.",
                fields={"event_type": [f"Unknown code {payload.event_type!r}."]},
            )
    return intake.Draft(
        kind=payload.kind,
        framework=framework,
        event_type=event_type,
        occurred_at=payload.occurred_at,
        occurred_until=payload.occurred_until,
        time_precision=payload.time_precision,
        place=selectors.place_named(payload.place, "place"),
        latitude=payload.latitude,
        longitude=payload.longitude,
        location_text=payload.location_text,
        country=payload.country.upper(),
        title=payload.title,
        description=payload.description,
        language=payload.language,
        actors_text=payload.actors_text,
        killed=payload.killed,
        injured=payload.injured,
        displaced=payload.displaced,
        answers=dict(payload.answers),
        observations=dict(payload.observations),
    )


@router.post("/reports", auth=token_or_session, response={201: ReportOut, 200: ReportOut, **ERRORS})
def submit_report(
    request: HttpRequest,
    payload: ReportIn,
    idempotency_key: Annotated[
        str,
        Header(
            "",
            alias="Idempotency-Key",
            max_length=200,
            description="Send the same key again (a retry) and the report is stored once.",
        ),
    ] = "",
) -> Status[ReportOut]:
    """Send an incident or situation report (needs a write token or a session).

    The first answer is 201; a retry with the same `Idempotency-Key` answers 200 with the
    report stored the first time. The reporter's contact is sealed and never sent back.
    """
    require_write(request)
    draft = _draft(payload)
    contact = payload.reporter
    sender = intake.Identity(**contact.model_dump()) if contact is not None else intake.Identity()
    # The raw message as sent, without the contact: that travels sealed as the sender.
    raw = payload.model_dump(mode="json", exclude={"reporter"}, exclude_defaults=True)
    report, created = intake.submit_report(
        draft,
        by=request.user,
        channel=Channel.API,
        payload=raw,
        sender=sender,
        idempotency_key=idempotency_key.strip(),
    )
    if not created:
        return Status(200, ReportOut.of(selectors.report_for(request.user, report.uuid)))
    # The new report as stored: its place, type and reporter are already at hand.
    return Status(201, ReportOut.of(report, observations=None if payload.observations else []))


@router.get("/reports", auth=token_or_session, response={200: ReportListOut, **ERRORS})
def list_reports(request: HttpRequest, query: Query[ReportQuery]) -> ReportListOut:
    """Reports the caller may read (their own, and those in their place scope), newest first."""
    filters = selectors.ReportFilters(
        since=query.since,
        until=query.until,
        place=selectors.place_named(query.place, "place"),
        event_type=query.event_type,
        kind=query.kind or "",
        verification=query.verification or "",
        triage=query.triage,
    )
    reports = selectors.filtered_reports(request.user, filters)
    page = list(reports[query.offset : query.offset + query.limit])
    if len(page) < query.limit and (page or query.offset == 0):
        count = query.offset + len(page)  # a short page tells the total: no second query
    else:
        count = reports.count()
    return ReportListOut(
        count=count,
        limit=query.limit,
        offset=query.offset,
        items=[ReportOut.of(report) for report in page],
    )


# -- exports (before /reports/{report_uuid}, which would take "export" for an id) --


class ReportExportQuery(Schema):
    format: Literal["csv", "geojson", "json"] = Field(
        "csv", description="csv (with HXL hashtags), geojson (RFC 7946) or json."
    )
    kind: Literal["", "incident", "situation"] = ""
    verification: Literal["", "pending", "verified", "credible", "false", "duplicate"] = ""
    event_type: str = Field("", max_length=60, pattern=r"^[\w.]*$", description="Event type code.")
    place: UUID | None = Field(None, description="A place id: reports in it and below.")
    since: dt.date | None = Field(None, description="Occurred on or after.")
    until: dt.date | None = Field(None, description="Occurred on or before.")


@router.get(
    "/reports/export",
    auth=anyone,
    response={200: None, **{code: ErrorOut for code in (400, 401, 403, 404)}},
    summary="Export reports (streamed)",
)
def export_reports(request: HttpRequest, query: Query[ReportExportQuery]) -> StreamingHttpResponse:
    """Every report the caller may see, streamed; anonymous callers get the public export."""
    try:
        filters = report_filters(
            kind=query.kind,
            verification=query.verification,
            event_type=query.event_type,
            place=str(query.place or ""),
            since=query.since.isoformat() if query.since else "",
            until=query.until.isoformat() if query.until else "",
        )
    except BadFilters as error:
        raise Invalid(str(error)) from None
    record_export(request.user, query.format, request.GET.urlencode())
    return streamed(ReportExport(request.user, filters), query.format)


@router.get("/reports/{report_uuid}", auth=token_or_session, response={200: ReportOut, **ERRORS})
def get_report(request: HttpRequest, report_uuid: uuid.UUID) -> ReportOut:
    """One report the caller may read; another's or an unknown one is 404 alike."""
    return ReportOut.of(selectors.report_for(request.user, report_uuid))


@router.get("/framework", auth=token_or_session, response={200: FrameworkOut, **ERRORS})
def get_framework(request: HttpRequest) -> FrameworkOut:
    """The active framework: indicators, event types and extra fields, to build report forms."""
    framework = selectors.current_framework()
    return FrameworkOut(
        uuid=framework.uuid,
        slug=framework.slug,
        version=framework.version,
        name=framework.name,
        description=framework.description,
        indicators=[
            IndicatorOut(
                code=i.code,
                name=i.name,
                description=i.description,
                sector=i.sector,
                polarity=i.polarity,
                value_type=i.value_type,
            )
            for i in framework.indicators.all()
        ],
        event_types=[
            EventTypeOut(
                code=t.code,
                name=t.name,
                parent=t.parent.code if t.parent is not None else None,
                acled_event_type=t.acled_event_type,
                acled_sub_event_type=t.acled_sub_event_type,
                sms_code=t.sms_code,
                sector=t.sector,
            )
            for t in framework.event_types.all()
        ],
        fields=[
            ReportFieldOut(
                key=f.key,
                label=f.label,
                help_text=f.help_text,
                field_type=f.field_type,
                choices=list(f.choices),
                required=f.required,
                report_kind=f.report_kind,
            )
            for f in framework.fields.all()
        ],
    )


@router.get(
    "/external-events", auth=token_or_session, response={200: ExternalEventListOut, **ERRORS}
)
def list_external_events(
    request: HttpRequest, query: Query[ExternalEventQuery]
) -> ExternalEventListOut:
    """UCDP GED and ACLED events in the caller's report scope (staff who read reports)."""
    filters = selectors.ExternalEventFilters(
        source=query.source or "",
        since=query.since,
        until=query.until,
        place=selectors.place_named(query.place, "place"),
        event_type=query.event_type,
    )
    events = selectors.visible_external_events(request.user, filters)
    page = list(events[query.offset : query.offset + query.limit])
    if len(page) < query.limit and (page or query.offset == 0):
        count = query.offset + len(page)
    else:
        count = events.count()
    return ExternalEventListOut(
        count=count,
        limit=query.limit,
        offset=query.offset,
        items=[ExternalEventOut.of(event) for event in page],
    )


# Larger files go through `i4p import_events`, which shows progress and cannot time out.
MAX_IMPORT_BYTES = 20 * 1024 * 1024
SHOWN_PROBLEMS = 200


@router.post("/external-events/import", auth=token_or_session, response={200: ImportOut, **ERRORS})
def import_external_events(
    request: HttpRequest,
    file: File[UploadedFile],
    source: Form[Literal["ucdp", "acled"]],
) -> ImportOut:
    """Import a UCDP GED or ACLED-layout CSV (plain or gzipped, up to 20 MB) as external events.

    Bad rows are skipped and listed; good ones are kept; importing again updates, never
    duplicates. Needs the import grant and a write token.
    """
    require_write(request)
    if not has_anywhere(request.user, Perm.IMPORT_EVENTS):
        raise NotAllowed("You may not import external events.")
    if file.size is not None and file.size > MAX_IMPORT_BYTES:
        raise Invalid(
            "The file is larger than 20 MB: import it with `i4p import_events`.",
            fields={"file": ["too large"]},
        )
    report = external.import_events(file, kind=source, by=request.user)
    return ImportOut(
        rows=report.rows,
        created=report.created,
        updated=report.updated,
        skipped=report.skipped,
        problems=[
            ImportProblemOut(row=p.row, reason=p.reason) for p in report.problems[:SHOWN_PROBLEMS]
        ],
    )


# -- follow-up questions to reporters (SMS) -----------------------------------------------


class QuestionIn(InputSchema):
    text: str = Field(min_length=1, max_length=320, description="The question, as sent.")


class QuestionOut(Schema):
    uuid: UUID
    report: UUID
    state: str = Field(description="queued, or withheld when the reporter has not agreed")


@router.post(
    "/reports/{report_uuid}/questions",
    auth=token_or_session,
    response={201: QuestionOut, **ERRORS},
)
def ask_a_reporter(
    request: HttpRequest, report_uuid: uuid.UUID, payload: QuestionIn
) -> Status[QuestionOut]:
    """Ask the reporter of a report a follow-up question through their SMS gateway."""
    require_write(request)
    report = selectors.report_for(request.user, report_uuid)
    message = ask_reporter(report, payload.text, by=request.user)
    return Status(201, QuestionOut(uuid=message.uuid, report=report.uuid, state=message.state))


# -- review: locks, verdicts, corrections, triage, incidents ------------------------------
# (Report create/list endpoints live in their own block; these are the reviewers' actions.)


class ReviewErrorOut(Schema):
    code: str
    message: str
    fields: dict[str, list[str]]


REVIEW_ERRORS: dict[int, type[Schema]] = {
    code: ReviewErrorOut for code in (400, 401, 403, 404, 409)
}


class ReviewStateOut(Schema):
    """A report as its reviewers see it: status, grades, lock and assignment."""

    uuid: UUID
    verification: str
    source_reliability: str
    information_credibility: str
    duplicate_of: UUID | None
    place: UUID | None
    place_precision: str
    location_method: str
    event_type: str | None = Field(None, description="Event type code.")
    killed: int | None
    injured: int | None
    displaced: int | None
    sensitivity: str
    visibility: str
    needs_triage: bool
    triage_reasons: list[str]
    assigned_to: str | None = Field(None, description="Username of the assigned reviewer.")
    locked_by: str | None = Field(None, description="Username of the lock holder, if any.")
    locked_until: _dt.datetime | None
    incident: UUID | None


class BreakLockIn(InputSchema):
    reason: str = Field(..., min_length=1, max_length=500)


class AssignIn(InputSchema):
    assigned_to: UUID | None = Field(None, description="A reviewer's user id; null: nobody.")


class VerdictIn(InputSchema):
    verdict: Literal["verified", "credible", "false", "duplicate"]
    reliability: SourceReliability | None = None
    credibility: InformationCredibility | None = None
    duplicate_of: UUID | None = Field(None, description="The original, for a duplicate.")
    note: str = Field("", max_length=500)


class ReportReviewIn(InputSchema):
    """Corrections; fields left out keep their value."""

    place: UUID | None = None
    event_type: str | None = Field(None, max_length=60, description="Event type code.")
    killed: int | None = Field(None, ge=0, le=MAX_COUNT)
    injured: int | None = Field(None, ge=0, le=MAX_COUNT)
    displaced: int | None = Field(None, ge=0, le=MAX_COUNT)
    sensitivity: Sensitivity | None = None
    visibility: Visibility | None = None
    note: str = Field("", max_length=500)


class TriageReportIn(InputSchema):
    description: str = Field(..., min_length=1, max_length=5000)
    event_type: str | None = Field(None, max_length=60, description="Event type code.")
    place: UUID | None = None
    occurred_at: _dt.datetime | None = None
    killed: int | None = Field(None, ge=0, le=MAX_COUNT)
    injured: int | None = Field(None, ge=0, le=MAX_COUNT)


class DismissIn(InputSchema):
    reason: str = Field(..., min_length=1, max_length=500)


class SplitIn(InputSchema):
    reports: list[UUID] = Field(..., min_length=1, max_length=500)


class ConfirmIn(InputSchema):
    title: str = Field("", max_length=200)


class ExternalEventIn(InputSchema):
    external_event: UUID


class IncidentOut(Schema):
    uuid: UUID
    title: str
    status: str
    place: UUID | None
    event_type: str | None
    occurred_at: _dt.datetime | None
    reports: list[UUID]
    external_events: list[UUID]


class IncidentListOut(Schema):
    items: list[IncidentOut]


def _review_out(report: Report) -> ReviewStateOut:
    report = Report.objects.select_related(
        "place", "event_type", "duplicate_of", "assigned_to", "locked_by", "incident"
    ).get(pk=report.pk)
    holder = review.lock_holder(report)
    return ReviewStateOut(
        uuid=report.uuid,
        verification=report.verification,
        source_reliability=report.source_reliability,
        information_credibility=report.information_credibility,
        duplicate_of=report.duplicate_of.uuid if report.duplicate_of else None,
        place=report.place.uuid if report.place else None,
        place_precision=report.place_precision,
        location_method=report.location_method,
        event_type=report.event_type.code if report.event_type else None,
        killed=report.killed,
        injured=report.injured,
        displaced=report.displaced,
        sensitivity=report.sensitivity,
        visibility=report.visibility,
        needs_triage=report.needs_triage,
        triage_reasons=[str(r) for r in report.triage_reasons],
        assigned_to=report.assigned_to.username if report.assigned_to else None,
        locked_by=holder.username if holder else None,
        locked_until=report.locked_until if holder else None,
        incident=report.incident.uuid if report.incident else None,
    )


def _incident_out(incident: Incident) -> IncidentOut:
    return IncidentOut(
        uuid=incident.uuid,
        title=incident.title,
        status=incident.status,
        place=incident.place.uuid if incident.place else None,
        event_type=incident.event_type.code if incident.event_type else None,
        occurred_at=incident.occurred_at,
        reports=list(incident.reports.values_list("uuid", flat=True)),
        external_events=list(incident.external_events.values_list("uuid", flat=True)),
    )


def _event_type_by_code(code: str | None, field: str) -> EventType | None:
    if code is None:
        return None
    found = active.event_type(active_framework().pk, code)
    if found is None:
        raise Invalid("Unknown event type.", fields={field: ["No event type has this code."]})
    return found


def _place_by_uuid(value: UUID | None, field: str) -> Place | None:
    if value is None:
        return None
    place = Place.objects.filter(uuid=value).first()
    if place is None:
        raise Invalid("Unknown place.", fields={field: ["No place has this id."]})
    return place


def _reviewable(request: HttpRequest, uuid: UUID) -> Report:
    require_write(request)
    return report_for(request.user, uuid)


@router.post(
    "/reports/{uuid}/lock",
    auth=token_or_session,
    response={200: ReviewStateOut, **REVIEW_ERRORS},
)
def take_report_lock(request: HttpRequest, uuid: UUID) -> ReviewStateOut:
    """Take (or renew) the edit lock; it expires after `I4P_REVIEW_LOCK_MINUTES`."""
    return _review_out(review.take_lock(_reviewable(request, uuid), by=request.user))


@router.delete(
    "/reports/{uuid}/lock",
    auth=token_or_session,
    response={200: ReviewStateOut, **REVIEW_ERRORS},
)
def release_report_lock(request: HttpRequest, uuid: UUID) -> ReviewStateOut:
    return _review_out(review.release_lock(_reviewable(request, uuid), by=request.user))


@router.post(
    "/reports/{uuid}/lock/break",
    auth=token_or_session,
    response={200: ReviewStateOut, **REVIEW_ERRORS},
)
def break_report_lock(request: HttpRequest, uuid: UUID, payload: BreakLockIn) -> ReviewStateOut:
    """An admin frees a report another reviewer holds; the reason is audited."""
    report = _reviewable(request, uuid)
    return _review_out(review.break_lock(report, by=request.user, reason=payload.reason))


@router.post(
    "/reports/{uuid}/assignment",
    auth=token_or_session,
    response={200: ReviewStateOut, **REVIEW_ERRORS},
)
def assign_report(request: HttpRequest, uuid: UUID, payload: AssignIn) -> ReviewStateOut:
    report = _reviewable(request, uuid)
    to = None
    if payload.assigned_to is not None:
        to = User.objects.filter(uuid=payload.assigned_to, is_active=True).first()
        if to is None:
            raise Invalid("Unknown user.", fields={"assigned_to": ["No user has this id."]})
    return _review_out(review.assign_report(report, by=request.user, to=to))


@router.post(
    "/reports/{uuid}/verdict",
    auth=token_or_session,
    response={200: ReviewStateOut, **REVIEW_ERRORS},
)
def judge_report(request: HttpRequest, uuid: UUID, payload: VerdictIn) -> ReviewStateOut:
    """Verified, credible (unverified but credible), false or duplicate, with Admiralty grades."""
    report = _reviewable(request, uuid)
    original = None
    if payload.duplicate_of is not None:
        original = Report.objects.filter(uuid=payload.duplicate_of).first()
        if original is None:
            raise Invalid("Unknown report.", fields={"duplicate_of": ["No report has this id."]})
    review.judge_report(
        report,
        by=request.user,
        verdict=payload.verdict,
        reliability=payload.reliability or "",
        credibility=payload.credibility or "",
        duplicate_of=original,
        note=payload.note,
    )
    return _review_out(report)


@router.patch(
    "/reports/{uuid}/review",
    auth=token_or_session,
    response={200: ReviewStateOut, **REVIEW_ERRORS},
)
def correct_report(request: HttpRequest, uuid: UUID, payload: ReportReviewIn) -> ReviewStateOut:
    """Correct place (then located by review), type, casualties, sensitivity, visibility."""
    report = _reviewable(request, uuid)
    sent = payload.model_fields_set - {"note"}
    changes = review.ReportChanges()
    for name in ("killed", "injured", "displaced"):
        if name in sent:
            setattr(changes, name, getattr(payload, name))
    for name in ("sensitivity", "visibility"):
        if name in sent and getattr(payload, name) is not None:
            setattr(changes, name, str(getattr(payload, name)))
    if "place" in sent:
        changes.place = _place_by_uuid(payload.place, "place")
    if "event_type" in sent:
        changes.event_type = _event_type_by_code(payload.event_type, "event_type")
    review.edit_report(report, by=request.user, changes=changes, note=payload.note)
    return _review_out(report)


@router.post(
    "/reports/{uuid}/triage/clear",
    auth=token_or_session,
    response={200: ReviewStateOut, **REVIEW_ERRORS},
)
def clear_report_triage(request: HttpRequest, uuid: UUID) -> ReviewStateOut:
    return _review_out(review.clear_triage(_reviewable(request, uuid), by=request.user))


def _waiting(request: HttpRequest, uuid: UUID) -> Any:
    require_write(request)
    inbound = triage_messages(request.user).filter(uuid=uuid).first()
    if inbound is None:
        raise NotFound("No such message waiting in your triage queue.")
    return inbound


@router.post(
    "/triage/{uuid}/report",
    auth=token_or_session,
    response={201: ReviewStateOut, **REVIEW_ERRORS},
)
def report_from_triage(
    request: HttpRequest, uuid: UUID, payload: TriageReportIn
) -> Status[ReviewStateOut]:
    """A reviewer writes a waiting message down as a report."""
    inbound = _waiting(request, uuid)
    draft = Draft(
        description=payload.description,
        event_type=_event_type_by_code(payload.event_type, "event_type"),
        place=_place_by_uuid(payload.place, "place"),
        occurred_at=payload.occurred_at,
        killed=payload.killed,
        injured=payload.injured,
    )
    report = review.report_from_triage(inbound, draft, by=request.user)
    return Status(201, _review_out(report))


@router.post(
    "/triage/{uuid}/dismiss",
    auth=token_or_session,
    response={204: None, **REVIEW_ERRORS},
)
def dismiss_triage_message(request: HttpRequest, uuid: UUID, payload: DismissIn) -> Status[None]:
    """Not a report: set aside with a reason, never deleted."""
    review.dismiss_inbound(_waiting(request, uuid), by=request.user, reason=payload.reason)
    return Status(204, None)


@router.post(
    "/incidents/suggestions",
    auth=token_or_session,
    response={200: IncidentListOut, **REVIEW_ERRORS},
)
def suggest_incidents(request: HttpRequest) -> IncidentListOut:
    """Group loose reports of the caller's area into suggested incidents."""
    require_write(request)
    found = incident_services.suggest_incidents(by=request.user)
    return IncidentListOut(items=[_incident_out(incident) for incident in found])


def _incident(request: HttpRequest, uuid: UUID) -> Incident:
    require_write(request)
    return incident_for(request.user, uuid)


@router.post(
    "/incidents/{uuid}/confirm",
    auth=token_or_session,
    response={200: IncidentOut, **REVIEW_ERRORS},
)
def confirm_incident(request: HttpRequest, uuid: UUID, payload: ConfirmIn) -> IncidentOut:
    incident = incident_services.confirm_incident(
        _incident(request, uuid), by=request.user, title=payload.title
    )
    return _incident_out(incident)


@router.post(
    "/incidents/{uuid}/split",
    auth=token_or_session,
    response={201: IncidentOut, **REVIEW_ERRORS},
)
def split_incident(request: HttpRequest, uuid: UUID, payload: SplitIn) -> Status[IncidentOut]:
    """The listed reports describe another event: they become an incident of their own."""
    incident = _incident(request, uuid)
    reports = list(Report.objects.filter(uuid__in=payload.reports, incident=incident))
    if len(reports) != len(set(payload.reports)):
        raise Invalid(
            "Name reports of this incident.", fields={"reports": ["Not in this incident."]}
        )
    other = incident_services.split_incident(incident, reports, by=request.user)
    return Status(201, _incident_out(other))


def _external(uuid: UUID) -> ExternalEvent:
    event = ExternalEvent.objects.filter(uuid=uuid).first()
    if event is None:
        raise Invalid("Unknown external event.", fields={"external_event": ["No such event."]})
    return event


@router.post(
    "/incidents/{uuid}/external-events",
    auth=token_or_session,
    response={200: IncidentOut, **REVIEW_ERRORS},
)
def attach_external_event(
    request: HttpRequest, uuid: UUID, payload: ExternalEventIn
) -> IncidentOut:
    """Link an event of another data set (UCDP, ACLED) for triangulation."""
    incident = _incident(request, uuid)
    event = _external(payload.external_event)
    return _incident_out(incident_services.attach_external_event(incident, event, by=request.user))


@router.delete(
    "/incidents/{uuid}/external-events/{event_uuid}",
    auth=token_or_session,
    response={200: IncidentOut, **REVIEW_ERRORS},
)
def detach_external_event(request: HttpRequest, uuid: UUID, event_uuid: UUID) -> IncidentOut:
    incident = _incident(request, uuid)
    event = ExternalEvent.objects.filter(uuid=event_uuid).first()
    if event is None:
        raise NotFound("No such external event.")
    return _incident_out(incident_services.detach_external_event(incident, event, by=request.user))
