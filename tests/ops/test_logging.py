"""What the processes print: a refused request is one line, once; a server error keeps its
traceback."""

import io
import logging
import sys

import pytest
from django.core.exceptions import PermissionDenied

from gridmgmt.log import RefusalOnOneLine
from tests.factories import make_user


@pytest.fixture
def console():
    """What the console handlers print (the root's and any a `django` logger has), as one
    text; pytest's own capturing handlers are left alone."""
    printed = io.StringIO()
    handlers = {
        handler
        for name in ("django.request", "django", "")
        for handler in logging.getLogger(name).handlers
        if type(handler) is logging.StreamHandler
    }
    assert handlers, "no console handler to watch"
    previous = {handler: handler.setStream(printed) for handler in handlers}
    yield printed
    for handler, stream in previous.items():
        handler.setStream(stream)


@pytest.mark.django_db
def test_a_refused_request_is_one_line_printed_once(client, settings, console):
    settings.DEBUG = True  # as under `make run`, where Django's console handler is on
    client.force_login(make_user("nobody"))  # no post: may not upload a register file
    assert client.get("/register/import/").status_code == 403
    lines = console.getvalue().splitlines()
    assert lines == ["Forbidden (Permission denied): /register/import/"]


def _record(exc):
    try:
        raise exc
    except Exception:
        exc_info = sys.exc_info()
    return logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Refused: %s", ("/x/",), exc_info
    )


def test_a_refusal_loses_its_traceback_and_keeps_its_reason():
    record = _record(PermissionDenied("not 100% yours"))
    assert RefusalOnOneLine().filter(record)
    assert record.exc_info is None
    assert logging.Formatter().format(record) == "Refused: /x/ (not 100% yours)"


def test_a_server_error_keeps_its_traceback():
    record = _record(ValueError("broken"))
    assert RefusalOnOneLine().filter(record)
    text = logging.Formatter().format(record)
    assert text.startswith("Refused: /x/\nTraceback (most recent call last):")
    assert "ValueError: broken" in text
