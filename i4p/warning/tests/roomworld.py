"""A situation-room world: the warning world with reports, counts, a signal, an incident and
alerts in Tamale (and one report in Yendi), at fixed dates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from i4p.accounts.models import Role, User
from i4p.geo.models import Place
from i4p.registry.models import Actor, ActorKind, Level
from i4p.warning.alerts import default_words, draft_alert, issue_alert
from i4p.warning.models import (
    Alert,
    Channel,
    Count,
    Delivery,
    DeliveryChannel,
    DeliveryState,
    EventType,
    Incident,
    IncidentStatus,
    Method,
    Period,
    Report,
    ReportKind,
    Signal,
    TimePrecision,
    Verification,
)
from i4p.warning.tests.builders import WarningWorld, build_warning_world, staff


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


@dataclass
class RoomWorld:
    warning: WarningWorld
    clash: EventType
    protest: EventType
    tamale_reports: list[Report]
    yendi_report: Report
    signal: Signal
    incident: Incident
    issued: Alert
    draft: Alert
    committee: Actor
    responder: User


def report(
    world: WarningWorld,
    event_type: EventType,
    *,
    place: Place,
    day: dt.date,
    killed: int = 0,
    injured: int = 0,
    lat: float | None = None,
    lon: float | None = None,
    verification: str = Verification.PENDING,
    precision: str = TimePrecision.DAY,
) -> Report:
    return Report.objects.create(
        kind=ReportKind.INCIDENT,
        framework=world.framework,
        channel=Channel.WEB,
        received_at=at(day, 14),
        occurred_at=at(day),
        time_precision=precision,
        place=place,
        latitude=lat,
        longitude=lon,
        event_type=event_type,
        killed=killed,
        injured=injured,
        verification=verification,
        description="Groups fought at the market.",
    )


def build_room_world(today: dt.date | None = None) -> RoomWorld:
    today = today or timezone.localdate()
    w = build_warning_world()
    clash = EventType.objects.get(framework=w.framework, code="battles.armed_clash")
    protest = EventType.objects.get(framework=w.framework, code="protests.peaceful_protest")
    day = today - dt.timedelta(days=3)
    tamale_reports = [
        report(w, clash, place=w.tamale, day=day, killed=2, injured=1, lat=9.401, lon=-0.839,
               verification=Verification.VERIFIED),
        report(w, clash, place=w.tamale, day=day, killed=1, lat=9.41, lon=-0.85),
        report(w, clash, place=w.tamale, day=day - dt.timedelta(days=1)),
        report(w, protest, place=w.tamale, day=day - dt.timedelta(days=2), injured=4),
    ]  # fmt: skip
    yendi_report = report(w, clash, place=w.yendi, day=day, killed=5, lat=9.44, lon=-0.01)
    # The count table as analysis keeps it: each report at its place and every place above.
    cells: dict[tuple[int, int, dt.date], list[int]] = {}
    for r in [*tamale_reports, yendi_report]:
        assert r.place is not None and r.event_type is not None and r.occurred_at is not None
        for place_id in [int(part) for part in r.place.path.strip("/").split("/")]:
            cell = cells.setdefault((place_id, r.event_type.pk, r.occurred_at.date()), [0, 0])
            cell[0] += 1
            cell[1] += r.killed or 0
    for (place_id, type_id, on), (n, killed) in cells.items():
        Count.objects.create(
            place_id=place_id,
            event_type_id=type_id,
            precision=Period.DAY,
            day=on,
            reports=n,
            killed=killed,
        )
    signal = Signal.objects.create(
        framework=w.framework,
        place=w.tamale,
        event_type=clash,
        series="type:battles.armed_clash",
        method=Method.EARS_C2,
        period=Period.DAY,
        period_start=day,
        window=7,
        expected=0.3,
        observed=2,
        threshold=1.5,
        statistic=3.1,
    )
    incident = Incident.objects.create(
        title="Market clash in Tamale",
        event_type=clash,
        place=w.tamale,
        occurred_at=at(day),
        status=IncidentStatus.CONFIRMED,
    )
    Report.objects.filter(pk__in=[r.pk for r in tamale_reports[:2]]).update(incident=incident)
    committee = Actor.objects.create(
        name="Tamale Peace Committee", kind=ActorKind.LOCAL_PEACE_COMMITTEE, level=Level.DISTRICT
    )
    issued = issue_alert(
        draft_alert(
            w.tamale,
            by=w.tamale_analyst,
            words=default_words(w.tamale, clash, observed=2),
            event_type=clash,
            signal=signal,
        ),
        by=w.tamale_analyst,
    )
    Alert.objects.filter(pk=issued.pk).update(
        level=Level.DISTRICT, escalation_due_at=timezone.now() + dt.timedelta(hours=2)
    )
    issued.refresh_from_db()
    Delivery.objects.create(
        alert=issued, actor=committee, level=Level.DISTRICT, channel=DeliveryChannel.APP,
        state=DeliveryState.SENT,
    )  # fmt: skip
    Delivery.objects.create(
        alert=issued, actor=committee, level=Level.DISTRICT, channel=DeliveryChannel.SMS,
        state=DeliveryState.FAILED, attempts=5, last_error="gateway refused",
    )  # fmt: skip
    draft = draft_alert(
        w.tamale, by=w.tamale_analyst, words=default_words(w.tamale, protest), event_type=protest
    )
    responder = staff("responder-tamale", Role.RESPONDER, w.tamale)
    return RoomWorld(
        warning=w,
        clash=clash,
        protest=protest,
        tamale_reports=tamale_reports,
        yendi_report=yendi_report,
        signal=signal,
        incident=incident,
        issued=issued,
        draft=draft,
        committee=committee,
        responder=responder,
    )
