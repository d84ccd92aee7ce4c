"""Forms of the account pages."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from i4p.accounts.models import TokenScope


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Six-digit code from your authenticator app"),
        max_length=8,
        min_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)


class TokenForm(forms.Form):
    name = forms.CharField(label=_("What is the token for?"), max_length=100)
    scope = forms.ChoiceField(label=_("Access"), choices=TokenScope.choices)
