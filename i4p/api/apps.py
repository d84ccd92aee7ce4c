"""App config of api."""

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "i4p.api"
    label = "api"
    verbose_name = "API"
