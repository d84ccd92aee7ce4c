"""No reporter's address or identity reaches a log: the access log has no client address and
no query string, Django's request logging writes no IP, and a filter blanks phone numbers and
e-mail addresses in any record as a last line of defence."""

from __future__ import annotations

import datetime as dt
import io
import logging
import logging.config
import signal
import subprocess
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.test import Client
from gunicorn.config import Config

from i4p import cli
from i4p.core.redact import RedactIdentities, redact
from i4p.geo.models import Place, PlaceKind
from i4p.web.access_log import ACCESS_LOG_FORMAT, LOGGER_CLASS, AccessLogger

CLIENT_IP = "203.0.113.77"
FORWARDED_IP = "198.51.100.23"


@pytest.fixture
def ghana(settings: Any) -> None:
    """An instance in Ghana: numbers written the Ghanaian way are numbers."""
    settings.I4P_PHONE_REGIONS = ["GH"]


@pytest.mark.parametrize(
    "spelling",
    [
        "+233 20 000 0917",
        "+233200000917",
        "020 000 0917",
        "0200000917",
        "233200000917",
        "(020) 000-0917",
        "00233 20 000 0917",
        "+1 (202) 555-0143",
        "233 55 501 0203",
        "233-55-501-0203",
        "55 501 0203",
        "555 010 203",
        "055 501 0203",
        "+44 20 7946 0958",
    ],
)
def test_every_spelling_of_a_phone_number_is_blanked(ghana: None, spelling: str) -> None:
    assert redact(f"sender={spelling};") == "sender=[phone];"
    assert redact(f"call Abena on {spelling} today") == "call Abena on [phone] today"


def test_e_mail_addresses_are_blanked() -> None:
    assert redact("from Kofi.Mensah+ew@Example.org today") == "from [e-mail] today"


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-25 06:55:12,120 INFO started",
        "GET /reporters/5f0c2a9e-1b7d-4c3e-9a8f-2d6b1e4c7a90/ 200 1532 12ms",
        "Imported 1200000 rows in 31.5 s",
        "version 5.2.8, port 8000",
        "12 people were hurt",
        "on 2024-03-05 at 10:30",
        "2024-03-05T10:30:00Z",
        "from 05/03/2024 to 12.03.2024, 1 200 000 displaced",
        "between 06:00 and 18:00 about 2000 people left; report 20240305",
        "killed 3, injured 12, displaced 450",
    ],
)
def test_dates_ids_and_figures_are_left_alone(ghana: None, text: str) -> None:
    assert redact(text) == text


@pytest.mark.django_db
def test_numbers_are_read_the_way_of_the_instances_countries_when_no_region_is_set(
    settings: Any,
) -> None:
    settings.I4P_PHONE_REGIONS = []
    Place.objects.create(name="Ghana", kind=PlaceKind.COUNTRY, country_code="GH")
    assert redact("call 055 501 0203") == "call [phone]"
    assert redact("call +44 20 7946 0958") == "call [phone]"  # with its country code: any


def _configured_console() -> tuple[logging.Logger, io.StringIO]:
    """A logger with the console handler exactly as `settings.LOGGING` configures it."""
    logging_settings: dict[str, Any] = settings.LOGGING
    config: dict[str, Any] = {
        **logging_settings,
        "handlers": {"console": {**logging_settings["handlers"]["console"]}},
        "root": {},
        "loggers": {"canary.configured": {"handlers": ["console"], "propagate": False}},
        "incremental": False,
        "disable_existing_loggers": False,
    }
    logging.config.dictConfig(config)
    logger = logging.getLogger("canary.configured")
    stream = io.StringIO()
    for handler in logger.handlers:
        assert isinstance(handler, logging.StreamHandler)
        handler.setStream(stream)
    logger.setLevel(logging.DEBUG)
    return logger, stream


def test_the_configured_console_handler_blanks_numbers_and_addresses_even_in_tracebacks() -> None:
    logger, stream = _configured_console()
    try:
        logger.warning("reply to %s failed", "+233 20 000 0917")
        try:
            raise ValueError("no route to kofi@example.org")
        except ValueError:
            logger.exception("gateway said")
    finally:
        logging.config.dictConfig(settings.LOGGING)
    text = stream.getvalue()
    assert "reply to [phone] failed" in text
    assert "no route to [e-mail]" in text and "ValueError" in text
    assert "0917" not in text and "kofi@" not in text


def test_the_filter_is_on_the_console_handler_of_the_settings() -> None:
    handlers = logging.getLogger().handlers
    assert any(isinstance(f, RedactIdentities) for h in handlers for f in h.filters)


@pytest.mark.django_db
def test_django_request_logging_never_writes_the_client_address(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = Client(REMOTE_ADDR=CLIENT_IP, HTTP_X_FORWARDED_FOR=FORWARDED_IP)
    with caplog.at_level(logging.DEBUG):
        client.get("/no-such-page/?phone=0200000917")  # 404: logged as a warning
        client.post("/health/", {"x": "y"})  # 405 or 403 (CSRF): logged as a warning
        client.get("/", HTTP_HOST="evil.example")  # DisallowedHost: a security log
    assert caplog.records, "the requests above should have been logged"
    everything = "\n".join(
        f"{record.getMessage()} {record.__dict__.get('exc_text') or ''}"
        for record in caplog.records
    )
    assert CLIENT_IP not in everything and FORWARDED_IP not in everything
    assert "0200000917" not in everything


def gunicorn_access_line(
    format: str = ACCESS_LOG_FORMAT,
    *,
    phone: str = "+233200000917",
    name: str = "Abena",
    email: str = "abena@example.org",
    logger_class: str = LOGGER_CLASS,
) -> str:
    """One request through gunicorn's own access logging, with i4p's logger and format.

    The visitor sends their number and name in the query string and their e-mail address in
    the referrer, from a known address behind a proxy.
    """
    config = Config()
    config.set("accesslog", "-")
    config.set("access_log_format", format)
    config.set("logger_class", logger_class)
    logger = config.logger_class(config)
    if logger_class == LOGGER_CLASS:
        assert isinstance(logger, AccessLogger)
    query = f"phone={quote(phone)}&name={quote(name)}"
    stream = io.StringIO()
    for handler in logger.access_log.handlers:
        handler.setStream(stream)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/reports/?{query}",
        "PATH_INFO": "/reports/",
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": CLIENT_IP,
        "HTTP_X_FORWARDED_FOR": FORWARDED_IP,
        "HTTP_REFERER": f"https://peace.example.org/submit/?email={email}",
        "HTTP_USER_AGENT": "Nokia 105",
    }
    response = SimpleNamespace(status="200 OK", sent=1532, headers=[])
    request = SimpleNamespace(
        headers=[("X-FORWARDED-FOR", FORWARDED_IP), ("REFERER", environ["HTTP_REFERER"])]
    )
    logger.access(response, request, environ, dt.timedelta(milliseconds=12))
    return stream.getvalue()


def test_the_access_log_keeps_time_path_status_and_duration_but_no_address_or_query() -> None:
    line = gunicorn_access_line()
    assert '"GET /reports/ HTTP/1.1" 200 1532 12ms' in line
    for secret in (CLIENT_IP, FORWARDED_IP, "233200000917", "Abena", "abena@", "phone="):
        assert secret not in line


def test_the_access_log_drops_the_address_even_with_gunicorns_default_format() -> None:
    default = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %({x-forwarded-for}i)s'
    line = gunicorn_access_line(default)
    assert "200 1532" in line
    for secret in (CLIENT_IP, FORWARDED_IP, "233200000917", "Abena", "abena@"):
        assert secret not in line


def test_serve_starts_gunicorn_with_the_private_access_log(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.I4P_DEMO = True  # outside the demo, serve wants production settings first
    started: list[list[str]] = []

    class Finished:
        def __init__(self, command: list[str]) -> None:
            started.append(command)

        def poll(self) -> int:
            return 0

        def wait(self, timeout: float | None = None) -> int:
            return 0

    monkeypatch.setattr(subprocess, "Popen", Finished)
    monkeypatch.setattr(signal, "signal", lambda *_args: None)
    monkeypatch.setattr(cli, "_queue_every", lambda *_args: None)
    monkeypatch.setattr("django.core.management.call_command", lambda *_args, **_kw: None)
    cli.serve(["127.0.0.1:0"])
    web = next(command for command in started if "gunicorn" in command)
    assert web[web.index("--access-logformat") + 1] == ACCESS_LOG_FORMAT
    assert web[web.index("--logger-class") + 1] == LOGGER_CLASS
    assert "%(h)s" not in ACCESS_LOG_FORMAT and "%(r)s" not in ACCESS_LOG_FORMAT
