"""Places as exchange files name them: ISO 3166 codes, OCHA P-codes, or our own place ids."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from i4p.core.text import fold
from i4p.geo.models import CodeScheme, Place, PlaceCode, PlaceKind

# The code that names a place best outside this instance, in order of preference.
_CODE_PREFERENCE = [CodeScheme.ISO3166_2, CodeScheme.PCODE, CodeScheme.GEONAMES]
# Schemes searched when a file gives a code for a place below the country.
_SUBDIVISION_SCHEMES = [CodeScheme.ISO3166_2, CodeScheme.PCODE, CodeScheme.ISO3166_1_A3]


def as_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text.strip())
    except (ValueError, AttributeError):
        return None


class PlaceBook:
    """The places an export names, with their ancestors and codes, loaded in batches.

    An export of many actors names few places many times: each place is read once.
    """

    def __init__(self) -> None:
        self._places: dict[int, Place] = {}
        self._codes: dict[int, dict[str, str]] = {}

    def load(self, place_ids: Iterable[int | None]) -> None:
        wanted = {pk for pk in place_ids if pk is not None and pk not in self._places}
        if not wanted:
            return
        found = list(Place.objects.filter(pk__in=wanted))
        ancestors = (
            {int(part) for place in found for part in place.path.strip("/").split("/") if part}
            - set(self._places)
            - wanted
        )
        found += list(Place.objects.filter(pk__in=ancestors))
        for place in found:
            self._places[place.pk] = place
            self._codes.setdefault(place.pk, {})
        for place_id, scheme, code in PlaceCode.objects.filter(
            place_id__in=[place.pk for place in found]
        ).values_list("place_id", "scheme", "code"):
            self._codes[place_id][scheme] = code

    def get(self, place_id: int | None) -> Place | None:
        return self._places.get(place_id) if place_id is not None else None

    def places(self) -> list[Place]:
        return list(self._places.values())

    def lineage(self, place: Place) -> list[Place]:
        """The place's ancestors from the country down, then the place itself."""
        ids = [int(part) for part in place.path.strip("/").split("/") if part]
        return [self._places[pk] for pk in ids if pk in self._places] or [place]

    def ancestor(self, place: Place, kind: str) -> Place | None:
        return next((p for p in self.lineage(place) if p.kind == kind), None)

    def code(self, place: Place) -> str:
        """The public code of a place: ISO 3166-1 for a country, else ISO 3166-2 or P-code."""
        if place.kind == PlaceKind.COUNTRY:
            return place.country_code
        codes = self._codes.get(place.pk, {})
        return next((codes[scheme] for scheme in _CODE_PREFERENCE if scheme in codes), "")

    def reference(self, place: Place) -> str:
        """A code when the place has one, else its id: what an import can find again."""
        return self.code(place) or str(place.uuid)

    def point(self, place: Place) -> tuple[float, float] | None:
        """(longitude, latitude) of the place, or of its nearest located ancestor."""
        for candidate in reversed(self.lineage(place)):
            if candidate.latitude is not None and candidate.longitude is not None:
                return candidate.longitude, candidate.latitude
        return None


class PlaceFinder:
    """Finds the place a file names by id, ISO 3166 code or P-code (remembering answers)."""

    def __init__(self) -> None:
        self._seen: dict[str, Place | None] = {}

    def find(self, reference: str) -> Place | None:
        key = reference.strip()
        if not key:
            return None
        if key not in self._seen:
            self._seen[key] = self._lookup(key)
        return self._seen[key]

    def _lookup(self, key: str) -> Place | None:
        as_id = as_uuid(key)
        if as_id is not None:
            return Place.objects.filter(uuid=as_id).first()
        upper = key.upper()
        if len(upper) == 2 and upper.isalpha():
            coded = PlaceCode.objects.filter(scheme=CodeScheme.ISO3166_1, code=upper).first()
            if coded is not None:
                return coded.place
            return (
                Place.objects.filter(kind=PlaceKind.COUNTRY, country_code=upper)
                .order_by("valid_until", "pk")
                .first()
            )
        for code in dict.fromkeys([key, upper]):
            coded = (
                PlaceCode.objects.filter(code=code, scheme__in=_SUBDIVISION_SCHEMES)
                .select_related("place")
                .first()
            )
            if coded is not None:
                return coded.place
        return None

    def locality(self, name: str, *, inside: Place | None) -> list[Place]:
        """Places named `name` (folded) inside `inside`: how a file's "#loc +name" is found."""
        places = Place.objects.filter(name_folded=fold(name))
        if inside is not None:
            places = places.filter(path__startswith=inside.path).exclude(pk=inside.pk)
        return list(places[:2])
