"""App config of warning."""

from typing import Any

from django.apps import AppConfig


class WarningConfig(AppConfig):
    name = "i4p.warning"
    label = "warning"
    verbose_name = "Early warning"

    def ready(self) -> None:
        from i4p.warning import checks  # noqa: F401  (registers the key checks)

    def extend_demo(self, summary: Any, progress: Any) -> list[str]:
        """`i4p demo` calls this after the registry's part (registry cannot import warning)."""
        from i4p.warning.demo import load_warning_demo

        return load_warning_demo(summary, progress=progress)
