"""Health probes and the page shown when the database is down.

`/healthz` and `/readyz` are answered by `ProbeMiddleware` before any middleware that reads
the session, the user or the Host header; the URLs also name them for `reverse()`.
"""

import sys
import time

from django.core.cache import cache
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils import translation
from django.views import defaults

from .celery import app

RETRY_AFTER_SECONDS = 30


def healthz(request):
    """Liveness: the process answers. Touches no database, cache or broker, so a load
    balancer never takes every web process out because a shared service is down."""
    return JsonResponse({"status": "ok"})


def readyz(request):
    """Readiness: the database, the cache and the broker each answer, with the time each
    took in milliseconds; 503 if any does not. Runs one query."""
    checks = {
        "database": _timed(_check_database),
        "cache": _timed(_check_cache),
        "broker": _timed(_check_broker),
    }
    ready = all(check["status"] == "ok" for check in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks},
        status=200 if ready else 503,
    )


def _timed(check):
    started = time.perf_counter()
    try:
        check()
        result = {"status": "ok"}
    except Exception as exc:  # any failure means "not ready"; the class name says which
        result = {"status": "error", "error": type(exc).__name__}
    result["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def _check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_cache():
    cache.set("readyz", "ok", 5)
    if cache.get("readyz") != "ok":
        raise RuntimeError("the cache did not keep a value")


def _check_broker():
    with app.connection_for_read() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=3)


def server_error(request):
    """handler500. A request that failed because the database is unreachable (from a view,
    a template or any middleware: Django turns each into a call here) gets a 503 page in the
    visitor's language; anything else is the usual 500 page."""
    if isinstance(sys.exc_info()[1], (OperationalError, InterfaceError)):
        return service_unavailable(request)
    return defaults.server_error(request)


def service_unavailable(request):
    """The 503 page. Reads nothing from the database: the language comes from the language
    cookie or the browser's Accept-Language, since the user's own choice cannot be read."""
    language = translation.get_language_from_request(request)
    with translation.override(language):
        body = loader.render_to_string(
            "503.html", {"LANGUAGE_CODE": translation.get_language(), "path": request.path}
        )
    response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
