"""Reading for the situation room: the map layers, the charts per place and the alert board.

Every function here scopes by role and place itself, so no page can forget:
- reports follow `selectors.visible_reports` inside the user's report scope (a responder, who
  reads no reports, sees none); their points are the stored ones, for staff in scope only;
- incidents follow `selectors.visible_incidents`;
- counts, signals and alerts follow the scope of `Perm.VIEW_ALERTS`.
Nothing read here names a reporter.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count as Tally
from django.db.models import Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone, translation

from i4p.accounts.permissions import Perm
from i4p.accounts.selectors import Scope, has_anywhere, scope_of
from i4p.geo.models import Place, PlaceKind
from i4p.warning.alerts import LIVE
from i4p.warning.models import (
    Alert,
    AlertState,
    CapMsgType,
    Count,
    DeliveryState,
    EventType,
    Incident,
    Period,
    Report,
    Signal,
)
from i4p.warning.selectors import visible_incidents, visible_reports

DEFAULT_DAYS = 30
# Beyond this many days a chart counts weeks: a bar a day would be thinner than a pixel.
MAX_DAY_BARS = 120
MAX_SPAN_DAYS = 3 * 366
# Features per map layer: the newest are drawn; the answer says when some were left out.
MAX_FEATURES = 2000
MAX_CHARTS = 6
BOARD_SIZE = 50
PLACE_KINDS = (PlaceKind.COUNTRY, PlaceKind.ADMIN1, PlaceKind.ADMIN2, PlaceKind.ADMIN3)
PICKER_LIMIT = 300


@dataclass(frozen=True)
class RoomFilters:
    """What the room shows: a period of days (both ends included), a place and its inside,
    an event type and its sub-types, and whether charts count days or weeks."""

    since: dt.date
    until: dt.date
    place: Place | None = None
    event_type: EventType | None = None
    period: str = Period.DAY

    @classmethod
    def default(cls, today: dt.date | None = None) -> RoomFilters:
        today = today or timezone.localdate()
        return cls(since=today - dt.timedelta(days=DEFAULT_DAYS - 1), until=today)

    @property
    def starts(self) -> dt.datetime:
        return dt.datetime.combine(self.since, dt.time.min, tzinfo=timezone.get_current_timezone())

    @property
    def ends(self) -> dt.datetime:
        """The first moment after the period."""
        return self.starts + dt.timedelta(days=(self.until - self.since).days + 1)


def may_enter(user: Any) -> bool:
    return has_anywhere(user, Perm.VIEW_ALERTS)


def alert_scope(user: Any) -> Scope:
    return scope_of(user, Perm.VIEW_ALERTS)


def room_places(user: Any) -> list[Place]:
    """Countries and admin areas in the user's scope, for the place filter."""
    scope = alert_scope(user)
    if scope.nowhere:
        return []
    inside = Q(pk__isnull=False)
    if not scope.everywhere:
        inside = Q(pk__in=[])
        for prefix in scope.paths:
            inside |= Q(path__startswith=prefix)
    return list(
        Place.objects.filter(inside, kind__in=PLACE_KINDS)
        .select_related("parent")
        .order_by("path")[:PICKER_LIMIT]
    )


def _type_q(field_name: str, event_type: EventType | None) -> Q:
    if event_type is None:
        return Q()
    return Q(**{f"{field_name}__code": event_type.code}) | Q(
        **{f"{field_name}__code__startswith": event_type.code + "."}
    )


def _inside(field_name: str, place: Place | None) -> Q:
    if place is None:
        return Q()
    return Q(**{f"{field_name}__path__startswith": place.path})


# -- the map layers ---------------------------------------------------------------------------


def room_reports(user: Any, filters: RoomFilters) -> QuerySet[Report]:
    scope = scope_of(user, Perm.VIEW_REPORTS)
    if scope.nowhere:
        return Report.objects.none()
    when = Q(occurred_at__gte=filters.starts, occurred_at__lt=filters.ends) | Q(
        occurred_at__isnull=True, received_at__gte=filters.starts, received_at__lt=filters.ends
    )
    return (
        visible_reports(user)
        .filter(scope.q("place"))
        .filter(when, _inside("place", filters.place), _type_q("event_type", filters.event_type))
    )


def room_incidents(user: Any, filters: RoomFilters) -> QuerySet[Incident]:
    return visible_incidents(user).filter(
        _inside("place", filters.place),
        _type_q("event_type", filters.event_type),
        occurred_at__gte=filters.starts,
        occurred_at__lt=filters.ends,
    )


def room_signals(user: Any, filters: RoomFilters) -> QuerySet[Signal]:
    scope = alert_scope(user)
    if scope.nowhere:
        return Signal.objects.none()
    return (
        Signal.objects.filter(
            scope.q("place"),
            _inside("place", filters.place),
            _type_q("event_type", filters.event_type),
            period_start__gte=filters.since,
            period_start__lte=filters.until,
        )
        .select_related("place", "event_type", "indicator")
        .order_by("-period_start", "place__name", "pk")
    )


def room_alerts(user: Any, filters: RoomFilters) -> QuerySet[Alert]:
    """Alerts in scope made in the period, and every live one whenever it was made: an alert
    still waiting for acknowledgement never drops off the board because of a date filter.
    Drafts only for those who may issue them."""
    scope = alert_scope(user)
    if scope.nowhere:
        return Alert.objects.none()
    when = Q(created_at__gte=filters.starts, created_at__lt=filters.ends) | Q(state__in=LIVE)
    # Drafts reach no one yet: only those who may issue them there see them.
    drafts = scope_of(user, Perm.ISSUE_ALERTS)
    shown = ~Q(state=AlertState.DRAFT) | (drafts.q("place") if not drafts.nowhere else Q(pk__in=[]))
    return (
        Alert.objects.filter(scope.q("place"), when, shown)
        .filter(_inside("place", filters.place), _type_q("event_type", filters.event_type))
        .exclude(msg_type=CapMsgType.CANCEL)
        .select_related("place", "event_type", "acknowledged_for")
        .prefetch_related("texts")
    )


def _point(lon: float | None, lat: float | None) -> dict[str, Any] | None:
    if lon is None or lat is None:
        return None
    # RFC 7946: longitude first, at most 6 decimals (about 10 cm) is plenty.
    return {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]}


def _feature(geometry: dict[str, Any], properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def headline(alert: Alert) -> str:
    """The alert's headline in the reader's language, else the first it has."""
    texts = list(alert.texts.all())
    language = (translation.get_language() or "en").split("-")[0]
    for text in texts:
        if text.language == language:
            return text.headline
    return texts[0].headline if texts else alert.identifier


def map_layers(user: Any, filters: RoomFilters) -> dict[str, Any]:
    """A GeoJSON FeatureCollection (RFC 7946) of the four layers, each feature naming its
    layer. Reports sit at their stored point, else at their place; the rest at their place."""
    features: list[dict[str, Any]] = []
    left_out: dict[str, int] = {}

    def take(layer: str, rows: list[Any]) -> list[Any]:
        if len(rows) > MAX_FEATURES:
            left_out[layer] = len(rows) - MAX_FEATURES
        return rows[:MAX_FEATURES]

    reports = room_reports(user, filters).values_list(
        "uuid",
        "kind",
        "occurred_at",
        "latitude",
        "longitude",
        "place__name",
        "place__latitude",
        "place__longitude",
        "event_type__name",
        "verification",
        "killed",
        "injured",
    )
    for row in take("reports", list(reports[: MAX_FEATURES + 1])):
        (uuid, kind, occurred, lat, lon, place, plat, plon, etype, verification, k, i) = row
        exact = lat is not None and lon is not None
        geometry = _point(lon, lat) if exact else _point(plon, plat)
        if geometry is None:
            continue
        features.append(
            _feature(
                geometry,
                {
                    "layer": "reports",
                    "id": str(uuid),
                    "kind": kind,
                    "title": etype or "",
                    "place": place or "",
                    "date": occurred.date().isoformat() if occurred else "",
                    "verification": verification,
                    "killed": k,
                    "injured": i,
                    "point": "stored" if exact else "place",
                    "url": reverse("warning:report", args=[uuid]),
                },
            )
        )
    incidents = room_incidents(user, filters)[: MAX_FEATURES + 1]
    for incident in take("incidents", list(incidents)):
        geometry = _point(
            incident.place.longitude if incident.place else None,
            incident.place.latitude if incident.place else None,
        )
        if geometry is None:
            continue
        features.append(
            _feature(
                geometry,
                {
                    "layer": "incidents",
                    "id": str(incident.uuid),
                    "title": incident.title,
                    "place": incident.place.name if incident.place else "",
                    "date": incident.occurred_at.date().isoformat() if incident.occurred_at else "",
                    "status": incident.status,
                    "reports": getattr(incident, "report_count", 0),
                    "url": reverse("warning:incident", args=[incident.uuid]),
                },
            )
        )
    for signal in take("signals", list(room_signals(user, filters)[: MAX_FEATURES + 1])):
        geometry = _point(signal.place.longitude, signal.place.latitude)
        if geometry is None:
            continue
        features.append(
            _feature(
                geometry,
                {
                    "layer": "signals",
                    "id": str(signal.uuid),
                    "title": signal.event_type.name if signal.event_type else signal.series,
                    "place": signal.place.name,
                    "date": signal.period_start.isoformat(),
                    "method": signal.get_method_display(),
                    "observed": signal.observed,
                    "expected": round(signal.expected, 2),
                    "threshold": round(signal.threshold, 2),
                    "state": signal.state,
                },
            )
        )
    alerts = room_alerts(user, filters).order_by("-created_at", "-pk")[: MAX_FEATURES + 1]
    for alert in take("alerts", list(alerts)):
        geometry = _point(alert.place.longitude, alert.place.latitude)
        if geometry is None:
            continue
        features.append(
            _feature(
                geometry,
                {
                    "layer": "alerts",
                    "id": str(alert.uuid),
                    "title": headline(alert),
                    "place": alert.place.name,
                    "date": alert.created_at.date().isoformat(),
                    "state": alert.state,
                    "severity": alert.severity,
                    "level": alert.level,
                    "url": f"/alerts/{alert.uuid}/",
                },
            )
        )
    collection: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    if left_out:
        collection["left_out"] = left_out  # a foreign member, allowed by RFC 7946 §6.1
    return collection


# -- charts per place ------------------------------------------------------------------------


@dataclass
class Bar:
    start: dt.date
    reports: int = 0
    killed: int = 0
    signals: list[str] = field(default_factory=list)
    # Geometry, filled by `layout`.
    x: float = 0
    y: float = 0
    width: float = 0
    height: float = 0


@dataclass
class Chart:
    place: Place
    period: str
    bars: list[Bar]
    width: int = 600
    height: int = 150
    top: int = 0

    @property
    def total(self) -> int:
        return sum(bar.reports for bar in self.bars)

    @property
    def signalled(self) -> list[Bar]:
        return [bar for bar in self.bars if bar.signals]


# The plot area inside the picture, in SVG units.
LEFT, RIGHT, TOP, BOTTOM = 34, 6, 14, 22


def _bucket(day: dt.date, period: str) -> dt.date:
    return day - dt.timedelta(days=day.weekday()) if period == Period.WEEK else day


def chart_period(filters: RoomFilters) -> str:
    span = (filters.until - filters.since).days + 1
    if filters.period == Period.WEEK or span > MAX_DAY_BARS:
        return Period.WEEK
    return Period.DAY


def _starts(filters: RoomFilters, period: str) -> list[dt.date]:
    first = _bucket(filters.since, period)
    step = dt.timedelta(days=7 if period == Period.WEEK else 1)
    starts = []
    day = first
    while day <= filters.until:
        starts.append(day)
        day += step
    return starts


def layout(chart: Chart) -> Chart:
    """Place the bars: heights against the largest bar, rounded for a small document."""
    chart.top = max([bar.reports for bar in chart.bars] + [1])
    inner_w = chart.width - LEFT - RIGHT
    inner_h = chart.height - TOP - BOTTOM
    slot = inner_w / max(len(chart.bars), 1)
    gap = 1 if slot > 3 else 0
    for index, bar in enumerate(chart.bars):
        bar.width = round(max(slot - gap, 0.5), 2)
        bar.x = round(LEFT + index * slot, 2)
        bar.height = round(inner_h * bar.reports / chart.top, 2)
        bar.y = round(TOP + inner_h - bar.height, 2)
    return chart


def chart_places(user: Any, filters: RoomFilters, *, limit: int = MAX_CHARTS) -> list[Place]:
    """The place chosen (or the user's top places) and the places inside it with the most
    reports in the period, as far as counts are in the user's scope."""
    scope = alert_scope(user)
    if scope.nowhere:
        return []
    if filters.place is not None:
        roots = [filters.place] if scope.covers(filters.place) else []
    elif scope.everywhere:
        roots = list(Place.objects.filter(depth=0, kind=PlaceKind.COUNTRY).order_by("name"))
    else:
        roots = list(Place.objects.filter(path__in=scope.paths).order_by("path"))
    if not roots:
        return []
    inside = Q()
    for root in roots:
        inside |= Q(place__path__startswith=root.path, place__depth__lte=root.depth + 1)
    busiest = list(
        _counts(filters, chart_period(filters))
        .filter(scope.q("place"), inside)
        .values("place_id")
        .annotate(total=Sum("reports"))
        .filter(total__gt=0)
        .order_by("-total", "place_id")
        .values_list("place_id", flat=True)[: limit * 4]
    )
    root_ids = [root.pk for root in roots]
    # Roots with data come first (a country with no counts is left out), then their insides.
    chosen = [pk for pk in root_ids if pk in busiest or filters.place is not None]
    chosen += [pk for pk in busiest if pk not in chosen]
    chosen = chosen[:limit]
    places = Place.objects.in_bulk(chosen)
    return [places[pk] for pk in chosen if pk in places]


def _counts(filters: RoomFilters, period: str) -> QuerySet[Count]:
    """Count rows of the period at day precision (and week precision when counting weeks),
    never of indicators (those are observations, not events)."""
    precisions = [Period.DAY, Period.WEEK] if period == Period.WEEK else [Period.DAY]
    return Count.objects.filter(
        _type_q("event_type", filters.event_type),
        indicator__isnull=True,
        precision__in=precisions,
        day__gte=_bucket(filters.since, period),
        day__lte=filters.until,
    )


def charts(user: Any, filters: RoomFilters, places: list[Place] | None = None) -> list[Chart]:
    """Reports per day or week for each place, signals of the period marked on their bar."""
    if places is None:
        places = chart_places(user, filters)
    scope = alert_scope(user)
    places = [place for place in places if scope.covers(place)]
    if not places:
        return []
    period = chart_period(filters)
    starts = _starts(filters, period)
    bars: dict[int, dict[dt.date, Bar]] = {
        place.pk: {start: Bar(start) for start in starts} for place in places
    }
    rows = (
        _counts(filters, period)
        .filter(place_id__in=list(bars))
        .values("place_id", "day")
        .annotate(reports=Sum("reports"), killed=Sum("killed"))
        .values_list("place_id", "day", "reports", "killed")
    )
    for place_id, day, reports, killed in rows:
        bar = bars[place_id].get(_bucket(day, period))
        if bar is not None:
            bar.reports += reports or 0
            bar.killed += killed or 0
    signals = Signal.objects.filter(
        _type_q("event_type", filters.event_type),
        place_id__in=list(bars),
        period_start__gte=_bucket(filters.since, period),
        period_start__lte=filters.until,
    ).values_list("place_id", "period_start", "method")
    names = dict(Signal._meta.get_field("method").choices or [])
    for place_id, start, method in signals:
        bar = bars[place_id].get(_bucket(start, period))
        if bar is not None:
            label = str(names.get(method, method))
            if label not in bar.signals:
                bar.signals.append(label)
    return [layout(Chart(place, period, list(bars[place.pk].values()))) for place in places]


# -- the alert board -------------------------------------------------------------------------


@dataclass
class BoardRow:
    alert: Alert
    headline: str
    deliveries: int
    failed: int
    retrying: int
    overdue: bool
    # What the reader may do from the board (the services decide again).
    may_issue: bool = False
    may_acknowledge: bool = False


def alert_board(user: Any, filters: RoomFilters, *, size: int = BOARD_SIZE) -> list[BoardRow]:
    """Alerts in scope with where they stand: level reached, next escalation due,
    acknowledged or not, deliveries that failed. Waiting ones first, soonest due first."""
    now = timezone.now()
    alerts = (
        room_alerts(user, filters)
        .annotate(
            delivery_count=Tally("deliveries", distinct=True),
            failed_count=Tally(
                "deliveries", filter=Q(deliveries__state=DeliveryState.FAILED), distinct=True
            ),
            retrying_count=Tally(
                "deliveries", filter=Q(deliveries__state=DeliveryState.RETRYING), distinct=True
            ),
        )
        .order_by("-issued_at", "-created_at", "-pk")[:size]
    )
    order: dict[str, int] = {AlertState.ISSUED: 0, AlertState.DRAFT: 1, AlertState.ACKNOWLEDGED: 2}
    rows = [
        BoardRow(
            alert=alert,
            headline=headline(alert),
            deliveries=getattr(alert, "delivery_count", 0),
            failed=getattr(alert, "failed_count", 0),
            retrying=getattr(alert, "retrying_count", 0),
            overdue=bool(
                alert.state == AlertState.ISSUED
                and alert.escalation_due_at is not None
                and alert.escalation_due_at <= now
            ),
        )
        for alert in alerts
    ]
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    rows.sort(key=lambda row: (order.get(row.alert.state, 3), row.alert.escalation_due_at or far))
    return rows


def layer_totals(collection: dict[str, Any]) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for feature in collection["features"]:
        totals[feature["properties"]["layer"]] += 1
    return dict(totals)
