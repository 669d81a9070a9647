"""The patrol log's four checks (changes found, problems found, demands collected, disputes
eased): answered on submit, stored on the patrol and linked to what the patrol recorded; a log
with all four "none" and nothing observed is accepted and flagged for the stationmaster."""

import datetime
import uuid

import pytest
import time_machine

from patrols.models import Instruction, Patrol, PatrolCheck
from tests.factories import make_household, make_resident

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
DAY = datetime.date(2026, 11, 28)


def at(hour, minute=0):
    return datetime.datetime(2026, 11, 28, hour, minute, tzinfo=SHANGHAI)


def start(client, world):
    with time_machine.travel(at(8, 30), tick=False):
        client.post("/patrols/start/", {"grid": world.a.grid.code})
    return Patrol.objects.get(member=world.a.grid_member, status="in_progress")


def observe(client, patrol, category, text):
    with time_machine.travel(at(9), tick=False):
        response = client.post(
            f"/patrols/{patrol.pk}/observations/",
            {"category": category, "text": text, "client_id": str(uuid.uuid4())},
        )
    assert response.status_code == 302
    return patrol.observations.get(text=text)


def submit(client, patrol, **answers):
    with time_machine.travel(at(9, 45), tick=False):
        return client.post(f"/patrols/{patrol.pk}/submit/", {"summary": "巡查完毕", **answers})


def checks_of(patrol):
    return {c.question: c for c in PatrolCheck.objects.filter(patrol=patrol)}


def test_the_four_checks_are_stored_and_linked_to_what_the_patrol_recorded(client, world):
    household = make_household(world.a.grid, address="巡查路2号")
    make_resident(household, name="孙二")
    instruction = Instruction.objects.create(
        grid=world.a.grid,
        household=household,
        text="核实出租情况",
        due_on=DAY,
        issued_by=world.a.stationmaster,
    )
    client.force_login(world.a.grid_member)
    patrol = start(client, world)
    litter = observe(client, patrol, "sanitation", "垃圾堆放")
    moved = observe(client, patrol, "population", "3单元新搬来租户")
    quarrel = observe(client, patrol, "dispute", "楼上楼下漏水纠纷")
    with time_machine.travel(at(9, 10), tick=False):
        client.post(
            f"/patrols/{patrol.pk}/instructions/{instruction.pk}/",
            {f"i{instruction.pk}-outcome": "corrected", f"i{instruction.pk}-housing": "rented"},
        )
        # The dispute becomes an incident from the patrol's page.
        assert client.post(f"/incidents/from-observation/{quarrel.pk}/").status_code == 302

    response = submit(
        client,
        patrol,
        changes="found",
        problems="found",
        problems_note="东门垃圾已报物业",
        demands="none",
        disputes="",  # unanswered: answered from what was recorded
    )

    assert response.status_code == 302
    patrol.refresh_from_db()
    assert patrol.status == "submitted" and not patrol.is_all_none
    checks = checks_of(patrol)
    assert set(checks) == {"changes", "problems", "demands", "disputes"}
    assert not checks["changes"].is_none
    assert list(checks["changes"].observations.all()) == [moved]
    assert list(checks["changes"].corrections.all()) == [instruction]
    assert list(checks["problems"].observations.all()) == [litter]
    assert checks["problems"].note == "东门垃圾已报物业"
    assert checks["demands"].is_none and not checks["demands"].observations.exists()
    assert not checks["disputes"].is_none
    assert list(checks["disputes"].observations.all()) == [quarrel]

    page = client.get(f"/patrols/{patrol.pk}/").content.decode()
    assert page.count("data-check-question") == 4
    assert "data-check-correction" in page
    assert f"/incidents/{quarrel.incident.number}/" in page
    assert "data-all-none" not in page


def test_a_log_with_four_nones_and_nothing_observed_is_flagged_not_refused(client, world):
    client.force_login(world.a.grid_member)
    patrol = start(client, world)
    response = submit(
        client, patrol, changes="none", problems="none", demands="none", disputes="none"
    )

    assert response.status_code == 302
    patrol.refresh_from_db()
    assert patrol.status == "submitted" and patrol.is_all_none
    assert all(check.is_none for check in checks_of(patrol).values())
    assert "data-all-none" in client.get(f"/patrols/{patrol.pk}/").content.decode()

    client.force_login(world.a.stationmaster)
    with time_machine.travel(at(10), tick=False):
        board = client.get("/patrols/board/", {"day": DAY.isoformat()}).content.decode()
    assert f'data-waiting="{patrol.pk}"' in board
    assert board.count("data-all-none") == 2  # the grid's morning cell and the waiting log


def test_an_unanswered_log_without_observations_is_flagged_too(client, world):
    client.force_login(world.a.grid_member)
    patrol = start(client, world)
    submit(client, patrol)
    patrol.refresh_from_db()
    assert patrol.status == "submitted" and patrol.is_all_none


def test_four_nones_with_an_observation_of_another_kind_is_not_flagged(client, world):
    client.force_login(world.a.grid_member)
    patrol = start(client, world)
    observe(client, patrol, "other", "路过学校，秩序正常")
    submit(client, patrol, changes="none", problems="none", demands="none", disputes="none")
    patrol.refresh_from_db()
    assert patrol.status == "submitted" and not patrol.is_all_none


def test_none_where_the_patrol_recorded_something_of_that_kind_is_refused(client, world):
    client.force_login(world.a.grid_member)
    patrol = start(client, world)
    observe(client, patrol, "demand", "居民要求加装路灯")
    response = submit(client, patrol, demands="none")
    patrol.refresh_from_db()
    assert patrol.status == "in_progress"
    assert not PatrolCheck.objects.filter(patrol=patrol).exists()
    message = [str(m) for m in response.wsgi_request._messages]
    assert any("Demands collected" in m for m in message)


def test_found_with_nothing_linked_needs_a_note(client, world):
    client.force_login(world.a.grid_member)
    patrol = start(client, world)
    submit(client, patrol, disputes="found")
    patrol.refresh_from_db()
    assert patrol.status == "in_progress"
    submit(client, patrol, disputes="found", disputes_note="调解了邻里停车矛盾")
    patrol.refresh_from_db()
    check = checks_of(patrol)["disputes"]
    assert patrol.status == "submitted" and not check.is_none
    assert check.note == "调解了邻里停车矛盾" and not patrol.is_all_none


def test_a_returned_log_answers_its_checks_again(client, world):
    client.force_login(world.a.grid_member)
    patrol = start(client, world)
    submit(client, patrol)
    Patrol.objects.filter(pk=patrol.pk).update(status="returned")
    patrol.refresh_from_db()
    submit(client, patrol, problems="found", problems_note="井盖松动")
    patrol.refresh_from_db()
    checks = checks_of(patrol)
    assert len(checks) == 4 and not checks["problems"].is_none and not patrol.is_all_none


@pytest.mark.parametrize("bad", ["maybe", "x" * 20])
def test_a_bad_answer_is_explained_not_a_server_error(client, world, bad):
    client.force_login(world.a.grid_member)
    patrol = start(client, world)
    response = submit(client, patrol, changes=bad)
    assert response.status_code == 302
    patrol.refresh_from_db()
    assert patrol.status == "in_progress"
