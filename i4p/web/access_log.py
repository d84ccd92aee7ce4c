"""Gunicorn's access log without the visitor: no client address, no query string, no referrer.

A reporter's IP address can locate them; a query string or a referrer can carry what they
typed. `i4p serve` passes `ACCESS_LOG_FORMAT` and `AccessLogger` to gunicorn.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from i4p.core.redact import RedactIdentities

# Time, method, path (PATH_INFO, without the query string), protocol, status, bytes, duration.
ACCESS_LOG_FORMAT = '%(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'
LOGGER_CLASS = "i4p.web.access_log.AccessLogger"


class AccessLogger(Logger):  # type: ignore[misc]
    """Gunicorn's logger with the redaction filter on every handler it sets up."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if not any(isinstance(f, RedactIdentities) for f in handler.filters):
                    handler.addFilter(RedactIdentities())

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        found: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        # Whatever format an operator sets, the address and what may carry data stay out.
        for key in ("h", "r", "q", "f", "{x-forwarded-for}i", "{x-real-ip}i", "{referer}i"):
            if key in found:
                found[key] = "-"
        if "U" in found:
            found["U"] = str(found["U"] or "").split("?")[0]
        found = {
            key: value
            for key, value in found.items()
            if not (key.endswith("}e") or key.endswith("}i"))
            or key in ("{user-agent}i", "{content-length}i")
        }
        return found
