"""Responses and their outcomes: who may record them, what bad input does (nothing), the
alert's chain from report to outcome, and the word that goes back to the reporters."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks import default_task_backend

from i4p.accounts.models import Role
from i4p.core.errors import Invalid, NotAllowed, NotFound, WrongState
from i4p.core.models import AuditEvent
from i4p.warning.alerts import default_words, draft_alert
from i4p.warning.models import (
    AlertEvent,
    AlertState,
    Channel,
    Gateway,
    MessageTemplate,
    OutboundMessage,
    OutboundState,
    Outcome,
    Report,
    Reporter,
    Response,
    ResponseKind,
    TimelineKind,
)
from i4p.warning.responses import (
    ACTED_ON,
    FEEDBACK_WORDING,
    TAKEN_UP,
    alert_chain,
    feedback_wording,
    record_outcome,
    record_response,
    tell_reporters,
)
from i4p.warning.tests.builders import staff, submit_test_report
from i4p.warning.tests.responding import Scene, ago, build_scene
from i4p.warning.tests.sms import make_gateway, post_sms
from i4p.web.tests.world import logged_in

pytestmark = pytest.mark.django_db

PHONE = "+233 24 555 0142"
SMS_TEXT = "AC Tamale 3 youths from Kukuo at the market"


@pytest.fixture
def dummy_tasks(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()  # type: ignore[attr-defined]


def _respond(scene: Scene, **kwargs: Any) -> Response:
    values: dict[str, Any] = {
        "by": scene.chair,
        "kind": ResponseKind.MEDIATION,
        "description": "Met both quarters' elders at the chief's palace.",
        "started_at": timezone.now(),
    }
    values.update(kwargs)
    return record_response(scene.alert, **values)


def _kinds(scene: Scene) -> list[str]:
    return list(scene.alert.timeline.values_list("kind", flat=True))


# -- recording rights -----------------------------------------------------------------------------


def test_a_member_of_a_mechanism_the_alert_reached_records_a_response_and_so_acknowledges_it() -> (
    None
):
    scene = build_scene()
    response = _respond(scene)
    scene.alert.refresh_from_db()
    assert response.actor == scene.committee and response.by == scene.chair
    assert scene.alert.state == AlertState.ACKNOWLEDGED
    assert scene.alert.acknowledged_for == scene.committee
    assert _kinds(scene)[-2:] == [TimelineKind.ACKNOWLEDGED, TimelineKind.RESPONSE]
    acknowledgement = scene.alert.timeline.get(kind=TimelineKind.ACKNOWLEDGED)
    assert "recording a response" in acknowledgement.note
    assert AuditEvent.objects.filter(target_uuid=response.uuid, action="response.recorded").exists()


def test_a_second_response_on_an_acknowledged_alert_does_not_acknowledge_it_again() -> None:
    scene = build_scene()
    _respond(scene)
    _respond(scene, kind=ResponseKind.DIALOGUE, description="Community meeting.")
    assert _kinds(scene).count(TimelineKind.ACKNOWLEDGED) == 1
    assert _kinds(scene).count(TimelineKind.RESPONSE) == 2


def test_a_member_of_a_mechanism_the_alert_did_not_reach_cannot_record_a_response() -> None:
    scene = build_scene()
    for outsider in (scene.outsider, scene.world.monitor, scene.world.yendi_analyst):
        with pytest.raises(NotAllowed):
            _respond(scene, by=outsider)
    scene.alert.refresh_from_db()
    assert scene.alert.state == AlertState.ISSUED
    assert not Response.objects.exists()
    assert TimelineKind.RESPONSE not in _kinds(scene)


def test_a_responder_in_the_place_records_for_a_mechanism_the_alert_reached_but_not_another() -> (
    None
):
    scene = build_scene()
    with pytest.raises(Invalid) as refused:
        _respond(scene, by=scene.responder, actor=scene.other)
    assert set(refused.value.fields) == {"actor"}
    response = _respond(scene, by=scene.responder, actor=scene.committee)
    assert response.actor == scene.committee and response.by == scene.responder


def test_a_member_cannot_record_for_a_mechanism_they_do_not_belong_to() -> None:
    scene = build_scene()
    from i4p.warning.tests.responding import deliver_to

    deliver_to(scene.alert, scene.other)  # reached, but the chair is not on its call list
    with pytest.raises(Invalid) as refused:
        _respond(scene, actor=scene.other)
    assert "actor" in refused.value.fields


def test_bad_input_is_refused_field_by_field_and_changes_nothing() -> None:
    scene = build_scene()
    before = _kinds(scene)
    with pytest.raises(Invalid) as refused:
        _respond(
            scene,
            kind="bribery",
            description="   ",
            started_at=ago(hours=2),  # before the alert was issued
            ended_at=ago(hours=3),  # before it started
        )
    assert set(refused.value.fields) == {"kind", "description", "started_at", "ended_at"}
    with pytest.raises(Invalid) as future:
        _respond(scene, started_at=timezone.now() + dt.timedelta(hours=2))
    assert set(future.value.fields) == {"started_at"}
    with pytest.raises(Invalid) as missing:
        _respond(scene, started_at=None)
    assert set(missing.value.fields) == {"started_at"}
    scene.alert.refresh_from_db()
    assert scene.alert.state == AlertState.ISSUED
    assert not Response.objects.exists()
    assert _kinds(scene) == before


def test_no_response_on_a_draft() -> None:
    scene = build_scene()
    draft = draft_alert(
        scene.world.tamale,
        by=scene.world.tamale_analyst,
        words=default_words(scene.world.tamale, None),
    )
    with pytest.raises(WrongState):
        record_response(
            draft,
            by=scene.world.tamale_analyst,
            kind=ResponseKind.MEDIATION,
            description="x",
            started_at=timezone.now(),
        )


# -- outcomes ------------------------------------------------------------------------------------


def test_an_outcome_is_recorded_on_the_timeline_and_a_later_one_replaces_it() -> None:
    scene = build_scene()
    response = _respond(scene)
    record_outcome(response, by=scene.chair, outcome=Outcome.ONGOING, note="Talks continue.")
    record_outcome(response, by=scene.chair, outcome=Outcome.RESOLVED, note="Agreement signed.")
    response.refresh_from_db()
    assert response.outcome == Outcome.RESOLVED and response.outcome_note == "Agreement signed."
    assert response.outcome_at is not None
    outcomes = scene.alert.timeline.filter(kind=TimelineKind.OUTCOME)
    assert [e.note for e in outcomes] == ["Mediation: Still ongoing", "Mediation: Resolved"]
    assert outcomes[0].actor == scene.committee
    assert (
        AuditEvent.objects.filter(target_uuid=response.uuid, action="response.outcome").count() == 2
    )


def test_an_outsider_cannot_record_an_outcome_and_a_bad_one_changes_nothing() -> None:
    scene = build_scene()
    response = _respond(scene)
    with pytest.raises(NotAllowed):
        record_outcome(response, by=scene.outsider, outcome=Outcome.RESOLVED, note="")
    with pytest.raises(Invalid) as refused:
        record_outcome(response, by=scene.chair, outcome="won", note="x" * 3000)
    assert set(refused.value.fields) == {"outcome", "note"}
    response.refresh_from_db()
    assert response.outcome == "" and response.outcome_at is None
    assert TimelineKind.OUTCOME not in _kinds(scene)


# -- the reporter hears back --------------------------------------------------------------------


def _sms_reporter(scene: Scene, *, consent: bool, sender: str = PHONE) -> Report:
    gateway = Gateway.objects.filter(slug="twilio-gh").first() or make_gateway(
        Channel.TWILIO, account_sid="AC0000"
    )
    client = Client()
    counter = Reporter.objects.count() * 10
    if consent:
        post_sms(client, gateway, sender=sender, text="JOIN", message_id=f"SM{counter + 1}")
    post_sms(client, gateway, sender=sender, text=SMS_TEXT, message_id=f"SM{counter + 2}")
    report = Report.objects.filter(channel=Channel.TWILIO).latest("received_at")
    scene.alert.reports.add(report)
    return report


def test_the_reporters_hear_in_neutral_words_when_the_alert_is_taken_up_and_when_acted_on(
    dummy_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    scene = build_scene()
    sms_report = _sms_reporter(scene, consent=True)
    reporter = sms_report.reporter
    assert reporter is not None
    default_task_backend.clear()  # type: ignore[attr-defined]
    with django_capture_on_commit_callbacks(execute=True):
        response = _respond(scene)
    taken_up = OutboundMessage.objects.get(reporter=reporter, template_key=TAKEN_UP)
    assert taken_up.state == OutboundState.QUEUED
    assert taken_up.text == FEEDBACK_WORDING[TAKEN_UP]["en"]
    with django_capture_on_commit_callbacks(execute=True):
        record_outcome(response, by=scene.chair, outcome=Outcome.RESOLVED, note="")
    acted_on = OutboundMessage.objects.get(reporter=reporter, template_key=ACTED_ON)
    assert acted_on.state == OutboundState.QUEUED and acted_on.report == sms_report
    # Out through the task, which carries the message's id and never the number.
    queued = default_task_backend.results  # type: ignore[attr-defined]
    assert [r.args for r in queued] == [[str(taken_up.uuid)], [str(acted_on.uuid)]]
    assert "555" not in json.dumps([r.args for r in queued])
    # Neutral: the words name no violence, no alert, no report.
    for text in (taken_up.text, acted_on.text):
        assert not {"alert", "report", "violence", "peace", "conflict"} & set(text.lower().split())
    # A second outcome tells nobody twice.
    with django_capture_on_commit_callbacks(execute=True):
        record_outcome(response, by=scene.chair, outcome=Outcome.DE_ESCALATED, note="")
    assert OutboundMessage.objects.filter(reporter=reporter, template_key=ACTED_ON).count() == 1


def test_a_reporter_without_consent_or_who_opted_out_is_never_sent_anything(
    dummy_tasks: None,
) -> None:
    scene = build_scene()
    silent = _sms_reporter(scene, consent=False, sender="+233 24 555 0001")
    stopped = _sms_reporter(scene, consent=True, sender="+233 24 555 0002")
    gateway = Gateway.objects.get(slug="twilio-gh")
    post_sms(Client(), gateway, sender="+233 24 555 0002", text="STOP", message_id="SM-stop")
    default_task_backend.clear()  # type: ignore[attr-defined]
    told = tell_reporters(scene.alert, key=ACTED_ON)
    assert told.reporters == 3 and told.by_message == 0  # the monitor's web report, and these two
    for report in (silent, stopped):
        message = OutboundMessage.objects.get(reporter=report.reporter, template_key=ACTED_ON)
        assert message.state == OutboundState.WITHHELD
    assert default_task_backend.results == []  # type: ignore[attr-defined]


def test_the_timeline_says_how_many_reporters_were_told_and_never_who() -> None:
    scene = build_scene()
    sms_report = _sms_reporter(scene, consent=True)
    tell_reporters(scene.alert, key=ACTED_ON)
    feedback = AlertEvent.objects.get(alert=scene.alert, kind=TimelineKind.FEEDBACK)
    assert feedback.note.startswith("2 reporters told (1 by message)")
    handles = [r.handle for r in Reporter.objects.all()]
    assert sms_report.reporter is not None and handles
    for handle in handles:
        assert handle not in feedback.note
    assert feedback.by is None


def test_the_web_reporter_sees_on_my_reports_that_their_report_was_acted_on(
    django_capture_on_commit_callbacks: Any,
) -> None:
    scene = build_scene()
    client = logged_in(scene.world.monitor)
    assert 'data-testid="feedback"' not in client.get("/reports/mine/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = _respond(scene)
    page = client.get("/reports/mine/").content.decode()
    assert "Passed on, followed up" in page
    with django_capture_on_commit_callbacks(execute=True):
        record_outcome(response, by=scene.chair, outcome=Outcome.RESOLVED, note="")
    page = client.get("/reports/mine/").content.decode()
    assert "Acted on" in page


def test_the_wording_follows_the_reporters_language_and_an_admin_template_wins() -> None:
    assert feedback_wording(ACTED_ON, "fr") == FEEDBACK_WORDING[ACTED_ON]["fr"]
    assert feedback_wording(TAKEN_UP, "ar") == FEEDBACK_WORDING[TAKEN_UP]["ar"]
    assert feedback_wording(ACTED_ON, "sw") == FEEDBACK_WORDING[ACTED_ON]["en"]
    MessageTemplate.objects.create(key=ACTED_ON, language="fr", text="Merci, c'est noté.")
    assert feedback_wording(ACTED_ON, "fr-CA") == "Merci, c'est noté."


# -- the chain ------------------------------------------------------------------------------------


def test_the_chain_runs_in_time_order_from_report_to_outcome() -> None:
    scene = build_scene()
    response = _respond(scene)
    record_outcome(response, by=scene.chair, outcome=Outcome.RESOLVED, note="Agreement.")
    chain = alert_chain(scene.alert, user=scene.world.tamale_analyst)
    kinds = [entry.kind for entry in chain.entries]
    assert kinds == [
        "report",
        TimelineKind.CREATED,
        TimelineKind.ISSUED,
        "response",  # it started a moment before it was recorded, which acknowledged the alert
        TimelineKind.ACKNOWLEDGED,
        "outcome",
    ]
    assert [e.at for e in chain.entries] == sorted(e.at for e in chain.entries)
    assert chain.reads_reports and "Kukuo" in chain.entries[0].text


def test_a_responder_who_reads_no_reports_sees_counts_and_places_not_texts() -> None:
    scene = build_scene()
    chain = alert_chain(scene.alert, user=scene.responder)
    assert not chain.reads_reports and chain.may_respond
    reports = [e for e in chain.entries if e.kind.startswith("report")]
    assert [(e.kind, e.title, e.place, e.text, e.link) for e in reports] == [
        ("reports", "1 reports", "Tamale", "", "")
    ]


def test_the_chain_page_shows_reports_to_analysts_and_not_their_texts_to_responders() -> None:
    scene = build_scene()
    reporter = scene.report.reporter
    assert reporter is not None
    url = f"/alerts/{scene.alert.uuid}/chain/"
    analyst = logged_in(scene.world.tamale_analyst)
    page = analyst.get(url).content.decode()
    assert "Kukuo" in page and f"/review/reports/{scene.report.uuid}/" in page
    responder = logged_in(scene.responder)
    page = responder.get(url).content.decode()
    assert "Kukuo" not in page and str(scene.report.uuid) not in page
    assert 'data-testid="chain-reports"' in page and 'data-testid="response-form"' in page
    for body in (page, analyst.get(url).content.decode()):
        assert reporter.handle not in body and scene.world.monitor.username not in body
    stranger = logged_in(scene.outsider)
    assert stranger.get(url).status_code == 404


def test_a_member_records_a_response_and_its_outcome_on_the_chain_page() -> None:
    scene = build_scene()
    client = logged_in(scene.chair)
    url = f"/alerts/{scene.alert.uuid}/chain/"
    bad = client.post(url, {"action": "response", "kind": "mediation", "description": ""})
    assert bad.status_code == 400 and not Response.objects.exists()
    early = (timezone.localtime() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    refused = client.post(
        url,
        {"action": "response", "kind": "mediation", "description": "Met.", "started_at": early},
    )
    assert refused.status_code == 400 and "after it was issued" in refused.content.decode()
    assert not Response.objects.exists()
    now = (timezone.localtime() + dt.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    done = client.post(
        url,
        {"action": "response", "kind": "dialogue", "description": "Elders met.", "started_at": now},
    )
    assert done.status_code == 302
    response = Response.objects.get()
    assert response.actor == scene.committee
    outcome = client.post(
        url,
        {"action": "outcome", "response": str(response.uuid), "outcome": "resolved", "note": ""},
    )
    assert outcome.status_code == 302
    response.refresh_from_db()
    assert response.outcome == Outcome.RESOLVED
    page = client.get(url).content.decode()
    assert 'data-testid="chain-outcome"' in page and "Elders met." in page
    outsider = logged_in(scene.outsider)
    assert outsider.post(url, {"action": "response"}).status_code == 404


# -- the API --------------------------------------------------------------------------------------


def test_the_api_gives_the_chain_and_records_a_response_and_its_outcome() -> None:
    scene = build_scene()
    client = logged_in(scene.chair)
    base = f"/api/v1/alerts/{scene.alert.uuid}"
    chain = client.get(f"{base}/chain").json()
    assert chain["may_respond"] and not chain["reads_reports"]
    assert chain["mechanisms"] == [str(scene.committee.uuid)]
    assert "Kukuo" not in json.dumps(chain)
    answer = client.post(
        f"{base}/responses",
        {
            "kind": "humanitarian",
            "description": "Referred two families to the district assembly.",
            "started_at": timezone.now().isoformat(),
        },
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    created = answer.json()
    assert created["mechanism"] == "Tamale Peace Committee" and created["kind"] == "humanitarian"
    outcome = client.post(
        f"/api/v1/responses/{created['uuid']}/outcome",
        {"outcome": "de_escalated", "note": "Calm."},
        content_type="application/json",
    )
    assert outcome.status_code == 200 and outcome.json()["outcome"] == "de_escalated"
    kinds = [e["kind"] for e in client.get(f"{base}/chain").json()["entries"]]
    assert kinds[-3:] == ["response", "acknowledged", "outcome"]


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "bribery", "description": "x", "started_at": "2030-01-01T00:00:00Z"},
        {"kind": "mediation", "description": "", "started_at": "2030-01-01T00:00:00Z"},
        {"kind": "mediation", "description": "x"},
        {"kind": "mediation", "description": "x", "started_at": "yesterday"},
        {"kind": "mediation", "description": "x", "started_at": "2030-01-01T00:00:00Z"},
        {"kind": "mediation", "description": "x", "started_at": "2020-01-01T00:00:00Z"},
        {"kind": "mediation", "description": "x", "started_at": "now", "extra": 1},
        {
            "kind": "mediation",
            "description": "x",
            "started_at": "2030-01-01T00:00:00Z",
            "actor": "00000000-0000-0000-0000-000000000000",
        },
    ],
)
def test_the_api_answers_bad_input_with_400_and_changes_nothing(body: dict[str, Any]) -> None:
    scene = build_scene()
    client = logged_in(scene.chair)
    answer = client.post(
        f"/api/v1/alerts/{scene.alert.uuid}/responses", body, content_type="application/json"
    )
    assert answer.status_code == 400 and answer.json()["code"] == "invalid"
    assert answer.json()["fields"]
    scene.alert.refresh_from_db()
    assert scene.alert.state == AlertState.ISSUED and not Response.objects.exists()


def test_the_api_hides_alerts_and_responses_from_those_with_no_part_in_them() -> None:
    scene = build_scene()
    response = _respond(scene)
    client = logged_in(scene.outsider)
    assert client.get(f"/api/v1/alerts/{scene.alert.uuid}/chain").status_code == 404
    body = {"kind": "mediation", "description": "x", "started_at": timezone.now().isoformat()}
    answer = client.post(
        f"/api/v1/alerts/{scene.alert.uuid}/responses", body, content_type="application/json"
    )
    assert answer.status_code == 404
    answer = client.post(
        f"/api/v1/responses/{response.uuid}/outcome",
        {"outcome": "resolved"},
        content_type="application/json",
    )
    assert answer.status_code == 404
    assert Response.objects.count() == 1
    monitor = staff("someone", Role.MONITOR, scene.world.tamale)
    client = logged_in(monitor)
    assert client.get(f"/api/v1/alerts/{scene.alert.uuid}/chain").status_code == 404
    with pytest.raises(NotFound):
        alert_chain(scene.alert, user=monitor)


def test_the_chain_reads_in_the_same_number_of_queries_however_long_it_is() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    scene = build_scene()

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            alert_chain(scene.alert, user=scene.world.tamale_analyst)
        return len(captured)

    short = queries()
    for n in range(4):
        scene.alert.reports.add(submit_test_report(scene.world, description=f"Report {n}"))
    scene.alert.reports.add(submit_test_report(scene.world, place=scene.world.yendi))
    for _n in range(3):
        record_outcome(_respond(scene), by=scene.chair, outcome=Outcome.ONGOING, note="")
    assert queries() == short
