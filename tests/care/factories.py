"""Tags with visit rules, and people under them."""

import importlib

from care.models import VisitRule
from grids.models import Tag
from tests.factories import make_household, make_resident


def rule_tag(name, days, *, station_only=False, kind=Tag.Kind.CARE):
    """The tag `name` (made if missing) with a rule of `days` (None: as the station
    decides)."""
    tag, _created = Tag.objects.get_or_create(name=name, defaults={"kind": kind})
    VisitRule.objects.update_or_create(
        tag=tag,
        defaults={
            "interval_days": days,
            "visibility": VisitRule.Visibility.STATION
            if station_only
            else VisitRule.Visibility.GRID,
        },
    )
    return tag


def tagged_person(grid, *tags, **fields):
    """A new resident of a new household in `grid`, tagged today with `tags`."""
    resident = make_resident(make_household(grid), **fields)
    resident.tags.add(*tags)
    return resident


def usual_tag(name):
    """One of the usual tags with its visit rule, which a data migration adds: made again when
    an earlier transactional test (a browser test) has emptied the tables."""
    from django.apps import apps

    migration = importlib.import_module("care.migrations.0002_usual_tags_and_rules")
    migration.add_usual_tags(apps, None)
    return Tag.objects.get(name=name)
