"""Top-level URL map: pages, the v1 API and the configuration-only admin."""

from django.contrib import admin
from django.urls import include, path

from i4p.api.router import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("accounts/", include("i4p.accounts.urls")),
    path("geo/", include("i4p.geo.urls")),
    path("", include("i4p.web.urls")),
    path("", include("i4p.registry.urls")),
    path("", include("i4p.warning.urls")),
]
