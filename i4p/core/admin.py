"""Admin of core: the audit log, read-only."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from i4p.core.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    list_display = ("at", "by_label", "action", "target_type", "target_label")
    list_filter = ("action", "target_type")
    search_fields = ("by_label", "target_label", "action")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
