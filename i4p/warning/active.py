"""The active indicator framework, its event types and extra questions, read once per process.

Every report needs them and they change a few times a year, so each process keeps what it read
for `SECONDS`: a change saved in this process is seen at once (the model signals below forget
everything), one saved in another process within `SECONDS`. Reports that arrive in between are
still whole: they take the framework that was active a moment before, as a report sent a moment
earlier would have.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.db.models.signals import post_delete, post_save

from i4p.core.errors import Invalid
from i4p.warning.models import EventType, Indicator, IndicatorFramework, ReportField

SECONDS = 2.0
clock = time.monotonic  # tests move it on
T = TypeVar("T")
_kept: dict[tuple[Any, ...], tuple[float, Any]] = {}


def _read(key: tuple[Any, ...], load: Callable[[], T]) -> T:
    now = clock()
    hit = _kept.get(key)
    if hit is not None and now - hit[0] < SECONDS:
        return hit[1]  # type: ignore[no-any-return]
    value = load()
    _kept[key] = (now, value)
    return value


def forget(**_: Any) -> None:
    """Read everything afresh on next use (after a configuration change, or between tests)."""
    _kept.clear()


def framework() -> IndicatorFramework:
    found = _read(
        ("framework",),
        lambda: (
            IndicatorFramework.objects.filter(is_active=True).order_by("slug", "-version").first()
        ),
    )
    if found is None:
        raise Invalid("No indicator framework is active: load one with `i4p load_framework`.")
    return found


def fields(framework_id: int) -> list[ReportField]:
    """The framework's active extra questions, in their order on the form."""
    return _read(
        ("fields", framework_id),
        lambda: list(
            ReportField.objects.filter(framework_id=framework_id, is_active=True).order_by(
                "position", "key"
            )
        ),
    )


def event_type(framework_id: int, code: str) -> EventType | None:
    by_code = _read(
        ("event types", framework_id),
        lambda: {t.code: t for t in EventType.objects.filter(framework_id=framework_id)},
    )
    return by_code.get(code)


for _model in (IndicatorFramework, Indicator, EventType, ReportField):
    post_save.connect(forget, sender=_model, dispatch_uid=f"active-forget-save-{_model.__name__}")
    post_delete.connect(
        forget, sender=_model, dispatch_uid=f"active-forget-delete-{_model.__name__}"
    )
