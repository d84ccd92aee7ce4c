"""The web form's own step around the intake service: the reporter's consent to messages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from i4p.core.audit import record_event
from i4p.warning.intake import Draft, Identity, submit_report
from i4p.warning.models import Channel, Report


@transaction.atomic
def submit_web_report(
    draft: Draft,
    *,
    by: Any,
    payload: Mapping[str, Any],
    sender: Identity,
    consents: bool,
    token: str,
) -> tuple[Report, bool]:
    """A report from the web form; `token` (hidden in the form) makes a double submit one report.

    Contact details travel only as the sealed `sender`; consent to be messaged back is recorded
    on the reporter when it is given, and only then.
    """
    report, created = submit_report(
        draft, by=by, channel=Channel.WEB, payload=payload, sender=sender, idempotency_key=token
    )
    reporter = report.reporter
    if created and consents and reporter is not None and not reporter.consents_to_messages:
        reporter.consents_to_messages = True
        reporter.consent_recorded_at = timezone.now()
        reporter.opted_out_at = None
        reporter.save(
            update_fields=[
                "consents_to_messages",
                "consent_recorded_at",
                "opted_out_at",
                "updated_at",
            ]
        )
        record_event(
            reporter,
            "reporter.consented",
            by=by,
            fields=["consents_to_messages", "consent_recorded_at"],
        )
    return report, created
