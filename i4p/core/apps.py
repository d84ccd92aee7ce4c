"""App config of core."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "i4p.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from i4p.core import checks  # noqa: F401  (registers the settings checks)
