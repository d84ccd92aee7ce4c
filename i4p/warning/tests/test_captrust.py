"""Trust anchors: a CAP signature is trusted only when an anchor an admin configured for the
alert's sender holds the signer's certificate, or the authority that issued it to the name
the anchor gives."""

from __future__ import annotations

import pytest

from conftest import shared_file
from i4p.accounts.tests.factories import make_user
from i4p.core.errors import Invalid
from i4p.core.models import AuditEvent
from i4p.warning.cap import read_alert
from i4p.warning.captrust import save_trust_anchor, trust_of
from i4p.warning.models import CapTrustAnchor, SignatureState
from i4p.warning.tests.capsigning import carried_pem, make_signer, resign
from i4p.web.tests.world import logged_in

pytestmark = pytest.mark.django_db

SENDER = "info@meteo.gov.sc"


def seychelles() -> bytes:
    return shared_file("cap/wmo_sc_valid.xml").read_bytes()


def anchor(certificates: str, *, sender: str = SENDER, signer_name: str = "") -> CapTrustAnchor:
    return save_trust_anchor(
        CapTrustAnchor(
            name="Seychelles Meteorological Authority",
            sender=sender,
            certificates=certificates,
            signer_name=signer_name,
        ),
        by=None,
    )


def state_of(document: bytes) -> str:
    return trust_of(read_alert(document), sender=SENDER).state


def test_an_anchor_holding_the_signers_own_certificate_makes_it_a_trusted_sender() -> None:
    assert state_of(seychelles()) == SignatureState.UNTRUSTED
    anchor(carried_pem(seychelles()))
    trust = trust_of(read_alert(seychelles()), sender=SENDER)
    assert trust.state == SignatureState.TRUSTED
    assert trust.signer.startswith("CN=www.meteo.sc")
    assert trust.signer.endswith("vouched for by Seychelles Meteorological Authority")
    assert trust.describe().startswith("signed by a trusted sender: CN=www.meteo.sc")


def test_an_inactive_anchor_vouches_for_nobody() -> None:
    held = anchor(carried_pem(seychelles()))
    held.is_active = False
    save_trust_anchor(held, by=None, fields=["is_active"])
    assert state_of(seychelles()) == SignatureState.UNTRUSTED


def test_an_authority_vouches_for_the_signer_it_names_through_intermediates() -> None:
    authority = make_signer("Seychelles Government CA", authority=True)
    intermediate = make_signer("Seychelles Issuing CA", issuer=authority, authority=True)
    signer = make_signer("www.meteo.sc", issuer=intermediate)
    impostor = make_signer("www.meteo-sc.example", issuer=intermediate)
    document = resign(seychelles(), signer, chain=(intermediate,))
    anchor(authority.pem, signer_name="www.meteo.sc")
    assert state_of(document) == SignatureState.TRUSTED
    # Issued by the same authority, but to another name.
    assert state_of(resign(seychelles(), impostor, chain=(intermediate,))) == (
        SignatureState.UNTRUSTED
    )
    # Without the intermediate the chain does not reach the anchor.
    assert state_of(resign(seychelles(), signer)) == SignatureState.UNTRUSTED
    # The same name on a self-made certificate is not issued by the authority.
    assert state_of(resign(seychelles(), make_signer("www.meteo.sc"))) == (SignatureState.UNTRUSTED)


def test_an_authority_anchor_without_a_signer_name_is_refused_and_nothing_is_saved() -> None:
    authority = make_signer("Any CA", authority=True)
    with pytest.raises(Invalid) as refused:
        anchor(authority.pem)
    assert "signer_name" in refused.value.fields
    with pytest.raises(Invalid) as refused:
        anchor("not a certificate")
    assert "certificates" in refused.value.fields
    with pytest.raises(Invalid):
        anchor(carried_pem(seychelles()), sender="  ")
    assert not CapTrustAnchor.objects.exists()


def test_an_admin_adds_a_trust_anchor_in_the_admin_and_the_change_is_audited() -> None:
    admin = make_user("cap-admin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client = logged_in(admin)
    assert client.get("/admin/warning/captrustanchor/add/").status_code == 200
    form = {
        "name": "Seychelles Meteorological Authority",
        "sender": SENDER,
        "certificates": carried_pem(seychelles()),
        "signer_name": "",
        "is_active": "on",
    }
    refused = client.post(
        "/admin/warning/captrustanchor/add/",
        {**form, "certificates": make_signer("CA", authority=True).pem},
    )
    assert refused.status_code == 200 and "name the signer" in refused.content.decode()
    assert not CapTrustAnchor.objects.exists()
    answer = client.post("/admin/warning/captrustanchor/add/", form)
    assert answer.status_code == 302, answer.content.decode()[:2000]
    saved = CapTrustAnchor.objects.get()
    assert saved.sender == SENDER and saved.is_active
    event = AuditEvent.objects.get(action="configuration.created", target_uuid=saved.uuid)
    assert event.by == admin
    assert state_of(seychelles()) == SignatureState.TRUSTED
