"""SMS webhooks: each vendor's format, authenticated, rate-limited, stored before answering."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from i4p.warning.gateways import conversation, grammar
from i4p.warning.gateways.twilio import signature
from i4p.warning.intake import inbound_payload, inbound_sender
from i4p.warning.models import (
    Channel,
    InboundMessage,
    InboundState,
    IndicatorFramework,
    LocationMethod,
    Report,
)
from i4p.warning.tests.builders import build_warning_world
from i4p.warning.tests.sms import KINDS, SECRET, make_gateway, post_sms
from i4p.web.tests.world import database_fingerprint

pytestmark = pytest.mark.django_db

PHONE = "+233 24 555 0142"


def test_the_twilio_signature_matches_twilios_documented_example() -> None:
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+12349013030",
        "Digits": "1234",
        "From": "+12349013030",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert signature(url, params.items(), "12345") == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


@pytest.mark.parametrize("kind", KINDS)
def test_a_short_grammar_sms_through_each_gateway_becomes_a_typed_located_report(
    kind: str,
) -> None:
    world = build_warning_world()
    gateway = make_gateway(kind)
    answer = post_sms(
        Client(),
        gateway,
        sender=PHONE,
        text="ac Tamale 3 youths fighting at the market",
        message_id=f"{kind}-1",
    )
    assert answer.status_code == 200
    inbound = InboundMessage.objects.get()
    assert inbound.channel == kind and inbound.external_id == f"{kind}-1"
    assert inbound.state == InboundState.REPORTED
    assert inbound_sender(inbound).phone == PHONE
    assert "youths fighting" in json.dumps(inbound_payload(inbound))
    report = Report.objects.get()
    assert report.event_type is not None and report.event_type.sms_code == "AC"
    assert report.place == world.tamale
    assert report.location_method == LocationMethod.GEOCODED
    assert report.injured == 3
    assert report.description == "youths fighting at the market"
    assert report.channel == kind


def test_each_vendor_gets_the_answer_it_expects() -> None:
    build_warning_world()
    answers = {}
    for kind in KINDS:
        gateway = make_gateway(kind)
        answers[kind] = post_sms(
            Client(), gateway, sender=PHONE, text="hello", message_id=f"{kind}-a"
        )
    assert answers[Channel.TWILIO]["Content-Type"].startswith("text/xml")
    assert b"<Response>" in answers[Channel.TWILIO].content
    assert json.loads(answers[Channel.SMSSYNC].content) == {
        "payload": {"success": True, "error": None}
    }
    assert json.loads(answers[Channel.FRONTLINESMS].content)["payload"]["success"] is True
    generic = json.loads(answers[Channel.GENERIC].content)
    assert generic["received"][0]["id"] == "generic-a"
    assert all(answer.status_code == 200 for answer in answers.values())


@pytest.mark.parametrize("kind", KINDS)
def test_a_forged_or_unauthenticated_request_is_refused_and_changes_nothing(kind: str) -> None:
    build_warning_world()
    gateway = make_gateway(kind)
    before = database_fingerprint()
    forged = post_sms(
        Client(), gateway, sender=PHONE, text="AC Tamale 3 fake", message_id="x", secret="guess"
    )
    bare = Client().post(f"/sms/{gateway.slug}/", {"from": PHONE, "text": "AC Tamale 3 fake"})
    assert forged.status_code == 403
    assert bare.status_code == 403
    assert database_fingerprint() == before


def test_a_twilio_request_whose_body_was_changed_after_signing_is_refused() -> None:
    build_warning_world()
    gateway = make_gateway(Channel.TWILIO)
    form = {"MessageSid": "SM1", "From": PHONE, "To": "1234", "Body": "AC Tamale 1 calm"}
    sign = signature(f"http://testserver/sms/{gateway.slug}/", form.items(), SECRET)
    form["Body"] = "AC Yendi 9 changed"
    answer = Client().post(f"/sms/{gateway.slug}/", form, headers={"X-Twilio-Signature": sign})
    assert answer.status_code == 403
    assert not InboundMessage.objects.exists()


@pytest.mark.parametrize("kind", KINDS)
def test_a_redelivered_message_is_stored_once_and_answered_the_same(kind: str) -> None:
    build_warning_world()
    gateway = make_gateway(kind)
    first = post_sms(Client(), gateway, sender=PHONE, text="AC Tamale 2 x", message_id="m-7")
    again = post_sms(Client(), gateway, sender=PHONE, text="AC Tamale 2 x", message_id="m-7")
    assert first.status_code == again.status_code == 200
    assert first.content == again.content
    assert InboundMessage.objects.count() == 1
    assert Report.objects.count() == 1


def test_past_its_rate_limit_a_gateway_gets_429_with_retry_after_and_nothing_is_stored() -> None:
    build_warning_world()
    gateway = make_gateway(Channel.GENERIC, rate=2)
    codes = [
        post_sms(Client(), gateway, sender=PHONE, text=f"hello {n}", message_id=f"r{n}")
        for n in range(3)
    ]
    assert [answer.status_code for answer in codes] == [200, 200, 429]
    assert 1 <= int(codes[2]["Retry-After"]) <= 60
    assert InboundMessage.objects.count() == 2


def test_a_crash_while_reading_keeps_the_message_and_the_gateway_still_gets_200(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    build_warning_world()
    gateway = make_gateway(Channel.AFRICASTALKING)

    def broken(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("parser bug")

    monkeypatch.setattr(conversation, "read_inbound", broken)
    answer = post_sms(Client(), gateway, sender=PHONE, text="AC Tamale 1 x", message_id="c1")
    assert answer.status_code == 200
    inbound = InboundMessage.objects.get()
    assert inbound.state == InboundState.TRIAGE
    assert inbound.problem == "It could not be read automatically."
    assert inbound_payload(inbound)["text"] == "AC Tamale 1 x"


def test_an_unknown_gateway_is_404_a_get_is_405_and_a_payload_of_another_format_is_400() -> None:
    build_warning_world()
    gateway = make_gateway(Channel.GENERIC)
    assert Client().post("/sms/nobody/", {"from": PHONE}).status_code == 404
    assert Client().get(f"/sms/{gateway.slug}/").status_code == 405
    wrong = Client().post(
        f"/sms/{gateway.slug}/",
        json.dumps({"sender": PHONE}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {SECRET}"},
    )
    assert wrong.status_code == 400
    assert not InboundMessage.objects.exists()


def test_free_text_naming_a_known_place_becomes_a_located_report_flagged_for_triage() -> None:
    world = build_warning_world()
    gateway = make_gateway(Channel.GENERIC)
    post_sms(
        Client(),
        gateway,
        sender=PHONE,
        text="there is shooting near the big market of Yendi since morning",
        message_id="f1",
    )
    report = Report.objects.get()
    assert report.place == world.yendi
    assert report.location_method == LocationMethod.GEOCODED
    assert report.needs_triage
    assert "The type of event is not known." in report.triage_reasons


def test_free_text_with_no_code_and_no_known_place_waits_in_triage() -> None:
    build_warning_world()
    gateway = make_gateway(Channel.GENERIC)
    post_sms(Client(), gateway, sender=PHONE, text="please come quickly", message_id="t1")
    inbound = InboundMessage.objects.get()
    assert inbound.state == InboundState.TRIAGE
    assert inbound.report is None
    assert not Report.objects.exists()


def test_the_grammar_reads_counts_commas_and_multi_word_places() -> None:
    build_warning_world()
    codes = grammar.codes_of(IndicatorFramework.objects.get())
    short = grammar.parse_short("AC, Tamale, 2K3H, two dead", codes)
    assert short is not None
    assert (short.place_text, short.killed, short.injured) == ("Tamale", 2, 3)
    assert short.text == "two dead"
    multi = grammar.parse_short("ac Cap Haitien 40D flooded", codes)
    assert multi is not None and multi.place_text == "Cap Haitien" and multi.displaced == 40
    known = grammar.parse_short(
        "AC Cap Haitien crowd at the port", codes, is_place=lambda name: name == "Cap Haitien"
    )
    assert known is not None and known.place_text == "Cap Haitien"
    assert known.text == "crowd at the port"
    assert grammar.parse_short("hello Tamale 3", codes) is None


def test_a_new_webhook_secret_takes_effect_at_once_and_keeps_the_sending_key() -> None:
    from i4p.warning.configuration import set_gateway_secret
    from i4p.warning.gateways.base import secret_of

    world = build_warning_world()
    gateway = make_gateway(Channel.AFRICASTALKING)
    set_gateway_secret(gateway, by=world.admin, secret="a-new-secret-of-enough-length")
    old = post_sms(Client(), gateway, sender=PHONE, text="hello", message_id="n1")
    new = post_sms(
        Client(),
        gateway,
        sender=PHONE,
        text="hello",
        message_id="n2",
        secret="a-new-secret-of-enough-length",
    )
    assert (old.status_code, new.status_code) == (403, 200)
    assert secret_of(gateway, "api_key") == "api-key-1"


def test_a_failing_acknowledgement_does_not_undo_the_report(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    build_warning_world()
    gateway = make_gateway(Channel.GENERIC)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("template store down")

    monkeypatch.setattr(conversation, "queue_message", broken)
    answer = post_sms(Client(), gateway, sender=PHONE, text="AC Tamale 1 x", message_id="k1")
    assert answer.status_code == 200
    inbound = InboundMessage.objects.get()
    assert inbound.state == InboundState.REPORTED and inbound.report is not None
