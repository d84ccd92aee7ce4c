"""Early-warning pages and webhooks."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from i4p.warning import reporter_views
from i4p.warning.gateways import views as gateway_views

app_name = "warning"

urlpatterns: list[URLPattern | URLResolver] = [
    # SMS gateways post inbound messages here (see docs/sms-gateways.md).
    path("sms/<slug:slug>/", gateway_views.webhook, name="sms_webhook"),
]

# Reporters: pseudonym page, trust, audited reveal.
urlpatterns += [
    path("reporters/<uuid:uuid>/", reporter_views.reporter_page, name="reporter"),
    path("reporters/<uuid:uuid>/trust/", reporter_views.reporter_trust, name="reporter_trust"),
    path("reporters/<uuid:uuid>/reveal/", reporter_views.reveal, name="reveal_identity"),
]
