"""Input and output types of the early-warning API: one pair per operation, UUIDs only.

No output type has a field for who a reporter is: identity cannot leave through the API
because there is nowhere to put it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from ninja import Field, Schema

from i4p.api.schemas import MAX_COUNT, MAX_OFFSET, InputSchema
from i4p.api.schemas import ErrorOut as ErrorOut  # the API's one error shape, for the routers
from i4p.warning.models import (
    ExternalEvent,
    ExternalSource,
    Observation,
    Report,
    ReportKind,
    TimePrecision,
    Verification,
)

# -- shared pieces ----------------------------------------------------------------------------


class PlaceRefOut(Schema):
    uuid: UUID
    name: str
    kind: str
    country_code: str


class EventTypeRefOut(Schema):
    code: str
    name: str


def _place_ref(place: Any) -> PlaceRefOut | None:
    if place is None:
        return None
    return PlaceRefOut(
        uuid=place.uuid, name=place.name, kind=place.kind, country_code=place.country_code
    )


def _event_type_ref(event_type: Any) -> EventTypeRefOut | None:
    if event_type is None:
        return None
    return EventTypeRefOut(code=event_type.code, name=event_type.name)


# -- reports ----------------------------------------------------------------------------------


class ReporterContactIn(InputSchema):
    """How to reach the person who saw it (when a monitor relays a call): sealed on arrival,
    shown to nobody, never sent back in any answer."""

    phone: str = Field("", max_length=40)
    name: str = Field("", max_length=200)
    email: str = Field("", max_length=254)
    device: str = Field("", max_length=200)


class ReportIn(InputSchema):
    kind: ReportKind = ReportKind.INCIDENT
    event_type: str = Field(
        "", max_length=60, description="An event type code of the framework: battles.armed_clash"
    )
    occurred_at: dt.datetime | None = None
    occurred_until: dt.datetime | None = Field(None, description="The end of a period.")
    time_precision: TimePrecision = TimePrecision.DAY
    place: UUID | None = Field(None, description="A place chosen by the reporter.")
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    location_text: str = Field("", max_length=300, description="The place in words.")
    country: str = Field(
        "", max_length=2, pattern=r"^[A-Za-z]{0,2}$", description="ISO 3166-1 alpha-2 hint."
    )
    title: str = Field("", max_length=200)
    description: str = Field("", max_length=10_000)
    language: str = Field("", max_length=10)
    actors_text: str = Field("", max_length=500, description="Who was involved, in words.")
    killed: int | None = Field(None, ge=0, le=MAX_COUNT)
    injured: int | None = Field(None, ge=0, le=MAX_COUNT)
    displaced: int | None = Field(None, ge=0, le=MAX_COUNT)
    answers: dict[str, Any] = Field(
        default_factory=dict, description="Answers to the framework's extra fields, by key."
    )
    observations: dict[str, Any] = Field(
        default_factory=dict, description="Indicator values of a situation report, by code."
    )
    reporter: ReporterContactIn | None = Field(
        None, description="Optional contact of the source: sealed, never shown or echoed."
    )


class ObservationOut(Schema):
    indicator: str
    value: float | None
    text: str


class ReportOut(Schema):
    uuid: UUID
    kind: str
    framework: str
    reporter: str = Field(description="The reporter's pseudonymous handle.")
    channel: str
    received_at: dt.datetime
    occurred_at: dt.datetime | None
    occurred_until: dt.datetime | None
    time_precision: str
    place: PlaceRefOut | None
    place_precision: str
    location_method: str
    location_text: str
    latitude: float | None
    longitude: float | None
    event_type: EventTypeRefOut | None
    title: str
    description: str
    language: str
    actors_text: str
    killed: int | None
    injured: int | None
    displaced: int | None
    answers: dict[str, Any]
    observations: list[ObservationOut]
    verification: str
    source_reliability: str
    information_credibility: str
    needs_triage: bool
    triage_reasons: list[str]
    sensitivity: str
    visibility: str
    incident: UUID | None

    @staticmethod
    def of(report: Report, *, observations: list[Observation] | None = None) -> ReportOut:
        """`observations`, when the caller has them, saves reading them again."""
        if observations is None:
            observations = list(report.observations.all())
        return ReportOut(
            uuid=report.uuid,
            kind=report.kind,
            framework=f"{report.framework.slug} v{report.framework.version}",
            reporter=report.reporter.handle if report.reporter is not None else "",
            channel=report.channel,
            received_at=report.received_at,
            occurred_at=report.occurred_at,
            occurred_until=report.occurred_until,
            time_precision=report.time_precision,
            place=_place_ref(report.place),
            place_precision=report.place_precision,
            location_method=report.location_method,
            location_text=report.location_text,
            latitude=report.latitude,
            longitude=report.longitude,
            event_type=_event_type_ref(report.event_type),
            title=report.title,
            description=report.description,
            language=report.language,
            actors_text=report.actors_text,
            killed=report.killed,
            injured=report.injured,
            displaced=report.displaced,
            answers=report.answers,
            observations=[
                ObservationOut(indicator=o.indicator.code, value=o.value, text=o.text)
                for o in observations
            ],
            verification=report.verification,
            source_reliability=report.source_reliability,
            information_credibility=report.information_credibility,
            needs_triage=report.needs_triage,
            triage_reasons=list(report.triage_reasons),
            sensitivity=report.sensitivity,
            visibility=report.visibility,
            incident=report.incident.uuid if report.incident is not None else None,
        )


class ReportListOut(Schema):
    count: int
    limit: int
    offset: int
    items: list[ReportOut]


class ReportQuery(Schema):
    since: dt.datetime | None = Field(None, description="Occurred at or after this time.")
    until: dt.datetime | None = Field(None, description="Occurred before this time.")
    place: UUID | None = Field(None, description="In this place or any place inside it.")
    event_type: str = Field(
        "", max_length=60, pattern=r"^[a-z_.]*$", description="A type code; sub-types count."
    )
    kind: ReportKind | None = None
    verification: Verification | None = None
    triage: bool | None = Field(None, description="true: only reports that need a person.")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


# -- the framework ---------------------------------------------------------------------------


class IndicatorOut(Schema):
    code: str
    name: str
    description: str
    sector: str
    polarity: str
    value_type: str


class EventTypeOut(Schema):
    code: str
    name: str
    parent: str | None
    acled_event_type: str
    acled_sub_event_type: str
    sms_code: str
    sector: str


class ReportFieldOut(Schema):
    key: str
    label: str
    help_text: str
    field_type: str
    choices: list[Any]
    required: bool
    report_kind: str = Field(description="incident, situation, or empty for both.")


class FrameworkOut(Schema):
    uuid: UUID
    slug: str
    version: int
    name: str
    description: str
    indicators: list[IndicatorOut]
    event_types: list[EventTypeOut]
    fields: list[ReportFieldOut]


# -- external events ------------------------------------------------------------------------


class ExternalEventOut(Schema):
    uuid: UUID
    source: str
    source_id: str
    event_type: EventTypeRefOut | None
    type_label: str
    occurred_from: dt.date
    occurred_until: dt.date
    time_precision: str
    place: PlaceRefOut | None
    place_precision: str
    latitude: float | None
    longitude: float | None
    country_code: str
    location_text: str
    actors_text: str
    fatalities: int | None
    fatalities_low: int | None
    fatalities_high: int | None
    description: str

    @staticmethod
    def of(event: ExternalEvent) -> ExternalEventOut:
        return ExternalEventOut(
            uuid=event.uuid,
            source=event.source,
            source_id=event.source_id,
            event_type=_event_type_ref(event.event_type),
            type_label=event.type_label,
            occurred_from=event.occurred_from,
            occurred_until=event.occurred_until,
            time_precision=event.time_precision,
            place=_place_ref(event.place),
            place_precision=event.place_precision,
            latitude=event.latitude,
            longitude=event.longitude,
            country_code=event.country_code,
            location_text=event.location_text,
            actors_text=event.actors_text,
            fatalities=event.fatalities,
            fatalities_low=event.fatalities_low,
            fatalities_high=event.fatalities_high,
            description=event.description,
        )


class ExternalEventListOut(Schema):
    count: int
    limit: int
    offset: int
    items: list[ExternalEventOut]


class ExternalEventQuery(Schema):
    source: ExternalSource | None = None
    since: dt.date | None = Field(None, description="Began on or after this day.")
    until: dt.date | None = Field(None, description="Began on or before this day.")
    place: UUID | None = Field(None, description="In this place or any place inside it.")
    event_type: str = Field("", max_length=60, pattern=r"^[a-z_.]*$")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class ImportProblemOut(Schema):
    row: int
    reason: str


class ImportOut(Schema):
    rows: int
    created: int
    updated: int
    skipped: int
    problems: list[ImportProblemOut] = Field(description="The first 200 rows that were skipped.")
