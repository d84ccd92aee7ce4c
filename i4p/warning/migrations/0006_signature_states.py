"""Imported alerts' signatures as states: "valid: <signer>" meant only that the signature
verified with the certificate the document carried. No trust anchor existed, so nobody had
vouched for those signers: they become "untrusted", the signer kept beside the state."""

from __future__ import annotations

from typing import Any

from django.db import migrations

OLD_PREFIX = "valid: "


def to_states(apps: Any, schema_editor: Any) -> None:
    Alert = apps.get_model("warning", "Alert")
    for alert in Alert.objects.filter(signature__startswith="valid").only("signature", "signer"):
        signer = alert.signature[len(OLD_PREFIX) :] if alert.signature.startswith(OLD_PREFIX) else ""
        alert.signature = "untrusted"
        alert.signer = signer[:300]
        alert.save(update_fields=["signature", "signer"])


def to_labels(apps: Any, schema_editor: Any) -> None:
    Alert = apps.get_model("warning", "Alert")
    for alert in Alert.objects.filter(signature__in=("trusted", "untrusted")).only(
        "signature", "signer"
    ):
        alert.signature = (OLD_PREFIX + alert.signer)[:200] if alert.signer else "valid"
        alert.signer = ""
        alert.save(update_fields=["signature", "signer"])


class Migration(migrations.Migration):
    dependencies = [("warning", "0005_cap_trust_anchors")]

    operations = [migrations.RunPython(to_states, to_labels)]
