"""`i4p demo`, early-warning side: a framework, an SMS gateway, a district monitor and two
analysts, about forty invented reports with sealed identities, and re-runs that add nothing."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command

from i4p.accounts.models import User
from i4p.accounts.services import needs_two_factor
from i4p.registry.demo.loader import DemoSummary, load_demo
from i4p.registry.tests.test_demo import make_demo_places
from i4p.warning import identity
from i4p.warning.configuration import gateway_secret
from i4p.warning.demo import GATEWAY_SLUG, REPORTS, USERS, load_warning_demo
from i4p.warning.models import (
    Gateway,
    InboundMessage,
    Observation,
    Report,
    Reporter,
    ReportKind,
    Sensitivity,
    Verification,
)
from i4p.warning.selectors import visible_reports

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded() -> DemoSummary:
    make_demo_places()
    summary = load_demo(places=None)
    load_warning_demo(summary)
    return summary


def test_the_demo_has_forty_reports_of_every_kind_and_state(loaded: DemoSummary) -> None:
    reports = Report.objects.all()
    assert reports.count() == len(REPORTS) == 40
    assert reports.filter(kind=ReportKind.SITUATION).count() >= 5
    assert Observation.objects.count() >= 15
    assert reports.filter(verification=Verification.VERIFIED).count() >= 15
    assert reports.filter(verification=Verification.PENDING).count() >= 8
    assert reports.filter(sensitivity=Sensitivity.RESTRICTED).count() == 1
    assert reports.filter(needs_triage=True).exists()
    assert InboundMessage.objects.filter(state="triage").count() == 1
    types = set(reports.exclude(event_type=None).values_list("event_type__code", flat=True))
    assert {t.split(".")[0] for t in types} >= {
        "battles",
        "riots",
        "protests",
        "violence_against_civilians",
        "strategic_developments",
    }
    assert reports.filter(killed__gt=0).count() >= 5
    northern = reports.filter(place__path__startswith=_northern_path()).count()
    assert 20 <= northern < 40  # most in the Northern region, some elsewhere


def _northern_path() -> str:
    from i4p.geo.models import PlaceCode

    return PlaceCode.objects.get(code="GH-NP").place.path


def test_the_demo_counts_its_reports_and_has_a_rule_that_drafts_alerts(
    loaded: DemoSummary,
) -> None:
    from i4p.warning.models import AlertRule, Count

    assert Count.objects.filter(place__kind="country").exists()  # every level is counted
    counted = sum(Count.objects.filter(place__kind="country").values_list("reports", flat=True))
    assert counted > 0
    rule = AlertRule.objects.get()
    assert rule.is_active and not rule.issue_at_once  # drafts, for an analyst to check


def test_demo_reporters_are_invented_and_their_identities_sealed(loaded: DemoSummary) -> None:
    reporters = Reporter.objects.exclude(identity=b"")
    assert reporters.count() >= 20
    for reporter in reporters:
        found = identity.unseal(reporter.identity)
        assert re.fullmatch(r"\+233200000\d{3}", found["phone"]), found["phone"]
        assert found["name"].endswith("(fictitious)")
        assert b"fictitious" not in bytes(reporter.identity)
    gateway = Gateway.objects.get(slug=GATEWAY_SLUG)
    assert gateway.kind == "generic" and gateway.country_code == "GH"
    assert len(gateway_secret(gateway)) >= 16


def test_the_demo_logins_see_what_their_scope_allows(loaded: DemoSummary) -> None:
    monitor = User.objects.get(username="demo-monitor-tamale")
    northern = User.objects.get(username="demo-analyst-northern")
    national = User.objects.get(username="demo-analyst-ghana")
    mine = visible_reports(monitor)
    assert mine.count() == 4 and all(r.reporter and r.reporter.user == monitor for r in mine)
    in_north = visible_reports(northern)
    assert 15 <= in_north.count() < visible_reports(national).count()
    # The restricted report stays with staff who hold the reveal grant.
    assert not visible_reports(national).filter(sensitivity=Sensitivity.RESTRICTED).exists()
    assert needs_two_factor(northern) and needs_two_factor(national)
    logins = {login.username: login for login in loaded.logins}
    for entry in USERS:
        assert entry.username in logins
    assert logins["demo-analyst-ghana"].totp_secret
    assert not logins["demo-monitor-tamale"].totp_secret


def test_running_the_warning_demo_again_adds_nothing(loaded: DemoSummary) -> None:
    before = (Report.objects.count(), Reporter.objects.count(), InboundMessage.objects.count())
    again = load_demo(places=None)
    lines = load_warning_demo(again)
    assert (Report.objects.count(), Reporter.objects.count(), InboundMessage.objects.count()) == (
        before
    )
    assert "(0 new)" in lines[0]


def test_the_demo_command_prints_the_early_warning_part_and_its_logins(db: None) -> None:
    make_demo_places()
    out = io.StringIO()
    call_command("demo", "--no-places", stdout=out)
    text = out.getvalue()
    assert "Early warning: 40 reports" in text
    for entry in USERS:
        assert entry.username in text
    # No reporter's identity in the output, invented or not.
    assert not re.search(r"\+233 ?20 ?000 ?0\d{3}", text) and "Demo-Reporter-" not in text
