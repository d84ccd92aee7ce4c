"""Alerts from signals: the configured rules turn what analysis found into drafts, or into
issued alerts when a rule says so.

A rule applies to a signal of its framework when the signal's method is one of the rule's
methods (or the rule names none), its event type one of the rule's (or the rule names none),
its period the rule's period, and it observed at least `min_observed` reports. The first
active rule by name that applies makes the alert; one signal makes at most one alert.

No storm: while an alert about the same place is live (a draft, issued or acknowledged), a
new signal there (of any series: all events, or one type) makes no new alert; it is marked as
alerted, since that alert already covers the place and an analyst may update it.

Trust: a rule that would make a public alert makes a restricted one unless the signal counts
at least `min_confirmed_public` confirmed reports (verified, credible, or from a trusted
reporter). Unverified reports from a new sender alone never make a public alert.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q, QuerySet

from i4p.core.audit import record_event
from i4p.geo.localtime import day_bounds
from i4p.geo.models import Place
from i4p.warning.alerts import default_words, draft_alert, issue_alert
from i4p.warning.delivery import sending_at_once
from i4p.warning.models import (
    Alert,
    AlertOrigin,
    AlertRule,
    AlertState,
    CapScope,
    Period,
    Report,
    Signal,
    SignalState,
)

OPEN_STATES = (AlertState.DRAFT, AlertState.ISSUED, AlertState.ACKNOWLEDGED)


def active_rules(framework_id: int) -> list[AlertRule]:
    """The framework's active rules, by name, with their event types."""
    return list(
        AlertRule.objects.filter(framework_id=framework_id, is_active=True)
        .prefetch_related("event_types")
        .order_by("name")
    )


def rule_for(signal: Signal, *, rules: list[AlertRule] | None = None) -> AlertRule | None:
    """The first active rule (by name) that applies to `signal`; `rules`: the framework's
    active rules when the caller has them already."""
    for rule in rules if rules is not None else active_rules(signal.framework_id):
        if rule.period != signal.period or rule.min_observed > signal.observed:
            continue
        if rule.methods and signal.method not in rule.methods:
            continue
        types = {event_type.pk for event_type in rule.event_types.all()}
        if types and signal.event_type_id not in types:
            continue
        return rule
    return None


def live_alert_for(signal: Signal) -> Alert | None:
    """An alert about the same place that is still open."""
    return (
        Alert.objects.filter(place_id=signal.place_id, state__in=OPEN_STATES)
        .order_by("-created_at")
        .first()
    )


def period_end(signal: Signal) -> dt.date:
    start = signal.period_start
    if signal.period == Period.DAY:
        return start + dt.timedelta(days=1)
    if signal.period == Period.WEEK:
        return start + dt.timedelta(days=7)
    if signal.period == Period.MONTH:
        return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return start.replace(year=start.year + 1)


def reports_behind(signal: Signal) -> QuerySet[Report]:
    """The reports the signal counted: of its place or below, of its series, in its period."""
    begins, _ = day_bounds(signal.period_start, signal.place)
    ends, _ = day_bounds(period_end(signal), signal.place)
    reports = Report.objects.filter(
        framework_id=signal.framework_id,
        place__path__startswith=signal.place.path,
        occurred_at__gte=begins,
        occurred_at__lt=ends,
        duplicate_of__isnull=True,
    )
    if signal.event_type_id is not None:
        reports = reports.filter(
            Q(event_type_id=signal.event_type_id) | Q(event_type__parent_id=signal.event_type_id)
        )
    return reports.order_by("occurred_at")[:500]


def scope_for(rule: AlertRule, signal: Signal) -> str:
    if rule.scope == CapScope.PUBLIC and signal.confirmed < rule.min_confirmed_public:
        return CapScope.RESTRICTED
    return str(rule.scope)


@transaction.atomic
def apply_rule(signal: Signal, *, rules: list[AlertRule] | None = None) -> Alert | None:
    """The alert `signal` makes, if a rule applies and no alert about it is open; `rules` as
    for `rule_for`."""
    signal = (
        Signal.objects.select_for_update(of=("self",))
        .select_related("place", "event_type")
        .get(pk=signal.pk)
    )
    if signal.state != SignalState.NEW:
        return None
    rule = rule_for(signal, rules=rules)
    if rule is None:
        return None
    if live_alert_for(signal) is not None:
        signal.state = SignalState.ALERTED
        signal.save(update_fields=["state", "updated_at"])
        return None
    scope = scope_for(rule, signal)
    alert = draft_alert(
        signal.place,
        by=None,
        words=default_words(signal.place, signal.event_type, observed=signal.observed),
        origin=AlertOrigin.RULE,
        event_type=signal.event_type,
        urgency=rule.urgency,
        severity=rule.severity,
        certainty=rule.certainty,
        scope=scope,
        reports=list(reports_behind(signal)),
        signal=signal,
        rule=rule,
    )
    if scope != rule.scope:
        record_event(alert, "alert.restricted", by=None, note="too few confirmed reports")
    signal.state = SignalState.ALERTED
    signal.save(update_fields=["state", "updated_at"])
    if rule.issue_at_once:
        alert = issue_alert(alert, by=None)
    return alert


def _most_local(signals: list[Signal]) -> list[Signal]:
    """Leave out a signal that the same alarm at a place inside it explains: a burst in a
    district is alerted to the district; the levels above hear of it by escalation, not by
    alerts of their own about the same reports."""
    paths = dict(
        Place.objects.filter(pk__in={signal.place_id for signal in signals}).values_list(
            "pk", "path"
        )
    )

    def alarm(signal: Signal) -> tuple[str, str, str, dt.date]:
        return (signal.series, signal.method, signal.period, signal.period_start)

    # Each place above a signal's place ("/4/87/" above "/4/87/912/"), with the alarm.
    explained = {
        (alarm(signal), path[: end + 1])
        for signal in signals
        if (path := paths.get(signal.place_id, ""))
        for end in range(len(path) - 1)
        if path[end] == "/"
    }
    return [
        signal for signal in signals if (alarm(signal), paths.get(signal.place_id)) not in explained
    ]


def apply_rules(signals: Iterable[Signal]) -> list[Alert]:
    """The alerts new signals make (each signal in its own transaction). Run by the count task
    in the background: an alert a rule issues is sent from here, right after it is routed."""
    chosen = _most_local(list(signals))
    rules: dict[int, list[AlertRule]] = {}
    made = []
    with sending_at_once():
        for signal in chosen:
            if signal.framework_id not in rules:
                rules[signal.framework_id] = active_rules(signal.framework_id)
            alert = apply_rule(signal, rules=rules[signal.framework_id])
            if alert is not None:
                made.append(alert)
    return made
