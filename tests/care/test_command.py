"""Residents tagged without the register's services (a bulk load) come under their rules
with `manage.py sync_care`."""

import io

from django.core.management import call_command

from care.models import CarePlan
from grids.models import Resident, Tag
from tests.factories import make_household, make_resident


def test_sync_care_puts_bulk_tagged_residents_under_their_rules(world):
    resident = make_resident(make_household(world.a.grid))
    tag = Tag.objects.get(name="低保户")
    Resident.tags.through.objects.bulk_create(
        [Resident.tags.through(resident_id=resident.pk, tag_id=tag.pk)]
    )
    assert not CarePlan.objects.filter(resident=resident).exists()
    out = io.StringIO()
    call_command("sync_care", stdout=out)
    assert "people checked: 1" in out.getvalue()
    assert CarePlan.objects.get(resident=resident).interval_days == 30
    call_command("sync_care", stdout=io.StringIO())  # again: nothing changes
    assert CarePlan.objects.filter(resident=resident).count() == 1
