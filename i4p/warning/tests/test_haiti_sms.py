"""Done means: the real Haiti 2010 crisis messages, sent through every gateway format, become
reports or triage items — none lost, none duplicated when every message is delivered twice.

The messages are the `direct` rows (people writing themselves, not news) of the test and
validation splits of the Haiti earthquake SMS corpus (rmunro/disaster_response), sent in their
Creole original; senders are invented. To stay under a minute the test sends a fixed,
evenly spread sample (SAMPLE_PER_GATEWAY rows per gateway, a different slice for each), every
message twice, against the Haitian gazetteer from the packaged loaders.
"""

from __future__ import annotations

import csv
import gzip
from collections import Counter

import pytest
from django.test import Client

from conftest import shared_file
from i4p.geo.loaders import load_places
from i4p.geo.models import Place
from i4p.warning.frameworks import load_default_framework
from i4p.warning.models import (
    InboundMessage,
    InboundState,
    LocationMethod,
    PlacePrecision,
    Report,
)
from i4p.warning.tests.sms import KINDS, make_gateway, post_sms

pytestmark = pytest.mark.django_db

SAMPLE_PER_GATEWAY = 80
FILES = (
    "text/rmunro_disaster_response_test.csv.gz",
    "text/rmunro_disaster_response_validation.csv.gz",
)


def direct_messages() -> list[tuple[str, str]]:
    """(corpus id, text) of every `direct` row, the Creole original where there is one."""
    rows: list[tuple[str, str]] = []
    for name in FILES:
        with gzip.open(shared_file(name), "rt", encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if row["genre"] == "direct":
                    rows.append((row["id"], (row["original"] or row["message"]).strip()))
    return rows


@pytest.mark.slow
def test_the_haiti_2010_messages_through_every_gateway_are_all_kept_once() -> None:
    messages = direct_messages()
    assert len(messages) > 2000  # 1,069 + 1,047 direct rows in the two splits
    load_places(["HT"], progress=False)
    load_default_framework()
    assert Place.objects.filter(country_code="HT").count() > 100
    step = len(messages) // (SAMPLE_PER_GATEWAY * len(KINDS))
    sample = messages[::step][: SAMPLE_PER_GATEWAY * len(KINDS)]
    client = Client()
    sent: list[tuple[str, str]] = []  # (gateway kind, message id)
    first_answers: dict[tuple[str, str], bytes] = {}
    for k, kind in enumerate(KINDS):
        gateway = make_gateway(kind, country="HT", slug=f"haiti-{kind}")
        batch = sample[k * SAMPLE_PER_GATEWAY : (k + 1) * SAMPLE_PER_GATEWAY]
        for delivery in range(2):  # every message delivered twice, as a retrying gateway does
            for n, (corpus_id, text) in enumerate(batch):
                sender = f"+509 3{k} {n // 100:02d} {n % 100:02d}{k:02d}"
                answer = post_sms(
                    client, gateway, sender=sender, text=text, message_id=f"ht-{corpus_id}"
                )
                assert answer.status_code == 200, (kind, corpus_id)
                key = (kind, f"ht-{corpus_id}")
                if delivery == 0:
                    sent.append(key)
                    first_answers[key] = answer.content
                else:
                    assert answer.content == first_answers[key]  # answered the same

    inbound = InboundMessage.objects.all()
    assert inbound.count() == len(sent) == SAMPLE_PER_GATEWAY * len(KINDS)  # none lost, none twice
    assert set(inbound.values_list("channel", "external_id")) == set(sent)
    states = Counter(inbound.values_list("state", flat=True))
    # Each message became a report or waits in triage; nothing is left unread.
    assert set(states) <= {InboundState.REPORTED, InboundState.TRIAGE}
    reports = Report.objects.all()
    assert reports.count() == states[InboundState.REPORTED]
    assert not inbound.filter(state=InboundState.REPORTED, report__isnull=True).exists()

    placed = reports.filter(location_method=LocationMethod.GEOCODED).exclude(
        place_precision__in=[PlacePrecision.COUNTRY, PlacePrecision.UNKNOWN]
    )
    sure = placed.exclude(triage_reasons__icontains="place name")
    per_kind = Counter(placed.values_list("channel", flat=True))
    print(
        f"\nHaiti 2010, {len(sent)} direct messages ({SAMPLE_PER_GATEWAY} per gateway x "
        f"{len(KINDS)} formats, each delivered twice): "
        f"{reports.count()} became reports, {placed.count()} of them with a place found in the "
        f"text automatically ({sure.count()} matched exactly and unambiguously), "
        f"{states[InboundState.TRIAGE]} went to triage (no code, no known place). "
        f"Placed per gateway: {dict(per_kind)}"
    )
    assert placed.count() > 0 and states[InboundState.TRIAGE] > 0
    assert reports.count() + states[InboundState.TRIAGE] == len(sent)
    # Free text has no event code: every such report waits for a person's eye as well.
    assert all(report.needs_triage for report in reports)
