"""Security keys and passkeys (WebAuthn) as a second factor beside the authenticator app.

Staff in the field lose phones: a key on a keyring, or a passkey kept by another device, lets
them in without the app. The browser side is `static/i4p/passkeys.js`; the checks are py_webauthn's.
A ceremony has two steps: the options (with a fresh challenge, which the caller keeps in the
session) and the browser's answer, checked against that challenge, this site's origin and
relying-party id, and, when logging in, the key's public key and signature counter.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import webauthn
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from i4p.accounts.models import SecurityKey, User
from i4p.core.audit import record_event
from i4p.core.errors import Invalid, NotFound

RP_NAME = "i4p"


@dataclass(frozen=True)
class RelyingParty:
    """Who asks: the site's host name (the relying-party id) and its origin, as browsers see it."""

    id: str
    origin: str


@dataclass(frozen=True)
class Ceremony:
    """Options to hand to the browser, and the challenge to keep until it answers."""

    options_json: str
    challenge: bytes


def registration_options(user: User, *, party: RelyingParty) -> Ceremony:
    options = webauthn.generate_registration_options(
        rp_id=party.id,
        rp_name=RP_NAME,
        user_id=user.uuid.bytes,
        user_name=user.username,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=_descriptors(user),
    )
    return Ceremony(webauthn.options_to_json(options), options.challenge)


@transaction.atomic
def add_security_key(
    user: User, *, name: str, credential: Any, challenge: bytes, party: RelyingParty
) -> SecurityKey:
    """Register the key the browser created for this challenge; its name tells it apart."""
    name = (name or "").strip()[:100]
    if not name:
        raise Invalid(_("Give the key a name."), fields={"name": [_("Required.")]})
    try:
        verified = webauthn.verify_registration_response(
            credential=_as_json(credential),
            expected_challenge=challenge,
            expected_rp_id=party.id,
            expected_origin=party.origin,
        )
    except (InvalidRegistrationResponse, ValueError, KeyError, TypeError) as error:
        raise Invalid(
            _("The security key's answer could not be checked: %(reason)s")
            % {"reason": str(error)[:200]},
            fields={"credential": [_("Not accepted.")]},
        ) from error
    credential_id = bytes_to_base64url(verified.credential_id)
    if SecurityKey.objects.filter(credential_id=credential_id).exists():
        raise Invalid(
            _("This security key is already registered."),
            fields={"credential": [_("Already registered.")]},
        )
    key = SecurityKey.objects.create(
        user=user,
        name=name,
        credential_id=credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
    )
    record_event(key, "user.security_key_added", by=user, fields=["name"])
    return key


def login_options(user: User, *, party: RelyingParty) -> Ceremony:
    descriptors = _descriptors(user)
    if not descriptors:
        raise NotFound(_("This account has no security key."))
    options = webauthn.generate_authentication_options(
        rp_id=party.id,
        allow_credentials=descriptors,
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return Ceremony(webauthn.options_to_json(options), options.challenge)


@transaction.atomic
def pass_security_key(
    user: User, *, credential: Any, challenge: bytes, party: RelyingParty
) -> SecurityKey:
    """Check the browser's answer to a login challenge with one of the user's own keys.

    The signature counter must grow (when the key keeps one): a counter that does not is the
    sign of a cloned key, and the answer is refused."""
    body = _as_json(credential)
    try:
        credential_id = str(json.loads(body)["id"])
    except (ValueError, KeyError, TypeError) as error:
        raise Invalid(_("The security key's answer is not readable.")) from error
    key = (
        SecurityKey.objects.select_for_update()
        .filter(user=user, credential_id=credential_id)
        .first()
    )
    if key is None:
        raise Invalid(
            _("This security key is not one of this account's."),
            fields={"credential": [_("Unknown key.")]},
        )
    try:
        verified = webauthn.verify_authentication_response(
            credential=body,
            expected_challenge=challenge,
            expected_rp_id=party.id,
            expected_origin=party.origin,
            credential_public_key=bytes(key.public_key),
            credential_current_sign_count=key.sign_count,
        )
    except (InvalidAuthenticationResponse, ValueError, KeyError, TypeError) as error:
        raise Invalid(
            _("The security key's answer could not be checked: %(reason)s")
            % {"reason": str(error)[:200]},
            fields={"credential": [_("Not accepted.")]},
        ) from error
    key.sign_count = verified.new_sign_count
    key.last_used_at = timezone.now()
    key.save(update_fields=["sign_count", "last_used_at", "updated_at"])
    record_event(key, "user.security_key_used", by=user, fields=["sign_count"])
    return key


@transaction.atomic
def remove_security_key(key: SecurityKey, *, by: User) -> None:
    if key.user_id != by.pk:
        raise NotFound(_("No such security key."))
    record_event(key, "user.security_key_removed", by=by, fields=["name"])
    key.delete()


def _descriptors(user: User) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(id=webauthn.base64url_to_bytes(credential_id))
        for credential_id in user.security_keys.values_list("credential_id", flat=True)
    ]


def _as_json(credential: Any) -> str:
    if isinstance(credential, str):
        return credential
    return json.dumps(credential)
