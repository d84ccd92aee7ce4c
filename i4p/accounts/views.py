"""Account pages: login, two-factor, language and API tokens."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from webauthn import base64url_to_bytes
from webauthn.helpers import bytes_to_base64url

from i4p.accounts.forms import CodeForm, LanguageForm, TokenForm
from i4p.accounts.middleware import SESSION_KEY
from i4p.accounts.models import ApiToken, SecurityKey, User
from i4p.accounts.passkeys import (
    RelyingParty,
    add_security_key,
    login_options,
    pass_security_key,
    registration_options,
    remove_security_key,
)
from i4p.accounts.selectors import user_roles
from i4p.accounts.services import (
    issue_token,
    pass_totp,
    revoke_token,
    start_two_factor,
    totp_uri,
)
from i4p.core.errors import DomainError, Invalid, NotAllowed

_REGISTER_CHALLENGE = "i4p_key_register_challenge"
_LOGIN_CHALLENGE = "i4p_key_login_challenge"


def _next_url(request: HttpRequest) -> str:
    target = request.GET.get("next") or request.POST.get("next") or "/"
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "/"


@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """The second step of logging in: a code from the authenticator app, or a security key.

    A user with neither yet sets one up here: the app (its key shown, confirmed by a first
    code), or a security key registered through the same page."""
    user = request.user
    assert isinstance(user, User)
    setting_up = not user.has_two_factor
    if setting_up and not user.totp_secret:
        start_two_factor(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            pass_totp(user, code=form.cleaned_data["code"])
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
            "has_totp": user.has_totp,
            "has_keys": user.security_keys.exists(),
            "secret": user.totp_secret if setting_up else "",
            "uri": totp_uri(user) if setting_up else "",
            "next": _next_url(request),
        },
    )


def _party(request: HttpRequest) -> RelyingParty:
    """This site as the browser sees it; the host is one of ALLOWED_HOSTS (Django checks)."""
    host = request.get_host()
    origin = f"{request.scheme}://{host}"
    return RelyingParty(id=settings.I4P_WEBAUTHN_RP_ID or host.rsplit(":", 1)[0], origin=origin)


def _json_error(error: DomainError) -> JsonResponse:
    return JsonResponse(error.as_dict(), status=error.status)


def _may_add_key(request: HttpRequest, user: User) -> bool:
    """A new key needs a session past its second factor, or an account with none yet: else
    a stolen password alone would add the thief's key."""
    return bool(request.session.get(SESSION_KEY)) or not user.has_two_factor


@login_required
@require_POST
def key_register_options(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    if not _may_add_key(request, user):
        return _json_error(NotAllowed(_("Confirm your second factor before adding a key.")))
    ceremony = registration_options(user, party=_party(request))
    request.session[_REGISTER_CHALLENGE] = bytes_to_base64url(ceremony.challenge)
    return HttpResponse(ceremony.options_json, content_type="application/json")


@login_required
@require_POST
def key_register(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    if not _may_add_key(request, user):
        return _json_error(NotAllowed(_("Confirm your second factor before adding a key.")))
    challenge = request.session.pop(_REGISTER_CHALLENGE, None)
    try:
        if challenge is None:
            raise Invalid(_("Start again: the key was asked nothing yet."))
        body = _json_body(request)
        add_security_key(
            user,
            name=str(body.get("name", "")),
            credential=body.get("credential"),
            challenge=base64url_to_bytes(challenge),
            party=_party(request),
        )
    except DomainError as error:
        return _json_error(error)
    # Holding the key it just registered is a second factor: this session has passed.
    request.session[SESSION_KEY] = True
    return JsonResponse({"next": _next_url(request)})


@login_required
@require_POST
def key_login_options(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    try:
        ceremony = login_options(user, party=_party(request))
    except DomainError as error:
        return _json_error(error)
    request.session[_LOGIN_CHALLENGE] = bytes_to_base64url(ceremony.challenge)
    return HttpResponse(ceremony.options_json, content_type="application/json")


@login_required
@require_POST
def key_login(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    challenge = request.session.pop(_LOGIN_CHALLENGE, None)
    try:
        if challenge is None:
            raise Invalid(_("Start again: the key was asked nothing yet."))
        if user.is_locked:
            raise NotAllowed(_("This account is locked for a while. Try again later."))
        pass_security_key(
            user,
            credential=_json_body(request).get("credential"),
            challenge=base64url_to_bytes(challenge),
            party=_party(request),
        )
    except DomainError as error:
        return _json_error(error)
    request.session[SESSION_KEY] = True
    return JsonResponse({"next": _next_url(request)})


def _json_body(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError as error:
        raise Invalid(_("The request is not JSON.")) from error
    if not isinstance(body, dict):
        raise Invalid(_("The request is not a JSON object."))
    return body


@login_required
@require_POST
def remove_key(request: HttpRequest, key_uuid: str) -> HttpResponse:
    key = get_object_or_404(SecurityKey, uuid=key_uuid, user=request.user)
    assert isinstance(request.user, User)
    remove_security_key(key, by=request.user)
    messages.success(request, _("Security key removed."))
    return redirect("accounts:account")


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
            "keys": user.security_keys.order_by("created_at"),
            "has_totp": user.has_totp,
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
