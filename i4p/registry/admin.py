"""Admin of registry: themes only; actors are edited through the scoped pages and API."""

from django.contrib import admin

from i4p.registry.models import Theme


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin[Theme]):
    list_display = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
