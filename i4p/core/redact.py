"""Phone numbers and e-mail addresses masked out of free text: the words of reports and logs.

`mask_text` is what intake stores instead of a reporter's words (the words as sent stay in the
sealed raw message) and what the log filter writes instead of a record: the last line of
defence for the day someone logs a raw payload or an exception carries one.

Numbers are found by `phonenumbers` (Google's libphonenumber), not by patterns of our own: a
run of digits is a phone number when it is a valid number of one of the regions in use
(`phone_regions`), however it is grouped (`055 501 0203`, `55 501 0203`, `233-55-501-0203`),
or of any country when written with its country code (`+44 20 7946 0958`). Dates, times,
counts and figures are not valid numbers, and digits glued to letters (`12ms`, ids) are left.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable

import phonenumbers
from django.apps import apps
from django.conf import settings
from django.db import connection

PHONE_MARK = "[phone]"
EMAIL_MARK = "[e-mail]"
NAME_MARK = "[name]"

_EMAIL = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# Fewer digits than this are never a phone number worth a look (a national number has 7 or
# more): most texts are passed over without asking the matcher anything.
_FEWEST_DIGITS = 7
_DIGIT = re.compile(r"\d")
# Names shorter than this are not masked on their own ("Al" would blank half the words).
_SHORTEST_NAME = 3
# With no region known, numbers are still found when written with their country code.
FALLBACK_REGION = "ZZ"

# Where the regions come from when `I4P_PHONE_REGIONS` is unset: the countries of the instance,
# read by a source a later app registers (geo, in its `AppConfig.ready()`).
_region_sources: list[Callable[[], Iterable[str]]] = []
_last_regions: tuple[str, ...] = ()
_reading = threading.local()


def add_region_source(source: Callable[[], Iterable[str]]) -> None:
    """Register where the instance's countries come from (called once, from an app's ready)."""
    if source not in _region_sources:
        _region_sources.append(source)


def phone_regions(*, read: bool = True) -> tuple[str, ...]:
    """The regions whose national spellings of numbers are masked (ISO 3166-1 alpha-2).

    `I4P_PHONE_REGIONS` when set; else the instance's countries. With `read=False` the
    countries are not read from the database: the last ones read are used (the log filter,
    which must never run a query inside someone else's transaction).
    """
    global _last_regions
    configured = _codes(getattr(settings, "I4P_PHONE_REGIONS", ()))
    if configured or not _region_sources:
        return configured
    if not read or getattr(_reading, "active", False):
        return _last_regions
    _reading.active = True  # a query that logs must not read again from inside the filter
    try:
        _last_regions = _codes(code for source in _region_sources for code in source())
    except Exception:  # no database yet (or none allowed here): the last regions read
        return _last_regions  # not logged: this may run inside the log filter
    finally:
        _reading.active = False
    return _last_regions


def _codes(codes: Iterable[str]) -> tuple[str, ...]:
    known = phonenumbers.SUPPORTED_REGIONS
    return tuple(dict.fromkeys(c.strip().upper() for c in codes if c.strip().upper() in known))


def _phone_spans(text: str, regions: Iterable[str]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for region in [*regions, FALLBACK_REGION]:
        matcher = phonenumbers.PhoneNumberMatcher(
            text, region, leniency=phonenumbers.Leniency.POSSIBLE
        )
        for match in matcher:
            # POSSIBLE finds national numbers written without their trunk 0 ("55 501 0203");
            # validity against the region's numbering plan then tells numbers from figures.
            if not phonenumbers.is_valid_number(match.number):
                continue
            before = text[match.start - 1] if match.start else " "
            after = text[match.end] if match.end < len(text) else " "
            if before.isalnum() or after.isalnum():
                continue  # part of a word, an id or a measure (12ms)
            spans.append((match.start, match.end))
    return spans


def _names_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    words = {
        word
        for name in names
        for word in re.findall(r"[^\W\d_][\w'-]*", name or "")
        if len(word) >= _SHORTEST_NAME
    }
    if not words:
        return None
    choices = "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{choices})(?!\w)", re.IGNORECASE)


def mask_text(
    text: str, *, regions: Iterable[str] = (), names: Iterable[str] = (), read: bool = True
) -> str:
    """`text` with e-mail addresses, phone numbers and the given names replaced by a mark.

    `regions` are tried first, then `phone_regions(read=read)`; `names` are the sender's own
    (each word of them is masked wherever it stands alone, in any case).
    """
    if not text:
        return text
    masked = _EMAIL.sub(EMAIL_MARK, text)
    pattern = _names_pattern(names)
    if pattern is not None:
        masked = pattern.sub(NAME_MARK, masked)
    if len(_DIGIT.findall(masked)) < _FEWEST_DIGITS:
        return masked
    tried = [*regions, *phone_regions(read=read)]
    spans = _phone_spans(masked, dict.fromkeys(code.upper() for code in tried if code))
    for start, end in _merged(spans)[::-1]:
        masked = masked[:start] + PHONE_MARK + masked[end:]
    return masked


def _may_read() -> bool:
    """Whether masking may read the instance's countries now: never inside a transaction."""
    return apps.ready and not connection.in_atomic_block


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def redact(text: str) -> str:
    """`text` with e-mail addresses and phone numbers replaced by a mark."""
    return mask_text(text)


class RedactIdentities(logging.Filter):
    """A logging filter that blanks phone numbers and e-mail addresses in every record.

    Installed on the console handler by `config/settings.py` and on gunicorn's logs by
    `i4p serve`; it rewrites the message (arguments merged in) and the exception text.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep the template, drop the arguments
            message = str(record.msg)
        # A log call may come from inside someone's transaction: no query of ours there.
        read = _may_read()
        record.msg = mask_text(message, read=read)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text, read=read)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info, read=read)
        return True
