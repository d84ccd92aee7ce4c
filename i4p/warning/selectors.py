"""Reading reports: every query is scoped by role and place here, so no caller can forget."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Q, QuerySet

from i4p.accounts.permissions import Perm
from i4p.accounts.selectors import scope_of
from i4p.core.errors import NotFound
from i4p.warning.models import InboundMessage, Report, Sensitivity


def visible_reports(user: Any) -> QuerySet[Report]:
    """Reports `user` may read: their own, plus every report in their place scope.

    A monitor sees what they sent; a district analyst the district's reports; a national
    analyst the country's. Restricted reports stay with staff who hold the reveal grant there.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return Report.objects.none()
    scope = scope_of(user, Perm.VIEW_REPORTS)
    own = Q(reporter__user=user)
    if scope.nowhere:
        condition = own
    else:
        in_scope = scope.q("place")
        restricted = Q(sensitivity=Sensitivity.RESTRICTED)
        reveal = scope_of(user, Perm.REVEAL_IDENTITY)
        in_scope &= ~restricted | reveal.q("place")
        condition = own | in_scope
    return (
        Report.objects.filter(condition)
        .select_related("place", "event_type", "reporter", "incident", "framework")
        .order_by("-received_at", "-pk")
    )


def report_for(user: Any, report_uuid: uuid.UUID) -> Report:
    report = visible_reports(user).filter(uuid=report_uuid).first()
    if report is None:
        raise NotFound("No such report, or not one you may see.")
    return report


def triage_messages(user: Any) -> QuerySet[InboundMessage]:
    """Inbound messages waiting for a person, in the reviewer's place scope.

    Messages with no place yet are seen by reviewers whose scope is everywhere, or by the
    country's reviewers once the gateway's country is known.
    """
    scope = scope_of(user, Perm.REVIEW)
    if scope.nowhere:
        return InboundMessage.objects.none()
    condition = scope.q("place")
    if scope.everywhere:
        condition = Q(pk__isnull=False)
    return (
        InboundMessage.objects.filter(condition, state="triage")
        .select_related("gateway", "reporter", "place")
        .order_by("received_at", "pk")
    )
