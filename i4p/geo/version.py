"""The places index version: changed by every write, read by the in-process indexes.

The version is a random number, not a counter: a rolled-back write restores the old value,
and a counter would then hand out the same number again for different data.
"""

from __future__ import annotations

import secrets

from i4p.geo.models import IndexVersion

_NAME = "places"


def bump_index_version() -> None:
    """Tell every process that places or boundaries changed (inside the write transaction)."""
    value = secrets.randbits(62)
    if not IndexVersion.objects.filter(name=_NAME).update(value=value):
        IndexVersion.objects.update_or_create(name=_NAME, defaults={"value": value})


def index_version() -> int:
    value = IndexVersion.objects.filter(name=_NAME).values_list("value", flat=True).first()
    return int(value or 0)
