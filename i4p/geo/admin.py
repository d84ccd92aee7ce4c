"""Admin of geo: places and codes, for configuration."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from i4p.geo.models import Place, PlaceAlias, PlaceCode
from i4p.geo.version import bump_index_version


class CodeInline(admin.TabularInline[PlaceCode, Place]):
    model = PlaceCode
    extra = 0


class AliasInline(admin.TabularInline[PlaceAlias, Place]):
    model = PlaceAlias
    extra = 0
    exclude = ("name_folded",)


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin[Place]):
    list_display = ("name", "kind", "country_code", "valid_until")
    list_filter = ("kind", "country_code")
    search_fields = ("name", "name_folded")
    raw_id_fields = ("parent",)
    filter_horizontal = ("successors",)
    inlines = [CodeInline, AliasInline]

    def save_model(self, request: HttpRequest, obj: Place, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        # Edits here change places too: every process's locate/geocode index must see them.
        bump_index_version()

    def delete_model(self, request: HttpRequest, obj: Place) -> None:
        super().delete_model(request, obj)
        bump_index_version()
