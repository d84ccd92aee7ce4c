"""Routing: which mechanisms an issued alert reaches, by which channels, and what happens when
nobody covers the place."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from i4p.accounts.models import Role
from i4p.registry.models import (
    ActorKind,
    ActorStatus,
    ContactPoint,
    Level,
    Moderation,
    Representative,
)
from i4p.warning.alerts import default_words, draft_alert, issue_alert
from i4p.warning.models import (
    Alert,
    Delivery,
    DeliveryChannel,
    DeliveryState,
    EscalationStep,
    OnCall,
    TimelineKind,
)
from i4p.warning.routing import (
    escalate_due,
    levels_covering,
    mechanisms,
    recipients,
    route_issued,
)
from i4p.warning.tests.builders import WarningWorld, build_warning_world, staff
from i4p.warning.tests.loop import Clock, build_infrastructure, mechanism
from i4p.web.tests.world import logged_in

pytestmark = pytest.mark.django_db


def _issued(world: WarningWorld, place: Any = None) -> Alert:
    place = place or world.tamale
    alert = draft_alert(place, by=world.national_analyst, words=default_words(place, None))
    return issue_alert(alert, by=world.national_analyst)


def test_routing_picks_published_active_mechanisms_covering_the_place_or_above() -> None:
    world = build_warning_world()
    infra = build_infrastructure(world)
    regional = mechanism(
        "Northern Regional Peace Council", ActorKind.PEACE_COUNCIL, Level.SUBNATIONAL,
        world.northern,
    )  # fmt: skip
    mechanism("Yendi Peace Committee", ActorKind.LOCAL_PEACE_COMMITTEE, Level.DISTRICT, world.yendi)
    mechanism("Tamale Youth CSO", ActorKind.CSO, Level.DISTRICT, world.tamale)
    pending = mechanism("Pending committee", ActorKind.LOCAL_PEACE_COMMITTEE, Level.DISTRICT,
                        world.tamale)  # fmt: skip
    pending.moderation = Moderation.PENDING
    pending.save()
    dormant = mechanism("Dormant committee", ActorKind.LOCAL_PEACE_COMMITTEE, Level.DISTRICT,
                        world.tamale)  # fmt: skip
    dormant.status = ActorStatus.DORMANT
    dormant.save()
    names = list(mechanisms(world.tamale).values_list("name", flat=True))
    assert names == [infra.council.name, regional.name, infra.committee.name]
    assert levels_covering(world.tamale) == [Level.DISTRICT, Level.SUBNATIONAL, Level.NATIONAL]
    # Volta has neither a committee nor a regional council: only the national level covers it.
    assert levels_covering(world.volta) == [Level.NATIONAL]
    assert "Yendi Peace Committee" not in names


def test_an_issued_alert_reaches_the_lowest_level_only_with_one_delivery_per_channel(
    tasks: None, clock: Clock, django_capture_on_commit_callbacks: Any
) -> None:
    world = build_warning_world()
    infra = build_infrastructure(world)
    with django_capture_on_commit_callbacks(execute=True):
        alert = _issued(world)
    alert.refresh_from_db()
    assert alert.level == Level.DISTRICT
    assert alert.escalation_due_at == clock.now + dt.timedelta(minutes=60)
    deliveries = Delivery.objects.filter(alert=alert)
    assert {d.actor for d in deliveries} == {infra.committee}
    assert {(d.channel, d.contact_id, d.user_id) for d in deliveries} == set(
        [
            (DeliveryChannel.EMAIL, infra.committee_email.pk, None),
            (DeliveryChannel.SMS, infra.committee_phone.pk, None),
            (DeliveryChannel.APP, None, infra.chair.pk),
            (DeliveryChannel.EMAIL, None, infra.chair.pk),
        ]
    )
    routed = alert.timeline.filter(kind=TimelineKind.ROUTED).get()
    assert routed.actor == infra.committee and routed.level == Level.DISTRICT


def test_a_configured_escalation_step_sets_the_time_to_acknowledge(
    tasks: None, clock: Clock
) -> None:
    world = build_warning_world()
    build_infrastructure(world)
    EscalationStep.objects.create(level=Level.DISTRICT, minutes=15)
    alert = _issued(world)
    route_issued(alert.pk)
    alert.refresh_from_db()
    assert alert.escalation_due_at == clock.now + dt.timedelta(minutes=15)


def test_at_the_top_level_there_is_nothing_to_escalate_to(tasks: None, clock: Clock) -> None:
    world = build_warning_world()
    infra = build_infrastructure(world)
    alert = _issued(world, world.volta)  # only the national council covers Volta
    route_issued(alert.pk)
    alert.refresh_from_db()
    assert alert.level == Level.NATIONAL and alert.escalation_due_at is None
    assert {d.actor for d in alert.deliveries.all()} == {infra.council}


def test_an_alert_nobody_covers_says_so_on_its_timeline_and_on_the_dashboard(
    tasks: None, clock: Clock
) -> None:
    world = build_warning_world()
    alert = _issued(world)
    assert route_issued(alert.pk) == []
    alert.refresh_from_db()
    assert alert.level == "" and not alert.deliveries.exists()
    line = alert.timeline.get(kind=TimelineKind.ROUTED)
    assert "No response mechanism covers Tamale" in line.note
    page = logged_in(world.national_analyst).get("/alerts/deliveries/")
    assert page.status_code == 200
    assert alert.identifier in page.content.decode()


def test_an_uncovered_alert_goes_out_once_a_mechanism_covers_its_place(
    tasks: None, clock: Clock
) -> None:
    world = build_warning_world()
    alert = _issued(world)
    route_issued(alert.pk)
    clock.advance(minutes=5)
    escalate_due()  # still nobody: the timeline said so once and says nothing more
    alert.refresh_from_db()
    assert alert.level == "" and alert.timeline.filter(kind=TimelineKind.ROUTED).count() == 1
    infra = build_infrastructure(world)  # the district committee is published later
    clock.advance(minutes=1)
    escalate_due()
    alert.refresh_from_db()
    assert alert.level == Level.DISTRICT
    assert alert.escalation_due_at == clock.now + dt.timedelta(minutes=60)
    assert {d.actor for d in alert.deliveries.all()} == {infra.committee}
    lines = [line.note for line in alert.timeline.filter(kind=TimelineKind.ROUTED).order_by("pk")]
    assert "No response mechanism covers Tamale" in lines[0]
    assert "now covers Tamale" in lines[1]
    assert lines[2].startswith(infra.committee.name)
    escalate_due()  # routed once, never twice
    assert alert.deliveries.count() == len({d.pk for d in alert.deliveries.all()}) == 4


def test_a_mechanism_with_no_way_to_reach_it_is_a_failed_delivery_not_a_silence(
    tasks: None, clock: Clock
) -> None:
    world = build_warning_world()
    silent = mechanism("Silent committee", ActorKind.LOCAL_PEACE_COMMITTEE, Level.DISTRICT,
                       world.tamale)  # fmt: skip
    alert = _issued(world)
    route_issued(alert.pk)
    failed = Delivery.objects.get(alert=alert)
    assert failed.actor == silent and failed.state == DeliveryState.FAILED
    assert "No contact point" in failed.last_error
    assert alert.timeline.filter(kind=TimelineKind.DELIVERY_FAILED, actor=silent).exists()


def test_on_call_members_in_force_replace_the_representatives_and_named_contacts_need_consent(
    clock: Clock,
) -> None:
    world = build_warning_world()
    committee = mechanism("Committee", ActorKind.LOCAL_PEACE_COMMITTEE, Level.DISTRICT,
                          world.tamale)  # fmt: skip
    rep = staff("rep", Role.MEMBER, world.tamale)
    Representative.objects.create(user=rep, actor=committee)
    ContactPoint.objects.create(actor=committee, kind="phone", value="+233200000001",
                                person_name="Amina")  # fmt: skip
    ContactPoint.objects.create(actor=committee, kind="address", value="Market road")
    chosen = {(r.channel, r.user) for r in recipients(committee)}
    assert chosen == {(DeliveryChannel.APP, rep), (DeliveryChannel.EMAIL, rep)}
    on_duty = staff("on-duty", Role.MEMBER, world.tamale)
    off_duty = staff("off-duty", Role.MEMBER, world.tamale)
    OnCall.objects.create(actor=committee, user=on_duty, starts_at=clock.now)
    OnCall.objects.create(
        actor=committee, user=off_duty, starts_at=clock.now + dt.timedelta(days=1)
    )
    users = {r.user for r in recipients(committee) if r.user is not None}
    assert users == {on_duty}
    ContactPoint.objects.filter(person_name="Amina").update(consent_at=clock.now)
    assert any(r.channel == DeliveryChannel.SMS for r in recipients(committee))
