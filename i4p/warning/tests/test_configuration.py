"""Admins add report questions and gateways without code; every change is validated, audited."""

from __future__ import annotations

import pytest

from i4p.core.errors import Invalid
from i4p.core.models import AuditEvent
from i4p.warning.configuration import gateway_secret, save_configuration, set_gateway_secret
from i4p.warning.frameworks import load_default_framework
from i4p.warning.intake import Draft, submit_report
from i4p.warning.models import Channel, FieldType, Gateway, IndicatorFramework, ReportField
from i4p.warning.tests.builders import build_warning_world
from i4p.web.tests.world import logged_in

pytestmark = pytest.mark.django_db


def test_an_extra_question_is_asked_and_its_answer_kept_in_one_json_column() -> None:
    world = build_warning_world()
    save_configuration(
        ReportField(
            framework=world.framework,
            key="market_open",
            label="Is the market open?",
            field_type=FieldType.YES_NO,
            required=True,
        ),
        by=world.admin,
    )
    draft = Draft(description="Shops closed early.", place=world.tamale)
    with pytest.raises(Invalid) as refused:
        submit_report(draft, by=world.monitor, channel=Channel.WEB, payload={})
    assert "answers.market_open" in refused.value.fields
    draft.answers = {"market_open": "no"}
    report, _ = submit_report(draft, by=world.monitor, channel=Channel.WEB, payload={})
    assert report.answers == {"market_open": False}


def test_a_choice_question_without_choices_is_refused() -> None:
    world = build_warning_world()
    with pytest.raises(Invalid):
        save_configuration(
            ReportField(
                framework=world.framework,
                key="mood",
                label="Mood",
                field_type=FieldType.CHOICE,
                choices=["calm"],
            ),
            by=world.admin,
        )
    assert not ReportField.objects.exists()


def test_a_gateway_secret_is_sealed_and_its_setting_audited_without_the_value() -> None:
    world = build_warning_world()
    gateway = save_configuration(
        Gateway(name="Tamale SMS", slug="tamale", kind=Channel.AFRICASTALKING, country_code="GH"),
        by=world.admin,
    )
    shown = set_gateway_secret(gateway, by=world.admin)
    gateway.refresh_from_db()
    assert shown.encode() not in bytes(gateway.secret)
    assert gateway_secret(gateway) == shown
    event = AuditEvent.objects.get(action="gateway.secret_set")
    assert event.fields == ["secret"] and shown not in event.note


def test_the_admin_offers_configuration_but_not_reports_or_reporters() -> None:
    world = build_warning_world()
    world.admin.is_staff = world.admin.is_superuser = True
    world.admin.save()
    client = logged_in(world.admin)
    assert client.get("/admin/warning/reportfield/add/").status_code == 200
    assert client.get("/admin/warning/gateway/add/").status_code == 200
    assert client.get("/admin/warning/report/").status_code == 404
    assert client.get("/admin/warning/reporter/").status_code == 404


def test_a_new_framework_version_takes_new_reports_and_old_reports_keep_theirs() -> None:
    world = build_warning_world()
    old, _ = submit_report(
        Draft(description="Shops closed early.", place=world.tamale),
        by=world.monitor,
        channel=Channel.WEB,
        payload={},
    )
    assert load_default_framework() == world.framework  # loading again changes nothing
    newer = save_configuration(
        IndicatorFramework(slug=world.framework.slug, version=2, name="EWER, revised"),
        by=world.admin,
    )
    world.framework.is_active = False
    save_configuration(world.framework, by=world.admin, fields=["is_active"])
    new, _ = submit_report(
        Draft(description="Roads blocked.", place=world.tamale),
        by=world.monitor,
        channel=Channel.WEB,
        payload={},
    )
    old.refresh_from_db()
    assert (old.framework.version, new.framework.version) == (1, 2)
    assert new.framework == newer


def test_a_question_added_in_another_process_is_asked_within_the_configuration_lifetime(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each process keeps the framework and its questions a moment (`kept.SECONDS`): a change
    saved elsewhere, which sends this process no signal, is asked once that moment is over."""
    from i4p.core import kept

    world = build_warning_world()
    first, _ = submit_report(
        Draft(description="Quiet market day.", place=world.tamale),
        by=world.monitor,
        channel=Channel.WEB,
        payload={},
    )
    # A bulk update sends no signal: what another process's save looks like from here.
    ReportField.objects.bulk_create(
        [
            ReportField(
                framework=world.framework,
                key="market_open",
                label="Is the market open?",
                field_type=FieldType.YES_NO,
                required=True,
            )
        ]
    )
    second, _ = submit_report(
        Draft(description="Quiet again.", place=world.tamale),
        by=world.monitor,
        channel=Channel.WEB,
        payload={},
    )
    assert second.answers == {}  # still the configuration read a moment ago
    later = kept.clock() + kept.SECONDS
    monkeypatch.setattr(kept, "clock", lambda: later)
    with pytest.raises(Invalid) as refused:
        submit_report(
            Draft(description="Market closed.", place=world.tamale),
            by=world.monitor,
            channel=Channel.WEB,
            payload={},
        )
    assert "answers.market_open" in refused.value.fields
    assert first.pk != second.pk
