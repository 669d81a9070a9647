"""Today so far (reports.rollup.count_today, AreaToday): a report of an area's children whose
period ends today reads today's counts per child instead of counting today live, and they
equal the live count made at the same moment, every figure of every child, the headline and
the trend, the register included; counts that are stale, of another day or of other grids
than the report's are not read, and the report counts live as before; the page says when
today was counted."""

import datetime
import io
import threading

import pytest
import time_machine
from celery.signals import task_postrun
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from grids.models import Area
from reports import tasks
from reports.figures import REGISTER, report_figures
from reports.models import AreaToday
from reports.rollup import TODAY_FRESH, count_today, fill_missing
from tests.incidents.factories import local, make_category
from tests.reports.test_figures import incident, march, seeded  # noqa: F401 (fixture)
from tests.reports.test_register_day import (  # noqa: F401 (fixture)
    MONTH,
    TODAY,
    changed,
    live,
    register_of,
    summed,
)


def grids_of(area):
    return Area.objects.grids().under(area)


def report(area, start, end, now, grids=None, step="week"):
    grids = grids_of(area) if grids is None else grids
    with CaptureQueriesContext(connection) as queries:
        children, headline, trend = report_figures(area, start, end, grids, step, now=now)
    shown = (
        [(child.pk, figures.as_dict()) for child, figures in children],
        headline.as_dict(),
        [(first, figures.as_dict()) for first, figures in trend],
    )
    return shown, headline.today_as_of, queries.captured_queries


def counted_live(area, start, end, now, grids=None):
    """The report with today counted live: today's rows set aside, then put back."""
    kept = list(AreaToday.objects.all())
    AreaToday.objects.all().delete()
    try:
        return report(area, start, end, now, grids)
    finally:
        AreaToday.objects.bulk_create(kept)


@pytest.mark.parametrize("hour", [10, 23])
def test_todays_counts_equal_the_live_count(seeded, hour):  # noqa: F811
    world = seeded
    for day in (march(3), march(10), march(15), march(31)):
        now = local(day, hour)
        with time_machine.travel(now, tick=False):
            fill_missing(today=day)
            assert count_today() == 4  # the district, the street, two communities
            for area in (world.district, world.street):
                for start in (march(1), day):
                    shown, as_of, queries = report(area, start, day, now)
                    expected, live_as_of, live_queries = counted_live(area, start, day, now)
                    assert shown == expected, (area, start, day)
                    assert as_of == now and live_as_of is None
                    assert len(queries) < len(live_queries)
    # The days had something to count.
    with time_machine.travel(local(march(3), 23), tick=False):
        count_today()
    row = AreaToday.objects.get(area=world.street)
    # Filed: the other grid's incident; closed: January's; due: the one filed on the 1st;
    # the four grids' eight windows, one done (two logs, one short).
    assert (row.day, row.opened, row.closed, row.due, row.done, row.windows) == (
        march(3),
        1,
        1,
        1,
        1,
        8,
    )
    assert sum(row.categories.values()) == 1 and len(row.close_hours) == 1


def test_todays_register_from_the_counts_equals_the_rows(changed):  # noqa: F811
    world = changed
    now = local(TODAY, 11)
    with time_machine.travel(now, tick=False):
        count_today()
        expected = live(world)
        for area in (world.district, world.street):
            with CaptureQueriesContext(connection) as queries:
                children, headline, _trend = report_figures(area, MONTH, TODAY, grids_of(area))
            assert headline.today_as_of == now
            # Neither the live register nor today's changes are counted.
            assert not any("grids_membership" in q["sql"] for q in queries)
            for child, figures in children:
                ids = grids_of(child).values_list("pk", flat=True)
                assert register_of(figures) == summed(expected, ids), child
                assert figures.population_as_of is not None
            under = grids_of(area).values_list("pk", flat=True)
            assert register_of(headline) == summed(expected, under)


def test_the_register_is_counted_live_when_yesterday_is_not_rolled_up(changed):  # noqa: F811
    world = changed
    now = local(TODAY, 11)
    with time_machine.travel(now, tick=False):
        from reports.rollup import forget

        forget([world.a.grid.pk], TODAY - datetime.timedelta(days=1))
        count_today()
        expected = live(world)
        row = AreaToday.objects.get(area=world.district)
        assert {name: getattr(row, name) for name in REGISTER} == summed(
            expected, grids_of(world.district).values_list("pk", flat=True)
        )


def test_stale_counts_and_another_days_are_not_read(seeded):  # noqa: F811
    world = seeded
    day = march(10)
    category = make_category("late", name="迟报")
    with time_machine.travel(local(day, 9), tick=False):
        count_today()
    # Filed after the count: not in the counts read while they are fresh.
    incident(world.a.grid, category, local(day, 9, 5), local(day + datetime.timedelta(days=2), 9))
    fresh = local(day, 9) + TODAY_FRESH
    with time_machine.travel(fresh, tick=False):
        (_children, headline, _trend), as_of, _q = report(world.street, day, day, fresh)
        assert as_of == local(day, 9)
        before = headline["opened"]
    later = fresh + datetime.timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        (_children, headline, _trend), as_of, _q = report(world.street, day, day, later)
        assert as_of is None
        assert headline["opened"] == before + 1
    # Yesterday's counts, the morning after: not today's.
    next_day = local(day + datetime.timedelta(days=1), 0, 5)
    with time_machine.travel(next_day, tick=False):
        end = day + datetime.timedelta(days=1)
        _shown, as_of, _q = report(world.street, march(1), end, next_day)
        assert as_of is None


def test_a_scope_holding_part_of_a_child_counts_live(seeded):  # noqa: F811
    world = seeded
    day = march(3)
    now = local(day, 23)
    only = Area.objects.filter(pk=world.a.grid.pk).grids()
    with time_machine.travel(now, tick=False):
        count_today()
        shown, as_of, _q = report(world.street, march(1), day, now, grids=only)
        assert as_of is None
        expected, _as_of, _q = counted_live(world.street, march(1), day, now, grids=only)
        assert shown == expected


def test_the_task_counts_today(seeded):  # noqa: F811
    with time_machine.travel(local(march(3), 23), tick=False):
        assert tasks.count_today.apply().get() == 4
        assert tasks.count_today.apply().get() == 4  # the same rows again
    assert AreaToday.objects.count() == 4
    assert set(AreaToday.objects.values_list("day", flat=True)) == {march(3)}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_report_says_when_today_was_counted(seeded, client, language):  # noqa: F811
    world = seeded
    world.district_officer.language = language
    world.district_officer.save(update_fields=["language"])
    client.force_login(world.district_officer)
    day = march(3)
    url = f"/reports/?area={world.district.code}&start={march(1)}&end={day}"
    with time_machine.travel(local(day, 15), tick=False):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert "data-today-as-of" not in page
        count_today()
    with time_machine.travel(local(day, 15, 4), tick=False):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        home = client.get("/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    said = {
        "en": "Today's figures as counted at 15:00: they are counted again every five minutes.",
        "zh-hans": "今日数据统计于 15:00，每五分钟重新统计一次。",
    }[language]
    assert said in page
    assert said in home
    # The export of the same report says it too.
    with time_machine.travel(local(day, 15, 4), tick=False):
        response = client.get(
            f"/reports/{world.district.code}/report.xlsx?start={march(1)}&end={day}",
            HTTP_ACCEPT_LANGUAGE=language,
        )
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    label = {"en": "Today counted at", "zh-hans": "今日数据统计于"}[language]
    figures = next(iter(book.worksheets))
    assert [figures["A3"].value, figures["B3"].value] == [label, "2026-03-03 15:00"]


def test_beat_counts_today_every_five_minutes(db):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="reports.tasks.count_today")
    assert task.enabled
    assert (task.interval.every, task.interval.period) == (5, "minutes")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_on_redis_counts_today(celery_worker_on_redis, world):
    results = []
    finished = threading.Event()

    def collect(sender=None, retval=None, **kwargs):
        if sender.name == "reports.tasks.count_today":
            results.append(retval)
            if len(results) == 2:
                finished.set()

    task_postrun.connect(collect, weak=False)
    try:
        tasks.count_today.delay()
        tasks.count_today.delay()
        assert finished.wait(60), f"the worker counted today {len(results)} times, not 2"
    finally:
        task_postrun.disconnect(collect)
    # The district, the street, the two communities: the same rows, replaced.
    assert results == [4, 4]
    assert set(AreaToday.objects.values_list("area__code", flat=True)) == {
        "T",
        "T-01",
        "T-01-01",
        "T-01-02",
    }
    assert set(AreaToday.objects.values_list("day", flat=True)) == {timezone.localdate()}
