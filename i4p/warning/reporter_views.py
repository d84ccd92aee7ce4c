"""Reporter pages for staff: a pseudonym with its trust and figures, and the audited reveal.

No page here shows an identity, except the one answer to a reveal (never cached).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from i4p.accounts.permissions import Perm
from i4p.core.errors import DomainError, NotFound
from i4p.warning.models import Reporter, Trust
from i4p.warning.protection import (
    MIN_REASON_LENGTH,
    may,
    reporter_figures,
    reporter_for_staff,
    reveal_identity,
    set_reporter_trust,
)


class TrustForm(forms.Form):
    trust = forms.ChoiceField(label=gettext_lazy("Trust"), choices=Trust.choices)
    note = forms.CharField(label=gettext_lazy("Note (optional)"), required=False, max_length=300)


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why do you need to know who this is?"),
        min_length=MIN_REASON_LENGTH,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Kept in the audit log with your name."),
    )


def _reporter(request: HttpRequest, uuid: str) -> Reporter:
    try:
        return reporter_for_staff(request.user, uuid)
    except NotFound as error:
        raise Http404(error.message) from error


def _page(request: HttpRequest, reporter: Reporter, trust_form: TrustForm) -> HttpResponse:
    answer = render(
        request,
        "warning/reporter.html",
        {
            "reporter": reporter,
            "figures": reporter_figures(reporter),
            "trust_form": trust_form,
            "can_review": may(request.user, Perm.REVIEW, reporter),
            "can_reveal": may(request.user, Perm.REVEAL_IDENTITY, reporter),
        },
    )
    return answer


@login_required
@require_safe
def reporter_page(request: HttpRequest, uuid: str) -> HttpResponse:
    reporter = _reporter(request, uuid)
    return _page(request, reporter, TrustForm(initial={"trust": reporter.trust}))


@login_required
@require_POST
def reporter_trust(request: HttpRequest, uuid: str) -> HttpResponse:
    reporter = _reporter(request, uuid)
    form = TrustForm(request.POST)
    if form.is_valid():
        try:
            set_reporter_trust(
                reporter,
                by=request.user,
                trust=form.cleaned_data["trust"],
                note=form.cleaned_data["note"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Trust saved."))
            return redirect("warning:reporter", uuid=reporter.uuid)
    return _page(request, reporter, form)


@never_cache
@login_required
def reveal(request: HttpRequest, uuid: str) -> HttpResponse:
    reporter = _reporter(request, uuid)
    if not may(request.user, Perm.REVEAL_IDENTITY, reporter):
        raise Http404(_("No such reporter, or not one you may see."))
    form = RevealForm(request.POST if request.method == "POST" else None)
    revealed: Any = None
    if request.method == "POST" and form.is_valid():
        try:
            revealed = reveal_identity(
                reporter, by=request.user, reason=form.cleaned_data["reason"]
            )
        except DomainError as error:
            form.add_error(None, error.message)
    answer = render(
        request, "warning/reveal.html", {"reporter": reporter, "form": form, "revealed": revealed}
    )
    # Shown once: no browser, proxy or back button keeps a copy.
    answer["Cache-Control"] = "no-store, no-cache, must-revalidate, private, max-age=0"
    answer["Pragma"] = "no-cache"
    return answer
