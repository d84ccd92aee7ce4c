"""The intake service: stored sealed before answering, idempotent, located, triaged."""

from __future__ import annotations

import pytest
from django.db import connection

from i4p.warning.intake import (
    Draft,
    Identity,
    inbound_payload,
    inbound_sender,
    report_from_inbound,
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


def test_numbers_addresses_and_the_senders_name_in_a_reports_words_are_stored_masked() -> None:
    world = build_warning_world()
    draft = clash()
    draft.place = world.tamale
    draft.title = "Clash, ring 0555010299"
    draft.description = (
        "Call Abena on 055 501 0299 or 233-55-501-0203, write abena.owusu@example.org. "
        "Reported by Kwame Boateng at 10:30 on 2024-03-05: 12 people hurt."
    )
    draft.actors_text = "Youths; their leader is on 0244 555 014"
    sent = {"description": draft.description, "title": draft.title}
    report, _new = submit_report(
        draft,
        by=None,
        channel=Channel.WEB,
        payload=sent,
        sender=Identity(phone=PHONE, name="Kwame Boateng"),
    )
    stored = Report.objects.get(pk=report.pk)
    assert stored.description == (
        "Call Abena on [phone] or [phone], write [e-mail]. "
        "Reported by [name] [name] at 10:30 on 2024-03-05: 12 people hurt."
    )
    assert stored.title == "Clash, ring [phone]"
    assert stored.actors_text == "Youths; their leader is on [phone]"
    # The words as sent are kept, sealed, in the raw message.
    assert inbound_payload(InboundMessage.objects.get(report=report)) == sent


def test_an_sms_reports_words_are_masked_with_the_gateways_country() -> None:
    world = build_warning_world()
    gateway = Gateway.objects.create(
        name="SMS", slug="sms", kind=Channel.GENERIC, country_code="GH"
    )
    inbound, _new = store_inbound(
        Channel.GENERIC,
        {"text": "fight at the market, call me 24 555 0142"},
        sender=Identity(phone="0245550142"),
        gateway=gateway,
        external_id="m-1",
    )
    draft = clash()
    draft.description = "fight at the market, call me 24 555 0142"
    draft.country = "GH"
    draft.place = world.tamale
    report = report_from_inbound(inbound, draft)
    assert Report.objects.get(pk=report.pk).description == "fight at the market, call me [phone]"


def test_the_upgrade_masks_the_words_of_reports_stored_before_masking() -> None:
    import importlib

    from django.apps import apps

    upgrade = importlib.import_module("i4p.warning.migrations.0008_mask_report_words")
    world = build_warning_world()
    draft = clash()
    draft.place = world.tamale
    report, _new = submit_report(
        draft,
        by=None,
        channel=Channel.WEB,
        payload={},
        sender=Identity(phone=PHONE, name="Esi Ansah"),
    )
    untouched = Report.objects.create(
        framework=report.framework, channel=Channel.WEB, received_at=report.received_at,
        occurred_at=report.occurred_at, place=world.tamale,
        description="12 people hurt on 2024-03-05 at 10:30.",
    )  # fmt: skip
    # What a report held before its words were masked.
    Report.objects.filter(pk=report.pk).update(
        title="Esi says", description="Esi Ansah: call 055 501 0299 or esi@example.org"
    )

    upgrade.mask_report_words(apps, None)

    report.refresh_from_db()
    assert report.title == "[name] says"
    assert report.description == "[name] [name]: call [phone] or [e-mail]"
    assert Report.objects.get(pk=untouched.pk).description == untouched.description
