"""Text with a control character (NUL and the like) is refused before it reaches a form, a
service or the database: a 400 page that says why, in the reader's language, never a 500.
Tab, line feed and carriage return are text and pass."""

import pytest

from grids.models import Post, Role
from grids.scope import Scope
from incidents import services
from incidents.models import TimelineEntry
from tests.incidents.factories import make_incident


@pytest.fixture
def assigned(world):
    station = world.a.stationmaster
    post = Post.objects.get(area=world.a.grid, role=Role.GRID_MEMBER)
    incident = make_incident(world.a.grid, station)
    return services.take_step(incident, "assign", by=station, scope=Scope(station), post=post)


@pytest.mark.parametrize("bad", ["\x00", "\x07", "\x1b[31m", "\x7f", "\x85"])
def test_a_note_with_a_control_character_is_refused_and_not_saved(client, world, assigned, bad):
    client.force_login(world.a.stationmaster)
    response = client.post(
        f"/incidents/{assigned.number}/supervise/", {"note": f"请今天处理{bad}谢谢"}
    )
    assert response.status_code == 400
    assert "“note” holds a control character" in response.content.decode()
    assert not TimelineEntry.objects.filter(incident=assigned, action="urge").exists()


def test_the_refusal_is_in_chinese_for_a_chinese_reader(client, world, assigned):
    world.a.stationmaster.language = "zh-hans"
    world.a.stationmaster.save(update_fields=["language"])
    client.force_login(world.a.stationmaster)
    response = client.post(f"/incidents/{assigned.number}/supervise/", {"note": "a\x00b"})
    assert response.status_code == 400
    assert "控制字符" in response.content.decode()


def test_tabs_and_line_breaks_pass(client, world, assigned):
    client.force_login(world.a.stationmaster)
    note = "第一行\r\n第二行\t完"
    response = client.post(f"/incidents/{assigned.number}/supervise/", {"note": note})
    assert response.status_code == 302
    assert TimelineEntry.objects.get(incident=assigned, action="urge").note == note


@pytest.mark.parametrize(
    "url",
    [
        "/incidents/?q=%00",
        "/grids/?q=a%00b",
        "/pick/residents/?resident_q=%1b",
        "/reports/?area=%00",
    ],
)
def test_a_query_parameter_with_a_control_character_is_a_400(client, world, url):
    client.force_login(world.a.stationmaster)
    response = client.get(url)
    assert response.status_code == 400
    assert "holds a control character" in response.content.decode()
