"""Alert pages and API: who sees which alert and what of it, the hand-written alert form, and
the buttons of the lifecycle."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from i4p.accounts.models import Role, TokenScope, User
from i4p.accounts.services import issue_token
from i4p.core.errors import WrongState
from i4p.warning import alerts as alert_services
from i4p.warning.alerts import default_words, draft_alert, issue_alert
from i4p.warning.models import Alert, AlertState, CapScope
from i4p.warning.tests.builders import WarningWorld, build_warning_world, staff
from i4p.warning.tests.loop import Clock, Outside, build_infrastructure, run_tasks
from i4p.web.tests.world import database_fingerprint, logged_in

pytestmark = pytest.mark.django_db


def _alert(world: WarningWorld, *, scope: str, issue: bool = True, place: Any = None) -> Alert:
    place = place or world.tamale
    alert = draft_alert(
        place, by=world.national_analyst, words=default_words(place, None), scope=scope
    )
    return issue_alert(alert, by=world.national_analyst) if issue else alert


def _api(user: User, write: bool = False) -> Client:
    """An API client with the user's token."""
    scope = TokenScope.WRITE if write else TokenScope.READ
    _token, plain = issue_token(user, by=user, name="test", scope=scope)
    return Client(HTTP_AUTHORIZATION=f"Bearer {plain}")


def test_public_alerts_are_for_everyone_restricted_ones_for_their_place_and_drafts_for_issuers(
    tasks: None,
) -> None:
    world = build_warning_world()
    public = _alert(world, scope=CapScope.PUBLIC)
    restricted = _alert(world, scope=CapScope.RESTRICTED)
    draft = _alert(world, scope=CapScope.PUBLIC, issue=False)
    responder_yendi = staff("responder-yendi", Role.RESPONDER, world.yendi)
    cases: list[tuple[Client, set[Alert]]] = [
        (Client(), {public}),
        (logged_in(world.monitor), {public}),
        (logged_in(responder_yendi), {public}),
        (logged_in(world.tamale_analyst), {public, restricted, draft}),
    ]
    for client, expected in cases:
        page = client.get("/alerts/").content.decode()
        for alert in (public, restricted, draft):
            assert (f"/alerts/{alert.uuid}/" in page) == (alert in expected)
        status = client.get(f"/alerts/{restricted.uuid}/").status_code
        assert status == (200 if restricted in expected else 404)
    # The API answers the same.
    anonymous = Client().get("/api/v1/alerts").json()
    assert [item["uuid"] for item in anonymous["items"]] == [str(public.uuid)]
    assert Client().get(f"/api/v1/alerts/{restricted.uuid}").status_code == 404
    listed = _api(world.tamale_analyst).get("/api/v1/alerts").json()
    assert {item["uuid"] for item in listed["items"]} == {
        str(public.uuid),
        str(restricted.uuid),
        str(draft.uuid),
    }


def test_a_member_of_a_mechanism_the_alert_reached_sees_it_and_its_timeline(
    tasks: None, clock: Clock, outside: Outside, django_capture_on_commit_callbacks: Any
) -> None:
    world = build_warning_world()
    infra = build_infrastructure(world)
    with django_capture_on_commit_callbacks(execute=True):
        restricted = _alert(world, scope=CapScope.RESTRICTED)
    run_tasks(clock.now)
    chair = logged_in(infra.chair)
    page = chair.get(f"/alerts/{restricted.uuid}/").content.decode()
    assert 'data-testid="timeline"' in page and 'data-testid="acknowledge"' in page
    # Not yet reached: the national council's secretary does not see it.
    assert logged_in(infra.secretary).get(f"/alerts/{restricted.uuid}/").status_code == 404
    # Anonymous readers of a public alert get its words, not its workings.
    with django_capture_on_commit_callbacks(execute=True):
        public = _alert(world, scope=CapScope.PUBLIC)
    run_tasks(clock.now)
    body = Client().get(f"/alerts/{public.uuid}/").content.decode()
    assert "Tamale" in body and 'data-testid="timeline"' not in body
    assert Client().get(f"/api/v1/alerts/{public.uuid}").json()["timeline"] is None
    detail = _api(infra.chair).get(f"/api/v1/alerts/{public.uuid}").json()
    assert detail["timeline"] and detail["deliveries"]
    # No answer ever names an address.
    assert "committee@tamale.example.org" not in str(detail)


def test_an_analyst_writes_an_alert_by_hand_from_the_prefilled_words_and_issues_it(
    tasks: None,
) -> None:
    world = build_warning_world()
    analyst = logged_in(world.tamale_analyst)
    form = analyst.get(f"/alerts/new/?place={world.tamale.uuid}").content.decode()
    for language in ("en", "fr", "ar"):
        assert f'name="headline_{language}"' in form
    assert "early warning for Tamale" in form
    data = {"place": str(world.tamale.uuid), "severity": "Severe", "urgency": "Immediate"}
    data |= {"certainty": "Likely", "scope": "Restricted", "event_type": ""}
    for words in default_words(world.tamale, None):
        data[f"event_{words.language}"] = words.event
        data[f"headline_{words.language}"] = words.headline
    answer = analyst.post("/alerts/new/", data)
    assert answer.status_code == 302
    alert = Alert.objects.get()
    assert alert.state == AlertState.DRAFT and alert.severity == "Severe"
    assert analyst.post(f"/alerts/{alert.uuid}/", {"action": "issue"}).status_code == 302
    alert.refresh_from_db()
    assert alert.state == AlertState.ISSUED
    # Another district's analyst cannot write for Tamale, nor close its alert.
    other = logged_in(world.yendi_analyst)
    assert other.get(f"/alerts/new/?place={world.tamale.uuid}").status_code == 400
    assert other.post(f"/alerts/{alert.uuid}/", {"action": "close"}).status_code == 404
    # A missing headline is refused and nothing is stored.
    data["headline_fr"] = ""
    assert analyst.post("/alerts/new/", data).status_code == 400
    assert Alert.objects.count() == 1


def test_the_api_writes_issues_acknowledges_updates_and_cancels_within_scope(
    tasks: None, clock: Clock, outside: Outside, django_capture_on_commit_callbacks: Any
) -> None:
    world = build_warning_world()
    infra = build_infrastructure(world)
    analyst = _api(world.tamale_analyst, write=True)
    made = analyst.post(
        "/api/v1/alerts",
        {"place": str(world.tamale.uuid), "severity": "Severe"},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    alert_id = made.json()["uuid"]
    assert {t["language"] for t in made.json()["texts"]} == {"en", "fr", "ar"}
    with django_capture_on_commit_callbacks(execute=True):
        issued = analyst.post(f"/api/v1/alerts/{alert_id}/issue")
    assert issued.json()["state"] == "issued"
    # Routing runs once the issue is committed.
    routed = analyst.get(f"/api/v1/alerts/{alert_id}").json()
    assert routed["level"] == "district"
    assert {d["mechanism"] for d in routed["deliveries"]} == {infra.committee.name}
    run_tasks(clock.now)
    chair = _api(infra.chair, write=True)
    outsider = _api(world.yendi_analyst, write=True)
    assert outsider.post(
        f"/api/v1/alerts/{alert_id}/acknowledge", {}, content_type="application/json"
    ).status_code in (403, 404)
    acknowledged = chair.post(
        f"/api/v1/alerts/{alert_id}/acknowledge",
        {"note": "On our way."},
        content_type="application/json",
    )
    assert acknowledged.status_code == 200 and acknowledged.json()["state"] == "acknowledged"
    updated = analyst.post(
        f"/api/v1/alerts/{alert_id}/update",
        {"severity": "Extreme"},
        content_type="application/json",
    )
    assert updated.status_code == 200 and updated.json()["msg_type"] == "Update"
    bad = analyst.post(
        f"/api/v1/alerts/{updated.json()['uuid']}/cancel",
        {"reason": ""},
        content_type="application/json",
    )
    assert bad.status_code == 400
    cancelled = analyst.post(
        f"/api/v1/alerts/{updated.json()['uuid']}/cancel",
        {"reason": "It was a wedding."},
        content_type="application/json",
    )
    assert cancelled.status_code == 200 and cancelled.json()["msg_type"] == "Cancel"
    read_only = _api(world.tamale_analyst)
    refused = read_only.post(
        "/api/v1/alerts",
        {"place": str(world.tamale.uuid)},
        content_type="application/json",
    )
    assert refused.status_code == 403


def test_an_alert_the_api_refuses_to_issue_leaves_no_draft() -> None:
    world = build_warning_world()
    analyst = _api(world.tamale_analyst, write=True)
    before = database_fingerprint()
    answer = analyst.post(
        "/api/v1/alerts",
        {
            "place": str(world.tamale.uuid),
            "issue": True,
            "texts": [
                {"language": "en", "event": "Armed clash", "headline": "Clashes in Tamale"},
                {"language": "fr", "event": "Affrontement", "headline": "Affrontements"},
            ],
        },
        content_type="application/json",
    )
    assert answer.status_code == 400, answer.content
    assert "add ar" in answer.json()["fields"]["texts"][0]
    assert database_fingerprint() == before
    assert not Alert.objects.exists()


def test_an_alert_the_page_cannot_issue_at_once_leaves_no_draft(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The form asks for every language, so the refusal here is another one (the alert was
    issued by someone else meanwhile): whichever it is, the refused form keeps nothing."""
    world = build_warning_world()

    def refuse(alert: Alert, *, by: Any) -> Alert:
        raise WrongState("The alert is already issued.")

    monkeypatch.setattr(alert_services, "issue_alert", refuse)
    analyst = logged_in(world.tamale_analyst)
    data = {"place": str(world.tamale.uuid), "severity": "Severe", "urgency": "Immediate"}
    data |= {"certainty": "Likely", "scope": "Restricted", "event_type": "", "issue_now": "on"}
    for words in default_words(world.tamale, None):
        data[f"event_{words.language}"] = words.event
        data[f"headline_{words.language}"] = words.headline
    answer = analyst.post("/alerts/new/", data)
    assert answer.status_code == 400
    assert "The alert is already issued." in answer.content.decode()
    assert not Alert.objects.exists()
