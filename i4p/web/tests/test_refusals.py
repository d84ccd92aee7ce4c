"""A refused page is a 403 with one log line: the refusal is the product working, so no
traceback fills the log (a crawl over forbidden pages once wrote a thousand)."""

from __future__ import annotations

import logging

import pytest

from i4p.web.tests.world import build_world, logged_in

pytestmark = pytest.mark.django_db


def test_a_forbidden_page_answers_403_with_one_log_line_and_no_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    world = build_world()
    moderator = logged_in(world.moderator)  # moderates Northern; this actor sits in Volta
    for url in (
        f"/actors/{world.outside.uuid}/edit/",
        f"/actors/{world.outside.uuid}/relations/new/",
    ):
        caplog.clear()
        with caplog.at_level(logging.INFO):
            answer = moderator.get(url)
        assert answer.status_code == 403, url
        logged = [record for record in caplog.records if record.levelno >= logging.WARNING]
        assert [(r.name, r.getMessage()) for r in logged] == [
            ("django.request", f"Forbidden: {url}")
        ]
        assert logged[0].exc_info is None
        assert "Traceback" not in logging.Formatter().format(logged[0])
