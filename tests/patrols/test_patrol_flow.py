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
            {
                "category": "sanitation",
                "text": "垃圾桶满了",
                "place": "东门",
                "client_id": str(uuid.uuid4()),
            },
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
    assert set(response.json()["errors"]) == {"category", "text", "client_id"}
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
            f"/patrols/{patrol.pk}/observations/",
            {"category": "other", "text": "x", "client_id": str(uuid.uuid4())},
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
        {
            "category": "demand",
            "text": "化粪池渗漏",
            "photo": photo,
            "client_id": str(uuid.uuid4()),
        },
    )
    observation = Observation.objects.get()
    response = client.get(f"/patrols/observations/{observation.pk}/photo/")
    assert response.status_code == 200
    served = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert (served.format, served.size) == ("JPEG", (4, 4))
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
        {"category": "demand", "text": "x", "photo": fake, "client_id": str(uuid.uuid4())},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400 and "photo" in response.json()["errors"]
    assert not Observation.objects.exists()


def test_a_patrol_counts_for_the_window_it_starts_in_or_for_none():
    from patrols import windows
    from patrols.models import PatrolSchedule

    schedule = PatrolSchedule()  # 08-12, 14-18, 30 minutes' grace
    assert windows.slot_at(schedule, at(7, 30))[1] == "am"  # a little early
    assert windows.slot_at(schedule, at(7, 29))[1] == ""
    assert windows.slot_at(schedule, at(11, 59))[1] == "am"
    assert windows.slot_at(schedule, at(12, 45))[1] == ""  # lunch
    assert windows.slot_at(schedule, at(13, 30))[1] == "pm"
    assert windows.slot_at(schedule, at(17, 59))[1] == "pm"
    assert windows.slot_at(schedule, at(18, 0))[1] == ""
    assert windows.slot_at(schedule, at(21, 20))[1] == ""


def test_an_observation_keeps_the_moment_it_was_recorded_within_the_patrol(client, world):
    client.force_login(world.a.grid_member)
    with time_machine.travel(at(9), tick=False):
        patrol = start(client, world)
    json = {"Accept": "application/json"}
    with time_machine.travel(at(10, 30), tick=False):
        for text, observed in [
            ("离线记下", "2026-11-28T01:12:00Z"),  # 09:12 local, sent at 10:30
            ("手机时钟太早", "2026-11-27T01:00:00Z"),
            ("手机时钟太晚", "2026-11-28T05:00:00Z"),
        ]:
            response = client.post(
                f"/patrols/{patrol.pk}/observations/",
                {
                    "category": "other",
                    "text": text,
                    "observed_at": observed,
                    "client_id": str(uuid.uuid4()),
                },
                headers=json,
            )
            assert response.status_code == 201
    stamps = {o.text: (o.observed_at, o.received_at) for o in Observation.objects.all()}
    assert stamps["离线记下"] == (at(9, 12), at(10, 30))
    assert stamps["手机时钟太早"][0] == at(9)  # not before the patrol started
    assert stamps["手机时钟太晚"][0] == at(10, 30)  # not after it arrived
    with time_machine.travel(at(10, 31), tick=False):
        page = client.get(patrol.get_absolute_url()).content.decode()
    assert "09:12" in page and "10:30" in page


def test_a_large_photo_is_stored_small_upright_and_without_exif(client, world, settings, tmp_path):
    import io
    import random

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    settings.MEDIA_ROOT = tmp_path
    rng = random.Random(1)
    noise = Image.frombytes("RGB", (1000, 750), rng.randbytes(1000 * 750 * 3))
    image = noise.resize((4000, 3000), Image.Resampling.BILINEAR)  # a busy 12 MP photo
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated: the phone was held upright
    exif[0x010F] = "PhoneMaker"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88, exif=exif)
    assert buffer.tell() > 4 * 1024 * 1024
    client.force_login(world.a.grid_member)
    patrol = start(client, world)
    response = client.post(
        f"/patrols/{patrol.pk}/observations/",
        {
            "category": "facility",
            "text": "井盖破损",
            "photo": SimpleUploadedFile("big.jpg", buffer.getvalue(), "image/jpeg"),
            "client_id": str(uuid.uuid4()),
        },
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 201
    stored = Observation.objects.get().photo
    assert stored.size <= 400 * 1024
    with Image.open(stored.path) as saved:
        assert saved.format == "JPEG"
        assert saved.size == (1200, 1600)  # turned upright, longest side 1600
        assert not saved.getexif()


def test_a_log_submitted_with_observations_still_on_the_phone_says_so(client, world):
    client.force_login(world.a.grid_member)
    patrol = start(client, world)
    client.post(f"/patrols/{patrol.pk}/submit/", {"summary": "信号不好", "unsent": "2"})
    patrol.refresh_from_db()
    assert (patrol.status, patrol.unsent_observations) == ("submitted", 2)
    client.force_login(world.a.stationmaster)
    page = client.get(patrol.get_absolute_url()).content.decode()
    assert "data-unsent-note" in page and "2 observations were still waiting" in page
