"""The intake service: stored sealed before answering, idempotent, located, triaged."""

from __future__ import annotations

import pytest
from django.db import connection

from i4p.warning.intake import (
    Draft,
    Identity,
    inbound_payload,
    inbound_sender,
    store_inbound,
    submit_report,
)
from i4p.warning.models import (
    Channel,
    EventType,
    Gateway,
    InboundMessage,
    InboundState,
    LocationMethod,
    PlacePrecision,
    Report,
    Reporter,
)
from i4p.warning.tests.builders import build_warning_world

pytestmark = pytest.mark.django_db

PHONE = "+233 24 555 0142"


def clash() -> Draft:
    return Draft(
        event_type=EventType.objects.get(code="battles.armed_clash"),
        description="Youths from two quarters fought near the market.",
        injured=4,
    )


def test_a_web_report_is_stored_with_its_raw_message_and_placed_where_the_monitor_chose() -> None:
    world = build_warning_world()
    draft = clash()
    draft.place = world.tamale
    report, created = submit_report(
        draft, by=world.monitor, channel=Channel.WEB, payload={"description": draft.description}
    )
    assert created
    assert report.place == world.tamale
    assert report.place_precision == PlacePrecision.ADMIN2
    assert report.location_method == LocationMethod.CHOSEN
    assert report.reporter is not None and report.reporter.user == world.monitor
    inbound = InboundMessage.objects.get(report=report)
    assert inbound.state == InboundState.REPORTED
    assert inbound_payload(inbound) == {"description": draft.description}


def test_the_same_idempotency_key_stores_the_report_once() -> None:
    world = build_warning_world()
    first, created = submit_report(
        clash(), by=world.monitor, channel=Channel.API, payload={}, idempotency_key="k-1"
    )
    again, created_again = submit_report(
        clash(), by=world.monitor, channel=Channel.API, payload={}, idempotency_key="k-1"
    )
    assert created and not created_again
    assert first == again
    assert Report.objects.count() == 1
    assert InboundMessage.objects.count() == 1


def test_a_redelivered_gateway_message_is_stored_once_and_one_sender_is_one_reporter() -> None:
    build_warning_world()
    gateway = Gateway.objects.create(
        name="Test", slug="test", kind=Channel.GENERIC, country_code="GH"
    )
    sender = Identity(phone=PHONE)

    def deliver(text: str, message_id: str, who: Identity) -> tuple[InboundMessage, bool]:
        return store_inbound(
            Channel.GENERIC, {"text": text}, sender=who, gateway=gateway, external_id=message_id
        )

    first, new = deliver("hello", "m1", sender)
    again, new_again = deliver("hello", "m1", sender)
    # The same phone written the local way is the same reporter (keyed hash of E.164).
    other, _ = deliver("later", "m2", Identity(phone="0245550142"))
    assert new and not new_again and first == again
    assert InboundMessage.objects.count() == 2
    assert first.reporter is not None and other.reporter == first.reporter
    assert inbound_sender(first).phone == PHONE


def test_no_identity_is_readable_in_any_database_column() -> None:
    world = build_warning_world()
    draft = clash()
    draft.place = world.tamale
    submit_report(
        draft,
        by=None,
        channel=Channel.WEB,
        payload={"name": "Abena Mensah", "phone": PHONE},
        sender=Identity(phone=PHONE, name="Abena Mensah"),
    )
    reporter = Reporter.objects.get()
    assert reporter.sender_hash and PHONE.replace(" ", "") not in reporter.sender_hash
    with connection.cursor() as cursor:
        for table in ("warning_reporter", "warning_inboundmessage", "warning_report"):
            cursor.execute(f"SELECT * FROM {table}")
            dump = repr(cursor.fetchall())
            # Nine digits of the number, never a short fragment: "555" turns up in uuids.
            assert "Abena" not in dump
            assert "245550142" not in dump and "24 555 0142" not in dump


def test_a_place_name_in_the_text_locates_the_report_and_an_unknown_one_goes_to_triage() -> None:
    world = build_warning_world()
    found = clash()
    found.location_text = "Yendi"
    found.country = "GH"
    report, _ = submit_report(found, by=world.monitor, channel=Channel.WEB, payload={})
    assert report.place == world.yendi
    assert report.location_method == LocationMethod.GEOCODED
    assert not report.needs_triage
    lost = clash()
    lost.location_text = "Nowhere-in-particular"
    lost.country = "GH"
    report, _ = submit_report(lost, by=world.monitor, channel=Channel.WEB, payload={})
    assert report.place == world.ghana
    assert report.place_precision == PlacePrecision.COUNTRY
    assert report.needs_triage
    assert "No known place has that name." in report.triage_reasons
