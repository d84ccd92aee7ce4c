"""Places named by requests and the reporter behind an account are kept by each process for a
moment (`i4p.core.kept`): a change made here is seen at once, one made in another process
within `kept.SECONDS`, and a row that was missing is never hidden."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from i4p.core import kept
from i4p.core.errors import Invalid
from i4p.geo.models import Place
from i4p.warning import intake
from i4p.warning.intake import Draft, submit_report
from i4p.warning.models import Channel, Reporter, Trust
from i4p.warning.selectors import place_named
from i4p.warning.tests.builders import build_warning_world

pytestmark = pytest.mark.django_db


def named(place_uuid: uuid.UUID, field: str) -> Place:
    place = place_named(place_uuid, field)
    assert place is not None
    return place


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [1000.0]
    monkeypatch.setattr(kept, "clock", lambda: now[0])
    return now


def test_a_place_renamed_elsewhere_is_seen_within_seconds_and_here_at_once(
    clock: list[float], django_assert_num_queries: Any
) -> None:
    world = build_warning_world()
    assert named(world.tamale.uuid, "place").name == "Tamale"
    with django_assert_num_queries(0):
        assert named(world.tamale.uuid, "place").name == "Tamale"
    # Another process renames it: a bare UPDATE, no signal reaches this process.
    Place.objects.filter(pk=world.tamale.pk).update(name="Tamale Metropolitan")
    assert named(world.tamale.uuid, "place").name == "Tamale"
    clock[0] += kept.SECONDS
    assert named(world.tamale.uuid, "place").name == "Tamale Metropolitan"
    # Saved in this process: seen at once.
    world.tamale.name = "Tamale Municipal"
    world.tamale.save()
    assert named(world.tamale.uuid, "place").name == "Tamale Municipal"


def test_a_missing_place_is_refused_every_time_and_found_as_soon_as_it_exists(
    clock: list[float],
) -> None:
    world = build_warning_world()
    new_id = uuid.uuid4()
    with pytest.raises(Invalid) as refused:
        named(new_id, "place")
    assert refused.value.fields == {"place": ["Unknown place."]}
    # Created by another process: no signal here, and no wait either.
    Place.objects.bulk_create(
        [
            Place(
                uuid=new_id, name="Gushegu", kind="admin2", parent=world.northern, country_code="GH"
            )
        ]
    )
    assert named(new_id, "place").name == "Gushegu"


def test_each_request_gets_its_own_copy_of_a_kept_place() -> None:
    world = build_warning_world()
    first = named(world.tamale.uuid, "place")
    first.name = "changed by one request"
    assert named(world.tamale.uuid, "place").name == "Tamale"


def test_a_reporter_blocked_here_is_triaged_at_once_and_elsewhere_within_seconds(
    clock: list[float],
) -> None:
    world = build_warning_world()

    def send(text: str, place: Place) -> Any:
        report, _ = submit_report(
            Draft(description=text, place=place), by=world.monitor, channel=Channel.API, payload={}
        )
        return report

    blocked = "The sender is blocked."
    assert blocked not in send("Market tense.", world.tamale).triage_reasons
    reporter = Reporter.objects.get(user=world.monitor)
    reporter.trust = Trust.BLOCKED
    reporter.save()
    assert blocked in send("Market tense again.", world.tamale).triage_reasons
    # Unblocked by another process: seen here once the moment is over.
    Reporter.objects.filter(pk=reporter.pk).update(trust=Trust.KNOWN)
    assert blocked in send("Still tense.", world.tamale).triage_reasons
    clock[0] += kept.SECONDS
    assert blocked not in send("Calm now.", world.tamale).triage_reasons
    assert Reporter.objects.filter(user=world.monitor).count() == 1


def test_two_first_reports_of_one_account_at_once_make_one_reporter_and_both_are_stored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = build_warning_world()
    first, _ = submit_report(
        Draft(description="Market tense.", place=world.tamale),
        by=world.monitor,
        channel=Channel.API,
        payload={},
    )
    # The second request looked before the first one's reporter was committed.
    monkeypatch.setattr(intake._account_reporters, "read", lambda key, load: None)
    second, _ = submit_report(
        Draft(description="Still tense.", place=world.tamale),
        by=world.monitor,
        channel=Channel.API,
        payload={},
    )
    assert Reporter.objects.filter(user=world.monitor).count() == 1
    assert second.reporter_id == first.reporter_id
