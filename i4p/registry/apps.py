"""App config of registry."""

from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "i4p.registry"
    label = "registry"
    verbose_name = "Actor registry"
