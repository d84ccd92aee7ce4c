"""The short SMS grammar monitors learn, and the place names found inside free text.

    <code> <place> <count> <free text>        AC Tamale 3 youths fighting at the market

- `code`: the event type's SMS code (`EventType.sms_code`, any case): AC armed clash, PP
  peaceful protest… (the list is on the framework; `HELP` by SMS sends the format).
- `place`: one to three words, the name of a town, district or region.
- `count` (optional): people hurt; add a letter for other counts, several may follow each
  other: `3` or `3H` hurt, `2K` killed, `40D` displaced (`2K3H`: two killed, three hurt).
- `free text`: anything else, kept as the description.

Commas or semicolons may separate the parts ("AC, Tamale, 3, youths…"). A message that does not
start with a known code is free text: `place_in_text` then looks for a known place name in it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q
from rapidfuzz import fuzz, process

from i4p.core.text import fold
from i4p.geo.models import Place, PlaceAlias, PlaceKind
from i4p.geo.version import index_version
from i4p.warning.models import EventType, IndicatorFramework

_SPLIT = re.compile(r"[\s,;]+")
_COUNT = re.compile(r"^(?:\d{1,6}[khdKHD]?)+$")
_PART = re.compile(r"(\d{1,6})([khdKHD]?)")
MAX_PLACE_WORDS = 3

# Short words of the languages monitors write in (English, French, Haitian Creole) that are
# also the names of some hamlet: a free-text window made only of them is not a place. The
# compass words name regions too ("Nord", "Centre" in Haiti) but are mostly just words; the
# regions are still found in longer names ("Plaine du Nord") and by the short grammar.
COMMON_WORDS = frozenset(
    """
    a an and are at be but by for from have help here in is it me my need needs no not of on
    or our please send the there they this to us we with you your food water people house
    le la les de des du un une et est en au aux pour par pas que qui sur dans nous vous ils
    mwen nou yo li ou pa pou nan ak sa se ki te ap gen bay tout anpil moun manje dlo kay ede
    tanpri mesi bon fe konn kote lot yon youn map kap genyen vle
    centre nord sud ouest est
    """.split()  # noqa: SIM905 (a word list reads better as text)
)


@dataclass(frozen=True)
class ShortReport:
    event_type: EventType
    place_text: str
    killed: int | None
    injured: int | None
    displaced: int | None
    text: str


def codes_of(framework: IndicatorFramework) -> dict[str, EventType]:
    return {
        event_type.sms_code.strip().upper(): event_type
        for event_type in EventType.objects.filter(framework=framework).exclude(sms_code="")
    }


def _counts(token: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for number, letter in _PART.findall(token):
        name = {"k": "killed", "d": "displaced"}.get(letter.lower(), "injured")
        counts[name] = counts.get(name, 0) + int(number)
    return counts


def parse_short(
    text: str,
    codes: dict[str, EventType],
    *,
    is_place: Callable[[str], bool] | None = None,
) -> ShortReport | None:
    """The parts of a message in the short grammar, or None when it is free text."""
    tokens = [token for token in _SPLIT.split(text.strip()) if token]
    if len(tokens) < 2 or tokens[0].upper() not in codes:
        return None
    event_type = codes[tokens[0].upper()]
    rest = tokens[1:]
    count_at = next(
        (i for i, token in enumerate(rest[: MAX_PLACE_WORDS + 1]) if _COUNT.match(token)),
        None,
    )
    counts: dict[str, int] = {}
    if count_at is not None and count_at > 0:
        place_words = rest[:count_at]
        counts = _counts(rest[count_at])
        free = rest[count_at + 1 :]
    else:
        # No count: the longest known name among the next words, else the next word.
        size = 1
        if is_place is not None:
            size = next(
                (
                    n
                    for n in range(min(MAX_PLACE_WORDS, len(rest)), 0, -1)
                    if is_place(" ".join(rest[:n]))
                ),
                1,
            )
        place_words, free = rest[:size], rest[size:]
    return ShortReport(
        event_type=event_type,
        place_text=" ".join(place_words),
        killed=counts.get("killed"),
        injured=counts.get("injured"),
        displaced=counts.get("displaced"),
        text=" ".join(free),
    )


# Abbreviations of place names as people type them: "St Marc", "Ste Suzanne".
ABBREVIATIONS = {"st": "saint", "ste": "sainte", "mt": "mont"}
# A free-text window this long or longer may match a place name that is spelt a little
# differently ("Logane" for Léogâne); shorter ones must match exactly.
FUZZY_MIN_LENGTH = 6
FUZZY_SCORE = 88.0


def _windows(text: str) -> list[str]:
    words = [ABBREVIATIONS.get(word, word) for word in fold(text).split()]
    found: list[str] = []
    for size in range(MAX_PLACE_WORDS, 0, -1):
        for start in range(len(words) - size + 1):
            window = words[start : start + size]
            joined = " ".join(window)
            if len(joined) < 4 or all(word in COMMON_WORDS or word.isdigit() for word in window):
                continue
            found.append(joined)
    return found


def known_places(names: list[str], country: str) -> dict[str, Place]:
    """Folded name → a current place of that name (not the country itself), in one country."""
    if not names:
        return {}
    where = Q(country_code=country.upper()) if country else Q()
    current = Q(valid_until__isnull=True)
    places: dict[str, list[Place]] = {}
    for place in Place.objects.filter(where, current, name_folded__in=names).exclude(
        kind=PlaceKind.COUNTRY
    ):
        places.setdefault(place.name_folded, []).append(place)
    alias_where = Q(place__country_code=country.upper()) if country else Q()
    for alias in (
        PlaceAlias.objects.filter(
            alias_where, place__valid_until__isnull=True, name_folded__in=names
        )
        .exclude(place__kind=PlaceKind.COUNTRY)
        .select_related("place")
    ):
        places.setdefault(alias.name_folded, []).append(alias.place)
    return {
        name: max(candidates, key=lambda p: (p.population or 0, -len(p.path)))
        for name, candidates in places.items()
    }


_names_lock = threading.Lock()
_names: dict[tuple[str, int], list[str]] = {}


def _country_names(country: str) -> list[str]:
    """Every folded place name and alias of a country, cached per gazetteer version."""
    key = (country.upper(), index_version())
    if key not in _names:
        with _names_lock:
            names = {
                *Place.objects.filter(country_code=key[0], valid_until__isnull=True)
                .exclude(kind=PlaceKind.COUNTRY)
                .values_list("name_folded", flat=True),
                *PlaceAlias.objects.filter(place__country_code=key[0])
                .exclude(place__kind=PlaceKind.COUNTRY)
                .values_list("name_folded", flat=True),
            }
            _names.clear()  # one version at a time
            _names[key] = sorted(names)
    return _names[key]


def place_in_text(text: str, country: str) -> str:
    """A place name inside free text (1 to 3 words, the longest first), or "".

    An exact match gives the gazetteer's name; a near one (a letter or two off) gives the
    words as written, so the intake's geocoder matches them itself and flags the loose match.
    """
    windows = _windows(text)
    places = known_places(windows, country)
    for window in windows:  # longest windows come first
        if window in places:
            return places[window].name
    if not country:
        return ""
    names = _country_names(country)
    for window in windows:
        if len(window) < FUZZY_MIN_LENGTH:
            continue
        if process.extractOne(window, names, scorer=fuzz.ratio, score_cutoff=FUZZY_SCORE):
            return window
    return ""


def is_known_place(name: str, country: str) -> bool:
    folded = fold(name)
    return bool(folded) and bool(known_places([folded], country))
