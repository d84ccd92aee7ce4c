"""Admin of geo: places and codes, for configuration."""

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from i4p.core.errors import DomainError
from i4p.geo.models import Place, PlaceAlias, PlaceCode
from i4p.geo.services import create_place, update_place
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
    # Searched as one types: a select of every place is tens of thousands of options (a
    # 3 MB page that takes seconds to draw).
    autocomplete_fields = ("parent", "successors")
    inlines = [CodeInline, AliasInline]

    fields = (
        "name",
        "kind",
        "parent",
        "country_code",
        "latitude",
        "longitude",
        "population",
        "time_zone",
        "valid_from",
        "successors",
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Place | None = None) -> Any:
        # Kind and country are fixed once a place exists; retiring goes through retire_place.
        return ("kind", "country_code") if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: Place, form: Any, change: bool) -> None:
        """Through the services, so the path, folded name and locate index stay right."""
        data = form.cleaned_data
        try:
            if change:
                saved = update_place(
                    Place.objects.get(pk=obj.pk),
                    by=request.user,
                    name=data["name"],
                    parent=data["parent"],
                    latitude=data["latitude"],
                    longitude=data["longitude"],
                    population=data["population"],
                    time_zone=data["time_zone"],
                    valid_from=data["valid_from"],
                )
            else:
                saved = create_place(
                    data["name"],
                    kind=data["kind"],
                    parent=data["parent"],
                    country_code=data["country_code"],
                    latitude=data["latitude"],
                    longitude=data["longitude"],
                    population=data["population"],
                    time_zone=data["time_zone"],
                    valid_from=data["valid_from"],
                    by=request.user,
                )
        except DomainError as error:
            raise ValidationError(error.message) from error
        obj.pk = saved.pk
        obj.refresh_from_db()
        bump_index_version()

    def delete_model(self, request: HttpRequest, obj: Place) -> None:
        super().delete_model(request, obj)
        bump_index_version()
