"""A refused request is logged as one INFO line; a fault of the service keeps its ERROR and traceback."""

from __future__ import annotations

import logging
import sys

from bentoml.exceptions import InvalidArgument
from pydantic import BaseModel

from serving.client_errors import ClientErrorsAtInfo


class Body(BaseModel):
    text: str


def record_of(error: BaseException) -> logging.LogRecord:
    """The record BentoML writes when an API call raises `error`."""
    try:
        raise error
    except BaseException:
        exc_info = sys.exc_info()
    return logging.LogRecord(
        "http", logging.ERROR, __file__, 1, "Exception on %s [%s]", ("/classify", "POST"), exc_info
    )


def validation_error() -> BaseException:
    try:
        Body.model_validate({"text": 5})
    except Exception as error:
        return error
    raise AssertionError("no validation error")


def test_a_refused_request_is_one_info_line():
    for error, status in ((validation_error(), 400), (InvalidArgument("bad\nvalue"), 400)):
        record = record_of(error)
        assert ClientErrorsAtInfo().filter(record)
        assert record.levelno == logging.INFO
        assert record.exc_info is None
        line = logging.Formatter().format(record)
        assert line.startswith(f"POST /classify answered {status}: ")
        assert "\n" not in line


def test_a_fault_of_the_service_keeps_its_error_and_traceback():
    record = record_of(RuntimeError("boom"))
    assert ClientErrorsAtInfo().filter(record)
    assert record.levelno == logging.ERROR
    assert "Traceback" in logging.Formatter().format(record)
