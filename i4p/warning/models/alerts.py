"""Alerts (CAP 1.2 semantics), the rules that make them from signals, their routing to the
mechanisms of the registry, each delivery, the escalation ladder, the responses and their
outcomes, and situation reports.

An alert's timeline (`AlertEvent`) is the chain a person reads from first report to outcome;
the audit log keeps the same writes for accountability.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from i4p.core.models import PublicModel
from i4p.geo.models import Place
from i4p.registry.models import Actor, ContactPoint, Level
from i4p.warning.models.analysis import Period, Signal
from i4p.warning.models.reports import EventType, Incident, IndicatorFramework, Report

# -- CAP 1.2 vocabularies (values exactly as the standard spells them) -----------------------


class CapStatus(models.TextChoices):
    ACTUAL = "Actual", _("Actual")
    EXERCISE = "Exercise", _("Exercise")
    SYSTEM = "System", _("System")
    TEST = "Test", _("Test")
    DRAFT = "Draft", _("Draft")


class CapMsgType(models.TextChoices):
    ALERT = "Alert", _("Alert")
    UPDATE = "Update", _("Update")
    CANCEL = "Cancel", _("Cancel")
    ACK = "Ack", _("Acknowledgement")
    ERROR = "Error", _("Error")


class CapScope(models.TextChoices):
    PUBLIC = "Public", _("Public")
    RESTRICTED = "Restricted", _("Restricted")
    PRIVATE = "Private", _("Private")


class Urgency(models.TextChoices):
    IMMEDIATE = "Immediate", _("Immediate")
    EXPECTED = "Expected", _("Expected")
    FUTURE = "Future", _("Future")
    PAST = "Past", _("Past")
    UNKNOWN = "Unknown", _("Unknown")


class Severity(models.TextChoices):
    EXTREME = "Extreme", _("Extreme")
    SEVERE = "Severe", _("Severe")
    MODERATE = "Moderate", _("Moderate")
    MINOR = "Minor", _("Minor")
    UNKNOWN = "Unknown", _("Unknown")


class Certainty(models.TextChoices):
    OBSERVED = "Observed", _("Observed")
    LIKELY = "Likely", _("Likely")
    POSSIBLE = "Possible", _("Possible")
    UNLIKELY = "Unlikely", _("Unlikely")
    UNKNOWN = "Unknown", _("Unknown")


# -- alerts ----------------------------------------------------------------------------------


class AlertState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("Issued")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class AlertOrigin(models.TextChoices):
    RULE = "rule", _("Made by a rule from a signal")
    ANALYST = "analyst", _("Written by an analyst")
    IMPORTED = "imported", _("Imported CAP alert")


class SignatureState(models.TextChoices):
    """What an imported alert's XML signature says about who sent it."""

    TRUSTED = "trusted", _("signed by a trusted sender")
    UNTRUSTED = "untrusted", _("signed, but the signer is not trusted")
    UNSIGNED = "unsigned", _("unsigned")


class CapTrustAnchor(PublicModel):
    """Certificates an admin trusts to sign CAP alerts for one sender: the signer's own
    certificate, or the certificates of the authority (CA) that issues it.

    A signature proves only that the alert is unchanged since someone signed it; anyone can
    make a certificate with any name. An imported alert is "signed by a trusted sender" only
    when its signer's certificate is, or was issued by, a certificate of an active anchor for
    the alert's own `<sender>`.
    """

    name = models.CharField(max_length=200, help_text=_("Who this is, e.g. the met service."))
    sender = models.CharField(
        max_length=200,
        db_index=True,
        help_text=_("The CAP <sender> this anchor vouches for, exactly as alerts write it."),
    )
    certificates = models.TextField(
        help_text=_(
            "One or more PEM certificates: the signer's own certificate, or the certificates "
            "of the authority that issues it (a CA bundle)."
        )
    )
    signer_name = models.CharField(
        max_length=200,
        blank=True,
        help_text=_(
            "The name (common name, DNS name or e-mail address) the signer's certificate must "
            "carry. Required when the anchor is an authority: it issues certificates to others."
        ),
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["sender", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.sender})"


class AlertRule(PublicModel):
    """Turns signals into alerts: which methods, series and places, and how certain."""

    framework = models.ForeignKey(
        IndicatorFramework, on_delete=models.CASCADE, related_name="alert_rules"
    )
    name = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    # Empty lists mean "any": any method, any event type.
    methods = models.JSONField(default=list, blank=True)
    event_types: models.ManyToManyField[EventType, Any] = models.ManyToManyField(
        EventType, blank=True, related_name="alert_rules"
    )
    period = models.CharField(max_length=5, choices=Period.choices, default=Period.DAY)
    # Signals at places of this level or above (registry level of the place kind).
    min_observed = models.PositiveIntegerField(default=3)
    # A public alert needs at least this many confirmed reports (verified, credible or from a
    # trusted reporter): unverified reports from a new sender alone never make one public.
    min_confirmed_public = models.PositiveIntegerField(default=1)
    scope = models.CharField(max_length=10, choices=CapScope.choices, default=CapScope.RESTRICTED)
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.EXPECTED)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MODERATE)
    certainty = models.CharField(
        max_length=10, choices=Certainty.choices, default=Certainty.POSSIBLE
    )
    # Issue at once, or leave a draft for an analyst to check and issue.
    issue_at_once = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Alert(PublicModel):
    """An alert about a place: CAP 1.2 fields, its lifecycle, and where it stands on the
    escalation ladder."""

    identifier = models.CharField(max_length=200, unique=True)  # CAP identifier
    sender = models.CharField(max_length=200)  # CAP sender
    state = models.CharField(
        max_length=12, choices=AlertState.choices, default=AlertState.DRAFT, db_index=True
    )
    status = models.CharField(max_length=10, choices=CapStatus.choices, default=CapStatus.ACTUAL)
    msg_type = models.CharField(max_length=8, choices=CapMsgType.choices, default=CapMsgType.ALERT)
    scope = models.CharField(max_length=10, choices=CapScope.choices, default=CapScope.RESTRICTED)
    restriction = models.CharField(max_length=300, blank=True)
    # The alert this one updates or cancels (CAP references).
    references = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="followed_by"
    )
    origin = models.CharField(max_length=10, choices=AlertOrigin.choices)
    category = models.CharField(max_length=10, default="Security")  # CAP category
    event_type = models.ForeignKey(
        EventType, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.EXPECTED)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MODERATE)
    certainty = models.CharField(
        max_length=10, choices=Certainty.choices, default=Certainty.POSSIBLE
    )
    # The area: the place the alert is about (routing starts here), and any others named.
    place = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="alerts")
    places: models.ManyToManyField[Place, Any] = models.ManyToManyField(
        Place, blank=True, related_name="+"
    )
    onset = models.DateTimeField(null=True, blank=True)
    expires = models.DateTimeField(null=True, blank=True)
    # Where it came from.
    rule = models.ForeignKey(
        AlertRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    signal = models.ForeignKey(
        Signal, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    reports: models.ManyToManyField[Report, Any] = models.ManyToManyField(
        Report, blank=True, related_name="alerts"
    )
    incidents: models.ManyToManyField[Incident, Any] = models.ManyToManyField(
        Incident, blank=True, related_name="alerts"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The lifecycle, each step with its moment.
    issued_at = models.DateTimeField(null=True, blank=True, db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    acknowledged_for = models.ForeignKey(
        Actor, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # The escalation ladder: the level alerted last, and when the next one is due unless
    # someone acknowledges first.
    level = models.CharField(max_length=12, choices=Level.choices, blank=True)
    escalation_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # An imported alert keeps the document as it came, and what its signature said: whether
    # a trusted sender signed it (`SignatureState`), and who the signer is.
    source_document = models.TextField(blank=True)
    signature = models.CharField(max_length=200, blank=True, choices=SignatureState.choices)
    signer = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.identifier


class AlertText(models.Model):
    """The alert's words in one language: one CAP `info` block each."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(max_length=10)
    event = models.CharField(max_length=200)
    headline = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    instruction = models.TextField(blank=True)

    class Meta:
        ordering = ["alert", "language"]
        constraints = [
            models.UniqueConstraint(fields=["alert", "language"], name="alert_text_language")
        ]

    def __str__(self) -> str:
        return f"{self.headline} [{self.language}]"


# -- routing, delivery, escalation -----------------------------------------------------------


class EscalationStep(PublicModel):
    """How long a level has to acknowledge before the next level up is alerted."""

    level = models.CharField(max_length=12, choices=Level.choices, unique=True)
    minutes = models.PositiveIntegerField()

    class Meta:
        ordering = ["minutes"]

    def __str__(self) -> str:
        return f"{self.get_level_display()}: {self.minutes} min"


class OnCall(PublicModel):
    """A member of a mechanism who receives its alerts in person (in the app, by SMS or
    e-mail), always or for a period."""

    actor = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="on_call")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="on_call"
    )
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["actor", "user", "starts_at"], name="on_call_actor_user_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} for {self.actor}"


class DeliveryChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    WEBHOOK = "webhook", _("Webhook")
    APP = "app", _("In the app")


class DeliveryState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    RETRYING = "retrying", _("Failed, will retry")
    FAILED = "failed", _("Failed")


class Delivery(PublicModel):
    """One alert to one recipient over one channel, with every attempt's result."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="deliveries")
    actor = models.ForeignKey(Actor, on_delete=models.PROTECT, related_name="deliveries")
    level = models.CharField(max_length=12, choices=Level.choices)
    channel = models.CharField(max_length=8, choices=DeliveryChannel.choices)
    # The address is read when sending, from the contact point or the member's account.
    contact = models.ForeignKey(
        ContactPoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="alert_deliveries",
    )
    state = models.CharField(
        max_length=8, choices=DeliveryState.choices, default=DeliveryState.QUEUED, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Set while an attempt is out with its channel (`core.outbox`): nobody else sends it then.
    leased_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # In the app: when the member opened it.
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"{self.alert} to {self.actor} by {self.channel}"


class TimelineKind(models.TextChoices):
    CREATED = "created", _("Created")
    ISSUED = "issued", _("Issued")
    ROUTED = "routed", _("Sent to a mechanism")
    DELIVERED = "delivered", _("Delivered")
    DELIVERY_FAILED = "delivery_failed", _("Delivery failed")
    ESCALATED = "escalated", _("Escalated")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESPONSE = "response", _("Response recorded")
    OUTCOME = "outcome", _("Outcome recorded")
    FEEDBACK = "feedback", _("Reporter told")
    UPDATED = "updated", _("Updated")
    CANCELLED = "cancelled", _("Cancelled")
    CLOSED = "closed", _("Closed")


class AlertEvent(models.Model):
    """One step in an alert's life, as the alert page shows it."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(db_index=True)
    kind = models.CharField(max_length=16, choices=TimelineKind.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor = models.ForeignKey(
        Actor, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    level = models.CharField(max_length=12, choices=Level.choices, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}"


# -- response and accountability -------------------------------------------------------------


class ResponseKind(models.TextChoices):
    MEDIATION = "mediation", _("Mediation")
    DIALOGUE = "dialogue", _("Dialogue or community meeting")
    SECURITY_REFERRAL = "security", _("Referral to security services")
    HUMANITARIAN_REFERRAL = "humanitarian", _("Humanitarian referral")
    PUBLIC_MESSAGE = "public_message", _("Public message")
    FACT_FINDING = "fact_finding", _("Fact-finding visit")
    OTHER = "other", _("Other")


class Outcome(models.TextChoices):
    RESOLVED = "resolved", _("Resolved")
    DE_ESCALATED = "de_escalated", _("De-escalated")
    ONGOING = "ongoing", _("Still ongoing")
    ESCALATED = "escalated", _("Escalated further")
    NO_EFFECT = "no_effect", _("No effect")


class Response(PublicModel):
    """What a mechanism did about an alert, by whom, when, and what came of it."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="responses")
    actor = models.ForeignKey(
        Actor, null=True, blank=True, on_delete=models.PROTECT, related_name="responses"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=ResponseKind.choices)
    description = models.TextField()
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=14, choices=Outcome.choices, blank=True)
    outcome_note = models.TextField(blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["started_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.alert}"


# -- situation reports -----------------------------------------------------------------------


class SituationReportState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class SituationReport(PublicModel):
    """A report on a place and period, drafted from the data for an analyst to edit."""

    place = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="situation_reports")
    starts_on = models.DateField()
    ends_on = models.DateField()
    language = models.CharField(max_length=10, default="en")
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)  # the analyst's words
    # The figures as drafted (counts, casualties, signals, alerts, responses), frozen at
    # publication so the published report does not change when data arrive later.
    figures = models.JSONField(default=dict, blank=True)
    state = models.CharField(
        max_length=10,
        choices=SituationReportState.choices,
        default=SituationReportState.DRAFT,
    )
    published_at = models.DateTimeField(null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_public = models.BooleanField(default=False)

    class Meta:
        ordering = ["-ends_on", "-created_at"]

    def __str__(self) -> str:
        return self.title
