"""The reviewers' API: lock, verdict, corrections, triage and incidents, scoped as the pages."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from i4p.accounts.models import TokenScope, User
from i4p.accounts.services import issue_token
from i4p.warning.intake import store_inbound
from i4p.warning.models import (
    Channel,
    InboundMessage,
    InboundState,
    Incident,
    IncidentStatus,
    Report,
    Verification,
)
from i4p.warning.tests.builders import build_warning_world, submit_test_report

pytestmark = pytest.mark.django_db


def api(user: User, scope: str = TokenScope.WRITE) -> Client:
    _token, plain = issue_token(user, by=user, name="test", scope=scope)
    return Client(HTTP_AUTHORIZATION=f"Bearer {plain}")


def send(client: Client, method: str, url: str, body: Any = None) -> Any:
    call = getattr(client, method)
    return call(
        f"/api/v1{url}",
        data=json.dumps(body) if body is not None else None,
        content_type="application/json",
    )


def test_an_analyst_locks_verifies_and_grades_a_report_through_the_api() -> None:
    world = build_warning_world()
    report = submit_test_report(world)
    client = api(world.tamale_analyst)
    locked = send(client, "post", f"/reports/{report.uuid}/lock")
    assert locked.status_code == 200 and locked.json()["locked_by"] == "analyst-tamale"
    answer = send(
        client,
        "post",
        f"/reports/{report.uuid}/verdict",
        {"verdict": "verified", "reliability": "B", "credibility": "2"},
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["verification"], body["source_reliability"]) == ("verified", "B")
    released = send(client, "delete", f"/reports/{report.uuid}/lock")
    assert released.json()["locked_by"] is None


def test_the_api_refuses_a_verdict_without_the_lock_and_when_another_holds_it() -> None:
    world = build_warning_world()
    report = submit_test_report(world)
    national = api(world.national_analyst)
    no_lock = send(national, "post", f"/reports/{report.uuid}/verdict", {"verdict": "false"})
    assert no_lock.status_code == 409 and no_lock.json()["code"] == "wrong_state"
    send(api(world.tamale_analyst), "post", f"/reports/{report.uuid}/lock")
    taken = send(national, "post", f"/reports/{report.uuid}/lock")
    assert taken.status_code == 409
    assert Report.objects.get(pk=report.pk).verification == Verification.PENDING


def test_an_analyst_of_another_district_gets_not_found() -> None:
    world = build_warning_world()
    report = submit_test_report(world)
    answer = send(api(world.yendi_analyst), "post", f"/reports/{report.uuid}/lock")
    assert answer.status_code == 404
    assert Report.objects.get(pk=report.pk).locked_by is None


def test_only_an_admin_breaks_a_lock_and_gives_a_reason() -> None:
    world = build_warning_world()
    report = submit_test_report(world)
    send(api(world.tamale_analyst), "post", f"/reports/{report.uuid}/lock")
    url = f"/reports/{report.uuid}/lock/break"
    assert send(api(world.national_analyst), "post", url, {"reason": "mine"}).status_code == 403
    assert send(api(world.admin), "post", url, {"reason": ""}).status_code == 400
    assert send(api(world.admin), "post", url, {"reason": "on leave"}).status_code == 200
    assert Report.objects.get(pk=report.pk).locked_by is None


def test_corrections_through_the_api_mark_the_place_as_reviewed() -> None:
    world = build_warning_world()
    report = submit_test_report(world, place=world.northern)
    client = api(world.national_analyst)
    send(client, "post", f"/reports/{report.uuid}/lock")
    answer = send(
        client,
        "patch",
        f"/reports/{report.uuid}/review",
        {"place": str(world.yendi.uuid), "killed": 2, "visibility": "public"},
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["place"] == str(world.yendi.uuid) and body["location_method"] == "reviewed"
    assert (body["killed"], body["visibility"], body["verification"]) == (2, "public", "pending")


def test_a_read_only_token_cannot_take_a_lock() -> None:
    world = build_warning_world()
    report = submit_test_report(world)
    answer = send(
        api(world.tamale_analyst, TokenScope.READ), "post", f"/reports/{report.uuid}/lock"
    )
    assert answer.status_code == 403
    assert Report.objects.get(pk=report.pk).locked_by is None


def test_a_triage_message_becomes_a_report_or_is_dismissed_through_the_api() -> None:
    world = build_warning_world()
    first, _new = store_inbound(Channel.GENERIC, {"text": "clash at the well"}, place=world.tamale)
    second, _new = store_inbound(Channel.GENERIC, {"text": "hi"}, place=world.tamale)
    InboundMessage.objects.update(state=InboundState.TRIAGE)
    client = api(world.tamale_analyst)
    made = send(
        client,
        "post",
        f"/triage/{first.uuid}/report",
        {
            "description": "Clash at the well.",
            "event_type": "battles.armed_clash",
            "place": str(world.tamale.uuid),
        },
    )
    assert made.status_code == 201, made.content
    assert Report.objects.get().place == world.tamale
    gone = send(client, "post", f"/triage/{second.uuid}/dismiss", {"reason": "greeting"})
    assert gone.status_code == 204
    assert InboundMessage.objects.get(pk=second.pk).state == InboundState.DISMISSED


def test_incidents_are_suggested_confirmed_and_split_through_the_api() -> None:
    world = build_warning_world()
    reports = [
        submit_test_report(world, occurred_at=timezone.now() - dt.timedelta(hours=h))
        for h in (3, 2, 1)
    ]
    client = api(world.tamale_analyst)
    suggested = send(client, "post", "/incidents/suggestions")
    assert suggested.status_code == 200
    (item,) = suggested.json()["items"]
    assert set(item["reports"]) == {str(r.uuid) for r in reports}
    split = send(
        client, "post", f"/incidents/{item['uuid']}/split", {"reports": [str(reports[0].uuid)]}
    )
    assert split.status_code == 201 and split.json()["reports"] == [str(reports[0].uuid)]
    assert Incident.objects.get(uuid=item["uuid"]).status == IncidentStatus.CONFIRMED
    assert (
        send(api(world.yendi_analyst), "post", f"/incidents/{item['uuid']}/confirm", {}).status_code
        == 404
    )
