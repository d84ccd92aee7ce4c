"""Early-warning pages and webhooks."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from i4p.warning.gateways import views as gateway_views

app_name = "warning"

urlpatterns: list[URLPattern | URLResolver] = [
    # SMS gateways post inbound messages here (see docs/sms-gateways.md).
    path("sms/<slug:slug>/", gateway_views.webhook, name="sms_webhook"),
]
