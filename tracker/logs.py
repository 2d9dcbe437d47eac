"""Log lines that can be trusted: each names its request, none can be forged by user input.

A request id (set per request by `middleware.request_id`) is added to every record by
`RequestIdFilter`; `PlainFormatter` escapes control characters in messages, so a username
with a newline cannot start a fake `audit sign_in user=admin` line. In production the lines
are JSON (python-json-logger), which escapes them anyway.
"""

import contextvars
import logging

request_id = contextvars.ContextVar("request_id", default="-")

# C0 and C1 control characters and the Unicode line and paragraph separators.
_CONTROLS = [*range(0x20), 0x7F, *range(0x80, 0xA0), 0x2028, 0x2029]
_ESCAPES = {code: chr(code).encode("unicode_escape").decode("ascii") for code in _CONTROLS}


def escape(value):
    """`value` as text on one line: control characters written as escapes (\\n, \\x1b)."""
    return str(value).translate(_ESCAPES)


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = request_id.get()
        return True


class PlainFormatter(logging.Formatter):
    def formatMessage(self, record):  # noqa: N802 - logging's own name
        message = record.message
        record.message = escape(message)
        try:
            return super().formatMessage(record)
        finally:
            record.message = message


def init_sentry(dsn, *, environment="", traces_sample_rate=0.0):
    """Error tracking, only when a DSN is configured. Sends no personal data by default."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        integrations=[DjangoIntegration()],
        environment=environment or None,
        traces_sample_rate=traces_sample_rate,
        send_default_pii=False,
    )
    return True
