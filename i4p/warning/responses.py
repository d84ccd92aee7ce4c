"""Response and accountability: what the mechanisms did about an alert and what came of it,
the alert's whole chain from first report to outcome, the figures of the gap between alert and
response, and the word that goes back to the reporters.

Services write (`record_response`, `record_outcome`, `tell_reporters`); selectors read
(`alert_for_chain`, `alert_chain`, `response_figures`) with the viewer's scope built in.
Nothing here ever names a reporter: the chain shows what was reported, where and when, and the
timeline says how many reporters were told, never who.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import statistics
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from i4p.accounts.permissions import Perm
from i4p.accounts.selectors import can, scope_of
from i4p.core.audit import record_event
from i4p.core.errors import Invalid, NotAllowed, NotFound, WrongState
from i4p.geo.models import Place, PlaceKind
from i4p.registry.models import Actor
from i4p.warning.alerts import _responders_actors, acknowledge_alert, may_respond, mechanism_of
from i4p.warning.alerts import note as timeline_note
from i4p.warning.gateways.conversation import gateway_of, language_of, queue_message
from i4p.warning.models import (
    Alert,
    AlertEvent,
    AlertState,
    CapMsgType,
    Delivery,
    EventType,
    Incident,
    MessageTemplate,
    OutboundMessage,
    OutboundState,
    Outcome,
    Report,
    Reporter,
    Response,
    ResponseKind,
    TimelineKind,
)
from i4p.warning.selectors import visible_reports

log = logging.getLogger(__name__)

# Responses may be recorded while the alert is live, and after it was closed (a meeting held
# before closing is often written down later); never on a draft or a cancelled alert.
RESPONDABLE = frozenset({AlertState.ISSUED, AlertState.ACKNOWLEDGED, AlertState.CLOSED})
MAX_DESCRIPTION = 4000
MAX_NOTE = 2000
# A clock a little ahead on the responder's phone is not an error; an hour is.
CLOCK_SKEW = dt.timedelta(minutes=5)


# -- recording responses and outcomes ---------------------------------------------------------


def _aware(value: dt.datetime) -> dt.datetime:
    # A time without an offset (an API client, a form) is read in the instance's time zone.
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def reached_mechanisms(alert: Alert) -> list[Actor]:
    """The mechanisms the alert was delivered to, nearest level first."""
    return list(Actor.objects.filter(deliveries__alert=alert).distinct().order_by("name"))


def mechanisms_for(user: Any, alert: Alert) -> list[Actor]:
    """The mechanisms `user` may record a response for on this alert.

    A member acts for the mechanisms they belong to; staff who respond in the place may
    record for any mechanism the alert reached (writing down what a committee reported)."""
    own = _responders_actors(user, alert)
    if can(user, Perm.RESPOND, alert.place):
        known = {actor.pk for actor in own}
        return own + [actor for actor in reached_mechanisms(alert) if actor.pk not in known]
    return own


def _check_times(
    alert: Alert,
    started_at: dt.datetime | None,
    ended_at: dt.datetime | None,
    errors: dict[str, list[str]],
) -> None:
    now = timezone.now()
    if started_at is None:
        errors["started_at"] = [_("Say when the response started.")]
        return
    if started_at > now + CLOCK_SKEW:
        errors.setdefault("started_at", []).append(_("This is in the future."))
    if alert.issued_at is not None and started_at < alert.issued_at:
        errors.setdefault("started_at", []).append(
            _("A response to this alert starts after it was issued (%(when)s).")
            % {"when": timezone.localtime(alert.issued_at).strftime("%Y-%m-%d %H:%M")}
        )
    if ended_at is not None:
        if ended_at < started_at:
            errors.setdefault("ended_at", []).append(_("The response ends before it starts."))
        if ended_at > now + CLOCK_SKEW:
            errors.setdefault("ended_at", []).append(_("This is in the future."))


@transaction.atomic
def record_response(
    alert: Alert,
    *,
    by: Any,
    kind: str,
    description: str,
    started_at: dt.datetime | None,
    ended_at: dt.datetime | None = None,
    actor: Actor | None = None,
) -> Response:
    """What a mechanism did about an alert, by whom and when.

    Recording a response on an issued alert nobody has acknowledged acknowledges it: the
    mechanism clearly has it in hand, and escalation stops."""
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if not may_respond(by, alert):
        raise NotAllowed(_("You cannot record a response to this alert."))
    if alert.state not in RESPONDABLE:
        raise WrongState(
            _("The alert is %(state)s: no response can be recorded.")
            % {"state": alert.get_state_display().lower()}
        )
    errors: dict[str, list[str]] = {}
    if kind not in ResponseKind.values:
        errors["kind"] = [_("Choose one of: %(kinds)s.") % {"kinds": ", ".join(ResponseKind)}]
    description = (description or "").strip()
    if not description:
        errors["description"] = [_("Say what was done.")]
    elif len(description) > MAX_DESCRIPTION:
        errors["description"] = [_("At most %(n)d characters.") % {"n": MAX_DESCRIPTION}]
    started_at = _aware(started_at) if started_at is not None else None
    ended_at = _aware(ended_at) if ended_at is not None else None
    _check_times(alert, started_at, ended_at, errors)
    allowed = mechanisms_for(by, alert)
    if actor is not None and actor.pk not in {a.pk for a in allowed}:
        errors["actor"] = [_("You cannot record a response for this mechanism on this alert.")]
    if errors:
        raise Invalid(_("The response is not complete."), fields=errors)
    assert started_at is not None
    actor = actor or mechanism_of(by, alert)
    if alert.state == AlertState.ISSUED:
        alert = acknowledge_alert(
            alert, by=by, actor=actor, text=_("Acknowledged by recording a response.")
        )
    response = Response.objects.create(
        alert=alert,
        actor=actor,
        by=by,
        kind=kind,
        description=description,
        started_at=started_at,
        ended_at=ended_at,
    )
    timeline_note(
        alert,
        TimelineKind.RESPONSE,
        by=by,
        actor=actor,
        level=actor.level if actor is not None else "",
        text=response.get_kind_display(),
    )
    record_event(
        response,
        "response.recorded",
        by=by,
        fields=["kind", "description", "started_at", "ended_at", "actor"],
    )
    return response


@transaction.atomic
def record_outcome(response: Response, *, by: Any, outcome: str, note: str) -> Response:
    """What came of a response. A later outcome replaces an earlier one ("still ongoing" then
    "resolved"); the timeline and the audit log keep each."""
    response = Response.objects.select_for_update().select_related("alert").get(pk=response.pk)
    alert = response.alert
    if not may_respond(by, alert):
        raise NotAllowed(_("You cannot record an outcome for this alert."))
    if alert.state not in RESPONDABLE:
        raise WrongState(
            _("The alert is %(state)s: no outcome can be recorded.")
            % {"state": alert.get_state_display().lower()}
        )
    errors: dict[str, list[str]] = {}
    if outcome not in Outcome.values:
        errors["outcome"] = [_("Choose one of: %(values)s.") % {"values": ", ".join(Outcome)}]
    text = (note or "").strip()
    if len(text) > MAX_NOTE:
        errors["note"] = [_("At most %(n)d characters.") % {"n": MAX_NOTE}]
    if errors:
        raise Invalid(_("The outcome is not complete."), fields=errors)
    response.outcome = outcome
    response.outcome_note = text
    response.outcome_at = timezone.now()
    response.save(update_fields=["outcome", "outcome_note", "outcome_at", "updated_at"])
    timeline_note(
        alert,
        TimelineKind.OUTCOME,
        by=by,
        actor=response.actor,
        level=response.actor.level if response.actor is not None else "",
        text=f"{response.get_kind_display()}: {response.get_outcome_display()}",
    )
    record_event(response, "response.outcome", by=by, fields=["outcome", "outcome_note"])
    transaction.on_commit(partial(tell_reporters_later, alert.pk, ACTED_ON), robust=True)
    return response


# -- the reporter hears back --------------------------------------------------------------------

TAKEN_UP = "alert_taken_up"
ACTED_ON = "alert_acted_on"

# Neutral like every message back (a seized phone must not betray its owner): no violence,
# no peace, no report, no alert. The English is the gettext message id; the French and Arabic
# below are used until the catalogues translate it, and admins override any of them with a
# `MessageTemplate` row of the same key.
FEEDBACK_WORDING: dict[str, dict[str, str]] = {
    TAKEN_UP: {
        "en": gettext_noop("Thank you. What you sent us has been passed on and is followed up."),
        "fr": "Merci. Ce que vous nous avez envoyé a été transmis et fait l'objet d'un suivi.",
        "ar": "شكراً. تم تمرير ما أرسلته إلينا وتجري متابعته.",
    },
    ACTED_ON: {
        "en": gettext_noop("Thank you. What you sent us has been acted on."),
        "fr": "Merci. Il a été donné suite à ce que vous nous avez envoyé.",
        "ar": "شكراً. تم اتخاذ إجراء بشأن ما أرسلته إلينا.",
    },
}
# What a reporter with an account reads beside their report on "my reports".
FEEDBACK_STATUS = {
    TAKEN_UP: gettext_noop("Passed on, followed up"),
    ACTED_ON: gettext_noop("Acted on"),
}


def feedback_wording(key: str, language: str) -> str:
    """The admin's wording for this key and language, else gettext, else the built-in words."""
    base = language.split("-")[0]
    for candidate in (language, base):
        row = MessageTemplate.objects.filter(key=key, language=candidate).first()
        if row is not None:
            return row.text
    defaults = FEEDBACK_WORDING[key]
    english = defaults["en"]
    with translation.override(language):
        translated = _(english)
    if translated != english or base == "en":
        return translated
    return defaults.get(base, english)


def reports_behind(alert: Alert) -> list[Report]:
    """The reports behind an alert: named by it, or grouped into an incident it names."""
    return list(
        Report.objects.filter(Q(alerts=alert) | Q(incident__alerts=alert))
        .distinct()
        .order_by("received_at", "pk")
    )


@dataclass(frozen=True)
class Told:
    reporters: int  # reporters behind the alert who had not been told this yet
    by_message: int  # of them, messages queued to go out
    withheld: int  # no consent, opted out, or no way back (they may still see it on the web)


@transaction.atomic
def tell_reporters(alert: Alert, *, key: str) -> Told:
    """Tell the reporters behind `alert` that it was taken up (`TAKEN_UP`) or acted on
    (`ACTED_ON`), each once per report, through the conversation machinery.

    Consent and opt-out are the conversation's: without them the message is recorded as
    withheld and never leaves. Reporters with an account see it on "my reports" either way.
    The timeline says how many reporters were told, never who."""
    if key not in FEEDBACK_WORDING:
        raise Invalid("Unknown feedback.", fields={"key": [key]})
    by_reporter: dict[int, Report] = {}
    for report in reports_behind(alert):
        if report.reporter_id is not None:
            by_reporter.setdefault(report.reporter_id, report)
    if not by_reporter:
        return Told(0, 0, 0)
    # Once per report: an update of the alert names the same reports and tells nobody twice.
    already = set(
        OutboundMessage.objects.filter(
            template_key=key, report__in=[r.pk for r in by_reporter.values()]
        ).values_list("reporter_id", flat=True)
    )
    reporters = Reporter.objects.in_bulk([pk for pk in by_reporter if pk not in already])
    queued = withheld = 0
    for reporter_id, reporter in reporters.items():
        gateway = gateway_of(reporter)
        text = feedback_wording(key, language_of(reporter, gateway))
        message = queue_message(
            reporter, key=key, text=text, report=by_reporter[reporter_id], gateway=gateway
        )
        if message.state == OutboundState.QUEUED:
            queued += 1
        else:
            withheld += 1
    told = Told(len(reporters), queued, withheld)
    if told.reporters:
        timeline_note(
            alert,
            TimelineKind.FEEDBACK,
            text=_("%(n)d reporters told (%(sent)d by message).")
            % {"n": told.reporters, "sent": told.by_message},
        )
        record_event(alert, "alert.feedback", by=None, note=f"{key}: {told.reporters}")
    return told


def tell_reporters_later(alert_pk: int, key: str) -> None:
    """After commit: the feedback must never undo the acknowledgement or outcome it follows."""
    alert = Alert.objects.filter(pk=alert_pk).first()
    if alert is None:
        return
    try:
        tell_reporters(alert, key=key)
    except Exception:  # the outcome stands; only the word back is missing, and logged
        log.exception("Telling the reporters of alert %s failed", alert.uuid)


def feedback_status(reports: Iterable[Report]) -> dict[int, str]:
    """For a reporter's own reports: what became of each, in their words ("Acted on")."""
    ids = [report.pk for report in reports]
    rows = OutboundMessage.objects.filter(report__in=ids, template_key__in=list(FEEDBACK_STATUS))
    status: dict[int, str] = {}
    for report_id, key in rows.values_list("report_id", "template_key"):
        assert report_id is not None
        if status.get(report_id) != ACTED_ON:
            status[report_id] = key
    return {report_id: _(FEEDBACK_STATUS[key]) for report_id, key in status.items()}


# -- the chain from first report to outcome -------------------------------------------------------


def may_see_chain(user: Any, alert: Alert) -> bool:
    if alert.state == AlertState.DRAFT:
        return can(user, Perm.ISSUE_ALERTS, alert.place)
    return can(user, Perm.VIEW_ALERTS, alert.place) or may_respond(user, alert)


def alert_for_chain(user: Any, alert_uuid: uuid.UUID | str) -> Alert:
    """The alert, if `user` may follow its chain: staff who see alerts in its place, and the
    members of the mechanisms it reached. Anyone else learns nothing, not even that it exists."""
    alert = (
        Alert.objects.select_related("place", "event_type", "signal", "acknowledged_for")
        .filter(uuid=alert_uuid)
        .first()
    )
    if alert is None or not may_see_chain(user, alert):
        raise NotFound(_("No such alert, or not one you may see."))
    return alert


@dataclass
class ChainEntry:
    """One link of the chain, as the page and the API show it."""

    at: dt.datetime
    kind: str  # report, reports, incident, signal, response, outcome, or a TimelineKind
    title: str
    place: str = ""
    lines: list[str] = field(default_factory=list)
    mechanism: str = ""
    by: str = ""
    text: str = ""  # a report's or a response's words, for those who may read them
    link: str = ""  # a report's uuid, for those who may open it
    response: str = ""  # a response's uuid, to record its outcome


@dataclass
class Chain:
    alert: Alert
    entries: list[ChainEntry]
    reads_reports: bool  # the viewer reads the texts of the reports behind it
    may_respond: bool
    mechanisms: list[Actor]  # those the viewer may record a response for
    responses: list[Response]


def _name(user: Any) -> str:
    return str(getattr(user, "username", "") or "") if user is not None else ""


def _report_entries(alert: Alert, user: Any) -> tuple[list[ChainEntry], bool]:
    reports = reports_behind(alert)
    readable = set(
        visible_reports(user).filter(pk__in=[r.pk for r in reports]).values_list("pk", flat=True)
    )
    places = Place.objects.in_bulk({r.place_id for r in reports if r.place_id})
    types = {r.event_type_id for r in reports if r.event_type_id}
    type_names = dict(EventType.objects.filter(pk__in=types).values_list("pk", "name"))
    entries: list[ChainEntry] = []
    unread: dict[str, list[Report]] = defaultdict(list)
    for report in reports:
        place = places.get(report.place_id) if report.place_id else None
        place_name = place.name if place is not None else ""
        if report.pk not in readable:
            unread[place_name].append(report)
            continue
        lines = [report.title] if report.title else []
        if report.occurred_at is not None:
            when = timezone.localtime(report.occurred_at).strftime("%Y-%m-%d %H:%M")
            lines.append(_("Happened %(when)s") % {"when": when})
        lines.append(report.get_verification_display())
        entries.append(
            ChainEntry(
                at=report.received_at,
                kind="report",
                title=type_names.get(report.event_type_id or 0, "") or report.get_kind_display(),
                place=place_name,
                lines=lines,
                text=report.description,
                link=str(report.uuid),
            )
        )
    for place_name, group in unread.items():
        entries.append(
            ChainEntry(
                at=min(r.received_at for r in group),
                kind="reports",
                title=_("%(n)d reports") % {"n": len(group)},
                place=place_name,
            )
        )
    return entries, not unread


def _reads_here(user: Any, alert: Alert) -> bool:
    return can(user, Perm.VIEW_REPORTS, alert.place)


def _incident_entries(alert: Alert, user: Any) -> list[ChainEntry]:
    reads = _reads_here(user, alert)
    entries = []
    for incident in Incident.objects.filter(alerts=alert).select_related("place", "event_type"):
        entries.append(
            ChainEntry(
                at=incident.occurred_at or incident.created_at,
                kind="incident",
                # An incident's title is a reviewer's summary of the reports: for report readers.
                title=incident.title
                if reads
                else (incident.event_type.name if incident.event_type else _("Incident")),
                place=incident.place.name if incident.place else "",
                lines=[incident.get_status_display()],
            )
        )
    return entries


def _signal_entry(alert: Alert) -> ChainEntry | None:
    signal = alert.signal
    if signal is None:
        return None
    return ChainEntry(
        at=signal.created_at,
        kind="signal",
        title=_("Signal: %(method)s") % {"method": signal.get_method_display()},
        place=alert.place.name,
        lines=[
            _("%(period)s from %(start)s, baseline of %(window)d periods")
            % {
                "period": signal.get_period_display(),
                "start": signal.period_start.isoformat(),
                "window": signal.window,
            },
            _("Observed %(observed)g, expected %(expected)g, threshold %(threshold)g")
            % {
                "observed": signal.observed,
                "expected": round(signal.expected, 2),
                "threshold": round(signal.threshold, 2),
            },
        ],
    )


def alert_chain(alert: Alert, *, user: Any) -> Chain:
    """The alert's whole chain, oldest first: the reports and incidents behind it, the signal,
    every step of its timeline (issue, deliveries, escalations, acknowledgement, reporters
    told), and each response with its outcome.

    Reporters are never named. Viewers who do not read reports in the place (a committee
    member, a responder) see how many reports came from where, not what they say."""
    if not may_see_chain(user, alert):
        raise NotFound(_("No such alert, or not one you may see."))
    entries, reads = _report_entries(alert, user)
    entries += _incident_entries(alert, user)
    signal = _signal_entry(alert)
    if signal is not None:
        entries.append(signal)
    events = (
        AlertEvent.objects.filter(alert=alert)
        .exclude(kind__in=[TimelineKind.RESPONSE, TimelineKind.OUTCOME])
        .select_related("by", "actor")
    )
    for event in events:
        entries.append(
            ChainEntry(
                at=event.at,
                kind=event.kind,
                title=event.get_kind_display(),
                mechanism=event.actor.name if event.actor else "",
                by=_name(event.by),
                lines=[event.get_level_display()] if event.level else [],
                text=event.note,
            )
        )
    responses = list(
        Response.objects.filter(alert=alert).select_related("actor", "by").order_by("started_at")
    )
    for response in responses:
        lines = []
        if response.ended_at is not None:
            lines.append(
                _("Until %(when)s")
                % {"when": timezone.localtime(response.ended_at).strftime("%Y-%m-%d %H:%M")}
            )
        entries.append(
            ChainEntry(
                at=response.started_at,
                kind="response",
                title=response.get_kind_display(),
                mechanism=response.actor.name if response.actor else "",
                by=_name(response.by),
                lines=lines,
                text=response.description,
                response=str(response.uuid),
            )
        )
        if response.outcome and response.outcome_at is not None:
            entries.append(
                ChainEntry(
                    at=response.outcome_at,
                    kind="outcome",
                    title=response.get_outcome_display(),
                    mechanism=response.actor.name if response.actor else "",
                    lines=[response.get_kind_display()],
                    text=response.outcome_note,
                    response=str(response.uuid),
                )
            )
    entries.sort(key=lambda entry: entry.at)
    allowed = may_respond(user, alert) and alert.state in RESPONDABLE
    return Chain(
        alert=alert,
        entries=entries,
        reads_reports=reads,
        may_respond=allowed,
        mechanisms=mechanisms_for(user, alert) if allowed else [],
        responses=responses,
    )


def response_for(user: Any, response_uuid: uuid.UUID | str) -> Response:
    """A response whose alert `user` may see."""
    response = (
        Response.objects.select_related("alert", "alert__place", "actor", "by")
        .filter(uuid=response_uuid)
        .first()
    )
    if response is None or not may_see_chain(user, response.alert):
        raise NotFound(_("No such response, or not one you may see."))
    return response


# -- the gap between alert and response, measured -----------------------------------------------


def median(values: Sequence[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def percentile_90(values: Sequence[float]) -> float | None:
    """The nearest-rank 90th percentile: the smallest value at or above 90 % of the values."""
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)])


@dataclass
class FigureRow:
    """The gap for one place, one mechanism, or everything in view. Durations in seconds."""

    key: str  # a place's or a mechanism's uuid; "" for the total
    label: str
    alerts: int = 0
    acknowledged: int = 0
    responded: int = 0
    with_outcome: int = 0
    ack_seconds: list[float] = field(default_factory=list, repr=False)
    response_seconds: list[float] = field(default_factory=list, repr=False)

    @property
    def ack_median(self) -> float | None:
        return median(self.ack_seconds)

    @property
    def ack_p90(self) -> float | None:
        return percentile_90(self.ack_seconds)

    @property
    def response_median(self) -> float | None:
        return median(self.response_seconds)

    @property
    def response_p90(self) -> float | None:
        return percentile_90(self.response_seconds)

    @property
    def outcome_share(self) -> float | None:
        return self.with_outcome / self.alerts if self.alerts else None


@dataclass
class Figures:
    since: dt.datetime
    until: dt.datetime
    level: str
    place: Place | None
    total: FigureRow
    by_place: list[FigureRow]
    by_mechanism: list[FigureRow]


LEVELS = (PlaceKind.COUNTRY, PlaceKind.ADMIN1, PlaceKind.ADMIN2, PlaceKind.ADMIN3)


def _family(roots: list[Alert]) -> dict[int, int]:
    """Each alert's updates (CAP Update messages, and theirs) mapped to the first alert: a
    response recorded on an update counts for the alert it updates."""
    root_of = {alert.pk: alert.pk for alert in roots}
    frontier = list(root_of)
    for _depth in range(20):  # a chain of updates is short; the bound only guards a cycle
        rows = list(
            Alert.objects.filter(references_id__in=frontier, msg_type=CapMsgType.UPDATE)
            .exclude(pk__in=list(root_of))
            .values_list("pk", "references_id")
        )
        if not rows:
            break
        for pk, parent in rows:
            assert parent is not None
            root_of[pk] = root_of[parent]
        frontier = [pk for pk, _parent in rows]
    return root_of


def _seconds(later: dt.datetime, earlier: dt.datetime) -> float:
    return max(0.0, (later - earlier).total_seconds())


def response_figures(
    user: Any,
    *,
    since: dt.datetime,
    until: dt.datetime,
    place: Place | None = None,
    level: str = PlaceKind.ADMIN1,
) -> Figures:
    """Time to acknowledge, time to first response and the share of alerts with a recorded
    outcome, for the alerts issued in [since, until) in the viewer's alert scope.

    Per alert, times run from its issue; per mechanism, from the first delivery to that
    mechanism (one reached by escalation is not blamed for the hours before it knew), and count
    only its own acknowledgement and responses. By place, alerts are grouped under their
    ancestor of the chosen `level` (an alert about a larger area stays under its own place).
    Cancelled alerts are left out; updates count for the alert they update."""
    scope = scope_of(user, Perm.VIEW_ALERTS)
    if scope.nowhere:
        raise NotAllowed(_("Only staff who see alerts may see these figures."))
    errors: dict[str, list[str]] = {}
    since, until = _aware(since), _aware(until)
    if until <= since:
        errors["until"] = [_("The period ends before it starts.")]
    if level not in LEVELS:
        errors["level"] = [_("Choose one of: %(levels)s.") % {"levels": ", ".join(LEVELS)}]
    if errors:
        raise Invalid(_("The period or level is not right."), fields=errors)
    if place is not None and not scope.covers(place):
        raise NotAllowed(_("This place is outside the places where you see alerts."))
    alerts = (
        Alert.objects.filter(scope.q("place"))
        .filter(msg_type=CapMsgType.ALERT, issued_at__gte=since, issued_at__lt=until)
        .exclude(state__in=[AlertState.CANCELLED, AlertState.DRAFT])
        .select_related("place")
        .order_by("issued_at", "pk")
    )
    if place is not None:
        alerts = alerts.filter(place__path__startswith=place.path)
    roots = list(alerts)
    root_of = _family(roots)
    family_ids = list(root_of)
    by_pk = {alert.pk: alert for alert in roots}

    acked: dict[int, dt.datetime] = {}
    acked_for: dict[int, set[int]] = defaultdict(set)
    for pk, at, actor_id in Alert.objects.filter(
        pk__in=family_ids, acknowledged_at__isnull=False
    ).values_list("pk", "acknowledged_at", "acknowledged_for_id"):
        root = root_of[pk]
        assert at is not None
        if root not in acked or at < acked[root]:
            acked[root] = at
        if actor_id is not None:
            acked_for[root].add(actor_id)
    first_response: dict[int, dt.datetime] = {}
    outcome: set[int] = set()
    by_actor_response: dict[tuple[int, int], dt.datetime] = {}
    by_actor_outcome: set[tuple[int, int]] = set()
    for alert_id, actor_id, started, result in Response.objects.filter(
        alert_id__in=family_ids
    ).values_list("alert_id", "actor_id", "started_at", "outcome"):
        root = root_of[alert_id]
        if root not in first_response or started < first_response[root]:
            first_response[root] = started
        if result:
            outcome.add(root)
        if actor_id is not None:
            key = (root, actor_id)
            if key not in by_actor_response or started < by_actor_response[key]:
                by_actor_response[key] = started
            if result:
                by_actor_outcome.add(key)
    reached: dict[tuple[int, int], dt.datetime] = {}
    acked_at_by: dict[tuple[int, int], dt.datetime] = {}
    for alert_id, actor_id, created in Delivery.objects.filter(alert_id__in=family_ids).values_list(
        "alert_id", "actor_id", "created_at"
    ):
        key = (root_of[alert_id], actor_id)
        if key not in reached or created < reached[key]:
            reached[key] = created
    for root, acknowledging in acked_for.items():
        for actor_id in acknowledging:
            acked_at_by[(root, actor_id)] = acked[root]

    def count(row: FigureRow, alert: Alert) -> None:
        row.alerts += 1
        assert alert.issued_at is not None
        if alert.pk in acked:
            row.acknowledged += 1
            row.ack_seconds.append(_seconds(acked[alert.pk], alert.issued_at))
        if alert.pk in first_response:
            row.responded += 1
            row.response_seconds.append(_seconds(first_response[alert.pk], alert.issued_at))
        if alert.pk in outcome:
            row.with_outcome += 1

    total = FigureRow(key="", label=_("All alerts in view"))
    groups: dict[int, FigureRow] = {}
    anchors = _anchors(roots, level)
    for alert in roots:
        count(total, alert)
        anchor = anchors[alert.pk]
        if anchor.pk not in groups:
            groups[anchor.pk] = FigureRow(key=str(anchor.uuid), label=anchor.name)
        count(groups[anchor.pk], alert)

    actors = Actor.objects.in_bulk({actor_id for _root, actor_id in reached})
    mechanisms: dict[int, FigureRow] = {}
    for (root, actor_id), first_reached in sorted(reached.items()):
        if root not in by_pk:
            continue
        actor = actors[actor_id]
        row = mechanisms.setdefault(actor_id, FigureRow(key=str(actor.uuid), label=actor.name))
        row.alerts += 1
        key = (root, actor_id)
        if key in acked_at_by:
            row.acknowledged += 1
            row.ack_seconds.append(_seconds(acked_at_by[key], first_reached))
        if key in by_actor_response:
            row.responded += 1
            row.response_seconds.append(_seconds(by_actor_response[key], first_reached))
        if key in by_actor_outcome:
            row.with_outcome += 1
    return Figures(
        since=since,
        until=until,
        level=level,
        place=place,
        total=total,
        by_place=sorted(groups.values(), key=lambda row: row.label),
        by_mechanism=sorted(mechanisms.values(), key=lambda row: row.label),
    )


def _anchors(alerts: list[Alert], level: str) -> dict[int, Place]:
    """Each alert's place at `level`: its ancestor of that kind, else its own place."""
    ancestor_ids = {
        int(part) for alert in alerts for part in alert.place.path.strip("/").split("/") if part
    }
    at_level = {
        place.pk: place
        for place in Place.objects.filter(pk__in=ancestor_ids, kind=level).only(
            "pk", "uuid", "name", "path", "kind"
        )
    }
    anchors: dict[int, Place] = {}
    for alert in alerts:
        ids = [int(part) for part in alert.place.path.strip("/").split("/") if part]
        found = next((at_level[pk] for pk in ids if pk in at_level), None)
        anchors[alert.pk] = found or alert.place
    return anchors
