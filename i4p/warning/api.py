"""Early-warning API: reports, review, external events, exports."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal
from uuid import UUID

from django.http import HttpRequest
from ninja import File, Form, Header, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from i4p.accounts.permissions import Perm
from i4p.accounts.selectors import has_anywhere
from i4p.api.auth import require_write, token_or_session
from i4p.api.schemas import InputSchema
from i4p.core.errors import Invalid, NotAllowed
from i4p.warning import external, intake, selectors
from i4p.warning.gateways.conversation import ask_reporter
from i4p.warning.models import Channel, EventType
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

router = Router(tags=["early warning"])


# -- reports, the framework, external events ---------------------------------------------------

ERRORS: dict[int, type[ErrorOut]] = {code: ErrorOut for code in (400, 401, 403, 404, 409)}


def _draft(payload: ReportIn) -> intake.Draft:
    """The request as the intake service reads it; names (codes, UUIDs) become records."""
    framework = intake.active_framework()
    event_type = None
    if payload.event_type:
        event_type = EventType.objects.filter(framework=framework, code=payload.event_type).first()
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
    shown = selectors.report_for(request.user, report.uuid)
    return Status(201 if created else 200, ReportOut.of(shown))


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
