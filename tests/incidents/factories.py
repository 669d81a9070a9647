"""Plain factory functions for incident tests."""

import datetime
import itertools

from django.utils import timezone

from incidents import services
from incidents.models import Category, Incident, TimeLimit

_seq = itertools.count(1)


def local(day, hour, minute=0):
    """An aware moment at a local (Asia/Shanghai) wall-clock time."""
    return datetime.datetime.combine(
        day, datetime.time(hour, minute), tzinfo=timezone.get_current_timezone()
    )


def make_category(code=None, *, hours=None, **fields):
    """A category; `hours` ({urgency: working hours}) adds rows to the time-limit table."""
    code = code or f"cat{next(_seq)}"
    fields.setdefault("name", code.title())
    category = Category.objects.create(code=code, **fields)
    for urgency, limit in (hours or {}).items():
        TimeLimit.objects.create(category=category, urgency=urgency, hours=limit)
    return category


def make_incident(grid, by, **overrides) -> Incident:
    """An incident filed through services.open_incident (by default a sanitation matter,
    normal urgency: 24 working hours)."""
    if "category" not in overrides:
        # The migration's category; created again after a transactional test's flush.
        overrides["category"], _ = Category.objects.get_or_create(
            code="sanitation", defaults={"name": "环境卫生"}
        )
    overrides.setdefault("title", f"楼道堆放杂物 {next(_seq)}")
    overrides.setdefault("source", Incident.Source.PATROL)
    return services.open_incident(grid=grid, by=by, **overrides)
