"""Early-warning pages and webhooks."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from i4p.warning import (
    alert_views,
    analysis_views,
    cap_views,
    export_views,
    reporter_views,
    response_views,
    room_views,
    views,
)
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

# Report form, review, triage and incidents.
urlpatterns += [
    path("report/", views.report_form, name="report_form"),
    path("report/sent/", views.report_sent, name="report_sent"),
    path("reports/mine/", views.my_reports_page, name="my_reports"),
    path("review/", views.queue, name="queue"),
    path("review/reports/<uuid:uuid>/", views.report_page, name="report"),
    path("review/triage/", views.triage, name="triage"),
    path("review/triage/<uuid:uuid>/", views.triage_message, name="triage_message"),
    path("incidents/", views.incidents, name="incidents"),
    path("incidents/<uuid:uuid>/", views.incident_page, name="incident"),
]

# Exports and the public view of reports.
urlpatterns += [
    path("reports/export.<str:fmt>", export_views.export, name="export"),
    path("reports/public/", export_views.public_reports_page, name="public_reports"),
]

# Analysis: risk per place, signals.
urlpatterns += [
    path("analysis/risk/", analysis_views.risk_page, name="risk"),
    path("analysis/signals/", analysis_views.signals_page, name="signals"),
    path("analysis/signals/<uuid:uuid>/dismiss/", analysis_views.dismiss, name="dismiss_signal"),
]

# Alerts in CAP 1.2: each alert's XML and JSON, the public Atom feed, the import page.
urlpatterns += [
    path("alerts/feed.atom", cap_views.alert_feed, name="alert_feed"),
    path("alerts/import/", cap_views.import_page, name="alert_import"),
    path("alerts/<uuid:uuid>/cap.xml", cap_views.alert_cap_xml, name="alert_cap_xml"),
    path("alerts/<uuid:uuid>/cap.json", cap_views.alert_cap_json, name="alert_cap_json"),
]

# Response and accountability: an alert's chain from report to outcome, the figures of the gap.
urlpatterns += [
    path("alerts/figures/", response_views.figures_page, name="response_figures"),
    path("alerts/<uuid:uuid>/chain/", response_views.chain_page, name="alert_chain"),
]

# The situation room and situation reports.
urlpatterns += [
    path("room/", room_views.room_page, name="room"),
    path("room/map.geojson", room_views.room_map, name="room_map"),
    path("room/alerts/draft/", room_views.room_draft_alert, name="room_draft_alert"),
    path(
        "room/alerts/<uuid:uuid>/<str:action>/",
        room_views.room_alert_action,
        name="room_alert_action",
    ),
    path("situation/", room_views.reports_page, name="situation_reports"),
    path("situation/<uuid:uuid>/", room_views.report_page, name="situation_report"),
    path("situation/<uuid:uuid>/edit/", room_views.report_edit, name="situation_edit"),
    path("situation/<uuid:uuid>/publish/", room_views.report_publish, name="situation_publish"),
    path("situation/<uuid:uuid>/report.pdf", room_views.report_pdf, name="situation_pdf"),
]

# Alerts: list, one alert, writing one, members' notices, the deliveries dashboard.
urlpatterns += [
    path("alerts/", alert_views.alert_list, name="alerts"),
    path("alerts/new/", alert_views.alert_new, name="alert_new"),
    path("alerts/mine/", alert_views.my_alerts, name="my_alerts"),
    path("alerts/mine/<uuid:uuid>/read/", alert_views.mark_read, name="alert_notice_read"),
    path("alerts/deliveries/", alert_views.deliveries_dashboard, name="deliveries"),
    path("alerts/<uuid:uuid>/", alert_views.alert_page, name="alert"),
]
