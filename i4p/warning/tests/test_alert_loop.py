"""The loop, with the clock in the test's hands: a burst of reports in one district makes a
signal, the rule issues an alert, the district peace committee receives it by e-mail, SMS and
in the app; nobody acknowledges; at the configured time (and not before) it goes to the
national council; a member of the council acknowledges and the escalation stops.

The signal is made as `analysis.scan` makes it (one row per place x series x method x period)
from the reports stored here; connecting the scan itself is the analysis part's work.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core import mail

from i4p.geo.localtime import local_day
from i4p.registry.models import Level
from i4p.warning import delivery
from i4p.warning.channels import webhook
from i4p.warning.delivery import SAFETY_NET_AFTER
from i4p.warning.intake import Draft, Identity, submit_report
from i4p.warning.models import (
    AlertOrigin,
    AlertRule,
    AlertState,
    CapScope,
    Channel,
    Delivery,
    DeliveryChannel,
    DeliveryState,
    EscalationStep,
    EventType,
    Method,
    Period,
    Report,
    Signal,
    SignalState,
    TimelineKind,
)
from i4p.warning.routing import escalate_due
from i4p.warning.rules import apply_rules
from i4p.warning.tests.builders import WarningWorld, build_warning_world
from i4p.warning.tests.loop import Clock, Outside, build_infrastructure, queued, run_tasks
from i4p.web.tests.world import logged_in

pytestmark = pytest.mark.django_db

REPORTER_PHONE = "+233245550177"
REPORTER_NAME = "Kofi Witness-Mensah"
DESCRIPTION = "Gunshots behind the Aboabo market, two groups of young men."


def burst(world: WarningWorld, clock: Clock, count: int = 6) -> list[Report]:
    clash = EventType.objects.get(framework=world.framework, code="battles.armed_clash")
    reports = []
    for n in range(count):
        draft = Draft(
            event_type=clash,
            description=f"{DESCRIPTION} ({n})",
            place=world.tamale,
            occurred_at=clock.now - dt.timedelta(minutes=30 - n),
            injured=1,
        )
        report, _created = submit_report(
            draft,
            by=None,
            channel=Channel.WEB,
            payload={"description": draft.description},
            sender=Identity(phone=REPORTER_PHONE, name=REPORTER_NAME),
        )
        reports.append(report)
    return reports


def signal_of(world: WarningWorld, clock: Clock, reports: list[Report]) -> Signal:
    """The row `analysis.scan` writes for this burst (EARS C2 over a 7-day baseline)."""
    clash = reports[0].event_type
    assert clash is not None
    return Signal.objects.create(
        framework=world.framework,
        place=world.tamale,
        event_type=clash,
        series=f"type:{clash.code}",
        method=Method.EARS_C2,
        period=Period.DAY,
        period_start=local_day(clock.now, world.tamale),
        window=7,
        expected=0.4,
        observed=len(reports),
        threshold=2.1,
        statistic=7.5,
        confirmed=0,
    )


def rule(world: WarningWorld, **fields: Any) -> AlertRule:
    values: dict[str, Any] = {
        "framework": world.framework,
        "name": "Armed clashes, daily",
        "methods": [Method.EARS_C2, Method.EARS_C3],
        "period": Period.DAY,
        "min_observed": 3,
        "issue_at_once": True,
    }
    values.update(fields)
    return AlertRule.objects.create(**values)


def test_a_burst_in_one_district_alerts_its_committee_then_the_national_council_on_time(
    tasks: None, clock: Clock, outside: Outside, django_capture_on_commit_callbacks: Any
) -> None:
    world = build_warning_world()
    infra = build_infrastructure(world)
    EscalationStep.objects.create(level=Level.DISTRICT, minutes=45)
    rule(world)
    reports = burst(world, clock)
    signal = signal_of(world, clock, reports)

    # The rule issues the alert at once, and routing sends it to the district.
    with django_capture_on_commit_callbacks(execute=True):
        made = apply_rules([signal])
    assert len(made) == 1
    alert = made[0]
    alert.refresh_from_db()
    assert alert.state == AlertState.ISSUED and alert.origin == AlertOrigin.RULE
    assert alert.signal == signal and alert.created_by is None
    assert set(alert.reports.all()) == set(reports)
    assert alert.level == Level.DISTRICT
    assert alert.escalation_due_at == clock.now + dt.timedelta(minutes=45)
    signal.refresh_from_db()
    assert signal.state == SignalState.ALERTED
    run_tasks(clock.now)

    # The committee has it: by e-mail (its address and its chair's), SMS, in the app.
    assert sorted(m.to[0] for m in mail.outbox) == [
        "chair-tamale@example.org",
        "committee@tamale.example.org",
    ]
    assert "Tamale" in mail.outbox[0].subject
    assert f"/alerts/{alert.uuid}/" in mail.outbox[0].body
    sms = outside.sms()
    assert [m["To"] for m in sms] == [infra.committee_phone.value]
    assert "Tamale" in sms[0]["Body"] and str(alert.uuid) in sms[0]["Body"]
    committee_deliveries = Delivery.objects.filter(alert=alert, actor=infra.committee)
    assert {d.state for d in committee_deliveries} == {DeliveryState.SENT}
    chair = logged_in(infra.chair)
    mine = chair.get("/alerts/mine/").content.decode()
    assert "1 unread alert" in mine and "Tamale" in mine
    assert not Delivery.objects.filter(alert=alert, actor=infra.council).exists()

    # Nobody acknowledges. A minute before the time, nothing moves.
    clock.advance(minutes=44)
    assert escalate_due(clock.now) == []
    run_tasks(clock.now)
    alert.refresh_from_db()
    assert alert.level == Level.DISTRICT
    assert not Delivery.objects.filter(alert=alert, actor=infra.council).exists()
    assert queued("escalate_at_due_time")

    # At the time, the task scheduled for it alerts the national council (no regional
    # council covers Northern: that level is skipped).
    clock.advance(minutes=1)
    run_tasks(clock.now)
    alert.refresh_from_db()
    assert alert.level == Level.NATIONAL
    assert alert.escalation_due_at is None  # the top of this instance's ladder
    council = Delivery.objects.filter(alert=alert, actor=infra.council)
    assert {(d.channel, d.state) for d in council} == {
        (DeliveryChannel.WEBHOOK, DeliveryState.SENT),
        (DeliveryChannel.APP, DeliveryState.SENT),
        (DeliveryChannel.EMAIL, DeliveryState.SENT),
    }
    escalated = alert.timeline.get(kind=TimelineKind.ESCALATED)
    assert escalated.at == clock.now and escalated.level == Level.NATIONAL
    assert "45 minutes" in escalated.note
    ((headers, body),) = outside.hooks()
    assert webhook.verify(body, headers[webhook.HEADER], webhook.key_for(infra.council_webhook))
    assert json.loads(body)["alert"]["uuid"] == str(alert.uuid)

    # The council's secretary acknowledges from the alert page; the ladder stops.
    clock.advance(minutes=7)
    page = logged_in(infra.secretary).post(
        f"/alerts/{alert.uuid}/", {"action": "acknowledge", "note": "Mediators on the way."}
    )
    assert page.status_code == 302
    alert.refresh_from_db()
    assert alert.state == AlertState.ACKNOWLEDGED
    assert alert.acknowledged_for == infra.council
    assert alert.acknowledged_at == clock.now
    kinds = list(alert.timeline.values_list("kind", flat=True))
    assert kinds[:3] == [TimelineKind.CREATED, TimelineKind.ISSUED, TimelineKind.ROUTED]
    assert kinds[-1] == TimelineKind.ACKNOWLEDGED
    clock.advance(days=1)
    assert escalate_due(clock.now) == []

    # Nothing that left the machine names the reporter or repeats their words.
    outgoing = [m.subject + m.body for m in mail.outbox]
    outgoing += [m["Body"] for m in outside.sms()]
    outgoing += [body.decode() for _h, body in outside.hooks()]
    for text in outgoing:
        for secret in (REPORTER_PHONE, REPORTER_NAME, "Aboabo", "5550177"):
            assert secret not in text


def test_one_live_alert_per_place_however_many_signals(
    tasks: None, clock: Clock, django_capture_on_commit_callbacks: Any
) -> None:
    world = build_warning_world()
    build_infrastructure(world)
    rule(world, issue_at_once=False)
    reports = burst(world, clock)
    first = signal_of(world, clock, reports)
    second = Signal.objects.get(pk=first.pk)
    second.pk = None
    second.uuid = second.__class__._meta.get_field("uuid").get_default()
    second.method = Method.EARS_C3
    second.save()
    with django_capture_on_commit_callbacks(execute=True):
        made = apply_rules([first, second])
    assert len(made) == 1 and made[0].state == AlertState.DRAFT
    second.refresh_from_db()
    assert second.state == SignalState.ALERTED  # covered by the live draft
    # Once that alert is closed, a new signal may alert again.
    made[0].state = AlertState.CLOSED
    made[0].save()
    third = Signal.objects.get(pk=second.pk)
    third.pk = None
    third.uuid = third.__class__._meta.get_field("uuid").get_default()
    third.period_start = third.period_start + dt.timedelta(days=1)
    third.state = SignalState.NEW
    third.save()
    assert len(apply_rules([third])) == 1


def test_unconfirmed_reports_alone_make_a_restricted_alert_even_under_a_public_rule(
    tasks: None, clock: Clock
) -> None:
    world = build_warning_world()
    rule(world, scope=CapScope.PUBLIC, min_confirmed_public=2, issue_at_once=False)
    signal = signal_of(world, clock, burst(world, clock))
    (alert,) = apply_rules([signal])
    assert alert.scope == CapScope.RESTRICTED
    clock.advance(days=1)
    confirmed = signal_of(world, clock, burst(world, clock, count=3))
    Signal.objects.filter(pk=confirmed.pk).update(confirmed=2)
    confirmed.refresh_from_db()
    alert.state = AlertState.CLOSED
    alert.save()
    (public,) = apply_rules([confirmed])
    assert public.scope == CapScope.PUBLIC


def test_a_rule_applies_only_to_its_methods_period_types_and_minimum(
    tasks: None, clock: Clock
) -> None:
    world = build_warning_world()
    protest = EventType.objects.filter(framework=world.framework).exclude(
        code__startswith="battles"
    )[0]
    only_protests = rule(world, methods=[], issue_at_once=False)
    only_protests.event_types.add(protest)
    signal = signal_of(world, clock, burst(world, clock))
    assert apply_rules([signal]) == []
    only_protests.event_types.clear()
    AlertRule.objects.filter(pk=only_protests.pk).update(min_observed=10)
    assert apply_rules([signal]) == []
    AlertRule.objects.filter(pk=only_protests.pk).update(min_observed=3, period=Period.WEEK)
    assert apply_rules([signal]) == []
    AlertRule.objects.filter(pk=only_protests.pk).update(period=Period.DAY, is_active=False)
    assert apply_rules([signal]) == []
    AlertRule.objects.filter(pk=only_protests.pk).update(is_active=True)
    assert len(apply_rules([signal])) == 1


def test_a_burst_in_a_district_alerts_the_district_not_the_region_and_country_above_it(
    tasks: None, clock: Clock
) -> None:
    world = build_warning_world()
    rule(world, issue_at_once=False)
    district = signal_of(world, clock, burst(world, clock))

    def same_alarm_at(place: Any, **fields: Any) -> Signal:
        copy = Signal.objects.get(pk=district.pk)
        copy.pk = None
        copy.uuid = copy.__class__._meta.get_field("uuid").get_default()
        copy.place = place
        for name, value in fields.items():
            setattr(copy, name, value)
        copy.save()
        return copy

    region = same_alarm_at(world.northern)
    country = same_alarm_at(world.ghana)
    other_method_at_country = same_alarm_at(world.ghana, method=Method.EARS_C3)
    made = apply_rules([country, region, district, other_method_at_country])
    # The district's alarm explains the same alarm above it; another alarm above is its own.
    assert sorted(alert.place.name for alert in made) == sorted(
        [world.tamale.name, world.ghana.name]
    )
    for explained in (region, country):
        explained.refresh_from_db()
        assert explained.state == SignalState.NEW


def test_an_alert_a_rule_issues_goes_out_from_the_worker_that_issued_it(
    tasks: None, clock: Clock, outside: Outside, django_capture_on_commit_callbacks: Any
) -> None:
    world = build_warning_world()
    build_infrastructure(world)
    rule(world)
    signal = signal_of(world, clock, burst(world, clock))
    with django_capture_on_commit_callbacks(execute=True):
        (alert,) = apply_rules([signal])

    # Sent before any task ran: the alert does not wait in the queue a second time.
    deliveries = Delivery.objects.filter(alert=alert)
    assert deliveries.count() == 4
    assert {(d.state, d.attempts) for d in deliveries} == {(DeliveryState.SENT, 1)}
    assert len(mail.outbox) == 2 and len(outside.sms()) == 1

    # The task queued with them is the safety net: it waits, then finds nothing to send.
    (net,) = queued("deliver_alerts")
    assert net.task.run_after == clock.now + SAFETY_NET_AFTER
    assert "deliver_alerts" not in run_tasks(clock.now)
    clock.advance(seconds=SAFETY_NET_AFTER.total_seconds())
    assert "deliver_alerts" in run_tasks(clock.now)
    assert len(mail.outbox) == 2 and len(outside.sms()) == 1
    assert {(d.state, d.attempts) for d in deliveries.all()} == {(DeliveryState.SENT, 1)}


def test_an_alert_whose_worker_stopped_before_sending_goes_out_by_the_queued_task(
    tasks: None,
    clock: Clock,
    outside: Outside,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = build_warning_world()
    build_infrastructure(world)
    rule(world)
    signal = signal_of(world, clock, burst(world, clock))
    stopped: list[list[str]] = []
    sending = delivery.deliver_each
    monkeypatch.setattr(delivery, "deliver_each", lambda ids, **_: stopped.append(ids))
    with django_capture_on_commit_callbacks(execute=True):
        (alert,) = apply_rules([signal])
    monkeypatch.setattr(delivery, "deliver_each", sending)

    deliveries = Delivery.objects.filter(alert=alert)
    assert len(stopped) == 1 and sorted(stopped[0]) == sorted(str(d.uuid) for d in deliveries)
    assert {d.state for d in deliveries} == {DeliveryState.QUEUED} and not mail.outbox
    clock.advance(seconds=SAFETY_NET_AFTER.total_seconds())
    assert "deliver_alerts" in run_tasks(clock.now)
    assert {(d.state, d.attempts) for d in deliveries.all()} == {(DeliveryState.SENT, 1)}
    assert len(mail.outbox) == 2 and len(outside.sms()) == 1
