"""Text helpers shared by search, geocoding and duplicate detection."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)


def fold(text: str) -> str:
    """Lower-case, strip diacritics and punctuation: "Barisāl" and "Barisal" fold alike.

    Letters of non-Latin scripts are kept as they are (Arabic, Cyrillic names stay searchable).
    """
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = _PUNCT.sub(" ", stripped.casefold())
    return _SPACES.sub(" ", stripped).strip()
