"""Next-visit dates: the tag date plus the interval, then the visit's day plus the interval;
the strictest rule wins; the usual tags and their rules come with the database."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from care import services
from care.models import CarePlan, CareStart, Visit, VisitRule
from grids.models import Tag
from tests.care.factories import rule_tag, tagged_person

NOV = lambda day: datetime.date(2026, 11, day)  # noqa: E731


def test_the_usual_tags_come_with_their_rules(db):
    rules = {r.tag.name: r for r in VisitRule.objects.select_related("tag")}
    assert rules["独居老人"].interval_days == 7
    assert rules["独居老人"].visibility == VisitRule.Visibility.GRID
    assert rules["低保户"].interval_days == rules["残疾人"].interval_days == 30
    assert rules["留守儿童"].interval_days == 30
    for name in ("刑满释放人员", "吸毒人员", "严重精神障碍患者"):
        assert rules[name].is_station_only
        assert rules[name].tag.kind == Tag.Kind.ATTENTION
    assert rules["严重精神障碍患者"].interval_days is None


def test_a_person_tagged_elderly_living_alone_on_1_november_is_due_weekly(world):
    with time_machine.travel(datetime.datetime(2026, 11, 1, 9, tzinfo=datetime.UTC)):
        person = tagged_person(world.a.grid, Tag.objects.get(name="独居老人"))
    assert CareStart.objects.get(resident=person).started_on == NOV(1)
    plan = CarePlan.objects.get(resident=person)
    assert plan.next_due_on == NOV(8)
    assert plan.due_dates(NOV(1), NOV(30)) == [NOV(8), NOV(15), NOV(22), NOV(29)]
    assert CarePlan.objects.filter(pk=plan.pk).due_count(NOV(1), NOV(30)) == 4
    assert CarePlan.objects.filter(pk=plan.pk).due_count(NOV(9), NOV(22)) == 2
    assert CarePlan.objects.filter(pk=plan.pk).due_count(datetime.date(2026, 10, 1), NOV(7)) == 0

    # Visited on each due date: the next is a week after each.
    for day, following in ((8, 15), (15, 22), (22, 29)):
        with time_machine.travel(datetime.datetime(2026, 11, day, 9, tzinfo=datetime.UTC)):
            services.record_visit(
                person, by=world.a.grid_member, visited_on=NOV(day), outcome="well"
            )
        plan.refresh_from_db()
        assert plan.next_due_on == NOV(following)


def test_a_visit_on_10_november_moves_the_next_to_17_november(world):
    with time_machine.travel(datetime.datetime(2026, 11, 1, 9, tzinfo=datetime.UTC)):
        person = tagged_person(world.a.grid, Tag.objects.get(name="独居老人"))
    with time_machine.travel(datetime.datetime(2026, 11, 10, 9, tzinfo=datetime.UTC)):
        assert CarePlan.objects.get(resident=person).is_overdue(NOV(10))
        visit = services.record_visit(
            person, by=world.a.grid_member, visited_on=NOV(10), outcome="needs", note="门锁坏了"
        )
    plan = CarePlan.objects.get(resident=person)
    assert (plan.last_visited_on, plan.next_due_on) == (NOV(10), NOV(17))
    # The history names who recorded the visit.
    assert visit.history.get().history_user == world.a.grid_member
    assert Visit.objects.done_by(world.a.grid_member, NOV(1), NOV(30)).count() == 1
    assert Visit.objects.done_by(world.a.grid_member, NOV(11), NOV(30)).count() == 0


def test_nobody_home_does_not_move_the_next_visit(world):
    with time_machine.travel(datetime.datetime(2026, 11, 1, 9, tzinfo=datetime.UTC)):
        person = tagged_person(world.a.grid, Tag.objects.get(name="独居老人"))
    with time_machine.travel(datetime.datetime(2026, 11, 9, 9, tzinfo=datetime.UTC)):
        services.record_visit(person, by=world.a.grid_member, visited_on=NOV(9), outcome="absent")
    assert CarePlan.objects.get(resident=person).next_due_on == NOV(8)
    assert not Visit.objects.done_by(world.a.grid_member, NOV(1), NOV(30)).exists()


def test_the_strictest_rule_wins_and_any_station_only_tag_makes_the_person_the_stations(world):
    monthly = rule_tag("低保户", 30)
    weekly = rule_tag("独居老人", 7)
    released = Tag.objects.get(name="刑满释放人员")
    with time_machine.travel(datetime.datetime(2026, 11, 1, 9, tzinfo=datetime.UTC)):
        person = tagged_person(world.a.grid, monthly)
    plan = CarePlan.objects.get(resident=person)
    assert (plan.interval_days, plan.next_due_on, plan.is_station_only) == (
        30,
        NOV(1) + datetime.timedelta(days=30),
        False,
    )
    with time_machine.travel(datetime.datetime(2026, 11, 5, 9, tzinfo=datetime.UTC)):
        person.tags.add(weekly)
    plan.refresh_from_db()
    assert (plan.interval_days, plan.next_due_on) == (7, NOV(12))
    person.tags.add(released)
    plan.refresh_from_db()
    assert plan.is_station_only
    person.tags.remove(released, weekly)
    plan.refresh_from_db()
    assert (plan.interval_days, plan.is_station_only) == (30, False)
    person.tags.clear()
    assert not CarePlan.objects.filter(resident=person).exists()
    assert not CareStart.objects.filter(resident=person).exists()


def test_a_tag_without_a_rule_puts_nobody_under_care(world):
    plain = Tag.objects.create(name="退役军人", kind=Tag.Kind.CARE)
    person = tagged_person(world.a.grid, plain)
    assert not CarePlan.objects.filter(resident=person).exists()
    # The rule added in admin later: a resync puts the person under it.
    VisitRule.objects.create(tag=plain, interval_days=30)
    assert services.sync_all() >= 1
    assert CarePlan.objects.get(resident=person).interval_days == 30


def test_as_the_station_decides_has_no_date_until_the_station_sets_one(world):
    with time_machine.travel(datetime.datetime(2026, 11, 1, 9, tzinfo=datetime.UTC)):
        person = tagged_person(world.a.grid, Tag.objects.get(name="严重精神障碍患者"))
        plan = CarePlan.objects.get(resident=person)
        assert plan.next_due_on is None and plan.is_station_only
        services.record_visit(
            person, by=world.a.stationmaster, visited_on=NOV(1), outcome="well", next_on=NOV(20)
        )
    assert CarePlan.objects.get(resident=person).next_due_on == NOV(20)
    services.sync_residents([person.pk])
    assert CarePlan.objects.get(resident=person).next_due_on == NOV(20)


@pytest.mark.parametrize("outcome", ["well", "absent"])
def test_a_visit_in_the_future_is_refused(world, outcome):
    person = tagged_person(world.a.grid, Tag.objects.get(name="独居老人"))
    with pytest.raises(services.VisitError):
        services.record_visit(
            person,
            by=world.a.grid_member,
            visited_on=timezone.localdate() + datetime.timedelta(days=400),
            outcome=outcome,
        )
