import datetime
import hashlib
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Q
from django.utils import timezone

from grids.identity import birth_date_from_id, validate_id_number
from grids.models import (
    Area,
    Household,
    Membership,
    Post,
    Rental,
    Resident,
    Role,
    Tag,
    User,
)


def snapshot():
    residents = Resident.objects.order_by("id_number").values_list(
        "id_number",
        "name",
        "sex",
        "birth_date",
        "relation",
        "population",
        "moved_in_on",
        "moved_out_on",
        "household__address",
        "household__room",
    )
    digest = hashlib.sha256(repr(list(residents)).encode()).hexdigest()
    return (
        list(Area.objects.order_by("code").values_list("code", "name", "community_kind")),
        list(User.objects.order_by("username").values_list("username", "full_name", "phone")),
        digest,
    )


def delete_demo_data():
    from care.models import Visit
    from incidents.models import Extension, Handover, Incident, IncidentCounter, TimelineEntry
    from meetings.models import GridReport, Meeting, MeetingSeries
    from notifications.models import Notification
    from patrols.models import Instruction, KeyPoint, MissedPatrol, Observation, Patrol
    from places.models import Place, PlaceCheck, PlaceIncident

    GridReport.objects.all().delete()
    for model in (PlaceIncident, PlaceCheck, Place):
        model.objects.all().delete()
    Visit.objects.all().delete()  # with their needs
    Meeting.objects.all().delete()  # with their participants, agenda and action items
    MeetingSeries.objects.all().delete()
    Notification.objects.all().delete()
    for model in (TimelineEntry, Handover, Extension, Incident.parties.through):
        model.objects.all().delete()
    Incident.objects.all().delete()
    IncidentCounter.objects.all().delete()
    for model in (Observation, Instruction, Patrol, MissedPatrol, KeyPoint):
        model.objects.all().delete()
    Membership.objects.all().delete()
    Rental.tenants.through.objects.all().delete()
    Rental.objects.all().delete()
    Resident.tags.through.objects.all().delete()
    Resident.objects.all().delete()
    Household.objects.all().delete()
    Tag.objects.all().delete()
    Post.objects.all().delete()
    User.objects.all().delete()
    for kind in reversed(Area.Kind.values):
        Area.objects.filter(kind=kind).delete()


@pytest.mark.django_db
def test_seed_demo_builds_two_communities_with_full_teams(tmp_path):
    out = tmp_path / "accounts.json"
    call_command("seed_demo", "--seed", "7", "--accounts-json", str(out))
    assert Area.objects.filter(kind="district").count() == 1
    assert Area.objects.filter(kind="street").count() == 1
    assert Area.objects.filter(kind="community").count() == 2
    assert Area.objects.filter(kind="grid").count() == 16
    assert Area.objects.filter(kind="building").count() >= 16 * 6
    # Every post has an A and a B holder.
    assert not Post.objects.filter(holder_b__isnull=True).exists()
    accounts = json.loads(out.read_text())
    assert all(set(a) == {"username", "password", "role", "area"} for a in accounts)
    communities = Area.objects.filter(kind="community").order_by("code")
    for community in communities:
        roles = {a["role"] for a in accounts if a["area"].startswith(community.code)}
        expected = {r.value for r in Role} - {Role.DISTRICT_STAFF, Role.STREET_STAFF}
        assert roles == expected, community.code
    # The printed logins work.
    for account in accounts:
        assert User.objects.get(username=account["username"]).check_password(account["password"])
    # The monthly review invites every building leader and the community police too.
    from meetings.models import Meeting, MeetingSeries

    for series in MeetingSeries.objects.filter(kind="monthly").select_related("community"):
        under = Post.objects.filter(area__path__startswith=series.community.path)
        for role in (Role.BUILDING_LEADER, Role.COMMUNITY_POLICE):
            assert set(series.posts.filter(role=role)) == set(under.filter(role=role)), role
        meeting = Meeting.objects.filter(series=series).first()
        assert meeting.participants.filter(post__role=Role.BUILDING_LEADER).exists()
    weekly = MeetingSeries.objects.filter(kind="weekly").first()
    assert not weekly.posts.filter(role=Role.BUILDING_LEADER).exists()


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_data(settings):
    call_command("seed_demo", "--seed", "3", stdout=io.StringIO())
    first = snapshot()
    settings.SIMPLE_HISTORY_ENABLED = False  # no history rows for the deletions
    delete_demo_data()
    call_command("seed_demo", "--seed", "3", stdout=io.StringIO())
    assert snapshot() == first


@pytest.mark.django_db
def test_seed_demo_fills_every_grid_with_a_household_register():
    call_command("seed_demo", "--seed", "5", stdout=io.StringIO())
    today = timezone.localdate()
    grids = Area.objects.grids().annotate(
        household_count=Count("households", distinct=True),
        resident_count=Count("households__residents"),
    )
    assert len(grids) == 16
    for grid in grids:
        assert 180 <= grid.household_count <= 220, grid.code
        assert 800 <= grid.resident_count <= 1200, grid.code
    # The housing mix: mostly owner-occupied, about a fifth rented, and vacant homes empty.
    housing = dict(Household.objects.values_list("housing").annotate(n=Count("id")))
    total = sum(housing.values())
    assert housing[Household.Housing.OWNER_OCCUPIED] > total * 0.6
    assert total * 0.15 < housing[Household.Housing.RENTED] < total * 0.25
    assert housing[Household.Housing.COLLECTIVE] and housing[Household.Housing.VACANT]
    assert not Resident.objects.filter(household__housing=Household.Housing.VACANT).exists()
    # Households sit in a building and unit of their own grid, one per room.
    assert not Household.objects.exclude(building__parent=F("grid"), unit__parent=F("building"))
    rooms = Household.objects.values("unit", "room").annotate(n=Count("id")).filter(n__gt=1)
    assert not rooms.exists()

    residents = Resident.objects.count()
    floating = Resident.objects.floating().count()
    assert 0.15 < floating / residents < 0.25
    assert Resident.objects.floating().filter(relation=Resident.Relation.TENANT).count() > (
        floating / 2
    )
    assert Resident.objects.filter(moved_out_on__isnull=False).exists()
    assert Resident.objects.filter(relation=Resident.Relation.HEAD).count() > total * 0.7

    # One stay per resident, the same as the resident.
    assert Membership.objects.count() == residents
    assert not Resident.objects.annotate(n=Count("memberships")).exclude(n=1).exists()
    assert not Membership.objects.exclude(
        household=F("resident__household"),
        grid=F("household__grid"),
        population=F("resident__population"),
        moved_in_on=F("resident__moved_in_on"),
    ).exists()
    assert not Membership.objects.exclude(
        Q(moved_out_on=F("resident__moved_out_on"))
        | Q(moved_out_on__isnull=True, resident__moved_out_on__isnull=True)
    ).exists()
    assert not Membership.objects.filter(moved_out_on__lt=F("moved_in_on")).exists()

    # Valid, unique ID numbers that agree with the birth date and sex.
    people = list(Resident.objects.values_list("id_number", "birth_date", "sex"))
    for id_number, birth_date, sex in people:
        validate_id_number(id_number)
        assert birth_date_from_id(id_number) == birth_date
        assert int(id_number[16]) % 2 == (1 if sex == Resident.Sex.MALE else 0)
        assert birth_date <= today
    assert len({p[0] for p in people}) == len(people)
    phones = Resident.objects.exclude(phone="").values_list("phone", flat=True)
    assert all(len(p) == 11 and p.startswith("1") and p.isdigit() for p in phones)

    # Rentals for rented homes, their tenants the home's tenants; some end within 30 days,
    # some have ended.
    rentals = Rental.objects.all()
    assert not rentals.exclude(household__housing=Household.Housing.RENTED).exists()
    assert not Rental.tenants.through.objects.exclude(
        resident__household=F("rental__household"), resident__relation=Resident.Relation.TENANT
    ).exists()
    rented = Household.objects.filter(housing=Household.Housing.RENTED)
    assert not rented.exclude(rentals__isnull=False).exists()
    soon = today + datetime.timedelta(days=30)
    assert rentals.filter(ends_on__gte=today, ends_on__lte=soon).count() >= 10
    assert rentals.filter(ends_on__lt=today).exists()
    assert rentals.filter(is_reported_to_police=True).count() > rentals.count() * 0.8

    # Tags: care tags for a few percent, attention tags for a few.
    assert set(Tag.objects.values_list("name", flat=True)) == {
        "独居老人",
        "残疾人",
        "低保户",
        "留守儿童",
        "退役军人",
        "社区矫正",
        "重点关注",
        # The usual tags care's migration adds with their visit rules.
        "刑满释放人员",
        "吸毒人员",
        "严重精神障碍患者",
    }
    cared = Resident.objects.filter(tags__kind=Tag.Kind.CARE).distinct().count()
    watched = Resident.objects.filter(tags__kind=Tag.Kind.ATTENTION).distinct().count()
    assert 0.01 < cared / residents < 0.06
    assert 0 < watched / residents < 0.02
    alone = Resident.objects.filter(tags__name="独居老人")
    assert alone.exists()
    assert not alone.filter(birth_date__gt=today - datetime.timedelta(days=65 * 365)).exists()


@pytest.mark.django_db
@pytest.mark.django_db
def test_seed_demo_adds_two_months_of_patrols_with_a_realistic_mix():
    from patrols.models import Instruction, MissedPatrol, Patrol

    call_command("seed_demo", "--seed", "5", stdout=io.StringIO())
    patrols = Patrol.objects.all()
    closed = patrols.exclude(status="in_progress").count()
    # From the first of the month before last to today, at most two windows a day.
    today = timezone.localdate()
    first = (today.replace(day=1) - datetime.timedelta(days=32)).replace(day=1)
    days = (today - first).days + 1
    assert patrols.filter(day__lt=first).count() == 0
    assert patrols.filter(day=first).exists()
    # Every window up to now has a patrol or a missed-window record; today's later ones not.
    windows_seen = patrols.count() + MissedPatrol.objects.count()
    assert 16 * 2 * (days - 1) <= windows_seen <= 16 * 2 * days
    assert patrols.filter(is_short=True).count() / closed < 0.2
    assert patrols.filter(status="approved").count() / closed > 0.6
    assert patrols.filter(status="returned").exists()
    assert 0 < MissedPatrol.objects.count() < 0.1 * patrols.count()
    # A missed window has no patrol.
    for missed in MissedPatrol.objects.all()[:20]:
        assert not patrols.filter(grid=missed.grid, day=missed.day, slot=missed.slot).exists()
    assert Instruction.objects.open().count() == 6


def test_seed_demo_refuses_a_database_with_data_unless_told(world):
    with pytest.raises(CommandError):
        call_command("seed_demo")
    call_command("seed_demo", "--if-empty", stdout=io.StringIO())
    assert Area.objects.filter(kind="district").count() == 1


@pytest.mark.django_db
def test_seed_demo_adds_a_year_of_incidents_with_a_realistic_mix():
    from incidents.models import Incident, IncidentCounter, TimelineEntry

    call_command("seed_demo", "--seed", "5", stdout=io.StringIO())
    now = timezone.now()
    incidents = Incident.objects.all()
    total = incidents.count()
    assert 16 * 66 <= total <= 16 * 90  # about 1.5 a grid a week, for a year
    assert incidents.filter(filed_at__lt=now - datetime.timedelta(days=300)).exists()
    assert not incidents.filter(filed_at__gt=now).exists()
    # Every category the migration made is used.
    assert incidents.values("category").distinct().count() == 9

    # Most are closed, mostly to the resident's satisfaction.
    closed = incidents.filter(status=Incident.Status.CLOSED)
    assert closed.count() > total * 0.9
    assert closed.filter(satisfaction="satisfied").count() > closed.count() * 0.6
    assert not closed.filter(Q(satisfaction="") | Q(closed_at__isnull=True)).exists()
    # A few of the last three months are still open, in many states.
    recent = incidents.filter(filed_at__gte=now - datetime.timedelta(days=90))
    open_ = recent.open()
    assert 0.02 < open_.count() / recent.count() < 0.15
    assert not incidents.open().filter(filed_at__lt=now - datetime.timedelta(days=90)).exists()
    assert open_.values("status").distinct().count() >= 8
    overdue = open_.filter(deadline_at__lte=now, paused_at__isnull=True)
    assert overdue.exists()
    assert not overdue.filter(escalation_level=0).exists()
    assert open_.filter(paused_at__isnull=False).exists()
    assert incidents.filter(status=Incident.Status.REFERRED).exclude(referred_to="").exists()
    assert incidents.filter(status=Incident.Status.ESCALATED).exists()
    # Disputes have two parties of their grid, and the mediation.
    disputes = incidents.filter(category__is_dispute=True)
    assert disputes.exists()
    assert not disputes.annotate(n=Count("parties")).exclude(n=2).exists()
    assert not disputes.exclude(parties__household__grid=F("grid")).exists()
    assert not disputes.filter(status=Incident.Status.CLOSED, mediation="").exists()
    # Petitions and unstable information are sensitive, and only they are.
    assert incidents.filter(category__code="petition").exists()
    assert not incidents.exclude(is_sensitive=F("category__is_sensitive")).exists()
    # The reporter is the grid member, first-responsible too; the handler works the grid.
    assert not incidents.exclude(first_responsible=F("reported_by")).exists()
    assert (
        not incidents.exclude(handler__isnull=True)
        .exclude(Q(handler__posts_as_a__area=F("grid")))
        .exists()
    )
    # Every incident's timeline starts with its report and leads to its state.
    assert TimelineEntry.objects.filter(action="report").count() == total
    for incident in incidents.exclude(status=Incident.Status.REPORTED)[:200]:
        steps = incident.timeline.exclude(to_status="")
        assert steps.last().to_status == incident.status, incident.number
    # Numbers run in filing order, and later filings continue them.
    numbers = list(incidents.order_by("filed_at", "pk").values_list("number", flat=True))
    assert len(set(numbers)) == total
    by_year = {}
    for number in numbers:
        year, n = number.split("-")
        assert int(n) > by_year.get(year, 0)
        by_year[year] = int(n)
    for year, last in by_year.items():
        assert IncidentCounter.objects.get(year=int(year)).last == last
