"""The active indicator framework, its event types and extra questions, read once per process.

Every report needs them and they change a few times a year, so each process keeps what it read
for a moment (`i4p.core.kept`): a change saved in this process is seen at once, one saved in
another process within `kept.SECONDS`. Reports that arrive in between are still whole: they
take the framework that was active a moment before, as a report sent a moment earlier would
have.
"""

from __future__ import annotations

from i4p.core.errors import Invalid
from i4p.core.kept import Kept
from i4p.warning.models import EventType, Indicator, IndicatorFramework, ReportField

_CONFIGURATION = (IndicatorFramework, Indicator, EventType, ReportField)
_framework: Kept[IndicatorFramework | None] = Kept("framework", changed_by=_CONFIGURATION)
_fields: Kept[list[ReportField]] = Kept("report fields", changed_by=_CONFIGURATION)
_event_types: Kept[dict[str, EventType]] = Kept("event types", changed_by=_CONFIGURATION)


def forget() -> None:
    """Read everything afresh on next use (after a configuration change)."""
    for kind in (_framework, _fields, _event_types):
        kind.forget()


def framework() -> IndicatorFramework:
    found = _framework.read(
        "active",
        lambda: (
            IndicatorFramework.objects.filter(is_active=True).order_by("slug", "-version").first()
        ),
    )
    if found is None:
        raise Invalid("No indicator framework is active: load one with `i4p load_framework`.")
    return found


def fields(framework_id: int) -> list[ReportField]:
    """The framework's active extra questions, in their order on the form."""
    return _fields.read(
        framework_id,
        lambda: list(
            ReportField.objects.filter(framework_id=framework_id, is_active=True).order_by(
                "position", "key"
            )
        ),
    )


def event_type(framework_id: int, code: str) -> EventType | None:
    by_code = _event_types.read(
        framework_id,
        lambda: {t.code: t for t in EventType.objects.filter(framework_id=framework_id)},
    )
    return by_code.get(code)
