"""Delivery: every attempt logged, failures retried with backoff then marked failed and shown
on the dashboard and the timeline, retry now, webhook signatures, updates and cancels."""

from __future__ import annotations

import datetime as dt
import io
import json
import smtplib
from typing import Any

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client

from i4p.core.outbox import MAX_ATTEMPTS, RETRY_AFTER_SECONDS
from i4p.registry.models import ContactPoint
from i4p.warning.alerts import (
    cancel_alert,
    default_words,
    draft_alert,
    issue_alert,
    update_alert,
)
from i4p.warning.analysis import update_counts
from i4p.warning.channels import webhook
from i4p.warning.models import (
    Alert,
    CapMsgType,
    Delivery,
    DeliveryChannel,
    DeliveryState,
    Severity,
    TimelineKind,
)
from i4p.warning.tests.builders import WarningWorld, build_warning_world
from i4p.warning.tests.loop import (
    Clock,
    Infrastructure,
    Outside,
    build_infrastructure,
    queued,
    run_tasks,
)
from i4p.web.tests.world import logged_in

pytestmark = pytest.mark.django_db


def _issue(world: WarningWorld, capture: Any, place: Any = None) -> Alert:
    place = place or world.tamale
    with capture(execute=True):
        alert = issue_alert(
            draft_alert(place, by=world.national_analyst, words=default_words(place, None)),
            by=world.national_analyst,
        )
    return alert


def _broken_webhook(infra: Infrastructure, world: WarningWorld) -> None:
    """Move the council's webhook down to the district so it goes out at once."""
    infra.council_webhook.actor = infra.committee
    infra.council_webhook.save()


def test_a_failing_webhook_is_retried_with_backoff_then_failed_and_shown_everywhere(
    tasks: None, clock: Clock, outside: Outside, django_capture_on_commit_callbacks: Any
) -> None:
    world = build_warning_world()
    infra = build_infrastructure(world)
    _broken_webhook(infra, world)
    outside.status = 503
    alert = _issue(world, django_capture_on_commit_callbacks)
    run_tasks(clock.now)
    hook = Delivery.objects.get(alert=alert, channel=DeliveryChannel.WEBHOOK)
    assert hook.state == DeliveryState.RETRYING and hook.attempts == 1
    assert hook.last_error == "HTTP 503"
    assert hook.next_attempt_at == clock.now + dt.timedelta(seconds=RETRY_AFTER_SECONDS[0])
    # Not before its time.
    clock.advance(seconds=RETRY_AFTER_SECONDS[0] - 1)
    run_tasks(clock.now)
    hook.refresh_from_db()
    assert hook.attempts == 1
    for _attempt in range(MAX_ATTEMPTS - 1):
        hook.refresh_from_db()
        assert hook.next_attempt_at is not None
        clock.now = hook.next_attempt_at
        run_tasks(clock.now)
    hook.refresh_from_db()
    assert hook.state == DeliveryState.FAILED and hook.attempts == MAX_ATTEMPTS
    assert hook.next_attempt_at is None
    assert len(outside.hooks()) == MAX_ATTEMPTS
    assert not queued("deliver_alert")
    failures = list(
        alert.timeline.filter(kind=TimelineKind.DELIVERY_FAILED, note__startswith="Webhook")
    )
    assert len(failures) == MAX_ATTEMPTS
    assert f"failed after {MAX_ATTEMPTS} attempts" in failures[-1].note
    # The dashboard lists it first, with its error, and staff can send it again now.
    staff = logged_in(world.tamale_analyst)
    page = staff.get("/alerts/deliveries/").content.decode()
    assert page.index(f'data-state="{DeliveryState.FAILED}"') < page.index('data-state="sent"')
    assert "HTTP 503" in page
    outside.status = 200
    with django_capture_on_commit_callbacks(execute=True):
        answer = staff.post("/alerts/deliveries/", {"delivery": str(hook.uuid)})
    assert answer.status_code == 302
    run_tasks(clock.now)
    hook.refresh_from_db()
    assert hook.state == DeliveryState.SENT and hook.attempts == 1
    # The alert page shows the failure story on its timeline.
    detail = staff.get(f"/alerts/{alert.uuid}/").content.decode()
    assert "HTTP 503" in detail


def test_a_webhook_refused_for_good_fails_at_once(
    tasks: None, clock: Clock, outside: Outside, django_capture_on_commit_callbacks: Any
) -> None:
    world = build_warning_world()
    infra = build_infrastructure(world)
    _broken_webhook(infra, world)
    outside.status = 404
    alert = _issue(world, django_capture_on_commit_callbacks)
    run_tasks(clock.now)
    hook = Delivery.objects.get(alert=alert, channel=DeliveryChannel.WEBHOOK)
    assert hook.state == DeliveryState.FAILED and hook.attempts == 1


def test_an_unreachable_mail_server_is_retried(
    tasks: None,
    clock: Clock,
    outside: Outside,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = build_warning_world()
    build_infrastructure(world)

    def refuse(*args: Any, **kwargs: Any) -> int:
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    alert = _issue(world, django_capture_on_commit_callbacks)
    run_tasks(clock.now)
    emails = Delivery.objects.filter(alert=alert, channel=DeliveryChannel.EMAIL)
    assert {d.state for d in emails} == {DeliveryState.RETRYING}
    assert all("SMTPServerDisconnected" in d.last_error for d in emails)


def test_an_alerts_deliveries_go_out_in_one_task_and_a_failed_sms_is_retried_alone(
    tasks: None, clock: Clock, outside: Outside, django_capture_on_commit_callbacks: Any
) -> None:
    world = build_warning_world()
    build_infrastructure(world)
    outside.status = 503  # the SMS vendor is down; e-mail and the app work
    alert = _issue(world, django_capture_on_commit_callbacks)
    deliveries = Delivery.objects.filter(alert=alert)
    (together,) = queued("deliver_alerts")
    assert sorted(together.args[0]) == sorted(str(d.uuid) for d in deliveries)
    assert not queued("deliver_alert")
    # It goes ahead of other waiting work, such as the next count of reports.
    assert together.task.priority > update_counts.priority
    run_tasks(clock.now)
    sms = deliveries.get(channel=DeliveryChannel.SMS)
    assert sms.state == DeliveryState.RETRYING and sms.attempts == 1
    others = deliveries.exclude(channel=DeliveryChannel.SMS)
    assert {d.channel for d in others} == {DeliveryChannel.EMAIL, DeliveryChannel.APP}
    assert {(d.state, d.attempts) for d in others} == {(DeliveryState.SENT, 1)}
    mails = len(mail.outbox)
    outside.status = 201
    assert sms.next_attempt_at is not None
    clock.now = sms.next_attempt_at
    assert "deliver_alert" in run_tasks(clock.now)
    sms.refresh_from_db()
    assert sms.state == DeliveryState.SENT and sms.attempts == 2
    assert len(outside.sms()) == 2
    # Nothing that had gone out went out again.
    assert len(mail.outbox) == mails
    assert {(d.state, d.attempts) for d in others.all()} == {(DeliveryState.SENT, 1)}


def test_a_delivery_that_cannot_be_recorded_holds_back_no_other_and_the_sweep_sends_it(
    tasks: None,
    clock: Clock,
    outside: Outside,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.db import DatabaseError

    from i4p.core.audit import record_event as record
    from i4p.warning.channels.tasks import sweep_alerts

    world = build_warning_world()
    infra = build_infrastructure(world)
    broken = [True]

    def record_event(target: Any, verb: str, **fields: Any) -> Any:
        if broken[0] and getattr(target, "channel", "") == DeliveryChannel.APP:
            raise DatabaseError("could not extend file")
        return record(target, verb, **fields)

    monkeypatch.setattr("i4p.warning.delivery.record_event", record_event)
    alert = _issue(world, django_capture_on_commit_callbacks)
    run_tasks(clock.now)
    notice = Delivery.objects.get(alert=alert, user=infra.chair, channel=DeliveryChannel.APP)
    assert notice.state == DeliveryState.QUEUED and notice.attempts == 0
    others = Delivery.objects.filter(alert=alert).exclude(pk=notice.pk)
    assert {d.state for d in others} == {DeliveryState.SENT}
    broken[0] = False
    clock.advance(minutes=3)
    with django_capture_on_commit_callbacks(execute=True):
        sweep_alerts.func()
    run_tasks(clock.now)
    notice.refresh_from_db()
    assert notice.state == DeliveryState.SENT and notice.attempts == 1


def test_a_webhook_signature_verifies_and_a_tampered_body_does_not(
    tasks: None,
    clock: Clock,
    outside: Outside,
    django_capture_on_commit_callbacks: Any,
    settings: Any,
) -> None:
    settings.I4P_WEBHOOK_SECRET = "shared-with-the-council"
    world = build_warning_world()
    infra = build_infrastructure(world)
    _broken_webhook(infra, world)
    alert = _issue(world, django_capture_on_commit_callbacks)
    run_tasks(clock.now)
    ((headers, body),) = outside.hooks()
    header = headers[webhook.HEADER]
    assert header.startswith("sha256=")
    hook = infra.council_webhook  # moved to the committee, which it now serves
    key = webhook.key_for(hook)
    assert webhook.verify(body, header, key)
    assert not webhook.verify(body.replace(b"Tamale", b"Yendi"), header, key)
    # Each receiver has its own key, and none is the instance's secret itself.
    other = ContactPoint.objects.create(
        actor=infra.council, kind="url", value="https://hooks.example.org/council"
    )
    for wrong in (webhook.key_for(other), "shared-with-the-council", "another-secret"):
        assert not webhook.verify(body, header, wrong)
    printed = io.StringIO()
    call_command("webhook_key", hook.value, stdout=printed)
    assert printed.getvalue() == f"{infra.committee.name}\t{key}\n"
    with pytest.raises(CommandError, match="No mechanism has the webhook address"):
        call_command("webhook_key", "https://nobody.example.org/")
    data = json.loads(body)
    assert data["alert"]["identifier"] == alert.identifier
    assert data["mechanism"]["name"] == infra.committee.name
    assert {t["language"] for t in data["alert"]["texts"]} == {"en", "fr", "ar"}


def test_updates_and_cancels_go_to_everyone_the_alert_reached(
    tasks: None, clock: Clock, outside: Outside, django_capture_on_commit_callbacks: Any
) -> None:
    world = build_warning_world()
    infra = build_infrastructure(world)
    alert = _issue(world, django_capture_on_commit_callbacks)
    run_tasks(clock.now)
    clock.advance(minutes=61)  # escalated: the council has it too
    run_tasks(clock.now)
    alert.refresh_from_db()
    reached = {(d.actor_id, d.channel, d.contact_id, d.user_id) for d in alert.deliveries.all()}
    assert {actor for actor, *_rest in reached} == {infra.committee.pk, infra.council.pk}
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        update = update_alert(alert, by=world.national_analyst, severity=Severity.SEVERE)
    run_tasks(clock.now)
    assert update.msg_type == CapMsgType.UPDATE
    assert {
        (d.actor_id, d.channel, d.contact_id, d.user_id) for d in update.deliveries.all()
    } == reached
    assert {d.state for d in update.deliveries.all()} == {DeliveryState.SENT}
    assert all(m.subject.startswith("[Alert update]") for m in mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        cancel = cancel_alert(update, by=world.national_analyst, text="The report was false.")
    run_tasks(clock.now)
    assert {
        (d.actor_id, d.channel, d.contact_id, d.user_id) for d in cancel.deliveries.all()
    } == reached
    assert "withdrawn" in outside.sms()[-1]["Body"]


def test_a_member_sees_unread_alerts_and_marks_them_read(
    tasks: None, clock: Clock, outside: Outside, django_capture_on_commit_callbacks: Any
) -> None:
    world = build_warning_world()
    infra = build_infrastructure(world)
    alert = _issue(world, django_capture_on_commit_callbacks)
    run_tasks(clock.now)
    chair = logged_in(infra.chair)
    assert "1 unread alert" in chair.get("/alerts/mine/").content.decode()
    notice = Delivery.objects.get(alert=alert, user=infra.chair, channel=DeliveryChannel.APP)
    assert chair.post(f"/alerts/mine/{notice.uuid}/read/").status_code == 302
    notice.refresh_from_db()
    assert notice.read_at == clock.now
    assert "0 unread alerts" in chair.get("/alerts/mine/").content.decode()
    # Someone else's notice cannot be touched.
    other = logged_in(infra.secretary)
    assert other.post(f"/alerts/mine/{notice.uuid}/read/").status_code == 404


def test_the_minute_sweep_escalates_and_resends_when_the_scheduled_tasks_were_lost(
    tasks: None, clock: Clock, outside: Outside, django_capture_on_commit_callbacks: Any
) -> None:
    from django_tasks import default_task_backend

    from i4p.warning.channels.tasks import sweep_alerts

    world = build_warning_world()
    infra = build_infrastructure(world)
    alert = _issue(world, django_capture_on_commit_callbacks)
    backend: Any = default_task_backend
    backend.clear()  # the worker lost every task: deliveries and the escalation timer
    clock.advance(minutes=61)
    with django_capture_on_commit_callbacks(execute=True):
        sweep_alerts.func()
    alert.refresh_from_db()
    assert alert.level == "national"
    run_tasks(clock.now)
    assert {d.state for d in alert.deliveries.filter(actor=infra.council)} == {DeliveryState.SENT}
    # The district's deliveries, stalled for an hour, went out too.
    assert {d.state for d in alert.deliveries.filter(actor=infra.committee)} == {DeliveryState.SENT}


def test_the_e_mail_and_the_webhook_carry_the_alerts_cap_xml_valid_against_the_schema(
    tasks: None, clock: Clock, outside: Outside, django_capture_on_commit_callbacks: Any
) -> None:
    from i4p.warning.cap import schema_errors

    world = build_warning_world()
    infra = build_infrastructure(world)
    _broken_webhook(infra, world)
    alert = _issue(world, django_capture_on_commit_callbacks)
    run_tasks(clock.now)
    name, document, mimetype = mail.outbox[0].attachments[0]
    assert name == f"{alert.uuid}.cap.xml" and mimetype == "application/cap+xml"
    xml = document if isinstance(document, bytes) else document.encode()
    assert schema_errors(xml) == []
    assert alert.identifier.encode() in xml
    ((_headers, body),) = outside.hooks()
    assert schema_errors(json.loads(body)["cap"].encode()) == []


@pytest.mark.django_db(transaction=True)
def test_two_attempts_at_the_same_delivery_at_the_same_time_send_it_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The worker that issued an alert and the task queued as its safety net may both reach a
    delivery: the second finds it leased to the first, which is sending it, and sends nothing;
    it does not wait (the channel is called outside any transaction)."""
    import threading
    import time

    from django.db import connection

    from i4p.warning.channels import email
    from i4p.warning.delivery import deliver

    world = build_warning_world()
    build_infrastructure(world)
    place = world.tamale
    issue_alert(
        draft_alert(place, by=world.national_analyst, words=default_words(place, None)),
        by=world.national_analyst,
    )
    target = Delivery.objects.filter(channel=DeliveryChannel.EMAIL).first()
    assert target is not None and target.state == DeliveryState.QUEUED
    sending = threading.Event()
    sends: list[int] = []
    send = email.send

    def slow_send(delivery: Delivery) -> Any:
        sends.append(delivery.pk)
        sending.set()
        time.sleep(0.5)  # long enough for the second attempt to reach the delivery
        return send(delivery)

    monkeypatch.setattr(email, "send", slow_send)
    answers: list[str] = []

    def attempt() -> None:
        try:
            answers.append(deliver(str(target.uuid)))
        finally:
            connection.close()

    first = threading.Thread(target=attempt)
    first.start()
    assert sending.wait(10)
    second = threading.Thread(target=attempt)
    second.start()
    first.join(30)
    second.join(30)
    assert sorted(answers) == ["being sent", "sent"]
    assert sends == [target.pk] and len(mail.outbox) == 1
    target.refresh_from_db()
    assert (target.state, target.attempts) == (DeliveryState.SENT, 1)


@pytest.mark.django_db(transaction=True)
def test_a_report_is_answered_at_once_while_a_webhook_hangs_and_the_delivery_goes_again_after_its_lease(  # noqa: E501
    tasks: None, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The channel is called outside any transaction: a receiver that hangs holds no lock that
    intake needs (on SQLite, the database's one write lock). When the attempt's lease ends with
    no result, the sweep sends the delivery again; the late answer of the first changes nothing."""
    import threading
    import time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from django.db import connection

    from i4p.accounts.services import issue_token
    from i4p.warning.delivery import deliver, resend_stalled
    from i4p.warning.models import Report

    settings.I4P_SEND_LEASE_SECONDS = 1
    monkeypatch.setattr("i4p.warning.delivery.STALLED_AFTER", dt.timedelta(0))
    calls: list[str] = []
    release = threading.Event()

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            calls.append(self.headers["X-I4P-Delivery"])
            if len(calls) == 1:
                release.wait(10)  # the first call hangs for up to 10 s
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        world = build_warning_world()
        infra = build_infrastructure(world)
        infra.council_webhook.actor = infra.committee
        infra.council_webhook.value = f"http://127.0.0.1:{server.server_port}/hook"
        infra.council_webhook.save()
        place = world.tamale
        alert = issue_alert(
            draft_alert(place, by=world.national_analyst, words=default_words(place, None)),
            by=world.national_analyst,
        )
        hook = Delivery.objects.get(alert=alert, channel=DeliveryChannel.WEBHOOK)
        answers: list[str] = []

        def first_attempt() -> None:
            try:
                answers.append(deliver(str(hook.uuid)))
            finally:
                connection.close()

        sending = threading.Thread(target=first_attempt)
        sending.start()
        for _wait in range(100):
            if calls:
                break
            time.sleep(0.05)
        assert calls == [str(hook.uuid)]

        _token, plain = issue_token(world.monitor, by=world.monitor, name="phone", scope="write")
        body = {
            "event_type": "battles.armed_clash",
            "description": "Two quarters fought near the market.",
            "occurred_at": "2026-03-02T14:30:00Z",
            "time_precision": "hour",
            "place": str(place.uuid),
        }
        started = time.monotonic()
        answer = Client(HTTP_AUTHORIZATION=f"Bearer {plain}").post(
            "/api/v1/reports", json.dumps(body), content_type="application/json"
        )
        took = time.monotonic() - started
        assert answer.status_code == 201, answer.content
        assert took < 1, f"the report waited {took:.1f} s behind the hanging webhook"
        assert Report.objects.filter(uuid=answer.json()["uuid"]).exists()
        assert sending.is_alive()  # the receiver still hangs

        hook.refresh_from_db()
        assert hook.state == DeliveryState.QUEUED and hook.attempts == 0
        waiting = Delivery.objects.filter(alert=alert, state=DeliveryState.QUEUED).count()
        assert resend_stalled() == waiting - 1  # not the one still out with its sender
        time.sleep(1.2)  # the first attempt's lease ends
        assert resend_stalled() == waiting
        assert deliver(str(hook.uuid)) == DeliveryState.SENT  # the task the sweep queued
        assert calls == [str(hook.uuid), str(hook.uuid)]

        release.set()
        sending.join(15)
        assert answers == [DeliveryState.SENT]
        hook.refresh_from_db()
        assert (hook.state, hook.attempts, hook.leased_until) == (DeliveryState.SENT, 1, None)
        delivered = alert.timeline.filter(kind=TimelineKind.DELIVERED, actor=infra.committee)
        assert delivered.filter(note__icontains="webhook").count() == 1
    finally:
        release.set()
        server.shutdown()
