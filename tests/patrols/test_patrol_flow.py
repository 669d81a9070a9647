"""A member's patrol through the pages: start, acknowledge, observe (once per client id),
complete an instruction with a correction, submit; and who may do what."""

import datetime
import uuid

import pytest
import time_machine
from django.utils import timezone

from grids.models import Household
from patrols.models import Instruction, Observation, Patrol
from tests.factories import make_household, make_resident

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


def at(hour, minute=0, day=28):
    return datetime.datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def instruction(world):
    household = make_household(world.a.grid, address="巡查路1号")
    make_resident(household, name="钱一")
    return Instruction.objects.create(
        grid=world.a.grid,
        household=household,
        text="核实住房情况",
        due_on=datetime.date(2026, 11, 30),
        issued_by=world.a.stationmaster,
    )


def start(client, world):
    response = client.post("/patrols/start/", {"grid": world.a.grid.code})
    assert response.status_code == 302
    return Patrol.objects.get(member=world.a.grid_member, status="in_progress")


def test_a_member_patrols_from_start_to_submit(client, world, instruction):
    client.force_login(world.a.grid_member)
    with time_machine.travel(at(8, 30), tick=False):
        patrol = start(client, world)
        assert (patrol.day, patrol.slot) == (datetime.date(2026, 11, 28), "am")
        page = client.get(f"/patrols/{patrol.pk}/").content.decode()
        assert "核实住房情况" in page
        client.post(f"/patrols/{patrol.pk}/acknowledge/")
        client.post(
            f"/patrols/{patrol.pk}/observations/",
            {"category": "sanitation", "text": "垃圾桶满了", "place": "东门"},
        )
        client.post(
            f"/patrols/{patrol.pk}/instructions/{instruction.pk}/",
            {
                f"i{instruction.pk}-outcome": "corrected",
                f"i{instruction.pk}-housing": "rented",
                f"i{instruction.pk}-note": "已出租",
            },
        )
    with time_machine.travel(at(9, 45), tick=False):
        response = client.post(f"/patrols/{patrol.pk}/submit/", {"summary": "一切正常"})
    assert response.status_code == 302
    patrol.refresh_from_db()
    assert patrol.status == "submitted" and patrol.duration_minutes == 75 and not patrol.is_short
    assert patrol.acknowledged_at is not None
    assert patrol.observations.get().text == "垃圾桶满了"
    instruction.refresh_from_db()
    assert instruction.outcome == "corrected" and instruction.patrol == patrol
    household = Household.objects.get(pk=instruction.household_id)
    assert household.housing == "rented"
    assert household.last_verified_by == world.a.grid_member
    assert household.history.order_by("-history_id").first().history_user == world.a.grid_member


def test_a_short_patrol_is_flagged_not_refused(client, world):
    client.force_login(world.a.grid_member)
    with time_machine.travel(at(14, 10), tick=False):
        patrol = start(client, world)
    with time_machine.travel(at(14, 40), tick=False):
        client.post(f"/patrols/{patrol.pk}/submit/", {"summary": "短"})
    patrol.refresh_from_db()
    assert patrol.slot == "pm" and patrol.status == "submitted" and patrol.is_short


def test_the_same_observation_sent_twice_is_stored_once(client, world):
    client.force_login(world.a.grid_member)
    patrol = start(client, world)
    client_id = str(uuid.uuid4())
    data = {"category": "security", "text": "路灯坏了", "client_id": client_id}
    first = client.post(
        f"/patrols/{patrol.pk}/observations/", data, headers={"Accept": "application/json"}
    )
    second = client.post(
        f"/patrols/{patrol.pk}/observations/", data, headers={"Accept": "application/json"}
    )
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert Observation.objects.filter(client_id=client_id).count() == 1


def test_a_bad_observation_is_explained(client, world):
    client.force_login(world.a.grid_member)
    patrol = start(client, world)
    response = client.post(
        f"/patrols/{patrol.pk}/observations/",
        {"category": "nonsense"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"category", "text"}
    assert not Observation.objects.exists()


def test_a_member_cannot_open_or_submit_another_grids_patrol(client, world):
    client.force_login(world.b.grid_member)
    other = Patrol.objects.create(
        grid=world.b.grid,
        member=world.b.grid_member,
        day=timezone.localdate(),
        slot="am",
        started_at=timezone.now(),
    )
    client.force_login(world.a.grid_member)
    assert client.get(f"/patrols/{other.pk}/").status_code == 404
    assert client.post(f"/patrols/{other.pk}/submit/", {"summary": "x"}).status_code == 404
    other.refresh_from_db()
    assert other.status == "in_progress"


def test_only_the_patrolling_member_records_and_submits(client, world):
    client.force_login(world.a.grid_member)
    patrol = start(client, world)
    client.force_login(world.a.grid_leader)  # same grid, not their patrol
    assert client.get(f"/patrols/{patrol.pk}/").status_code == 200
    assert client.post(f"/patrols/{patrol.pk}/submit/", {"summary": "x"}).status_code == 403
    assert (
        client.post(
            f"/patrols/{patrol.pk}/observations/", {"category": "other", "text": "x"}
        ).status_code
        == 403
    )


def test_one_patrol_in_progress_at_a_time(client, world):
    client.force_login(world.a.grid_member)
    start(client, world)
    response = client.post("/patrols/start/", {"grid": world.a.grid.code}, follow=True)
    assert "already have a patrol in progress" in response.content.decode()
    assert Patrol.objects.filter(member=world.a.grid_member).count() == 1


def test_a_member_cannot_start_a_patrol_of_a_grid_they_do_not_work(client, world):
    client.force_login(world.a.grid_member)
    response = client.post("/patrols/start/", {"grid": world.a.other_grid.code})
    assert response.status_code == 403
    assert not Patrol.objects.exists()


def test_the_station_issues_instructions_and_members_cannot(client, world):
    client.force_login(world.a.stationmaster)
    response = client.post(
        "/patrols/instructions/new/",
        {"grid": world.a.grid.pk, "text": "核实流动人口", "due_on": "2099-01-01"},
    )
    assert response.status_code == 302
    assert Instruction.objects.get().issued_by == world.a.stationmaster
    client.force_login(world.a.grid_member)
    assert client.get("/patrols/instructions/new/").status_code == 403
    assert "核实流动人口" in client.get("/patrols/instructions/").content.decode()


def test_a_members_home_shows_todays_windows_and_their_cover(client, world):
    client.force_login(world.a.grid_member)
    with time_machine.travel(at(8, 10), tick=False):
        patrol = start(client, world)
    with time_machine.travel(at(9, 20), tick=False):
        client.post(f"/patrols/{patrol.pk}/submit/", {"summary": "好"})
    with time_machine.travel(at(12, 45), tick=False):
        response = client.get("/")
    (row,) = response.context["patrol_rows"]
    assert row.grid == world.a.grid
    assert [(c.slot, c.state) for c in row.cells] == [("am", "done"), ("pm", "upcoming")]
    with time_machine.travel(at(18, 45), tick=False):
        (row,) = client.get("/").context["patrol_rows"]
    assert [c.state for c in row.cells] == ["done", "missing"]
    # The station's home has no windows of its own.
    client.force_login(world.a.stationmaster)
    assert client.get("/").context["patrol_rows"] == []


def test_an_observation_photo_is_stored_and_served_only_within_scope(
    client, world, settings, tmp_path
):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    settings.MEDIA_ROOT = tmp_path
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "PNG")
    client.force_login(world.a.grid_member)
    patrol = start(client, world)
    photo = SimpleUploadedFile("leak.png", buffer.getvalue(), content_type="image/png")
    client.post(
        f"/patrols/{patrol.pk}/observations/",
        {"category": "demand", "text": "化粪池渗漏", "photo": photo},
    )
    observation = Observation.objects.get()
    response = client.get(f"/patrols/observations/{observation.pk}/photo/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == buffer.getvalue()
    client.force_login(world.b.stationmaster)
    assert client.get(f"/patrols/observations/{observation.pk}/photo/").status_code == 404


def test_a_file_that_is_not_an_image_is_refused(client, world, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    client.force_login(world.a.grid_member)
    patrol = start(client, world)
    fake = SimpleUploadedFile("x.png", b"not an image", content_type="image/png")
    response = client.post(
        f"/patrols/{patrol.pk}/observations/",
        {"category": "demand", "text": "x", "photo": fake},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400 and "photo" in response.json()["errors"]
    assert not Observation.objects.exists()
