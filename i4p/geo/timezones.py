"""Time zone of a place, from the tz database shipped in the `tzdata` Python package.

`zone.tab` lists each zone with its country and a principal location. A place takes the zone
of its country whose principal location is nearest: exact for the ~200 countries with one
zone, a close guess near the lines inside the few countries with several (US, RU, ID, BR...).
We read the package, not /usr/share/zoneinfo, which not every machine (or container) has.
"""

from __future__ import annotations

import functools
import math
import re
from importlib import resources

_COORD = re.compile(r"^([+-]\d{4,6})([+-]\d{5,7})$")


def _degrees(text: str) -> float:
    sign = -1.0 if text[0] == "-" else 1.0
    digits = text[1:]
    head = 2 if len(digits) in (4, 6) else 3
    degrees = int(digits[:head])
    minutes = int(digits[head : head + 2])
    seconds = int(digits[head + 2 :] or 0)
    return sign * (degrees + minutes / 60 + seconds / 3600)


def _read_table() -> str:
    for name in ("zone.tab", "zone1970.tab"):
        try:
            return (resources.files("tzdata") / "zoneinfo" / name).read_text(encoding="utf-8")
        except (ModuleNotFoundError, FileNotFoundError):
            continue
    return ""


@functools.cache
def zones_by_country() -> dict[str, list[tuple[float, float, str]]]:
    """{"GH": [(5.55, -0.22, "Africa/Accra")], "US": [...]} from the tzdata package."""
    table: dict[str, list[tuple[float, float, str]]] = {}
    for line in _read_table().splitlines():
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) < 3:
            continue
        match = _COORD.match(parts[1])
        if match is None:
            continue
        lat, lon = _degrees(match.group(1)), _degrees(match.group(2))
        for country in parts[0].split(","):
            table.setdefault(country, []).append((lat, lon, parts[2]))
    return table


def time_zone_for(country_code: str, lat: float | None, lon: float | None) -> str:
    """The zone of `country_code` whose principal location is nearest to the point ("" if none)."""
    zones = zones_by_country().get(country_code.upper(), [])
    if not zones:
        return ""
    if len(zones) == 1 or lat is None or lon is None:
        return zones[0][2]
    scale = math.cos(math.radians(lat))
    return min(zones, key=lambda z: (z[0] - lat) ** 2 + ((z[1] - lon) * scale) ** 2)[2]
