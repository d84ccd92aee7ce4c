"""Alert write operations: draft, issue, acknowledge, update, cancel, close.

Pages, API, rules and the CLI all come through here. Each step is one transaction that writes
the alert, a line of its timeline (what the alert page shows) and the audit log.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from i4p.accounts.permissions import Perm
from i4p.accounts.selectors import can
from i4p.core.audit import record_event
from i4p.core.errors import Invalid, NotAllowed, WrongState
from i4p.geo.models import Place
from i4p.registry.models import Actor
from i4p.warning.models import (
    Alert,
    AlertEvent,
    AlertOrigin,
    AlertRule,
    AlertState,
    AlertText,
    CapMsgType,
    CapScope,
    CapStatus,
    Certainty,
    EventType,
    Incident,
    Report,
    Severity,
    Signal,
    TimelineKind,
    Urgency,
)

# States in which an alert is live: mechanisms may still act on it and it may escalate.
LIVE = frozenset({AlertState.ISSUED, AlertState.ACKNOWLEDGED})


@dataclass(frozen=True)
class Words:
    """An alert's text in one language: one CAP `info` block."""

    language: str
    event: str
    headline: str
    description: str = ""
    instruction: str = ""


def served_languages() -> list[str]:
    """The languages every alert is written in (`I4P_ALERT_LANGUAGES`)."""
    return list(settings.I4P_ALERT_LANGUAGES)


def default_words(
    place: Place, event_type: EventType | None, *, observed: float | None = None
) -> list[Words]:
    """Neutral wording in every language the instance serves, for rules and to start a
    hand-written alert from: the kind of event and the place, no names, no sources."""
    words = []
    for language in served_languages():
        with translation.override(language):
            event = _(event_type.name) if event_type is not None else _("Tension or violence")
            headline = _("%(event)s: early warning for %(place)s") % {
                "event": event,
                "place": place.name,
            }
            description = (
                _("%(count)d reports in the period, more than expected for this place.")
                % {"count": int(observed)}
                if observed is not None
                else ""
            )
            words.append(Words(language, event, headline, description))
    return words


def cap_sender() -> str:
    return str(settings.I4P_CAP_SENDER)


def new_identifier() -> str:
    # CAP identifiers may not hold spaces, commas, "<" or "&"; a UUID never does.
    return f"{cap_sender()}.{uuid.uuid4()}"


def note(
    alert: Alert,
    kind: str,
    *,
    by: Any = None,
    actor: Any = None,
    level: str = "",
    text: str = "",
    at: Any = None,
) -> AlertEvent:
    """One line of the alert's timeline."""
    return AlertEvent.objects.create(
        alert=alert,
        at=at or timezone.now(),
        kind=kind,
        by=by if getattr(by, "pk", None) else None,
        actor=actor,
        level=level,
        note=text,
    )


def may_issue(user: Any, place: Place) -> bool:
    return can(user, Perm.ISSUE_ALERTS, place)


def _check_issuer(by: Any, place: Place) -> None:
    # `by=None` is the system itself (a rule); a person needs the permission at the place.
    if by is not None and not may_issue(by, place):
        raise NotAllowed("You cannot issue alerts for this place.")


def _check_words(words: Sequence[Words], *, every_language: bool) -> None:
    errors: dict[str, list[str]] = {}
    seen: set[str] = set()
    served = served_languages()
    for position, text in enumerate(words):
        if text.language not in served:
            errors.setdefault(f"texts.{position}.language", []).append(
                f"This instance serves {', '.join(served)}."
            )
        if text.language in seen:
            errors.setdefault(f"texts.{position}.language", []).append("Given twice.")
        seen.add(text.language)
        if not text.headline.strip():
            errors.setdefault(f"texts.{position}.headline", []).append("Write a headline.")
        if not text.event.strip():
            errors.setdefault(f"texts.{position}.event", []).append("Name the event.")
    if not words:
        errors["texts"] = ["Write the alert in at least one language."]
    elif every_language:
        missing = [code for code in served if code not in seen]
        if missing:
            errors["texts"] = [f"An issued alert speaks every language: add {', '.join(missing)}."]
    if errors:
        raise Invalid("The alert's text is not complete.", fields=errors)


@transaction.atomic
def draft_alert(
    place: Place,
    *,
    by: Any,
    words: Sequence[Words],
    origin: str = AlertOrigin.ANALYST,
    event_type: EventType | None = None,
    urgency: str = Urgency.EXPECTED,
    severity: str = Severity.MODERATE,
    certainty: str = Certainty.POSSIBLE,
    scope: str = CapScope.RESTRICTED,
    restriction: str = "",
    status: str = CapStatus.ACTUAL,
    onset: Any = None,
    expires: Any = None,
    places: Iterable[Place] = (),
    reports: Iterable[Report] = (),
    incidents: Iterable[Incident] = (),
    signal: Signal | None = None,
    rule: AlertRule | None = None,
    issue: bool = False,
) -> Alert:
    """A new alert, not yet sent to anyone; with `issue`, issued at once (`issue_alert`).

    Drafting and issuing are one transaction: an alert that cannot be issued leaves no draft.
    """
    _check_issuer(by, place)
    _check_words(words, every_language=issue)
    if expires is not None and onset is not None and expires <= onset:
        raise Invalid("The alert ends before it starts.", fields={"expires": ["After onset."]})
    if scope == CapScope.RESTRICTED and not restriction:
        restriction = "Peace infrastructure mechanisms and staff of the covered places"
    alert = Alert.objects.create(
        identifier=new_identifier(),
        sender=cap_sender(),
        status=status,
        msg_type=CapMsgType.ALERT,
        scope=scope,
        restriction=restriction if scope == CapScope.RESTRICTED else "",
        origin=origin,
        event_type=event_type,
        urgency=urgency,
        severity=severity,
        certainty=certainty,
        place=place,
        onset=onset,
        expires=expires,
        rule=rule,
        signal=signal,
        created_by=by if getattr(by, "pk", None) else None,
    )
    AlertText.objects.bulk_create(
        AlertText(
            alert=alert,
            language=text.language,
            event=text.event[:200],
            headline=text.headline[:300],
            description=text.description,
            instruction=text.instruction,
        )
        for text in words
    )
    alert.places.set([p for p in places if p.pk != place.pk])
    alert.reports.set(list(reports))
    alert.incidents.set(list(incidents))
    note(alert, TimelineKind.CREATED, by=by, text=alert.get_origin_display())
    record_event(alert, "alert.created", by=by)
    return issue_alert(alert, by=by) if issue else alert


def _route(alert: Alert) -> None:
    """Once committed, send the alert to the mechanisms (`routing`): an issued alert to the
    first level covering its place, an update or cancel to everyone the earlier one reached."""
    from i4p.warning.routing import route_after_commit

    route_after_commit(alert)


def _locked(alert: Alert) -> Alert:
    return Alert.objects.select_for_update().get(pk=alert.pk)


def _responders_actors(user: Any, alert: Alert) -> list[Actor]:
    """The mechanisms this alert reached for which `user` is on call or a representative."""
    if not getattr(user, "is_authenticated", False):
        return []
    now = timezone.now()
    reached = Actor.objects.filter(deliveries__alert=alert).distinct()
    on_call = reached.filter(
        Q(on_call__user=user)
        & (Q(on_call__starts_at__isnull=True) | Q(on_call__starts_at__lte=now))
        & (Q(on_call__ends_at__isnull=True) | Q(on_call__ends_at__gt=now))
    )
    represented = reached.filter(representatives__user=user)
    return list((on_call | represented).distinct().order_by("name"))


def may_respond(user: Any, alert: Alert) -> bool:
    """Staff who respond in the alert's place, or a member of a mechanism it reached."""
    return can(user, Perm.RESPOND, alert.place) or bool(_responders_actors(user, alert))


def mechanism_of(user: Any, alert: Alert) -> Actor | None:
    """The mechanism `user` acts for on this alert, when they act for one."""
    actors = _responders_actors(user, alert)
    return actors[0] if actors else None


@transaction.atomic
def issue_alert(alert: Alert, *, by: Any) -> Alert:
    """Send a draft: from now on it is routed, delivered, and escalated until acknowledged."""
    alert = _locked(alert)
    _check_issuer(by, alert.place)
    if alert.state != AlertState.DRAFT:
        raise WrongState(f"The alert is already {alert.get_state_display().lower()}.")
    texts = [
        Words(t.language, t.event, t.headline, t.description, t.instruction)
        for t in alert.texts.all()
    ]
    _check_words(texts, every_language=True)
    alert.state = AlertState.ISSUED
    alert.issued_at = timezone.now()
    alert.save(update_fields=["state", "issued_at", "updated_at"])
    note(alert, TimelineKind.ISSUED, by=by)
    record_event(alert, "alert.issued", by=by, fields=["state"])
    _route(alert)
    return alert


@transaction.atomic
def acknowledge_alert(alert: Alert, *, by: Any, actor: Any = None, text: str = "") -> Alert:
    """A mechanism has the alert in hand: escalation stops."""
    alert = _locked(alert)
    if not may_respond(by, alert):
        raise NotAllowed("You cannot acknowledge this alert.")
    if alert.state == AlertState.ACKNOWLEDGED:
        raise WrongState("The alert is already acknowledged.")
    if alert.state != AlertState.ISSUED:
        raise WrongState(f"The alert is {alert.get_state_display().lower()}.")
    actor = actor or mechanism_of(by, alert)
    alert.state = AlertState.ACKNOWLEDGED
    alert.acknowledged_at = timezone.now()
    alert.acknowledged_by = by
    alert.acknowledged_for = actor
    alert.escalation_due_at = None
    alert.save(
        update_fields=[
            "state",
            "acknowledged_at",
            "acknowledged_by",
            "acknowledged_for",
            "escalation_due_at",
            "updated_at",
        ]
    )
    note(alert, TimelineKind.ACKNOWLEDGED, by=by, actor=actor, level=alert.level, text=text)
    record_event(alert, "alert.acknowledged", by=by, fields=["state"], note=text)
    # The reporters behind it hear that it was taken up (never who took it up).
    from i4p.warning.responses import TAKEN_UP, tell_reporters_later

    transaction.on_commit(partial(tell_reporters_later, alert.pk, TAKEN_UP), robust=True)
    return alert


@transaction.atomic
def close_alert(alert: Alert, *, by: Any, text: str = "") -> Alert:
    """The situation is over; nothing more is expected of anyone."""
    alert = _locked(alert)
    _check_issuer(by, alert.place)
    if alert.state not in LIVE:
        raise WrongState(f"The alert is {alert.get_state_display().lower()}.")
    alert.state = AlertState.CLOSED
    alert.closed_at = timezone.now()
    alert.escalation_due_at = None
    alert.save(update_fields=["state", "closed_at", "escalation_due_at", "updated_at"])
    note(alert, TimelineKind.CLOSED, by=by, text=text)
    record_event(alert, "alert.closed", by=by, fields=["state"], note=text)
    return alert


def _follow_up(alert: Alert, msg_type: str, *, by: Any, words: Sequence[Words]) -> Alert:
    """A CAP Update or Cancel message: a new alert that references the earlier one."""
    follow = Alert.objects.create(
        identifier=new_identifier(),
        sender=alert.sender,
        state=alert.state if msg_type == CapMsgType.UPDATE else AlertState.CANCELLED,
        status=alert.status,
        msg_type=msg_type,
        scope=alert.scope,
        restriction=alert.restriction,
        references=alert,
        origin=alert.origin,
        event_type=alert.event_type,
        urgency=alert.urgency,
        severity=alert.severity,
        certainty=alert.certainty,
        place=alert.place,
        onset=alert.onset,
        expires=alert.expires,
        rule=alert.rule,
        signal=alert.signal,
        created_by=by if getattr(by, "pk", None) else None,
        issued_at=timezone.now(),
        acknowledged_at=alert.acknowledged_at,
        acknowledged_by=alert.acknowledged_by,
        acknowledged_for=alert.acknowledged_for,
        cancelled_at=timezone.now() if msg_type == CapMsgType.CANCEL else None,
        level=alert.level,
        escalation_due_at=alert.escalation_due_at if msg_type == CapMsgType.UPDATE else None,
    )
    AlertText.objects.bulk_create(
        AlertText(
            alert=follow,
            language=t.language,
            event=t.event,
            headline=t.headline,
            description=t.description,
            instruction=t.instruction,
        )
        for t in words
    )
    follow.places.set(alert.places.all())
    follow.reports.set(alert.reports.all())
    follow.incidents.set(alert.incidents.all())
    return follow


@transaction.atomic
def update_alert(
    alert: Alert,
    *,
    by: Any,
    words: Sequence[Words] | None = None,
    severity: str | None = None,
    urgency: str | None = None,
    certainty: str | None = None,
    text: str = "",
) -> Alert:
    """New facts about a live alert: a CAP Update that replaces it for everyone it reached.

    The earlier alert is closed as superseded; the update keeps its place on the ladder."""
    alert = _locked(alert)
    _check_issuer(by, alert.place)
    if alert.state not in LIVE:
        raise WrongState(f"The alert is {alert.get_state_display().lower()}.")
    current = [
        Words(t.language, t.event, t.headline, t.description, t.instruction)
        for t in alert.texts.all()
    ]
    words = list(words) if words is not None else current
    _check_words(words, every_language=True)
    follow = _follow_up(alert, CapMsgType.UPDATE, by=by, words=words)
    changed = []
    for name, value in (("severity", severity), ("urgency", urgency), ("certainty", certainty)):
        if value is not None and value != getattr(follow, name):
            setattr(follow, name, value)
            changed.append(name)
    if changed:
        follow.save(update_fields=[*changed, "updated_at"])
    alert.state = AlertState.CLOSED
    alert.closed_at = timezone.now()
    alert.escalation_due_at = None
    alert.save(update_fields=["state", "closed_at", "escalation_due_at", "updated_at"])
    note(alert, TimelineKind.UPDATED, by=by, text=text or f"Replaced by {follow.identifier}")
    note(follow, TimelineKind.UPDATED, by=by, text=text or f"Updates {alert.identifier}")
    record_event(follow, "alert.updated", by=by, fields=changed, note=text)
    _route(follow)
    return follow


@transaction.atomic
def cancel_alert(alert: Alert, *, by: Any, text: str) -> Alert:
    """The alert was wrong or is withdrawn: a CAP Cancel goes to everyone it reached."""
    alert = _locked(alert)
    _check_issuer(by, alert.place)
    if not text.strip():
        raise Invalid("Say why the alert is cancelled.", fields={"reason": ["Give a reason."]})
    if alert.state not in LIVE:
        raise WrongState(f"The alert is {alert.get_state_display().lower()}.")
    words = [Words(t.language, t.event, t.headline, text, "") for t in alert.texts.all()]
    follow = _follow_up(alert, CapMsgType.CANCEL, by=by, words=words)
    alert.state = AlertState.CANCELLED
    alert.cancelled_at = timezone.now()
    alert.escalation_due_at = None
    alert.save(update_fields=["state", "cancelled_at", "escalation_due_at", "updated_at"])
    note(alert, TimelineKind.CANCELLED, by=by, text=text)
    record_event(alert, "alert.cancelled", by=by, fields=["state"], note=text)
    _route(follow)
    return follow
