"""The SMS webhook: `/sms/<gateway slug>/`, one URL per configured gateway.

Order matters: authenticate (a forged request is refused and changes nothing), read the
vendor's format, count against the gateway's rate limit (429, nothing stored), store every
message (committed) and only then read it and answer the gateway. A failure while reading a
stored message leaves it stored and waiting in triage; the gateway still gets its 200.
"""

from __future__ import annotations

import logging
import time

from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from i4p.warning import intake
from i4p.warning.gateways import VENDORS, conversation, smssync
from i4p.warning.gateways.base import Answered, Unreadable
from i4p.warning.models import Channel, Gateway, InboundMessage, InboundState

log = logging.getLogger(__name__)


def retry_after(gateway: Gateway, count: int) -> int:
    """Seconds until the gateway may post again (0: within its limit this minute)."""
    now = int(time.time())
    key = f"i4p:sms-rate:{gateway.uuid}:{now // 60}"
    cache.add(key, 0, timeout=120)
    try:
        used = cache.incr(key, count)
    except ValueError:  # expired between add and incr
        cache.set(key, count, timeout=120)
        used = count
    if used > gateway.rate_limit_per_minute:
        return max(1, 60 - now % 60)
    return 0


def read_safely(inbound: InboundMessage, text: str) -> None:
    """Read a stored message; whatever goes wrong, it stays stored and a person sees it."""
    try:
        conversation.read_inbound(inbound, text)
    except Exception:
        # The message's id only: its text and sender stay out of the logs.
        log.exception("Reading inbound message %s failed; it waits in triage", inbound.uuid)
        try:
            inbound.refresh_from_db()
            if inbound.state == InboundState.RECEIVED:  # not if it became a report meanwhile
                intake.send_to_triage(inbound, problem="It could not be read automatically.")
        except Exception:
            log.exception("Inbound message %s stays in the received state", inbound.uuid)


@csrf_exempt
def webhook(request: HttpRequest, slug: str) -> HttpResponse:
    gateway = Gateway.objects.filter(slug=slug, is_active=True).first()
    vendor = VENDORS.get(gateway.kind) if gateway is not None else None
    if gateway is None or vendor is None:
        raise Http404("No such gateway.")
    if request.method == "GET" and gateway.kind == Channel.SMSSYNC:
        return collect(request, gateway)
    if request.method != "POST":
        return HttpResponse("Post messages here.", status=405, headers={"Allow": "POST"})
    if not vendor.authenticate(request, gateway):
        return HttpResponse("Not authenticated.", status=403, content_type="text/plain")
    try:
        messages = vendor.parse(request)
    except Unreadable as problem:
        return HttpResponse(str(problem), status=400, content_type="text/plain")
    wait = retry_after(gateway, len(messages))
    if wait:
        return HttpResponse(
            "Too many messages this minute.",
            status=429,
            headers={"Retry-After": str(wait)},
            content_type="text/plain",
        )
    results: list[Answered] = []
    for parsed in messages:
        inbound, created = intake.store_inbound(
            gateway.kind,
            parsed.raw,
            sender=intake.Identity(phone=parsed.sender),
            gateway=gateway,
            external_id=parsed.external_id,
        )
        results.append(Answered(parsed=parsed, inbound=inbound, created=created))
        # A re-delivery is read again only if the first reading never finished.
        if created or inbound.state == InboundState.RECEIVED:
            read_safely(inbound, parsed.text)
    answer: HttpResponse = vendor.answer(results)
    return answer


def collect(request: HttpRequest, gateway: Gateway) -> HttpResponse:
    """SMSSync's `task=send` poll: the messages waiting for this phone to send."""
    if request.GET.get("task") != "send":
        return HttpResponse("Post messages here.", status=405, headers={"Allow": "POST"})
    if not smssync.authenticate(request, gateway):
        return HttpResponse("Not authenticated.", status=403, content_type="text/plain")
    return smssync.collected(gateway, conversation.collect_waiting(gateway))
