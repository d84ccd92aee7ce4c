"""App config of warning."""

from django.apps import AppConfig


class WarningConfig(AppConfig):
    name = "i4p.warning"
    label = "warning"
    verbose_name = "Early warning"
