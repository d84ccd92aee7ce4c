"""Early-warning API: reports, review, external events, exports."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["early warning"])
