"""Rows nearly every request reads and that rarely change, kept by each process for a moment.

A machine client sending hundreds of reports a second names the same place, framework and
reporter each time; reading them once every `SECONDS` instead of once a request is most of
what a report costs. A change saved in this process is seen at once (the model signals forget
what was kept); one saved in another process within `SECONDS`. Only rows that were found are
kept: what is missing is read again on every use, so a new row is never hidden.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Hashable, Iterable
from typing import Any, Generic, TypeVar

from django.db.models import Model
from django.db.models.signals import post_delete, post_save

SECONDS = 2.0
MOST = 10_000  # rows one kind keeps at most; past that it starts again
clock = time.monotonic  # tests move it on
T = TypeVar("T")

_all: list[Kept[Any]] = []


class Kept(Generic[T]):
    """One kind of kept rows, forgotten whenever one of `changed_by` is saved or deleted.

    With `copies`, each caller gets its own shallow copy, so nothing one request sets on a
    kept row reaches another.
    """

    def __init__(
        self, name: str, *, changed_by: Iterable[type[Model]], copies: bool = False
    ) -> None:
        self.name = name
        self.copies = copies
        self._rows: dict[Hashable, tuple[float, T]] = {}
        for model in changed_by:
            uid = f"kept-{name}-{model._meta.label_lower}"
            post_save.connect(self.forget, sender=model, weak=False, dispatch_uid=uid + "-save")
            post_delete.connect(self.forget, sender=model, weak=False, dispatch_uid=uid + "-del")
        _all.append(self)

    def read(self, key: Hashable, load: Callable[[], T]) -> T:
        now = clock()
        hit = self._rows.get(key)
        if hit is not None and now - hit[0] < SECONDS:
            value = hit[1]
        else:
            found = load()
            if found is None:
                self._rows.pop(key, None)
                return found
            if len(self._rows) >= MOST:
                self._rows.clear()
            self._rows[key] = (now, found)
            value = found
        return copy.copy(value) if self.copies else value

    def forget(self, **_: Any) -> None:
        """Read every row afresh on its next use."""
        self._rows.clear()


def forget_all() -> None:
    """As in a new process (between tests)."""
    for kind in _all:
        kind.forget()
