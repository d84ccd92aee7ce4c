"""`core.rows.insert` writes exactly the row `create()` would, and steps aside where a save
does more than write."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models.signals import post_save
from django.utils import timezone

from i4p.core.audit import record_event
from i4p.core.models import AppendOnlyError, AuditEvent, Heartbeat
from i4p.core.rows import insert
from i4p.warning.intake import Draft, submit_report
from i4p.warning.models import Channel, InboundMessage, Report
from i4p.warning.tests.builders import build_warning_world

pytestmark = pytest.mark.django_db


def _stored(row: Any) -> dict[str, Any]:
    """Every column of the row as the database gives it back."""
    fresh = type(row).objects.get(pk=row.pk)
    return {f.attname: getattr(fresh, f.attname) for f in type(row)._meta.concrete_fields}


def test_an_inserted_row_equals_the_row_create_writes_column_by_column() -> None:
    world = build_warning_world()
    values: dict[str, Any] = {
        "by": world.admin,
        "by_label": "admin",
        "action": "report.received",
        "target_type": "warning.report",
        "target_label": "a report",
        "fields": ["place", "time"],
        "note": "Çà et là — نص",
    }
    created = AuditEvent.objects.create(**values)
    inserted = insert(AuditEvent(**values))
    assert inserted.pk is not None and inserted.pk != created.pk
    assert inserted._state.adding is False
    first, second = _stored(created), _stored(inserted)
    for name in ("id", "uuid", "at"):  # a key, a default and an `auto_now_add` of its own
        assert second[name] is not None and second[name] != first[name]
        first.pop(name), second.pop(name)
    assert first == second
    assert _stored(inserted)["at"] == inserted.at  # the time the object holds is the stored one


def test_a_report_written_by_the_intake_keeps_every_value_it_was_given() -> None:
    world = build_warning_world()
    report, created = submit_report(
        Draft(description="Two houses burnt.", place=world.tamale, killed=0, injured=3),
        by=world.monitor,
        channel=Channel.API,
        payload={"description": "Two houses burnt."},
    )
    assert created
    stored = Report.objects.get(pk=report.pk)
    assert _stored(report) == {
        f.attname: getattr(report, f.attname) for f in Report._meta.concrete_fields
    }
    assert (stored.place_id, stored.injured, stored.killed) == (world.tamale.pk, 3, 0)
    inbound = InboundMessage.objects.get(report=report)
    assert inbound.place_id == world.tamale.pk and inbound.payload  # sealed, not empty


def test_a_model_someone_listens_to_is_saved_the_ordinary_way_so_the_listener_hears() -> None:
    heard: list[str] = []

    def listener(sender: Any, instance: Heartbeat, created: bool, **_: Any) -> None:
        heard.append(f"{instance.name} {created}")

    insert(Heartbeat(name="unheard", seen_at=timezone.now()))
    post_save.connect(listener, sender=Heartbeat, dispatch_uid="test-rows-listener")
    try:
        beat = insert(Heartbeat(name="worker", seen_at=timezone.now()))
    finally:
        post_save.disconnect(sender=Heartbeat, dispatch_uid="test-rows-listener")
    assert heard == ["worker True"]
    assert Heartbeat.objects.get(pk=beat.pk).name == "worker"


def test_the_audit_log_stays_append_only() -> None:
    world = build_warning_world()
    event = record_event(world.tamale, "place.checked", by=world.admin, note="first")
    assert AuditEvent.objects.get(pk=event.pk).note == "first"
    event.note = "rewritten"
    with pytest.raises(AppendOnlyError):
        insert(event)  # not a new row: it takes save(), which refuses
    with pytest.raises(AppendOnlyError):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).note == "first"
