"""What a signed-in person or a token sees is stored by no browser or proxy, and every page
carries the Content Security Policy; public documents keep their caching. The pages come
from the resolver and the operations from the OpenAPI document, as in the contract sweeps."""

from __future__ import annotations

import logging
import re

import pytest
from django.test import Client, override_settings

from i4p.api.tests.test_contract import PREFIX, fill_path, operations, path_values
from i4p.web.headers import content_security_policy, tile_origin
from i4p.web.tests.test_every_page import concrete_urls, page_routes
from i4p.web.tests.world import build_world, logged_in

pytestmark = pytest.mark.django_db

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)
# Documents the same for everyone, cacheable by anyone for a while, signed in or not.
PUBLIC_DOCUMENTS = {"warning:alert_feed", "warning:alert_cap_xml", "warning:alert_cap_json"}
# Markup the policy would refuse: an inline script (a JSON data block is never run), an
# event handler attribute, a style attribute or element.
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
_STYLE = re.compile(r"<style\b|<[a-z][^>]*\sstyle\s*=", re.I)


def inline_code(html: str) -> list[str]:
    found: list[str] = []
    for pattern in (_INLINE_SCRIPT, _HANDLER, _STYLE):
        found += [match.group(0)[:80] for match in pattern.finditer(html)]
    return found


def stored(caching: str) -> set[str]:
    """The directives of a Cache-Control header."""
    return {part.strip().split("=")[0] for part in caching.split(",")}


def test_every_page_staff_see_is_not_stored_carries_the_policy_and_runs_no_inline_code(
    caplog: pytest.LogCaptureFixture,
) -> None:
    world = build_world()
    pages = 0
    for who, client in {
        "admin": logged_in(world.admin),
        "moderator": logged_in(world.moderator),
    }.items():
        for route, name in page_routes():
            for url in concrete_urls(route, world)[:3]:
                caplog.clear()
                with caplog.at_level(logging.INFO):
                    answer = client.get(url)
                context = (who, name, url, answer.status_code)
                assert answer["Content-Security-Policy"] == POLICY, context
                caching = answer.get("Cache-Control", "")
                if name in PUBLIC_DOCUMENTS and "public" in caching:
                    assert "max-age" in caching, context
                else:
                    assert "no-store" in stored(caching), context
                # A refusal on the way is one line, never a traceback.
                assert not any(record.exc_info for record in caplog.records), context
                if answer.status_code == 200 and "text/html" in answer["Content-Type"]:
                    pages += 1
                    assert inline_code(answer.content.decode()) == [], context
    assert pages > 50  # the sweep reached the real site


def test_every_api_answer_to_a_token_is_not_stored() -> None:
    world = build_world()
    client = Client(HTTP_AUTHORIZATION=f"Bearer {world.admin_token_plain}")
    answered = 0
    for path, method, _operation in operations():
        if method != "GET":
            continue
        for value in path_values(world, path)[:3]:
            url = PREFIX + fill_path(path, value)
            answer = client.get(url)
            caching = answer.get("Cache-Control", "")
            if "public" in caching:
                # Public CAP documents and place look-ups: the same for everyone.
                assert path.endswith(("cap.xml", "cap.json")) or "/places" in path, url
                continue
            assert "no-store" in stored(caching), (url, answer.status_code, caching)
            answered += 1
    assert answered > 10


def test_an_api_answer_without_a_token_is_not_stored_either() -> None:
    build_world()
    answer = Client().get(PREFIX + "/actors")
    assert "no-store" in stored(answer["Cache-Control"])


def test_the_public_feed_keeps_its_caching_for_everyone() -> None:
    world = build_world()
    for client in (Client(), logged_in(world.admin)):
        answer = client.get("/alerts/feed.atom")
        assert answer.status_code == 200
        assert answer["Cache-Control"] == "public, max-age=60"


def test_an_anonymous_public_page_is_left_to_its_own_caching() -> None:
    build_world()
    answer = Client().get("/")
    assert "no-store" not in answer.get("Cache-Control", "")
    assert answer["Content-Security-Policy"] == POLICY


@pytest.mark.parametrize(
    ("template", "origin"),
    [
        ("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png", "https://*.tile.openstreetmap.org"),
        ("https://tiles.example.org/osm/{z}/{x}/{y}.png", "https://tiles.example.org"),
        ("http://localhost:8080/{z}/{x}/{y}.png", "http://localhost:8080"),
        ("", ""),
    ],
)
def test_the_map_tile_server_is_the_one_other_image_origin(template: str, origin: str) -> None:
    assert tile_origin(template) == origin
    with override_settings(I4P_TILE_URL=template):
        images = content_security_policy().split("img-src ")[1].split(";")[0]
    assert images == " ".join(["'self'", "data:", *([origin] if origin else [])])
