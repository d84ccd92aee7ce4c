"""Factories for geo tests: a small place tree built through the place services."""

from __future__ import annotations

from i4p.geo.models import Place
from i4p.geo.services import create_place


def make_place(
    name: str,
    *,
    kind: str = "country",
    parent: Place | None = None,
    country_code: str = "",
    lat: float | None = None,
    lon: float | None = None,
) -> Place:
    code = country_code or (parent.country_code if parent else name[:2].upper())
    return create_place(
        name, kind=kind, parent=parent, country_code=code, latitude=lat, longitude=lon
    )
