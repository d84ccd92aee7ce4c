"""Places: countries, subdivisions and populated places in one hierarchy, with their codes."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from i4p.core.models import PublicModel


class PlaceKind(models.TextChoices):
    COUNTRY = "country", _("Country")
    ADMIN1 = "admin1", _("First-level subdivision")
    ADMIN2 = "admin2", _("Second-level subdivision")
    ADMIN3 = "admin3", _("Third-level subdivision")
    LOCALITY = "locality", _("Populated place")


class Place(PublicModel):
    """A place in one hierarchy: country > admin1 > admin2 > ... > locality.

    `path` is the chain of ancestor ids ("/4/87/912/"), so "everything inside this district"
    is one indexed prefix query on either database.
    """

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=12, choices=PlaceKind.choices, db_index=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0)
    country_code = models.CharField(max_length=2, db_index=True)  # ISO 3166-1 alpha-2
    # Folded name (no case, no diacritics) for fast exact and prefix matches.
    name_folded = models.CharField(max_length=200, db_index=True, default="")
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    population = models.PositiveBigIntegerField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, blank=True)
    valid_from = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)
    successors = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="predecessors"
    )

    class Meta:
        ordering = ["path"]
        indexes = [models.Index(fields=["country_code", "kind"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_current(self) -> bool:
        return self.valid_until is None


class CodeScheme(models.TextChoices):
    ISO3166_1 = "iso3166-1", "ISO 3166-1 alpha-2"
    ISO3166_1_A3 = "iso3166-1-a3", "ISO 3166-1 alpha-3"
    ISO3166_2 = "iso3166-2", "ISO 3166-2"
    PCODE = "pcode", "OCHA P-code"
    GEONAMES = "geonames", "GeoNames id"


class PlaceCode(models.Model):
    """One code of a place in one scheme (a place may have an ISO code, a P-code, a GeoNames id)."""

    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="codes")
    scheme = models.CharField(max_length=16, choices=CodeScheme.choices)
    code = models.CharField(max_length=40)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scheme", "code"], name="geo_placecode_unique")
        ]

    def __str__(self) -> str:
        return f"{self.scheme}:{self.code}"


class PlaceAlias(models.Model):
    """Another name of a place, in any language or script ("Barisāl", "Barisal", "বরিশাল")."""

    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=200)
    name_folded = models.CharField(max_length=200, db_index=True)
    language = models.CharField(max_length=16, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["place", "name"], name="geo_placealias_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Boundary(PublicModel):
    """An official boundary of a place, loaded by an admin (GeoJSON geometry, WGS 84)."""

    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="boundaries")
    geometry = models.JSONField()
    source = models.CharField(max_length=300, blank=True)
    # Bounding box, kept so a point can be tested only against boundaries that may hold it.
    min_lon = models.FloatField()
    min_lat = models.FloatField()
    max_lon = models.FloatField()
    max_lat = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["place", "source"], name="geo_boundary_unique")
        ]

    def __str__(self) -> str:
        return f"Boundary of {self.place}"


class IndexVersion(models.Model):
    """A number that every write to places or boundaries changes.

    Each process keeps its `locate`/`geocode` indexes in memory and rebuilds them when the
    counter has moved, so a place added in one web worker is seen by the others.
    """

    name = models.CharField(max_length=20, unique=True)
    value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"
