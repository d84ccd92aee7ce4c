"""Early-warning pages and webhooks."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

app_name = "warning"

urlpatterns: list[URLPattern | URLResolver] = []
