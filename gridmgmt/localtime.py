"""Local dates to aware moments, in the site's time zone (settings.TIME_ZONE)."""

import datetime

from django.utils import timezone


def local_midnight(day):
    """The aware moment the local date `day` starts."""
    return datetime.datetime.combine(day, datetime.time(), tzinfo=timezone.get_default_timezone())
