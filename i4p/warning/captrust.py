"""Who signed an imported CAP alert: trust anchors that an admin configures per sender.

A CAP document's XML signature is checked (`cap.read_alert`) with the certificate the document
itself carries, which proves only that the document is unchanged since that key signed it:
anyone can make a certificate with any name. So an alert counts as "signed by a trusted
sender" only when an active `CapTrustAnchor` for the alert's own `<sender>` vouches for the
signer's certificate, because the anchor holds that very certificate, or holds the authority
(CA) certificate that issued it (directly, or through intermediate certificates the document
carries) and the signer's certificate carries the anchor's signer name. Otherwise a verified
signature is "signed, but the signer is not trusted", and routing treats it as unsigned.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from django.db import transaction

from i4p.core.errors import Invalid
from i4p.warning.cap import Imported
from i4p.warning.configuration import save_configuration
from i4p.warning.models import CapTrustAnchor, SignatureState

# An imported copy of an alert replaces the stored one only when it is better signed.
RANK: dict[str, int] = {
    SignatureState.UNSIGNED: 0,
    SignatureState.UNTRUSTED: 1,
    SignatureState.TRUSTED: 2,
}
# How many intermediate certificates a chain may pass through to reach an anchor.
MAX_CHAIN = 4
PEM_BLOCK = re.compile(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)


@dataclass(frozen=True)
class Trust:
    state: str  # a `SignatureState`
    signer: str  # the signer's certificate (subject, validity), and the anchor that vouched
    anchor: CapTrustAnchor | None = None

    @property
    def label(self) -> str:
        return str(SignatureState(self.state).label)

    def describe(self) -> str:
        """The state in words, with its signer: what pages and audit notes say."""
        return f"{self.label}: {self.signer}" if self.signer else self.label


def describe(state: str, signer: str) -> str:
    return Trust(state=state, signer=signer).describe()


def certificates_of(text: str) -> list[x509.Certificate]:
    """The PEM certificates in `text` (one, or a CA bundle); refused when there is none or
    one cannot be read."""
    blocks = PEM_BLOCK.findall(text or "")
    if not blocks:
        raise Invalid(
            "Paste at least one PEM certificate (-----BEGIN CERTIFICATE----- …).",
            fields={"certificates": ["no PEM certificate"]},
        )
    try:
        return [x509.load_pem_x509_certificate(block.encode()) for block in blocks]
    except ValueError as error:
        raise Invalid(
            "A certificate of the anchor cannot be read.",
            fields={"certificates": ["unreadable certificate"]},
        ) from error


def is_authority(certificate: x509.Certificate) -> bool:
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    except x509.ExtensionNotFound:
        return False
    return bool(constraints.value.ca)


def check_anchor(anchor: CapTrustAnchor) -> None:
    """An anchor names its sender, holds readable certificates, and names the signer when it
    holds an authority: a CA vouches for everyone it issues certificates to."""
    if not anchor.sender.strip():
        raise Invalid("Name the CAP sender this anchor vouches for.", fields={"sender": ["empty"]})
    anchor.sender = anchor.sender.strip()
    anchor.signer_name = anchor.signer_name.strip()
    found = certificates_of(anchor.certificates)
    if any(is_authority(c) for c in found) and not anchor.signer_name:
        raise Invalid(
            "This anchor holds an authority's certificate, which issues certificates to "
            "anyone: name the signer its certificate must carry.",
            fields={"signer_name": ["required for an authority"]},
        )


@transaction.atomic
def save_trust_anchor(
    anchor: CapTrustAnchor, *, by: Any, fields: list[str] | None = None
) -> CapTrustAnchor:
    """Validate and save an anchor, audited like any configuration."""
    check_anchor(anchor)
    return save_configuration(anchor, by=by, fields=fields or [])


def _fingerprint(certificate: x509.Certificate) -> bytes:
    return certificate.fingerprint(hashes.SHA256())


def _names(certificate: x509.Certificate) -> set[str]:
    names = {
        str(a.value).casefold()
        for a in certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    }
    try:
        alternative = certificate.extensions.get_extension_for_class(
            x509.SubjectAlternativeName
        ).value
    except x509.ExtensionNotFound:
        return names
    names.update(n.casefold() for n in alternative.get_values_for_type(x509.DNSName))
    names.update(n.casefold() for n in alternative.get_values_for_type(x509.RFC822Name))
    return names


def _valid_at(certificate: x509.Certificate, moment: dt.datetime) -> bool:
    return certificate.not_valid_before_utc <= moment <= certificate.not_valid_after_utc


def _issued_by(certificate: x509.Certificate, issuer: x509.Certificate, at: dt.datetime) -> bool:
    if not is_authority(issuer) or not _valid_at(issuer, at):
        return False
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def vouches(anchor: CapTrustAnchor, carried: tuple[x509.Certificate, ...]) -> bool:
    """Does the anchor vouch for the signer (`carried[0]`, with the document's other
    certificates as possible intermediates)?"""
    signer, intermediates = carried[0], carried[1:]
    try:
        held = certificates_of(anchor.certificates)
    except Invalid:
        return False
    named = not anchor.signer_name or anchor.signer_name.casefold() in _names(signer)
    if not named:
        return False
    if _fingerprint(signer) in {_fingerprint(c) for c in held}:
        return True  # the anchor holds this very certificate
    if not anchor.signer_name:
        return False  # an authority never vouches for a signer it was not told the name of
    # Checked at the moment the signature was, within the signer's own validity (`cap`).
    at = signer.not_valid_before_utc + dt.timedelta(seconds=1)
    current = signer
    for _step in range(MAX_CHAIN + 1):
        if any(_issued_by(current, authority, at) for authority in held):
            return True
        above = next((c for c in intermediates if _issued_by(current, c, at)), None)
        if above is None or above is current:
            return False
        current = above
    return False


def trust_of(read: Imported, *, sender: str) -> Trust:
    """What the imported alert's signature says about its sender."""
    if read.signature != "signed" or not read.certificates:
        return Trust(state=SignatureState.UNSIGNED, signer="")
    anchors = CapTrustAnchor.objects.filter(sender__iexact=sender.strip(), is_active=True)
    for anchor in anchors.order_by("pk"):
        if vouches(anchor, read.certificates):
            signer = f"{read.signer}, vouched for by {anchor.name}"
            return Trust(state=SignatureState.TRUSTED, signer=signer[:300], anchor=anchor)
    return Trust(state=SignatureState.UNTRUSTED, signer=read.signer[:300])
