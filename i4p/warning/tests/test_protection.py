"""Reporters are protected: an audited reveal with a reason, trust set by reviewers, pages
for staff that show a pseudonym and never an identity."""

from __future__ import annotations

import pytest
from django.test import Client

from i4p.accounts.models import Role
from i4p.core.errors import Invalid, NotAllowed
from i4p.core.models import AuditEvent
from i4p.warning.intake import Draft, Identity, submit_report
from i4p.warning.models import Channel, Reporter, Trust
from i4p.warning.protection import reveal_identity, set_reporter_trust
from i4p.warning.tests.builders import WarningWorld, build_warning_world, staff
from i4p.web.tests.world import logged_in

pytestmark = pytest.mark.django_db

PHONE = "+233 20 000 0917"
NAME = "Abena Fictitious-Mensah"
REASON = "A credible threat against the reporter was received."


def reporter_in_tamale(world: WarningWorld) -> Reporter:
    draft = Draft(description="Shots fired near the market.", place=world.tamale)
    report, _new = submit_report(
        draft,
        by=None,
        channel=Channel.WEB,
        payload={"description": draft.description},
        sender=Identity(phone=PHONE, name=NAME),
    )
    assert report.reporter is not None
    return report.reporter


def test_an_admin_with_a_reason_sees_the_identity_and_the_audit_log_keeps_only_the_reason() -> None:
    world = build_warning_world()
    reporter = reporter_in_tamale(world)
    revealed = reveal_identity(reporter, by=world.admin, reason=REASON)
    assert revealed.name == NAME
    assert revealed.phone == "+233200000917"
    event = AuditEvent.objects.get(action="reporter.revealed")
    assert event.by == world.admin
    assert event.note == REASON
    assert event.fields == ["name", "phone"]
    assert "200000917" not in str(event.__dict__) and NAME not in str(event.__dict__)


def test_a_reveal_without_a_real_reason_is_refused_and_leaves_no_trace() -> None:
    world = build_warning_world()
    reporter = reporter_in_tamale(world)
    for reason in ("", "   ", "because"):
        with pytest.raises(Invalid):
            reveal_identity(reporter, by=world.admin, reason=reason)
    assert not AuditEvent.objects.filter(action="reporter.revealed").exists()


def test_analysts_even_national_ones_cannot_reveal_without_the_separate_grant() -> None:
    world = build_warning_world()
    reporter = reporter_in_tamale(world)
    for user in (world.tamale_analyst, world.national_analyst, world.monitor):
        with pytest.raises(NotAllowed):
            reveal_identity(reporter, by=user, reason=REASON)
    assert not AuditEvent.objects.filter(action="reporter.revealed").exists()


def test_the_reveal_grant_works_only_where_the_reporters_reports_are() -> None:
    world = build_warning_world()
    reporter = reporter_in_tamale(world)
    yendi_admin = staff("admin-yendi", Role.ADMIN, world.yendi)
    northern_admin = staff("admin-northern", Role.ADMIN, world.northern)
    with pytest.raises(NotAllowed):
        reveal_identity(reporter, by=yendi_admin, reason=REASON)
    assert reveal_identity(reporter, by=northern_admin, reason=REASON).name == NAME


def test_a_phone_number_typed_into_the_reason_is_blanked_in_the_audit_log() -> None:
    world = build_warning_world()
    reporter = reporter_in_tamale(world)
    reveal_identity(reporter, by=world.admin, reason="Check against 020 000 0917 from police")
    note = AuditEvent.objects.get(action="reporter.revealed").note
    assert "0917" not in note and "[phone]" in note


def test_a_reviewer_sets_trust_in_their_district_and_it_is_audited() -> None:
    world = build_warning_world()
    reporter = reporter_in_tamale(world)
    set_reporter_trust(reporter, by=world.tamale_analyst, trust=Trust.BLOCKED, note="spam")
    reporter.refresh_from_db()
    assert reporter.trust == Trust.BLOCKED
    assert AuditEvent.objects.filter(action="reporter.trust_changed").count() == 1
    with pytest.raises(NotAllowed):
        set_reporter_trust(reporter, by=world.yendi_analyst, trust=Trust.TRUSTED)
    with pytest.raises(Invalid):
        set_reporter_trust(reporter, by=world.tamale_analyst, trust="friend")
    reporter.refresh_from_db()
    assert reporter.trust == Trust.BLOCKED


def test_the_reporter_page_shows_handle_trust_and_counts_but_no_identity() -> None:
    world = build_warning_world()
    reporter = reporter_in_tamale(world)
    answer = logged_in(world.tamale_analyst).get(f"/reporters/{reporter.uuid}/")
    assert answer.status_code == 200
    html = answer.content.decode()
    assert reporter.handle in html and "New" in html
    assert "1 (0 verified, 1 not yet reviewed)" in html
    assert "0917" not in html and "Fictitious" not in html
    assert "/reveal/" not in html  # analysts hold no reveal grant: no button either


def test_the_reporter_page_is_hidden_from_other_districts_monitors_and_visitors() -> None:
    world = build_warning_world()
    reporter = reporter_in_tamale(world)
    url = f"/reporters/{reporter.uuid}/"
    assert logged_in(world.yendi_analyst).get(url).status_code == 404
    assert logged_in(world.monitor).get(url).status_code == 404
    assert Client().get(url).status_code == 302  # to the login page


def test_the_trust_form_saves_and_a_bad_choice_shows_an_error() -> None:
    world = build_warning_world()
    reporter = reporter_in_tamale(world)
    client = logged_in(world.tamale_analyst)
    url = f"/reporters/{reporter.uuid}/trust/"
    bad = client.post(url, {"trust": "friend"})
    assert bad.status_code == 200 and 'role="alert"' in bad.content.decode()
    good = client.post(url, {"trust": "trusted"})
    assert good.status_code == 302
    reporter.refresh_from_db()
    assert reporter.trust == Trust.TRUSTED


def test_the_reveal_page_asks_a_reason_then_shows_the_identity_once_never_cached() -> None:
    world = build_warning_world()
    reporter = reporter_in_tamale(world)
    client = logged_in(world.admin)
    url = f"/reporters/{reporter.uuid}/reveal/"
    form = client.get(url)
    assert form.status_code == 200 and "no-store" in form["Cache-Control"]
    assert "Fictitious" not in form.content.decode()
    short = client.post(url, {"reason": "curious"})
    assert 'role="alert"' in short.content.decode() and "Fictitious" not in short.content.decode()
    assert not AuditEvent.objects.filter(action="reporter.revealed").exists()
    answer = client.post(url, {"reason": REASON})
    assert answer.status_code == 200
    assert "no-store" in answer["Cache-Control"]
    html = answer.content.decode()
    assert NAME in html and "+233200000917" in html
    assert AuditEvent.objects.filter(action="reporter.revealed").count() == 1


def test_the_reveal_page_is_not_found_for_staff_without_the_grant() -> None:
    world = build_warning_world()
    reporter = reporter_in_tamale(world)
    url = f"/reporters/{reporter.uuid}/reveal/"
    assert logged_in(world.national_analyst).get(url).status_code == 404
    answer = logged_in(world.national_analyst).post(url, {"reason": REASON})
    assert answer.status_code == 404
    assert not AuditEvent.objects.filter(action="reporter.revealed").exists()
