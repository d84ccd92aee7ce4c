"""Test helpers for the alert loop: a clock the test moves, a task queue the test runs, the
peace infrastructure of the small warning world, and the outside world (SMS, webhooks)
recorded instead of reached."""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import TestCase
from django.utils import timezone
from django_tasks import default_task_backend

from i4p.accounts.models import Role, User
from i4p.geo.models import Place
from i4p.registry.models import Actor, ActorKind, ContactPoint, Level, Moderation, Representative
from i4p.warning.gateways import base as http_base
from i4p.warning.models import Channel, Gateway, OnCall
from i4p.warning.tests.builders import WarningWorld, staff
from i4p.warning.tests.sms import make_gateway

START = dt.datetime(2025, 3, 4, 8, 0, tzinfo=dt.UTC)


class Clock:
    """`timezone.now()` as the test sets it."""

    def __init__(self, start: dt.datetime = START) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


def run_tasks(now: dt.datetime | None = None, *, limit: int = 1000) -> list[str]:
    """Run every queued task (Dummy backend) whose time has come, and those they queue, with
    their after-commit work done as in production. Returns the task names run, in order."""
    backend: Any = default_task_backend
    ran: list[str] = []
    while len(ran) < limit:
        moment = now or timezone.now()
        ready = [
            result
            for result in backend.results
            if result.task.run_after is None or result.task.run_after <= moment
        ]
        if not ready:
            return ran
        result = ready[0]
        backend.results.remove(result)
        with TestCase.captureOnCommitCallbacks(execute=True):
            result.task.func(*result.args, **result.kwargs)
        ran.append(result.task.name)
    raise AssertionError("tasks kept queueing tasks")


def queued(name: str) -> list[Any]:
    backend: Any = default_task_backend
    return [result for result in backend.results if result.task.name == name]


@dataclass
class Infrastructure:
    """A district peace committee for Tamale and a national peace council for Ghana (no
    regional council for Northern: escalation skips that level), and their members."""

    committee: Actor
    council: Actor
    chair: User  # on call for the committee
    secretary: User  # represents the national council
    committee_email: ContactPoint
    committee_phone: ContactPoint
    council_webhook: ContactPoint
    gateway: Gateway


def mechanism(name: str, kind: str, level: str, covers: Place, **fields: Any) -> Actor:
    actor = Actor.objects.create(
        name=name, kind=kind, level=level, moderation=Moderation.PUBLISHED, **fields
    )
    actor.coverage.add(covers)
    return actor


def build_infrastructure(world: WarningWorld) -> Infrastructure:
    committee = mechanism(
        "Tamale District Peace Committee",
        ActorKind.LOCAL_PEACE_COMMITTEE,
        Level.DISTRICT,
        world.tamale,
    )
    council = mechanism(
        "National Peace Council", ActorKind.PEACE_COUNCIL, Level.NATIONAL, world.ghana
    )
    chair = staff("chair-tamale", Role.MEMBER, world.tamale)
    OnCall.objects.create(actor=committee, user=chair)
    secretary = staff("secretary-npc", Role.MEMBER, world.ghana)
    Representative.objects.create(user=secretary, actor=council)
    committee_email = ContactPoint.objects.create(
        actor=committee, kind="email", value="committee@tamale.example.org"
    )
    committee_phone = ContactPoint.objects.create(
        actor=committee, kind="phone", value="+233201234567"
    )
    council_webhook = ContactPoint.objects.create(
        actor=council, kind="url", value="https://npc.example.org/hooks/i4p"
    )
    gateway = make_gateway(Channel.TWILIO, country="GH", account_sid="AC0000")
    return Infrastructure(
        committee=committee,
        council=council,
        chair=chair,
        secretary=secretary,
        committee_email=committee_email,
        committee_phone=committee_phone,
        council_webhook=council_webhook,
        gateway=gateway,
    )


@dataclass
class Outside:
    """What left the machine over HTTP (SMS vendors and webhooks): url, headers, body."""

    calls: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    status: int = 201

    def post(self, url: str, *, data: bytes, headers: Any) -> tuple[int, bytes]:
        self.calls.append((url, dict(headers), data))
        return self.status, json.dumps({"sid": f"SM{len(self.calls)}"}).encode()

    def sms(self) -> list[dict[str, str]]:
        return [
            dict(urllib.parse.parse_qsl(body.decode()))
            for url, _headers, body in self.calls
            if "twilio" in url
        ]

    def hooks(self) -> list[tuple[dict[str, str], bytes]]:
        return [(headers, body) for url, headers, body in self.calls if "twilio" not in url]


# -- fixtures (import them into a test module to use them) ------------------------------------


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    moment = Clock()
    monkeypatch.setattr(timezone, "now", moment)
    return moment


@pytest.fixture
def tasks(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    backend: Any = default_task_backend
    backend.clear()


@pytest.fixture
def outside(monkeypatch: pytest.MonkeyPatch) -> Outside:
    recorder = Outside()
    monkeypatch.setattr(http_base, "http_post", recorder.post)
    return recorder
