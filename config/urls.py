"""Top-level URL map: pages, the v1 API and the configuration-only admin."""

from django.contrib import admin
from django.urls import include, path, re_path

from i4p.api.router import api, not_found

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    re_path(r"^api/", not_found),  # whatever follows, newlines too
    path("accounts/", include("i4p.accounts.urls")),
    path("geo/", include("i4p.geo.urls")),
    path("", include("i4p.web.urls")),
    path("", include("i4p.registry.urls")),
    path("", include("i4p.warning.urls")),
]
