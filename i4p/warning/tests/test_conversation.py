"""The two-way conversation: consent, opt-out, neutral wording, follow-up questions, threading,
and sending through a task that carries an id, never a number."""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks import default_task_backend

from i4p.core.errors import Invalid, NotAllowed
from i4p.core.models import AuditEvent
from i4p.warning.gateways import base, conversation
from i4p.warning.gateways.conversation import DEFAULT_TEMPLATES, ask_reporter, deliver
from i4p.warning.models import (
    Channel,
    Gateway,
    InboundMessage,
    InboundState,
    MessageTemplate,
    OutboundMessage,
    OutboundState,
    Report,
    Reporter,
)
from i4p.warning.tests.builders import WarningWorld, build_warning_world
from i4p.warning.tests.sms import SECRET, make_gateway, post_sms

pytestmark = pytest.mark.django_db

PHONE = "+233 24 555 0142"
E164 = "+233245550142"
Sent = list[tuple[str, dict[str, Any]]]


def deliveries() -> list[Any]:
    """Queued message deliveries (a new report also queues its recount: not a message)."""
    queued = default_task_backend.results  # type: ignore[attr-defined]
    return [result for result in queued if result.task.name == "deliver_message"]


@pytest.fixture
def dummy_tasks(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()  # type: ignore[attr-defined]


@pytest.fixture
def outbox(monkeypatch: pytest.MonkeyPatch) -> Sent:
    """What the gateways would have sent: (url, form) pairs; nothing leaves the machine."""
    sent: Sent = []

    def fake_post(url: str, *, data: bytes, headers: Any) -> tuple[int, bytes]:
        sent.append((url, dict(urllib.parse.parse_qsl(data.decode()))))
        return 201, json.dumps({"sid": f"SM{len(sent)}"}).encode()

    monkeypatch.setattr(base, "http_post", fake_post)
    return sent


def sms_world() -> tuple[WarningWorld, Gateway, Callable[..., InboundMessage]]:
    world = build_warning_world()
    gateway = make_gateway(Channel.TWILIO, account_sid="AC0000")
    counter = iter(range(1, 1000))

    def send(text: str, sender: str = PHONE) -> InboundMessage:
        message_id = f"SM-{next(counter)}"
        assert (
            post_sms(Client(), gateway, sender=sender, text=text, message_id=message_id).status_code
            == 200
        )
        return InboundMessage.objects.get(external_id=message_id)

    return world, gateway, send


def test_without_consent_the_acknowledgement_is_recorded_as_withheld_and_never_sent(
    dummy_tasks: None, outbox: Sent, django_capture_on_commit_callbacks: Any
) -> None:
    _, _, send = sms_world()
    with django_capture_on_commit_callbacks(execute=True):
        send("AC Tamale 3 youths at the market")
    ack = OutboundMessage.objects.get()
    assert ack.state == OutboundState.WITHHELD and ack.template_key == "ack"
    assert deliveries() == []
    assert outbox == []


def test_join_records_consent_and_later_acknowledgements_go_out_through_a_task_with_an_id_only(
    dummy_tasks: None, outbox: Sent, django_capture_on_commit_callbacks: Any
) -> None:
    _, _, send = sms_world()
    with django_capture_on_commit_callbacks(execute=True):
        join = send("JOIN")
        send("AC Tamale 3 youths at the market")
    reporter = Reporter.objects.get()
    assert join.state == InboundState.COMMAND
    assert reporter.consents_to_messages and reporter.consent_recorded_at is not None
    queued = deliveries()
    assert [result.task.name for result in queued] == ["deliver_message", "deliver_message"]
    for result in queued:
        assert result.args == [str(OutboundMessage.objects.get(uuid=result.args[0]).uuid)]
        assert E164 not in json.dumps([result.args, result.kwargs])
    for result in queued:
        deliver(*result.args)
    assert [form["To"] for _url, form in outbox] == [E164, E164]
    assert outbox[1][1]["Body"] == DEFAULT_TEMPLATES["ack"]["en"]
    assert outbox[1][0].endswith("/Accounts/AC0000/Messages.json")
    assert set(OutboundMessage.objects.values_list("state", flat=True)) == {OutboundState.SENT}


@pytest.mark.parametrize("keyword", ["STOP", "unsubscribe", "Arrêt", "kanpe"])
def test_an_opt_out_keyword_stops_every_message_back_even_those_already_queued(
    keyword: str, dummy_tasks: None, outbox: Sent
) -> None:
    world, _, send = sms_world()
    send("JOIN")
    report = Report.objects.create(
        kind="incident",
        framework=world.framework,
        reporter=Reporter.objects.get(),
        channel=Channel.TWILIO,
        received_at=timezone.now() - dt.timedelta(days=3),
        place=world.tamale,
    )
    waiting = ask_reporter(report, "How many people were there?", by=world.tamale_analyst)
    assert waiting.state == OutboundState.QUEUED
    stop = send(keyword)
    assert stop.state == InboundState.COMMAND
    reporter = Reporter.objects.get()
    assert reporter.opted_out_at is not None and not reporter.consents_to_messages
    waiting.refresh_from_db()
    assert waiting.state == OutboundState.WITHHELD
    assert deliver(str(waiting.uuid)) == "nothing to send"
    later = ask_reporter(report, "Are you safe?", by=world.tamale_analyst)
    assert later.state == OutboundState.WITHHELD
    assert outbox == []


def test_a_follow_up_question_needs_the_permission_in_the_reports_area() -> None:
    world, _, send = sms_world()
    send("AC Tamale 3 youths at the market")
    report = Report.objects.get()
    with pytest.raises(NotAllowed):
        ask_reporter(report, "How many?", by=world.yendi_analyst)
    with pytest.raises(NotAllowed):
        ask_reporter(report, "How many?", by=world.monitor)
    with pytest.raises(Invalid):
        ask_reporter(report, "   ", by=world.tamale_analyst)
    asked = ask_reporter(report, "How many?", by=world.tamale_analyst)
    assert asked.report == report and asked.template_key == "follow_up"
    assert AuditEvent.objects.filter(action="report.reporter_asked").count() == 1


def test_a_reply_to_a_follow_up_question_is_added_to_the_same_report(settings: Any) -> None:
    settings.I4P_SMS_THREAD_MINUTES = 60
    world, _, send = sms_world()
    send("AC Tamale 3 youths at the market")
    report = Report.objects.get()
    Report.objects.filter(pk=report.pk).update(
        received_at=timezone.now() - dt.timedelta(days=2)  # long past the free-text window
    )
    ask_reporter(report, "How many were hurt?", by=world.tamale_analyst)
    reply = send("yes, five, two of them badly")
    assert reply.state == InboundState.THREADED and reply.report == report
    assert Report.objects.count() == 1
    report.refresh_from_db()
    assert report.description.startswith("youths at the market")
    assert report.description.endswith("yes, five, two of them badly")
    assert AuditEvent.objects.filter(action="report.reply_added").count() == 1


def test_a_reply_with_a_phone_number_is_threaded_with_the_number_masked(settings: Any) -> None:
    settings.I4P_SMS_THREAD_MINUTES = 60
    _, _, send = sms_world()
    send("AC Tamale 3 youths at the market")
    send("their leader is on 020 555 0142, or mail kofi@example.org")
    report = Report.objects.get()
    assert report.description.endswith("their leader is on [phone], or mail [e-mail]")
    assert "0142" not in report.description


def test_free_text_soon_after_a_report_threads_but_a_new_coded_message_is_a_new_report(
    settings: Any,
) -> None:
    settings.I4P_SMS_THREAD_MINUTES = 60
    _, _, send = sms_world()
    send("AC Tamale 3 youths at the market")
    more = send("they have left now")
    assert more.state == InboundState.THREADED
    coded = send("AC Yendi 1 another quarrel")
    assert coded.state == InboundState.REPORTED
    assert Report.objects.count() == 2
    other = send("calm here", sender="+233 24 555 0199")  # another sender: not threaded
    assert other.state == InboundState.TRIAGE


def test_after_the_window_free_text_is_not_threaded(settings: Any) -> None:
    settings.I4P_SMS_THREAD_MINUTES = 60
    _, _, send = sms_world()
    send("AC Tamale 3 youths at the market")
    Report.objects.update(received_at=timezone.now() - dt.timedelta(hours=2))
    late = send("more trouble in Yendi")
    assert late.state == InboundState.REPORTED
    assert Report.objects.count() == 2


def test_the_default_wording_is_neutral_in_every_language() -> None:
    telling = ["violen", "peace", "report", "conflict", "attack", "paix", "rapport", "vyolans",
               "lapè", "عنف", "سلام", "تقرير"]  # fmt: skip
    for key, languages in DEFAULT_TEMPLATES.items():
        for language, text in languages.items():
            assert not any(word in text.lower() for word in telling), (key, language)


def test_an_admins_template_replaces_the_default_for_its_language(
    dummy_tasks: None, outbox: Sent
) -> None:
    _, gateway, send = sms_world()
    gateway.language = "fr"
    gateway.save()
    MessageTemplate.objects.create(key="ack", language="fr", text="Bien noté, merci.")
    send("OUI")
    send("AC Tamale 3 marché")
    ack = OutboundMessage.objects.get(template_key="ack")
    assert ack.text == "Bien noté, merci."
    consent = OutboundMessage.objects.get(template_key="consent")
    assert consent.text == DEFAULT_TEMPLATES["consent"]["fr"]


def test_a_failed_send_is_retried_and_a_refused_one_is_marked_failed(
    dummy_tasks: None, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    _, _, send = sms_world()
    send("JOIN")
    message = OutboundMessage.objects.get()
    answers = iter([(503, b""), (400, b"bad number")])
    monkeypatch.setattr(base, "http_post", lambda *a, **k: next(answers))
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(str(message.uuid)) == OutboundState.QUEUED
    message.refresh_from_db()
    assert message.attempts == 1 and message.last_error == "HTTP 503"
    retried = default_task_backend.results  # type: ignore[attr-defined]
    assert [result.args for result in retried] == [[str(message.uuid)]]
    assert deliver(str(message.uuid)) == OutboundState.FAILED
    message.refresh_from_db()
    assert message.attempts == 2 and message.state == OutboundState.FAILED


def test_smssync_collects_the_waiting_messages_with_their_numbers_on_its_poll(
    dummy_tasks: None,
) -> None:
    build_warning_world()
    gateway = make_gateway(Channel.SMSSYNC)
    post_sms(Client(), gateway, sender=PHONE, text="YES", message_id="s1")
    message = OutboundMessage.objects.get()
    assert deliver(str(message.uuid)) == "waiting for the gateway to collect it"
    refused = Client().get(f"/sms/{gateway.slug}/", {"task": "send", "secret": "guess"})
    assert refused.status_code == 403
    poll = Client().get(f"/sms/{gateway.slug}/", {"task": "send", "secret": SECRET})
    payload = json.loads(poll.content)["payload"]
    assert payload["task"] == "send"
    assert payload["messages"] == [
        {"to": E164, "message": DEFAULT_TEMPLATES["consent"]["en"], "uuid": str(message.uuid)}
    ]
    message.refresh_from_db()
    assert message.state == OutboundState.SENT
    again = Client().get(f"/sms/{gateway.slug}/", {"task": "send", "secret": SECRET})
    assert json.loads(again.content)["payload"]["messages"] == []


def test_the_help_keyword_answers_with_the_format(dummy_tasks: None) -> None:
    _, _, send = sms_world()
    assert send("help").state == InboundState.COMMAND
    assert OutboundMessage.objects.get().template_key == "help"
    assert conversation.template_text("help", "ht") == DEFAULT_TEMPLATES["help"]["ht"]


def test_an_analyst_asks_a_follow_up_question_through_the_api_and_others_cannot() -> None:
    from i4p.web.tests.world import logged_in

    world, _, send = sms_world()
    send("AC Tamale 3 youths at the market")
    report = Report.objects.get()
    url = f"/api/v1/reports/{report.uuid}/questions"
    body = json.dumps({"text": "How many were hurt?"})
    asked = logged_in(world.tamale_analyst).post(url, body, content_type="application/json")
    assert asked.status_code == 201
    assert asked.json()["state"] == OutboundState.WITHHELD  # no consent yet: recorded, not sent
    assert asked.json()["report"] == str(report.uuid)
    other = logged_in(world.yendi_analyst).post(url, body, content_type="application/json")
    assert other.status_code == 404  # not a report they may see
    empty = logged_in(world.tamale_analyst).post(
        url, json.dumps({"text": ""}), content_type="application/json"
    )
    assert empty.status_code in (400, 422)
    assert OutboundMessage.objects.filter(template_key="follow_up").count() == 1
