"""Reviewing reports: edit locks that expire, verdicts, grades, corrections, triage, scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from i4p.core.errors import Invalid, NotAllowed, NotFound, WrongState
from i4p.core.models import AuditEvent
from i4p.geo.models import Place
from i4p.warning.intake import Draft, Identity, store_inbound
from i4p.warning.models import (
    Channel,
    EventType,
    InboundMessage,
    InboundState,
    LocationMethod,
    PlacePrecision,
    Report,
    Sensitivity,
    Verification,
    Visibility,
)
from i4p.warning.review import (
    ReportChanges,
    assign_report,
    break_lock,
    clear_triage,
    dismiss_inbound,
    edit_report,
    judge_report,
    lock_holder,
    release_lock,
    report_from_triage,
    take_lock,
)
from i4p.warning.selectors import (
    QueueFilters,
    report_history,
    review_queue,
    triage_messages,
)
from i4p.warning.tests.builders import build_warning_world, submit_test_report

pytestmark = pytest.mark.django_db


def reload(report: Report) -> Report:
    return Report.objects.get(pk=report.pk)


def test_a_reviewer_takes_the_lock_and_it_runs_for_the_configured_minutes(
    settings: Any,
) -> None:
    settings.I4P_REVIEW_LOCK_MINUTES = 7
    world = build_warning_world()
    report = submit_test_report(world)
    before = timezone.now()
    take_lock(report, by=world.tamale_analyst)
    stored = reload(report)
    assert stored.locked_by == world.tamale_analyst
    assert stored.locked_until is not None
    assert before + dt.timedelta(minutes=7) <= stored.locked_until
    assert stored.locked_until <= timezone.now() + dt.timedelta(minutes=7)


def test_nobody_takes_a_lock_another_reviewer_holds() -> None:
    world = build_warning_world()
    report = submit_test_report(world)
    take_lock(report, by=world.tamale_analyst)
    with pytest.raises(WrongState, match="analyst-tamale"):
        take_lock(reload(report), by=world.national_analyst)
    assert reload(report).locked_by == world.tamale_analyst


def test_nobody_overwrites_the_verdict_of_the_reviewer_who_holds_the_lock() -> None:
    world = build_warning_world()
    report = submit_test_report(world)
    take_lock(report, by=world.tamale_analyst)
    with pytest.raises(WrongState):
        judge_report(reload(report), by=world.national_analyst, verdict=Verification.FALSE)
    with pytest.raises(WrongState):
        edit_report(reload(report), by=world.national_analyst, changes=ReportChanges(killed=9))
    stored = reload(report)
    assert stored.verification == Verification.PENDING
    assert stored.killed is None


def test_a_review_write_without_the_lock_is_refused() -> None:
    world = build_warning_world()
    report = submit_test_report(world)
    with pytest.raises(WrongState, match="Take the edit lock"):
        judge_report(report, by=world.tamale_analyst, verdict=Verification.VERIFIED)
    with pytest.raises(WrongState):
        assign_report(report, by=world.tamale_analyst, to=world.tamale_analyst)
    assert reload(report).verification == Verification.PENDING


def test_an_expired_lock_frees_the_report_for_another_reviewer() -> None:
    world = build_warning_world()
    report = submit_test_report(world)
    take_lock(report, by=world.tamale_analyst)
    Report.objects.filter(pk=report.pk).update(
        locked_until=timezone.now() - dt.timedelta(seconds=1)
    )
    stale = reload(report)
    assert lock_holder(stale) is None
    with pytest.raises(WrongState):  # the first reviewer's lock is gone too
        judge_report(stale, by=world.tamale_analyst, verdict=Verification.VERIFIED)
    take_lock(stale, by=world.national_analyst)
    judge_report(reload(report), by=world.national_analyst, verdict=Verification.CREDIBLE)
    assert reload(report).verification == Verification.CREDIBLE


def test_a_reviewer_renews_and_releases_their_own_lock() -> None:
    world = build_warning_world()
    report = submit_test_report(world)
    take_lock(report, by=world.tamale_analyst)
    first_until = reload(report).locked_until
    take_lock(reload(report), by=world.tamale_analyst)
    renewed = reload(report)
    assert renewed.locked_until is not None and first_until is not None
    assert renewed.locked_until >= first_until
    release_lock(renewed, by=world.tamale_analyst)
    assert lock_holder(reload(report)) is None
    actions = list(report_history(report).values_list("action", flat=True))
    assert actions[-3:] == ["report.locked", "report.lock_renewed", "report.unlocked"]


def test_an_admin_breaks_a_lock_with_a_reason_and_the_break_is_audited() -> None:
    world = build_warning_world()
    report = submit_test_report(world)
    take_lock(report, by=world.tamale_analyst)
    with pytest.raises(Invalid):
        break_lock(reload(report), by=world.admin, reason="  ")
    break_lock(reload(report), by=world.admin, reason="Analyst on leave")
    assert lock_holder(reload(report)) is None
    event = AuditEvent.objects.get(action="report.lock_broken")
    assert event.by == world.admin
    assert "Analyst on leave" in event.note and "analyst-tamale" in event.note
    take_lock(reload(report), by=world.national_analyst)  # free for others now


def test_an_analyst_cannot_break_another_reviewers_lock() -> None:
    world = build_warning_world()
    report = submit_test_report(world)
    take_lock(report, by=world.tamale_analyst)
    with pytest.raises(NotAllowed):
        break_lock(reload(report), by=world.national_analyst, reason="I want it")
    assert reload(report).locked_by == world.tamale_analyst


def test_an_analyst_of_another_district_can_neither_lock_nor_judge() -> None:
    world = build_warning_world()
    report = submit_test_report(world)
    with pytest.raises(NotAllowed):
        take_lock(report, by=world.yendi_analyst)
    with pytest.raises(NotAllowed):
        judge_report(report, by=world.yendi_analyst, verdict=Verification.FALSE)
    with pytest.raises(NotAllowed):
        take_lock(report, by=world.monitor)  # a monitor reports, but does not review
    assert reload(report).locked_by is None


def test_a_verdict_records_the_reviewer_and_the_admiralty_grades() -> None:
    world = build_warning_world()
    report = submit_test_report(world)
    take_lock(report, by=world.tamale_analyst)
    judge_report(
        report,
        by=world.tamale_analyst,
        verdict=Verification.VERIFIED,
        reliability="B",
        credibility="2",
        note="Confirmed by the district police.",
    )
    stored = reload(report)
    assert stored.verification == Verification.VERIFIED
    assert (stored.source_reliability, stored.information_credibility) == ("B", "2")
    assert stored.reviewed_by == world.tamale_analyst and stored.reviewed_at is not None
    event = report_history(report).get(action="report.judged.verified")
    assert "source_reliability" in event.fields and "verification" in event.fields


@pytest.mark.parametrize(
    ("verdict", "reliability", "credibility", "field"),
    [
        ("pending", "", "", "verdict"),
        ("maybe", "", "", "verdict"),
        ("verified", "G", "", "reliability"),
        ("verified", "", "7", "credibility"),
        ("duplicate", "", "", "duplicate_of"),
    ],
)
def test_a_verdict_outside_the_scales_is_refused_and_changes_nothing(
    verdict: str, reliability: str, credibility: str, field: str
) -> None:
    world = build_warning_world()
    report = submit_test_report(world)
    take_lock(report, by=world.tamale_analyst)
    with pytest.raises(Invalid) as refused:
        judge_report(
            report,
            by=world.tamale_analyst,
            verdict=verdict,
            reliability=reliability,
            credibility=credibility,
        )
    assert field in refused.value.fields
    stored = reload(report)
    assert stored.verification == Verification.PENDING
    assert stored.source_reliability == "F"


def test_a_duplicate_names_its_original_which_is_not_itself_nor_a_duplicate() -> None:
    world = build_warning_world()
    original = submit_test_report(world)
    copy = submit_test_report(world, description="The same fight, told again.")
    third = submit_test_report(world, description="And once more.")
    take_lock(copy, by=world.tamale_analyst)
    with pytest.raises(Invalid):
        judge_report(
            copy, by=world.tamale_analyst, verdict=Verification.DUPLICATE, duplicate_of=copy
        )
    judge_report(
        copy, by=world.tamale_analyst, verdict=Verification.DUPLICATE, duplicate_of=original
    )
    assert reload(copy).duplicate_of == original
    take_lock(third, by=world.tamale_analyst)
    with pytest.raises(Invalid, match="not complete"):
        judge_report(
            third,
            by=world.tamale_analyst,
            verdict=Verification.DUPLICATE,
            duplicate_of=reload(copy),
        )
    # A later verdict that is not "duplicate" forgets the original.
    judge_report(copy, by=world.tamale_analyst, verdict=Verification.CREDIBLE)
    assert reload(copy).duplicate_of is None


def test_a_duplicate_cannot_point_at_a_report_outside_the_reviewers_area() -> None:
    world = build_warning_world()
    elsewhere = submit_test_report(world, place=world.yendi)
    report = submit_test_report(world)
    take_lock(report, by=world.tamale_analyst)
    with pytest.raises(Invalid):
        judge_report(
            report,
            by=world.tamale_analyst,
            verdict=Verification.DUPLICATE,
            duplicate_of=elsewhere,
        )


def test_a_reviewer_moves_a_report_and_the_place_is_marked_as_reviewed() -> None:
    world = build_warning_world()
    report = submit_test_report(world, place=world.northern)
    take_lock(report, by=world.national_analyst)
    edit_report(report, by=world.national_analyst, changes=ReportChanges(place=world.tamale))
    stored = reload(report)
    assert stored.place == world.tamale
    assert stored.location_method == LocationMethod.REVIEWED
    assert stored.place_precision == PlacePrecision.ADMIN2
    event = report_history(report).get(action="report.edited")
    assert set(event.fields) == {"place", "place_precision", "location_method"}


def test_a_reviewer_cannot_move_a_report_out_of_their_area() -> None:
    world = build_warning_world()
    report = submit_test_report(world)
    take_lock(report, by=world.tamale_analyst)
    with pytest.raises(Invalid):
        edit_report(report, by=world.tamale_analyst, changes=ReportChanges(place=world.volta))
    assert reload(report).place == world.tamale


def test_sensitivity_and_visibility_change_apart_from_verification() -> None:
    world = build_warning_world()
    report = submit_test_report(world)
    take_lock(report, by=world.tamale_analyst)
    edit_report(
        report,
        by=world.tamale_analyst,
        changes=ReportChanges(
            sensitivity=Sensitivity.SENSITIVE,
            visibility=Visibility.PUBLIC,
            event_type=EventType.objects.get(code="riots.mob_violence"),
            killed=1,
        ),
    )
    stored = reload(report)
    assert stored.sensitivity == Sensitivity.SENSITIVE
    assert stored.visibility == Visibility.PUBLIC
    assert stored.event_type is not None and stored.event_type.code == "riots.mob_violence"
    assert stored.killed == 1
    assert stored.verification == Verification.PENDING  # untouched


def test_bad_corrections_are_refused_and_change_nothing() -> None:
    world = build_warning_world()
    report = submit_test_report(world)
    take_lock(report, by=world.tamale_analyst)
    with pytest.raises(Invalid) as refused:
        edit_report(
            report,
            by=world.tamale_analyst,
            changes=ReportChanges(killed=-1, sensitivity="secret", visibility="everyone"),
        )
    assert {"killed", "sensitivity", "visibility"} <= set(refused.value.fields)
    stored = reload(report)
    assert (stored.killed, stored.sensitivity) == (None, Sensitivity.NORMAL)


def test_assignment_goes_only_to_a_reviewer_of_the_area() -> None:
    world = build_warning_world()
    report = submit_test_report(world)
    take_lock(report, by=world.national_analyst)
    with pytest.raises(Invalid):
        assign_report(report, by=world.national_analyst, to=world.yendi_analyst)
    assign_report(report, by=world.national_analyst, to=world.tamale_analyst)
    assert reload(report).assigned_to == world.tamale_analyst
    mine = review_queue(world.tamale_analyst, QueueFilters(assigned_to_me=True))
    assert list(mine) == [report]
    assert not review_queue(world.national_analyst, QueueFilters(assigned_to_me=True)).exists()


def test_clearing_the_triage_flag_keeps_the_reasons_on_record() -> None:
    world = build_warning_world()
    report = submit_test_report(world, place=world.northern)
    Report.objects.filter(pk=report.pk).update(
        needs_triage=True, triage_reasons=["Only the region is known."]
    )
    report = reload(report)
    take_lock(report, by=world.national_analyst)
    clear_triage(report, by=world.national_analyst)
    stored = reload(report)
    assert not stored.needs_triage
    assert stored.triage_reasons == ["Only the region is known."]
    with pytest.raises(WrongState):
        clear_triage(stored, by=world.national_analyst)


def test_the_history_names_fields_never_values() -> None:
    world = build_warning_world()
    report = submit_test_report(world)
    take_lock(report, by=world.tamale_analyst)
    edit_report(report, by=world.tamale_analyst, changes=ReportChanges(killed=13))
    for event in report_history(report):
        assert "13" not in str(event.fields) and "13" not in event.note


def _triage_message(
    place: Place | None, text: str = "fighting again near the well"
) -> InboundMessage:
    inbound, _new = store_inbound(
        Channel.GENERIC, {"text": text}, sender=Identity(phone="+233245550142")
    )
    inbound.state = InboundState.TRIAGE
    inbound.problem = "No event code."
    inbound.place = place
    inbound.save()
    return inbound


def test_a_reviewer_turns_a_triage_message_into_a_report() -> None:
    world = build_warning_world()
    inbound = _triage_message(world.tamale)
    assert list(triage_messages(world.tamale_analyst)) == [inbound]
    draft = Draft(
        event_type=EventType.objects.get(code="battles.armed_clash"),
        description="Fighting near the well.",
        place=world.tamale,
    )
    report = report_from_triage(inbound, draft, by=world.tamale_analyst)
    assert report.place == world.tamale
    assert report.location_method == LocationMethod.REVIEWED
    stored = InboundMessage.objects.get(pk=inbound.pk)
    assert stored.state == InboundState.REPORTED and stored.report == report
    assert not triage_messages(world.tamale_analyst).exists()
    # Turned once: a second try finds nothing waiting.
    with pytest.raises(NotFound):
        report_from_triage(stored, draft, by=world.tamale_analyst)
    assert Report.objects.count() == 1


def test_a_reviewer_dismisses_a_triage_message_with_a_reason_and_it_is_kept() -> None:
    world = build_warning_world()
    inbound = _triage_message(world.tamale, text="hello test")
    with pytest.raises(Invalid):
        dismiss_inbound(inbound, by=world.tamale_analyst, reason="")
    dismiss_inbound(inbound, by=world.tamale_analyst, reason="A test message")
    stored = InboundMessage.objects.get(pk=inbound.pk)
    assert stored.state == InboundState.DISMISSED
    assert AuditEvent.objects.filter(action="inbound.dismissed", note="A test message").exists()


def test_a_triage_message_of_another_district_is_out_of_reach() -> None:
    world = build_warning_world()
    inbound = _triage_message(world.tamale)
    assert not triage_messages(world.yendi_analyst).exists()
    with pytest.raises(NotFound):
        dismiss_inbound(inbound, by=world.yendi_analyst, reason="not mine")
    with pytest.raises(NotFound):
        report_from_triage(inbound, Draft(description="x"), by=world.yendi_analyst)
    assert InboundMessage.objects.get(pk=inbound.pk).state == InboundState.TRIAGE


def test_the_review_queue_keeps_to_the_reviewers_district() -> None:
    world = build_warning_world()
    tamale = submit_test_report(world)
    yendi = submit_test_report(world, place=world.yendi)
    assert list(review_queue(world.tamale_analyst)) == [tamale]
    assert list(review_queue(world.yendi_analyst)) == [yendi]
    assert set(review_queue(world.national_analyst)) == {tamale, yendi}
    assert not review_queue(world.monitor).exists()
