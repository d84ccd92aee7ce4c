"""Routing and escalation: who an issued alert goes to, by which channels, and who next.

Which mechanisms. A *response mechanism* is a published, active actor of the registry of one
of the kinds in `MECHANISM_KINDS` (local peace committees, peace councils, government bodies
such as a national early-warning centre, and regional intergovernmental bodies). It covers a
place when its coverage holds that place or a place above it; an actor with no coverage
recorded covers the place where it sits. CSOs, donors and the like are not alerted: they are
partners, not the chain of response.

Which level first. The lowest level (`registry.LEVEL_ORDER`: community, district,
subnational, national, regional, continental, global) at which some mechanism covers the
alert's place. Nobody answers within that level's time (`EscalationStep`, else
`DEFAULT_ESCALATION_MINUTES`) → the next level up that has a covering mechanism is alerted
(levels with none are skipped), and so on to the top, where the alert stays.

Which recipients. For each mechanism, one `Delivery` per channel and address:
- its contact points: e-mail → e-mail, phone → SMS, url → webhook (a contact point naming a
  person is used only once that person's consent is recorded);
- its members: those on call now (`OnCall` in force) — or, when the mechanism keeps no rota,
  every `Representative` — each in the app and by e-mail to their account's address.
A mechanism with no way to reach it gets a failed delivery that says so: it shows on the
deliveries dashboard and on the alert's timeline. An alert that no mechanism covers at any
level says so on its timeline and stays on the dashboard; the minute sweep sends it as soon as
a mechanism covers its place.

Updates and cancels go to everyone the alert they follow reached, at every level it reached.

Imported alerts. An alert imported from another system is sent on only when it is "signed by
a trusted sender" (`captrust`): one signed by a signer no anchor vouches for is treated as an
unsigned one, and neither reaches any mechanism.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from contextvars import copy_context
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from i4p.accounts.models import User
from i4p.core.audit import record_event
from i4p.geo.models import Place
from i4p.registry.models import (
    LEVEL_ORDER,
    Actor,
    ActorKind,
    ActorStatus,
    ContactPoint,
    Moderation,
    Representative,
)
from i4p.warning.alerts import note
from i4p.warning.models import (
    Alert,
    AlertOrigin,
    AlertState,
    CapMsgType,
    Delivery,
    DeliveryChannel,
    DeliveryState,
    EscalationStep,
    OnCall,
    SignatureState,
    TimelineKind,
)

log = logging.getLogger(__name__)

MECHANISM_KINDS = frozenset(
    {
        ActorKind.LOCAL_PEACE_COMMITTEE,
        ActorKind.PEACE_COUNCIL,
        ActorKind.GOVERNMENT,
        ActorKind.RIGO,
    }
)

# Minutes a level has to acknowledge before the next one up is alerted, when no
# `EscalationStep` says otherwise. Local mechanisms are closest and fastest; each level up
# gets longer, because it is asked to act where the one below could not.
DEFAULT_ESCALATION_MINUTES: dict[str, int] = {
    "community": 30,
    "district": 60,
    "subnational": 120,
    "national": 240,
    "regional": 480,
    "continental": 720,
    "global": 1440,
}

CONTACT_CHANNELS = {
    "email": DeliveryChannel.EMAIL,
    "phone": DeliveryChannel.SMS,
    "url": DeliveryChannel.WEBHOOK,
}

NO_MECHANISM = "no-mechanism"  # marks the timeline line that says nobody covers the place


# -- who covers a place -----------------------------------------------------------------------


def ancestor_ids(place: Place) -> list[int]:
    """The place and every place above it, from its materialised path."""
    ids = [int(part) for part in place.path.strip("/").split("/") if part]
    return ids or [place.pk]


def mechanisms(place: Place, *, level: str | None = None) -> QuerySet[Actor]:
    """Published, active response mechanisms covering `place` (at `level` when given)."""
    above = ancestor_ids(place)
    covering = Q(coverage__in=above) | Q(coverage__isnull=True, place_id__in=above)
    found = Actor.objects.filter(
        covering,
        kind__in=MECHANISM_KINDS,
        moderation=Moderation.PUBLISHED,
        status=ActorStatus.ACTIVE,
    )
    if level is not None:
        found = found.filter(level=level)
    return Actor.objects.filter(pk__in=found.values("pk")).order_by("name")


def levels_covering(place: Place) -> list[str]:
    """The levels, lowest first, at which some mechanism covers `place`."""
    present = set(mechanisms(place).values_list("level", flat=True))
    return [level for level in LEVEL_ORDER if level in present]


def next_level(place: Place, after: str) -> str | None:
    """The first level above `after` with a mechanism covering `place`, if any."""
    position = LEVEL_ORDER.index(after) if after in LEVEL_ORDER else -1
    for level in levels_covering(place):
        if LEVEL_ORDER.index(level) > position:
            return level
    return None


def escalation_minutes(level: str) -> int:
    step = EscalationStep.objects.filter(level=level).first()
    return step.minutes if step is not None else DEFAULT_ESCALATION_MINUTES.get(level, 60)


# -- who receives it --------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """One channel to one mechanism, through one of its contact points or one member."""

    actor: Actor
    channel: str
    contact: ContactPoint | None = None
    user: User | None = None

    @property
    def key(self) -> tuple[int, str, str]:
        address = self.contact.value if self.contact is not None else ""
        who = f"user:{self.user.pk}" if self.user is not None else f"contact:{address.lower()}"
        return (self.actor.pk, self.channel, who)


def members(actor: Actor, *, now: dt.datetime | None = None) -> list[User]:
    """Who receives the mechanism's alerts in person: those on call now, or, when it keeps
    no rota at all, everyone who represents it."""
    now = now or timezone.now()
    rota = OnCall.objects.filter(actor=actor)
    if rota.exists():
        in_force = rota.filter(
            (Q(starts_at__isnull=True) | Q(starts_at__lte=now))
            & (Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        )
        users = User.objects.filter(on_call__in=in_force)
    else:
        users = User.objects.filter(
            pk__in=Representative.objects.filter(actor=actor).values("user_id")
        )
    return list(users.filter(is_active=True).distinct().order_by("username"))


def recipients(actor: Actor, *, now: dt.datetime | None = None) -> list[Recipient]:
    """Every channel that reaches `actor`, each address once."""
    found: list[Recipient] = []
    for contact in actor.contacts.order_by("created_at"):
        channel = CONTACT_CHANNELS.get(contact.kind.lower())
        if channel is None or not contact.value.strip():
            continue
        if contact.person_name and contact.consent_at is None:
            continue  # a named person is contacted only with their recorded consent
        found.append(Recipient(actor, channel, contact=contact))
    for user in members(actor, now=now):
        found.append(Recipient(actor, DeliveryChannel.APP, user=user))
        if user.email:
            found.append(Recipient(actor, DeliveryChannel.EMAIL, user=user))
    unique: dict[tuple[int, str, str], Recipient] = {}
    for recipient in found:
        unique.setdefault(recipient.key, recipient)
    return list(unique.values())


# -- routing ----------------------------------------------------------------------------------


def _deliver_after_commit(deliveries: Iterable[Delivery]) -> None:
    """One task sends them all once this transaction commits (see `delivery`)."""
    from i4p.warning.delivery import enqueue_together

    enqueue_together([str(d.uuid) for d in deliveries if d.state == DeliveryState.QUEUED])


def _reach(alert: Alert, level: str, *, now: dt.datetime, kind: str) -> list[Delivery]:
    """Create the deliveries to every mechanism at `level` covering the alert's place."""
    deliveries: list[Delivery] = []
    for actor in mechanisms(alert.place, level=level):
        reach = recipients(actor, now=now)
        if not reach:
            # Never silent: a mechanism we cannot reach is a failed delivery on the dashboard.
            failed = Delivery.objects.create(
                alert=alert,
                actor=actor,
                level=level,
                channel=DeliveryChannel.APP,
                state=DeliveryState.FAILED,
                last_error=_("No contact point and no member to reach."),
            )
            note(
                alert,
                TimelineKind.DELIVERY_FAILED,
                actor=actor,
                level=level,
                at=now,
                text=failed.last_error,
            )
            continue
        for recipient in reach:
            deliveries.append(
                Delivery.objects.create(
                    alert=alert,
                    actor=actor,
                    level=level,
                    channel=recipient.channel,
                    contact=recipient.contact,
                    user=recipient.user,
                    next_attempt_at=now,
                )
            )
        channels = sorted({r.channel for r in reach})
        note(
            alert,
            kind,
            actor=actor,
            level=level,
            at=now,
            text=_("%(name)s, by %(channels)s")
            % {"name": actor.name, "channels": ", ".join(channels)},
        )
    _deliver_after_commit(deliveries)
    return deliveries


def _schedule_escalation(alert: Alert) -> None:
    if alert.escalation_due_at is None:
        return
    from i4p.warning.channels.tasks import enqueue_escalation

    enqueue_escalation(str(alert.uuid), at=alert.escalation_due_at)


def _set_level(alert: Alert, level: str, *, now: dt.datetime) -> None:
    alert.level = level
    top = next_level(alert.place, level) is None
    alert.escalation_due_at = None if top else now + dt.timedelta(minutes=escalation_minutes(level))
    alert.save(update_fields=["level", "escalation_due_at", "updated_at"])


# i4p's own alerts, and imported ones signed by a trusted sender.
ROUTABLE = ~Q(origin=AlertOrigin.IMPORTED) | Q(signature=SignatureState.TRUSTED)


def routable(alert: Alert) -> bool:
    return alert.origin != AlertOrigin.IMPORTED or alert.signature == SignatureState.TRUSTED


@transaction.atomic
def route_issued(alert_id: int, *, now: dt.datetime | None = None) -> list[Delivery]:
    """Send a newly issued alert to the lowest level that covers its place."""
    now = now or timezone.now()
    alert = Alert.objects.select_for_update(of=("self",)).select_related("place").get(pk=alert_id)
    if alert.state != AlertState.ISSUED or alert.level or alert.msg_type != CapMsgType.ALERT:
        return []  # already routed, or no longer waiting for anyone
    if not routable(alert):
        return []  # nobody vouches for who sent it
    levels = levels_covering(alert.place)
    said_uncovered = alert.timeline.filter(kind=TimelineKind.ROUTED, actor__isnull=True).exists()
    if not levels:
        if said_uncovered:
            return []  # the sweep looks again every minute; the timeline said so once
        note(
            alert,
            TimelineKind.ROUTED,
            at=now,
            text=_("No response mechanism covers %(place)s at any level: nobody was alerted.")
            % {"place": alert.place.name},
        )
        # The dashboard lists issued alerts with no level: nobody is left unaware of it.
        record_event(alert, "alert.unrouted", by=None, note=NO_MECHANISM)
        return []
    if said_uncovered:
        note(
            alert,
            TimelineKind.ROUTED,
            level=levels[0],
            at=now,
            text=_("A response mechanism now covers %(place)s: the alert goes to it.")
            % {"place": alert.place.name},
        )
    _set_level(alert, levels[0], now=now)
    deliveries = _reach(alert, levels[0], now=now, kind=TimelineKind.ROUTED)
    record_event(alert, "alert.routed", by=None, note=levels[0])
    _schedule_escalation(alert)
    return deliveries


@transaction.atomic
def route_follow_up(follow_id: int, *, now: dt.datetime | None = None) -> list[Delivery]:
    """An update or cancel goes to every recipient the alert it follows reached."""
    now = now or timezone.now()
    follow = Alert.objects.select_for_update().get(pk=follow_id)
    if follow.references_id is None or follow.deliveries.exists():
        return []
    earlier = (
        Delivery.objects.filter(alert_id=follow.references_id)
        .exclude(state=DeliveryState.FAILED, contact__isnull=True, user__isnull=True)
        .select_related("actor")
        .order_by("created_at")
    )
    seen: set[tuple[int, str, int | None, int | None]] = set()
    deliveries: list[Delivery] = []
    for old in earlier:
        key = (old.actor_id, old.channel, old.contact_id, old.user_id)
        if key in seen:
            continue
        seen.add(key)
        deliveries.append(
            Delivery.objects.create(
                alert=follow,
                actor=old.actor,
                level=old.level,
                channel=old.channel,
                contact_id=old.contact_id,
                user_id=old.user_id,
                next_attempt_at=now,
            )
        )
    reached = sorted({d.actor.name for d in deliveries})
    note(
        follow,
        TimelineKind.ROUTED,
        level=follow.level,
        at=now,
        text=_("Sent to everyone the earlier alert reached: %(names)s")
        % {"names": ", ".join(reached) or _("nobody")},
    )
    _deliver_after_commit(deliveries)
    if follow.msg_type == CapMsgType.UPDATE and follow.state == AlertState.ISSUED:
        _schedule_escalation(follow)
    return deliveries


def route_after_commit(alert: Alert) -> None:
    """Called by the lifecycle services: route once the alert is committed, in the context it
    was issued in (inside `delivery.sending_at_once()`, its deliveries go out at once)."""
    route = route_issued if alert.msg_type == CapMsgType.ALERT else route_follow_up
    transaction.on_commit(partial(copy_context().run, _route_safely, route, alert.pk))


def _route_safely(route: Any, alert_id: int) -> None:
    # The alert is committed whatever happens here; the worker's sweep routes what failed.
    try:
        route(alert_id)
    except Exception:
        log.exception("Routing alert %s failed; the escalation sweep will try again", alert_id)


# -- escalation -------------------------------------------------------------------------------


@transaction.atomic
def escalate_alert(alert_id: int, *, now: dt.datetime | None = None) -> Alert | None:
    """Alert the next level up when the current one has not acknowledged in time."""
    now = now or timezone.now()
    alert = (
        Alert.objects.select_for_update(of=("self",))
        .select_related("place")
        .filter(pk=alert_id)
        .first()
    )
    if (
        alert is None
        or alert.state != AlertState.ISSUED
        or alert.escalation_due_at is None
        or alert.escalation_due_at > now
    ):
        return None
    current = alert.level
    level = next_level(alert.place, current)
    if level is None:
        alert.escalation_due_at = None
        alert.save(update_fields=["escalation_due_at", "updated_at"])
        note(
            alert,
            TimelineKind.ESCALATED,
            level=current,
            at=now,
            text=_("Not acknowledged, and no level above %(level)s covers %(place)s.")
            % {"level": current, "place": alert.place.name},
        )
        return alert
    minutes = escalation_minutes(current)
    note(
        alert,
        TimelineKind.ESCALATED,
        level=level,
        at=now,
        text=_("Not acknowledged at %(from)s level within %(minutes)d minutes: sent to %(to)s.")
        % {"from": current, "minutes": minutes, "to": level},
    )
    _set_level(alert, level, now=now)
    _reach(alert, level, now=now, kind=TimelineKind.ROUTED)
    record_event(alert, "alert.escalated", by=None, note=f"{current} -> {level}")
    _schedule_escalation(alert)
    return alert


def escalate_due(now: dt.datetime | None = None) -> list[Alert]:
    """Every live, unacknowledged alert whose time is up goes one level further.

    The worker runs this every minute; each alert also has a task scheduled at its due time.
    It also routes any issued alert whose routing never ran (a crash between commit and
    routing), and any that no mechanism covered when it was issued, as soon as one does (a
    committee published or given that place later), so that no issued alert stays unsent."""
    now = now or timezone.now()
    escalated: list[Alert] = []
    due = Alert.objects.filter(state=AlertState.ISSUED, escalation_due_at__lte=now).values_list(
        "pk", flat=True
    )
    for alert_id in list(due):
        done = escalate_alert(alert_id, now=now)
        if done is not None:
            escalated.append(done)
    unrouted = Alert.objects.filter(
        ROUTABLE,
        state=AlertState.ISSUED,
        msg_type=CapMsgType.ALERT,
        level="",
        issued_at__lte=now - dt.timedelta(minutes=1),
    )
    for alert_id in list(unrouted.values_list("pk", flat=True)):
        route_issued(alert_id, now=now)
    from i4p.warning.delivery import resend_stalled

    resend_stalled(now=now)
    return escalated
