"""Demo grid reports for `seed_demo`: every grid's report for the last two months. The month
before last is submitted everywhere; last month most grids have submitted, a few are still
drafts (some half written). Figures are computed once per month for all grids, and the rows
written in bulk; every choice comes from the seed's `rng`."""

import datetime

from django.utils import timezone

from grids.models import Area, Post, Role

from .gridreports import month_end, previous_month
from .models import GridReport

BATCH = 2000
SUBMITTED_SHARE = 0.85

TEXTS = {
    "public_security": [
        "本月网格内治安总体平稳，未发生刑事案件。",
        "发现一起电动车被盗，已协助派出所调取监控。",
        "夜间巡逻加强后，楼道陌生人员滞留情况明显减少。",
        "调解邻里纠纷两起，均已化解，双方签字确认。",
    ],
    "surroundings": [
        "周边道路施工，围挡占用人行道，已向街道反映。",
        "网格外沿街商铺经营秩序良好，无占道经营。",
        "周边农贸市场早高峰人流较大，需关注交通安全。",
        "邻近工地夜间施工噪音扰民，居民多次反映。",
    ],
    "sanitation": [
        "垃圾分类投放点运行正常，督导员按时到岗。",
        "楼道堆放杂物已清理，个别单元仍需跟进。",
        "雨后绿化带积水，已联系物业疏通排水口。",
        "化粪池渗漏问题已报修，维修期间设置警示标志。",
    ],
    "floating_survey": [
        "新登记流动人口若干人，出租房屋信息已核实。",
        "走访出租户，督促房东落实租户登记。",
        "租户搬离情况已更新，登记信息与实际一致。",
        "发现未登记租户一户，已当场补录。",
    ],
    "patrol_prevention": [
        "每日上午、下午两次巡查均按时完成。",
        "个别时段巡查时长不足，已提醒网格员注意。",
        "重点关注独居老人和消防通道，未发现安全隐患。",
        "结合巡查发现问题，及时上报并跟踪处置。",
    ],
    "hot_issues": [
        "居民希望增设电动车充电桩。",
        "老旧小区加装电梯意见征集，居民意见不一。",
        "居民反映小区停车位紧张，夜间乱停车现象较多。",
        "居民希望增设晾衣架和休闲座椅。",
    ],
}


def build_grid_reports(rng, levels, log):
    from reports.figures import figures_by_grid

    today = timezone.localdate()
    grids = levels[Area.Kind.GRID]
    grid_ids = [grid.pk for grid in grids]
    leaders = {
        post.area_id: post.holder_a_id
        for post in Post.objects.filter(role=Role.GRID_LEADER, area_id__in=grid_ids).only(
            "area_id", "holder_a_id"
        )
    }
    last = previous_month(today)
    before = previous_month(last)
    now = timezone.now()
    reports = []
    counts = {"submitted": 0, "draft": 0}
    for month, share in ((before, 1.0), (last, SUBMITTED_SHARE)):
        end = month_end(month)
        by_grid = figures_by_grid(Area.objects.filter(pk__in=grid_ids), month, end)
        figures_at = min(now, _local(end + datetime.timedelta(days=1), 1))
        for grid in grids:
            is_submitted = rng.random() < share
            report = GridReport(
                grid=grid,
                month=month,
                figures=by_grid[grid.pk].as_dict(),
                figures_at=figures_at,
                **_texts(rng, full=is_submitted),
            )
            if is_submitted:
                report.status = GridReport.Status.SUBMITTED
                report.submitted_by_id = leaders.get(grid.pk)
                day = end + datetime.timedelta(days=rng.randint(1, 4))
                report.submitted_at = max(
                    figures_at, min(now, _local(day, rng.randint(9, 17), rng.randint(0, 59)))
                )
            counts[report.status] += 1
            reports.append(report)
    GridReport.objects.bulk_create(reports, batch_size=BATCH)
    log(
        "grid reports: {submitted} submitted, drafts: {draft} "
        "({before:%Y-%m} and {last:%Y-%m})".format(before=before, last=last, **counts)
    )


def _texts(rng, *, full):
    """Text under each heading; a draft has some headings written, some not yet."""
    return {
        name: "".join(rng.sample(options, rng.randint(1, 2)))
        for name, options in TEXTS.items()
        if full or rng.random() < 0.4
    }


def _local(day, hour, minute=0):
    return datetime.datetime.combine(
        day, datetime.time(hour, minute), tzinfo=timezone.get_current_timezone()
    )
