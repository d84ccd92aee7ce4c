"""Every operation of the OpenAPI document: bad input gets a clear JSON error and changes
nothing; the committed document matches the code. The list of operations comes from the
document, so a new endpoint is covered the day it appears."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from i4p.api.management.commands.openapi import current_document
from i4p.api.router import api
from i4p.web.tests.world import World, build_world, database_fingerprint

pytestmark = pytest.mark.django_db

PREFIX = "/api/v1"
UNKNOWN_UUID = "00000000-0000-4000-8000-000000000000"


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    schema = api.get_openapi_schema(path_prefix=PREFIX + "/")
    found = []
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            found.append((path, method.upper(), operation))
    return found


def components() -> dict[str, Any]:
    schema = api.get_openapi_schema(path_prefix=PREFIX + "/")
    return dict(schema.get("components", {}).get("schemas", {}))


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref:
        return dict(components()[ref.rsplit("/", 1)[-1]])
    for key in ("anyOf", "allOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"]
            if options:
                return _resolve(options[0])
    return schema


def wrong_value(schema: dict[str, Any]) -> Any:
    """A value of the wrong shape for a property of this schema."""
    schema = _resolve(schema)
    kind = schema.get("type")
    if schema.get("enum"):
        return "surely-not-a-choice"
    if schema.get("format") in {"uuid", "date", "date-time", "email", "uri"}:
        return "not-a-" + schema["format"]
    if kind == "string" and schema.get("maxLength"):
        return "x" * (int(schema["maxLength"]) + 1)
    return {
        "string": {"not": "a string"},
        "integer": "not a number",
        "number": "not a number",
        "boolean": {"not": "a boolean"},
        "array": "not a list",
        "object": "not an object",
    }.get(str(kind), {"unexpected": True})


def bad_bodies(operation: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(content type, body) pairs that no valid request looks like."""
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return
    schema = _resolve(content["application/json"]["schema"])
    yield "application/json", "{not json"
    yield "application/json", "[]"
    properties = schema.get("properties", {})
    if schema.get("required"):
        yield "application/json", "{}"
    for name, prop in properties.items():
        yield "application/json", json.dumps({name: wrong_value(prop)})
    if properties:
        yield "application/json", json.dumps({n: wrong_value(p) for n, p in properties.items()})


def is_free_text(schema: dict[str, Any]) -> bool:
    """A plain string parameter (a search text): every string is a valid value."""
    schema = _resolve(schema)
    return schema.get("type") == "string" and not (
        schema.get("enum")
        or schema.get("format")
        or schema.get("pattern")
        or schema.get("maxLength")
    )


def bad_queries(operation: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for parameter in operation.get("parameters", []):
        if parameter.get("in") != "query" or is_free_text(parameter.get("schema", {})):
            continue
        value = wrong_value(parameter.get("schema", {}))
        if isinstance(value, str):
            yield {parameter["name"]: value}
        else:
            yield {parameter["name"]: json.dumps(value)}


def fill_path(path: str, value: str) -> str:
    parts = []
    for part in path.split("/"):
        parts.append(value if part.startswith("{") and part.endswith("}") else part)
    return "/".join(parts)


def path_values(world: World, path: str) -> list[str]:
    if "{" not in path:
        return [""]
    return [*world.uuids(), UNKNOWN_UUID]


def assert_error_shape(answer: Any, context: tuple[Any, ...]) -> None:
    assert 400 <= answer.status_code < 500, context
    if answer.status_code == 404 and not answer.get("Content-Type", "").startswith(
        "application/json"
    ):
        return  # an unknown path: no operation was reached
    body = answer.json()
    assert set(body) == {"code", "message", "fields"}, context
    assert body["message"], context


def test_the_committed_openapi_document_matches_the_code() -> None:
    committed = Path(settings.BASE_DIR, "docs", "openapi.json").read_text()
    assert committed == current_document(), "run `make openapi` and commit docs/openapi.json"


def test_the_document_lists_operations() -> None:
    assert operations(), "the API has no operations"


@pytest.mark.slow
def test_bad_input_to_every_operation_gets_a_clear_error_and_changes_nothing() -> None:
    world = build_world()
    client = Client(HTTP_AUTHORIZATION=f"Bearer {world.admin_token_plain}")
    for path, method, operation in operations():
        for value in path_values(world, path):
            url = fill_path(path, value)
            cases: list[tuple[str, dict[str, Any], str, str]] = []
            for content_type, body in bad_bodies(operation):
                cases.append(("body", {}, content_type, body))
            for query in bad_queries(operation):
                cases.append(("query", query, "", ""))
            if "{" in path:
                cases.append(("path", {}, "", ""))
            for what, query, content_type, body in cases:
                target = fill_path(path, "not-a-uuid") if what == "path" else url
                before = database_fingerprint()
                if method == "GET":
                    answer = client.get(target, query)
                else:
                    suffix = "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
                    answer = client.generic(
                        method,
                        target + suffix,
                        body,
                        content_type=content_type or "application/json",
                    )
                context = (method, target, what, body[:80], query)
                assert database_fingerprint() == before, ("the database changed", *context)
                assert_error_shape(answer, context)


def test_writes_without_a_token_are_refused_and_change_nothing() -> None:
    world = build_world()
    anonymous = Client()
    for path, method, operation in operations():
        if method == "GET" or not operation.get("security"):
            continue  # a public write (the submission form's twin) is tested on its own
        url = fill_path(path, world.uuids()[0])
        before = database_fingerprint()
        answer = anonymous.generic(method, url, "{}", content_type="application/json")
        assert database_fingerprint() == before, (method, url)
        assert answer.status_code in {401, 403}, (method, url, answer.status_code)


def test_a_read_only_token_cannot_write() -> None:
    world = build_world()
    reader = Client(HTTP_AUTHORIZATION=f"Bearer {world.read_token_plain}")
    for path, method, operation in operations():
        if method == "GET" or not operation.get("security"):
            continue
        url = fill_path(path, world.uuids()[0])
        before = database_fingerprint()
        answer = reader.generic(method, url, "{}", content_type="application/json")
        assert database_fingerprint() == before, (method, url)
        assert answer.status_code in {400, 403}, (method, url, answer.status_code)


def test_the_api_docs_page_loads_nothing_from_other_hosts() -> None:
    page = Client().get("/api/v1/docs").content.decode()
    assert "swagger-ui-bundle.js" in page
    assert not re.search(r"""(?:src|href)=["']https?://""", page), "instances run offline"


# What any operation can answer: refused input, a wrong token, no grant, nothing at the address.
ERROR_STATUSES = {"400", "401", "403", "404"}


def test_every_operation_lists_the_errors_it_can_answer_in_the_one_error_shape() -> None:
    for path, method, operation in operations():
        responses = {str(status): answer for status, answer in operation["responses"].items()}
        assert set(responses) >= ERROR_STATUSES, (method, path, sorted(responses))
        for status in (s for s in responses if s.startswith("4")):
            schema = responses[status]["content"]["application/json"]["schema"]
            fields = set(_resolve(schema).get("properties", {}))
            assert fields == {"code", "message", "fields"}, (method, path, status)


@pytest.mark.parametrize(
    "method, url",
    [
        ("GET", f"{PREFIX}/alerts/null%2Cnull"),
        ("GET", f"{PREFIX}/places/not-a-uuid"),
        ("POST", f"{PREFIX}/alerts/null/issue"),
        ("GET", f"{PREFIX}/no-such-thing"),
    ],
)
def test_a_malformed_id_in_a_path_answers_the_api_json_404(method: str, url: str) -> None:
    answer = Client().generic(method, url, "{}", content_type="application/json")
    assert answer.status_code == 404
    assert answer["Content-Type"].startswith("application/json")
    assert answer.json()["code"] == "not_found"


def test_an_offset_past_any_database_integer_is_refused_not_a_server_error() -> None:
    answer = Client().get(f"{PREFIX}/alerts", {"offset": 10**20})
    assert answer.status_code == 400
    assert "offset" in answer.json()["fields"]
