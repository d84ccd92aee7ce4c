"""Static files carry a hash of their content in their names and browsers keep them for a
year; `i4p serve` collects them first, and a checkout that never did still serves its pages."""

from __future__ import annotations

import re
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.test import Client, override_settings

from config import settings as product
from i4p import cli

# The product's storages as settings.py sets them (the tests run on plain names: conftest).
PRODUCT_STORAGES = product.STORAGES
_HASHED = re.compile(r"\.[0-9a-f]{12}\.")


@pytest.mark.django_db
def test_collected_files_have_hashed_names_and_are_kept_a_year(tmp_path: Path) -> None:
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=PRODUCT_STORAGES):
        call_command("collectstatic", interactive=False, verbosity=0)
        leaflet = staticfiles_storage.url("vendor/leaflet/leaflet.js")
        stylesheet = staticfiles_storage.url("vendor/leaflet/leaflet.css")
        assert _HASHED.search(leaflet), leaflet
        # Leaflet's stylesheet names its images by their hashed names too.
        css = (tmp_path / stylesheet.removeprefix("/static/")).read_text()
        assert re.search(r'url\("images/layers\.[0-9a-f]{12}\.png"\)', css)
        client = Client()
        kept = client.get(leaflet)
        assert kept.status_code == 200
        assert "immutable" in kept["Cache-Control"]
        assert "max-age=315360000" in kept["Cache-Control"]
        # A page names the hashed file.
        page = client.get("/")
        assert staticfiles_storage.url("i4p/i4p.css") in page.content.decode()
        assert _HASHED.search(staticfiles_storage.url("i4p/i4p.css"))


@pytest.mark.django_db
def test_pages_still_load_their_files_when_nothing_was_collected(tmp_path: Path) -> None:
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=PRODUCT_STORAGES):
        client = Client()
        page = client.get("/")
        assert page.status_code == 200
        assert 'href="/static/i4p/i4p.css"' in page.content.decode()
        assert client.get("/static/i4p/i4p.css").status_code == 200


def test_serve_collects_the_static_files_before_the_web_server_starts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    happened: list[str] = []

    class Finished:
        def __init__(self, command: list[str]) -> None:
            happened.append("gunicorn" if "gunicorn" in command else "worker")

        def poll(self) -> int:
            return 0

        def wait(self, timeout: float | None = None) -> int:
            return 0

    def collect(*args: Any, **options: Any) -> None:
        happened.append(" ".join(map(str, args)))

    monkeypatch.setattr(subprocess, "Popen", Finished)
    monkeypatch.setattr(signal, "signal", lambda *_args: None)
    monkeypatch.setattr(cli, "_queue_every", lambda *_args: None)
    monkeypatch.setattr("django.core.management.call_command", collect)
    cli.serve(["127.0.0.1:0"])
    assert "collectstatic" in happened
    assert happened.index("collectstatic") < happened.index("gunicorn")
