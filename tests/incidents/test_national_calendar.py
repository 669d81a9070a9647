"""The national calendar from the `holidays` package for every year, loaded on demand and
by a daily task, with a station's own CSV winning over it.

The premises come from the package (holidays 0.109) and are checked first, so a package that
changes them fails here with a clear message. In 2027 it gives New Year's Day on Friday 1
January, and for the Spring Festival the Eve on Friday 5 February, the festival from Saturday
6 to Monday 8 February, and Tuesday 9 and Wednesday 10 February in lieu of the weekend days;
no make-up working days (the State Council's notice for 2027 is not in it). With the default
hours (08:30-12:00, 14:00-17:30) a worked day has 7 working hours.
"""

import datetime
import threading
from io import StringIO

import holidays
import pytest
import time_machine
from celery.signals import task_postrun
from django.core.management import call_command
from django.utils import timezone

from incidents import national_calendar
from incidents.calendar import Calendar
from incidents.models import CalendarDay, CalendarYear
from incidents.tasks import load_public_holidays
from meetings import schedule
from meetings.models import Meeting
from tests.factories import make_user
from tests.incidents.factories import local, make_incident

D = datetime.date
HEADER = "date,kind,holiday,holiday_zh,weekday\n"


def at(moment):
    return time_machine.travel(moment, tick=False)


def package_rows(year):
    return list(
        CalendarDay.objects.filter(day__year=year, is_local=False)
        .order_by("day")
        .values_list("day", "kind", "name")
    )


@pytest.fixture
def package_2027():
    """The package's 2027 as the module docstring describes it."""
    china = holidays.China(years=2027, language="zh_CN")
    off = {day for day in china if day.year == 2027}
    assert D(2027, 1, 1) in off
    assert {D(2027, 2, d) for d in range(5, 11)} <= off
    assert not {D(2027, 2, 4), D(2027, 2, 11), D(2027, 2, 12)} & off
    assert not [day for day in china.weekend_workdays if day.year == 2027]
    return china


def test_with_no_csv_the_2027_review_and_deadlines_follow_the_package(world, package_2027):
    # The test database has only what migrations load: the 2026 file, nothing of 2027.
    assert not CalendarDay.objects.filter(day__year=2027).exists()
    assert not CalendarYear.objects.filter(year=2027).exists()

    # Planned on 10 December, the monthly review of January 2027 skips New Year's Day
    # (Friday) and the weekend: Monday 4 January.
    schedule.ensure_series(world.a.community)
    with at(local(D(2026, 12, 10), 10)):
        schedule.plan_meetings()
    january = Meeting.objects.get(
        community=world.a.community, kind="monthly", scheduled_on__year=2027, scheduled_on__month=1
    )
    assert january.scheduled_on == D(2027, 1, 4)
    assert CalendarYear.objects.filter(year=2027).exists()

    # Filed Thursday 4 February 09:00 with 24 working hours: 6.5 h that day; Friday 5 to
    # Wednesday 10 are off (weekend included); 7 h on Thursday 11, 7 h on Friday 12, the last
    # 3.5 h on Monday 15 until 12:00.
    with at(local(D(2027, 2, 4), 9)):
        before_festival = make_incident(world.a.grid, world.a.grid_member)
    assert before_festival.deadline_at == local(D(2027, 2, 15), 12)
    # Filed Thursday 18 February 09:00: 6.5 h, 7 h on Friday 19, 7 h on Monday 22, 3.5 h on
    # Tuesday 23.
    with at(local(D(2027, 2, 18), 9)):
        after_festival = make_incident(world.a.grid, world.a.grid_member)
    assert after_festival.deadline_at == local(D(2027, 2, 23), 12)


def test_a_csv_loaded_afterwards_overrides_the_package_and_moves_later_deadlines(
    world, package_2027, tmp_path
):
    with at(local(D(2027, 2, 4), 9)):
        filed_before = make_incident(world.a.grid, world.a.grid_member)
    assert filed_before.deadline_at == local(D(2027, 2, 15), 12)  # see the test above

    # The station's decision: the Eve (Friday 5) is worked, the break runs Saturday 6 to
    # Sunday 14, and Saturday 20 February is a make-up working day.
    rows = ["2027-02-05,working_day,Spring Festival,春节,Fri"]
    for d in range(6, 15):
        day = D(2027, 2, d)
        rows.append(f"{day},day_off,Spring Festival,春节,{day.strftime('%a')}")
    rows.append("2027-02-20,working_day,Spring Festival,春节,Sat")
    path = tmp_path / "cn-2027.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    call_command("load_holidays", str(path), stdout=StringIO())

    eve = CalendarDay.objects.get(day=D(2027, 2, 5))
    assert (eve.kind, eve.is_local) == ("working_day", True)

    # Filed at the same moment after the file: 6.5 h on Thursday 4, 7 h on Friday 5, then
    # off until Sunday 14, 7 h on Monday 15 and 3.5 h on Tuesday 16.
    with at(local(D(2027, 2, 4), 9)):
        filed_after = make_incident(world.a.grid, world.a.grid_member)
    assert filed_after.deadline_at == local(D(2027, 2, 16), 12)
    # Thursday 18 09:00: 6.5 h, 7 h on Friday 19, 7 h on the make-up Saturday 20, 3.5 h on
    # Monday 22.
    with at(local(D(2027, 2, 18), 9)):
        make_up = make_incident(world.a.grid, world.a.grid_member)
    assert make_up.deadline_at == local(D(2027, 2, 22), 12)
    # A deadline computed before the file stays as it was.
    filed_before.refresh_from_db()
    assert filed_before.deadline_at == local(D(2027, 2, 15), 12)

    # The daily load of the national calendar keeps the station's days.
    with at(local(D(2027, 1, 10), 3)):
        load_public_holidays()
    assert CalendarDay.objects.get(day=D(2027, 2, 5)).kind == "working_day"
    with at(local(D(2027, 2, 4), 9)):
        again = make_incident(world.a.grid, world.a.grid_member)
    assert again.deadline_at == local(D(2027, 2, 16), 12)


def test_a_year_loads_weekday_days_off_and_make_up_working_days_from_the_package(db):
    # 2026 is in the package with its make-up days; the migration's rows are set aside here.
    CalendarDay.objects.filter(day__year=2026).delete()
    china = holidays.China(years=2026, language="zh_CN")
    assert D(2026, 1, 2) in china and D(2026, 1, 3) not in china  # Friday off, Saturday not
    assert D(2026, 1, 4) in china.weekend_workdays  # Sunday 4 January is worked
    assert D(2026, 10, 3) in china  # a Saturday of National Day

    national_calendar.load_national_year(2026)

    rows = {day: (kind, name) for day, kind, name in package_rows(2026)}
    assert rows[D(2026, 1, 1)] == ("day_off", china[D(2026, 1, 1)])
    assert rows[D(2026, 1, 2)][0] == "day_off"
    assert rows[D(2026, 1, 4)][0] == "working_day"
    assert D(2026, 10, 3) not in rows  # a weekend day off is off anyway
    expected_off = {day for day in china if day.year == 2026 and day.weekday() < 5}
    expected_work = {day for day in china.weekend_workdays if day.year == 2026}
    assert {d for d, (k, _) in rows.items() if k == "day_off"} == expected_off
    assert {d for d, (k, _) in rows.items() if k == "working_day"} == expected_work
    assert len(expected_work) == 6  # 4 Jan, 14 and 28 Feb, 9 May, 20 Sep, 10 Oct


def test_loading_replaces_the_years_package_rows_and_keeps_local_days(db):
    CalendarDay.objects.create(day=D(2027, 3, 3), kind="day_off", is_local=False)  # stale
    CalendarDay.objects.create(day=D(2027, 1, 1), kind="working_day", is_local=False)  # wrong
    CalendarDay.objects.create(day=D(2027, 2, 9), kind="working_day", name="本站", is_local=True)

    national_calendar.load_national_year(2027)

    assert not CalendarDay.objects.filter(day=D(2027, 3, 3)).exists()
    assert CalendarDay.objects.get(day=D(2027, 1, 1)).kind == "day_off"
    local_day = CalendarDay.objects.get(day=D(2027, 2, 9))
    assert (local_day.kind, local_day.name, local_day.is_local) == ("working_day", "本站", True)
    assert CalendarDay.objects.get(day=D(2027, 2, 10)).kind == "day_off"
    # Other years are not touched.
    assert CalendarDay.objects.filter(day__year=2026, is_local=False).count() == 0
    assert CalendarDay.objects.filter(day__year=2026).count() == 39


def test_the_task_loads_this_year_and_the_next_and_running_it_again_changes_nothing(db):
    with at(local(D(2026, 12, 3), 3)):
        load_public_holidays()
    assert list(CalendarYear.objects.values_list("year", flat=True)) == [2026, 2027]
    first = package_rows(2027)
    everything = list(CalendarDay.objects.order_by("day").values_list("day", "kind", "is_local"))
    assert (D(2027, 2, 10), "day_off", "春节（补假）") in first
    # The migration's 2026 file covers every day the package gives for 2026.
    assert package_rows(2026) == []

    with at(local(D(2026, 12, 4), 3)):
        load_public_holidays()
    assert package_rows(2027) == first
    assert (
        list(CalendarDay.objects.order_by("day").values_list("day", "kind", "is_local"))
        == everything
    )
    assert CalendarYear.objects.count() == 2


def test_the_calendar_loads_a_year_it_never_saw_once_and_then_reads_in_one_query(
    db, django_assert_num_queries
):
    assert not CalendarDay.objects.filter(day__year=2028).exists()
    # The package's 2028: New Year's Day is a Saturday, so Monday 3 January is off in lieu;
    # the Spring Festival's Eve is Tuesday 25 January.
    china = holidays.China(years=2028)
    assert {D(2028, 1, 3), D(2028, 1, 25)} <= set(china) and D(2028, 1, 24) not in china
    calendar = Calendar(D(2028, 1, 1), D(2028, 2, 29))
    assert not calendar.is_working_day(D(2028, 1, 3))
    assert not calendar.is_working_day(D(2028, 1, 25))
    assert calendar.is_working_day(D(2028, 1, 24))
    # The days and the years already loaded, side by side.
    with django_assert_num_queries(1):
        again = Calendar(D(2028, 1, 1), D(2028, 2, 29))
    assert not again.is_working_day(D(2028, 1, 25))


def test_a_csv_day_over_a_package_day_becomes_local_and_survives_the_next_load(db, tmp_path):
    national_calendar.load_national_year(2027)
    assert CalendarDay.objects.get(day=D(2027, 6, 9)).is_local is False  # Dragon Boat
    path = tmp_path / "dragon-boat.csv"
    path.write_text(HEADER + "2027-06-09,working_day,,,Wed\n", encoding="utf-8")
    call_command("load_holidays", str(path), stdout=StringIO())
    day = CalendarDay.objects.get(day=D(2027, 6, 9))
    assert (day.kind, day.is_local) == ("working_day", True)

    national_calendar.load_national_year(2027)
    day.refresh_from_db()
    assert (day.kind, day.is_local) == ("working_day", True)


def test_a_day_changed_in_admin_is_a_local_decision_kept_by_the_next_load(db, client):
    national_calendar.load_national_year(2027)
    day = CalendarDay.objects.get(day=D(2027, 9, 15))  # Mid-Autumn, from the package
    assert (day.kind, day.is_local) == ("day_off", False)
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    response = client.post(
        f"/admin/incidents/calendarday/{day.pk}/change/",
        {"day": "2027-09-15", "kind": "working_day", "name": "本站决定"},
    )
    assert response.status_code == 302
    national_calendar.load_national_year(2027)
    day = CalendarDay.objects.get(day=D(2027, 9, 15))
    assert (day.kind, day.name, day.is_local) == ("working_day", "本站决定", True)
    assert client.get("/admin/incidents/calendaryear/").status_code == 200


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_on_redis_loads_the_years_once_however_often_it_runs(
    celery_worker_on_redis,
):
    # Real time: this year and the next, as the package gives them.
    year = timezone.localdate().year
    expected = {}
    for y in (year, year + 1):
        china = holidays.China(years=(y, y + 1))
        expected[y] = {d for d in china if d.year == y and d.weekday() < 5} | {
            d for d in china.weekend_workdays if d.year == y
        }
    CalendarDay.objects.all().delete()  # no station's file: every day comes from the package

    results = []
    finished = threading.Event()

    def collect(sender=None, retval=None, **kwargs):
        if sender.name == "incidents.tasks.load_public_holidays":
            results.append(retval)
            if len(results) == 2:
                finished.set()

    task_postrun.connect(collect, weak=False)
    try:
        load_public_holidays.delay()
        load_public_holidays.delay()
        assert finished.wait(30), f"the worker ran the task {len(results)} times, not 2"
    finally:
        task_postrun.disconnect(collect)

    assert results[0] == results[1]
    assert set(CalendarYear.objects.values_list("year", flat=True)) == {year, year + 1}
    for y in (year, year + 1):
        assert {day for day, _kind, _name in package_rows(y)} == expected[y]
    assert not CalendarDay.objects.filter(is_local=True).exists()
