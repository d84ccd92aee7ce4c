"""Test set-up shared by every app: databases, real Chromium, and the CI rule on skips."""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test.utils import override_settings

SHARED = Path(__file__).resolve().parent.parent / "shared"
IN_CI = bool(os.environ.get("I4P_CI"))

# Playwright drives a live server from a worker thread; Django must allow it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


# Fixtures that reach the database; a test with none of them (and no django_db mark) cannot.
DATABASE_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
    "live_server",
    "admin_user",
    "admin_client",
    "django_user_model",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--database-tests-only",
        action="store_true",
        help="leave out the tests that touch no database (`make test` ran them on SQLite)",
    )


def touches_the_database(item: pytest.Item) -> bool:
    fixtures = set(getattr(item, "fixturenames", ()))
    return item.get_closest_marker("django_db") is not None or bool(fixtures & DATABASE_FIXTURES)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Slow tests first: xdist hands out tests in collection order, and a slow test collected
    last leaves the other worker idle until it ends. On the second database of `make test`,
    only the tests that touch a database: pytest-django refuses database access to the others,
    so they cannot answer differently there."""
    if config.getoption("--database-tests-only"):
        left_out = [item for item in items if not touches_the_database(item)]
        if left_out:
            config.hook.pytest_deselected(items=left_out)
            items[:] = [item for item in items if touches_the_database(item)]
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def skip_or_fail(reason: str) -> None:
    """Skip on a newcomer's machine; in CI the same gap is a failure."""
    if IN_CI:
        pytest.fail(f"CI needs this test to run: {reason}")
    pytest.skip(reason)


def shared_file(relative: str) -> Path:
    """A file of ../shared/data (real public data sets); tests skip cleanly without it."""
    path = SHARED / "data" / relative
    if not path.exists():
        pytest.skip(f"needs ../shared/data/{relative} (the shared data folder is absent)")
    return path


def chromium_path() -> str | None:
    for candidate in (
        os.environ.get("I4P_CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    if executable is None:
        skip_or_fail("needs Chromium (Debian package `chromium`); none found")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def screenshots() -> Path:
    """Where browser tests leave screenshots for people to look at."""
    folder = Path(__file__).resolve().parent / "var" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing() -> Iterator[None]:
    """Test users' passwords are hashed with MD5, not Argon2: Argon2 is slow (and memory-hard)
    on purpose (0.1-0.5 s a password on a 2-core machine), and half the time of the page tests
    went into it.
    `test_passwords_are_hashed_with_argon2` checks the production setting itself."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True, scope="session")
def _keys_of_this_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every run has keys of its own, as a production instance would: the suite runs outside
    the demo (nothing is generated where a demo keeps its keys), whatever the machine has."""
    from cryptography.fernet import Fernet

    with override_settings(
        I4P_DEMO=False,
        I4P_IDENTITY_KEYS=[Fernet.generate_key().decode()],
        I4P_SENDER_HASH_KEYS=[secrets.token_urlsafe(32)],
        I4P_DEMO_KEYS_DIR=tmp_path_factory.mktemp("demo-keys"),
    ):
        yield


@pytest.fixture(autouse=True, scope="session")
def _static_files_under_plain_names() -> Iterator[None]:
    """Pages name the apps' static files as they are, served from the apps' folders: a copy
    that `i4p serve` collected earlier into var/static may be older than the code under test.
    `web/tests/test_static.py` collects the product's hashed files itself."""
    plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    from django.conf import settings

    with override_settings(STORAGES={**settings.STORAGES, "staticfiles": plain}):
        yield


@pytest.fixture(autouse=True, scope="session")
def _static_files_listed_once() -> Iterator[None]:
    """The test client starts the middleware afresh for every `Client`, and WhiteNoise then
    looks up every static file of every app (about 150, `WHITENOISE_USE_FINDERS`): 60 ms a
    client, a tenth of the page tests' time. The files do not change during a run, so each
    process lists them once and every later middleware gets a copy of that list."""
    from whitenoise.middleware import WhiteNoiseMiddleware

    listed: dict[str, dict[str, Any]] = {}
    list_files = WhiteNoiseMiddleware.add_files_from_finders

    def add_files_from_finders(self: WhiteNoiseMiddleware) -> None:
        if self.static_prefix not in listed:
            before = dict(self.files)
            list_files(self)
            listed[self.static_prefix] = {
                url: found for url, found in self.files.items() if before.get(url) is not found
            }
        self.files.update(listed[self.static_prefix])

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(WhiteNoiseMiddleware, "add_files_from_finders", add_files_from_finders)
        yield


@pytest.fixture(autouse=True)
def _configuration_of_this_test(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test reads the early-warning configuration and the API tokens of its own database,
    not what a previous test's rolled-back transaction left in the process's memory. What a
    process keeps for a moment stays kept for the whole test unless the test moves the clock,
    so a slow machine does not change how many queries a test sees."""
    from i4p.accounts import services
    from i4p.core import kept

    kept.forget_all()
    services.forget_tokens()
    monkeypatch.setattr(kept, "clock", lambda: 0.0)
    monkeypatch.setattr(services, "token_clock", lambda: 0.0)
