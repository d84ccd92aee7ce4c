"""Place reads. Places are public: every caller sees the same hierarchy."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet

from i4p.core.errors import Invalid, NotFound
from i4p.core.kept import Kept
from i4p.core.text import fold
from i4p.geo.models import Place, PlaceAlias, PlaceKind


@dataclass(frozen=True)
class PlaceFilters:
    kind: str = ""
    country: str = ""
    parent: uuid.UUID | None = None
    q: str = ""
    current_only: bool = False


def search_places(filters: PlaceFilters) -> QuerySet[Place]:
    """Places matching the filters, with their parent loaded (one query for a page)."""
    places = Place.objects.select_related("parent")
    if filters.kind:
        if filters.kind not in PlaceKind.values:
            raise Invalid(f"Unknown kind {filters.kind!r}.", fields={"kind": ["unknown"]})
        places = places.filter(kind=filters.kind)
    if filters.country:
        places = places.filter(country_code=filters.country.upper())
    if filters.parent is not None:
        parent = Place.objects.filter(uuid=filters.parent).first()
        if parent is None:
            raise NotFound("No such parent place.", fields={"parent": ["unknown"]})
        places = places.filter(parent=parent)
    if filters.q and fold(filters.q):
        folded = fold(filters.q)
        aliased = PlaceAlias.objects.filter(place=OuterRef("pk"), name_folded__contains=folded)
        places = places.filter(Q(name_folded__contains=folded) | Exists(aliased))
    if filters.current_only:
        places = places.filter(valid_until__isnull=True)
    return places.order_by("depth", "name_folded", "id")


def place_detail(place_uuid: uuid.UUID) -> Place:
    """One place with its codes, aliases, successors and predecessors."""
    place = (
        Place.objects.select_related("parent")
        .prefetch_related("codes", "aliases", "successors", "predecessors")
        .filter(uuid=place_uuid)
        .first()
    )
    if place is None:
        raise NotFound("No such place.")
    return place


def ancestors_of(place: Place) -> list[Place]:
    """The chain from the country down to the place's parent, in one query."""
    ids = [int(part) for part in place.path.strip("/").split("/")[:-1] if part]
    by_id = Place.objects.in_bulk(ids)
    return [by_id[i] for i in ids if i in by_id]


def place_by_uuid(place_uuid: uuid.UUID | None, *, field: str = "parent") -> Place | None:
    if place_uuid is None:
        return None
    place = Place.objects.filter(uuid=place_uuid).first()
    if place is None:
        raise NotFound("No such place.", fields={field: ["unknown"]})
    return place


_countries: Kept[tuple[str, ...]] = Kept("instance countries", changed_by=(Place,))


def instance_countries() -> tuple[str, ...]:
    """The ISO codes of the countries the instance holds (read at most every few seconds)."""
    return _countries.read(
        "all",
        lambda: tuple(
            Place.objects.filter(kind=PlaceKind.COUNTRY)
            .order_by("country_code")
            .values_list("country_code", flat=True)
        ),
    )
