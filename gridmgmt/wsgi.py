import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridmgmt.settings")

application = get_wsgi_application()

# The URL patterns (and through them every view module) are loaded now rather than on the
# first request; then the garbage collector is told to leave every object made so far alone
# for good. They live as long as the worker, yet each full collection walked all ~140,000
# of them: 100-140 ms of CPU added to whichever request was running, about one in ten of a
# page that makes many objects (a monthly meeting's page: p50 52 ms, p95 157 ms). A full
# collection now walks the objects made since: 20-40 ms.
get_resolver().url_patterns  # noqa: B018 (loads them)
gc.freeze()
