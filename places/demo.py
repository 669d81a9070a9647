"""Demo places for `seed_demo`: three to five places in every grid, most checked within the
last two months (so some are overdue), a few never checked. Every choice comes from the seed's
`rng`."""

import datetime

from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from grids.models import Area, Post, Role

from .models import Place, PlaceCheck

BATCH = 2000
KINDS = [
    (Place.Kind.SHOP, ["便民超市", "五金店", "早餐店", "理发店", "药店", "水果店"], 30),
    (Place.Kind.FIRM, ["物流公司", "广告公司", "维修部"], 60),
    (Place.Kind.SCHOOL, ["幼儿园", "培训学校"], 30),
    (Place.Kind.CLINIC, ["社区诊所", "口腔门诊"], 60),
    (Place.Kind.CONSTRUCTION, ["装修工地", "管网改造工地"], 14),
    (Place.Kind.OTHER, ["老年活动中心", "物业服务中心"], 90),
]
SURNAMES = "王李张刘陈杨赵黄周吴"
PROBLEMS = ["灭火器过期", "安全出口堆放杂物", "电线私拉乱接", "消防通道堵塞"]


def build_places(rng, levels, log):
    today = timezone.localdate()
    grids = levels[Area.Kind.GRID]
    members = {}
    for post in (
        Post.objects.filter(role=Role.GRID_MEMBER, area__in=grids)
        .order_by("pk")
        .only("area_id", "holder_a_id")
    ):
        members.setdefault(post.area_id, post.holder_a_id)
    places = []
    for grid in grids:
        for n in range(rng.randint(3, 5)):
            kind, names, cycle = rng.choice(KINDS)
            places.append(
                Place(
                    grid_id=grid.pk,
                    name=f"{rng.choice(names)}（{grid.name}{n + 1}）",
                    kind=kind,
                    address=f"{grid.name}沿街{rng.randint(1, 99)}号",
                    contact_name=rng.choice(SURNAMES)
                    + rng.choice(["经理", "老板", "主任", "园长"]),
                    contact_phone=f"139{rng.randint(0, 99999999):08d}",
                    check_cycle_days=cycle,
                    next_check_on=today,
                )
            )
    checks = []
    for place in places:
        checker = members.get(place.grid_id)
        if checker is None or rng.random() < 0.1:
            continue  # never checked: due since it was added
        last = today - datetime.timedelta(days=rng.randint(0, 2 * place.check_cycle_days))
        place.last_checked_on = last
        place.next_check_on = last + datetime.timedelta(days=place.check_cycle_days)
        has_problems = rng.random() < 0.2
        checks.append(
            (
                place,
                PlaceCheck(
                    checked_on=last,
                    outcome=PlaceCheck.Outcome.PROBLEMS
                    if has_problems
                    else PlaceCheck.Outcome.PASSED,
                    problems=rng.choice(PROBLEMS) if has_problems else "",
                    checked_by_id=checker,
                ),
            )
        )
    bulk_create_with_history(places, Place, batch_size=BATCH)
    for place, check in checks:
        check.place_id = place.pk
    PlaceCheck.objects.bulk_create([check for _place, check in checks], batch_size=BATCH)
    overdue = sum(1 for p in places if p.next_check_on < today)
    log(f"places: {len(places)} ({overdue} overdue), {len(checks)} checks")
