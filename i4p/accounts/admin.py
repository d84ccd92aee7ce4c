"""Admin of accounts: configuration by superusers only (see web.apps)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from i4p.accounts.models import ApiToken, RoleGrant, User


class GrantInline(admin.TabularInline[RoleGrant, User]):
    model = RoleGrant
    fk_name = "user"
    extra = 0
    raw_id_fields = ("place",)
    exclude = ("granted_by",)


@admin.register(User)
class I4PUserAdmin(UserAdmin):  # type: ignore[type-arg]
    inlines = [GrantInline]
    exclude = ("totp_secret",)
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("i4p", {"fields": ("language", "time_zone", "failed_logins", "locked_until")}),
    )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    list_display = ("name", "user", "prefix", "scope", "revoked_at", "last_used_at")
    readonly_fields = ("prefix", "digest", "last_used_at")
