"""Logging filters used by `LOGGING` in settings."""

import logging

from django.core.exceptions import PermissionDenied


class RefusalOnOneLine(logging.Filter):
    """A refused request (PermissionDenied, a 403) is an ordinary event, not an error: its
    record on `django.request` keeps its one line ("Forbidden (Permission denied): /path")
    and loses the traceback. Every other record, a server error's traceback included, passes
    unchanged."""

    def filter(self, record):
        if record.exc_info and isinstance(record.exc_info[1], PermissionDenied):
            reason = str(record.exc_info[1]).replace("%", "%%")
            if reason:
                record.msg = f"{record.msg} ({reason})"
            record.exc_info = None
            record.exc_text = None
        return True
