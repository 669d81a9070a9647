"""Changes to the map as dated operations: split, merge, move buildings, retire. The services
directly (each kind, what they refuse, applying twice, the hourly task), the pages (happy path,
403, 404, the preview's numbers, a stale preview) and the issue's must-show: a split on a
pinned date leaves the figures of the month before exactly as they were."""

import dataclasses
import datetime

import pytest
import time_machine
from django.db.models import F
from django.utils import translation

from grids import changes
from grids.changes import AreaChangeError, StalePreview
from grids.models import (
    Area,
    AreaChange,
    Household,
    HouseholdGrid,
    Membership,
    Post,
    Rental,
    Resident,
    Role,
    User,
)
from grids.tasks import apply_area_changes
from incidents.models import Incident
from notifications.models import Notification
from patrols.models import Instruction, MissedPatrol, Slot
from patrols.services import record_missed_patrols
from reports.figures import figures_by_grid
from tests.factories import make_area, make_household, make_post, make_resident, make_user
from tests.incidents.factories import local, make_incident
from tests.patrols.factories import make_patrol

SEEDED_ON = datetime.date(2026, 3, 2)
TODAY = datetime.date(2026, 6, 1)  # a Monday
MAY = (datetime.date(2026, 5, 1), datetime.date(2026, 5, 31))
JUNE = (datetime.date(2026, 6, 1), datetime.date(2026, 6, 30))
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[119.30, 26.10], [119.31, 26.10], [119.31, 26.09], [119.30, 26.09]]],
}


@dataclasses.dataclass
class Seeded:
    grid: Area  # T-01-01-01: buildings B01, B02, B03
    other: Area  # T-01-01-02: building B01
    b2: Area
    b3: Area
    moved_households: list
    moved_residents: int


def _household(grid, building, unit, *, people, floating=0, rented=False):
    household = make_household(
        grid,
        building=building,
        unit=unit,
        on=SEEDED_ON,
        housing=Household.Housing.RENTED if rented else Household.Housing.OWNER_OCCUPIED,
    )
    for n in range(people):
        population = Resident.Population.FLOATING if n < floating else None
        extra = {"population": population} if population else {}
        make_resident(household, on=SEEDED_ON, **extra)
    if rented:
        Rental.objects.create(
            household=household,
            landlord_name="房东",
            starts_on=datetime.date(2026, 4, 1),
            ends_on=datetime.date(2026, 12, 31),
        )
    return household


@pytest.fixture
def seeded(world):
    """World A's first grid with three buildings of households (some renting, some
    floating), open and closed incidents, instructions, patrols and missed windows in May;
    its second grid with one building of households."""
    grid, other = world.a.grid, world.a.other_grid
    grid.boundary = SQUARE
    grid.save(update_fields=["boundary"])
    b1 = grid.children.get()
    b2 = make_area(Area.Kind.BUILDING, grid, code=f"{grid.code}-B02")
    b3 = make_area(Area.Kind.BUILDING, grid, code=f"{grid.code}-B03")
    units = {}
    for building in (b1, b2, b3):
        existing = list(building.children.all())
        units[building.pk] = existing or [
            make_area(Area.Kind.UNIT, building, code=f"{building.code}-U{n}") for n in (1, 2)
        ]
    _household(grid, b1, units[b1.pk][0], people=3)
    _household(grid, b1, units[b1.pk][0], people=2, floating=1, rented=True)
    moved = [
        _household(grid, b2, units[b2.pk][0], people=4, floating=2, rented=True),
        _household(grid, b2, units[b2.pk][1], people=3),
        _household(grid, b3, units[b3.pk][1], people=2, floating=2, rented=True),
    ]
    other_building = other.children.get()
    _household(other, other_building, other_building.children.get(), people=2)

    member = world.a.grid_member
    with time_machine.travel(local(datetime.date(2026, 5, 6), 10), tick=False):
        # Open incidents about the moved buildings and households, one closed, one elsewhere.
        make_incident(grid, member, building=b2)
        make_incident(grid, member, household=moved[2])
        closed = make_incident(grid, member, building=b3)
        Incident.objects.filter(pk=closed.pk).update(
            status=Incident.Status.CLOSED, closed_at=local(datetime.date(2026, 5, 7), 9)
        )
        make_incident(grid, member, building=b1)
    for household in (moved[0], None):
        Instruction.objects.create(
            grid=grid,
            household=household,
            text="核实",
            due_on=datetime.date(2026, 6, 10),
            issued_by=world.a.stationmaster,
        )
    for day in (4, 5, 6):
        make_patrol(grid, datetime.date(2026, 5, day), Slot.MORNING, member=member)
        make_patrol(other, datetime.date(2026, 5, day), Slot.MORNING, member=member)
    MissedPatrol.objects.create(grid=grid, day=datetime.date(2026, 5, 7), slot=Slot.MORNING)
    MissedPatrol.objects.create(grid=other, day=datetime.date(2026, 5, 8), slot=Slot.AFTERNOON)
    return Seeded(grid, other, b2, b3, moved, moved_residents=9)


@pytest.fixture(autouse=True)
def english():
    """These tests read the messages in English (the site's default is Chinese)."""
    with translation.override("en"):
        yield


@pytest.fixture
def today(db):
    with time_machine.travel(local(TODAY, 10), tick=False):
        yield TODAY


def admin():
    """The administrator (made once per test)."""
    return User.objects.filter(username="root").first() or make_user(
        "root", is_superuser=True, is_staff=True
    )


def misplaced():
    """Units whose grid is not their building's, and households whose grid is not their
    building's or unit's: none after any change."""
    units = Area.objects.filter(kind=Area.Kind.UNIT).exclude(
        path__startswith=F("parent__path")
    ) | Area.objects.filter(kind=Area.Kind.UNIT, parent__kind=Area.Kind.BUILDING).exclude(
        path__startswith=F("parent__parent__path")
    )
    households = Household.objects.exclude(building__parent=F("grid")) | Household.objects.exclude(
        unit__parent__parent=F("grid")
    )
    return list(units.values_list("code", flat=True)) + list(
        households.filter(building__isnull=False).values_list("pk", flat=True)
    )


def grid_of_every_unit_is_its_buildings():
    """A unit's grid (read from its path) is its building's grid (its parent's parent)."""
    for unit in Area.objects.filter(kind=Area.Kind.UNIT).select_related("parent__parent"):
        grid_id = int(unit.path.strip("/").split("/")[3])
        assert grid_id == unit.parent.parent_id, unit.code
        assert unit.path == f"{unit.parent.path}{unit.pk}/", unit.code


# --- Preview ---


def test_the_preview_counts_what_a_move_takes(world, seeded, today, django_assert_num_queries):
    # Buildings, units, households, residents, incidents, instructions (no posts close).
    with django_assert_num_queries(6):
        summary = changes.preview_area_change(
            AreaChange.Kind.MOVE, seeded.grid, on=TODAY, buildings=[seeded.b2, seeded.b3]
        )
    assert summary == {
        "buildings": 2,
        "building_codes": [seeded.b2.code, seeded.b3.code],
        "units": 4,
        "households": 3,
        "residents": 9,
        "incidents": 2,
        "instructions": 1,
        "posts": 0,
    }


def test_the_preview_costs_the_same_for_more_buildings(
    world, seeded, today, django_assert_num_queries
):
    more = [make_area(Area.Kind.BUILDING, seeded.grid, code=f"X{n}") for n in range(5)]
    with django_assert_num_queries(6):
        summary = changes.preview_area_change(
            AreaChange.Kind.SPLIT, seeded.grid, on=TODAY, buildings=[seeded.b2, *more]
        )
    assert summary["buildings"] == 6


def test_a_merge_previews_everything_in_the_grid_and_its_posts(world, seeded, today):
    summary = changes.preview_area_change(AreaChange.Kind.MERGE, seeded.grid, on=TODAY)
    assert summary["buildings"] == 3
    assert summary["households"] == 5
    assert summary["residents"] == 14
    assert summary["incidents"] == 3
    assert summary["instructions"] == 2
    assert summary["posts"] == 2  # the grid leader's and the grid member's


# --- Each kind ---


def test_a_move_takes_buildings_units_households_and_their_open_work(world, seeded, today):
    by = admin()
    change = changes.record_area_change(
        AreaChange.Kind.MOVE,
        seeded.grid,
        on=TODAY,
        by=by,
        buildings=[seeded.b2, seeded.b3],
        target=seeded.other,
    )
    assert change.applied_at is not None
    assert change.summary["households"] == 3
    seeded.b2.refresh_from_db()
    assert seeded.b2.parent_id == seeded.other.pk
    assert seeded.b2.path == f"{seeded.other.path}{seeded.b2.pk}/"
    grid_of_every_unit_is_its_buildings()
    assert misplaced() == []
    for household in seeded.moved_households:
        household.refresh_from_db()
        assert household.grid_id == seeded.other.pk
        assert household.history.latest("history_id").history_user == by
        assert list(
            HouseholdGrid.objects.filter(household=household).values_list(
                "grid_id", "since_on", "until_on"
            )
        ) == [(seeded.grid.pk, SEEDED_ON, TODAY), (seeded.other.pk, TODAY, None)]
    # Residents lived in the old grid until the day before, in the new one from today.
    ids = [h.pk for h in seeded.moved_households]
    yesterday = TODAY - datetime.timedelta(days=1)
    assert (
        Membership.objects.as_of(yesterday)
        .filter(household_id__in=ids)
        .filter(grid=seeded.grid)
        .count()
        == 9
    )
    assert (
        Membership.objects.as_of(TODAY)
        .filter(household_id__in=ids)
        .filter(grid=seeded.other)
        .count()
        == 9
    )
    assert not Membership.objects.as_of(TODAY).filter(household_id__in=ids, grid=seeded.grid)
    moved = Incident.objects.filter(grid=seeded.other)
    assert moved.count() == 2
    assert set(moved.values_list("moved_from", flat=True)) == {seeded.grid.pk}
    assert {m for m in moved.values_list("moved_at", flat=True)} == {
        datetime.datetime.combine(TODAY, datetime.time(), tzinfo=local(TODAY, 0).tzinfo)
    }
    assert moved.first().history.latest("history_id").history_user == by
    # The closed one stays where it was closed; so does the one about another building.
    assert Incident.objects.filter(grid=seeded.grid).count() == 2
    instruction = Instruction.objects.get(household=seeded.moved_households[0])
    assert (instruction.grid_id, instruction.moved_from_id) == (seeded.other.pk, seeded.grid.pk)
    assert Instruction.objects.get(household__isnull=True).grid_id == seeded.grid.pk


def test_a_stay_that_began_that_day_just_changes_grid(world, seeded, today):
    household = seeded.moved_households[1]
    newcomer = make_resident(household, on=TODAY)
    changes.record_area_change(
        AreaChange.Kind.MOVE,
        seeded.grid,
        on=TODAY,
        by=admin(),
        buildings=[seeded.b2],
        target=seeded.other,
    )
    assert list(newcomer.memberships.values_list("grid_id", "moved_in_on", "moved_out_on")) == [
        (seeded.other.pk, TODAY, None)
    ]


def test_a_split_makes_a_new_grid_from_the_effective_date_with_part_of_the_map(
    world, seeded, today
):
    change = changes.record_area_change(
        AreaChange.Kind.SPLIT,
        seeded.grid,
        on=TODAY,
        by=admin(),
        buildings=[seeded.b3],
        new_code="T-01-01-03",
        new_name="新三网格",
    )
    new = Area.objects.get(code="T-01-01-03")
    assert change.target_id == new.pk
    assert (new.kind, new.parent_id, new.name, new.valid_from) == (
        Area.Kind.GRID,
        world.a.community.pk,
        "新三网格",
        TODAY,
    )
    assert list(new.children.values_list("code", flat=True)) == [seeded.b3.code]
    assert Household.objects.filter(grid=new).count() == 1
    grid_of_every_unit_is_its_buildings()
    # The old grid is cut along a line of longitude; the new one takes the eastern third.
    seeded.grid.refresh_from_db()
    kept = seeded.grid.boundary["coordinates"][0]
    cut = new.boundary["coordinates"][0]
    assert max(p[0] for p in kept) == pytest.approx(min(p[0] for p in cut))
    assert min(p[0] for p in cut) == pytest.approx(119.31 - 0.01 / 3, abs=1e-6)
    assert max(p[0] for p in cut) == pytest.approx(119.31)


def test_a_split_refuses_a_code_out_of_pattern_or_used_before(world, seeded, today):
    def split(code):
        return changes.record_area_change(
            AreaChange.Kind.SPLIT,
            seeded.grid,
            on=TODAY,
            by=admin(),
            buildings=[seeded.b3],
            new_code=code,
            new_name="新",
        )

    for code in ("T-01-02-03", "T-01-01-3", "T-01-01-B3", "T-01-01-00", "X"):
        with pytest.raises(AreaChangeError, match="two-digit|starts at 01"):
            split(code)
    retired = make_area(Area.Kind.GRID, world.a.community, code="T-01-01-07")
    retired.valid_to = datetime.date(2025, 12, 31)
    retired.save()
    for code in ("T-01-01-02", "T-01-01-07"):
        with pytest.raises(AreaChangeError, match="never reused"):
            split(code)
    assert not AreaChange.objects.exists()


def test_a_merge_moves_everything_then_retires_the_grid(world, seeded, today):
    by = admin()
    leader_post = Post.objects.get(area=seeded.grid, role=Role.GRID_LEADER)
    handled = make_incident(seeded.grid, world.a.grid_leader)
    handled_post = Post.objects.get(area=seeded.grid, role=Role.GRID_MEMBER)
    Incident.objects.filter(pk=handled.pk).update(
        handler=world.a.grid_member, post=handled_post, status=Incident.Status.ACCEPTED
    )
    changes.record_area_change(
        AreaChange.Kind.MERGE, seeded.grid, on=TODAY, by=by, target=seeded.other
    )
    seeded.grid.refresh_from_db()
    assert seeded.grid.valid_to == TODAY - datetime.timedelta(days=1)
    assert seeded.grid.code == "T-01-01-01"
    assert not Area.objects.filter(parent=seeded.grid).exists()
    assert not Household.objects.filter(grid=seeded.grid).exists()
    assert Household.objects.filter(grid=seeded.other).count() == 6
    grid_of_every_unit_is_its_buildings()
    assert misplaced() == []
    # Its posts are closed, and their open work is the stationmaster's.
    assert not Post.objects.filter(area=seeded.grid).exists()
    assert set(Post.all_posts.filter(area=seeded.grid).values_list("closed_on", flat=True)) == {
        TODAY
    }
    assert Post.all_posts.get(pk=leader_post.pk).history.latest("history_id").history_user == by
    handled.refresh_from_db()
    assert handled.grid_id == seeded.other.pk
    assert handled.handler_id == world.a.stationmaster.pk
    assert handled.first_responsible_id == world.a.stationmaster.pk
    assert handled.timeline.filter(action="post_handover").exists()
    # The receiving grid's map takes in the merged grid's.
    seeded.other.refresh_from_db()
    assert seeded.other.boundary["type"] == "Polygon"  # the other grid had none: just ours
    assert seeded.other.boundary["coordinates"][0][:4] == SQUARE["coordinates"][0]


def test_retiring_a_grid_with_households_is_refused_and_suggests_a_merge(world, seeded, today):
    with pytest.raises(AreaChangeError, match="merge it into another grid"):
        changes.record_area_change(AreaChange.Kind.RETIRE, seeded.other, on=TODAY, by=admin())
    seeded.other.refresh_from_db()
    assert seeded.other.valid_to is None
    assert not AreaChange.objects.exists()


def test_an_empty_grid_retires_keeping_its_code_and_its_posts_close(world, today):
    empty = make_area(Area.Kind.GRID, world.a.community, code="T-01-01-05")
    post = make_post(empty, Role.GRID_MEMBER, make_user("m5"))
    changes.record_area_change(AreaChange.Kind.RETIRE, empty, on=TODAY, by=admin())
    empty.refresh_from_db()
    assert (empty.code, empty.valid_to, empty.is_retired) == (
        "T-01-01-05",
        TODAY - datetime.timedelta(days=1),
        True,
    )
    assert Post.all_posts.get(pk=post.pk).closed_on == TODAY
    assert not Area.objects.existing_on(TODAY).filter(pk=empty.pk).exists()


def test_a_past_date_is_refused(world, seeded, today):
    with pytest.raises(AreaChangeError, match="figures of past days"):
        changes.record_area_change(
            AreaChange.Kind.MOVE,
            seeded.grid,
            on=TODAY - datetime.timedelta(days=1),
            by=admin(),
            buildings=[seeded.b2],
            target=seeded.other,
        )


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"target": None}, "receiving grid"),
        ({"buildings": []}, "at least one building"),
        ({"target": "grid"}, "another grid"),
        ({"target": "elsewhere"}, "same community"),
        ({"buildings": "elsewhere"}, "must be in"),
    ],
)
def test_a_move_needs_buildings_of_the_grid_and_a_grid_of_the_same_community(
    world, seeded, today, fields, message
):
    kwargs = {"buildings": [seeded.b2], "target": seeded.other}
    for name, value in fields.items():
        if value == "grid":
            value = seeded.grid
        elif value == "elsewhere":
            value = world.b.grid if name == "target" else [world.b.grid.children.get()]
        kwargs[name] = value
    with pytest.raises(AreaChangeError, match=message):
        changes.record_area_change(
            AreaChange.Kind.MOVE, seeded.grid, on=TODAY, by=admin(), **kwargs
        )


def test_a_confirmation_of_a_stale_preview_saves_nothing_and_gives_the_new_one(
    world, seeded, today
):
    summary = changes.preview_area_change(
        AreaChange.Kind.MOVE, seeded.grid, on=TODAY, buildings=[seeded.b2]
    )
    make_household(seeded.grid, building=seeded.b2, on=SEEDED_ON)
    with pytest.raises(StalePreview) as raised:
        changes.record_area_change(
            AreaChange.Kind.MOVE,
            seeded.grid,
            on=TODAY,
            by=admin(),
            buildings=[seeded.b2],
            target=seeded.other,
            expected=summary,
        )
    assert raised.value.summary["households"] == summary["households"] + 1
    assert not AreaChange.objects.exists()
    assert seeded.b2.parent_id == seeded.grid.pk


# --- Later dates, applying twice, the task ---


def test_a_future_change_waits_for_its_day_and_the_task_applies_it_once(world, seeded, today):
    on = TODAY + datetime.timedelta(days=3)
    change = changes.record_area_change(
        AreaChange.Kind.MOVE,
        seeded.grid,
        on=on,
        by=admin(),
        buildings=[seeded.b2],
        target=seeded.other,
    )
    assert change.applied_at is None
    assert apply_area_changes() == 0
    seeded.b2.refresh_from_db()
    assert seeded.b2.parent_id == seeded.grid.pk
    with time_machine.travel(local(on, 1), tick=False):
        assert apply_area_changes() == 1
        assert apply_area_changes() == 0
        assert changes.apply_area_change(change.pk) is None
    seeded.b2.refresh_from_db()
    assert seeded.b2.parent_id == seeded.other.pk
    # Applied once: one closed stay and one open stay per household, never more.
    household = seeded.moved_households[0]
    assert HouseholdGrid.objects.filter(household=household).count() == 2
    assert Membership.objects.filter(household=household).count() == 8


def test_a_change_that_can_no_longer_apply_records_why_and_tells_its_recorder(world, seeded, today):
    by = admin()
    on = TODAY + datetime.timedelta(days=2)
    change = changes.record_area_change(
        AreaChange.Kind.MOVE, seeded.grid, on=on, by=by, buildings=[seeded.b2], target=seeded.other
    )
    # Meanwhile the receiving grid is retired from the day before.
    Area.objects.filter(pk=seeded.other.pk).update(valid_to=on - datetime.timedelta(days=2))
    with time_machine.travel(local(on, 1), tick=False):
        assert apply_area_changes() == 0
        assert apply_area_changes() == 0
    change.refresh_from_db()
    assert change.applied_at is None
    assert "does not exist" in change.error
    told = Notification.objects.filter(recipient=by, key=f"area-change-failed:{change.pk}")
    assert [n.url for n in told] == ["/area-changes/"]
    seeded.b2.refresh_from_db()
    assert seeded.b2.parent_id == seeded.grid.pk


# --- The must-show ---


def _report(grids, period, at):
    with time_machine.travel(at, tick=False):
        return {
            grid_id: dataclasses.asdict(figures)
            for grid_id, figures in figures_by_grid(grids, *period).items()
        }


def differences(before, after):
    """[(grid id, figure, before, after)] of every figure that is not the same."""
    assert set(before) == set(after)
    return [
        (grid_id, name, value, after[grid_id][name])
        for grid_id, figures in before.items()
        for name, value in figures.items()
        if after[grid_id][name] != value
    ]


def test_a_split_on_a_pinned_date_leaves_the_month_before_as_it_was(world, seeded):
    community = world.a.community
    existing = Area.objects.under(community).grids()
    before = _report(existing.existing_during(*MAY), MAY, local(TODAY, 8))
    assert before[seeded.grid.pk]["households"] == 5
    assert before[seeded.grid.pk]["opened"] == 4

    with time_machine.travel(local(TODAY, 9), tick=False):
        change = changes.record_area_change(
            AreaChange.Kind.SPLIT,
            seeded.grid,
            on=TODAY,
            by=admin(),
            buildings=[seeded.b2, seeded.b3],
            new_code="T-01-01-03",
            new_name="新三网格",
        )
    new = change.target
    assert new.valid_from == TODAY

    # The month before, figure by figure, and the same grids.
    after = _report(existing.existing_during(*MAY), MAY, local(TODAY, 10))
    assert differences(before, after) == []

    # No missed patrol for the new grid before it existed.
    record_missed_patrols(at=local(TODAY, 23))
    assert not MissedPatrol.objects.filter(grid=new, day__lt=new.valid_from).exists()
    assert MissedPatrol.objects.filter(grid=new, day=TODAY).exists()

    # The month after: both grids, with the households each holds.
    june = _report(existing.existing_during(*JUNE), JUNE, local(datetime.date(2026, 7, 1), 10))
    assert set(june) == {seeded.grid.pk, seeded.other.pk, new.pk}
    assert june[new.pk]["households"] == 3
    assert june[new.pk]["residents"] == seeded.moved_residents
    assert june[new.pk]["floating"] == 4
    assert june[new.pk]["rentals"] == 2
    assert june[seeded.grid.pk]["households"] == 2
    assert june[seeded.grid.pk]["rentals"] == 1
    assert june[seeded.other.pk]["households"] == 1

    # Merge the second grid into the first on 1 July: none for it after its last day.
    july = datetime.date(2026, 7, 1)
    with time_machine.travel(local(july, 9), tick=False):
        changes.record_area_change(
            AreaChange.Kind.MERGE, seeded.other, on=july, by=admin(), target=seeded.grid
        )
    seeded.other.refresh_from_db()
    assert seeded.other.valid_to == datetime.date(2026, 6, 30)
    record_missed_patrols(at=local(datetime.date(2026, 7, 2), 23))
    assert not MissedPatrol.objects.filter(grid=seeded.other, day__gt=seeded.other.valid_to)
    assert MissedPatrol.objects.filter(grid=seeded.grid, day=datetime.date(2026, 7, 2)).exists()

    # June as it was, after the merge: the merged grid still holds its household in June.
    june_again = _report(
        existing.existing_during(*JUNE), JUNE, local(datetime.date(2026, 7, 2), 10)
    )
    assert differences(june, june_again) == []

    # Nothing is left in a grid it does not belong to.
    grid_of_every_unit_is_its_buildings()
    assert misplaced() == []


# --- The pages ---


@pytest.fixture
def street_staff(world):
    user = make_user("ss_t", full_name="Street Staff")
    make_post(world.street, Role.STREET_STAFF, user)
    return user


def confirmation(response):
    """The preview page's hidden form, as the browser posts it, with its Confirm button."""
    data = response.context["confirm_form"].data
    return {**{key: data.getlist(key) for key in data}, "action": "confirm"}


def _preview_post(client, grid, **fields):
    data = {"effective_on": TODAY.isoformat(), "action": "preview", **fields}
    return client.post(f"/area-changes/new/{grid.code}/", data)


def test_street_staff_preview_a_move_in_words_and_confirm_it(
    client, world, seeded, today, street_staff
):
    client.force_login(street_staff)
    fields = {
        "kind": "move",
        "buildings": [seeded.b2.code, seeded.b3.code],
        "target": seeded.other.code,
    }
    response = client.get(f"/area-changes/new/{seeded.grid.code}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert f'value="{seeded.b2.code}"' in body
    assert f'value="{seeded.b2.pk}"' not in body  # chosen by code, never by internal number

    response = _preview_post(client, seeded.grid, **fields)
    assert response.status_code == 200
    assert response.context["summary"]["households"] == 3
    assert (
        response.context["in_words"]
        == "This moves 2 buildings, 4 units, 3 households, 9 residents, 2 open incidents, "
        "1 open instruction."
    )
    assert not AreaChange.objects.exists()  # a preview saves nothing

    confirm = confirmation(response)
    response = client.post(f"/area-changes/new/{seeded.grid.code}/", confirm)
    assert response.status_code == 302
    assert response.url == "/area-changes/"
    change = AreaChange.objects.get()
    assert (change.kind, change.grid_id, change.target_id, change.created_by_id) == (
        "move",
        seeded.grid.pk,
        seeded.other.pk,
        street_staff.pk,
    )
    assert change.applied_at is not None
    assert Household.objects.filter(grid=seeded.other).count() == 4


def test_the_preview_says_it_in_chinese(client, world, seeded, today, street_staff):
    street_staff.language = "zh-hans"
    street_staff.save()
    client.force_login(street_staff)
    response = _preview_post(
        client, seeded.grid, kind="move", buildings=[seeded.b2.code], target=seeded.other.code
    )
    assert response.context["in_words"] == (
        "将迁移 1 栋楼、2 个单元、2 户、7 名居民、1 件未办结事件、1 条未完成的核查指令。"
    )
    assert "将迁移 1 栋楼" in response.content.decode()


def test_a_confirmation_after_the_buildings_changed_shows_the_new_preview(
    client, world, seeded, today, street_staff
):
    client.force_login(street_staff)
    response = _preview_post(
        client, seeded.grid, kind="move", buildings=[seeded.b2.code], target=seeded.other.code
    )
    confirm = confirmation(response)
    make_household(seeded.grid, building=seeded.b2, on=SEEDED_ON)
    response = client.post(f"/area-changes/new/{seeded.grid.code}/", confirm)
    assert response.status_code == 200
    assert response.context["stale"] is True
    assert response.context["summary"]["households"] == 3
    assert not AreaChange.objects.exists()
    seeded.b2.refresh_from_db()
    assert seeded.b2.parent_id == seeded.grid.pk


def test_a_refused_change_is_shown_on_the_form(client, world, seeded, today, street_staff):
    client.force_login(street_staff)
    response = _preview_post(client, seeded.other, kind="retire")
    assert response.status_code == 200
    assert "merge it into another grid" in response.content.decode()
    response = _preview_post(
        client,
        seeded.grid,
        kind="split",
        buildings=[seeded.b3.code],
        new_code="T-01-01-02",
        new_name="新",
    )
    assert "never reused" in response.content.decode()


def test_a_future_change_is_listed_as_waiting(client, world, seeded, today, street_staff):
    client.force_login(street_staff)
    on = TODAY + datetime.timedelta(days=10)
    changes.record_area_change(
        AreaChange.Kind.MOVE,
        seeded.grid,
        on=on,
        by=street_staff,
        buildings=[seeded.b2],
        target=seeded.other,
    )
    response = client.get("/area-changes/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Waiting for its date" in body
    assert "This moves 1 building" in body


def test_the_list_costs_the_same_queries_for_more_changes(
    client, world, seeded, today, street_staff, django_assert_num_queries
):
    client.force_login(street_staff)

    def record(n):
        for _ in range(n):
            changes.record_area_change(
                AreaChange.Kind.MOVE,
                seeded.grid,
                on=TODAY + datetime.timedelta(days=5),
                by=street_staff,
                buildings=[seeded.b2],
                target=seeded.other,
            )

    record(1)
    client.get("/area-changes/")
    # Session, user, the scope's posts, the page's count and rows (with grids and recorder),
    # the grids to choose from, the unread count.
    with django_assert_num_queries(7):
        assert client.get("/area-changes/").status_code == 200
    record(4)
    with django_assert_num_queries(7):
        response = client.get("/area-changes/")
    assert len(response.context["page"].object_list) == 5


def test_the_administrator_sees_every_change_and_may_change_any_grid(client, world, seeded, today):
    client.force_login(admin())
    assert client.get("/area-changes/").status_code == 200
    response = _preview_post(client, world.b.grid, kind="merge", target=world.b.other_grid.code)
    assert response.status_code == 200
    assert response.context["summary"]["posts"] == 2


@pytest.mark.parametrize("who", ["stationmaster", "grid_leader", "district_officer"])
def test_others_may_not_change_the_map(client, world, seeded, today, who):
    user = getattr(world.a, who, None) or getattr(world, who)
    client.force_login(user)
    assert client.get("/area-changes/").status_code == 403
    assert client.get(f"/area-changes/new/{seeded.grid.code}/").status_code == 403
    response = _preview_post(
        client, seeded.grid, kind="move", buildings=[seeded.b2.code], target=seeded.other.code
    )
    assert response.status_code == 403


def test_a_grid_outside_the_street_is_not_found(client, world, today):
    other_street = make_area(Area.Kind.STREET, world.district, code="T-02")
    community = make_area(Area.Kind.COMMUNITY, other_street, code="T-02-01")
    far = make_area(Area.Kind.GRID, community, code="T-02-01-01")
    user = make_user("ss_far")
    make_post(world.street, Role.STREET_STAFF, user)
    client.force_login(user)
    assert client.get(f"/area-changes/new/{far.code}/").status_code == 404
    assert client.post(f"/area-changes/new/{far.code}/", {"kind": "retire"}).status_code == 404
    assert client.get("/area-changes/new/NOPE/").status_code == 404
    response = client.get("/area-changes/")
    assert far.code not in [code for code, _name in response.context["grids"]]


def test_the_grid_page_links_to_changes_for_street_staff_only(client, world, street_staff):
    client.force_login(street_staff)
    assert "data-change-link" in client.get(f"/grids/{world.a.grid.code}/").content.decode()
    client.force_login(world.a.stationmaster)
    assert "data-change-link" not in client.get(f"/grids/{world.a.grid.code}/").content.decode()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_on_redis_applies_a_due_change_once(celery_worker_on_redis, world):
    import threading

    from celery.signals import task_postrun
    from django.utils import timezone

    today = timezone.localdate()
    grid, other = world.a.grid, world.a.other_grid
    building = grid.children.get()
    household = make_household(grid, building=building, on=today - datetime.timedelta(days=30))
    make_resident(household, on=today - datetime.timedelta(days=30))
    change = changes.record_area_change(
        AreaChange.Kind.MOVE,
        grid,
        on=today + datetime.timedelta(days=1),
        by=admin(),
        buildings=[building],
        target=other,
    )
    # Its day has come.
    AreaChange.objects.filter(pk=change.pk).update(effective_on=today)

    results = []
    finished = threading.Event()

    def collect(sender=None, retval=None, **kwargs):
        if sender.name == "grids.tasks.apply_area_changes":
            results.append(retval)
            if len(results) == 2:
                finished.set()

    task_postrun.connect(collect, weak=False)
    try:
        apply_area_changes.delay()
        apply_area_changes.delay()
        assert finished.wait(30), f"the worker ran the task {len(results)} times, not 2"
    finally:
        task_postrun.disconnect(collect)

    assert sorted(results) == [0, 1]
    building.refresh_from_db()
    assert building.parent_id == other.pk
    assert HouseholdGrid.objects.filter(household=household).count() == 2
    assert Membership.objects.filter(household=household).count() == 2
