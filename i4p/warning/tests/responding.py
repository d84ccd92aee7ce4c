"""Test helpers for responses: an issued alert about Tamale with reports behind it, delivered to
the Tamale peace committee, whose chair is on call."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from i4p.accounts.models import Role, User
from i4p.registry.models import Actor, ActorKind, Level
from i4p.warning.alerts import default_words, draft_alert, issue_alert
from i4p.warning.models import Alert, Delivery, DeliveryChannel, OnCall, Report
from i4p.warning.tests.builders import WarningWorld, build_warning_world, staff, submit_test_report


@dataclass
class Scene:
    world: WarningWorld
    committee: Actor  # Tamale peace committee: the alert reached it
    other: Actor  # Yendi peace committee: the alert did not reach it
    chair: User  # on call for the Tamale committee, no staff role
    outsider: User  # on call for the Yendi committee
    responder: User  # staff responder for Northern (sees alerts, reads no report)
    alert: Alert
    report: Report


def committee(name: str, level: str = Level.DISTRICT) -> Actor:
    return Actor.objects.create(name=name, kind=ActorKind.LOCAL_PEACE_COMMITTEE, level=level)


def deliver_to(alert: Alert, actor: Actor, user: User | None = None) -> Delivery:
    return Delivery.objects.create(
        alert=alert, actor=actor, level=actor.level, channel=DeliveryChannel.APP, user=user
    )


def build_scene(*, reports: list[Report] | None = None) -> Scene:
    world = build_warning_world()
    tamale = committee("Tamale Peace Committee")
    yendi = committee("Yendi Peace Committee")
    chair = staff("chair-tamale", Role.MEMBER, world.tamale)
    outsider = staff("chair-yendi", Role.MEMBER, world.yendi)
    OnCall.objects.create(actor=tamale, user=chair)
    OnCall.objects.create(actor=yendi, user=outsider)
    responder = staff("responder-northern", Role.RESPONDER, world.northern)
    report = submit_test_report(
        world, description="Youths from the Kukuo quarter fought near the market."
    )
    alert = draft_alert(
        world.tamale,
        by=world.tamale_analyst,
        words=default_words(world.tamale, None),
        reports=[report, *(reports or [])],
    )
    alert = issue_alert(alert, by=world.tamale_analyst)
    deliver_to(alert, tamale, chair)
    return Scene(world, tamale, yendi, chair, outsider, responder, alert, report)


def ago(**kwargs: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(**kwargs)
