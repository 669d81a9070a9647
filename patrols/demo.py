"""Demo patrols for `seed_demo`: history from the first day of the month before last (so the
last two months' reports have their patrols) for every grid (mostly done, some short,
a few missing, some returned), today's patrols so far, key points and open instructions.

Written in bulk, one community at a time; every choice comes from the seed's `rng`.
"""

import datetime
import uuid

from django.utils import timezone

from grids import demo_bulk
from grids.models import Area, Household, Post, Role

from . import windows
from .models import Instruction, KeyPoint, MissedPatrol, Observation, Patrol, Slot

BATCH = 2000

KEY_POINTS = [
    "留意独居老人家中是否有异常",
    "检查楼道消防通道是否畅通",
    "关注新入住的租户并核实登记",
    "雨季注意化粪池和下水道是否渗漏",
    "留意电动车楼道充电",
]
OBSERVATIONS = {
    Observation.Category.SANITATION: ["垃圾桶已满未清运", "楼道堆放杂物", "绿化带有积水"],
    Observation.Category.SECURITY: ["单元门禁损坏", "发现可疑人员徘徊", "路灯不亮"],
    Observation.Category.FACILITY: ["楼道扶手松动", "井盖破损", "健身器材损坏"],
    Observation.Category.DISPUTE: ["邻里因噪音发生争执", "停车位纠纷"],
    Observation.Category.POPULATION: ["新搬入租户未登记", "租户已搬离"],
    Observation.Category.DEMAND: ["居民反映化粪池渗漏", "居民希望增设晾衣架"],
    Observation.Category.OTHER: ["流浪猫较多"],
}
INSTRUCTIONS = ["核实该户实际居住人数", "核实租户信息并登记", "核实是否仍为空置房", "走访独居老人"]
SUMMARIES = ["巡查正常，未发现异常。", "已处理发现的问题，需跟进一项。", "与居民沟通，情况已记录。"]


def history_days(today):
    """Days of patrol history before today: back to the first of the month before last."""
    first = today.replace(day=1)
    for _ in range(2):
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    return (today - first).days


def build_patrols(rng, levels, log, days=None):
    """Patrols of every grid from `days` days ago (by default `history_days`) to now, their
    observations and missed windows, streamed to their tables (grids.demo_bulk)."""
    now = timezone.now()
    today = timezone.localdate()
    if days is None:
        days = history_days(today)
    members = _members(levels[Area.Kind.GRID])
    stationmasters = {
        post.area_id: post.holder_a_id
        for post in Post.objects.filter(role=Role.STATIONMASTER).only("area_id", "holder_a_id")
    }
    grids_by_community = {}
    for grid in levels[Area.Kind.GRID]:
        grids_by_community.setdefault(grid.parent_id, []).append(grid)

    totals = {"patrols": 0, "observations": 0, "missed": 0, "instructions": 0}
    with (
        demo_bulk.loading(Patrol, MissedPatrol, Observation),
        demo_bulk.writers(Patrol, MissedPatrol, Observation) as (patrol_out, missed_out, seen_out),
    ):
        for community in levels[Area.Kind.COMMUNITY]:
            schedule = windows.schedule_for(community)
            KeyPoint.objects.bulk_create(
                KeyPoint(community=community, text=text) for text in rng.sample(KEY_POINTS, 3)
            )
            patrols = []
            for grid in grids_by_community.get(community.pk, []):
                member = members.get(grid.pk)
                if member is None:
                    continue
                for back in range(days, -1, -1):
                    day = today - datetime.timedelta(days=back)
                    for slot in Slot.values:
                        patrol = _patrol(rng, schedule, grid, member, day, slot, now)
                        if patrol is None:
                            if windows.is_closed(schedule, day, slot, now):
                                missed_out.add(MissedPatrol(grid=grid, day=day, slot=slot))
                                totals["missed"] += 1
                            continue
                        if patrol.status in (Patrol.Status.APPROVED, Patrol.Status.RETURNED):
                            patrol.reviewed_by_id = stationmasters.get(community.pk)
                        patrols.append(patrol_out.add(patrol))
            for patrol in patrols:
                for _ in range(rng.choices([0, 1, 2, 3], weights=[3, 4, 2, 1])[0]):
                    seen_out.add(_observation(rng, patrol))
                    totals["observations"] += 1
            instructions = _instructions(
                rng,
                community,
                grids_by_community.get(community.pk, []),
                stationmasters.get(community.pk),
                today,
            )
            totals["patrols"] += len(patrols)
            totals["instructions"] += len(instructions)
    log(
        "patrols: {patrols} ({observations} observations), missed windows: {missed}, "
        "open instructions: {instructions}".format(**totals)
    )


def _members(grids):
    """The A holder of each grid's first grid-member post."""
    members = {}
    posts = Post.objects.filter(role=Role.GRID_MEMBER, area__in=grids).order_by("pk")
    for post in posts.only("area_id", "holder_a_id"):
        members.setdefault(post.area_id, post.holder_a_id)
    return members


def _patrol(rng, schedule, grid, member_id, day, slot, now):
    """One window's patrol, or None when the window was (or so far is) not patrolled."""
    start, end = windows.bounds(schedule, day, slot)
    if start >= now:
        return None
    roll = rng.random()
    closed = windows.is_closed(schedule, day, slot, now)
    if closed and roll < 0.04:
        return None  # missed
    started_at = start + datetime.timedelta(minutes=rng.randint(0, 90))
    if started_at >= now:
        return None
    minutes = rng.randint(25, 50) if roll < 0.10 else rng.randint(60, 120)
    ended_at = started_at + datetime.timedelta(minutes=minutes)
    patrol = Patrol(
        grid=grid,
        member_id=member_id,
        day=day,
        slot=slot,
        started_at=started_at,
        acknowledged_at=started_at + datetime.timedelta(minutes=2),
    )
    if ended_at > now:
        return patrol  # in progress right now
    patrol.ended_at = ended_at
    patrol.duration_minutes = minutes
    patrol.is_short = minutes < schedule.minimum_minutes
    patrol.summary = rng.choice(SUMMARIES)
    if day < timezone.localdate(now) and roll > 0.12:
        if roll > 0.97:
            patrol.status = Patrol.Status.RETURNED
            patrol.review_comment = "请补充发现问题的具体位置。"
        else:
            patrol.status = Patrol.Status.APPROVED
        patrol.reviewed_at = ended_at + datetime.timedelta(hours=rng.randint(2, 20))
    else:
        patrol.status = Patrol.Status.SUBMITTED
    return patrol


def _observation(rng, patrol):
    category = rng.choice(list(OBSERVATIONS))
    observed_at = patrol.started_at + datetime.timedelta(minutes=rng.randint(5, 55))
    return Observation(
        patrol=patrol,
        client_id=uuid.UUID(int=rng.getrandbits(128), version=4),
        category=category,
        place=rng.choice(["东门", "北区", "小区广场", "2号楼前", "菜市场旁"]),
        text=rng.choice(OBSERVATIONS[category]),
        is_follow_up=rng.random() < 0.3,
        observed_at=observed_at,
    )


def _instructions(rng, community, grids, issued_by, today):
    """Three open instructions per community, each about a household; some overdue."""
    if not issued_by or not grids:
        return []
    instructions = []
    for grid in rng.sample(grids, min(3, len(grids))):
        household = Household.objects.filter(grid=grid).order_by("pk").first()
        instructions.append(
            Instruction(
                grid=grid,
                household=household,
                text=rng.choice(INSTRUCTIONS),
                issued_by_id=issued_by,
                due_on=today + datetime.timedelta(days=rng.randint(-2, 5)),
            )
        )
    Instruction.objects.bulk_create(instructions)
    return instructions
