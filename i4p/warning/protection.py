"""Protecting reporters: who may learn who they are (an audited reveal), and how far they are
trusted. Nothing here ever writes an identity anywhere but back to the one person allowed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet

from i4p.accounts.permissions import Perm
from i4p.accounts.selectors import Scope, scope_of
from i4p.core.audit import record_event
from i4p.core.errors import Invalid, NotAllowed, NotFound
from i4p.core.redact import redact
from i4p.geo.models import Place
from i4p.warning import analysis, identity
from i4p.warning.intake import Identity
from i4p.warning.models import InboundMessage, Report, Reporter, Trust

MIN_REASON_LENGTH = 10


def reporter_places(reporter: Reporter) -> QuerySet[Place]:
    """Where the reporter's reports and messages are: staff scoped there may deal with them."""
    report_places = Report.objects.filter(reporter=reporter).values("place_id")
    message_places = InboundMessage.objects.filter(reporter=reporter).values("place_id")
    return Place.objects.filter(Q(pk__in=report_places) | Q(pk__in=message_places))


def _scope_reaches(scope: Scope, reporter: Reporter) -> bool:
    if scope.everywhere:
        return True
    if scope.nowhere:
        return False
    inside = Q(pk__in=[])
    for prefix in scope.paths:
        inside |= Q(path__startswith=prefix)
    return reporter_places(reporter).filter(inside).exists()


def may(user: Any, perm: Perm, reporter: Reporter) -> bool:
    """Whether `user` holds `perm` where one of the reporter's reports lies (or everywhere)."""
    return _scope_reaches(scope_of(user, perm), reporter)


def reporter_for_staff(user: Any, reporter_uuid: uuid.UUID | str) -> Reporter:
    """A reporter whose reports `user` may read; the same answer whether absent or hidden."""
    reporter = Reporter.objects.filter(uuid=reporter_uuid).first()
    if reporter is None or not may(user, Perm.VIEW_REPORTS, reporter):
        raise NotFound("No such reporter, or not one you may see.")
    return reporter


@dataclass(frozen=True)
class ReporterFigures:
    reports: int
    verified: int
    pending: int
    messages: int
    triage: int


def reporter_figures(reporter: Reporter) -> ReporterFigures:
    reports = Report.objects.filter(reporter=reporter)
    messages = InboundMessage.objects.filter(reporter=reporter)
    return ReporterFigures(
        reports=reports.count(),
        verified=reports.filter(verification="verified").count(),
        pending=reports.filter(verification="pending").count(),
        messages=messages.count(),
        triage=messages.filter(state="triage").count(),
    )


@transaction.atomic
def reveal_identity(reporter: Reporter, *, by: Any, reason: str) -> Identity:
    """The reporter's identity, for one person with the reveal grant and a stated reason.

    The audit log keeps who, when and why (and which fields there were), never the values.
    """
    if not may(by, Perm.REVEAL_IDENTITY, reporter):
        raise NotAllowed("You may not reveal who this reporter is.")
    reason = " ".join(reason.split())
    if len(reason) < MIN_REASON_LENGTH:
        raise Invalid(
            "Say why you need to know who this is.",
            fields={"reason": [f"Give a reason of at least {MIN_REASON_LENGTH} characters."]},
        )
    details = identity.unseal(reporter.identity)
    revealed = Identity(**{key: str(details.get(key, "")) for key in identity.IDENTITY_FIELDS})
    # The reason is free text: a number typed into it must not land in the audit log.
    record_event(
        reporter,
        "reporter.revealed",
        by=by,
        fields=[key for key in identity.IDENTITY_FIELDS if getattr(revealed, key)],
        note=redact(reason)[:500],
    )
    return revealed


@transaction.atomic
def set_reporter_trust(reporter: Reporter, *, by: Any, trust: str, note: str = "") -> Reporter:
    """New, known, trusted or blocked: a blocked sender's reports go to triage."""
    if not may(by, Perm.REVIEW, reporter):
        raise NotAllowed("You may not change how far this reporter is trusted.")
    if trust not in Trust.values:
        raise Invalid("Choose a trust level.", fields={"trust": ["Unknown trust level."]})
    reporter = Reporter.objects.select_for_update().get(pk=reporter.pk)
    if reporter.trust == trust:
        return reporter
    reporter.trust = trust
    reporter.save(update_fields=["trust", "updated_at"])
    record_event(
        reporter, "reporter.trust_changed", by=by, fields=["trust"], note=redact(note)[:300]
    )
    # Trust decides what counts as confirmed (and whether a blocked sender counts at all).
    analysis.count_on_commit(
        Report.objects.filter(reporter=reporter).only("place_id", "occurred_at", "time_precision")
    )
    return reporter
