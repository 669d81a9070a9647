"""Every URL pattern that takes an object's id or code must 404 for a user of the other
community. New views are covered by construction: a parameter this test does not know
fails it, so whoever adds a view names the object that stands behind its parameter here."""

import datetime

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from grids.models import Transfer
from incidents.models import Category
from incidents.services import open_incident
from meetings.models import GridReport
from notifications.services import notify
from patrols.models import Instruction, Observation, Patrol
from tests.factories import make_household, make_resident


def b_patrol(world):
    return Patrol.objects.create(
        grid=world.b.grid,
        member=world.b.grid_member,
        day="2026-11-28",
        slot="am",
        started_at="2026-11-28T00:30:00Z",
        status="submitted",
    )


def b_incident(world):
    category = Category.objects.get_or_create(code="walk", defaults={"name": "walk"})[0]
    return open_incident(
        grid=world.b.grid,
        category=category,
        by=world.b.grid_member,
        title="B only",
        source="patrol",
    )


def b_meeting(world):
    """A Monday meeting of community B: the one already made, when several parameters ask."""
    from meetings.models import Meeting
    from tests.incidents.factories import local
    from tests.meetings.test_agenda import make_meeting

    day = datetime.date(2099, 1, 5)
    made = Meeting.objects.filter(community=world.b.community, scheduled_on=day).first()
    return made or make_meeting(world.b.community, local(day, 9))


def b_retired_feed_token(world):
    """A calendar-feed token B had and replaced. The feed needs no login (a phone fetches
    it), so a valid token answers whoever holds it: the token is the key, not a scope. What
    the walk can check is that a replaced (or wrong) token is gone for everybody."""
    from meetings.feed import renew_feed

    old = renew_feed(world.b.grid_member).token
    renew_feed(world.b.grid_member)
    return old


# How to find, for each URL parameter, an object that belongs to community B.
PARAMETERS = {
    "grid_code": lambda world, b: world.b.grid.code,
    # A building of B's grid (the households list of a building or unit leader).
    "building_code": lambda world, b: world.b.grid.children.get(kind="building").code,
    "community_code": lambda world, b: world.b.community.code,
    "notification_id": lambda world, b: b["notification"].pk,
    "household_id": lambda world, b: b["resident"].household_id,
    "resident_id": lambda world, b: b["resident"].pk,
    "import_id": lambda world, b: world.b.grid_member.import_jobs.create(file="imports/b.xlsx").pk,
    "instruction_id": lambda world, b: (
        Instruction.objects.create(
            grid=world.b.grid, text="B only", due_on="2099-01-01", issued_by=world.b.stationmaster
        ).pk
    ),
    "patrol_id": lambda world, b: b_patrol(world).pk,
    "incident_number": lambda world, b: b["incident"].number,
    "step_name": lambda world, b: "verify",
    "extension_id": lambda world, b: (
        b["incident"]
        .extensions.create(hours=1, reason="B only", requested_by=world.b.grid_member)
        .pk
    ),
    "handover_id": lambda world, b: (
        b["incident"]
        .handovers.create(from_user=world.b.grid_member, to_user=world.b.grid_leader)
        .pk
    ),
    # With a photo on record: were scope skipped, opening the missing file would not be a 404.
    "resident_photo_id": lambda world, b: b_resident_photo(world, b).pk,
    "observation_id": lambda world, b: (
        Observation.objects.create(
            patrol=b_patrol(world), category="other", text="B only", photo="observations/b.jpg"
        ).pk
    ),
    # A submitted one: its page, PDF, refresh and return all answer for someone in scope.
    "report_id": lambda world, b: (
        GridReport.objects.create(
            grid=world.b.grid, month="2026-11-01", status="submitted", public_security="B only"
        ).pk
    ),
    # Meetings: a Monday meeting of community B (with B's participants), its agenda and
    # action items.
    "meeting_id": lambda world, b: b_meeting(world).pk,
    # Community B's monthly review series.
    "series_id": lambda world, b: (
        b_meeting(world).series.community.meeting_series.get_or_create(kind="monthly")[0].pk
    ),
    "agenda_item_id": lambda world, b: (
        b_meeting(world).agenda.create(position=1, source="other", text="B only").pk
    ),
    "action_item_id": lambda world, b: (
        b_meeting(world)
        .action_items.create(
            text="B only",
            owner=world.b.grid_leader,
            due_on="2099-01-08",
            grid=world.b.grid,
            created_by=world.b.stationmaster,
        )
        .pk
    ),
    # The team page: an absence, a post and a person of community B.
    "absence_id": lambda world, b: (
        world.b.grid_member.absences.create(
            starts_on="2099-01-01", ends_on="2099-01-02", reason="leave"
        ).pk
    ),
    "post_id": lambda world, b: world.b.grid_member.posts_as_a.get().pk,
    "user_id": lambda world, b: world.b.grid_member.pk,
    # The calendar feed (no login; see b_retired_feed_token).
    "token": lambda world, b: b_retired_feed_token(world),
    # The district report's export: any area (district, street, community, grid) by code.
    "area_code": lambda world, b: world.b.community.code,
    # A move of one of B's residents, waiting for B's station: neither end is A's.
    "transfer_id": lambda world, b: (
        Transfer.objects.create(
            resident=b["resident"],
            from_household=b["resident"].household,
            to_community=world.b.community,
            moves_on="2099-01-01",
            requested_by=world.b.stationmaster,
        ).pk
    ),
    # A visit to a person under care in B's grid, with a photo on record (see
    # observation_id).
    "visit_id": lambda world, b: b_visit(world, b).pk,
    # A place of B's grid, and a check of it with a photo on record (see observation_id).
    "place_id": lambda world, b: b_place(world).pk,
    "check_id": lambda world, b: (
        b_place(world)
        .checks.create(
            checked_on="2026-11-28",
            outcome="passed",
            checked_by=world.b.grid_member,
            photo="place-checks/b.jpg",
        )
        .pk
    ),
}


def b_cared_resident(world):
    from tests.care.factories import usual_tag

    resident = make_resident(make_household(world.b.grid))
    resident.tags.add(usual_tag("独居老人"))
    return resident


def b_visit(world, b):
    """A visit to B's resident (under a visit rule: see b_cared_resident)."""
    from care.models import Visit

    return Visit.objects.create(
        resident=b["resident"],
        grid=world.b.grid,
        visited_on="2026-11-28",
        visited_by=world.b.grid_member,
        outcome="well",
        photo="visits/b.jpg",
    )


def b_resident_photo(world, b):
    """A photo a resident sent with a matter of B's grid (see observation_id)."""
    from residents.models import ResidentMatter, ResidentPhoto
    from residents.services import channel_for

    matter = ResidentMatter.objects.create(
        incident=b["incident"], channel=channel_for(world.b.grid), place="B"
    )
    return ResidentPhoto.objects.create(matter=matter, image="residents/b.jpg")


def b_place(world):
    """A place of B's grid: the one already made, when several parameters ask."""
    from places.models import Place

    return Place.objects.filter(grid=world.b.grid).first() or Place.objects.create(
        grid=world.b.grid, name="B only", kind="shop", address="B", next_check_on="2099-01-01"
    )


SKIPPED_NAMESPACES = {"admin"}  # Django admin: staff only, with its own permissions.


def walk(resolver, namespace=""):
    """Yield (name, parameter names) for every named pattern that takes parameters."""
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            child = entry.namespace or ""
            if child in SKIPPED_NAMESPACES:
                continue
            nested = ":".join(filter(None, [namespace, child]))
            for name, params in walk(entry, nested):
                outer = list(getattr(entry.pattern, "converters", {}))
                yield name, outer + params
        elif isinstance(entry, URLPattern) and entry.name:
            params = list(getattr(entry.pattern, "converters", {}))
            if params:
                yield ":".join(filter(None, [namespace, entry.name])), params


def parameterised_patterns():
    return sorted(set((name, tuple(params)) for name, params in walk(get_resolver())))


def test_the_walk_finds_the_object_views():
    names = {name for name, _ in parameterised_patterns()}
    assert {"grids:detail", "notifications:open"} <= names


@pytest.mark.parametrize("name,params", parameterised_patterns())
def test_a_user_of_the_other_community_gets_404(client, world, name, params):
    b_objects = {
        "notification": notify([world.b.grid_member], key="walk", title="For B only")[0],
        # Under a visit rule, so the care pages of the person exist for B.
        "resident": b_cared_resident(world),
        "incident": b_incident(world),
    }
    unknown = [p for p in params if p not in PARAMETERS]
    assert not unknown, f"{name}: add {unknown} to PARAMETERS in {__file__}"
    url = reverse(name, kwargs={p: PARAMETERS[p](world, b_objects) for p in params})

    for user in (world.a.stationmaster, world.a.grid_member):
        client.force_login(user)
        statuses = {method: getattr(client, method)(url).status_code for method in ("get", "post")}
        assert set(statuses.values()) <= {404, 405}, f"{user} {url}: {statuses}"
        assert 404 in statuses.values(), f"{user} {url}: {statuses}"
