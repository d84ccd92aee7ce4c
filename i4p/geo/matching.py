"""Matching names from one source (GeoNames, OCHA, a boundary file) to known places.

Exact folded names win; the rest are paired one-to-one by the best total fuzzy score, so
"Chittagong" can still meet "Chattogram" once every easier name has found its place.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

import numpy as np
from rapidfuzz import fuzz, process
from scipy.optimize import linear_sum_assignment

from i4p.core.text import fold

K = TypeVar("K", bound=Hashable)

# Words that say what kind of unit a name is, not which one ("Rangpur Division" = "Rangpur").
_UNIT_WORDS = re.compile(
    r"\b(division|region|province|state|county|district|governorate|department|departement|"
    r"prefecture|municipality|territory|oblast|wilaya|provincia|regiao|region de|city)\b"
)
# Below this a fuzzy pair is a guess, not a match.
FUZZY_THRESHOLD = 85.0
# Leftovers, once every clearer pair is made, may pair at a lower score.
LEFTOVER_THRESHOLD = 55.0


def match_key(name: str) -> str:
    """The folded name without unit words: what two spellings of one place share."""
    folded = fold(name)
    stripped = " ".join(_UNIT_WORDS.sub(" ", folded).split())
    return stripped or folded


def match_names(
    names: Sequence[str],
    targets: Mapping[K, Sequence[str]],
    *,
    leftovers: bool = True,
) -> dict[int, K]:
    """Pair `names[i]` with a target key; each target names itself by one or more names.

    Returns {index in names: target key} for the names that found a place.
    """
    result: dict[int, K] = {}
    by_key: dict[str, list[K]] = {}
    for key, target_names in targets.items():
        for target_name in target_names:
            by_key.setdefault(match_key(target_name), []).append(key)
    taken: set[K] = set()
    pending: list[int] = []
    for index, name in enumerate(names):
        candidates = [k for k in dict.fromkeys(by_key.get(match_key(name), [])) if k not in taken]
        if candidates:
            result[index] = candidates[0]
            taken.add(candidates[0])
        else:
            pending.append(index)
    free = [key for key in targets if key not in taken]
    if not pending or not free:
        return result
    free_names = [[match_key(n) for n in targets[key]] for key in free]
    scores = np.zeros((len(pending), len(free)), dtype=np.float64)
    for column, keys in enumerate(free_names):
        for key_name in keys:
            column_scores = process.cdist(
                [match_key(names[i]) for i in pending], [key_name], scorer=fuzz.WRatio
            )[:, 0]
            scores[:, column] = np.maximum(scores[:, column], column_scores)
    rows, columns = linear_sum_assignment(scores, maximize=True)
    floor = LEFTOVER_THRESHOLD if leftovers else FUZZY_THRESHOLD
    for row, column in zip(rows, columns, strict=True):
        if scores[row, column] >= floor:
            result[pending[row]] = free[column]
    return result
