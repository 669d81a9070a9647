"""A form sent twice at once (a double click, a resend after a timeout) makes one row, and
two people registering the same ID number at once make one current resident. Real threads,
each with its own database connection and client, as in tests/incidents/test_race.py."""

import datetime
import re

import pytest
from django.db import connection
from django.test import Client

from grids.models import Household, Resident
from tests.conftest import missing_service
from tests.factories import make_household, make_id_number
from tests.grids.test_register import resident_post
from tests.incidents.test_race import run_together

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ROUNDS = 8


@pytest.fixture(autouse=True)
def _postgresql():
    if connection.vendor != "postgresql":
        missing_service("SQLite serialises writers, so threads cannot race: needs PostgreSQL")


def token_on(page, name):
    """The one-time token in the page's form field `name`."""
    found = re.search(rf'name="{name}" value="([0-9a-f-]{{36}})"', page.content.decode())
    assert found, f"no {name} on the page"
    return found.group(1)


def post_as(user, url, data):
    def call():
        client = Client()
        client.force_login(user)
        return client.post(url, data)

    return call


def test_a_household_form_sent_twice_at_once_registers_one_household(client, world):
    member = world.a.grid_member
    url = f"/grids/{world.a.grid.code}/households/new/"
    client.force_login(member)
    for round_ in range(ROUNDS):
        token = token_on(client.get(url), "h-once")
        address = f"新路{round_}号"
        data = {
            "h-address": address,
            "h-housing": "owner",
            "h-once": token,
            "resident_rows": 1,
            **resident_post(
                "r0", id_number=make_id_number(datetime.date(1980, 1, 1), serial=round_)
            ),
        }
        outcomes = run_together(post_as(member, url, data), post_as(member, url, data))
        (household,) = Household.objects.filter(address=address)
        assert [o.status_code for o in outcomes] == [302, 302], f"round {round_}: {outcomes}"
        assert {o["Location"] for o in outcomes} == {household.get_absolute_url()}
        assert household.residents.count() == 1


def test_the_same_form_sent_again_later_shows_what_it_made(client, world):
    client.force_login(world.a.grid_member)
    url = f"/grids/{world.a.grid.code}/households/new/"
    token = token_on(client.get(url), "h-once")
    data = {"h-address": "旧路1号", "h-housing": "owner", "h-once": token, "resident_rows": 0}
    first = client.post(url, data)
    again = client.post(url, data, follow=True)
    household = Household.objects.get(address="旧路1号")
    assert first["Location"] == household.get_absolute_url()
    assert again.redirect_chain == [(household.get_absolute_url(), 302)]
    assert "This form was already sent" in again.content.decode()
    # A fresh page has a fresh token.
    assert token_on(client.get(url), "h-once") != token


def test_a_resident_form_sent_twice_at_once_adds_one_resident(client, world):
    member = world.a.grid_member
    household = make_household(world.a.grid, address="新路9号")
    url = f"/households/{household.pk}/residents/new/"
    client.force_login(member)
    for round_ in range(ROUNDS):
        token = token_on(client.get(url), "once")
        id_number = make_id_number(datetime.date(1985, 5, 5), serial=round_)
        data = {**{k[3:]: v for k, v in resident_post("r0", id_number=id_number).items()}}
        data["once"] = token
        outcomes = run_together(post_as(member, url, data), post_as(member, url, data))
        assert [o.status_code for o in outcomes] == [302, 302], f"round {round_}: {outcomes}"
        assert Resident.objects.filter(id_number=id_number).count() == 1


def test_two_people_registering_one_id_number_at_once_make_one_resident(world):
    """Two different forms (two tabs, two people): the second is told, not a second row."""
    url = f"/grids/{world.a.grid.code}/households/new/"
    for round_ in range(ROUNDS):
        id_number = make_id_number(datetime.date(1970, 7, 7), serial=round_)

        data = [
            {
                "h-address": f"同号路{round_}-{n}",
                "h-housing": "owner",
                "resident_rows": 1,
                **resident_post("r0", id_number=id_number),
            }
            for n in (1, 2)
        ]
        outcomes = run_together(
            post_as(world.a.grid_member, url, data[0]), post_as(world.a.grid_leader, url, data[1])
        )
        assert sorted(o.status_code for o in outcomes) == [200, 302], f"round {round_}"
        assert Resident.objects.current().filter(id_number=id_number).count() == 1
        assert Household.objects.filter(address__startswith=f"同号路{round_}-").count() == 1
        refused = next(o for o in outcomes if o.status_code == 200)
        # Told in the form: checked after the other committed, or refused by the database.
        body = refused.content.decode()
        assert "This ID number is" in body or "Someone registered this ID number" in body
