"""Analysis API: the count table, the signals and the risk per place, in the caller's area."""

from __future__ import annotations

import datetime as dt
from typing import Literal
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from i4p.accounts.permissions import Perm
from i4p.accounts.selectors import has_anywhere
from i4p.api.auth import require_write, token_or_session
from i4p.api.schemas import MAX_OFFSET, InputSchema
from i4p.core.errors import NotAllowed, NotFound
from i4p.warning import analysis, selectors
from i4p.warning.models import IndicatorFramework, Signal, SignalState
from i4p.warning.schemas import ErrorOut, PlaceRefOut, _place_ref

router = Router(tags=["analysis"])

ERRORS: dict[int, type[ErrorOut]] = {code: ErrorOut for code in (400, 401, 403, 404, 409)}
PeriodName = Literal["day", "week", "month", "year"]


def _require_view(request: HttpRequest) -> None:
    if not has_anywhere(request.user, Perm.VIEW_ALERTS):
        raise NotAllowed("You may not see analysis figures anywhere.")


def _ref(place: object) -> PlaceRefOut:
    ref = _place_ref(place)
    assert ref is not None
    return ref


# -- counts ------------------------------------------------------------------------------------


class CountQuery(Schema):
    place: UUID | None = Field(
        None, description="This place only (counts already include every place inside it)."
    )
    period: PeriodName | None = Field(None, description="The precision of the counted reports.")
    series: str = Field(
        "",
        max_length=80,
        pattern=r"^(|all|untyped|type:[a-z_.]+|indicator:[a-z0-9_.]+)$",
        description='"type:<code>", "indicator:<code>", "untyped"; empty: every row.',
    )
    since: dt.date | None = None
    until: dt.date | None = None
    limit: int = Field(500, ge=1, le=5000)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class CountOut(Schema):
    place: PlaceRefOut
    series: str
    precision: str
    day: dt.date
    reports: int
    confirmed: int
    killed: int
    injured: int
    displaced: int
    value_sum: float | None


class CountListOut(Schema):
    count: int
    limit: int
    offset: int
    items: list[CountOut]


@router.get("/counts", auth=token_or_session, response={200: CountListOut, **ERRORS})
def list_counts(request: HttpRequest, query: Query[CountQuery]) -> CountListOut:
    """Rows of the count table in the caller's area: reports of a place (and every place
    inside it) of one type or indicator, in one period of the reports' own precision."""
    _require_view(request)
    rows = analysis.visible_counts(request.user)
    place = selectors.place_named(query.place, "place")
    if place is not None:
        rows = rows.filter(place=place)
    if query.period:
        rows = rows.filter(precision=query.period)
    if query.series == "untyped":
        rows = rows.filter(event_type__isnull=True, indicator__isnull=True)
    elif query.series.startswith("type:"):
        rows = rows.filter(event_type__code=query.series[5:])
    elif query.series.startswith("indicator:"):
        rows = rows.filter(indicator__code=query.series[10:])
    if query.since:
        rows = rows.filter(day__gte=query.since)
    if query.until:
        rows = rows.filter(day__lte=query.until)
    page = list(rows[query.offset : query.offset + query.limit])
    return CountListOut(
        count=rows.count(),
        limit=query.limit,
        offset=query.offset,
        items=[
            CountOut(
                place=_ref(row.place),
                series=(
                    f"type:{row.event_type.code}"
                    if row.event_type
                    else f"indicator:{row.indicator.code}"
                    if row.indicator
                    else "untyped"
                ),
                precision=row.precision,
                day=row.day,
                reports=row.reports,
                confirmed=row.confirmed,
                killed=row.killed,
                injured=row.injured,
                displaced=row.displaced,
                value_sum=row.value_sum,
            )
            for row in page
        ],
    )


# -- signals -----------------------------------------------------------------------------------


class SignalQuery(Schema):
    place: UUID | None = Field(None, description="At this place or any place inside it.")
    state: SignalState | None = None
    period: PeriodName | None = None
    since: dt.date | None = Field(None, description="Periods starting on or after this day.")
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class SignalOut(Schema):
    uuid: UUID
    place: PlaceRefOut
    series: str
    method: str
    period: str
    period_start: dt.date
    window: int
    expected: float
    observed: float
    threshold: float
    statistic: float
    confirmed: float
    confirmed_alone_crosses: bool = Field(
        description="Whether verified reports and trusted reporters alone cross the threshold."
    )
    killed: int
    state: str


class SignalListOut(Schema):
    count: int
    limit: int
    offset: int
    items: list[SignalOut]


def _signal_out(signal: Signal) -> SignalOut:
    return SignalOut(
        uuid=signal.uuid,
        place=_ref(signal.place),
        series=signal.series,
        method=signal.method,
        period=signal.period,
        period_start=signal.period_start,
        window=signal.window,
        expected=signal.expected,
        observed=signal.observed,
        threshold=signal.threshold,
        statistic=signal.statistic,
        confirmed=signal.confirmed,
        confirmed_alone_crosses=analysis.signal_is_confirmed(signal),
        killed=signal.killed,
        state=signal.state,
    )


@router.get("/signals", auth=token_or_session, response={200: SignalListOut, **ERRORS})
def list_signals(request: HttpRequest, query: Query[SignalQuery]) -> SignalListOut:
    """Signals in the caller's area, newest period first."""
    _require_view(request)
    signals = analysis.visible_signals(request.user)
    place = selectors.place_named(query.place, "place")
    if place is not None:
        signals = signals.filter(place__path__startswith=place.path)
    if query.state:
        signals = signals.filter(state=query.state)
    if query.period:
        signals = signals.filter(period=query.period)
    if query.since:
        signals = signals.filter(period_start__gte=query.since)
    page = list(signals[query.offset : query.offset + query.limit])
    return SignalListOut(
        count=signals.count(),
        limit=query.limit,
        offset=query.offset,
        items=[_signal_out(signal) for signal in page],
    )


class DismissIn(InputSchema):
    reason: str = Field(min_length=1, max_length=500)


@router.post("/signals/{uuid}/dismiss", auth=token_or_session, response={200: SignalOut, **ERRORS})
def dismiss_signal(request: HttpRequest, uuid: UUID, payload: DismissIn) -> SignalOut:
    """Set a signal aside with a reason (audited); it stays on record, dismissed."""
    require_write(request)
    signal = analysis.visible_signals(request.user).filter(uuid=uuid).first()
    if signal is None:
        raise NotFound("No such signal, or not one you may see.")
    return _signal_out(analysis.dismiss_signal(signal, by=request.user, reason=payload.reason))


# -- risk --------------------------------------------------------------------------------------


class RiskQuery(Schema):
    place: UUID | None = Field(None, description="Places inside this one (and itself).")
    limit: int = Field(50, ge=1, le=500)


class RiskTermOut(Schema):
    key: str
    label: str
    figure: float
    points: float
    max_points: float
    explanation: str


class RiskOut(Schema):
    place: PlaceRefOut
    score: float
    terms: list[RiskTermOut]
    signals: int
    reports: int
    killed: int
    injured: int
    displaced: int


class RiskListOut(Schema):
    formula: str
    items: list[RiskOut]


@router.get("/risk", auth=token_or_session, response={200: RiskListOut, **ERRORS})
def list_risk(request: HttpRequest, query: Query[RiskQuery]) -> RiskListOut:
    """Places in the caller's area ranked by risk, each term with the sum that made it."""
    _require_view(request)
    place = selectors.place_named(query.place, "place")
    framework = IndicatorFramework.objects.filter(is_active=True).first()
    risks = analysis.place_risks(request.user, place=place, limit=query.limit, framework=framework)
    return RiskListOut(
        formula=(
            "risk = signals points + severity points + trend points; each term is explained "
            "with its numbers (docs/analysis.md)."
        ),
        items=[
            RiskOut(
                place=_ref(risk.place),
                score=risk.score,
                terms=[RiskTermOut(**vars(term)) for term in risk.terms],
                signals=risk.signals,
                reports=risk.reports,
                killed=risk.killed,
                injured=risk.injured,
                displaced=risk.displaced,
            )
            for risk in risks
        ],
    )
