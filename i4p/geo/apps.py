"""App config of geo."""

from django.apps import AppConfig


class GeoConfig(AppConfig):
    name = "i4p.geo"
    label = "geo"
    verbose_name = "Geography"
