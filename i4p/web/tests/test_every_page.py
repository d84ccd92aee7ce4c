"""Every page the URL resolver knows: it answers without a crash, and bad input to every form
gets a clear error and changes nothing. The list comes from the resolver, so a new page is
covered the day it appears."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from i4p.web.tests.world import World, build_world, database_fingerprint, logged_in

pytestmark = pytest.mark.django_db

# Prefixes covered elsewhere: the admin is Django's own, the API has its own sweep.
SKIPPED_PREFIXES = ("admin/", "api/v1/", "static/")
# Pages whose POST is meant to redirect without any form: they change nothing in the database.
REDIRECTING_POSTS = {"accounts:logout", "set_language"}
_CONVERTER = re.compile(r"<(?:(?P<kind>\w+):)?(?P<name>\w+)>")
_FIELD = re.compile(r'name="([a-zA-Z_][\w\-]*)"')


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            space = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), space)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), f"{namespace}{entry.name or ''}"


def page_routes() -> list[tuple[str, str]]:
    routes = []
    for route, name in _walk(get_resolver().url_patterns):
        if route.startswith(SKIPPED_PREFIXES) or route.startswith("^"):
            continue
        routes.append((route, name))
    return sorted(set(routes))


def concrete_urls(route: str, world: World) -> list[str]:
    """The route with each parameter filled by every real public id (and one unknown id)."""
    if "<" not in route:
        return ["/" + route]
    urls = []
    for value in [*world.uuids(), "00000000-0000-4000-8000-000000000000"]:
        urls.append("/" + _CONVERTER.sub(partial(_fill, uuid=value), route))
    return urls


def _fill(match: re.Match[str], *, uuid: str) -> str:
    kind = match.group("kind") or "str"
    return {"int": "999999", "slug": "unknown-slug", "path": "unknown/path"}.get(kind, uuid)


def bad_payloads(field_names: list[str]) -> list[dict[str, str]]:
    names = field_names or ["unexpected"]
    return [
        {},
        {name: "" for name in names},
        {name: "x" * 5000 for name in names},
        {name: "not-a-uuid \x00 <script>alert(1)</script>" for name in names},
        {name: "-1" for name in names},
    ]


def has_error(html: str) -> bool:
    return 'role="alert"' in html or 'class="error"' in html or "errorlist" in html


def clients(world: World) -> dict[str, Client]:
    return {
        "anonymous": Client(),
        "admin": logged_in(world.admin),
        "moderator": logged_in(world.moderator),
    }


def test_the_resolver_lists_the_pages_under_test() -> None:
    names = {name for _route, name in page_routes()}
    # A guard that the sweep sees the real site, not an empty list.
    assert {"registry:directory", "registry:submit", "accounts:login"} <= names


def test_every_page_answers_every_visitor_without_a_server_error() -> None:
    world = build_world()
    for who, client in clients(world).items():
        for route, name in page_routes():
            for url in concrete_urls(route, world):
                answer = client.get(url)
                assert answer.status_code in {200, 302, 403, 404, 405}, (who, name, url)


@pytest.mark.slow
def test_bad_input_to_every_form_gets_a_clear_error_and_changes_nothing() -> None:
    world = build_world()
    for who, client in clients(world).items():
        for route, name in page_routes():
            for url in concrete_urls(route, world)[:4]:
                form_page = client.get(url)
                html = (
                    form_page.content.decode(errors="replace")
                    if form_page.status_code == 200
                    else ""
                )
                fields = sorted(set(_FIELD.findall(html)) - {"csrfmiddlewaretoken", "next"})
                for payload in bad_payloads(fields):
                    before = database_fingerprint()
                    answer = client.post(url, payload)
                    after = database_fingerprint()
                    context = (who, name, url, payload and next(iter(payload.values()))[:20])
                    assert after == before, ("the database changed", *context)
                    assert answer.status_code in {200, 302, 400, 403, 404, 405}, context
                    if answer.status_code == 200:
                        assert has_error(answer.content.decode(errors="replace")), (
                            "no visible error",
                            *context,
                        )
                    elif answer.status_code == 302 and name not in REDIRECTING_POSTS:
                        target = answer["Location"]
                        if "/accounts/login/" in target:
                            continue  # anonymous: sent to log in, nothing done
                        followed = client.get(target)
                        assert has_error(followed.content.decode(errors="replace")), (
                            "redirected without an error message",
                            *context,
                        )
