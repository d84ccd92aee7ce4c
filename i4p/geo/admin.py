"""Admin of geo: places and codes, for configuration."""

from django.contrib import admin

from i4p.geo.models import Place, PlaceAlias, PlaceCode


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
