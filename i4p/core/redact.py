"""The last line of defence: phone numbers and e-mail addresses blanked out of any text.

Reporter identities are never logged on purpose (they are sealed on arrival); this filter is
there for the day someone logs a raw payload or an exception carries one. It errs on the side
of blanking: a long digit run that looks like a number is replaced even when it was not one.
"""

from __future__ import annotations

import logging
import re

PHONE_MARK = "[phone]"
EMAIL_MARK = "[e-mail]"

_EMAIL = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# Digits in groups joined by a space, dot, dash or parentheses, not glued to a word or an id.
_NUMBER = re.compile(r"(?<![\w\-+])\+?\(?\d[\d\s().\-]{5,}\d(?![\w\-])")


def _number(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = re.sub(r"\D", "", text)
    grouped = text != digits and not text.startswith("+")
    if text.startswith("+") and 8 <= len(digits) <= 15:
        return PHONE_MARK
    if digits.startswith("0") and 9 <= len(digits) <= 14:
        return PHONE_MARK  # a national number (020 000 0123) or 00-prefixed international
    if not grouped and 9 <= len(digits) <= 15:
        return PHONE_MARK  # digits only: 233200000123
    return text  # dates, times, counts


def redact(text: str) -> str:
    """`text` with e-mail addresses and phone numbers replaced by a mark."""
    if not text:
        return text
    return _NUMBER.sub(_number, _EMAIL.sub(EMAIL_MARK, text))


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
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
