"""The patrol page reads its instructions and observations only when the patrol's row says
there are some."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from patrols.models import Instruction, Observation, Patrol, Slot
from tests.patrols.factories import make_patrol


def test_a_patrol_just_started_reads_no_instructions_nor_observations(client, world):
    patrol = make_patrol(
        world.a.grid,
        timezone.localdate(),
        Slot.MORNING,
        member=world.a.grid_member,
        status=Patrol.Status.IN_PROGRESS,
        started_at=timezone.now() - datetime.timedelta(minutes=10),
    )
    client.force_login(world.a.grid_member)
    url = patrol.get_absolute_url()
    client.get(url)
    with CaptureQueriesContext(connection) as bare:
        page = client.get(url).content.decode()
    assert "核实门牌" not in page and "楼道堆物" not in page
    Instruction.objects.create(
        grid=world.a.grid,
        text="核实门牌",
        due_on=timezone.localdate(),
        issued_by=world.a.stationmaster,
    )
    Observation.objects.create(patrol=patrol, category="sanitation", text="楼道堆物")
    with CaptureQueriesContext(connection) as full:
        page = client.get(url).content.decode()
    # Two statements fewer without them (12 -> 10 on the bench's patrol just started).
    assert len(full.captured_queries) == len(bare.captured_queries) + 2
    assert "核实门牌" in page and "楼道堆物" in page
