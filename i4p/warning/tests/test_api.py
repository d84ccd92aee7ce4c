"""The reports API: post with an idempotency key, read in scope, the framework, external events."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from i4p.accounts.models import TokenScope, User
from i4p.accounts.services import issue_token
from i4p.warning.intake import Draft, inbound_sender, submit_report
from i4p.warning.models import (
    Channel,
    EventType,
    ExternalEvent,
    ExternalSource,
    FieldType,
    InboundMessage,
    PlacePrecision,
    Report,
    ReportField,
    ReportKind,
    Verification,
)
from i4p.warning.tests.builders import WarningWorld, build_warning_world
from i4p.web.tests.world import database_fingerprint

pytestmark = pytest.mark.django_db

PHONE = "+233 24 555 0199"
NAME = "Abena Mensah-Canary"


def client_for(user: User, scope: str = TokenScope.WRITE) -> Client:
    _token, plain = issue_token(user, by=user, name="test", scope=scope)
    return Client(HTTP_AUTHORIZATION=f"Bearer {plain}")


def post(client: Client, body: dict[str, Any], key: str = "") -> Any:
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(
        "/api/v1/reports", json.dumps(body), content_type="application/json", headers=headers
    )


def clash_in(world: WarningWorld, place: Any = None, **more: Any) -> dict[str, Any]:
    return {
        "event_type": "battles.armed_clash",
        "description": "Two quarters fought near the market.",
        "occurred_at": "2026-03-02T14:30:00Z",
        "time_precision": "hour",
        "place": str((place or world.tamale).uuid),
        "injured": 4,
        **more,
    }


def report_by(user: User, place: Any, *, code: str = "battles.armed_clash", **more: Any) -> Report:
    draft = Draft(
        event_type=EventType.objects.get(code=code),
        description="Something happened.",
        place=place,
        **more,
    )
    report, _created = submit_report(draft, by=user, channel=Channel.WEB, payload={})
    return report


# -- posting --------------------------------------------------------------------------------


def test_a_monitor_posts_an_incident_with_a_token_and_gets_it_back_placed() -> None:
    world = build_warning_world()

    answer = post(client_for(world.monitor), clash_in(world, actors_text="Youth groups"))

    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["place"]["name"] == "Tamale"
    assert body["place_precision"] == PlacePrecision.ADMIN2
    assert body["event_type"] == {"code": "battles.armed_clash", "name": "Armed clash"}
    assert body["time_precision"] == "hour"
    assert body["occurred_at"].startswith("2026-03-02T14:30")
    assert body["injured"] == 4 and body["actors_text"] == "Youth groups"
    assert body["channel"] == Channel.API and body["verification"] == Verification.PENDING
    report = Report.objects.get(uuid=body["uuid"])
    assert report.reporter is not None and report.reporter.user == world.monitor
    assert body["reporter"] == report.reporter.handle


def test_a_report_from_coordinates_is_placed_by_locate() -> None:
    world = build_warning_world()
    body = clash_in(world, latitude=9.41, longitude=-0.86)
    del body["place"]

    answer = post(client_for(world.monitor), body)

    assert answer.status_code == 201, answer.content
    assert answer.json()["place"]["name"] == "Tamale"
    assert answer.json()["location_method"] == "nearest"
    assert answer.json()["place_precision"] == PlacePrecision.EXACT


def test_the_same_report_sent_twice_with_one_key_is_stored_once() -> None:
    world = build_warning_world()
    client = client_for(world.monitor)

    first = post(client, clash_in(world), key="phone-42-report-7")
    again = post(client, clash_in(world), key="phone-42-report-7")
    other = post(client, clash_in(world), key="phone-42-report-8")

    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 201)
    assert again.json() == first.json()
    assert other.json()["uuid"] != first.json()["uuid"]
    assert Report.objects.count() == 2
    assert InboundMessage.objects.count() == 2


def test_the_reporters_contact_is_sealed_and_never_echoed() -> None:
    world = build_warning_world()
    client = client_for(world.monitor)
    body = clash_in(world, reporter={"phone": PHONE, "name": NAME})

    answer = post(client, body, key="relayed-call-1")
    again = post(client, body, key="relayed-call-1")
    shown = client.get(f"/api/v1/reports/{answer.json()['uuid']}")
    listed = client.get("/api/v1/reports")

    for response in (answer, again, shown, listed):
        text = response.content.decode()
        assert "245550199" not in text and "555 0199" not in text and "Canary" not in text
    inbound = InboundMessage.objects.get()
    assert b"Canary" not in bytes(inbound.payload)
    assert inbound_sender(inbound).name == NAME  # kept, sealed, for an audited reveal


def test_a_situation_report_keeps_indicator_values_and_the_admins_extra_answers() -> None:
    world = build_warning_world()
    ReportField.objects.create(
        framework=world.framework,
        key="market_open",
        label="Is the market open?",
        field_type=FieldType.YES_NO,
    )
    indicator = world.framework.indicators.order_by("position").first()
    assert indicator is not None
    body = {
        "kind": ReportKind.SITUATION,
        "place": str(world.yendi.uuid),
        "occurred_at": "2026-03-01T00:00:00Z",
        "occurred_until": "2026-03-07T23:59:00Z",
        "time_precision": "week",
        "observations": {indicator.code: 2},
        "answers": {"market_open": "no"},
    }

    answer = post(client_for(world.monitor), body)

    assert answer.status_code == 201, answer.content
    assert answer.json()["kind"] == ReportKind.SITUATION
    assert answer.json()["answers"] == {"market_open": False}
    assert answer.json()["observations"] == [
        {"indicator": indicator.code, "value": 2.0, "text": ""}
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"event_type": "battles.pillow_fight"}, "event_type"),
        ({"place": "00000000-0000-4000-8000-000000000000"}, "place"),
        ({"observations": {"no_such_indicator": 1}}, "observations.no_such_indicator"),
        ({"answers": {"no_such_question": "x"}}, "answers.no_such_question"),
        ({"occurred_at": "2099-01-01T00:00:00Z"}, "occurred_at"),
        ({"latitude": 9.4}, "latitude"),
        ({"event_type": "", "description": ""}, "description"),
        ({"killed": -1}, "killed"),
    ],
)
def test_a_report_that_cannot_be_right_is_refused_with_the_field_and_nothing_changes(
    change: dict[str, Any], field: str
) -> None:
    world = build_warning_world()
    client = client_for(world.monitor)
    before = database_fingerprint()

    answer = post(client, {**clash_in(world), **change}, key="k")

    assert answer.status_code == 400, answer.content
    assert field in answer.json()["fields"]
    assert database_fingerprint() == before


def test_nobody_posts_without_an_account_and_a_read_only_token_cannot_post() -> None:
    world = build_warning_world()

    anonymous = post(Client(), clash_in(world))
    read_only = post(client_for(world.monitor, TokenScope.READ), clash_in(world))

    assert anonymous.status_code == 401
    assert read_only.status_code == 403
    assert not Report.objects.exists() and not InboundMessage.objects.exists()


# -- reading --------------------------------------------------------------------------------


def uuids(answer: Any) -> set[str]:
    assert answer.status_code == 200, answer.content
    return {item["uuid"] for item in answer.json()["items"]}


def test_each_reader_lists_the_reports_of_their_own_scope() -> None:
    world = build_warning_world()
    mine = report_by(world.monitor, world.tamale)
    yendi = report_by(world.yendi_analyst, world.yendi)
    volta = report_by(world.national_analyst, world.volta)

    assert uuids(client_for(world.monitor).get("/api/v1/reports")) == {str(mine.uuid)}
    assert uuids(client_for(world.tamale_analyst).get("/api/v1/reports")) == {str(mine.uuid)}
    assert uuids(client_for(world.yendi_analyst).get("/api/v1/reports")) == {str(yendi.uuid)}
    everything = {str(r.uuid) for r in (mine, yendi, volta)}
    assert uuids(client_for(world.national_analyst).get("/api/v1/reports")) == everything
    assert client_for(world.tamale_analyst).get(f"/api/v1/reports/{yendi.uuid}").status_code == 404
    shown = client_for(world.yendi_analyst).get(f"/api/v1/reports/{yendi.uuid}")
    assert shown.status_code == 200 and shown.json()["place"]["name"] == "Yendi"


def test_the_list_filters_by_time_place_and_its_districts_type_verification_and_triage() -> None:
    world = build_warning_world()
    march = dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)
    tamale = report_by(world.monitor, world.tamale, occurred_at=march)
    yendi = report_by(world.monitor, world.yendi, occurred_at=march - dt.timedelta(days=30))
    volta = report_by(
        world.monitor, world.volta, code="protests.peaceful_protest", occurred_at=march
    )
    Report.objects.filter(pk=volta.pk).update(verification=Verification.VERIFIED)
    untyped, _ = submit_report(
        Draft(description="Shots heard at night.", place=world.tamale, occurred_at=march),
        by=world.monitor,
        channel=Channel.WEB,
        payload={},
    )
    client = client_for(world.national_analyst)

    def listed(**query: str) -> set[str]:
        return uuids(client.get("/api/v1/reports", query))

    assert listed(place=str(world.northern.uuid)) == {
        str(tamale.uuid),
        str(yendi.uuid),
        str(untyped.uuid),
    }
    assert listed(since="2026-03-01T00:00:00Z") == {
        str(tamale.uuid),
        str(volta.uuid),
        str(untyped.uuid),
    }
    assert listed(until="2026-03-01T00:00:00Z") == {str(yendi.uuid)}
    assert listed(event_type="battles") == {str(tamale.uuid), str(yendi.uuid)}
    assert listed(event_type="protests.peaceful_protest") == {str(volta.uuid)}
    assert listed(verification="verified") == {str(volta.uuid)}
    assert listed(triage="true") == {str(untyped.uuid)}  # the type of event is not known
    bad = client.get("/api/v1/reports", {"place": "00000000-0000-4000-8000-000000000000"})
    assert bad.status_code == 400 and "place" in bad.json()["fields"]


def test_the_list_takes_the_same_number_of_queries_for_five_or_fifty_reports() -> None:
    world = build_warning_world()
    indicator = world.framework.indicators.first()
    assert indicator is not None
    client = client_for(world.national_analyst)
    client.get("/api/v1/reports")  # the token's first use is written down once a minute

    def queries_for(count: int) -> int:
        while Report.objects.count() < count:
            report_by(world.monitor, world.tamale)
            submit_report(
                Draft(
                    kind=ReportKind.SITUATION,
                    place=world.yendi,
                    observations={indicator.code: 1},
                ),
                by=world.monitor,
                channel=Channel.WEB,
                payload={},
            )
        with CaptureQueriesContext(connection) as context:
            answer = client.get("/api/v1/reports", {"limit": "100"})
        assert len(answer.json()["items"]) == Report.objects.count()
        return len(context.captured_queries)

    few, many = queries_for(5), queries_for(50)
    assert few == many
    # Token, grants for reading and for the restricted ones, the page, its observations.
    assert many <= 6


def test_a_full_page_counts_the_total() -> None:
    world = build_warning_world()
    for _ in range(3):
        report_by(world.monitor, world.tamale)
    client = client_for(world.monitor)

    page = client.get("/api/v1/reports", {"limit": "2"}).json()
    rest = client.get("/api/v1/reports", {"limit": "2", "offset": "2"}).json()

    assert (page["count"], len(page["items"])) == (3, 2)
    assert (rest["count"], len(rest["items"])) == (3, 1)


def test_the_framework_tells_a_client_what_its_forms_ask() -> None:
    world = build_warning_world()
    ReportField.objects.create(
        framework=world.framework,
        key="road_blocked",
        label="Is the road blocked?",
        field_type=FieldType.CHOICE,
        choices=["yes", "partly", "no"],
        report_kind=ReportKind.INCIDENT,
        required=True,
    )

    answer = client_for(world.monitor, TokenScope.READ).get("/api/v1/framework")

    assert answer.status_code == 200
    body = answer.json()
    assert body["slug"] == world.framework.slug
    assert len(body["indicators"]) == world.framework.indicators.count() > 10
    clash = next(t for t in body["event_types"] if t["code"] == "battles.armed_clash")
    assert clash["parent"] == "battles" and clash["acled_sub_event_type"] == "Armed clash"
    assert body["fields"] == [
        {
            "key": "road_blocked",
            "label": "Is the road blocked?",
            "help_text": "",
            "field_type": "choice",
            "choices": ["yes", "partly", "no"],
            "required": True,
            "report_kind": "incident",
        }
    ]
    assert Client().get("/api/v1/framework").status_code == 401


# -- external events ------------------------------------------------------------------------


def external(source_id: str, place: Any, **more: Any) -> ExternalEvent:
    day = timezone.localdate()
    return ExternalEvent.objects.create(
        source=ExternalSource.UCDP_GED,
        source_id=source_id,
        occurred_from=more.pop("day", day),
        occurred_until=day,
        time_precision="day",
        place=place,
        place_precision=PlacePrecision.ADMIN2,
        **more,
    )


def test_external_events_are_listed_to_staff_who_read_reports_in_their_scope() -> None:
    world = build_warning_world()
    clash = EventType.objects.get(code="battles.armed_clash")
    in_tamale = external("1", world.tamale, event_type=clash, fatalities=3)
    in_volta = external("2", world.volta, day=dt.date(2019, 5, 1))

    def listed(user: User, **query: str) -> set[str]:
        return uuids(client_for(user, TokenScope.READ).get("/api/v1/external-events", query))

    assert listed(world.tamale_analyst) == {str(in_tamale.uuid)}
    assert listed(world.national_analyst) == {str(in_tamale.uuid), str(in_volta.uuid)}
    assert listed(world.national_analyst, event_type="battles") == {str(in_tamale.uuid)}
    assert listed(world.national_analyst, until="2020-01-01") == {str(in_volta.uuid)}
    assert listed(world.national_analyst, place=str(world.volta.uuid)) == {str(in_volta.uuid)}
    monitor = client_for(world.monitor, TokenScope.READ).get("/api/v1/external-events")
    assert monitor.status_code == 403
    item = client_for(world.tamale_analyst).get("/api/v1/external-events").json()["items"][0]
    assert item["fatalities"] == 3 and item["event_type"]["code"] == "battles.armed_clash"
