"""The two-way conversation with reporters over SMS: read what arrives, answer, ask, thread.

An inbound message is read once it is stored (`intake.store_inbound` has committed it):

1. an opt-out keyword (STOP, ARRET, KANPE…) stops every message back, at once;
2. a reply while a follow-up question is open, or a free-text message soon after the sender's
   last report, is added to that report (threaded), not made a new one;
3. JOIN / YES / OUI / WI records consent to messages back; HELP sends the format;
4. the short grammar (`grammar.py`) makes a report with its type, place and counts;
5. otherwise free text with a known place name in it makes a report (the intake adds its
   triage reasons); a message with neither waits in triage.

Messages back follow `Reporter.consents_to_messages`: without consent, or after an opt-out,
they are recorded as withheld and never sent. Their wording is neutral (a seized phone must not
betray its owner) and comes from `MessageTemplate`, else from the defaults below. They leave
through a task that gets the message's id only; the number is unsealed when sending.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from i4p.accounts.permissions import Perm
from i4p.accounts.selectors import can
from i4p.core import outbox
from i4p.core.audit import record_event
from i4p.core.errors import Invalid, NotAllowed
from i4p.core.text import fold
from i4p.warning import identity, intake
from i4p.warning.gateways import grammar
from i4p.warning.intake import Draft
from i4p.warning.models import (
    Gateway,
    InboundMessage,
    InboundState,
    MessageTemplate,
    OutboundMessage,
    OutboundState,
    Report,
    Reporter,
    TimePrecision,
    Trust,
    Verification,
)

log = logging.getLogger(__name__)

STOP_WORDS = frozenset(
    {"stop", "stopall", "stop all", "unsubscribe", "cancel", "end", "quit", "optout",
     "opt out", "arret", "arrete", "arreter", "desabonner", "kanpe", "sispann", "stope",
     "توقف", "الغاء", "إلغاء"}
)  # fmt: skip
JOIN_WORDS = frozenset(
    {"join", "yes", "start", "subscribe", "optin", "opt in", "oui", "wi", "rejoindre",
     "نعم", "اشترك"}
)  # fmt: skip
HELP_WORDS = frozenset({"help", "aide", "ed", "info", "مساعدة"})

# Neutral by design: never violence, peace, conflict or report. Admins override them per
# language with `MessageTemplate` rows.
DEFAULT_TEMPLATES: dict[str, dict[str, str]] = {
    "ack": {
        "en": "Thank you, your message has arrived.",
        "fr": "Merci, votre message est bien arrivé.",
        "ht": "Mèsi, mesaj ou a rive.",
        "ar": "شكراً، وصلت رسالتك.",
        "sw": "Asante, ujumbe wako umefika.",
    },
    "consent": {
        "en": "Thank you. You will get short replies from this number. Send STOP to end them.",
        "fr": "Merci. Vous recevrez de courtes réponses de ce numéro. Envoyez ARRET pour "
        "les arrêter.",
        "ht": "Mèsi. W ap resevwa ti repons nan nimewo sa a. Voye KANPE pou sispann yo.",
        "ar": "شكراً. ستصلك ردود قصيرة من هذا الرقم. أرسل توقف لإيقافها.",
        "sw": "Asante. Utapokea majibu mafupi kutoka namba hii. Tuma STOP kuyasimamisha.",
    },
    "help": {
        "en": "Format: CODE PLACE NUMBER NOTE. Send JOIN for replies, STOP to end them.",
        "fr": "Format : CODE LIEU NOMBRE NOTE. Envoyez OUI pour les réponses, ARRET pour "
        "les arrêter.",
        "ht": "Fòma: KÒD KOTE KANTITE NÒT. Voye WI pou repons, KANPE pou sispann yo.",
        "ar": "الصيغة: الرمز المكان العدد ملاحظة. أرسل نعم للردود، توقف لإيقافها.",
        "sw": "Muundo: CODE MAHALI IDADI MAELEZO. Tuma JOIN kupata majibu, STOP kuyasimamisha.",
    },
}


def thread_window() -> dt.timedelta:
    return dt.timedelta(minutes=int(getattr(settings, "I4P_SMS_THREAD_MINUTES", 120)))


# -- wording ----------------------------------------------------------------------------


def language_of(reporter: Reporter, gateway: Gateway | None) -> str:
    return (
        reporter.language
        or (gateway.language if gateway is not None else "")
        or str(settings.LANGUAGE_CODE).split("-")[0]
    )


def template_text(key: str, language: str) -> str:
    """The admin's wording for this language, else the default, else English."""
    base_language = language.split("-")[0]
    for candidate in (language, base_language):
        row = MessageTemplate.objects.filter(key=key, language=candidate).first()
        if row is not None:
            return row.text
    defaults = DEFAULT_TEMPLATES.get(key, {})
    return defaults.get(language) or defaults.get(base_language) or defaults.get("en", "")


# -- messages back ------------------------------------------------------------------------


def may_message(reporter: Reporter) -> bool:
    return (
        reporter.consents_to_messages
        and reporter.opted_out_at is None
        and reporter.trust != Trust.BLOCKED
    )


def gateway_of(reporter: Reporter) -> Gateway | None:
    """The gateway the reporter last wrote through: replies go back the same way."""
    last = (
        InboundMessage.objects.filter(reporter=reporter, gateway__isnull=False)
        .select_related("gateway")
        .order_by("-received_at", "-pk")
        .first()
    )
    return last.gateway if last is not None else None


@transaction.atomic
def queue_message(
    reporter: Reporter,
    *,
    key: str,
    text: str = "",
    report: Report | None = None,
    gateway: Gateway | None = None,
    by: Any = None,
) -> OutboundMessage:
    """Record a message back; send it (after commit) only when the reporter consents."""
    reporter = Reporter.objects.get(pk=reporter.pk)  # consent as it stands now, not as cached
    gateway = gateway or gateway_of(reporter)
    wording = text or template_text(key, language_of(reporter, gateway))
    allowed = may_message(reporter) and gateway is not None and gateway.is_active
    message = OutboundMessage.objects.create(
        reporter=reporter,
        report=report,
        gateway=gateway,
        template_key=key,
        text=wording[:640],
        state=OutboundState.QUEUED if allowed else OutboundState.WITHHELD,
        sent_by=by if getattr(by, "pk", None) else None,
    )
    record_event(
        message,
        "outbound.queued" if allowed else "outbound.withheld",
        by=by,
        fields=["text"],
        note=key,
    )
    if allowed:
        transaction.on_commit(partial(enqueue_delivery, str(message.uuid)))
    return message


def enqueue_delivery(message_id: str, *, delay: int = 0) -> None:
    from i4p.warning.gateways.tasks import deliver_message

    task = deliver_message
    if delay and task.get_backend().supports_defer:
        task = task.using(run_after=timezone.now() + dt.timedelta(seconds=delay))
    task.enqueue(message_id)


def recipient_of(reporter: Reporter) -> str:
    """The reporter's number, unsealed only at the moment of sending."""
    return str(identity.unseal(reporter.identity).get("phone", ""))


def deliver(message_id: str) -> str:
    """Send one queued message through its gateway; retry later when that can help. The
    vendor is called outside any transaction, on a message claimed with a lease
    (`core.outbox`)."""
    from i4p.warning.gateways import VENDORS
    from i4p.warning.gateways.base import SendResult

    recipients: dict[int, str] = {}

    def ready(message: OutboundMessage, now: dt.datetime) -> str | None:
        reporter = Reporter.objects.get(pk=message.reporter_id)
        if not may_message(reporter):
            # Opted out while the message waited: it never leaves.
            message.state = OutboundState.WITHHELD
            message.save(update_fields=["state", "updated_at"])
            record_event(message, "outbound.withheld", by=None, note="consent withdrawn")
            return str(message.state)
        recipient = recipient_of(reporter)
        if message.gateway is None or not recipient:
            message.state = OutboundState.FAILED
            message.last_error = "No gateway or no number to send to."
            message.save(update_fields=["state", "last_error", "updated_at"])
            record_event(message, "outbound.failed", by=None, note="no gateway or number")
            return str(message.state)
        recipients[message.pk] = recipient
        return None

    def send(message: OutboundMessage) -> SendResult:
        assert message.gateway is not None
        result: SendResult = VENDORS[message.gateway.kind].send(message, recipients.pop(message.pk))
        return result

    return outbox.attempt(
        OutboundMessage.objects.select_related("gateway").filter(uuid=message_id),
        waiting=[OutboundState.QUEUED],
        ready=ready,
        send=send,
        failed=lambda error: SendResult(ok=False, error=type(error).__name__),
        record=_record_sending,
    )


def _record_sending(message: OutboundMessage, result: Any, now: dt.datetime) -> str:
    message.attempts += 1
    fields = ["state", "attempts", "last_error", "leased_until", "updated_at"]
    if result.ok and result.waiting:
        message.last_error = ""
        message.save(update_fields=fields)
        return "waiting for the gateway to collect it"
    if result.ok:
        message.state = OutboundState.SENT
        message.sent_at = timezone.now()
        message.last_error = ""
        message.save(update_fields=[*fields, "sent_at"])
        record_event(message, "outbound.sent", by=None)
        return str(message.state)
    message.last_error = result.error[:300]
    again = result.retry and message.attempts < outbox.MAX_ATTEMPTS
    if not again:
        message.state = OutboundState.FAILED
    message.save(update_fields=fields)
    record_event(message, "outbound.failed" if not again else "outbound.retrying", by=None)
    if again:
        delay = outbox.retry_delay(message.attempts)
        transaction.on_commit(partial(enqueue_delivery, str(message.uuid), delay=delay))
    return str(message.state)


def resend_stalled_messages(*, now: dt.datetime | None = None) -> int:
    """Queue again messages whose sender's lease ended with no result (a worker lost while
    the gateway was called)."""
    now = now or timezone.now()
    found = [
        str(uuid)
        for uuid in outbox.stalled(
            OutboundMessage.objects.filter(state=OutboundState.QUEUED), now=now
        ).values_list("uuid", flat=True)[:500]
    ]
    for message_id in found:
        enqueue_delivery(message_id)
    return len(found)


@transaction.atomic
def collect_waiting(gateway: Gateway, *, limit: int = 50) -> list[tuple[OutboundMessage, str]]:
    """Messages a polling gateway (SMSSync) takes now, with their numbers; marked sent."""
    batch = list(
        OutboundMessage.objects.select_for_update()
        .filter(gateway=gateway, state=OutboundState.QUEUED, attempts__gt=0)
        .select_related("reporter")
        .order_by("created_at")[:limit]
    )
    taken: list[tuple[OutboundMessage, str]] = []
    now = timezone.now()
    for message in batch:
        if not may_message(message.reporter):
            message.state = OutboundState.WITHHELD
            message.save(update_fields=["state", "updated_at"])
            continue
        message.state = OutboundState.SENT
        message.sent_at = now
        message.save(update_fields=["state", "sent_at", "updated_at"])
        record_event(message, "outbound.sent", by=None, note="collected by the gateway")
        taken.append((message, recipient_of(message.reporter)))
    return taken


# -- consent ------------------------------------------------------------------------------


@transaction.atomic
def record_consent(reporter: Reporter, *, given: bool, by: Any = None, via: str = "") -> Reporter:
    """Consent to messages back (an SMS keyword, or the web form), or an opt-out."""
    reporter = Reporter.objects.select_for_update().get(pk=reporter.pk)
    now = timezone.now()
    reporter.consents_to_messages = given
    reporter.consent_recorded_at = now
    reporter.opted_out_at = None if given else now
    reporter.save(
        update_fields=["consents_to_messages", "consent_recorded_at", "opted_out_at", "updated_at"]
    )
    record_event(
        reporter,
        "reporter.consented" if given else "reporter.opted_out",
        by=by,
        fields=["consents_to_messages"],
        note=via,
    )
    if not given:
        # Anything still waiting is withheld at once, not at send time only.
        waiting = OutboundMessage.objects.filter(reporter=reporter, state=OutboundState.QUEUED)
        waiting.update(state=OutboundState.WITHHELD, updated_at=now)
    return reporter


# -- follow-up questions -----------------------------------------------------------------


@transaction.atomic
def ask_reporter(report: Report, text: str, *, by: Any) -> OutboundMessage:
    """A staff member's follow-up question to the reporter, through the reporter's gateway.

    The reply, from the same number within the thread window, is added to this report.
    """
    if not can(by, Perm.MESSAGE_REPORTERS, report.place):
        raise NotAllowed("You cannot message reporters in this area.")
    if report.reporter is None:
        raise Invalid("This report has no reporter to ask.", fields={"text": ["no reporter"]})
    text = text.strip()
    if not text or len(text) > 320:
        raise Invalid(
            "Write a question of 1 to 320 characters.", fields={"text": ["1 to 320 characters"]}
        )
    message = queue_message(report.reporter, key="follow_up", text=text, report=report, by=by)
    record_event(report, "report.reporter_asked", by=by, fields=["text"])
    return message


# -- threading ----------------------------------------------------------------------------


def open_report(reporter: Reporter, *, free_text: bool, now: dt.datetime) -> Report | None:
    """The report a new message from this reporter belongs to, if any.

    A follow-up question keeps its report open for the window; a free-text message also joins
    the reporter's latest report when it arrived within the window.
    """
    since = now - thread_window()
    closed = [Verification.FALSE, Verification.DUPLICATE]
    asked = (
        OutboundMessage.objects.filter(
            reporter=reporter,
            template_key="follow_up",
            report__isnull=False,
            created_at__gte=since,
        )
        .exclude(report__verification__in=closed)
        .order_by("-created_at")
        .first()
    )
    if asked is not None:
        return asked.report
    if not free_text:
        return None
    return (
        Report.objects.filter(reporter=reporter, received_at__gte=since)
        .exclude(verification__in=closed)
        .order_by("-received_at")
        .first()
    )


@transaction.atomic
def thread_onto(inbound: InboundMessage, report: Report, text: str) -> Report:
    """Add a reply to its report: the text is appended, the message points to the report."""
    report = Report.objects.select_for_update().get(pk=report.pk)
    stamp = timezone.localtime(inbound.received_at).strftime("%Y-%m-%d %H:%M")
    country = inbound.gateway.country_code if inbound.gateway is not None else ""
    words = intake.Words.of(
        intake.inbound_sender(inbound),
        reporter=inbound.reporter,
        country=country or (report.place.country_code if report.place is not None else ""),
    )
    addition = f"[{stamp}] {words.mask(text.strip())}"
    report.description = f"{report.description}\n\n{addition}".strip()
    report.save(update_fields=["description", "updated_at"])
    InboundMessage.objects.filter(pk=inbound.pk).update(
        state=InboundState.THREADED, report=report, place=report.place, updated_at=timezone.now()
    )
    record_event(report, "report.reply_added", by=None, fields=["description"])
    record_event(inbound, "inbound.threaded", by=None)
    return report


# -- reading what arrives ------------------------------------------------------------------


def _command(inbound: InboundMessage, note: str) -> None:
    InboundMessage.objects.filter(pk=inbound.pk).update(
        state=InboundState.COMMAND, updated_at=timezone.now()
    )
    record_event(inbound, "inbound.command", by=None, note=note)


def read_inbound(inbound: InboundMessage, text: str) -> str:
    """Turn a stored message into a report, a threaded reply, a command or a triage item.

    Returns the outcome (the new state). Raises only on bugs; the caller keeps the message.
    """
    gateway = inbound.gateway
    country = gateway.country_code if gateway is not None else ""
    reporter = inbound.reporter
    words = fold(text)
    if not words:
        intake.send_to_triage(inbound, problem="The message is empty.")
        return InboundState.TRIAGE
    if reporter is not None and words in STOP_WORDS:
        record_consent(reporter, given=False, via="sms keyword")
        _command(inbound, "opt-out")
        return InboundState.COMMAND
    framework = intake.active_framework()
    codes = grammar.codes_of(framework)
    short = grammar.parse_short(
        text, codes, is_place=lambda name: grammar.is_known_place(name, country)
    )
    if reporter is not None:
        # An answer to a follow-up question ("yes" included) goes to its report first.
        asked = open_report(reporter, free_text=False, now=inbound.received_at)
        if asked is not None:
            thread_onto(inbound, asked, text)
            return InboundState.THREADED
    if reporter is not None and words in JOIN_WORDS:
        record_consent(reporter, given=True, via="sms keyword")
        _command(inbound, "consent")
        queue_message(reporter, key="consent", gateway=gateway)
        return InboundState.COMMAND
    if reporter is not None and words in HELP_WORDS:
        _command(inbound, "help")
        queue_message(reporter, key="help", gateway=gateway)
        return InboundState.COMMAND
    if reporter is not None and short is None:
        recent = open_report(reporter, free_text=True, now=inbound.received_at)
        if recent is not None:
            thread_onto(inbound, recent, text)
            return InboundState.THREADED
    if short is not None:
        draft = Draft(
            framework=framework,
            event_type=short.event_type,
            location_text=short.place_text,
            country=country,
            title=f"{short.event_type.name}, {short.place_text}"[:200],
            description=short.text or text,
            killed=short.killed,
            injured=short.injured,
            displaced=short.displaced,
            time_precision=TimePrecision.DAY,
        )
    else:
        place = grammar.place_in_text(text, country)
        if not place:
            intake.send_to_triage(
                inbound, problem="No event code and no known place name in the message."
            )
            return InboundState.TRIAGE
        draft = Draft(
            framework=framework,
            location_text=place,
            country=country,
            description=text,
            time_precision=TimePrecision.DAY,
        )
    report = intake.report_from_inbound(inbound, draft)
    if reporter is not None:
        try:
            queue_message(reporter, key="ack", report=report, gateway=gateway)
        except Exception:  # the report stands; only the thank-you is missing
            log.exception("Acknowledging inbound message %s failed", inbound.uuid)
    return InboundState.REPORTED
