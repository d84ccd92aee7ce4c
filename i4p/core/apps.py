"""App config of core."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "i4p.core"
    label = "core"
    verbose_name = "Core"
