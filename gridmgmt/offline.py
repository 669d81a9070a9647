"""The service worker that lets the patrol page open without a connection
(`templates/offline/sw.js`), served from the site root so its scope covers every page."""

import functools
import hashlib
import json

from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

# What the worker stores when it is installed: what a patrol page needs to work offline.
ASSETS = [
    "vendor/bootstrap/bootstrap.min.css",
    "vendor/bootstrap/bootstrap.bundle.min.js",
    "vendor/htmx/htmx.min.js",
    "css/app.css",
    "js/offline.js",
    "js/photo-shrink.js",
    "js/patrol-outbox.js",
    "js/search-picker.js",
    "manifest.json",
    "icons/icon-192.png",
    "icons/icon-512.png",
]


@functools.cache
def _version():
    """A digest of the assets' contents and the worker itself: any change makes a new
    worker, which replaces the old caches. Reads the files once per process."""
    digest = hashlib.sha256(render_to_string("offline/sw.js").encode())
    for name in ASSETS:
        with open(finders.find(name), "rb") as f:
            digest.update(f.read())
    return digest.hexdigest()[:16]


@require_GET
@never_cache
def service_worker(request):
    body = render_to_string(
        "offline/sw.js",
        {
            "version": _version(),
            "assets": json.dumps([static(name) for name in ASSETS]),
            "static_url": static(""),
        },
    )
    return HttpResponse(body, content_type="text/javascript; charset=utf-8")
