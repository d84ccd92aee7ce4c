"""Account pages: login, two-factor, language and API tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from i4p.accounts.forms import CodeForm, LanguageForm, TokenForm
from i4p.accounts.middleware import SESSION_KEY
from i4p.accounts.models import ApiToken, User
from i4p.accounts.selectors import user_roles
from i4p.accounts.services import (
    check_totp,
    confirm_two_factor,
    issue_token,
    revoke_token,
    start_two_factor,
    totp_uri,
)
from i4p.core.errors import DomainError


def _next_url(request: HttpRequest) -> str:
    target = request.GET.get("next") or request.POST.get("next") or "/"
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "/"


@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    setting_up = not user.has_two_factor
    if setting_up and not user.totp_secret:
        start_two_factor(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        try:
            if setting_up:
                confirm_two_factor(user, code=code)
            elif not check_totp(user, code):
                raise DomainError(_("That code is not right."))
        except DomainError as error:
            form.add_error("code", error.message)
        else:
            request.session[SESSION_KEY] = True
            return redirect(_next_url(request))
    return render(
        request,
        "accounts/two_factor.html",
        {
            "form": form,
            "setting_up": setting_up,
            "secret": user.totp_secret if setting_up else "",
            "uri": totp_uri(user) if setting_up else "",
            "next": _next_url(request),
        },
    )


@login_required
def account(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    language_form = LanguageForm(initial={"language": user.language or "en"})
    token_form = TokenForm()
    new_token = ""
    if request.method == "POST" and "language" in request.POST:
        language_form = LanguageForm(request.POST)
        if language_form.is_valid():
            user.language = language_form.cleaned_data["language"]
            user.save(update_fields=["language"])
            messages.success(request, _("Language saved."))
            return redirect("accounts:account")
    elif request.method == "POST":
        token_form = TokenForm(request.POST)
        if token_form.is_valid():
            try:
                _token, new_token = issue_token(
                    user,
                    by=user,
                    name=token_form.cleaned_data["name"],
                    scope=token_form.cleaned_data["scope"],
                )
            except DomainError as error:
                token_form.add_error(None, error.message)
    return render(
        request,
        "accounts/account.html",
        {
            "language_form": language_form,
            "token_form": token_form,
            "new_token": new_token,
            "tokens": user.api_tokens.order_by("-created_at"),
            "grants": user_roles(user),
        },
    )


@login_required
@require_POST
def revoke(request: HttpRequest, token_uuid: str) -> HttpResponse:
    token = get_object_or_404(ApiToken, uuid=token_uuid, user=request.user)
    revoke_token(token, by=request.user)
    messages.success(request, _("Token revoked."))
    return redirect("accounts:account")
