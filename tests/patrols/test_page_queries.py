"""The patrol page reads its instructions and observations only when the patrol's row says
there are some."""

import datetime
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from grids.models import Area
from patrols.models import Instruction, KeyPoint, Observation, Patrol, Slot
from tests.factories import make_area
from tests.patrols.factories import make_patrol


def in_progress(world):
    """The grid member's morning patrol of today, started ten minutes ago."""
    return make_patrol(
        world.a.grid,
        timezone.localdate(),
        Slot.MORNING,
        member=world.a.grid_member,
        status=Patrol.Status.IN_PROGRESS,
        started_at=timezone.now() - datetime.timedelta(minutes=10),
    )


def test_a_patrol_just_started_reads_no_instructions_nor_observations(client, world):
    patrol = in_progress(world)
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


def test_the_key_points_and_buildings_are_read_with_the_patrol(client, world):
    """The community's key points (newest first) and the grid's buildings (by code, the
    observation form's choices) are shown whatever their number, read on the patrol's row:
    more of them cost no statement."""
    patrol = in_progress(world)
    client.force_login(world.a.grid_member)
    url = patrol.get_absolute_url()
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    community = world.a.grid.parent
    for i, text in enumerate(["看消防通道", "查 <电瓶车> & 充电"]):
        point = KeyPoint.objects.create(community=community, text=text)
        KeyPoint.objects.filter(pk=point.pk).update(
            created_at=timezone.now() + datetime.timedelta(minutes=i)
        )
    KeyPoint.objects.create(community=community, text="已停用", is_active=False)
    for code, name in [("Z9", "9号楼"), ("A1", "1号楼 <东>")]:
        make_area(Area.Kind.BUILDING, world.a.grid, code=f"{world.a.grid.code}-{code}", name=name)
    with CaptureQueriesContext(connection) as after:
        page = client.get(url).content.decode()
    assert len(after.captured_queries) == len(before.captured_queries)
    assert "<li>查 &lt;电瓶车&gt; &amp; 充电</li><li>看消防通道</li>" in page
    assert "已停用" not in page
    options = re.findall(r'<option value="\d*">([^<]*)</option>', page)
    assert options.index("1号楼 &lt;东&gt;") < options.index("9号楼")
