"""Forms of the registry pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from i4p.geo.models import Place
from i4p.registry.models import ActorKind, Level, Theme


class DirectoryFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any kind")), *ActorKind.choices]
    )
    level = forms.ChoiceField(
        label=_("Level"), required=False, choices=[("", _("Any level")), *Level.choices]
    )
    theme = forms.ModelChoiceField(
        label=_("Theme"),
        required=False,
        to_field_name="slug",
        queryset=Theme.objects.all(),
        empty_label=_("Any theme"),
    )
    place = forms.ModelChoiceField(
        label=_("Country"),
        required=False,
        to_field_name="uuid",
        empty_label=_("Anywhere"),
        queryset=Place.objects.filter(kind="country").order_by("name"),
    )


class SubmitActorForm(forms.Form):
    name = forms.CharField(label=_("Name of the organisation"), max_length=300)
    acronym = forms.CharField(label=_("Acronym"), max_length=40, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=ActorKind.choices)
    level = forms.ChoiceField(label=_("Level at which it works"), choices=Level.choices)
    country = forms.ModelChoiceField(
        label=_("Country"),
        to_field_name="uuid",
        queryset=Place.objects.filter(kind="country").order_by("name"),
    )
    description = forms.CharField(
        label=_("What it does"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=4000,
    )
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    themes = forms.ModelMultipleChoiceField(
        label=_("Themes"),
        required=False,
        to_field_name="slug",
        queryset=Theme.objects.all(),
        widget=forms.CheckboxSelectMultiple,
    )
    submitter_email = forms.EmailField(
        label=_("Your e-mail (optional)"),
        required=False,
        help_text=_("Only moderators see it, to ask you questions. It is never published."),
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason, shown to the submitter"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
