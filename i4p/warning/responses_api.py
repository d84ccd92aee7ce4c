"""Response API: an alert's chain from first report to outcome, recording a response and its
outcome, and the figures of the gap between alert and response. No answer names a reporter."""

from __future__ import annotations

import datetime as dt
from typing import Literal
from uuid import UUID

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from i4p.api.auth import require_write, token_or_session
from i4p.api.schemas import InputSchema
from i4p.core.errors import Invalid
from i4p.registry.models import Actor
from i4p.warning import responses
from i4p.warning.models import Outcome, Response, ResponseKind
from i4p.warning.responses import Chain, FigureRow
from i4p.warning.schemas import ErrorOut
from i4p.warning.selectors import place_named

router = Router(tags=["responses"])

ERRORS: dict[int, type[ErrorOut]] = {code: ErrorOut for code in (400, 401, 403, 404, 409)}


class ChainEntryOut(Schema):
    at: dt.datetime
    kind: str = Field(
        description="report, reports (a count, for viewers who do not read reports), incident, "
        "signal, response, outcome, or a step of the alert's timeline (issued, delivered, "
        "escalated, acknowledged, feedback…)."
    )
    title: str
    place: str
    lines: list[str]
    mechanism: str
    by: str
    text: str = Field(description="A report's or a response's words, for those who may read them.")
    report: UUID | None = Field(None, description="The report, for those who may open it.")
    response: UUID | None = None


class ChainOut(Schema):
    alert: UUID
    identifier: str
    state: str
    place: str
    reads_reports: bool
    may_respond: bool
    mechanisms: list[UUID] = Field(description="Those the caller may record a response for.")
    entries: list[ChainEntryOut]


def _chain_out(chain: Chain) -> ChainOut:
    return ChainOut(
        alert=chain.alert.uuid,
        identifier=chain.alert.identifier,
        state=chain.alert.state,
        place=chain.alert.place.name,
        reads_reports=chain.reads_reports,
        may_respond=chain.may_respond,
        mechanisms=[actor.uuid for actor in chain.mechanisms],
        entries=[
            ChainEntryOut(
                at=entry.at,
                kind=entry.kind,
                title=entry.title,
                place=entry.place,
                lines=entry.lines,
                mechanism=entry.mechanism,
                by=entry.by,
                text=entry.text,
                report=UUID(entry.link) if entry.link else None,
                response=UUID(entry.response) if entry.response else None,
            )
            for entry in chain.entries
        ],
    )


@router.get(
    "/alerts/{uuid:alert_uuid}/chain", auth=token_or_session, response={200: ChainOut, **ERRORS}
)
def get_alert_chain(request: HttpRequest, alert_uuid: UUID) -> ChainOut:
    """The alert's chain, oldest first: reports and incidents behind it (never who sent them;
    counts and places only for callers who do not read reports there), the signal, every step
    of its timeline, the responses and their outcomes."""
    alert = responses.alert_for_chain(request.user, alert_uuid)
    return _chain_out(responses.alert_chain(alert, user=request.user))


class ResponseIn(InputSchema):
    kind: ResponseKind
    description: str = Field(min_length=1, max_length=responses.MAX_DESCRIPTION)
    started_at: dt.datetime = Field(description="Without an offset, read in the instance's zone.")
    ended_at: dt.datetime | None = None
    actor: UUID | None = Field(
        None, description="The mechanism it was done for (default: the caller's own)."
    )


class ResponseOut(Schema):
    uuid: UUID
    alert: UUID
    actor: UUID | None
    mechanism: str
    by: str
    kind: str
    description: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    outcome: str
    outcome_note: str
    outcome_at: dt.datetime | None

    @staticmethod
    def of(response: Response) -> ResponseOut:
        return ResponseOut(
            uuid=response.uuid,
            alert=response.alert.uuid,
            actor=response.actor.uuid if response.actor else None,
            mechanism=response.actor.name if response.actor else "",
            by=getattr(response.by, "username", "") if response.by else "",
            kind=response.kind,
            description=response.description,
            started_at=response.started_at,
            ended_at=response.ended_at,
            outcome=response.outcome,
            outcome_note=response.outcome_note,
            outcome_at=response.outcome_at,
        )


@router.post(
    "/alerts/{uuid:alert_uuid}/responses",
    auth=token_or_session,
    response={201: ResponseOut, **ERRORS},
)
def post_response(
    request: HttpRequest, alert_uuid: UUID, payload: ResponseIn
) -> Status[ResponseOut]:
    """Record what a mechanism did about the alert (members of a mechanism it reached, and
    responders in its place). On an issued alert nobody acknowledged yet, this acknowledges it."""
    require_write(request)
    alert = responses.alert_for_chain(request.user, alert_uuid)
    actor = None
    if payload.actor is not None:
        actor = Actor.objects.filter(uuid=payload.actor).first()
        if actor is None:
            raise Invalid("No mechanism has this id.", fields={"actor": ["Unknown mechanism."]})
    response = responses.record_response(
        alert,
        by=request.user,
        kind=payload.kind,
        description=payload.description,
        started_at=payload.started_at,
        ended_at=payload.ended_at,
        actor=actor,
    )
    return Status(201, ResponseOut.of(response))


class OutcomeIn(InputSchema):
    outcome: Outcome
    note: str = Field("", max_length=responses.MAX_NOTE)


@router.post(
    "/responses/{uuid:response_uuid}/outcome",
    auth=token_or_session,
    response={200: ResponseOut, **ERRORS},
)
def post_outcome(request: HttpRequest, response_uuid: UUID, payload: OutcomeIn) -> ResponseOut:
    """Record what came of a response; a later outcome replaces an earlier one. The reporters
    behind the alert hear, in neutral words, that it was acted on."""
    require_write(request)
    response = responses.response_for(request.user, response_uuid)
    return ResponseOut.of(
        responses.record_outcome(
            response, by=request.user, outcome=payload.outcome, note=payload.note
        )
    )


class FiguresQuery(Schema):
    since: dt.datetime | None = Field(None, description="Alerts issued at or after (90 days ago).")
    until: dt.datetime | None = Field(None, description="Alerts issued before (now).")
    place: UUID | None = Field(None, description="Only alerts in this place or inside it.")
    level: Literal["country", "admin1", "admin2", "admin3"] = Field(
        "admin1", description="Group alerts under their place of this level."
    )


class FigureRowOut(Schema):
    key: str = Field(description="The place's or the mechanism's id; empty for the total.")
    label: str
    alerts: int
    acknowledged: int
    responded: int
    with_outcome: int
    ack_median_seconds: float | None
    ack_p90_seconds: float | None
    response_median_seconds: float | None
    response_p90_seconds: float | None
    outcome_share: float | None


class FiguresOut(Schema):
    since: dt.datetime
    until: dt.datetime
    level: str
    place: UUID | None
    total: FigureRowOut
    by_place: list[FigureRowOut]
    by_mechanism: list[FigureRowOut]


def _row(row: FigureRow) -> FigureRowOut:
    return FigureRowOut(
        key=row.key,
        label=row.label,
        alerts=row.alerts,
        acknowledged=row.acknowledged,
        responded=row.responded,
        with_outcome=row.with_outcome,
        ack_median_seconds=row.ack_median,
        ack_p90_seconds=row.ack_p90,
        response_median_seconds=row.response_median,
        response_p90_seconds=row.response_p90,
        outcome_share=row.outcome_share,
    )


@router.get("/alerts/figures", auth=token_or_session, response={200: FiguresOut, **ERRORS})
def get_response_figures(request: HttpRequest, query: Query[FiguresQuery]) -> FiguresOut:
    """The gap between alert and response in the caller's alert scope: time to acknowledge and
    to first response (median, nearest-rank 90th percentile, in seconds) and the share of
    alerts with a recorded outcome, in total, by place and by mechanism."""
    until = query.until or timezone.now()
    since = query.since or until - dt.timedelta(days=90)
    figures = responses.response_figures(
        request.user,
        since=since,
        until=until,
        place=place_named(query.place, "place"),
        level=query.level,
    )
    return FiguresOut(
        since=figures.since,
        until=figures.until,
        level=figures.level,
        place=figures.place.uuid if figures.place else None,
        total=_row(figures.total),
        by_place=[_row(row) for row in figures.by_place],
        by_mechanism=[_row(row) for row in figures.by_mechanism],
    )
