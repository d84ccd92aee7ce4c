"""Reports for export and public-view tests: a planted identity, points, ages, visibility."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from i4p.geo.models import Place
from i4p.warning.intake import Draft, Identity, submit_report
from i4p.warning.models import Channel, Report, Sensitivity, Visibility

CANARY_PHONE = "+233 24 555 0199"
CANARY_NAME = "Abena Canaryson"
CANARY_EMAIL = "abena.canary@example.org"


def stored_report(
    place: Place | None,
    *,
    by: Any = None,
    latitude: float | None = None,
    longitude: float | None = None,
    visibility: str = Visibility.PRIVATE,
    sensitivity: str = Sensitivity.NORMAL,
    age_hours: float = 0,
    killed: int | None = None,
    description: str = "Houses burnt near the market.",
) -> Report:
    """A report sent by a reporter whose phone, name and e-mail must never come out."""
    draft = Draft(description=description, place=place, killed=killed, title="Market fire")
    sender = Identity(phone=CANARY_PHONE, name=CANARY_NAME, email=CANARY_EMAIL)
    report, _ = submit_report(draft, by=by, channel=Channel.WEB, payload={}, sender=sender)
    received = timezone.now() - dt.timedelta(hours=age_hours)
    Report.objects.filter(pk=report.pk).update(
        latitude=latitude,
        longitude=longitude,
        visibility=visibility,
        sensitivity=sensitivity,
        received_at=received,
        occurred_at=received,
    )
    report.refresh_from_db()
    return report
