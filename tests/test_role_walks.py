"""Every role, with a post at each kind of area it may stand at, opens every link of its menu
and home page: nothing it is offered answers 403 or 404.

Unlike tests/test_menus.py (the demo data, one account per role), this walks small data made
here, so each (role, kind of area) pair is covered, with incidents of every kind the lists
show to team posts: one they reported, one of public security, one of someone else.
"""

import pytest
from django.urls import reverse

from grids.models import ROLE_AREA_KINDS, Area, Role
from incidents.models import Category, Incident
from tests.factories import make_post, make_user
from tests.incidents.factories import make_incident
from tests.walk import links, walk

PAIRS = [(role, kind) for role in Role for kind in sorted(ROLE_AREA_KINDS[role])]


def _area(world, kind):
    building = world.a.grid.children.get(kind=Area.Kind.BUILDING)
    return {
        Area.Kind.DISTRICT: world.district,
        Area.Kind.STREET: world.street,
        Area.Kind.COMMUNITY: world.a.community,
        Area.Kind.GRID: world.a.grid,
        Area.Kind.BUILDING: building,
        Area.Kind.UNIT: building.children.get(),
    }[kind]


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "kind"), PAIRS, ids=[f"{r}-{k}" for r, k in PAIRS])
def test_every_link_of_the_menu_and_home_page_answers_200(client, world, role, kind):
    user = make_user(f"walker_{role}", language="zh-hans")
    make_post(_area(world, kind), role, user)
    grid = world.a.grid
    make_incident(grid, user, source=Incident.Source.TEAM)
    # The default public-security category (a data migration's, made again when an earlier
    # transactional test emptied the table).
    security, _created = Category.objects.update_or_create(
        code="security", defaults={"name": "治安隐患", "is_public_security": True}
    )
    make_incident(grid, world.a.grid_member, category=security)
    make_incident(grid, world.a.grid_member)
    client.force_login(user)

    pages = walk(client)

    refused = [
        f"{url} ({', '.join(sorted(page.found_on))}) answers {page.status}"
        for url, page in pages.items()
        if page.status != 200
    ]
    assert not refused, "\n".join(refused)
    menu = {url for url, page in pages.items() if "menu" in page.found_on}
    # Every role reports matters and follows its incidents.
    assert {reverse("incidents:report"), reverse("incidents:list")} <= menu
    # So does every incident its list offers, in each of its tabs.
    incidents = pages[reverse("incidents:list")]
    tabs = [url for url in links(incidents.html, incidents.url)[1] if "view=" in url]
    offered = {
        url
        for tab in [incidents.url, *tabs]
        for url in links(client.get(tab).content.decode(), tab)[1]
        if url.startswith("/incidents/20")
    }
    assert offered
    assert [url for url in offered if client.get(url).status_code != 200] == []
