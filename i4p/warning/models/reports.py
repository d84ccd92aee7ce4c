"""Early warning intake: indicator frameworks, reporters, raw inbound messages, reports,
incidents and external events.

Reporter identity lives only in `Reporter.identity` and `InboundMessage.payload`, both
encrypted (see `identity.py`); every other column may be shown to staff with the right scope.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from i4p.core.models import PublicModel
from i4p.geo.models import Place
from i4p.registry.models import Actor

# -- indicator frameworks -----------------------------------------------------------------


class Sector(models.TextChoices):
    SECURITY = "security", _("Security")
    GOVERNANCE = "governance", _("Governance and human rights")
    SOCIAL_ECONOMIC = "social_economic", _("Social and economic")
    ENVIRONMENT = "environment", _("Environment and natural resources")
    HEALTH = "health", _("Health")
    HUMANITARIAN = "humanitarian", _("Humanitarian")
    POLITICAL = "political", _("Political")


class Polarity(models.TextChoices):
    """CEWARN reads every indicator as pointing towards conflict or towards peace."""

    CONFLICT = "conflict", _("Conflict indicator")
    PEACE = "peace", _("Peace indicator")


class ValueType(models.TextChoices):
    COUNT = "count", _("Count")
    SCALE = "scale", _("Scale 0 to 4")
    YES_NO = "yes_no", _("Yes or no")
    NUMBER = "number", _("Number")
    TEXT = "text", _("Text")


class IndicatorFramework(PublicModel):
    """A versioned set of indicators and event types. Reports keep the version they used."""

    slug = models.SlugField(max_length=60)
    version = models.PositiveIntegerField(default=1)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    # Analysis parameters (part 2 reads them); documented defaults live in code.
    parameters = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["slug", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["slug", "version"], name="framework_slug_version")
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class Indicator(PublicModel):
    framework = models.ForeignKey(
        IndicatorFramework, on_delete=models.CASCADE, related_name="indicators"
    )
    code = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    sector = models.CharField(max_length=20, choices=Sector.choices)
    polarity = models.CharField(max_length=10, choices=Polarity.choices)
    value_type = models.CharField(max_length=10, choices=ValueType.choices)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["framework", "position", "code"]
        constraints = [models.UniqueConstraint(fields=["framework", "code"], name="indicator_code")]

    def __str__(self) -> str:
        return self.name


class EventType(PublicModel):
    """An incident type; the top level and sub-types line up with ACLED's event types."""

    framework = models.ForeignKey(
        IndicatorFramework, on_delete=models.CASCADE, related_name="event_types"
    )
    code = models.CharField(max_length=60)  # "battles", "battles.armed_clash"
    name = models.CharField(max_length=200)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="subtypes"
    )
    acled_event_type = models.CharField(max_length=80, blank=True)
    acled_sub_event_type = models.CharField(max_length=120, blank=True)
    # A short code a monitor types in an SMS ("AC 3 Kibera clash").
    sms_code = models.CharField(max_length=10, blank=True)
    sector = models.CharField(max_length=20, choices=Sector.choices, default=Sector.SECURITY)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["framework", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "code"], name="event_type_code")
        ]

    def __str__(self) -> str:
        return self.name


class ReportKind(models.TextChoices):
    INCIDENT = "incident", _("Incident")
    SITUATION = "situation", _("Situation")


class FieldType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    YES_NO = "yes_no", _("Yes or no")
    CHOICE = "choice", _("One of a list")
    DATE = "date", _("Date")


class ReportField(PublicModel):
    """An extra question an admin adds to a report form, without code.

    Answers are kept in `Report.answers` (one JSON object), keyed by `key`.
    """

    framework = models.ForeignKey(
        IndicatorFramework, on_delete=models.CASCADE, related_name="fields"
    )
    report_kind = models.CharField(max_length=10, choices=ReportKind.choices, blank=True)
    key = models.SlugField(max_length=60)
    label = models.CharField(max_length=200)
    help_text = models.CharField(max_length=300, blank=True)
    field_type = models.CharField(max_length=10, choices=FieldType.choices)
    choices = models.JSONField(default=list, blank=True)
    required = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["framework", "position", "key"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "key"], name="report_field_key")
        ]

    def __str__(self) -> str:
        return self.label


# -- reporters and what they send -------------------------------------------------------


class Trust(models.TextChoices):
    NEW = "new", _("New")
    KNOWN = "known", _("Known")
    TRUSTED = "trusted", _("Trusted")
    BLOCKED = "blocked", _("Blocked")


class Reporter(PublicModel):
    """A pseudonymous source. Who they are is encrypted; `handle` is all staff see."""

    handle = models.CharField(max_length=16, unique=True)
    # Fernet token of {"phone", "name", "email", "device"}: never a plain column.
    identity = models.BinaryField(default=b"")
    # Keyed hash of the normalised sender address (phone, e-mail) for threading and
    # de-duplication; its key is kept apart from the database and the encryption keys.
    sender_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reporter",
    )
    trust = models.CharField(max_length=8, choices=Trust.choices, default=Trust.NEW)
    language = models.CharField(max_length=10, blank=True)
    # Messages back only with consent; an opt-out keyword stops them.
    consents_to_messages = models.BooleanField(default=False)
    consent_recorded_at = models.DateTimeField(null=True, blank=True)
    opted_out_at = models.DateTimeField(null=True, blank=True)
    # What the reporter agreed responders may learn of them (part 2: feedback loop).
    consents_to_contact_by_responders = models.BooleanField(default=False)

    class Meta:
        ordering = ["handle"]

    def __str__(self) -> str:
        return self.handle


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    API = "api", _("API")
    TWILIO = "twilio", _("SMS (Twilio)")
    AFRICASTALKING = "africastalking", _("SMS (Africa's Talking)")
    RAPIDPRO = "rapidpro", _("SMS (RapidPro/TextIt)")
    FRONTLINESMS = "frontlinesms", _("SMS (FrontlineSMS)")
    SMSSYNC = "smssync", _("SMS (SMSSync)")
    GENERIC = "generic", _("SMS (generic JSON)")
    EMAIL = "email", _("E-mail")


SMS_CHANNELS = frozenset(
    {
        Channel.TWILIO,
        Channel.AFRICASTALKING,
        Channel.RAPIDPRO,
        Channel.FRONTLINESMS,
        Channel.SMSSYNC,
        Channel.GENERIC,
    }
)


class Gateway(PublicModel):
    """An SMS gateway that posts inbound messages to a webhook and sends our replies."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)  # the webhook URL names it
    kind = models.CharField(max_length=16, choices=Channel.choices)
    # Encrypted like identities: Twilio's auth token, or the shared secret of the others.
    secret = models.BinaryField(default=b"")
    # Our number or short code; messages back go out from it.
    number = models.CharField(max_length=40, blank=True)
    country_code = models.CharField(max_length=2, blank=True)  # where its senders are
    language = models.CharField(max_length=10, blank=True)
    # Outbound settings (API URL, account name…) as the vendor names them.
    settings = models.JSONField(default=dict, blank=True)
    rate_limit_per_minute = models.PositiveIntegerField(default=600)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class InboundState(models.TextChoices):
    RECEIVED = "received", _("Received")  # stored, not yet read
    REPORTED = "reported", _("Became a report")
    THREADED = "threaded", _("Added to a report")
    TRIAGE = "triage", _("Waiting in triage")
    COMMAND = "command", _("A keyword (opt-out, help…)")
    DISMISSED = "dismissed", _("Dismissed by a reviewer")


class InboundMessage(PublicModel):
    """Every message that reached i4p, stored whole (encrypted) before anyone answers it."""

    channel = models.CharField(max_length=16, choices=Channel.choices, db_index=True)
    gateway = models.ForeignKey(
        Gateway, null=True, blank=True, on_delete=models.PROTECT, related_name="messages"
    )
    received_at = models.DateTimeField(db_index=True)
    # The raw payload with headers that matter, as one Fernet token: it carries the sender.
    payload = models.BinaryField()
    # The vendor's message id: a re-delivery of the same id is the same message.
    external_id = models.CharField(max_length=120, blank=True)
    # An API client's Idempotency-Key (scoped per token owner in `idempotency_scope`).
    idempotency_key = models.CharField(max_length=200, blank=True)
    idempotency_scope = models.CharField(max_length=80, blank=True)
    reporter = models.ForeignKey(
        Reporter, null=True, blank=True, on_delete=models.PROTECT, related_name="messages"
    )
    state = models.CharField(
        max_length=10, choices=InboundState.choices, default=InboundState.RECEIVED, db_index=True
    )
    problem = models.CharField(max_length=300, blank=True)  # why it waits in triage
    report = models.ForeignKey(
        "Report", null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    # Where the gateway or the text places it, for the triage queue's scoping.
    place = models.ForeignKey(
        Place, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["gateway", "external_id"],
                condition=~models.Q(external_id=""),
                name="inbound_gateway_external_id",
            ),
            models.UniqueConstraint(
                fields=["idempotency_scope", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="inbound_idempotency_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} message {self.uuid}"


# -- reports ------------------------------------------------------------------------------


class TimePrecision(models.TextChoices):
    MINUTE = "minute", _("To the minute")
    HOUR = "hour", _("To the hour")
    DAY = "day", _("To the day")
    WEEK = "week", _("To the week")
    MONTH = "month", _("To the month")
    YEAR = "year", _("To the year")


class PlacePrecision(models.TextChoices):
    """How exactly the place is known: a point, a named locality, or only an area."""

    EXACT = "exact", _("Exact point")
    NEAR = "near", _("Near a point (within a few km)")
    LOCALITY = "locality", _("Town or village")
    ADMIN3 = "admin3", _("Third-level subdivision")
    ADMIN2 = "admin2", _("District (second level)")
    ADMIN1 = "admin1", _("Region (first level)")
    COUNTRY = "country", _("Country only")
    UNKNOWN = "unknown", _("Unknown")


class LocationMethod(models.TextChoices):
    COORDINATES = "coordinates", _("From coordinates inside a boundary")
    NEAREST = "nearest", _("From coordinates, nearest place")
    GEOCODED = "geocoded", _("From the place name in the text")
    CHOSEN = "chosen", _("Chosen by the reporter")
    REVIEWED = "reviewed", _("Set by a reviewer")
    GATEWAY = "gateway", _("Country of the SMS gateway")
    NONE = "none", _("Not located")


class Verification(models.TextChoices):
    PENDING = "pending", _("Not yet reviewed")
    VERIFIED = "verified", _("Verified")
    CREDIBLE = "credible", _("Unverified but credible")
    FALSE = "false", _("False")
    DUPLICATE = "duplicate", _("Duplicate")


class Sensitivity(models.TextChoices):
    NORMAL = "normal", _("Normal")
    SENSITIVE = "sensitive", _("Sensitive")
    RESTRICTED = "restricted", _("Restricted (named staff only)")


class Visibility(models.TextChoices):
    """Who may see a report, separate from whether it is verified."""

    PRIVATE = "private", _("Staff with scope")
    PUBLIC = "public", _("Public (redacted)")


class SourceReliability(models.TextChoices):
    """The Admiralty (NATO) grading of the source."""

    A = "A", _("A — completely reliable")
    B = "B", _("B — usually reliable")
    C = "C", _("C — fairly reliable")
    D = "D", _("D — not usually reliable")
    E = "E", _("E — unreliable")
    F = "F", _("F — reliability cannot be judged")


class InformationCredibility(models.TextChoices):
    """The Admiralty grading of the information itself."""

    CONFIRMED = "1", _("1 — confirmed by other sources")
    PROBABLE = "2", _("2 — probably true")
    POSSIBLE = "3", _("3 — possibly true")
    DOUBTFUL = "4", _("4 — doubtful")
    IMPROBABLE = "5", _("5 — improbable")
    UNKNOWN = "6", _("6 — truth cannot be judged")


class Report(PublicModel):
    """What a reporter told us: an incident, or the situation of a place over a period."""

    kind = models.CharField(max_length=10, choices=ReportKind.choices, db_index=True)
    framework = models.ForeignKey(
        IndicatorFramework, on_delete=models.PROTECT, related_name="reports"
    )
    reporter = models.ForeignKey(
        Reporter, null=True, blank=True, on_delete=models.PROTECT, related_name="reports"
    )
    channel = models.CharField(max_length=16, choices=Channel.choices)
    received_at = models.DateTimeField(db_index=True)
    # When: a moment with its precision, or a period (situation reports, ranges).
    occurred_at = models.DateTimeField(null=True, blank=True, db_index=True)
    occurred_until = models.DateTimeField(null=True, blank=True)
    time_precision = models.CharField(
        max_length=8, choices=TimePrecision.choices, default=TimePrecision.DAY
    )
    # Where: the most specific place known, how precisely, and how we know.
    place = models.ForeignKey(
        Place, null=True, blank=True, on_delete=models.PROTECT, related_name="reports"
    )
    place_precision = models.CharField(
        max_length=10, choices=PlacePrecision.choices, default=PlacePrecision.UNKNOWN
    )
    location_method = models.CharField(
        max_length=12, choices=LocationMethod.choices, default=LocationMethod.NONE
    )
    location_text = models.CharField(max_length=300, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    # What.
    event_type = models.ForeignKey(
        EventType, null=True, blank=True, on_delete=models.PROTECT, related_name="reports"
    )
    title = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    language = models.CharField(max_length=10, blank=True)
    actors_text = models.CharField(max_length=500, blank=True)
    actors = models.ManyToManyField(Actor, blank=True, related_name="reports")
    killed = models.PositiveIntegerField(null=True, blank=True)
    injured = models.PositiveIntegerField(null=True, blank=True)
    displaced = models.PositiveIntegerField(null=True, blank=True)
    answers = models.JSONField(default=dict, blank=True)  # the admin's extra fields
    # Review.
    verification = models.CharField(
        max_length=10,
        choices=Verification.choices,
        default=Verification.PENDING,
        db_index=True,
    )
    source_reliability = models.CharField(
        max_length=1, choices=SourceReliability.choices, default=SourceReliability.F
    )
    information_credibility = models.CharField(
        max_length=1,
        choices=InformationCredibility.choices,
        default=InformationCredibility.UNKNOWN,
    )
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    locked_until = models.DateTimeField(null=True, blank=True)
    # Why it needs a person's eye: unsure place, unknown type, parse problems…
    needs_triage = models.BooleanField(default=False, db_index=True)
    triage_reasons = models.JSONField(default=list, blank=True)
    sensitivity = models.CharField(
        max_length=10, choices=Sensitivity.choices, default=Sensitivity.NORMAL
    )
    visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    incident = models.ForeignKey(
        "Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["place", "occurred_at"]),
            models.Index(fields=["verification", "received_at"]),
        ]

    def __str__(self) -> str:
        return self.title or f"{self.get_kind_display()} {str(self.uuid)[:8]}"


class Observation(models.Model):
    """An indicator's value in a situation report (analysis counts these by indicator)."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="observations")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="observations")
    value = models.FloatField(null=True, blank=True)
    text = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["report", "indicator"], name="observation_once")
        ]

    def __str__(self) -> str:
        return f"{self.indicator}: {self.value if self.value is not None else self.text}"


class IncidentStatus(models.TextChoices):
    SUGGESTED = "suggested", _("Suggested")
    CONFIRMED = "confirmed", _("Confirmed")


class Incident(PublicModel):
    """One event as several reports (and external data sets) describe it."""

    title = models.CharField(max_length=200)
    event_type = models.ForeignKey(
        EventType, null=True, blank=True, on_delete=models.PROTECT, related_name="incidents"
    )
    place = models.ForeignKey(
        Place, null=True, blank=True, on_delete=models.PROTECT, related_name="incidents"
    )
    occurred_at = models.DateTimeField(null=True, blank=True, db_index=True)
    status = models.CharField(
        max_length=10, choices=IncidentStatus.choices, default=IncidentStatus.SUGGESTED
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    external_events: models.ManyToManyField[ExternalEvent, Any] = models.ManyToManyField(
        "ExternalEvent", blank=True, related_name="incidents"
    )

    class Meta:
        ordering = ["-occurred_at"]

    def __str__(self) -> str:
        return self.title


class ExternalSource(models.TextChoices):
    UCDP_GED = "ucdp_ged", "UCDP GED"
    ACLED = "acled", "ACLED"


class ExternalEvent(PublicModel):
    """An event from another data set (UCDP GED, ACLED), for triangulation and analysis."""

    source = models.CharField(max_length=10, choices=ExternalSource.choices)
    source_id = models.CharField(max_length=60)
    event_type = models.ForeignKey(
        EventType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    type_label = models.CharField(max_length=200, blank=True)
    occurred_from = models.DateField(db_index=True)
    occurred_until = models.DateField()
    time_precision = models.CharField(max_length=8, choices=TimePrecision.choices)
    place = models.ForeignKey(
        Place, null=True, blank=True, on_delete=models.PROTECT, related_name="external_events"
    )
    place_precision = models.CharField(max_length=10, choices=PlacePrecision.choices)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    country_code = models.CharField(max_length=2, blank=True)
    location_text = models.CharField(max_length=300, blank=True)
    actors_text = models.CharField(max_length=500, blank=True)
    fatalities = models.PositiveIntegerField(null=True, blank=True)
    fatalities_low = models.PositiveIntegerField(null=True, blank=True)
    fatalities_high = models.PositiveIntegerField(null=True, blank=True)
    description = models.TextField(blank=True)
    raw = models.JSONField(default=dict, blank=True)  # the row as published, for provenance

    class Meta:
        ordering = ["-occurred_from"]
        constraints = [
            models.UniqueConstraint(fields=["source", "source_id"], name="external_event_once")
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.source_id}"


# -- messages back to reporters ---------------------------------------------------------


class MessageTemplate(PublicModel):
    """Neutral wording for messages back ("Thank you, noted."), per language.

    A seized phone must not betray its owner: the defaults never mention violence or peace.
    """

    key = models.SlugField(max_length=40)  # "ack", "follow_up", "opted_out", "feedback"
    language = models.CharField(max_length=10)
    text = models.CharField(max_length=320)

    class Meta:
        ordering = ["key", "language"]
        constraints = [
            models.UniqueConstraint(fields=["key", "language"], name="message_template_once")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.language})"


class OutboundState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    WITHHELD = "withheld", _("Withheld (no consent or opted out)")


class OutboundMessage(PublicModel):
    """A message back to a reporter. The recipient is read from the reporter when sending."""

    reporter = models.ForeignKey(Reporter, on_delete=models.PROTECT, related_name="outbox")
    report = models.ForeignKey(
        Report, null=True, blank=True, on_delete=models.SET_NULL, related_name="outbox"
    )
    gateway = models.ForeignKey(
        Gateway, null=True, blank=True, on_delete=models.PROTECT, related_name="outbox"
    )
    template_key = models.CharField(max_length=40, blank=True)
    text = models.CharField(max_length=640)
    state = models.CharField(
        max_length=10, choices=OutboundState.choices, default=OutboundState.QUEUED
    )
    attempts = models.PositiveIntegerField(default=0)
    # Set while an attempt is out with its gateway (`core.outbox`): nobody else sends it then.
    leased_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Message to {self.reporter}"
