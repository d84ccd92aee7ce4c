"""Schemathesis against the committed OpenAPI document: every operation, called anonymously and
with the tokens of a monitor and an analyst, with data that fits the document and data that
does not, answers no server error and nothing the document does not promise (its statuses, its
content types, its schemas).

Bounded and deterministic: a few examples an operation, derandomized, no shrinking."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from i4p.accounts.models import TokenScope, User
from i4p.accounts.services import issue_token
from i4p.registry.models import ActorKind, Level
from i4p.registry.services import ActorData, create_actor, ensure_themes
from i4p.warning.alerts import default_words, draft_alert, issue_alert
from i4p.warning.models import CapScope
from i4p.warning.tests.builders import submit_test_report
from i4p.warning.tests.responding import Scene, build_scene

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

DOCUMENT = Path(settings.BASE_DIR, "docs", "openapi.json")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = 3  # of each kind, for each operation and caller


@pytest.fixture
def connection_kept() -> Iterator[None]:
    """The WSGI handler closes the database connection after each request, as a server must;
    here that connection holds the test's transaction (as Django's own test client keeps it)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@dataclass
class Seen:
    calls: int = 0
    operations: set[str] = field(default_factory=set)
    answered: dict[str, set[int]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def seeded() -> tuple[Scene, dict[str, list[str]]]:
    """Places, reports, alerts (issued, public, draft) and mechanisms; and, by the first part of
    a path, the ids of real objects its `{…}` may take."""
    ensure_themes([("mediation", "Mediation")])
    scene = build_scene()
    world = scene.world
    second = submit_test_report(world, description="Shots were heard near the Yendi road.")
    public = issue_alert(
        draft_alert(
            world.tamale,
            by=world.tamale_analyst,
            words=default_words(world.tamale, None),
            scope=CapScope.PUBLIC,
        ),
        by=world.tamale_analyst,
    )
    draft = draft_alert(world.yendi, by=world.yendi_analyst, words=default_words(world.yendi, None))
    council = create_actor(
        ActorData(
            name="Northern Regional Peace Council",
            kind=ActorKind.PEACE_COUNCIL,
            level=Level.SUBNATIONAL,
            place=world.northern,
            coverage=[world.northern],
            themes=["mediation"],
        ),
        by=world.admin,
    )
    places = [world.ghana, world.northern, world.tamale, world.yendi, world.volta]
    real = {
        "places": [str(p.uuid) for p in places],
        "reports": [str(r.uuid) for r in (scene.report, second)],
        "alerts": [str(a.uuid) for a in (scene.alert, public, draft)],
        "actors": [str(a.uuid) for a in (council, scene.committee, scene.other)],
    }
    return scene, real


def token(user: User) -> dict[str, str]:
    _token, plain = issue_token(user, by=user, name="schemathesis", scope=TokenScope.WRITE)
    return {"Authorization": f"Bearer {plain}"}


def strategies(operation: Any, real: dict[str, list[str]]) -> st.SearchStrategy[Any]:
    """Cases that fit the document, the same with the ids of real objects in the path, and
    cases that do not fit it."""
    kinds = [
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    ]
    names = [p.name for p in operation.path_parameters]
    ids = real.get(operation.path.split("/")[3], [])
    if names and ids:
        kinds.append(
            st.fixed_dictionaries({name: st.sampled_from(ids) for name in names}).flatmap(
                lambda path: operation.as_strategy(GenerationMode.POSITIVE, path_parameters=path)
            )
        )
    return st.one_of(kinds)


def sweep(operation: Any, real: dict[str, list[str]], headers: dict[str, str], seen: Seen) -> None:
    label = operation.label

    @hypothesis_settings(
        max_examples=EXAMPLES * 3,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategies(operation, real))
    def call(case: Any) -> None:
        response = case.call(headers=headers)
        seen.calls += 1
        seen.operations.add(label)
        seen.answered.setdefault(label, set()).add(response.status_code)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as failed:
            caller = "token" if "Authorization" in headers else "anonymous"
            seen.failures.append(f"{label} ({caller}): {failed}")

    call()


def test_every_operation_keeps_to_the_document_for_anyone_a_monitor_and_an_analyst(
    connection_kept: None,
) -> None:
    scene, real = seeded()
    document = json.loads(DOCUMENT.read_text())
    schema = schemathesis.openapi.from_dict(document)
    schema.app = WSGIHandler()
    loaded = list(schema.get_all_operations())
    operations = [result.ok() for result in loaded if isinstance(result, Ok)]
    assert len(operations) == len(loaded), "schemathesis could not read every operation"
    listed = {f"{m.upper()} {p}" for p, methods in document["paths"].items() for m in methods}
    # Plain answers: the WSGI client does not undo the gzip a browser would.
    plain = {"Accept-Encoding": "identity"}
    callers = [plain, plain | token(scene.world.monitor), plain | token(scene.world.tamale_analyst)]
    seen = Seen()

    for headers in callers:
        for operation in operations:
            sweep(operation, real, headers, seen)

    assert seen.failures == [], "\n\n".join(seen.failures)
    assert seen.operations == listed and len(listed) == len(operations) > 50
    assert seen.calls >= len(listed) * len(callers) * EXAMPLES
    # The sweep met real objects, not only ids that name nothing.
    for label in (
        "GET /api/v1/places/{place_uuid}",
        "GET /api/v1/alerts/{alert_uuid}",
        "GET /api/v1/reports/{report_uuid}",
        "GET /api/v1/actors/{uuid}",
    ):
        assert 200 in seen.answered[label], (label, seen.answered[label])
