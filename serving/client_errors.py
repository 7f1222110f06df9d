"""Refused requests logged as what they are: one INFO line per 4xx, not an ERROR with a traceback.

BentoML logs every exception of an API call at ERROR with its traceback, a bad request body included. A 4xx
is the caller's mistake and the service answered it as designed; tracebacks in the log should mean a fault
of the service. The filter rewrites those records in place, before any handler formats them.
"""

from __future__ import annotations

import logging

from bentoml.exceptions import BentoMLException
from pydantic import ValidationError

# The logger BentoML's HTTP layer reports API exceptions through ("Exception on <path> [<method>]").
BENTOML_HTTP_LOGGER = "bentoml._internal.server.http_app"


def client_error_status(error: BaseException | None) -> int | None:
    """The 4xx status BentoML answers this exception with, or None when it is the service's fault (5xx)."""
    if isinstance(error, ValidationError):
        return 400
    if isinstance(error, BentoMLException) and 400 <= error.error_code.value < 500:
        return error.error_code.value
    return None


class ClientErrorsAtInfo(logging.Filter):
    """Turns the record of a refused request into one INFO line: method, path, status and the reason."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        status = client_error_status(error)
        if status is None:
            return True
        path, method = record.args if isinstance(record.args, tuple) and len(record.args) == 2 else ("?", "?")
        reason = " ".join(str(error).split())
        record.levelno, record.levelname = logging.INFO, logging.getLevelName(logging.INFO)
        record.msg, record.args = "%s %s answered %d: %s", (method, path, status, reason)
        record.exc_info, record.exc_text = None, None
        return True


def log_client_errors_at_info() -> None:
    logging.getLogger(BENTOML_HTTP_LOGGER).addFilter(ClientErrorsAtInfo())
