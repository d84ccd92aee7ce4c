"""The whole loop through the product's own path, with controlled time: SMS reports in one
district are counted, the scan finds the burst, the rule issues an alert, the district peace
committee receives it, nobody acknowledges, it escalates to the national council at the
configured minute, the council records a response and its outcome, and the reporter hears
back in neutral words."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from i4p.core.errors import WrongState
from i4p.registry.models import Level
from i4p.warning.alerts import acknowledge_alert
from i4p.warning.models import (
    Alert,
    AlertOrigin,
    AlertRule,
    AlertState,
    Delivery,
    EscalationStep,
    Method,
    OutboundMessage,
    Outcome,
    Period,
    Report,
    ResponseKind,
    Signal,
    TimelineKind,
)
from i4p.warning.responses import record_outcome, record_response
from i4p.warning.tests.builders import build_warning_world
from i4p.warning.tests.loop import Clock, Outside, build_infrastructure, run_tasks
from i4p.warning.tests.sms import post_sms

pytestmark = pytest.mark.django_db

WITNESS = "+233 24 555 0321"


def test_from_sms_reports_to_a_recorded_outcome_through_the_scan_with_controlled_time(
    tasks: None, clock: Clock, outside: Outside, django_capture_on_commit_callbacks: Any
) -> None:
    world = build_warning_world()
    infra = build_infrastructure(world)
    EscalationStep.objects.create(level=Level.DISTRICT, minutes=45)
    AlertRule.objects.create(
        framework=world.framework,
        name="Burst of events, daily",
        methods=[Method.EARS_C2],
        period=Period.DAY,
        min_observed=3,
        issue_at_once=True,
    )
    sms = Client()
    # Two quiet weeks: one report a day in Tamale and in Yendi.
    from i4p.warning import analysis

    for days_ago in range(14, 0, -1):
        for place in (world.tamale, world.yendi):
            report = Report.objects.create(
                kind="incident",
                framework=world.framework,
                channel="web",
                received_at=clock.now,
                occurred_at=clock.now - dt.timedelta(days=days_ago),
                place=place,
                place_precision="admin2",
            )
            with django_capture_on_commit_callbacks(execute=True):
                analysis.count_on_commit([report])
    run_tasks(clock.now)
    assert not Alert.objects.exists()

    # A witness who joined the conversation sends six coded reports from the Tamale market.
    post_sms(sms, infra.gateway, sender=WITNESS, text="JOIN", message_id="SM1")
    for n in range(6):
        with django_capture_on_commit_callbacks(execute=True):
            post_sms(
                sms,
                infra.gateway,
                sender=WITNESS,
                text=f"AC Tamale 2 youths fighting at the market ({n})",
                message_id=f"SM{n + 2}",
            )
    burst = list(Report.objects.filter(channel="twilio"))
    assert len(burst) == 6 and {r.place for r in burst} == {world.tamale}
    run_tasks(clock.now)

    # The scan found it in Tamale, and the rule alerted Tamale only (not Northern, not Ghana).
    signal = Signal.objects.get(place=world.tamale, series="all", method="c2", period="day")
    assert signal.observed == 6 and signal.expected == pytest.approx(1.0)
    assert not Signal.objects.filter(place=world.yendi).exists()
    alert = Alert.objects.get()
    assert (alert.place, alert.origin, alert.state) == (
        world.tamale,
        AlertOrigin.RULE,
        AlertState.ISSUED,
    )
    assert alert.signal is not None and alert.signal.place == world.tamale
    assert alert.level == Level.DISTRICT
    # The committee has it by e-mail and SMS; the national council not yet.
    assert "committee@tamale.example.org" in {m.to[0] for m in mail.outbox}
    assert infra.committee_phone.value in [m["To"] for m in outside.sms()]
    assert not Delivery.objects.filter(alert=alert, actor=infra.council).exists()

    # Nobody acknowledges: at 44 minutes nothing moves, at 45 the national council is alerted.
    clock.advance(minutes=44)
    run_tasks(clock.now)
    assert not Delivery.objects.filter(alert=alert, actor=infra.council).exists()
    clock.advance(minutes=1)
    run_tasks(clock.now)
    alert.refresh_from_db()
    assert alert.level == Level.NATIONAL
    assert Delivery.objects.filter(alert=alert, actor=infra.council).exists()

    # The council's secretary records a mediation; that acknowledges the alert. Its outcome.
    clock.advance(minutes=20)
    with django_capture_on_commit_callbacks(execute=True):
        response = record_response(
            alert,
            by=infra.secretary,
            kind=ResponseKind.MEDIATION,
            description="Elders met both groups at the chief's palace.",
            started_at=clock.now - dt.timedelta(minutes=10),
        )
    run_tasks(clock.now)
    alert.refresh_from_db()
    assert alert.state == AlertState.ACKNOWLEDGED and alert.acknowledged_for == infra.council
    clock.advance(hours=3)
    with django_capture_on_commit_callbacks(execute=True):
        record_outcome(response, by=infra.secretary, outcome=Outcome.DE_ESCALATED, note="Calm.")
    run_tasks(clock.now)
    kinds = list(alert.timeline.values_list("kind", flat=True))
    for kind in (
        TimelineKind.ISSUED,
        TimelineKind.ROUTED,
        TimelineKind.ESCALATED,
        TimelineKind.ACKNOWLEDGED,
        TimelineKind.RESPONSE,
        TimelineKind.OUTCOME,
    ):
        assert kind in kinds

    # The witness hears back, twice, in neutral words, by SMS to their own phone only.
    told = OutboundMessage.objects.filter(reporter=burst[0].reporter).exclude(template_key="")
    keys = set(told.values_list("template_key", flat=True))
    assert {"alert_taken_up", "alert_acted_on"} <= keys
    to_witness = [m for m in outside.sms() if m["To"].replace(" ", "") == WITNESS.replace(" ", "")]
    assert len(to_witness) >= 2
    # And nothing the mechanisms received names the witness.
    for message in mail.outbox:
        assert "555 0321" not in message.body and "5550321" not in message.body
    for hooked in outside.hooks():
        assert b"5550321" not in hooked[1]
    with pytest.raises(WrongState):  # acknowledged already
        acknowledge_alert(alert, by=infra.secretary)
