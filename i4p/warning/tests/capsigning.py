"""Signing CAP documents in tests: self-made certificates and authorities, and real alerts
changed and signed again, as someone forging an alert would."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml.algorithms import SignatureMethod
from signxml.signer import XMLSigner

from i4p.warning import cap
from i4p.warning.cap import read_alert


@dataclass(frozen=True)
class Signer:
    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate

    @property
    def pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()


def make_signer(
    common_name: str, *, issuer: Signer | None = None, authority: bool = False
) -> Signer:
    """A certificate for `common_name`: self-signed, or issued by `issuer`."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.certificate.subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=authority, path_length=None), critical=True)
    )
    if not authority:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(common_name)]), critical=False
        )
    certificate = builder.sign(issuer.key if issuer else key, hashes.SHA256())
    return Signer(key=key, certificate=certificate)


def resign(
    document: bytes,
    signer: Signer,
    *,
    chain: tuple[Signer, ...] = (),
    headline: str | None = None,
) -> bytes:
    """The document without its signature, its first headline changed if asked, signed
    anew by `signer` (carrying the certificates of `chain` after its own)."""
    root = etree.fromstring(
        document, etree.XMLParser(remove_blank_text=True, resolve_entities=False)
    )
    for old in root.findall(f"{{{cap.DSIG}}}Signature"):
        root.remove(old)
    if headline is not None:
        element = root.find(f"{{{cap.NS}}}info/{{{cap.NS}}}headline")
        assert element is not None
        element.text = headline
    signed = XMLSigner(signature_algorithm=SignatureMethod.ECDSA_SHA256).sign(
        root, key=signer.key, cert=[signer.pem, *(c.pem for c in chain)]
    )
    return etree.tostring(signed, xml_declaration=True, encoding="utf-8")


def carried_pem(document: bytes) -> str:
    """The PEM of the certificate a signed document carries (its signer's)."""
    certificate = read_alert(document).certificates[0]
    return certificate.public_bytes(serialization.Encoding.PEM).decode()
