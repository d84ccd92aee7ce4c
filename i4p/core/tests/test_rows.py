"""`core.rows.insert` writes exactly the row `create()` would, and steps aside where a save
does more than write; `insert_together` writes a report's rows as one, or none of them."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, connection
from django.db.models import Model
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from i4p.core import rows
from i4p.core.audit import record_event
from i4p.core.models import AppendOnlyError, AuditEvent, Heartbeat
from i4p.core.rows import insert, insert_together
from i4p.warning import intake
from i4p.warning.intake import Draft, inbound_payload, submit_report
from i4p.warning.models import Channel, CountRequest, InboundMessage, Report
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


# -- a report's rows in one statement (`insert_together`) ------------------------------------

# Columns that differ between two reports sent alike: keys, random ids, times, the sealed
# payload (a fresh IV each time; compared unsealed), the label naming the report's id and
# the idempotency key (each report is sent with its own).
VARYING = {
    "idempotency_key",
    "id",
    "uuid",
    "created_at",
    "updated_at",
    "at",
    "received_at",
    "occurred_at",
    "payload",
    "report_id",
    "target_uuid",
    "target_label",
}


def _one_by_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rows, "_in_one_statement", lambda using: False)


def _report_rows(report: Report) -> dict[str, Any]:
    """Every row the intake wrote for `report`, as stored, each pointing at it."""
    inbound = InboundMessage.objects.get(report=report)
    audit = AuditEvent.objects.get(target_uuid=report.uuid)
    request = CountRequest.objects.get(report_id=report.pk)
    return {
        "report": _stored(report),
        "raw message": _stored(inbound),
        "payload": inbound_payload(inbound),
        "audit row": _stored(audit),
        "count request": _stored(request),
    }


def _without_varying(stored: dict[str, Any]) -> dict[str, Any]:
    return {
        part: {k: v for k, v in value.items() if k not in VARYING} if part != "payload" else value
        for part, value in stored.items()
    }


def _send(world: Any, *, key: str = "") -> Report:
    report, created = submit_report(
        Draft(description="Two houses burnt.", place=world.tamale, killed=0, injured=3),
        by=world.monitor,
        channel=Channel.API,
        payload={"description": "Two houses burnt."},
        idempotency_key=key,
    )
    assert created
    return report


def test_a_reports_rows_written_in_one_statement_equal_those_written_one_by_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = build_warning_world()
    _send(world)  # the monitor's reporter and the waiting count task are there from now on
    with CaptureQueriesContext(connection) as writes:
        together = _send(world, key="first")
    inserts = [q["sql"] for q in writes.captured_queries if "INSERT" in q["sql"]]
    # PostgreSQL: the report, raw message, audit row and count request in one round trip.
    assert len(inserts) == (1 if connection.vendor == "postgresql" else 4)
    _one_by_one(monkeypatch)
    apart = _send(world, key="second")
    stored_together, stored_apart = _report_rows(together), _report_rows(apart)
    assert _without_varying(stored_together) == _without_varying(stored_apart)
    for stored, report in ((stored_together, together), (stored_apart, apart)):
        # What the caller holds is what was stored, keys and times included.
        assert stored["report"] == {
            f.attname: getattr(report, f.attname) for f in Report._meta.concrete_fields
        }
        assert stored["raw message"]["report_id"] == report.pk
        assert stored["raw message"]["idempotency_scope"] == f"user:{world.monitor.pk}"
        assert stored["audit row"]["action"] == "report.received"
        assert stored["audit row"]["by_id"] == world.monitor.pk
        assert stored["count request"]["report_id"] == report.pk
    assert stored_together["raw message"]["idempotency_key"] == "first"
    assert stored_apart["raw message"]["idempotency_key"] == "second"


# Which part of a report breaks, and a column it cannot be stored without.
BROKEN = {Report: "kind", InboundMessage: "channel", AuditEvent: "action", CountRequest: "groups"}


@pytest.mark.parametrize("apart", [False, True], ids=["together", "one by one"])
@pytest.mark.parametrize("part", list(BROKEN), ids=lambda model: model.__name__)
def test_a_part_of_a_report_that_cannot_be_stored_leaves_none_of_the_others(
    monkeypatch: pytest.MonkeyPatch, part: type[Model], apart: bool
) -> None:
    world = build_warning_world()
    _send(world)
    written = insert_together

    def breaking(first: Model, *linked: tuple[Model, str], **options: Any) -> Any:
        (row,) = [row for row in (first, *(r for r, _ in linked)) if type(row) is part]
        setattr(row, BROKEN[part], None)
        return written(first, *linked, **options)

    monkeypatch.setattr(intake, "insert_together", breaking)
    if apart:
        _one_by_one(monkeypatch)
    tables = (Report, InboundMessage, AuditEvent, CountRequest)
    before = [model.objects.count() for model in tables]
    with pytest.raises(IntegrityError):
        _send(world)
    assert [model.objects.count() for model in tables] == before
