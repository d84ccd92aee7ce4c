"""Analysis: the maintained count table and the signals that anomaly detection finds in it.

A report is counted at its own place and every place above it, at its own time precision: an
event known only to the country is never counted in a district, one known only to the year
never on a day (so it cannot fake a spike there).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from i4p.core.models import PublicModel
from i4p.geo.models import Place
from i4p.warning.models.reports import EventType, Indicator, IndicatorFramework


class Period(models.TextChoices):
    DAY = "day", _("Day")
    WEEK = "week", _("Week")
    MONTH = "month", _("Month")
    YEAR = "year", _("Year")


class CountRequest(models.Model):
    """Work waiting for the count task: a report to count (again), or the cells where reports
    were counted before a change (`groups`). Written in the commit that changes the reports;
    the task takes every waiting request at once, so a busy intake costs one recount and one
    scan per batch, not per report. Ids and cells only, never a person."""

    report_id = models.BigIntegerField(null=True, blank=True)
    groups = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"count request {self.pk}"


class Count(models.Model):
    """Reports about one place (or a place inside it) of one event type or indicator, in one
    period of the reports' own precision: the table analysis reads, kept up to date as
    reports arrive and rebuilt in full by `i4p analyse`.

    `event_type` and `indicator` are both empty for incidents of no known type.
    """

    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="+")
    event_type = models.ForeignKey(
        EventType, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    indicator = models.ForeignKey(
        Indicator, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # The time precision of the reports counted here; `day` is the first day of the period.
    precision = models.CharField(max_length=5, choices=Period.choices)
    day = models.DateField()
    reports = models.PositiveIntegerField(default=0)
    # Verified or credible, or sent by a trusted reporter: what a public alert needs.
    confirmed = models.PositiveIntegerField(default=0)
    killed = models.PositiveIntegerField(default=0)
    injured = models.PositiveIntegerField(default=0)
    displaced = models.PositiveIntegerField(default=0)
    # Indicator observations: the sum of their values (the mean is value_sum / reports).
    value_sum = models.FloatField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["place", "event_type", "precision", "day"],
                condition=Q(indicator__isnull=True, event_type__isnull=False),
                name="count_place_type_day",
            ),
            models.UniqueConstraint(
                fields=["place", "indicator", "precision", "day"],
                condition=Q(event_type__isnull=True, indicator__isnull=False),
                name="count_place_indicator_day",
            ),
            models.UniqueConstraint(
                fields=["place", "precision", "day"],
                condition=Q(event_type__isnull=True, indicator__isnull=True),
                name="count_place_untyped_day",
            ),
            models.CheckConstraint(
                condition=Q(event_type__isnull=True) | Q(indicator__isnull=True),
                name="count_type_or_indicator",
            ),
        ]
        indexes = [models.Index(fields=["precision", "day"], name="count_precision_day")]

    def __str__(self) -> str:
        return f"{self.reports} on {self.day} ({self.precision})"


class CountPack(models.Model):
    """The count rows of one place and one year (by the first day of their period) packed in
    one value, as the anomaly scan reads them: reading a few thousand packs is far quicker
    than reading millions of rows. Written with the rows, in the same transaction, by
    `analysis.rebuild_counts` and `analysis.recount`; year rows are not packed (no method
    judges years). The layout of `data` is `analysis.PACK_ROW`, one record per count row."""

    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    rows = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["place", "year"], name="count_pack_place_year")
        ]

    def __str__(self) -> str:
        return f"{self.rows} count rows of {self.year}"


class Method(models.TextChoices):
    EARS_C1 = "c1", _("EARS C1")
    EARS_C2 = "c2", _("EARS C2")
    EARS_C3 = "c3", _("EARS C3")
    CUSUM = "cusum", _("CUSUM")
    EWMA = "ewma", _("EWMA")
    FARRINGTON = "farrington", _("Farrington (flexible)")


class SignalState(models.TextChoices):
    NEW = "new", _("New")
    ALERTED = "alerted", _("Alert made")
    DISMISSED = "dismissed", _("Dismissed by an analyst")


class Signal(PublicModel):
    """A count that crossed its method's threshold, with everything needed to judge it."""

    framework = models.ForeignKey(
        IndicatorFramework, on_delete=models.CASCADE, related_name="signals"
    )
    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="signals")
    # Both empty: all events at the place together.
    event_type = models.ForeignKey(
        EventType, null=True, blank=True, on_delete=models.CASCADE, related_name="signals"
    )
    indicator = models.ForeignKey(
        Indicator, null=True, blank=True, on_delete=models.CASCADE, related_name="signals"
    )
    # One key for the series ("all", "type:<code>", "indicator:<code>"), so re-runs update
    # the same signal instead of adding another.
    series = models.CharField(max_length=80)
    method = models.CharField(max_length=12, choices=Method.choices)
    period = models.CharField(max_length=5, choices=Period.choices)
    period_start = models.DateField(db_index=True)
    window = models.PositiveSmallIntegerField(help_text=_("Periods in the baseline."))
    expected = models.FloatField()
    observed = models.FloatField()
    threshold = models.FloatField()
    statistic = models.FloatField()
    # Of `observed`, how many came from verified reports or trusted reporters.
    confirmed = models.FloatField(default=0)
    killed = models.PositiveIntegerField(default=0)
    state = models.CharField(
        max_length=10, choices=SignalState.choices, default=SignalState.NEW, db_index=True
    )

    class Meta:
        ordering = ["-period_start", "place__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["framework", "place", "series", "method", "period", "period_start"],
                name="signal_unique_cell",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.place} {self.period_start}"
