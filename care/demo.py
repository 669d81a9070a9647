"""Demo visits for `seed_demo`: every resident holding a tag with a visit rule gets a tag
date within the last four months; about seven in ten were visited since by their grid's
member, so the rest are overdue. Every choice comes from the seed's `rng`."""

import datetime

from django.utils import timezone

from grids.models import Post, Resident, Role

from . import services
from .models import CarePlan, CareStart, Visit

BATCH = 2000
NOTES = ["身体状况良好", "家中整洁，生活自理", "反映腿脚不便，需要帮助", "情绪稳定", ""]


def build_care(rng, levels, log):
    today = timezone.localdate()
    tagged = list(
        Resident.tags.through.objects.filter(tag__visit_rule__isnull=False)
        .order_by("resident_id", "tag_id")
        .values_list("resident_id", "tag_id")
    )
    CareStart.objects.bulk_create(
        [
            CareStart(
                resident_id=r,
                tag_id=t,
                started_on=today - datetime.timedelta(days=rng.randint(1, 120)),
            )
            for r, t in tagged
        ],
        batch_size=BATCH,
        ignore_conflicts=True,
    )
    services.sync_all(on=today)
    members = {
        post.area_id: post.holder_a_id
        for post in Post.objects.filter(role=Role.GRID_MEMBER, holder_a__isnull=False).order_by(
            "pk"
        )
    }
    visits = []
    plans = (
        CarePlan.objects.filter(interval_days__isnull=False)
        .order_by("resident_id")
        .values_list(
            "resident_id",
            "resident__household__grid_id",
            "interval_days",
            "started_on",
            "is_station_only",
        )
    )
    for resident_id, grid_id, days, started_on, station_only in plans.iterator(chunk_size=BATCH):
        member = members.get(grid_id)
        if member is None or rng.random() > 0.7 or (today - started_on).days < 1:
            continue
        back = rng.randint(0, min(days, (today - started_on).days))
        visits.append(
            Visit(
                resident_id=resident_id,
                grid_id=grid_id,
                is_station_only=station_only,
                visited_on=today - datetime.timedelta(days=back),
                visited_by_id=member,
                outcome=rng.choice([Visit.Outcome.WELL, Visit.Outcome.WELL, Visit.Outcome.NEEDS]),
                note=rng.choice(NOTES),
            )
        )
    Visit.objects.bulk_create(visits, batch_size=BATCH)
    people = services.sync_all(on=today)
    log(f"people under care: {people}, visits: {len(visits)}")
