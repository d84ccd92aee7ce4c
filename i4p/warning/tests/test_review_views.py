"""The report form, "my reports", review queue, report page, triage and incident pages."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from i4p.core.models import AuditEvent
from i4p.geo.tests.factories import make_place
from i4p.warning import active, identity
from i4p.warning.intake import Identity, store_inbound
from i4p.warning.models import (
    Channel,
    EventType,
    FieldType,
    InboundMessage,
    InboundState,
    Incident,
    IncidentStatus,
    Report,
    Reporter,
    ReportField,
    Verification,
)
from i4p.warning.review import take_lock
from i4p.warning.tests.builders import WarningWorld, build_warning_world, submit_test_report
from i4p.web.tests.world import logged_in

pytestmark = pytest.mark.django_db

PHONE = "+233 24 555 0199"
NAME = "Abena Canary-Mensah"


def form_data(world: WarningWorld, **extra: Any) -> dict[str, Any]:
    clash = EventType.objects.get(framework=world.framework, code="battles.armed_clash")
    data: dict[str, Any] = {
        "token": str(uuid.uuid4()),
        "kind": "incident",
        "event_type": str(clash.uuid),
        "occurred_on": timezone.localdate().isoformat(),
        "time_precision": "day",
        "place_query": "Tamale",
        "injured": "3",
        "description": "Two groups fought at the market.",
    }
    data.update(extra)
    return data


def test_a_monitor_sends_a_report_and_finds_it_in_my_reports() -> None:
    world = build_warning_world()
    client = Client()
    client.force_login(world.monitor)
    form = client.get("/report/")
    assert form.status_code == 200
    assert 'name="token"' in form.content.decode()
    answer = client.post("/report/", form_data(world))
    assert answer.status_code == 302 and answer["Location"] == "/reports/mine/"
    report = Report.objects.get()
    assert report.place == world.tamale and report.injured == 3
    assert report.reporter is not None and report.reporter.user == world.monitor
    mine = client.get("/reports/mine/").content.decode()
    assert "Two groups fought" in mine and "Not yet reviewed" in mine


def test_a_double_submit_of_the_form_stores_one_report() -> None:
    world = build_warning_world()
    client = Client()
    client.force_login(world.monitor)
    data = form_data(world)
    client.post("/report/", data)
    client.post("/report/", data)
    assert Report.objects.count() == 1
    assert InboundMessage.objects.count() == 1


def test_anyone_may_report_when_the_instance_allows_it_and_nobody_else(settings: Any) -> None:
    world = build_warning_world()
    answer = Client().post("/report/", form_data(world))
    assert answer.status_code == 302 and answer["Location"] == "/report/sent/"
    assert Report.objects.get().reporter is None
    settings.I4P_PUBLIC_REPORTS = False
    refused = Client().post("/report/", form_data(world))
    assert refused.status_code == 302 and "/accounts/login/" in refused["Location"]
    assert Report.objects.count() == 1


def test_contact_details_are_sealed_and_consent_is_recorded() -> None:
    world = build_warning_world()
    Client().post(
        "/report/",
        form_data(world, contact_phone=PHONE, contact_name=NAME, consent="on", place_query="Yendi"),
    )
    report = Report.objects.get()
    reporter = Reporter.objects.get()
    assert report.reporter == reporter
    assert reporter.consents_to_messages and reporter.consent_recorded_at is not None
    assert identity.unseal(reporter.identity)["name"] == NAME
    assert PHONE not in str(Report.objects.values().get())
    # The analyst's page names the reporter by handle only.
    page = logged_in(world.yendi_analyst).get(f"/review/reports/{report.uuid}/").content.decode()
    assert reporter.handle in page
    assert NAME not in page and "245550199" not in page and "555 0199" not in page
    assert AuditEvent.objects.filter(action="reporter.consented").exists()


def test_the_admins_extra_questions_are_asked_and_the_answers_stored() -> None:
    world = build_warning_world()
    ReportField.objects.create(
        framework=world.framework,
        key="weapons_seen",
        label="Were weapons seen?",
        field_type=FieldType.YES_NO,
        required=True,
    )
    client = Client()
    page = client.get("/report/").content.decode()
    assert "Were weapons seen?" in page
    missing = client.post("/report/", form_data(world))
    assert missing.status_code == 200 and 'role="alert"' in missing.content.decode()
    assert not Report.objects.exists()
    client.post("/report/", form_data(world, answer_weapons_seen="yes"))
    assert Report.objects.get().answers == {"weapons_seen": True}


def test_a_name_shared_by_two_places_asks_the_reporter_to_choose() -> None:
    world = build_warning_world()
    other = make_place("Tamale", kind="admin2", parent=world.volta, lat=6.5, lon=0.4)
    client = Client()
    answer = client.post("/report/", form_data(world))
    html = answer.content.decode()
    assert answer.status_code == 200 and "Choose the place" in html
    assert str(other.uuid) in html and str(world.tamale.uuid) in html
    assert not Report.objects.exists()
    client.post("/report/", form_data(world, place=str(other.uuid)))
    assert Report.objects.get().place == other


def test_finding_a_place_shows_the_choices_and_sends_nothing() -> None:
    world = build_warning_world()
    answer = Client().post("/report/", form_data(world, find="1"))
    assert answer.status_code == 200
    assert str(world.tamale.uuid) in answer.content.decode()
    assert not Report.objects.exists()


def test_an_analyst_of_the_district_sees_the_report_and_one_of_another_does_not() -> None:
    world = build_warning_world()
    report = submit_test_report(world)
    tamale = logged_in(world.tamale_analyst)
    yendi = logged_in(world.yendi_analyst)
    assert str(report.uuid) in tamale.get("/review/").content.decode()
    assert str(report.uuid) not in yendi.get("/review/").content.decode()
    assert tamale.get(f"/review/reports/{report.uuid}/").status_code == 200
    assert yendi.get(f"/review/reports/{report.uuid}/").status_code == 404
    refused = yendi.post(f"/review/reports/{report.uuid}/", {"action": "lock"})
    assert refused.status_code == 404
    assert Report.objects.get(pk=report.pk).locked_by is None


def test_a_monitor_has_no_review_pages() -> None:
    world = build_warning_world()
    monitor = logged_in(world.monitor)
    for url in ("/review/", "/review/triage/", "/incidents/"):
        assert monitor.get(url).status_code == 404


def test_an_analyst_locks_verifies_and_the_history_tells_who_did_what() -> None:
    world = build_warning_world()
    report = submit_test_report(world)
    client = logged_in(world.tamale_analyst)
    url = f"/review/reports/{report.uuid}/"
    assert client.post(url, {"action": "lock"}).status_code == 302
    answer = client.post(
        url,
        {"action": "verdict", "verdict": "verified", "reliability": "B", "credibility": "2"},
    )
    assert answer.status_code == 302
    stored = Report.objects.get(pk=report.pk)
    assert stored.verification == Verification.VERIFIED
    page = client.get(url).content.decode()
    assert "analyst-tamale" in page and "gave a verdict" in page and "took the edit lock" in page
    # The monitor's account name never shows: the reporter appears by handle.
    assert "monitor-tamale" not in page


def test_a_second_analyst_sees_who_holds_the_lock_and_cannot_judge() -> None:
    world = build_warning_world()
    report = submit_test_report(world)
    take_lock(report, by=world.tamale_analyst)
    client = logged_in(world.national_analyst)
    url = f"/review/reports/{report.uuid}/"
    assert "analyst-tamale is editing" in client.get(url).content.decode()
    answer = client.post(url, {"action": "verdict", "verdict": "false"})
    assert answer.status_code == 200 and 'role="alert"' in answer.content.decode()
    assert Report.objects.get(pk=report.pk).verification == Verification.PENDING


def test_an_admin_breaks_the_lock_from_the_report_page_with_a_reason() -> None:
    world = build_warning_world()
    report = submit_test_report(world)
    take_lock(report, by=world.tamale_analyst)
    client = logged_in(world.admin)
    url = f"/review/reports/{report.uuid}/"
    assert "Break the lock" in client.get(url).content.decode()
    empty = client.post(url, {"action": "break", "reason": ""})
    assert empty.status_code == 200
    assert Report.objects.get(pk=report.pk).locked_by == world.tamale_analyst
    client.post(url, {"action": "break", "reason": "Away for the week"})
    assert Report.objects.get(pk=report.pk).locked_by is None


def test_the_triage_queue_shows_the_text_and_never_the_sender() -> None:
    world = build_warning_world()
    inbound, _new = store_inbound(
        Channel.GENERIC,
        {"from": PHONE, "text": "shooting near the mosque tonight"},
        sender=Identity(phone=PHONE, name=NAME),
        place=world.tamale,
    )
    InboundMessage.objects.filter(pk=inbound.pk).update(state=InboundState.TRIAGE)
    client = logged_in(world.tamale_analyst)
    for url in ("/review/triage/", f"/review/triage/{inbound.uuid}/"):
        html = client.get(url).content.decode()
        assert "shooting near the mosque" in html
        assert "245550199" not in html and "555 0199" not in html and NAME not in html
    assert logged_in(world.yendi_analyst).get(f"/review/triage/{inbound.uuid}/").status_code == 404
    clash = EventType.objects.get(code="battles.armed_clash")
    answer = client.post(
        f"/review/triage/{inbound.uuid}/",
        {
            "action": "report",
            "event_type": str(clash.uuid),
            "place": str(world.tamale.uuid),
            "description": "Shooting near the mosque.",
        },
    )
    assert answer.status_code == 302
    assert Report.objects.get().place == world.tamale
    assert InboundMessage.objects.get(pk=inbound.pk).state == InboundState.REPORTED


def test_dismissing_a_triage_message_needs_a_reason() -> None:
    world = build_warning_world()
    inbound, _new = store_inbound(Channel.GENERIC, {"text": "hello"}, place=world.tamale)
    InboundMessage.objects.filter(pk=inbound.pk).update(state=InboundState.TRIAGE)
    client = logged_in(world.tamale_analyst)
    url = f"/review/triage/{inbound.uuid}/"
    assert client.post(url, {"action": "dismiss", "reason": ""}).status_code == 200
    assert InboundMessage.objects.get(pk=inbound.pk).state == InboundState.TRIAGE
    assert client.post(url, {"action": "dismiss", "reason": "Greeting"}).status_code == 302
    assert InboundMessage.objects.get(pk=inbound.pk).state == InboundState.DISMISSED


def test_an_analyst_suggests_and_confirms_an_incident_from_the_pages() -> None:
    world = build_warning_world()
    for hours in (3, 2, 1):
        submit_test_report(world, occurred_at=timezone.now() - dt.timedelta(hours=hours))
    client = logged_in(world.tamale_analyst)
    assert client.post("/incidents/", {"action": "suggest"}).status_code == 302
    incident = Incident.objects.get()
    assert incident.reports.count() == 3
    assert incident.title in client.get("/incidents/").content.decode()
    url = f"/incidents/{incident.uuid}/"
    assert client.post(url, {"action": "confirm", "title": ""}).status_code == 302
    assert Incident.objects.get().status == IncidentStatus.CONFIRMED
    assert logged_in(world.yendi_analyst).get(url).status_code == 404


# -- query counts on the lists ------------------------------------------------------------


def _many(world: WarningWorld, n: int) -> None:
    """n reports, n messages waiting in triage and n incidents, all in Tamale."""
    for i in range(n):
        submit_test_report(world, description=f"Report number {i}")
        inbound, _new = store_inbound(Channel.GENERIC, {"text": f"msg {i}"}, place=world.tamale)
        InboundMessage.objects.filter(pk=inbound.pk).update(state=InboundState.TRIAGE)
        Incident.objects.create(title=f"Incident {i}", place=world.tamale)


def _count_queries(client: Client, url: str, django_assert_num_queries: Any, n: int) -> str:
    active.forget()  # as in a new process, so the count does not depend on the set-up's pace
    with django_assert_num_queries(n):
        answer = client.get(url)
    assert answer.status_code == 200
    return answer.content.decode()


@pytest.mark.parametrize(
    ("who", "url", "queries"),
    [
        ("monitor", "/reports/mine/", 7),  # one for what became of each report
        ("tamale_analyst", "/review/", 14),
        ("tamale_analyst", "/review/?status=pending&triage=no&mine=on", 13),
        ("tamale_analyst", "/incidents/", 9),
        ("tamale_analyst", "/review/triage/", 12),
    ],
)
def test_list_pages_take_as_many_queries_for_three_rows_as_for_twenty(
    who: str, url: str, queries: int, django_assert_num_queries: Any
) -> None:
    world = build_warning_world()
    client = logged_in(getattr(world, who))
    _many(world, 3)
    _count_queries(client, url, django_assert_num_queries, queries)
    _many(world, 17)
    _count_queries(client, url, django_assert_num_queries, queries)


def test_a_report_is_assigned_by_the_reviewers_public_id_never_an_integer_key() -> None:
    world = build_warning_world()
    report = submit_test_report(world)
    client = logged_in(world.national_analyst)
    url = f"/review/reports/{report.uuid}/"
    assert client.post(url, {"action": "lock"}).status_code == 302
    page = client.get(url).content.decode()
    choices = re.findall(r'<select name="assigned_to"[^>]*>(.*?)</select>', page, re.S)
    assert len(choices) == 1
    values = [v for v in re.findall(r'value="([^"]*)"', choices[0]) if v]
    assert str(world.tamale_analyst.uuid) in values
    assert all(uuid.UUID(value) for value in values)
    answer = client.post(url, {"action": "assign", "assigned_to": str(world.tamale_analyst.uuid)})
    assert answer.status_code == 302
    assert Report.objects.get(pk=report.pk).assigned_to == world.tamale_analyst
    wrong = client.post(url, {"action": "assign", "assigned_to": str(world.tamale_analyst.pk)})
    assert wrong.status_code == 200
    assert Report.objects.get(pk=report.pk).assigned_to == world.tamale_analyst
