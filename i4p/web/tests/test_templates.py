"""The templates hold no code the Content Security Policy would refuse: no inline script, no
`on*=` handler, no `javascript:` link, no style attribute or element. Behaviour and looks live
in static files (`web/headers.py` sends the policy)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import i4p
from i4p.web.tests.test_headers import inline_code

# Printed to PDF by Chromium from a file of its own, never served: the policy does not apply,
# and the page must carry its print styles with it.
PRINTED = {"warning/room/print.html"}
_JAVASCRIPT_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.I)


def _name(path: Path) -> str:
    return path.as_posix().split("/templates/", 1)[1]


ALL_TEMPLATES = sorted(Path(i4p.__file__).parent.glob("*/templates/**/*.html"))
TEMPLATES = [path for path in ALL_TEMPLATES if _name(path) not in PRINTED]


def test_the_policy_test_sees_the_templates() -> None:
    names = {_name(path) for path in TEMPLATES}
    assert {"web/base.html", "warning/report_form.html", "warning/room/room.html"} <= names
    assert {_name(path) for path in ALL_TEMPLATES} >= PRINTED  # an exemption that exists


@pytest.mark.parametrize("path", TEMPLATES, ids=_name)
def test_a_template_holds_no_inline_script_handler_or_style(path: Path) -> None:
    text = path.read_text()
    assert inline_code(text) + _JAVASCRIPT_URL.findall(text) == []
