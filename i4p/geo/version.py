"""The places index version: bumped by every write, read by the in-process indexes."""

from __future__ import annotations

from django.db.models import F

from i4p.geo.models import IndexVersion

_NAME = "places"


def bump_index_version() -> None:
    """Tell every process that places or boundaries changed (inside the write transaction)."""
    updated = IndexVersion.objects.filter(name=_NAME).update(value=F("value") + 1)
    if not updated:
        IndexVersion.objects.get_or_create(name=_NAME, defaults={"value": 1})


def index_version() -> int:
    value = IndexVersion.objects.filter(name=_NAME).values_list("value", flat=True).first()
    return int(value or 0)
