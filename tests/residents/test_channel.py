"""The residents' public channel: a grid's page reached without an account, the matters filed
through it, their private status pages and the resident's rating."""

import io

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from grids.models import Role
from incidents import services as incident_services
from incidents.models import Incident, TimelineEntry
from notifications.models import Notification
from residents import services
from residents.models import ResidentMatter, ResidentPhoto
from tests.factories import make_household, make_post, make_resident, make_user

from .helpers import jpeg_bytes, page_path, report_data

pytestmark = pytest.mark.django_db


def _nothing_saved():
    assert Incident.objects.count() == 0
    assert ResidentMatter.objects.count() == 0
    assert ResidentPhoto.objects.count() == 0


def _report(client, grid, files=(), address="127.0.0.1", **data):
    body = report_data(**data)
    if files:
        body["photos"] = list(files)
    return client.post(page_path(grid), body, REMOTE_ADDR=address)


def test_the_public_page_shows_the_team_patrol_times_and_the_form_without_login(client, world):
    world.a.grid_member.phone = "02158880001"
    world.a.grid_member.save()
    response = client.get(page_path(world.a.grid))
    assert response.status_code == 200
    text = response.content.decode()
    assert world.a.grid.name in text
    assert "Member A" in text and "02158880001" in text
    assert "Stationmaster A" in text
    assert "08:00–12:00" in text and "14:00–18:00" in text
    assert 'name="category"' in text and 'name="photos"' in text
    # Chinese by default, for a visitor who chose nothing.
    assert "网格" in text
    assert "style=" not in text and "<script>" not in text


def test_team_for_lists_the_station_then_the_grid_posts_a_then_b(world):
    rows = services.team_for(world.a.grid)
    assert [(r.name, r.is_backup) for r in rows] == [
        ("Stationmaster A", False),
        ("Sm_A_B", True),
        ("Leader A", False),
        ("Member A", False),
        ("Backup A", True),
    ]
    assert str(rows[0].post) == str(Role.STATIONMASTER.label)


def test_public_url_is_absolute_from_the_setting_the_request_or_site_url(world, rf, settings):
    token = services.channel_for(world.a.grid).token
    settings.PUBLIC_SITE_URL = ""
    settings.SITE_URL = "https://site.example.org"
    assert services.public_url(world.a.grid) == f"https://site.example.org/r/{token}/"
    settings.ALLOWED_HOSTS = ["grid.example.com"]
    request = rf.get("/", HTTP_HOST="grid.example.com")
    assert services.public_url(world.a.grid, request) == f"http://grid.example.com/r/{token}/"
    settings.PUBLIC_SITE_URL = "https://public.example.cn/"
    assert services.public_url(world.a.grid, request) == f"https://public.example.cn/r/{token}/"


def test_a_report_becomes_a_resident_incident_of_that_grid_with_number_and_status_link(
    client, world
):
    response = _report(client, world.a.grid, phone="139 1234 5678")
    matter = ResidentMatter.objects.get()
    incident = matter.incident
    assert response.status_code == 302
    assert response["Location"] == f"/r/s/{matter.status_token}/"
    assert len(matter.status_token) >= 24
    assert incident.grid == world.a.grid
    assert incident.source == Incident.Source.RESIDENT
    assert incident.status == Incident.Status.REPORTED
    assert incident.handler is None
    assert incident.reporter_phone == "13912345678"
    assert incident.description == "消防通道被电动车堵住了"
    assert matter.place == "3号楼2单元"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert incident.number in page.content.decode()
    # The grid team and the station are told, as for any reported incident.
    told = set(
        Notification.objects.filter(url=incident.get_absolute_url()).values_list(
            "recipient__username", flat=True
        )
    )
    assert {"gl_a", "gm_a", "sm_a"} <= told
    assert not told & {"gl_b", "gm_b", "sm_b"}


def test_the_first_on_the_team_to_accept_becomes_first_responsible(client, world):
    _report(client, world.a.grid)
    incident = Incident.objects.get()
    scope = incident_services.Scope(world.a.grid_member)
    incident_services.take_step(incident, "accept", by=world.a.grid_member, scope=scope)
    incident.refresh_from_db()
    assert incident.first_responsible == world.a.grid_member
    assert incident.handler == world.a.grid_member
    with pytest.raises(incident_services.InvalidTransition):
        incident_services.take_step(
            incident,
            "accept",
            by=world.a.grid_leader,
            scope=incident_services.Scope(world.a.grid_leader),
        )


def test_staff_see_possible_duplicates_of_a_resident_report(client, world):
    _report(client, world.a.grid)
    _report(client, world.a.grid, text="又一次：消防通道被堵")
    first, second = Incident.objects.order_by("pk")
    client.force_login(world.a.grid_member)
    page = client.get(second.get_absolute_url()).content.decode()
    assert "data-duplicates" in page and first.number in page
    # Taken as a duplicate, the way any incident is.
    incident_services.take_step(
        second,
        "mark_duplicate",
        by=world.a.grid_member,
        scope=incident_services.Scope(world.a.grid_member),
        duplicate_of=first,
    )
    client.logout()
    status = client.get(f"/r/s/{second.resident_matter.status_token}/").content.decode()
    assert "合并办理" in status


def test_a_jpeg_with_gps_exif_is_stored_without_it(client, world):
    original = jpeg_bytes(gps=True)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the test is honest
    upload = SimpleUploadedFile("fire-exit.jpg", original, content_type="image/jpeg")
    response = _report(client, world.a.grid, files=[upload])
    assert response.status_code == 302
    photo = ResidentPhoto.objects.get()
    with photo.image.open("rb") as stored, Image.open(stored) as image:
        assert image.format == "JPEG"
        exif = image.getexif()
        assert not exif.get_ifd(0x8825)
        assert 0x010F not in exif
        assert "exif" not in image.info
    assert Incident.objects.get().photo.name == photo.image.name


def test_the_public_page_refuses_a_file_that_is_not_a_picture(client, world):
    upload = SimpleUploadedFile("notes.jpg", b"%PDF-1.4 not a picture", content_type="image/jpeg")
    response = _report(client, world.a.grid, files=[upload])
    assert response.status_code == 400
    assert "不是图片" in response.content.decode()
    _nothing_saved()


def test_the_public_page_refuses_a_20_mb_photo(client, world):
    big = jpeg_bytes() + b"\0" * (20 * 1024 * 1024)
    upload = SimpleUploadedFile("huge.jpg", big, content_type="image/jpeg")
    response = _report(client, world.a.grid, files=[upload])
    assert response.status_code == 400
    assert "照片最大 8.0\xa0MB，这张有 20.0\xa0MB" in response.content.decode()
    _nothing_saved()


def test_more_than_three_photos_are_refused(client, world):
    files = [SimpleUploadedFile(f"p{n}.jpg", jpeg_bytes(), "image/jpeg") for n in range(4)]
    response = _report(client, world.a.grid, files=files)
    assert response.status_code == 400
    assert "最多发送 3 张照片" in response.content.decode()
    _nothing_saved()


def test_the_eleventh_report_in_a_minute_from_one_address_is_refused(client, world):
    for n in range(10):
        assert _report(client, world.a.grid, text=f"第{n}次").status_code == 302
    response = _report(client, world.a.grid, text="第十一次")
    assert response.status_code == 429
    assert "请等一分钟" in response.content.decode()
    assert Incident.objects.count() == 10
    assert not Incident.objects.filter(description="第十一次").exists()
    # Another address still gets through.
    other = _report(client, world.a.grid, text="邻居", address="10.0.0.9")
    assert other.status_code == 302


def test_a_grid_takes_only_so_many_reports_an_hour(client, world, settings):
    settings.RESIDENTS_RATE_PER_GRID = "3/h"
    for n in range(3):
        response = client.post(
            page_path(world.a.grid), report_data(text=f"{n}"), REMOTE_ADDR=f"10.0.1.{n}"
        )
        assert response.status_code == 302
    response = client.post(page_path(world.a.grid), report_data(), REMOTE_ADDR="10.0.1.9")
    assert response.status_code == 429
    assert "稍后再试" in response.content.decode()
    assert Incident.objects.count() == 3
    # The other grid is not held up.
    assert _report(client, world.a.other_grid).status_code == 302


def test_a_filled_honeypot_saves_nothing(client, world):
    response = _report(client, world.a.grid, website="http://spam.example")
    assert response.status_code == 400
    assert "未发送" in response.content.decode()
    _nothing_saved()


def test_wrong_tokens_are_404(client, world):
    assert client.get("/r/notatoken123/").status_code == 404
    assert client.post("/r/notatoken123/", report_data()).status_code == 404
    assert client.get("/r/s/notastatustokenatall0000/").status_code == 404
    _report(client, world.a.grid)
    token = ResidentMatter.objects.get().status_token
    assert client.get(f"/r/s/{token[:-1]}x/").status_code in {404, 200}
    assert client.get(f"/r/s/{token}/").status_code == 200
    assert client.get(f"/r/s/{token}x/").status_code == 404


def test_the_public_pages_show_no_household_or_resident_data(client, world):
    household = make_household(world.a.grid, address="幸福路88号3栋201")
    people = [
        make_resident(household, name="张秀英", phone="13900001111"),
        make_resident(household, name="李建国", phone="13900002222"),
    ]
    _report(client, world.a.grid, phone="13812345678")
    token = ResidentMatter.objects.get().status_token
    pages = [
        client.get(page_path(world.a.grid)).content.decode(),
        client.get(f"/r/s/{token}/").content.decode(),
    ]
    secrets = ["幸福路88号", "13812345678", "138****5678"]
    for person in people:
        secrets += [person.name, person.phone, person.id_number, person.id_number[-4:] + "<"]
    for page in pages:
        for secret in secrets:
            assert secret not in page


def test_the_contact_phone_is_masked_for_the_team_and_shown_to_the_station(client, world):
    _report(client, world.a.grid, phone="13812345678")
    incident = Incident.objects.get()
    client.force_login(world.a.grid_member)
    member_page = client.get(incident.get_absolute_url()).content.decode()
    assert "13812345678" not in member_page and "138****5678" in member_page
    client.force_login(world.a.stationmaster)
    assert "13812345678" in client.get(incident.get_absolute_url()).content.decode()


def _closed_resident_incident(client, world):
    _report(client, world.a.grid)
    incident = Incident.objects.get()
    member, station = world.a.grid_member, world.a.stationmaster
    member_scope = incident_services.Scope(member)
    station_scope = incident_services.Scope(station)
    post = world.a.grid.posts.get(role=Role.GRID_MEMBER)
    for step, by, scope, extra in [
        ("accept", member, member_scope, {}),
        ("assign", station, station_scope, {"post": post}),
        ("start", member, member_scope, {}),
        ("resolve", member, member_scope, {"note": "电动车已挪走"}),
        ("verify", station, station_scope, {}),
        ("close", station, station_scope, {}),
    ]:
        incident = incident_services.take_step(incident, step, by=by, scope=scope, **extra)
    assert incident.status == Incident.Status.CLOSED
    return incident


def test_not_satisfied_reopens_the_matter_for_the_station_with_history(client, world):
    incident = _closed_resident_incident(client, world)
    matter = incident.resident_matter
    path = f"/r/s/{matter.status_token}/"
    page = client.get(path).content.decode()
    assert 'name="satisfaction"' in page
    # Staff names never show, only the post.
    assert "Member A" not in page and "Stationmaster A" not in page
    assert "网格员" in page
    response = client.post(path, {"satisfaction": "dissatisfied", "comment": "车又停回来了"})
    assert response.status_code == 302
    incident.refresh_from_db()
    matter.refresh_from_db()
    assert incident.status == Incident.Status.REOPENED
    assert incident.satisfaction == Incident.Satisfaction.DISSATISFIED
    assert incident.satisfaction_comment == "车又停回来了"
    assert incident.closed_at is None
    assert matter.rated_at is not None
    history = incident.history.order_by("-history_date").first()
    assert history.status == Incident.Status.REOPENED
    assert history.satisfaction == Incident.Satisfaction.DISSATISFIED
    assert history.history_user is None  # the resident has no account
    entry = TimelineEntry.objects.filter(incident=incident, action="resident_rating").get()
    assert (entry.from_status, entry.to_status, entry.by) == ("closed", "reopened", None)
    assert "车又停回来了" in entry.note
    assert Notification.objects.filter(
        recipient=world.a.stationmaster, key__startswith=f"resident-dissatisfied:{incident.pk}"
    ).exists()
    # The station decides: the reopened matter can be assigned again.
    assert "assign" in incident_services.workflow.STEPS
    again = client.post(path, {"satisfaction": "satisfied"})
    incident.refresh_from_db()
    assert again.status_code == 200  # nothing to rate: the page, unchanged
    assert incident.satisfaction == Incident.Satisfaction.DISSATISFIED  # no second rating


def test_satisfied_keeps_it_closed(client, world):
    incident = _closed_resident_incident(client, world)
    path = f"/r/s/{incident.resident_matter.status_token}/"
    client.post(path, {"satisfaction": "basically", "comment": ""})
    incident.refresh_from_db()
    assert incident.status == Incident.Status.CLOSED
    assert incident.satisfaction == Incident.Satisfaction.BASICALLY
    assert 'name="satisfaction"' not in client.get(path).content.decode()


def test_a_rating_without_a_choice_is_refused_and_saves_nothing(client, world):
    incident = _closed_resident_incident(client, world)
    path = f"/r/s/{incident.resident_matter.status_token}/"
    response = client.post(path, {"comment": "?"})
    assert response.status_code == 200
    assert "请选择" in response.content.decode()
    incident.refresh_from_db()
    assert incident.satisfaction == ""


def test_staff_cannot_set_satisfaction_on_a_resident_filed_incident(client, world):
    _report(client, world.a.grid)
    incident = Incident.objects.get()
    station = world.a.stationmaster
    Incident.objects.filter(pk=incident.pk).update(status=Incident.Status.VERIFIED)
    incident.refresh_from_db()
    with pytest.raises(incident_services.InvalidTransition):
        incident_services.take_step(
            incident,
            "close",
            by=station,
            scope=incident_services.Scope(station),
            satisfaction="satisfied",
        )
    incident.refresh_from_db()
    assert incident.status == Incident.Status.VERIFIED and incident.satisfaction == ""
    client.force_login(station)
    page = client.get(incident.get_absolute_url()).content.decode()
    assert 'name="satisfaction"' not in page
    response = client.post(
        f"{incident.get_absolute_url()}steps/close/", {"satisfaction": "satisfied"}
    )
    incident.refresh_from_db()
    assert incident.satisfaction == ""
    assert response.status_code in {302, 400}


def test_the_channel_account_cannot_log_in(client, world):
    _report(client, world.a.grid)
    user = services.channel_user()
    assert not user.is_active and not user.has_usable_password()


def test_a_resident_incident_is_closed_by_staff_without_satisfaction_then_rated(client, world):
    make_post(world.a.grid, Role.INFORMATION_OFFICER, make_user("io_a"))
    incident = _closed_resident_incident(client, world)
    assert incident.satisfaction == "" and incident.closed_at is not None


def test_the_public_page_runs_the_same_queries_for_a_small_and_a_large_team(
    client, world, django_assert_num_queries
):
    path = page_path(world.a.grid)

    def count():
        with django_assert_num_queries(4) as captured:
            # The channel and its grid, the team's posts with their holders, the community's
            # patrol schedule, the categories offered to residents.
            assert client.get(path).status_code == 200
        return len(captured.captured_queries)

    small = count()
    for n in range(6):
        make_post(world.a.grid, Role.VOLUNTEER, make_user(f"vol{n}"), make_user(f"vol{n}_b"))
    assert count() == small
    assert "Vol5_B" in client.get(path).content.decode()


def test_staff_see_every_photo_of_a_resident_matter_and_nobody_outside_does(client, world):
    files = [SimpleUploadedFile(f"p{n}.jpg", jpeg_bytes(), "image/jpeg") for n in range(3)]
    assert _report(client, world.a.grid, files=files).status_code == 302
    incident = Incident.objects.get()
    first, *more = ResidentPhoto.objects.order_by("pk")
    assert incident.photo.name == first.image.name
    client.force_login(world.a.grid_member)
    page = client.get(incident.get_absolute_url()).content.decode()
    for photo in more:
        assert f"/r/photos/{photo.pk}/" in page
        response = client.get(f"/r/photos/{photo.pk}/")
        assert response.status_code == 200
        assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"  # a JPEG
    client.force_login(world.b.grid_member)
    assert client.get(f"/r/photos/{more[0].pk}/").status_code == 404
    client.logout()
    assert client.get(f"/r/photos/{more[0].pk}/").status_code == 302  # to the login page


def test_a_matter_nobody_has_taken_warns_the_station_at_yellow(world):
    """Until someone on the team accepts it, a resident's matter answers to the channel's
    account, which nobody reads: the yellow warning goes to the stationmaster instead."""
    from incidents.tasks import sweep_time_limits

    from .helpers import fire_exit_category

    matter = services.file_matter(
        services.channel_for(world.a.grid),
        category=fire_exit_category(),
        place="3号楼东侧",
        text="消防通道被电动车堵住",
    )
    incident = matter.incident
    with time_machine.travel(incident.warn_at, tick=False):
        assert sweep_time_limits() == {"warned": 1, "escalated": 0}
    warning = Notification.objects.get(key__startswith=f"incident-yellow:{incident.pk}:")
    assert warning.recipient == world.a.stationmaster
    assert not Notification.objects.filter(
        key__startswith="incident-yellow:", recipient=incident.first_responsible
    ).exists()
