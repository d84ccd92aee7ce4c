"""From a name to places: exact and prefix matches from the database, then fuzzy ones.

Names and aliases are compared folded (no case, no diacritics), so "Barisāl" finds
"Barisal"; aliases carry other spellings and former names ("Chittagong" → Chattogram).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Final

from django.db.models import Q
from rapidfuzz import fuzz, process

from i4p.core.errors import Invalid
from i4p.core.text import fold
from i4p.geo.models import Place, PlaceAlias, PlaceCode, PlaceKind
from i4p.geo.version import index_version

KIND_ORDER: Final[dict[str, int]] = {
    PlaceKind.COUNTRY: 0,
    PlaceKind.ADMIN1: 1,
    PlaceKind.ADMIN2: 2,
    PlaceKind.ADMIN3: 3,
    PlaceKind.LOCALITY: 4,
}
# Fuzzy scores sit below every prefix match: a close guess never outranks a real match.
FUZZY_CEILING = 89.0
FUZZY_FLOOR = 75.0


@dataclass(frozen=True)
class Candidate:
    """One answer: the place, how sure (0 to 100), the name that matched, and how it matched."""

    place: Place
    score: float
    matched_name: str
    kind: str  # "code", "exact", "prefix" or "fuzzy"


class _Names:
    """Every folded name and alias, per country, for fuzzy matching in memory."""

    def __init__(self, version: int) -> None:
        self.version = version
        self.by_country: dict[str, tuple[list[str], list[tuple[int, str]]]] = {}
        everyone: tuple[list[str], list[tuple[int, str]]] = ([], [])
        rows = [
            *Place.objects.order_by().values_list("country_code", "name_folded", "id", "name"),
            *PlaceAlias.objects.order_by().values_list(
                "place__country_code", "name_folded", "place_id", "name"
            ),
        ]
        for country, folded, place_id, name in rows:
            names, owners = self.by_country.setdefault(country, ([], []))
            names.append(folded)
            owners.append((place_id, name))
            everyone[0].append(folded)
            everyone[1].append((place_id, name))
        self.everyone = everyone


_lock = threading.Lock()
_names: _Names | None = None


def _name_index() -> _Names:
    global _names
    version = index_version()
    if _names is None or _names.version != version:
        with _lock:
            if _names is None or _names.version != version:
                _names = _Names(version)
    return _names


def geocode(text: str, country: str | None = None, limit: int = 10) -> list[Candidate]:
    """Places whose name, alias or code matches `text`, best first."""
    query = fold(text)
    if not query:
        raise Invalid("Give a place name to look for.", fields={"q": ["empty"]})
    limit = max(1, min(limit, 100))
    country = country.upper() if country else None
    where = Q(country_code=country) if country else Q()
    found: dict[int, tuple[float, str, str]] = {}

    def offer(place_id: int, score: float, name: str, kind: str) -> None:
        if place_id not in found or found[place_id][0] < score:
            found[place_id] = (score, name, kind)

    for place_id, code in PlaceCode.objects.filter(
        Q(code__iexact=text.strip()), *([Q(place__country_code=country)] if country else [])
    ).values_list("place_id", "code"):
        offer(place_id, 100.0, code, "code")
    alias_where = Q(place__country_code=country) if country else Q()
    for place_id, name, folded in [
        *Place.objects.filter(where, name_folded__startswith=query).values_list(
            "id", "name", "name_folded"
        )[:500],
        *PlaceAlias.objects.filter(alias_where, name_folded__startswith=query).values_list(
            "place_id", "name", "name_folded"
        )[:500],
    ]:
        if folded == query:
            offer(place_id, 100.0, name, "exact")
        else:
            # Shorter completions rank higher: "Bari" → "Barisal" before "Barisal Sadar".
            offer(place_id, 90.0 + 9.0 * len(query) / len(folded), name, "prefix")
    if len(found) < limit:
        names = _name_index()
        choices, owners = names.by_country.get(country, ([], [])) if country else names.everyone
        for _, score, position in process.extract(
            query, choices, scorer=fuzz.ratio, limit=limit * 5, score_cutoff=FUZZY_FLOOR
        ):
            place_id, name = owners[position]
            offer(place_id, min(float(score), FUZZY_CEILING), name, "fuzzy")
    places = Place.objects.select_related("parent").in_bulk(list(found))

    def rank(place_id: int) -> tuple[float, int, int, int, str]:
        place = places[place_id]
        return (
            -found[place_id][0],
            place.valid_until is not None,
            KIND_ORDER.get(place.kind, 9),
            -(place.population or 0),
            place.name_folded,
        )

    ordered = sorted((pk for pk in found if pk in places), key=rank)[:limit]
    return [
        Candidate(
            place=places[pk],
            score=round(found[pk][0], 1),
            matched_name=found[pk][1],
            kind=found[pk][2],
        )
        for pk in ordered
    ]
