"""Observations and instructions are made once: an observation is refused without the id its
phone (or its form) gives it, and an instruction form sent twice at once issues one."""

import uuid

import pytest
from django.db import connection

from patrols.models import Instruction, Observation
from tests.conftest import missing_service
from tests.grids.test_double_submit import post_as, token_on
from tests.incidents.test_race import run_together
from tests.patrols.test_patrol_flow import start


def test_an_observation_without_its_id_is_refused_with_a_reason(client, world):
    client.force_login(world.a.grid_member)
    patrol = start(client, world)
    url = f"/patrols/{patrol.pk}/observations/"
    for _ in range(2):
        response = client.post(
            url,
            {"category": "security", "text": "路灯坏了"},
            headers={"Accept": "application/json"},
        )
        assert response.status_code == 400
        assert set(response.json()["errors"]) == {"client_id"}
    assert not Observation.objects.exists()


def test_the_observation_form_on_the_page_carries_an_id_and_sending_it_twice_stores_one(
    client, world
):
    client.force_login(world.a.grid_member)
    patrol = start(client, world)
    client_id = token_on(client.get(f"/patrols/{patrol.pk}/"), "client_id")
    uuid.UUID(client_id)
    data = {"category": "security", "text": "路灯坏了", "client_id": client_id}
    for _ in range(2):
        client.post(f"/patrols/{patrol.pk}/observations/", data)
    assert Observation.objects.get().client_id == uuid.UUID(client_id)


@pytest.mark.django_db(transaction=True)
def test_an_instruction_form_sent_twice_at_once_issues_one(client, world):
    if connection.vendor != "postgresql":
        missing_service("SQLite serialises writers, so threads cannot race: needs PostgreSQL")
    url = "/patrols/instructions/new/"
    boss = world.a.stationmaster
    client.force_login(boss)
    for round_ in range(8):
        text = f"核实流动人口 {round_}"
        data = {
            "grid": world.a.grid.pk,
            "text": text,
            "due_on": "2099-01-01",
            "once": token_on(client.get(url), "once"),
        }
        outcomes = run_together(post_as(boss, url, data), post_as(boss, url, data))
        assert [o.status_code for o in outcomes] == [302, 302], f"round {round_}: {outcomes}"
        assert Instruction.objects.filter(text=text).count() == 1
