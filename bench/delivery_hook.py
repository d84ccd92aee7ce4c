"""Bench-only app and tasks for `bench/delivery.py` (never part of the product).

On the commit of every new report the bench marks as making an alert (`MARK` in its
description), it queues, in the worker:
- `bench_analyse(report)`: the stand-in for the incremental analysis while `analysis.scan` is
  not connected to intake: it writes the `Signal` the scan would write for the report's place
  and day, then calls the product's `rules.apply_rules` (a rule that issues at once), which
  issues the alert, routes it and queues its deliveries; with `BENCH_ANALYSIS=product` the
  product's own on-commit analysis is measured instead and this task is not queued;
- `bench_bare(report)`: the baseline, a bare task round trip that only writes a timestamp.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.apps import AppConfig
from django_tasks import task

# The words `bench/delivery.py` (`MARK`) puts in the reports that make an alert.
MARK = "[bench: makes an alert]"


class BenchDeliveryConfig(AppConfig):
    name = "bench"
    label = "bench_delivery"
    path = str(Path(__file__).resolve().parent)

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from i4p.warning.models import Report

        post_save.connect(_on_report, sender=Report, dispatch_uid="bench-delivery")


def _on_report(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    from django.db import transaction

    if not created or MARK not in instance.description:
        return
    report_id = str(instance.uuid)

    def queue() -> None:
        bench_bare.enqueue(report_id)
        if os.environ.get("BENCH_ANALYSIS", "stand-in") != "product":
            bench_analyse.enqueue(report_id)

    transaction.on_commit(queue)


@task()
def bench_bare(report_id: str) -> str:
    from django.utils import timezone

    from i4p.core.models import Heartbeat

    Heartbeat.objects.update_or_create(name=f"b-{report_id}", defaults={"seen_at": timezone.now()})
    return "ok"


@task()
def bench_analyse(report_id: str) -> str:
    from django.utils import timezone

    from i4p.geo.localtime import local_day
    from i4p.warning.models import Method, Period, Report, Signal
    from i4p.warning.rules import apply_rules

    report = Report.objects.select_related("place", "event_type").get(uuid=report_id)
    assert report.place is not None
    code = report.event_type.code if report.event_type is not None else "all"
    signal, _created = Signal.objects.get_or_create(
        framework_id=report.framework_id,
        place=report.place,
        series=f"type:{code}",
        method=Method.EARS_C2,
        period=Period.DAY,
        period_start=local_day(report.occurred_at or timezone.now(), report.place),
        defaults={
            "event_type": report.event_type,
            "window": 7,
            "expected": 0.0,
            "observed": 1,
            "threshold": 0.5,
            "statistic": 1.0,
        },
    )
    return f"{len(apply_rules([signal]))} alerts"
