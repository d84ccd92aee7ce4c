"""Who may read which alert, and what of it.

- a public alert, once issued, is visible to everyone;
- a restricted or private one to holders of VIEW_ALERTS whose scope covers its place, and to
  the members of the mechanisms it reached (on call or representing them);
- a draft only to those who may issue alerts for its place.
The timeline and the deliveries are shown to staff who see alerts in the place and to those
who may respond; anonymous readers of a public alert see its words only.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from i4p.accounts.permissions import Perm
from i4p.accounts.selectors import can, scope_of
from i4p.core.errors import NotFound
from i4p.registry.models import Actor
from i4p.warning.models import Alert, AlertState, AlertText, CapScope, Delivery, OnCall

RELEASED = (AlertState.ISSUED, AlertState.ACKNOWLEDGED, AlertState.CLOSED, AlertState.CANCELLED)


def member_actors(user: Any) -> QuerySet[Actor]:
    """Mechanisms the user acts for: on call (at any time) or representing them."""
    if not getattr(user, "is_authenticated", False):
        return Actor.objects.none()
    on_call = OnCall.objects.filter(user=user).values("actor_id")
    return Actor.objects.filter(Q(pk__in=on_call) | Q(representatives__user=user))


def visible_alerts(user: Any) -> QuerySet[Alert]:
    released = Q(state__in=RELEASED)
    condition = Q(scope=CapScope.PUBLIC) & released
    viewer = scope_of(user, Perm.VIEW_ALERTS)
    if not viewer.nowhere:
        condition |= viewer.q("place") & released
    issuer = scope_of(user, Perm.ISSUE_ALERTS)
    if not issuer.nowhere:
        condition |= issuer.q("place")
    if getattr(user, "is_authenticated", False):
        reached = Delivery.objects.filter(
            Q(user=user) | Q(actor__in=member_actors(user).values("pk"))
        ).values("alert_id")
        condition |= Q(pk__in=reached) & released
    return (
        Alert.objects.filter(condition)
        .select_related("place", "event_type", "references")
        .prefetch_related(Prefetch("texts", queryset=AlertText.objects.order_by("language")))
        .order_by("-created_at")
    )


def alert_for(user: Any, alert_uuid: uuid.UUID | str) -> Alert:
    alert = visible_alerts(user).filter(uuid=alert_uuid).first()
    if alert is None:
        raise NotFound("No such alert, or not one you may see.")
    return alert


def sees_workings(user: Any, alert: Alert) -> bool:
    """Timeline and deliveries: staff of the place, and those who may respond to it."""
    from i4p.warning.alerts import may_respond

    return (
        can(user, Perm.VIEW_ALERTS, alert.place)
        or can(user, Perm.ISSUE_ALERTS, alert.place)
        or may_respond(user, alert)
    )


def text_in(alert: Alert, language: str) -> AlertText | None:
    texts = list(alert.texts.all())
    for text in texts:
        if text.language == language:
            return text
    return texts[0] if texts else None
