"""The role x area matrix: every account, every object address of every area outside its
scope, answers as if the object did not exist.

The accounts are personas of tests/conftest.py (the district officer, the outsider, and in
each community its stationmaster, the first grid's leader and member) plus a member of each
community's second grid and a building leader in community A's first grid (whose scope is
his building: every object of the grid outside it, his own grid's included, is a 404).
The areas are the two grids of each community: in each, tests/security/objects.py makes one
object per URL parameter (households, residents, patrols, observations with their photo,
incidents, reports with their PDF, the register's XLSX export, imports with their XLSX
report, meetings, the calendar feed, team posts ...). For every account and every area that
its scope does not reach, every address of those objects is opened three ways: a GET, the
same GET as an htmx request (the fragment), and a POST. Each must be a 404, as for an object
that does not exist; a 403 is accepted only where the app answers 403 for an object that
does not exist too (a role check that comes before any lookup, so it tells nothing about the
object). A method the address refuses before any lookup (a 405 for an object that does not
exist) is not sent.

Addresses of objects that belong to a community rather than a grid (its team page, meetings,
the calendar feed, the community's XLSX) are in the matrix for the accounts of the other
community, not for the other grid of the same community, whose people may see them.
"""

from types import SimpleNamespace

import pytest
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import reverse

from grids.models import Area, Role
from grids.scope import Scope
from tests.conftest import build_world
from tests.factories import make_post, make_user
from tests.security.objects import SKIPPED_NAMESPACES, named_patterns, object_urls

pytestmark = pytest.mark.django_db

# Parameters that name something of a community, not of one of its grids.
COMMUNITY_PARAMETERS = {
    "community_code",
    "area_code",
    "meeting_id",
    "series_id",
    "agenda_item_id",
    "action_item_id",
}
# The calendar feed's token is a key, not an area: tests/test_url_isolation.py makes a
# retired one, a 404 for everybody.
NONEXISTENT = {"int": 2_147_483_647, "str": "NO-SUCH-THING", "slug": "no-such-token"}


def _second_grid_team(side, letter):
    """A leader and a member of the side's second grid."""
    leader = make_user(f"gl2_{letter}", full_name=f"Leader 2 {letter.upper()}")
    make_post(side.other_grid, Role.GRID_LEADER, leader)
    member = make_user(f"gm2_{letter}", full_name=f"Member 2 {letter.upper()}")
    make_post(side.other_grid, Role.GRID_MEMBER, member, make_user(f"gm2_{letter}_b"))
    return leader, member


def _building_leader(side, letter):
    """A leader of the building of the side's first grid: his scope is that building only."""
    leader = make_user(f"bl_{letter}", full_name=f"Building leader {letter.upper()}")
    make_post(side.grid.children.get(kind=Area.Kind.BUILDING), Role.BUILDING_LEADER, leader)
    return leader


@pytest.fixture(scope="module")
def matrix(django_db_setup, django_db_blocker):
    """(accounts {name: user}, areas [(name, grid, community, {view: url}, {view: params})])."""
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), transaction.atomic(), fast:
        name = connection.settings_dict["NAME"]
        in_memory = connection.vendor == "sqlite" and connection.creation.is_in_memory_db(name)
        assert str(name).startswith("test_") or in_memory, "not a test database"
        world = build_world()
        accounts = {"district_officer": world.district_officer, "outsider": world.outsider}
        areas = []
        accounts["building_leader_a"] = _building_leader(world.a, "a")
        for letter, side in (("a", world.a), ("b", world.b)):
            leader2, member2 = _second_grid_team(side, letter)
            accounts |= {
                f"stationmaster_{letter}": side.stationmaster,
                f"grid_leader_{letter}": side.grid_leader,
                f"grid_member_{letter}": side.grid_member,
                f"second_grid_member_{letter}": member2,
            }
            for which, grid, member, leader in (
                ("grid 1", side.grid, side.grid_member, side.grid_leader),
                ("grid 2", side.other_grid, member2, leader2),
            ):
                shaped = SimpleNamespace(
                    b=SimpleNamespace(
                        community=side.community,
                        grid=grid,
                        grid_member=member,
                        grid_leader=leader,
                        stationmaster=side.stationmaster,
                    )
                )
                urls, _values = object_urls(shaped)
                areas.append((f"{letter.upper()} {which}", grid, side.community, urls))
        yield accounts, areas
        transaction.set_rollback(True)


def object_patterns():
    """{view name: parameter names} of the patterns that take an object."""
    return {name: params for name, params in named_patterns() if params}


def nonexistent_url(name, params):
    """The pattern's address with objects that do not exist."""
    kwargs = {}
    for param in params:
        kind = "int" if param.endswith("_id") else "slug" if param == "token" else "str"
        kwargs[param] = NONEXISTENT[kind]
    return reverse(name, kwargs=kwargs)


METHODS = {
    "GET": lambda client, url: client.get(url),
    "htmx GET": lambda client, url: client.get(url, headers={"HX-Request": "true"}),
    "POST": lambda client, url: client.post(url),
}


def answers(client, url, methods=METHODS):
    """{method: status}; whatever a request changes is rolled back."""
    statuses = {}
    for method in methods:
        with transaction.atomic():
            statuses[method] = METHODS[method](client, url).status_code
            transaction.set_rollback(True)
    return statuses


def test_no_account_reaches_an_object_of_an_area_outside_its_scope(matrix):
    accounts, areas = matrix
    patterns = object_patterns()
    assert {"grids:household", "patrols:observation_photo", "meetings:report_pdf"} <= set(
        patterns
    ), "the walk of the URLconf finds the object views"
    baseline = {}
    leaks, cells, requests = [], 0, 0
    client = Client()
    for account, user in sorted(accounts.items()):
        scope = Scope(user)
        client.force_login(user)
        for area, grid, community, urls in areas:
            if scope.contains(grid):
                continue
            same_community = scope.contains(community) or any(
                post.area.path.startswith(community.path) for post in scope.posts
            )
            for name, params in sorted(patterns.items()):
                if name.split(":")[0] in SKIPPED_NAMESPACES:
                    continue
                if same_community and COMMUNITY_PARAMETERS & set(params):
                    continue
                if "building_code" in params and scope.contains(
                    grid.children.get(kind=Area.Kind.BUILDING)
                ):
                    continue  # the grid's building is his own: the list is his to read
                # What an object that does not exist gets depends only on the account's roles.
                key = (frozenset(post.role for post in scope.posts), name)
                if key not in baseline:
                    baseline[key] = answers(client, nonexistent_url(name, params))
                none = baseline[key]
                # A method refused before any lookup (405) says nothing about any object.
                methods = [method for method, status in none.items() if status != 405]
                got = answers(client, urls[name], methods)
                cells += 1
                requests += len(methods)
                for method, status in got.items():
                    if status != 404 and not (status == 403 and none[method] == 403):
                        leaks.append(
                            f"{account} {method} {urls[name]} ({name}, {area}): {status}, "
                            f"an object that does not exist: {none[method]}"
                        )
    print(
        f"\narea matrix: {len(accounts)} accounts x {len(areas)} areas, {cells} (account, "
        f"address) cells outside scope, {requests} requests, {len(leaks)} leaks"
    )
    assert cells > len(accounts) * 20
    assert not leaks, "\n".join(leaks)
