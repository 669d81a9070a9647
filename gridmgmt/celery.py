"""The Celery app. The broker comes from settings (`REDIS_URL`, or the filesystem
transport under `var/`), never from `CELERY_*` environment variables."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridmgmt.settings")

app = Celery("gridmgmt")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
