"""Actors (organisations and mechanisms), their typed relations, contacts and edit history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from i4p.core.models import PublicModel
from i4p.geo.models import Place


class ActorKind(models.TextChoices):
    CSO = "cso", _("Civil society organisation")
    NETWORK = "network", _("Network")
    LOCAL_PEACE_COMMITTEE = "lpc", _("Local peace committee")
    PEACE_COUNCIL = "peace_council", _("Peace council")
    GOVERNMENT = "government", _("Government ministry or department")
    PARLIAMENT = "parliament", _("Parliament or parliamentarians' network")
    RIGO = "rigo", _("Regional intergovernmental organisation")
    UN_ENTITY = "un", _("UN entity")
    DONOR = "donor", _("Donor")
    ACADEMIC = "academic", _("Academic or research institution")
    TRADITIONAL = "traditional", _("Traditional or religious authority")
    OTHER = "other", _("Other")


class Level(models.TextChoices):
    COMMUNITY = "community", _("Community")
    DISTRICT = "district", _("District")
    SUBNATIONAL = "subnational", _("Subnational")
    NATIONAL = "national", _("National")
    REGIONAL = "regional", _("Regional")
    CONTINENTAL = "continental", _("Continental")
    GLOBAL = "global", _("Global")


# Levels from the ground up: used to tell who links local to national to regional.
LEVEL_ORDER = [level.value for level in Level]

# Kinds that are a "local peace mechanism" for coverage-gap analysis.
LOCAL_MECHANISM_KINDS = frozenset({ActorKind.LOCAL_PEACE_COMMITTEE, ActorKind.PEACE_COUNCIL})


class Moderation(models.TextChoices):
    PENDING = "pending", _("Awaiting moderation")
    PUBLISHED = "published", _("Published")
    REJECTED = "rejected", _("Rejected")
    MERGED = "merged", _("Merged into another entry")


class ActorStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    DORMANT = "dormant", _("Dormant")
    DISSOLVED = "dissolved", _("Dissolved")


class Theme(models.Model):
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Actor(PublicModel):
    name = models.CharField(max_length=300)
    acronym = models.CharField(max_length=40, blank=True)
    other_names = models.JSONField(default=list, blank=True)
    kind = models.CharField(max_length=16, choices=ActorKind.choices, db_index=True)
    level = models.CharField(max_length=12, choices=Level.choices, db_index=True)
    description = models.TextField(blank=True)
    themes = models.ManyToManyField(Theme, blank=True, related_name="actors")
    # Where the actor sits: anchors the map and the access scope of its private data.
    place = models.ForeignKey(
        Place, null=True, blank=True, on_delete=models.PROTECT, related_name="seated_actors"
    )
    coverage = models.ManyToManyField(Place, blank=True, related_name="covering_actors")
    website = models.URLField(max_length=500, blank=True)
    founded_on = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=ActorStatus.choices, default=ActorStatus.ACTIVE
    )
    moderation = models.CharField(
        max_length=10, choices=Moderation.choices, default=Moderation.PENDING, db_index=True
    )
    rejection_reason = models.TextField(blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_from"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Where the facts come from: a quotation and a link, shown on the actor page.
    sources = models.JSONField(default=list, blank=True)
    # Entries made up to make a demo lively are marked, and shown as such, everywhere.
    illustrative = models.BooleanField(default=False)
    # Contact of a public submitter, for moderators only; never shown or exported.
    submitter_email = models.EmailField(blank=True)
    # Folded name, acronym and other names: the text search and duplicate check read this.
    search_text = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["moderation", "kind", "level"]),
            # The directory's first page: published entries by name, read in index order.
            models.Index(fields=["moderation", "name", "id"], name="registry_actor_directory"),
            # The directory map counts entries per seat from this index alone.
            models.Index(fields=["moderation", "place"], name="registry_actor_seats"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.acronym})" if self.acronym else self.name


class ActorIdentifier(models.Model):
    """An identifier of an actor in a scheme, e.g. an IATI organisation id `GH-DSW-1234`."""

    actor = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="identifiers")
    scheme = models.CharField(max_length=40)  # "iati", "wikidata", "registration", …
    identifier = models.CharField(max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "identifier"], name="registry_identifier_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.scheme}:{self.identifier}"


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public")
    PRIVATE = "private", _("Staff of the area only")


class ContactPoint(PublicModel):
    """A way to reach an actor. A named person appears only with their recorded consent."""

    actor = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="contacts")
    kind = models.CharField(max_length=12)  # email, phone, address, url
    value = models.CharField(max_length=300)
    label = models.CharField(max_length=120, blank=True)
    person_name = models.CharField(max_length=200, blank=True)
    consent_at = models.DateTimeField(null=True, blank=True)
    visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.PRIVATE
    )

    def __str__(self) -> str:
        return f"{self.kind}: {self.label or self.kind}"


class RelationKind(models.TextChoices):
    MEMBER_OF = "member-of", _("is a member of")
    PARTNER_OF = "partner-of", _("is a partner of")
    FUNDS = "funds", _("funds")
    REPORTS_TO = "reports-to", _("reports to")
    CONVENES = "convenes", _("convenes")
    ACCREDITED_TO = "accredited-to", _("is accredited to")
    LIAISES_WITH = "liaises-with", _("liaises with")


class Relation(PublicModel):
    """A typed, directed, dated edge: `source` <kind> `target` (WANEP is a member of GPPAC)."""

    source = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="relations_out")
    target = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="relations_in")
    kind = models.CharField(max_length=16, choices=RelationKind.choices, db_index=True)
    started_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    source_text = models.TextField(blank=True)
    source_url = models.URLField(max_length=500, blank=True)
    visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    illustrative = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "target", "kind"], name="registry_relation_unique"
            ),
            models.CheckConstraint(
                condition=~models.Q(source=models.F("target")), name="registry_relation_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.kind} {self.target}"


class Representative(PublicModel):
    """A user who acts for an actor (a responder speaks for their peace committee)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="represents"
    )
    actor = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="representatives")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "actor"], name="registry_representative_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} for {self.actor}"


class ActorVersion(models.Model):
    """One edit of an actor: who changed which public fields from what to what."""

    actor = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="versions")
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(max_length=40)
    changes = models.JSONField(default=dict)  # {field: [before, after]}, public fields only
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.actor} {self.action} {self.at:%Y-%m-%d}"
