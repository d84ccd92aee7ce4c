"""Alerts API: list, read, write by hand, issue, acknowledge, update, cancel, close.

Every read goes through `alert_selectors.visible_alerts` (public alerts to all, restricted ones
to alert staff of the place and to the mechanisms they reached, drafts to issuers); every write
through the lifecycle services in `alerts`. The timeline and deliveries are in the answer only
for those who may see them (`sees_workings`); no answer ever names a reporter.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from i4p.api.auth import anyone, require_write, token_or_session
from i4p.api.schemas import MAX_OFFSET, InputSchema
from i4p.core.errors import Invalid
from i4p.geo.models import Place
from i4p.warning import alerts as services
from i4p.warning.alert_selectors import alert_for, sees_workings, visible_alerts
from i4p.warning.alerts import Words
from i4p.warning.models import (
    Alert,
    AlertOrigin,
    Certainty,
    EventType,
    Severity,
    SignatureState,
    Urgency,
)
from i4p.warning.schemas import ErrorOut

router = Router(tags=["alerts"])

ERRORS: dict[int, type[ErrorOut]] = {code: ErrorOut for code in (400, 401, 403, 404, 409)}


class TextOut(Schema):
    language: str
    event: str
    headline: str
    description: str
    instruction: str


class TimelineOut(Schema):
    at: dt.datetime
    kind: str
    mechanism: str | None
    level: str
    note: str


class DeliveryOut(Schema):
    uuid: UUID
    mechanism: str
    level: str
    channel: str
    state: str
    attempts: int
    last_error: str
    next_attempt_at: dt.datetime | None
    sent_at: dt.datetime | None


class AlertOut(Schema):
    uuid: UUID
    identifier: str
    sender: str
    state: str
    msg_type: str
    scope: str
    origin: str
    # Imported alerts: "trusted", "untrusted" or "unsigned" (`captrust`); None for i4p's own.
    signature: str | None = None
    urgency: str
    severity: str
    certainty: str
    place: UUID
    place_name: str
    event_type: str | None
    level: str
    escalation_due_at: dt.datetime | None
    issued_at: dt.datetime | None
    acknowledged_at: dt.datetime | None
    references: UUID | None
    texts: list[TextOut]
    timeline: list[TimelineOut] | None = None
    deliveries: list[DeliveryOut] | None = None

    @staticmethod
    def of(alert: Alert, *, workings: bool = False) -> AlertOut:
        out = AlertOut(
            uuid=alert.uuid,
            identifier=alert.identifier,
            sender=alert.sender,
            state=alert.state,
            msg_type=alert.msg_type,
            scope=alert.scope,
            origin=alert.origin,
            signature=(alert.signature or SignatureState.UNSIGNED)
            if alert.origin == AlertOrigin.IMPORTED
            else None,
            urgency=alert.urgency,
            severity=alert.severity,
            certainty=alert.certainty,
            place=alert.place.uuid,
            place_name=alert.place.name,
            event_type=alert.event_type.code if alert.event_type is not None else None,
            level=alert.level,
            escalation_due_at=alert.escalation_due_at,
            issued_at=alert.issued_at,
            acknowledged_at=alert.acknowledged_at,
            references=alert.references.uuid if alert.references is not None else None,
            texts=[
                TextOut(
                    language=t.language,
                    event=t.event,
                    headline=t.headline,
                    description=t.description,
                    instruction=t.instruction,
                )
                for t in alert.texts.all()
            ],
        )
        if workings:
            out.timeline = [
                TimelineOut(
                    at=e.at,
                    kind=e.kind,
                    mechanism=e.actor.name if e.actor is not None else None,
                    level=e.level,
                    note=e.note,
                )
                for e in alert.timeline.select_related("actor")
            ]
            out.deliveries = [
                DeliveryOut(
                    uuid=d.uuid,
                    mechanism=d.actor.name,
                    level=d.level,
                    channel=d.channel,
                    state=d.state,
                    attempts=d.attempts,
                    last_error=d.last_error,
                    next_attempt_at=d.next_attempt_at,
                    sent_at=d.sent_at,
                )
                for d in alert.deliveries.select_related("actor").order_by("created_at")
            ]
        return out


class AlertListOut(Schema):
    count: int
    limit: int
    offset: int
    items: list[AlertOut]


class AlertQuery(Schema):
    state: Literal["draft", "issued", "acknowledged", "closed", "cancelled"] | None = None
    place: UUID | None = None
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class TextIn(InputSchema):
    language: str = Field(..., max_length=10)
    event: str = Field(..., max_length=200)
    headline: str = Field(..., max_length=300)
    description: str = Field("", max_length=5000)
    instruction: str = Field("", max_length=5000)


class AlertIn(InputSchema):
    place: UUID
    texts: list[TextIn] | None = Field(
        None, description="Leave out for the neutral default words in every alert language."
    )
    event_type: str | None = Field(None, max_length=80)
    urgency: Urgency = Urgency.EXPECTED
    severity: Severity = Severity.MODERATE
    certainty: Certainty = Certainty.POSSIBLE
    scope: Literal["Public", "Restricted"] = "Restricted"
    issue: bool = Field(False, description="Issue at once (every alert language needed).")


class UpdateIn(InputSchema):
    texts: list[TextIn] | None = None
    urgency: Urgency | None = None
    severity: Severity | None = None
    certainty: Certainty | None = None
    note: str = Field("", max_length=2000)


class NoteIn(InputSchema):
    note: str = Field("", max_length=2000)


class CancelIn(InputSchema):
    reason: str = Field(..., min_length=1, max_length=2000)


def _words(texts: list[TextIn]) -> list[Words]:
    return [Words(t.language, t.event, t.headline, t.description, t.instruction) for t in texts]


def _out(request: HttpRequest, alert: Alert) -> AlertOut:
    alert = alert_for(request.user, alert.uuid)
    return AlertOut.of(alert, workings=sees_workings(request.user, alert))


@router.get("/alerts", auth=anyone, response={200: AlertListOut, **ERRORS})
def list_alerts(request: HttpRequest, query: Query[AlertQuery]) -> AlertListOut:
    """Alerts the caller may see, newest first: public ones to anyone."""
    alerts = visible_alerts(request.user)
    if query.state:
        alerts = alerts.filter(state=query.state)
    if query.place is not None:
        place = Place.objects.filter(uuid=query.place).first()
        if place is None:
            raise Invalid("No place has this id.", fields={"place": ["Unknown place."]})
        alerts = alerts.filter(place__path__startswith=place.path)
    page = list(alerts[query.offset : query.offset + query.limit])
    count = (
        query.offset + len(page)
        if len(page) < query.limit and (page or query.offset == 0)
        else alerts.count()
    )
    return AlertListOut(
        count=count,
        limit=query.limit,
        offset=query.offset,
        items=[AlertOut.of(alert) for alert in page],
    )


@router.get("/alerts/{uuid:alert_uuid}", auth=anyone, response={200: AlertOut, **ERRORS})
def get_alert(request: HttpRequest, alert_uuid: UUID) -> AlertOut:
    """One alert; its timeline and deliveries for staff of its place and its responders."""
    alert = alert_for(request.user, alert_uuid)
    return AlertOut.of(alert, workings=sees_workings(request.user, alert))


@router.post("/alerts", auth=token_or_session, response={201: AlertOut, **ERRORS})
def create_alert(request: HttpRequest, payload: AlertIn) -> Status[AlertOut]:
    """Write an alert by hand (a draft, or issued at once with `issue`)."""
    require_write(request)
    place = Place.objects.filter(uuid=payload.place).first()
    if place is None:
        raise Invalid("No place has this id.", fields={"place": ["Unknown place."]})
    event_type = None
    if payload.event_type:
        from i4p.warning.intake import active_framework

        event_type = EventType.objects.filter(
            framework=active_framework(), code=payload.event_type
        ).first()
        if event_type is None:
            raise Invalid(
                "The framework has no such event type.",
                fields={"event_type": [f"Unknown code {payload.event_type!r}."]},
            )
    words = (
        _words(payload.texts)
        if payload.texts is not None
        else services.default_words(place, event_type)
    )
    alert = services.draft_alert(
        place,
        by=request.user,
        words=words,
        event_type=event_type,
        urgency=payload.urgency,
        severity=payload.severity,
        certainty=payload.certainty,
        scope=payload.scope,
        issue=payload.issue,
    )
    return Status(201, _out(request, alert))


@router.post(
    "/alerts/{uuid:alert_uuid}/issue", auth=token_or_session, response={200: AlertOut, **ERRORS}
)
def issue(request: HttpRequest, alert_uuid: UUID) -> AlertOut:
    """Issue a draft: it is routed to the mechanisms covering its place."""
    require_write(request)
    alert = services.issue_alert(alert_for(request.user, alert_uuid), by=request.user)
    return _out(request, alert)


@router.post(
    "/alerts/{uuid:alert_uuid}/acknowledge",
    auth=token_or_session,
    response={200: AlertOut, **ERRORS},
)
def acknowledge(request: HttpRequest, alert_uuid: UUID, payload: NoteIn) -> AlertOut:
    """A mechanism the alert reached (or a responder of the place) has it in hand."""
    require_write(request)
    alert = services.acknowledge_alert(
        alert_for(request.user, alert_uuid), by=request.user, text=payload.note
    )
    return _out(request, alert)


@router.post(
    "/alerts/{uuid:alert_uuid}/close", auth=token_or_session, response={200: AlertOut, **ERRORS}
)
def close(request: HttpRequest, alert_uuid: UUID, payload: NoteIn) -> AlertOut:
    """The situation is over."""
    require_write(request)
    alert = services.close_alert(
        alert_for(request.user, alert_uuid), by=request.user, text=payload.note
    )
    return _out(request, alert)


@router.post(
    "/alerts/{uuid:alert_uuid}/cancel", auth=token_or_session, response={200: AlertOut, **ERRORS}
)
def cancel(request: HttpRequest, alert_uuid: UUID, payload: CancelIn) -> AlertOut:
    """Withdraw a live alert: a CAP Cancel goes to everyone it reached (the answer)."""
    require_write(request)
    follow = services.cancel_alert(
        alert_for(request.user, alert_uuid), by=request.user, text=payload.reason
    )
    return _out(request, follow)


@router.post(
    "/alerts/{uuid:alert_uuid}/update", auth=token_or_session, response={200: AlertOut, **ERRORS}
)
def update(request: HttpRequest, alert_uuid: UUID, payload: UpdateIn) -> AlertOut:
    """New facts: a CAP Update replaces the alert for everyone it reached (the answer)."""
    require_write(request)
    follow = services.update_alert(
        alert_for(request.user, alert_uuid),
        by=request.user,
        words=_words(payload.texts) if payload.texts is not None else None,
        severity=payload.severity,
        urgency=payload.urgency,
        certainty=payload.certainty,
        text=payload.note,
    )
    return _out(request, follow)
