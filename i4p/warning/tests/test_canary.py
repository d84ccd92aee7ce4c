"""THE CANARY: a reporter's phone number, name and e-mail address, planted through the web form
and an SMS gateway, must not show up anywhere but in the sealed columns.

Swept: every page the URL resolver knows (and every link those pages show, so exports and
downloads added later are covered the day they appear), every GET operation of the OpenAPI
document, the `export_reports` command when it exists, every log record, a gunicorn access
log line, and a raw dump of every database table. Each sweep is also run once against a
planted leak, so a sweep that looks nowhere fails instead of passing.
"""

from __future__ import annotations

import io
import logging
import os
import re
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command, get_commands, load_command_class
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from i4p.accounts.services import issue_token
from i4p.api.router import api
from i4p.core.redact import RedactIdentities
from i4p.warning import identity
from i4p.warning.intake import (
    Draft,
    Identity,
    inbound_payload,
    report_from_inbound,
    send_to_triage,
    store_inbound,
    submit_report,
)
from i4p.warning.models import Channel, EventType, Gateway, InboundMessage, Report, Reporter
from i4p.warning.protection import reveal_identity
from i4p.warning.tests.builders import WarningWorld, build_warning_world
from i4p.web.tests.test_logs import gunicorn_access_line
from i4p.web.tests.world import logged_in

pytestmark = pytest.mark.django_db(transaction=False)

# Clearly fictitious: +233 20 000 0xxx is the demo's range; this one is kept for the canary.
PHONE = "+233 20 999 0417"
NAME = "Akosua Canaryfield"
EMAIL = "akosua.canaryfield@example.invalid"
SMS_PHONE = "0209990418"  # a second reporter, by SMS, written the local way
NEEDLES = (
    "+233209990417",  # E.164
    "+233 20 999 0417",
    "020 999 0417",  # local
    "0209990417",
    "233209990417",  # digits only (also what a URL-encoded +233… leaves)
    "209990417",  # national significant number
    "0209990418",
    "233209990418",
    "209990418",
    "canaryfield",  # the surname, any case (the e-mail carries it too)
    "akosua canaryfield",
    "akosua+canaryfield",
    "akosua%20canaryfield",
)
_CONVERTER = re.compile(r"<(?:(?P<kind>\w+):)?(?P<name>\w+)>")
_OPENAPI_PARAMETER = re.compile(r"{(\w+)}")
_HREF = re.compile(r"""(?:href|action|src)=["']([^"'#]+)["']""")
# Words a URL parameter of an export or a gateway might take, beside the planted records' ids.
URL_WORDS = ("csv", "json", "geojson", "hxl", "cap", "xml", "generic", "twilio")
CRAWL_LIMIT = 600  # pages per visitor; the planted world is small


def found_in(text: str) -> list[str]:
    folded = text.lower()
    return [needle for needle in NEEDLES if needle.lower() in folded]


@dataclass
class Sweep:
    """Where the canary was found: (place, needle) pairs. Empty means no leak."""

    leaks: list[tuple[str, str]] = field(default_factory=list)
    looked_at: int = 0
    requests: int = 0

    def check(self, where: str, content: str | bytes | memoryview) -> None:
        self.looked_at += 1
        if isinstance(content, bytes | memoryview):
            content = bytes(content).decode("utf-8", errors="replace")
        for needle in found_in(content):
            self.leaks.append((where, needle))

    def __str__(self) -> str:
        return "\n".join(f"{needle!r} in {where}" for where, needle in self.leaks[:40])


# -- planting -------------------------------------------------------------------------------


@dataclass
class Planted:
    world: WarningWorld
    reports: list[Report]
    reporters: list[Reporter]
    inbound: list[InboundMessage]
    gateway: Gateway
    clients: dict[str, Client]

    def ids(self) -> list[str]:
        records: list[Any] = [
            *self.reports,
            *self.reporters,
            *self.inbound,
            self.gateway,
            self.world.tamale,
            self.world.northern,
            self.world.ghana,
            self.world.framework,
        ]
        return [str(record.uuid) for record in records]

    def pks(self) -> list[str]:
        records: list[Any] = [*self.reports, *self.reporters, *self.inbound, self.gateway]
        return sorted({str(record.pk) for record in records})


def plant() -> Planted:
    world = build_warning_world()
    clash = EventType.objects.get(code="battles.armed_clash")
    # 1. The web form: a reporter gives a name, a phone and an e-mail address.
    web_report, _new = submit_report(
        Draft(
            event_type=clash,
            # The reporter writes their own name and number into the words as well.
            description=(
                "Two groups fought near the central market; shops closed. "
                "Call Akosua Canaryfield on 020 999 0417 or akosua.canaryfield@example.invalid."
            ),
            place=world.tamale,
            injured=3,
        ),
        by=None,
        channel=Channel.WEB,
        payload={"description": f"Two groups fought, call {NAME} on 020 999 0417", "phone": PHONE},
        sender=Identity(phone=PHONE, name=NAME, email=EMAIL),
    )
    # 2. An SMS gateway: the raw message carries the sender, like every vendor's webhook.
    gateway = Gateway.objects.create(
        name="Canary SMS",
        slug="canary-sms",
        kind=Channel.GENERIC,
        country_code="GH",
        secret=identity.seal({"secret": "gateway-secret"}),
    )
    sms, _new = store_inbound(
        Channel.GENERIC,
        {"from": SMS_PHONE, "text": "AC 2 Tamale clash at lorry park, Canaryfield 0209990418"},
        sender=Identity(phone=SMS_PHONE, name=NAME),
        gateway=gateway,
        external_id="canary-1",
    )
    sms_report = report_from_inbound(
        sms,
        Draft(
            event_type=clash,
            title="Clash, Akosua Canaryfield saw it",
            description="Clash at the lorry park, ask Canaryfield on 20 999 0418",
            actors_text="Lorry drivers; their chairman is on +233 20 999 0417",
            place=world.tamale,
        ),
    )
    # 3. The same sender again, unreadable this time: it waits in triage.
    unread, _new = store_inbound(
        Channel.GENERIC,
        {"from": PHONE, "text": f"??? {NAME} 233 20 999 0417", "email": EMAIL},
        sender=Identity(phone=PHONE),
        gateway=gateway,
        external_id="canary-2",
    )
    send_to_triage(unread, problem="No event code.")
    reporters = list(Reporter.objects.all())
    # 4. An admin reveals the identity: the audit log must keep only the reason.
    reveal_identity(reporters[0], by=world.admin, reason="Planted canary: threat check.")
    _token, plain = issue_token(world.admin, by=None, name="canary")
    # Each kind of visitor once: what a national analyst or a district admin sees is a part
    # of what the admin sees, and the scoped analyst stands for scoped staff.
    clients = {
        "anonymous": Client(),
        "monitor": logged_in(world.monitor),
        "tamale analyst": logged_in(world.tamale_analyst),
        "admin": logged_in(world.admin),
        "admin token": Client(HTTP_AUTHORIZATION=f"Bearer {plain}"),
    }
    return Planted(
        world=world,
        reports=[web_report, sms_report],
        reporters=reporters,
        inbound=list(InboundMessage.objects.all()),
        gateway=gateway,
        clients=clients,
    )


# -- pages ----------------------------------------------------------------------------------


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[str]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def every_route() -> list[str]:
    """Every route of the site, the admin and the API included; only static files are left."""
    return sorted({r for r in _walk(get_resolver().url_patterns) if not r.startswith("static/")})


def _value(match: re.Match[str], *, planted: Planted, choice: str) -> str:
    kind = match.group("kind") or "str"
    if kind == "uuid":
        return choice if choice in planted.ids() else planted.ids()[0]
    if kind == "int":
        return choice if choice.isdigit() else planted.pks()[0]
    return choice


def route_urls(route: str, planted: Planted) -> list[str]:
    if route.startswith("^"):  # regex routes (the admin's catch-all): the bare prefix only
        return ["/" + route.lstrip("^").split("(")[0].split("$")[0].replace("\\", "")]
    if "<" not in route:
        return ["/" + route]
    kinds = {m.group("kind") or "str" for m in _CONVERTER.finditer(route)}
    choices: list[str] = []
    if "uuid" in kinds or "str" in kinds or "path" in kinds:
        choices += planted.ids()
    if "int" in kinds or "path" in kinds:
        choices += planted.pks()
    if "str" in kinds or "slug" in kinds or "path" in kinds:
        choices += [planted.gateway.slug, *URL_WORDS]
    urls = []
    for choice in dict.fromkeys(choices):
        urls.append("/" + _CONVERTER.sub(partial(_value, planted=planted, choice=choice), route))
    return sorted(set(urls))


def body_of(answer: Any) -> bytes:
    if getattr(answer, "streaming", False):
        return b"".join(answer.streaming_content)
    return bytes(answer.content)


def _links(html: str, base: str) -> Iterable[str]:
    for href in _HREF.findall(html):
        url = urljoin(base, href.replace("&amp;", "&"))
        parts = urlsplit(url)
        if parts.netloc and parts.netloc != "testserver":
            continue
        if parts.path.startswith("/static/") or "logout" in parts.path:
            continue
        yield parts.path + (f"?{parts.query}" if parts.query else "")


def sweep_pages(planted: Planted, sweep: Sweep, *, only: Iterable[str] = ()) -> None:
    """GET every route with every planted id, then every same-site link those pages show."""
    start = [url for route in every_route() for url in route_urls(route, planted)]
    chosen = set(only)
    for who, client in planted.clients.items():
        if chosen and who not in chosen:
            continue
        seen: set[str] = set()
        queue = deque(start)
        while queue and len(seen) < CRAWL_LIMIT + len(start):
            url = queue.popleft()
            if url in seen:
                continue
            seen.add(url)
            answer = client.get(url)
            sweep.requests += 1
            # Any answer but a crash: a 500 page would hide what the real page shows.
            assert answer.status_code < 500, (who, url)
            body = body_of(answer)
            sweep.check(f"{url} as {who} ({answer.status_code})", body)
            for header, value in answer.items():
                sweep.check(f"{url} header {header} as {who}", value)
            kind = answer.get("Content-Type", "")
            if answer.status_code == 200 and "html" in kind:
                queue.extend(link for link in _links(body.decode(errors="replace"), url))


# -- API ------------------------------------------------------------------------------------


def sweep_api(planted: Planted, sweep: Sweep) -> None:
    schema = api.get_openapi_schema(path_prefix="/api/v1/")
    gets = [path for path, methods in schema["paths"].items() if "get" in methods]
    assert gets, "the OpenAPI document lists no GET operation"
    for path in gets:
        names = _OPENAPI_PARAMETER.findall(path)
        values = [*planted.ids(), planted.gateway.slug] if names else [""]
        for value in values:
            url = _OPENAPI_PARAMETER.sub(value, path)
            for who, client in planted.clients.items():
                answer = client.get(url)
                sweep.requests += 1
                sweep.check(f"API {url} as {who} ({answer.status_code})", body_of(answer))


# -- exports on the command line ------------------------------------------------------------


def sweep_export_command(sweep: Sweep, folder: Path) -> None:
    """`i4p export_reports`, when installed: every format it offers, every file it writes."""
    if "export_reports" not in get_commands():
        return
    command = load_command_class(get_commands()["export_reports"], "export_reports")
    parser = command.create_parser("i4p", "export_reports")
    formats: list[str] = [""]
    option = ""
    for action in parser._actions:
        if action.choices and any(s in ("--format", "-f") for s in action.option_strings):
            formats, option = [str(c) for c in action.choices], action.option_strings[-1]
    before = os.getcwd()
    os.chdir(folder)
    try:
        for number, chosen in enumerate(formats):
            args = [option, chosen] if option and chosen else []
            out = io.StringIO()
            target = folder / f"export-{number}"
            for attempt in (args, [*args, "--output", str(target)], [*args, str(target)]):
                try:
                    call_command("export_reports", *attempt, stdout=out, stderr=out)
                    break
                except (SystemExit, Exception):
                    continue
            sweep.check(f"export_reports {chosen} (output)", out.getvalue())
    finally:
        os.chdir(before)
    for path in folder.rglob("*"):
        if path.is_file():
            sweep.check(f"export_reports file {path.name}", path.read_bytes())


# -- logs -----------------------------------------------------------------------------------


def sweep_logs(records: list[logging.LogRecord], sweep: Sweep) -> None:
    for record in records:
        try:
            message = record.getMessage()
        except Exception:
            message = f"{record.msg} {record.args}"
        sweep.check(f"log {record.name}:{record.levelname}", message)
        if record.exc_info:
            sweep.check(
                f"log {record.name} traceback", logging.Formatter().formatException(record.exc_info)
            )


# -- the database ---------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if isinstance(value, bytes | memoryview):
        raw = bytes(value)
        return raw.decode("utf-8", errors="replace") + raw.decode("latin-1")
    return str(value)


def sweep_database(sweep: Sweep) -> None:
    """`SELECT *` over every table; bytes decoded; sessions decoded from their signed form."""
    tables = connection.introspection.table_names()
    assert len(tables) > 20, tables
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            names = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                for name, value in zip(names, row, strict=True):
                    if value is not None:
                        sweep.check(f"table {table}.{name}", _cell(value))
    for session in SessionStore.get_model_class().objects.all():
        sweep.check("a session's data", repr(SessionStore().decode(session.session_data)))


@contextmanager
def rolled_back() -> Iterator[None]:
    """Plant a deliberate leak for a negative check and take it away again."""

    class Undo(Exception):
        pass

    try:
        with transaction.atomic():
            yield
            raise Undo
    except Undo:
        pass


# -- the test -------------------------------------------------------------------------------


@pytest.fixture
def without_redaction() -> Iterator[None]:
    """The redaction filter rewrites records in place; the canary must see what code logs."""
    removed: list[tuple[logging.Handler, logging.Filterer | Any]] = []
    for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]:
        for handler in getattr(logger, "handlers", []):
            for found in list(handler.filters):
                if isinstance(found, RedactIdentities):
                    handler.removeFilter(found)
                    removed.append((handler, found))
    yield
    for handler, found in removed:
        handler.addFilter(found)


@pytest.mark.slow
def test_the_canary_is_nowhere_but_in_sealed_columns(
    without_redaction: None, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    planted = plant()
    # The canary really went in: the sealed columns hold it (and only they do).
    assert identity.unseal(planted.reporters[0].identity)["name"] == NAME
    # The words as sent, number and name in them, are kept sealed in the raw messages only.
    sealed_words = [str(inbound_payload(inbound)) for inbound in planted.inbound]
    assert any("020 999 0417" in words and NAME in words for words in sealed_words)
    web_reporter = planted.reports[0].reporter
    assert web_reporter is not None

    pages = Sweep()
    sweep_pages(planted, pages)
    assert pages.requests > 100, "the page sweep looked at too little"
    assert pages.leaks == [], f"the canary leaked on pages:\n{pages}"

    answers = Sweep()
    sweep_api(planted, answers)
    assert answers.leaks == [], f"the canary leaked in API answers:\n{answers}"

    exports = Sweep()
    sweep_export_command(exports, tmp_path)
    assert exports.leaks == [], f"the canary leaked in an export:\n{exports}"

    access = Sweep()
    access.check("gunicorn access log", gunicorn_access_line(phone=PHONE, name=NAME, email=EMAIL))
    assert access.leaks == [], f"the canary leaked in the access log:\n{access}"

    logs = Sweep()
    sweep_logs(caplog.records, logs)
    assert logs.looked_at > 0
    assert logs.leaks == [], f"the canary leaked in the logs:\n{logs}"

    tables = Sweep()
    sweep_database(tables)
    assert tables.leaks == [], f"the canary leaked into a database column:\n{tables}"

    # What was searched (shown with `pytest -s`).
    print(
        f"canary: {pages.requests} page requests, {answers.requests} API requests, "
        f"{exports.looked_at} export outputs, {logs.looked_at} log records, "
        f"{tables.looked_at} database cells"
    )

    # Negative checks: each sweep finds a canary that is really there.
    with rolled_back():
        Reporter.objects.filter(pk=web_reporter.pk).update(handle="0209990417")
        shown = Sweep()
        sweep_pages(planted, shown, only=["admin"])
        assert any(f"/reporters/{web_reporter.uuid}/" in where for where, _n in shown.leaks)
        dumped = Sweep()
        sweep_database(dumped)
        assert ("table warning_reporter.handle", "0209990417") in dumped.leaks
    with rolled_back():
        Report.objects.filter(pk=planted.reports[1].pk).update(actors_text=NAME.upper())
        dumped = Sweep()
        sweep_database(dumped)
        assert ("table warning_report.actors_text", "canaryfield") in dumped.leaks
    caplog.clear()
    logging.getLogger("i4p.canary").debug("sending to %s", PHONE)
    noisy = Sweep()
    sweep_logs(caplog.records, noisy)
    assert noisy.leaks, "the log sweep missed a planted number"
    leaky = Sweep()
    plain_gunicorn = gunicorn_access_line(
        '"%(r)s" %(f)s',
        phone=PHONE,
        name=NAME,
        email=EMAIL,
        logger_class="gunicorn.glogging.Logger",
    )
    leaky.check("gunicorn's own access log", plain_gunicorn)
    assert leaky.leaks, "the access-log check missed a query string with the number"
