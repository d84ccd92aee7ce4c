"""Shared URLs: language switch and health."""

from django.urls import include, path

from i4p.web import views

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("health/", views.health, name="health"),
]
