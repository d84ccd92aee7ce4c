"""App config of geo."""

from django.apps import AppConfig


class GeoConfig(AppConfig):
    name = "i4p.geo"
    label = "geo"
    verbose_name = "Geography"

    def ready(self) -> None:
        from i4p.core.redact import add_region_source
        from i4p.geo.selectors import instance_countries

        # Numbers written the national way are masked for the countries the instance holds.
        add_region_source(instance_countries)
