"""Keys rotate without downtime: after `i4p rotate_keys` the old keys can go and everything
still opens, and a returning sender still threads onto their reporter."""

from __future__ import annotations

import io
import secrets
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import models

from i4p.accounts.models import SecurityKey
from i4p.core.models import AuditEvent
from i4p.warning import identity
from i4p.warning.intake import (
    Draft,
    Identity,
    inbound_sender,
    reporter_for,
    store_inbound,
    submit_report,
)
from i4p.warning.models import Channel, CountPack, Gateway, InboundMessage, Reporter
from i4p.warning.rotation import SEALED_COLUMNS, rotate_keys
from i4p.warning.tests.builders import build_warning_world

pytestmark = pytest.mark.django_db

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()
OLD_HASH = secrets.token_urlsafe(32)
NEW_HASH = secrets.token_urlsafe(32)


def plant(count: int) -> list[Reporter]:
    world = build_warning_world()
    gateway = Gateway.objects.create(
        name="Demo SMS",
        slug="demo-sms",
        kind=Channel.GENERIC,
        country_code="GH",
        secret=identity.seal({"secret": "s3cret-of-the-gateway"}),
    )
    reporters = []
    for n in range(count):
        inbound, _new = store_inbound(
            Channel.GENERIC,
            {"text": f"AC 3 Tamale clash {n}"},
            sender=Identity(phone=f"020 000 0{n:03d}"),
            gateway=gateway,
            external_id=f"m-{n}",
        )
        assert inbound.reporter is not None
        reporters.append(inbound.reporter)
    report, _new = submit_report(
        Draft(description="Road blocked", place=world.tamale),
        by=None,
        channel=Channel.WEB,
        payload={"description": "Road blocked"},
        sender=Identity(name="Kofi Fictitious", email="Kofi.Fictitious@example.invalid"),
    )
    assert report.reporter is not None
    reporters.append(report.reporter)
    return reporters


def test_after_rotation_the_old_keys_can_go_and_everything_still_opens(
    settings: Any,
) -> None:
    settings.I4P_IDENTITY_KEYS = [OLD_KEY]
    settings.I4P_SENDER_HASH_KEYS = [OLD_HASH]
    reporters = plant(7)
    old_hashes = dict(Reporter.objects.values_list("pk", "sender_hash"))

    settings.I4P_IDENTITY_KEYS = [NEW_KEY, OLD_KEY]
    settings.I4P_SENDER_HASH_KEYS = [NEW_HASH, OLD_HASH]
    report = rotate_keys(batch_size=3)  # several batches
    assert report.resealed["warning.Reporter.identity"] == 8
    assert report.resealed["warning.InboundMessage.payload"] == 8
    assert report.resealed["warning.Gateway.secret"] == 1
    assert report.rehashed == 8
    assert AuditEvent.objects.filter(action="keys.rotated").count() == 1

    settings.I4P_IDENTITY_KEYS = [NEW_KEY]
    settings.I4P_SENDER_HASH_KEYS = [NEW_HASH]
    assert identity.unseal(Reporter.objects.get(pk=reporters[2].pk).identity) == {
        "phone": "+233200000002"
    }
    sender = inbound_sender(InboundMessage.objects.get(external_id="m-5"))
    assert sender.phone == "020 000 0005"
    assert identity.unseal(Gateway.objects.get().secret) == {"secret": "s3cret-of-the-gateway"}
    kofi = Reporter.objects.get(pk=reporters[-1].pk)
    assert identity.unseal(kofi.identity)["name"] == "Kofi Fictitious"
    new_hashes = dict(Reporter.objects.values_list("pk", "sender_hash"))
    assert all(new_hashes[pk] != old_hashes[pk] for pk in old_hashes)
    # The same senders come back, spelt differently: they thread onto their reporters.
    assert reporter_for(Identity(phone="+233 20 000 0004"), country="GH") == reporters[4]
    assert reporter_for(Identity(phone="233200000006"), country="GH") == reporters[6]
    assert reporter_for(Identity(email="kofi.fictitious@EXAMPLE.invalid")) == reporters[-1]
    assert Reporter.objects.count() == 8


def test_without_rotation_removing_the_old_key_would_lock_the_records_out(
    settings: Any,
) -> None:
    settings.I4P_IDENTITY_KEYS = [OLD_KEY]
    reporters = plant(1)
    settings.I4P_IDENTITY_KEYS = [NEW_KEY]
    with pytest.raises(ImproperlyConfigured):
        identity.unseal(Reporter.objects.get(pk=reporters[0].pk).identity)


def test_while_both_keys_are_listed_old_and_new_records_open_and_old_hashes_thread(
    settings: Any,
) -> None:
    settings.I4P_IDENTITY_KEYS = [OLD_KEY]
    settings.I4P_SENDER_HASH_KEYS = [OLD_HASH]
    reporters = plant(2)
    settings.I4P_IDENTITY_KEYS = [NEW_KEY, OLD_KEY]
    settings.I4P_SENDER_HASH_KEYS = [NEW_HASH, OLD_HASH]
    # The site restarted with the new key first and keeps running before rotate_keys runs.
    assert identity.unseal(Reporter.objects.get(pk=reporters[1].pk).identity)["phone"]
    assert reporter_for(Identity(phone="020 000 0001"), country="GH") == reporters[1]


def test_a_second_run_changes_nothing_and_a_stopped_run_resumes(
    settings: Any,
) -> None:
    settings.I4P_IDENTITY_KEYS = [OLD_KEY]
    settings.I4P_SENDER_HASH_KEYS = [OLD_HASH]
    plant(4)
    settings.I4P_IDENTITY_KEYS = [NEW_KEY, OLD_KEY]
    settings.I4P_SENDER_HASH_KEYS = [NEW_HASH, OLD_HASH]
    # A run stopped half-way: only some rows are under the new key.
    first = InboundMessage.objects.order_by("pk").first()
    assert first is not None
    InboundMessage.objects.filter(pk=first.pk).update(payload=identity.reseal(first.payload))
    report = rotate_keys()
    assert report.resealed["warning.InboundMessage.payload"] == 4
    assert report.already_current["warning.InboundMessage.payload"] == 1
    again = rotate_keys()
    assert sum(again.resealed.values()) == 0 and again.rehashed == 0
    before = list(Reporter.objects.order_by("pk").values_list("identity", "sender_hash"))
    rotate_keys()
    assert list(Reporter.objects.order_by("pk").values_list("identity", "sender_hash")) == before


def test_the_command_prints_what_it_did(settings: Any) -> None:
    settings.I4P_IDENTITY_KEYS = [OLD_KEY]
    settings.I4P_SENDER_HASH_KEYS = [OLD_HASH]
    plant(2)
    settings.I4P_IDENTITY_KEYS = [NEW_KEY, OLD_KEY]
    out = io.StringIO()
    call_command("rotate_keys", "--no-progress", stdout=out)
    assert "warning.Reporter.identity: 3 re-encrypted" in out.getvalue()


def test_every_encrypted_column_of_the_project_is_rotated() -> None:
    binary = {
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.BinaryField)
    }
    # The count packs hold numbers of reports per place and day: nothing of a person. A security
    # key's public key is public by nature: it opens nothing and names no reporter.
    assert binary - {(CountPack, "data"), (SecurityKey, "public_key")} == set(SEALED_COLUMNS)
