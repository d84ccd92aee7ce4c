"""Bench-only Django settings for `bench/delivery.py` (never part of the product): the
product's settings plus `bench/delivery_hook.py`, which queues the bench's tasks on every new
report's commit (see there)."""

from __future__ import annotations

from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench.delivery_hook.BenchDeliveryConfig"]
