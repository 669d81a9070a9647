"""Time-limited settlement on the working calendar: deadlines in working hours across
weekends, public holidays and make-up working days; pauses, extensions, the time-limit table
as it was at filing, loading a holiday file, and the traffic lights.

With the default hours (08:30-12:00, 14:00-17:30) a worked day has 7 working hours.
"""

import datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from grids.scope import Scope
from incidents import services
from incidents.calendar import add_working_hours, working_seconds_between
from incidents.models import CalendarDay, Category, Incident, TimeLimit
from tests.incidents.factories import local, make_category, make_incident

D = datetime.date
HOUR = 3600


def at(moment):
    return time_machine.travel(moment, tick=False)


def test_the_migration_loads_the_2026_calendar_categories_and_time_limits(db):
    assert CalendarDay.objects.filter(day__year=2026, kind="day_off").count() == 33
    assert CalendarDay.objects.filter(day__year=2026, kind="working_day").count() == 6
    national_day = CalendarDay.objects.get(day=D(2026, 10, 1))
    assert (national_day.kind, national_day.name) == ("day_off", "国庆节")
    assert CalendarDay.objects.get(day=D(2026, 10, 10)).kind == "working_day"

    assert dict(Category.objects.values_list("code", "name")) == {
        "sanitation": "环境卫生",
        "facility": "设施损坏",
        "dispute": "矛盾纠纷",
        "demand": "居民诉求",
        "security": "治安隐患",
        "population": "流动人口变动",
        "petition": "信访",
        "unstable": "不稳定信息",
        "other": "其他",
    }
    assert set(Category.objects.filter(is_sensitive=True).values_list("code", flat=True)) == {
        "petition",
        "unstable",
    }
    assert list(Category.objects.filter(is_dispute=True).values_list("code", flat=True)) == [
        "dispute"
    ]
    limits = {
        (code, urgency): hours
        for code, urgency, hours in TimeLimit.objects.values_list(
            "category__code", "urgency", "hours"
        )
    }
    assert len(limits) == 27
    assert limits["sanitation", "normal"] == 24
    assert limits["facility", "urgent"] == 8
    assert limits["security", "critical"] == 4
    assert limits["petition", "normal"] == 40


def test_a_deadline_skips_the_weekend(world):
    # Friday 16:00 + 8 working hours: 1.5 h on Friday, 6.5 h on Monday.
    incident = make_incident(
        world.a.grid, world.a.grid_member, urgency="urgent", at=local(D(2026, 11, 27), 16)
    )
    assert incident.limit_hours == 8
    assert incident.deadline_at == local(D(2026, 11, 30), 17)
    # The warning at 75%: 6 working hours, 1.5 on Friday and 4.5 on Monday.
    assert incident.warn_at == local(D(2026, 11, 30), 15)


def test_a_deadline_skips_the_national_day_holiday(world):
    # Wednesday 30 September 16:00: 1.5 h that day, then 1-7 October are off.
    filed_at = local(D(2026, 9, 30), 16)
    urgent = make_incident(world.a.grid, world.a.grid_member, urgency="urgent", at=filed_at)
    assert urgent.deadline_at == local(D(2026, 10, 8), 17)
    assert urgent.warn_at == local(D(2026, 10, 8), 15)

    # 24 hours: 1.5 + 7 (Thu 8th) + 7 (Fri 9th) + 7 (Saturday 10th, a make-up working day)
    # = 22.5; Sunday the 11th is off; 1.5 on Monday the 12th.
    normal = make_incident(world.a.grid, world.a.grid_member, at=filed_at)
    assert normal.deadline_at == local(D(2026, 10, 12), 10)


def test_make_up_working_days_count_as_worked_and_other_weekends_do_not(world):
    def deadline(day):
        return make_incident(
            world.a.grid, world.a.grid_member, urgency="urgent", at=local(day, 16)
        ).deadline_at

    # Sunday 20 September and Saturday 10 October are make-up working days.
    assert deadline(D(2026, 9, 18)) == local(D(2026, 9, 20), 17)
    assert deadline(D(2026, 10, 9)) == local(D(2026, 10, 10), 17)
    # An ordinary weekend is not worked.
    assert deadline(D(2026, 10, 16)) == local(D(2026, 10, 19), 17)
    # Friday 25 September (Mid-Autumn) is a day off on a weekday.
    assert deadline(D(2026, 9, 24)) == local(D(2026, 9, 28), 17)

    assert working_seconds_between(local(D(2026, 10, 10), 0), local(D(2026, 10, 11), 0)) == (
        7 * HOUR
    )
    assert working_seconds_between(local(D(2026, 10, 3), 0), local(D(2026, 10, 4), 0)) == 0
    assert add_working_hours(local(D(2026, 9, 19), 12), 1) == local(D(2026, 9, 20), 9, 30)


def test_a_pause_moves_the_deadline_by_exactly_the_working_time_paused(world):
    # Thursday 09:00 + 24 h: 6.5 (Thu) + 7 (Fri) + 7 (Mon) + 3.5 (Tue) -> Tuesday 12:00.
    incident = make_incident(world.a.grid, world.a.grid_member, at=local(D(2026, 11, 26), 9))
    assert incident.deadline_at == local(D(2026, 12, 1), 12)
    assert incident.warn_at == local(D(2026, 11, 30), 15)

    with at(local(D(2026, 11, 27), 16)):
        incident = services.pause(
            incident, by=world.a.grid_member, reason="等待居民提供材料", until=None
        )
    assert incident.is_paused and incident.paused_until is None
    with at(local(D(2026, 11, 30), 10)):
        incident = services.resume(incident, by=world.a.grid_member)

    # Paused: Friday 16:00-17:30 and Monday 08:30-10:00, 3 working hours.
    paused = working_seconds_between(local(D(2026, 11, 27), 16), local(D(2026, 11, 30), 10))
    assert paused == 3 * HOUR
    assert not incident.is_paused and incident.pause_reason == "等待居民提供材料"
    assert incident.deadline_at == local(D(2026, 12, 1), 17)  # Tuesday 12:00 + 3 h
    assert incident.warn_at == local(D(2026, 12, 1), 9)  # Monday 15:00 + 3 h
    assert list(incident.timeline.values_list("action", flat=True)) == [
        "report",
        "pause",
        "resume",
    ]


def test_a_pause_over_the_holiday_costs_no_working_time(world):
    # 5.5 h on 30 September, 7 + 7 on the 8th and 9th, 4.5 on Saturday the 10th.
    incident = make_incident(world.a.grid, world.a.grid_member, at=local(D(2026, 9, 30), 10))
    deadline_at = incident.deadline_at
    assert deadline_at == local(D(2026, 10, 10), 15)
    with at(local(D(2026, 9, 30), 17, 30)):
        services.pause(incident, by=world.a.grid_member, reason="等待物业答复")
    with at(local(D(2026, 10, 8), 8, 30)):
        incident = services.resume(incident, by=world.a.grid_member)
    assert incident.deadline_at == deadline_at


def test_a_pause_costing_no_working_time_leaves_the_deadline_alone(world):
    # 7 working hours from Thursday 08:30: the deadline is Thursday 17:30.
    category = make_category(hours={"normal": 7})
    incident = make_incident(
        world.a.grid, world.a.grid_member, category=category, at=local(D(2026, 11, 26), 8, 30)
    )
    assert incident.deadline_at == local(D(2026, 11, 26), 17, 30)
    # Paused over lunch: no working time passes.
    with at(local(D(2026, 11, 26), 12, 5)):
        services.pause(incident, by=world.a.grid_member, reason="午休时联系不上居民")
    with at(local(D(2026, 11, 26), 13, 55)):
        incident = services.resume(incident, by=world.a.grid_member)
    assert incident.deadline_at == local(D(2026, 11, 26), 17, 30)


def test_an_incident_keeps_the_time_limit_it_was_filed_with(world):
    filed_at = local(D(2026, 11, 26), 9)
    before = make_incident(world.a.grid, world.a.grid_member, at=filed_at)
    limit = TimeLimit.objects.get(category__code="sanitation", urgency="normal")
    limit.hours = 8
    limit.save()

    after = make_incident(world.a.grid, world.a.grid_member, at=filed_at)
    before.refresh_from_db()
    assert (before.limit_hours, before.deadline_at) == (24, local(D(2026, 12, 1), 12))
    assert (after.limit_hours, after.deadline_at) == (8, local(D(2026, 11, 27), 10))
    assert limit.history.latest().hours == 8  # the administrator's change is recorded


def test_an_approved_extension_moves_the_deadline_and_a_refused_one_does_not(world):
    member, stationmaster = world.a.grid_member, world.a.stationmaster
    incident = make_incident(world.a.grid, member, urgency="urgent", at=local(D(2026, 11, 27), 16))
    with at(local(D(2026, 11, 27), 16, 5)):
        incident = services.take_step(incident, "accept", by=member, scope=Scope(member))
        refused = services.request_extension(incident, by=member, hours=40, reason="太久")
        incident = services.decide_extension(
            refused, by=stationmaster, scope=Scope(stationmaster), approve=False
        )
        assert incident.deadline_at == local(D(2026, 11, 30), 17)

        extension = services.request_extension(
            incident, by=member, hours=8, reason="需要协调物业维修"
        )
        with pytest.raises(services.InvalidTransition):
            services.decide_extension(extension, by=member, scope=Scope(member), approve=True)
        incident = services.decide_extension(
            extension, by=stationmaster, scope=Scope(stationmaster), approve=True
        )

    # Monday 17:00 + 8 working hours: 0.5 on Monday, 7 on Tuesday, 0.5 on Wednesday.
    assert incident.deadline_at == local(D(2026, 12, 2), 9)
    assert incident.warn_at == local(D(2026, 12, 1), 16)  # Monday 15:00 + 8 h
    assert incident.limit_hours == 8  # the table's limit stays as filed
    extension.refresh_from_db()
    assert extension.is_approved and extension.decided_by == stationmaster
    with pytest.raises(services.InvalidTransition):
        services.decide_extension(
            extension, by=stationmaster, scope=Scope(stationmaster), approve=True
        )


# --- load_holidays ---

HEADER = "date,kind,holiday,holiday_zh,weekday\n"


def write(tmp_path, text):
    path = tmp_path / "holidays.csv"
    path.write_text(HEADER + text, encoding="utf-8")
    return path


def load(path):
    out = StringIO()
    call_command("load_holidays", str(path), stdout=out)
    return out.getvalue()


def test_load_holidays_loads_next_years_file_and_updates_known_days(db, tmp_path):
    path = write(
        tmp_path,
        "2027-01-01,day_off,New Year's Day,元旦,Fri\n"
        "2027-02-06,working_day,Spring Festival,,Sat\n"
        "2026-10-10,day_off,National Day,国庆节,Sat\n",
    )
    output = load(path)
    assert "2 days off and 1 working days" in output
    days = {d.day: (d.kind, d.name) for d in CalendarDay.objects.filter(day__year=2027)}
    assert days == {
        D(2027, 1, 1): ("day_off", "元旦"),
        D(2027, 2, 6): ("working_day", "Spring Festival"),
    }
    assert CalendarDay.objects.get(day=D(2026, 10, 10)).kind == "day_off"
    assert CalendarDay.objects.filter(day__year=2026).count() == 39

    load(path)  # again: nothing new
    assert CalendarDay.objects.filter(day__year=2027).count() == 2


def test_loading_the_shipped_2026_file_again_changes_nothing(db):
    before = list(CalendarDay.objects.values_list("day", "kind", "name"))
    output = load("incidents/data/cn-public-holidays-2026.csv")
    assert "33 days off and 6 working days" in output
    assert list(CalendarDay.objects.values_list("day", "kind", "name")) == before


@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        ("2027-02-30,day_off,Spring Festival,春节,Tue\n", "Row 3, column 'date'"),
        ("2027-02-10,holiday,Spring Festival,春节,Wed\n", "Row 3, column 'kind'"),
        ("2027-02-10,day_off,Spring Festival,春节,Thu\n", "Row 3, column 'weekday'"),
        ("2027-01-01,day_off,New Year's Day,元旦,Fri\n", "Row 3, column 'date'"),  # twice
    ],
)
def test_load_holidays_names_the_bad_row_and_column_and_saves_nothing(
    db, tmp_path, bad_row, message
):
    path = write(
        tmp_path,
        "2027-01-01,day_off,New Year's Day,元旦,Fri\n"
        + bad_row
        + "2027-02-06,working_day,Spring Festival,春节,Sat\n",
    )
    with pytest.raises(CommandError, match=message):
        load(path)
    assert not CalendarDay.objects.filter(day__year=2027).exists()


def test_load_holidays_refuses_a_file_without_the_kind_column(db, tmp_path):
    path = tmp_path / "holidays.csv"
    path.write_text("date,holiday\n2027-01-01,New Year's Day\n", encoding="utf-8")
    with pytest.raises(CommandError, match="kind"):
        load(path)
    assert not CalendarDay.objects.filter(day__year=2027).exists()


# --- Lights ---


def test_the_light_turns_yellow_at_75_percent_and_red_at_the_deadline(world):
    # Filed Thursday 09:00 with 24 h: warning Monday 15:00, deadline Tuesday 12:00.
    incident = make_incident(world.a.grid, world.a.grid_member, at=local(D(2026, 11, 26), 9))
    moments = {
        local(D(2026, 11, 30), 14, 59): "green",
        local(D(2026, 11, 30), 15): "yellow",
        local(D(2026, 12, 1), 11, 59): "yellow",
        local(D(2026, 12, 1), 12): "red",
    }
    for moment, colour in moments.items():
        with at(moment):
            assert incident.light() == colour, moment
            assert Incident.objects.with_light(colour).get() == incident
            others = {"green", "yellow", "red"} - {colour}
            assert not any(Incident.objects.with_light(c).exists() for c in others), moment


def test_with_light_sorts_several_incidents_at_one_moment(world):
    member = world.a.grid_member
    green = make_incident(world.a.grid, member, at=local(D(2026, 11, 30), 9))
    yellow = make_incident(world.a.grid, member, at=local(D(2026, 11, 26), 9))
    red = make_incident(world.a.grid, member, urgency="urgent", at=local(D(2026, 11, 26), 9))
    now = local(D(2026, 11, 30), 16)
    assert [i.light(now) for i in (green, yellow, red)] == ["green", "yellow", "red"]
    for incident in (green, yellow, red):
        assert list(Incident.objects.with_light(incident.light(now), now=now)) == [incident]


def test_a_closed_incident_has_no_light(world):
    incident = make_incident(world.a.grid, world.a.grid_member, at=local(D(2026, 11, 26), 9))
    Incident.objects.filter(pk=incident.pk).update(status=Incident.Status.CLOSED)
    incident.refresh_from_db()
    assert incident.light(local(D(2026, 12, 5), 9)) == ""


def test_a_paused_incident_keeps_its_light(world):
    incident = make_incident(world.a.grid, world.a.grid_member, at=local(D(2026, 11, 26), 9))
    with at(local(D(2026, 11, 30), 16)):
        incident = services.pause(incident, by=world.a.grid_member, reason="等待居民回复")
    later = local(D(2026, 12, 3), 9)
    assert incident.light(later) == "yellow"  # as when it was paused, not red
    assert not Incident.objects.with_light("red", now=later).exists()


def test_with_light_agrees_with_light_for_a_paused_incident(world):
    incident = make_incident(world.a.grid, world.a.grid_member, at=local(D(2026, 11, 26), 9))
    with at(local(D(2026, 11, 30), 16)):
        incident = services.pause(incident, by=world.a.grid_member, reason="等待居民回复")
    later = local(D(2026, 12, 3), 9)
    assert incident.light(later) == "yellow"
    assert list(Incident.objects.with_light("yellow", now=later)) == [incident]
    assert not Incident.objects.with_light("green", now=later).exists()
