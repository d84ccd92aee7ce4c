"""Situation reports: drafted from the data with the right figures, edited, published with the
figures frozen, read by whom they are for, and printed to PDF by headless Chromium."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.test import Client
from django.utils import timezone

from conftest import skip_or_fail
from i4p.core.errors import NotAllowed, WrongState
from i4p.core.models import AuditEvent
from i4p.warning import situation
from i4p.warning.alerts import acknowledge_alert
from i4p.warning.models import (
    Incident,
    IncidentStatus,
    Outcome,
    Report,
    Response,
    ResponseKind,
    SituationReport,
    SituationReportState,
    TimePrecision,
    Verification,
)
from i4p.warning.tests.roomworld import RoomWorld, build_room_world, report
from i4p.web.tests.world import logged_in

pytestmark = pytest.mark.django_db


@dataclass
class Controlled:
    world: RoomWorld
    starts_on: dt.date
    ends_on: dt.date
    raid: Incident


@pytest.fixture
def data() -> Controlled:
    """The room world, plus what must be counted and what must not."""
    world = build_room_world()
    w = world.warning
    today = timezone.localdate()
    raid = Incident.objects.create(
        title="Night raid on Kalpohin",
        event_type=world.clash,
        place=w.tamale,
        occurred_at=timezone.now() - dt.timedelta(days=5),
        status=IncidentStatus.SUGGESTED,
    )
    counted = report(w, world.clash, place=w.tamale, day=today - dt.timedelta(days=5), killed=10)
    Report.objects.filter(pk=counted.pk).update(incident=raid)
    # Not counted: judged false, known only to the year, or before the period.
    report(w, world.clash, place=w.tamale, day=today, killed=50, verification=Verification.FALSE)
    report(w, world.clash, place=w.tamale, day=today, killed=100, precision=TimePrecision.YEAR)
    report(w, world.clash, place=w.tamale, day=today - dt.timedelta(days=60), killed=7)
    acknowledge_alert(world.issued, by=world.responder)
    Response.objects.create(
        alert=world.issued,
        actor=world.committee,
        by=world.responder,
        kind=ResponseKind.MEDIATION,
        description="The committee met both quarters' elders.",
        started_at=timezone.now(),
        outcome=Outcome.DE_ESCALATED,
    )
    return Controlled(world, today - dt.timedelta(days=29), today, raid)


def _draft(data: Controlled, place: object = None, by: object = None) -> SituationReport:
    w = data.world.warning
    return situation.draft_situation_report(
        place or w.tamale,  # type: ignore[arg-type]
        by=by or w.tamale_analyst,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        language="en",
    )


def test_a_draft_holds_the_right_figures_for_the_place_and_period(data: Controlled) -> None:
    sitrep = _draft(data)
    figures = sitrep.figures
    assert sitrep.state == SituationReportState.DRAFT and "Tamale" in sitrep.title
    assert figures["totals"] == {
        "reports": 5,
        "confirmed": 1,
        "killed": 13,
        "injured": 5,
        "displaced": 0,
        "signals": 1,
        "alerts": 1,  # the draft alert reached nobody: not counted
        "acknowledged": 1,
        "responses": 1,
        "with_outcome": 1,
    }
    assert [(row["name"], row["reports"], row["confirmed"]) for row in figures["by_type"]] == [
        ("Armed clash", 4, 1),
        ("Peaceful protest", 1, 0),
    ]
    assert sum(row[1] for row in figures["series"]) == 5
    assert sum(row[2] for row in figures["series"]) == 13
    chart = situation.chart_of(sitrep)
    assert chart.total == 5 and sum(bar.killed for bar in chart.bars) == 13
    assert [s["method"] for s in figures["signals"]] == ["c2"]
    assert figures["responses"] == [{"kind": "mediation", "responses": 1, "with_outcome": 1}]
    # Notable incidents: the confirmed one first, then the largest casualties.
    assert [i["title"] for i in figures["incidents"]] == [
        "Market clash in Tamale",
        "Night raid on Kalpohin",
    ]
    assert figures["incidents"][0]["killed"] == 3 and figures["incidents"][1]["killed"] == 10
    assert figures["notes"] == dict.fromkeys(situation.SECTIONS, "")


def test_a_region_report_maps_its_districts(data: Controlled) -> None:
    w = data.world.warning
    sitrep = _draft(data, place=w.northern, by=w.national_analyst)
    assert sitrep.figures["totals"]["reports"] == 6 and sitrep.figures["totals"]["killed"] == 18
    points = {p["place"]: p["reports"] for p in sitrep.figures["points"]}
    assert points == {"Tamale": 5, "Yendi": 1}
    dots = situation.map_dots(sitrep.figures["points"])
    tamale, yendi = sorted(dots, key=lambda dot: dot.label)
    assert tamale.x < yendi.x  # Tamale lies west of Yendi
    assert tamale.r > yendi.r  # and has more reports


def test_an_analyst_of_another_district_can_neither_draft_nor_read_tamales(
    data: Controlled,
) -> None:
    w = data.world.warning
    with pytest.raises(NotAllowed):
        _draft(data, by=w.yendi_analyst)
    sitrep = _draft(data)
    assert logged_in(w.yendi_analyst).get(f"/situation/{sitrep.uuid}/").status_code == 404
    assert Client().get(f"/situation/{sitrep.uuid}/").status_code == 404
    listing = logged_in(w.yendi_analyst).get("/situation/").content.decode()
    assert sitrep.title not in listing


def test_publishing_freezes_the_figures_and_every_write_is_audited(data: Controlled) -> None:
    w = data.world.warning
    sitrep = _draft(data)
    sitrep = situation.edit_situation_report(
        sitrep,
        by=w.tamale_analyst,
        title="Tamale, the month of the market clashes",
        summary="Clashes rose in the third week.",
        notes={"reports": "Most reports came from the market area."},
        is_public=False,
    )
    published = situation.publish_situation_report(sitrep, by=w.tamale_analyst)
    assert published.state == SituationReportState.PUBLISHED and published.published_at
    assert published.figures["notes"]["reports"] == "Most reports came from the market area."
    report(w, data.world.clash, place=w.tamale, day=timezone.localdate(), killed=4)
    published.refresh_from_db()
    assert published.figures["totals"]["reports"] == 5  # later data change nothing
    with pytest.raises(WrongState):
        situation.refresh_situation_report(published, by=w.tamale_analyst)
    with pytest.raises(WrongState):
        situation.edit_situation_report(
            published, by=w.tamale_analyst, title="x", summary="", notes={}, is_public=True
        )
    actions = list(
        AuditEvent.objects.filter(target_uuid=sitrep.uuid)
        .order_by("at", "pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "situation_report.drafted",
        "situation_report.edited",
        "situation_report.published",
    ]


def test_an_analyst_drafts_edits_and_publishes_through_the_pages(data: Controlled) -> None:
    w = data.world.warning
    client = logged_in(w.tamale_analyst)
    answer = client.post(
        "/situation/",
        {
            "place": str(w.tamale.uuid),
            "starts_on": data.starts_on.isoformat(),
            "ends_on": data.ends_on.isoformat(),
            "language": "en",
        },
    )
    sitrep = SituationReport.objects.get()
    assert answer["Location"] == f"/situation/{sitrep.uuid}/edit/"
    form = {"title": "Tamale this month", "summary": "Calmer after mediation."}
    form |= {f"note_{key}": "" for key in situation.SECTIONS} | {"note_alerts": "One alert."}
    client.post(f"/situation/{sitrep.uuid}/edit/", {**form, "action": "save"})
    page = client.get(f"/situation/{sitrep.uuid}/").content.decode()
    assert "Tamale this month" in page and "Calmer after mediation." in page
    assert 'data-testid="note-alerts"' in page and '<svg class="series"' in page
    assert '<svg class="placemap"' in page and "Market clash in Tamale" in page
    client.post(f"/situation/{sitrep.uuid}/publish/", {"action": "publish"})
    sitrep.refresh_from_db()
    assert sitrep.state == SituationReportState.PUBLISHED
    # A published report has no edit page.
    assert client.get(f"/situation/{sitrep.uuid}/edit/").status_code == 404


def test_bad_input_to_the_draft_form_is_explained_and_stores_nothing(data: Controlled) -> None:
    w = data.world.warning
    client = logged_in(w.tamale_analyst)
    for payload in (
        {},
        {"place": str(w.volta.uuid), "starts_on": "2026-01-01", "ends_on": "2026-01-31"},
        {"place": str(w.tamale.uuid), "starts_on": "2026-02-01", "ends_on": "2026-01-01"},
        {"place": str(w.tamale.uuid), "starts_on": "2010-01-01", "ends_on": "2026-01-01"},
        {"place": str(w.tamale.uuid), "starts_on": "soon", "ends_on": "2026-01-01"},
    ):
        answer = client.post("/situation/", {"language": "en", **payload})
        assert answer.status_code == 200, payload
        assert "errorlist" in answer.content.decode() or 'role="alert"' in answer.content.decode()
    assert not SituationReport.objects.exists()
    # Someone who may not write reports finds no form to post to.
    assert logged_in(w.monitor).post("/situation/", {}).status_code == 404


def test_a_public_report_is_read_by_anyone_in_its_redacted_form(data: Controlled) -> None:
    w = data.world.warning
    sitrep = _draft(data)
    situation.edit_situation_report(
        sitrep, by=w.tamale_analyst, title="Tamale, public", summary="", notes={}, is_public=True
    )
    assert Client().get(f"/situation/{sitrep.uuid}/").status_code == 404  # still a draft
    situation.publish_situation_report(sitrep, by=w.tamale_analyst)
    page = Client().get(f"/situation/{sitrep.uuid}/").content.decode()
    assert "Tamale, public" in page
    assert "Market clash in Tamale" not in page  # incident titles are for staff
    assert "Armed clash" in page  # the type is shown instead
    # The map rolls the district up to the public level (admin1 by default).
    assert "Northern (5)" in page and "Tamale (5)" not in page
    assert "Tamale, public" in Client().get("/situation/").content.decode()
    staff_page = logged_in(w.tamale_analyst).get(f"/situation/{sitrep.uuid}/").content.decode()
    assert "Market clash in Tamale" in staff_page and "Tamale (5)" in staff_page


def test_the_pdf_is_printed_by_headless_chromium(data: Controlled) -> None:
    if situation.chromium() is None:
        skip_or_fail("needs Chromium (Debian package `chromium`) to print PDF")
    sitrep = _draft(data)
    answer = logged_in(data.world.warning.tamale_analyst).get(
        f"/situation/{sitrep.uuid}/report.pdf"
    )
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF-")
    assert len(answer.content) > 5000


def test_without_chromium_the_page_says_how_to_install_it(
    data: Controlled, settings: object
) -> None:
    settings.I4P_CHROMIUM = "/nonexistent/chromium"  # type: ignore[attr-defined]
    sitrep = _draft(data)
    client = logged_in(data.world.warning.tamale_analyst)
    page = client.get(f"/situation/{sitrep.uuid}/").content.decode()
    assert "apt-get install chromium" in page and "report.pdf" not in page
    answer = client.get(f"/situation/{sitrep.uuid}/report.pdf")
    assert answer.status_code == 503 and b"apt-get install chromium" in answer.content
