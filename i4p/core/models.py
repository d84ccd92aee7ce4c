"""Base model with a public UUID, and the append-only audit log."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models


class PublicModel(models.Model):
    """A record that may leave the system (API, exports, CAP, federation) has a UUID.

    The integer primary key stays internal; everything outside speaks of `uuid`.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete an audit record."""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("The audit log is append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("The audit log is append-only.")


class AuditEvent(models.Model):
    """Who did what to which record, when. Field names only, never sensitive values."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Kept when the user is deleted, so the log still says who it was.
    by_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=80, db_index=True)
    target_type = models.CharField(max_length=80, db_index=True)
    target_uuid = models.UUIDField(null=True, blank=True, db_index=True)
    target_label = models.CharField(max_length=300, blank=True)
    fields = models.JSONField(default=list, blank=True)
    note = models.TextField(blank=True)

    objects = AuditEventQuerySet.as_manager()
    plain_insert = True  # save() below only refuses updates: `core.rows.insert` writes new rows

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.by_label or 'system'} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The one exception to "no logic in save()": append-only must hold for every caller.
        if self.pk is not None:
            raise AppendOnlyError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("The audit log is append-only.")


class Heartbeat(models.Model):
    """The last sign of life of a background process (the task worker), shown on /health/."""

    name = models.CharField(max_length=60, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.seen_at:%H:%M:%S}"
