"""GeoJSON (RFC 7946): actors as Points at their place, longitude first, WGS 84, no `crs`.

An actor whose place (and every place above it) has no coordinates is left out: a map
cannot show it. Coordinates keep six decimals (about 10 cm), as RFC 7946 advises.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from i4p.registry.exchange.places import PlaceBook
from i4p.registry.exchange.source import ExportSource
from i4p.registry.models import Actor


def actors_geojson(source: ExportSource) -> Iterator[str]:
    yield '{"type":"FeatureCollection","features":['
    first = True
    for batch in source.batches():
        features = [f for f in (feature(actor, source.places) for actor in batch) if f]
        if not features:
            continue
        text = ",".join(json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features)
        yield ("" if first else ",") + text
        first = False
    yield "]}\n"


def feature(actor: Actor, places: PlaceBook) -> dict[str, Any] | None:
    place = places.get(actor.place_id)
    point = places.point(place) if place is not None else None
    if place is None or point is None:
        return None
    longitude, latitude = point
    return {
        "type": "Feature",
        "id": str(actor.uuid),
        "geometry": {"type": "Point", "coordinates": [round(longitude, 6), round(latitude, 6)]},
        "properties": {
            "name": actor.name,
            "acronym": actor.acronym,
            "kind": actor.kind,
            "kind_label": str(actor.get_kind_display()),
            "level": actor.level,
            "status": actor.status,
            "themes": sorted(theme.slug for theme in actor.themes.all()),
            "place": place.name,
            "country_code": place.country_code,
            "website": actor.website,
            "illustrative": actor.illustrative,
        },
    }
