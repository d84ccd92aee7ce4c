"""Admin of warning: frameworks, extra report questions, message wording, gateways, the alert
loop, and the trust anchors of imported CAP alerts.

Reports, reporters and messages are not here: they are read and changed only through the
scoped pages and API, never through a back door.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from i4p.core.errors import DomainError
from i4p.warning.configuration import (
    check_report_field,
    save_configuration,
    set_gateway_secret,
)
from i4p.warning.models import (
    EventType,
    Gateway,
    Indicator,
    IndicatorFramework,
    MessageTemplate,
    ReportField,
)


class AuditedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Saves through `save_configuration`: validated and audited."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        try:
            save_configuration(obj, by=request.user, fields=form.changed_data)
        except DomainError as error:
            raise ValidationError(error.message) from error

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Reports keep the framework, questions and wording they were made with.
        return False


class IndicatorInline(admin.TabularInline[Indicator, IndicatorFramework]):
    model = Indicator
    extra = 0
    fields = ("code", "name", "sector", "polarity", "value_type", "position")


class EventTypeInline(admin.TabularInline[EventType, IndicatorFramework]):
    model = EventType
    extra = 0
    fields = ("code", "name", "parent", "acled_event_type", "acled_sub_event_type", "sms_code")


@admin.register(IndicatorFramework)
class FrameworkAdmin(AuditedAdmin):
    list_display = ("name", "slug", "version", "is_active")
    inlines = [IndicatorInline, EventTypeInline]


class ReportFieldForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = ReportField
        fields = (
            "framework",
            "report_kind",
            "key",
            "label",
            "help_text",
            "field_type",
            "choices",
            "required",
            "is_active",
            "position",
        )

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        probe = ReportField(field_type=data.get("field_type", ""), choices=data.get("choices"))
        try:
            check_report_field(probe)
        except DomainError as error:
            raise ValidationError(error.message) from error
        return data


@admin.register(ReportField)
class ReportFieldAdmin(AuditedAdmin):
    form = ReportFieldForm
    list_display = ("label", "key", "field_type", "report_kind", "required", "is_active")
    list_filter = ("framework", "report_kind", "is_active")


@admin.register(MessageTemplate)
class MessageTemplateAdmin(AuditedAdmin):
    list_display = ("key", "language", "text")
    list_filter = ("key", "language")


class GatewayForm(forms.ModelForm):  # type: ignore[type-arg]
    new_secret = forms.CharField(
        required=False,
        help_text="Leave empty to keep the current secret. It is stored encrypted and never shown.",
        widget=forms.PasswordInput,
    )

    def clean_new_secret(self) -> str:
        value: str = self.cleaned_data.get("new_secret", "").strip()
        if value and len(value) < 16:
            raise ValidationError("A gateway secret needs at least 16 characters.")
        return value

    class Meta:
        model = Gateway
        fields = (
            "name",
            "slug",
            "kind",
            "number",
            "country_code",
            "language",
            "settings",
            "rate_limit_per_minute",
            "is_active",
        )


@admin.register(Gateway)
class GatewayAdmin(AuditedAdmin):
    form = GatewayForm
    list_display = ("name", "kind", "slug", "country_code", "is_active")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        new_secret = form.cleaned_data.get("new_secret", "")
        if new_secret or not obj.secret:
            try:
                shown = set_gateway_secret(obj, by=request.user, secret=new_secret)
            except DomainError as error:
                raise ValidationError(error.message) from error
            if not new_secret:
                messages.info(request, f"A secret was generated for this gateway: {shown}")


# -- the alert loop: rules, the escalation ladder, who is on call ---------------------------

from i4p.warning.models import AlertRule, EscalationStep, OnCall  # noqa: E402


@admin.register(AlertRule)
class AlertRuleAdmin(AuditedAdmin):
    list_display = ("name", "framework", "is_active", "period", "min_observed", "scope")
    list_filter = ("is_active", "period", "scope", "issue_at_once")
    filter_horizontal = ("event_types",)
    fields = (
        "framework",
        "name",
        "is_active",
        "methods",
        "event_types",
        "period",
        "min_observed",
        "min_confirmed_public",
        "scope",
        "urgency",
        "severity",
        "certainty",
        "issue_at_once",
    )


@admin.register(EscalationStep)
class EscalationStepAdmin(AuditedAdmin):
    list_display = ("level", "minutes")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Without a step the documented default of the level applies again.
        return True


@admin.register(OnCall)
class OnCallAdmin(AuditedAdmin):
    list_display = ("actor", "user", "starts_at", "ends_at")
    raw_id_fields = ("actor", "user")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True


# -- CAP: who may sign imported alerts -------------------------------------------------------

from i4p.warning.captrust import check_anchor, save_trust_anchor  # noqa: E402
from i4p.warning.models import CapTrustAnchor  # noqa: E402


class CapTrustAnchorForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = CapTrustAnchor
        fields = ("name", "sender", "certificates", "signer_name", "is_active")
        widgets = {"certificates": forms.Textarea(attrs={"rows": 12, "spellcheck": "false"})}

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        probe = CapTrustAnchor(
            sender=data.get("sender") or "",
            certificates=data.get("certificates") or "",
            signer_name=data.get("signer_name") or "",
        )
        try:
            check_anchor(probe)
        except DomainError as error:
            raise ValidationError(error.message) from error
        return data


@admin.register(CapTrustAnchor)
class CapTrustAnchorAdmin(AuditedAdmin):
    """Imported CAP alerts are "signed by a trusted sender" only through an active anchor for
    their sender. Anchors are switched off, never deleted: imported alerts name the anchor
    that vouched for them."""

    form = CapTrustAnchorForm
    list_display = ("name", "sender", "signer_name", "is_active", "updated_at")
    list_filter = ("is_active",)
    search_fields = ("name", "sender", "signer_name")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        try:
            save_trust_anchor(obj, by=request.user, fields=list(form.changed_data))
        except DomainError as error:
            raise ValidationError(error.message) from error
