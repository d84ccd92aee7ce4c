"""An alert's life: drafted, issued in every language, acknowledged, updated, cancelled, closed."""

from __future__ import annotations

import pytest

from i4p.accounts.models import Role
from i4p.core.errors import Invalid, NotAllowed, WrongState
from i4p.core.models import AuditEvent
from i4p.registry.models import Actor, ActorKind, Level
from i4p.warning.alerts import (
    Words,
    acknowledge_alert,
    cancel_alert,
    close_alert,
    default_words,
    draft_alert,
    issue_alert,
    may_respond,
    update_alert,
)
from i4p.warning.models import (
    Alert,
    AlertState,
    CapMsgType,
    Delivery,
    DeliveryChannel,
    OnCall,
    Severity,
    TimelineKind,
)
from i4p.warning.tests.builders import WarningWorld, build_warning_world, staff

pytestmark = pytest.mark.django_db


def _draft(world: WarningWorld, **kwargs: object) -> Alert:
    return draft_alert(
        world.tamale,
        by=world.tamale_analyst,
        words=default_words(world.tamale, None),
        **kwargs,  # type: ignore[arg-type]
    )


def test_an_analyst_drafts_and_issues_an_alert_written_in_every_alert_language() -> None:
    world = build_warning_world()
    alert = _draft(world)
    assert alert.state == AlertState.DRAFT
    assert sorted(alert.texts.values_list("language", flat=True)) == ["ar", "en", "fr"]
    assert "Tamale" in alert.texts.get(language="fr").headline
    issued = issue_alert(alert, by=world.tamale_analyst)
    assert issued.state == AlertState.ISSUED and issued.issued_at is not None
    kinds = list(issued.timeline.values_list("kind", flat=True))
    assert kinds == [TimelineKind.CREATED, TimelineKind.ISSUED]
    assert AuditEvent.objects.filter(target_uuid=alert.uuid, action="alert.issued").exists()


def test_an_alert_missing_a_language_stays_a_draft_and_says_which() -> None:
    world = build_warning_world()
    alert = draft_alert(
        world.tamale,
        by=world.tamale_analyst,
        words=[Words("en", "Armed clash", "Clashes near Tamale market")],
    )
    with pytest.raises(Invalid) as refused:
        issue_alert(alert, by=world.tamale_analyst)
    assert "fr" in refused.value.fields["texts"][0] and "ar" in refused.value.fields["texts"][0]
    alert.refresh_from_db()
    assert alert.state == AlertState.DRAFT


def test_a_refused_alert_leaves_no_draft() -> None:
    world = build_warning_world()
    with pytest.raises(Invalid) as refused:
        draft_alert(
            world.tamale,
            by=world.tamale_analyst,
            words=[Words("en", "Armed clash", "Clashes near Tamale market")],
            issue=True,
        )
    assert "add fr, ar" in refused.value.fields["texts"][0]
    assert not Alert.objects.exists()
    assert not AuditEvent.objects.filter(action="alert.created").exists()


def test_an_alert_drafted_and_issued_at_once_is_issued() -> None:
    world = build_warning_world()
    alert = _draft(world, issue=True)
    assert alert.state == AlertState.ISSUED and alert.issued_at is not None
    kinds = list(alert.timeline.values_list("kind", flat=True))
    assert kinds == [TimelineKind.CREATED, TimelineKind.ISSUED]


def test_bad_words_are_refused_field_by_field_and_nothing_is_stored() -> None:
    world = build_warning_world()
    with pytest.raises(Invalid) as refused:
        draft_alert(
            world.tamale,
            by=world.tamale_analyst,
            words=[Words("en", "", "Clashes"), Words("xx", "Clash", ""), Words("en", "a", "b")],
        )
    fields = refused.value.fields
    assert {"texts.0.event", "texts.1.language", "texts.1.headline", "texts.2.language"} <= set(
        fields
    )
    assert not Alert.objects.exists()


def test_an_analyst_of_another_district_cannot_issue_for_tamale() -> None:
    world = build_warning_world()
    with pytest.raises(NotAllowed):
        draft_alert(world.tamale, by=world.yendi_analyst, words=default_words(world.tamale, None))
    alert = _draft(world)
    with pytest.raises(NotAllowed):
        issue_alert(alert, by=world.yendi_analyst)
    with pytest.raises(NotAllowed):
        issue_alert(alert, by=world.monitor)


def test_a_member_on_call_for_a_mechanism_it_reached_acknowledges_and_escalation_stops() -> None:
    world = build_warning_world()
    committee = Actor.objects.create(
        name="Tamale Peace Committee", kind=ActorKind.LOCAL_PEACE_COMMITTEE, level=Level.DISTRICT
    )
    member = staff("chair-tamale", Role.MEMBER, world.tamale)
    OnCall.objects.create(actor=committee, user=member)
    alert = issue_alert(_draft(world), by=world.tamale_analyst)
    assert not may_respond(member, alert)  # it has not reached their committee yet
    Delivery.objects.create(
        alert=alert, actor=committee, level=Level.DISTRICT, channel=DeliveryChannel.APP, user=member
    )
    assert may_respond(member, alert)
    acknowledged = acknowledge_alert(alert, by=member, text="We are on our way.")
    assert acknowledged.state == AlertState.ACKNOWLEDGED
    assert acknowledged.acknowledged_for == committee
    assert acknowledged.escalation_due_at is None
    with pytest.raises(WrongState):
        acknowledge_alert(alert, by=member)


def test_someone_with_no_part_in_the_alert_cannot_acknowledge_it() -> None:
    world = build_warning_world()
    alert = issue_alert(_draft(world), by=world.tamale_analyst)
    for outsider in (world.monitor, world.yendi_analyst):
        with pytest.raises(NotAllowed):
            acknowledge_alert(alert, by=outsider)
    draft = _draft(world)
    with pytest.raises(WrongState):
        acknowledge_alert(draft, by=world.tamale_analyst)


def test_an_update_references_the_alert_it_replaces_and_keeps_its_ladder() -> None:
    world = build_warning_world()
    alert = issue_alert(_draft(world), by=world.tamale_analyst)
    update = update_alert(alert, by=world.tamale_analyst, severity=Severity.SEVERE)
    alert.refresh_from_db()
    assert update.msg_type == CapMsgType.UPDATE and update.references == alert
    assert update.state == AlertState.ISSUED and update.severity == Severity.SEVERE
    assert alert.state == AlertState.CLOSED
    assert update.texts.count() == 3


def test_a_cancel_needs_a_reason_and_stops_the_alert() -> None:
    world = build_warning_world()
    alert = issue_alert(_draft(world), by=world.tamale_analyst)
    with pytest.raises(Invalid):
        cancel_alert(alert, by=world.tamale_analyst, text=" ")
    cancel = cancel_alert(alert, by=world.tamale_analyst, text="The report was false.")
    alert.refresh_from_db()
    assert cancel.msg_type == CapMsgType.CANCEL and cancel.references == alert
    assert alert.state == AlertState.CANCELLED
    with pytest.raises(WrongState):
        close_alert(alert, by=world.tamale_analyst)


def test_closing_ends_a_live_alert() -> None:
    world = build_warning_world()
    alert = issue_alert(_draft(world), by=world.tamale_analyst)
    closed = close_alert(alert, by=world.tamale_analyst, text="Calm returned.")
    assert closed.state == AlertState.CLOSED and closed.closed_at is not None
    assert closed.timeline.last().kind == TimelineKind.CLOSED  # type: ignore[union-attr]
