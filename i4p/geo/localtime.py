"""Local days: "a day" at a place is that place's calendar day, not the server's.

Times are stored in UTC (`USE_TZ`); a place carries its time zone (or inherits its parent's).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings

from i4p.geo.models import Place


def zone_of(place: Place | None) -> ZoneInfo:
    """The time zone of a place, of its nearest ancestor that has one, or of the instance."""
    current = place
    while current is not None:
        if current.time_zone:
            try:
                return ZoneInfo(current.time_zone)
            except (ZoneInfoNotFoundError, ValueError):
                pass
        current = current.parent
    return ZoneInfo(settings.TIME_ZONE)


def local_day(moment: dt.datetime, place: Place | None) -> dt.date:
    """The calendar day `moment` falls on at `place`."""
    return moment.astimezone(zone_of(place)).date()


def day_bounds(day: dt.date, place: Place | None) -> tuple[dt.datetime, dt.datetime]:
    """The start (inclusive) and end (exclusive) of a local day at `place`, in UTC."""
    zone = zone_of(place)
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)
