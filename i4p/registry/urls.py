"""Registry page URLs."""

from django.urls import path

from i4p.registry import exchange_views, views

app_name = "registry"
urlpatterns = [
    path("", views.directory, name="directory"),
    path("actors/<uuid:uuid>/", views.actor_page, name="actor"),
    path("actors/<uuid:uuid>/edit/", views.actor_edit, name="actor_edit"),
    path("actors/<uuid:uuid>/relations/new/", views.relation_add, name="relation_add"),
    path("network/", views.network, name="network"),
    path("submit/", views.submit, name="submit"),
    path("moderation/", views.moderation, name="moderation"),
    path("moderation/<uuid:uuid>/", views.moderate, name="moderate"),
]

# Open-data exchange: downloads (/export/actors.csv, relations.csv, popolo.json,
# actors.geojson) and the import page.
urlpatterns += [
    path("export/<str:format>", exchange_views.export, name="export"),
    path("import/", exchange_views.import_page, name="import"),
]
