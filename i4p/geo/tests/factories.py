"""Factories for geo tests: a small place tree built through the same path rules."""

from __future__ import annotations

from i4p.geo.models import Place


def make_place(
    name: str,
    *,
    kind: str = "country",
    parent: Place | None = None,
    country_code: str = "",
    lat: float | None = None,
    lon: float | None = None,
) -> Place:
    from i4p.core.text import fold

    place = Place.objects.create(
        name=name,
        kind=kind,
        parent=parent,
        name_folded=fold(name),
        country_code=country_code or (parent.country_code if parent else name[:2].upper()),
        latitude=lat,
        longitude=lon,
        depth=(parent.depth + 1) if parent else 0,
    )
    place.path = f"{parent.path if parent else '/'}{place.pk}/"
    place.save(update_fields=["path"])
    return place
