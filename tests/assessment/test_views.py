"""The assessment page: who sees which lines, the month and community pickers, the export,
the weights, and a query count that does not grow with people or rows."""

import datetime
import io

import pytest
import time_machine
from django.template import Context, Template
from openpyxl import load_workbook

from assessment.models import AssessmentWeights
from assessment.views import _community_options
from care.services import record_visit
from grids.models import Area, Role, Tag
from patrols.models import MissedPatrol, Observation, Slot
from tests.care.factories import tagged_person
from tests.factories import make_post, make_user
from tests.incidents.factories import local
from tests.patrols.factories import make_patrol

D = datetime.date
NOW = local(D(2026, 12, 10), 10)
NOVEMBER = "?month=2026-11"


@pytest.fixture(autouse=True)
def _december():
    with time_machine.travel(NOW, tick=False):
        yield


def lines_of(response):
    body = response.content.decode()
    return {part.split('"', 1)[0] for part in body.split('data-line="')[1:]}


def add_rows(side, people, windows):
    """`people` more members of the side's second grid (A and B holders), and `windows`
    patrol windows of each with an observation and a missed one."""
    made = []
    for i in range(people):
        a = make_user(f"{side.community.code}-a{i}-{people}")
        b = make_user(f"{side.community.code}-b{i}-{people}")
        make_post(side.other_grid, Role.GRID_MEMBER, a, b)
        made += [a, b]
        for day in range(1, windows + 1):
            patrol = make_patrol(side.other_grid, D(2026, 11, day), Slot.MORNING, member=a)
            Observation.objects.create(patrol=patrol, category="other", text="seen")
            MissedPatrol.objects.get_or_create(
                grid=side.other_grid, day=D(2026, 11, day), slot=Slot.AFTERNOON
            )
        with time_machine.travel(local(D(2026, 11, 1), 9), tick=False):
            person = tagged_person(side.other_grid, Tag.objects.get(name="独居老人"))
        with time_machine.travel(local(D(2026, 11, 2), 9), tick=False):
            record_visit(person, by=a, visited_on=D(2026, 11, 2), outcome="well")
    return made


def test_the_stationmaster_sees_the_ranking_of_his_workers(client, world):
    add_rows(world.a, 1, 2)
    client.force_login(world.a.stationmaster)
    response = client.get("/assessment/" + NOVEMBER)
    assert response.status_code == 200
    body = response.content.decode()
    assert lines_of(response) == {
        "gl_a",
        "gm_a",
        "gm_a_b",
        f"{world.a.community.code}-a0-1",
        f"{world.a.community.code}-b0-1",
    }
    assert "data-rank" in body and "data-formula" in body
    assert "30 ×" in body
    # The worker with two patrol windows and two missed shows them.
    assert 'data-figure="patrolled">2<' in body


def test_a_worker_sees_only_his_own_line(client, world):
    client.force_login(world.a.grid_member)
    response = client.get("/assessment/" + NOVEMBER)
    assert response.status_code == 200
    assert lines_of(response) == {"gm_a"}
    assert "data-rank" not in response.content.decode()
    # His own line opens; another person's is a 404, in his community or another.
    assert client.get(f"/assessment/{NOVEMBER}&person={world.a.grid_member.pk}").status_code == 200
    for other in (world.a.grid_member_b, world.a.grid_leader, world.b.grid_member):
        assert client.get(f"/assessment/{NOVEMBER}&person={other.pk}").status_code == 404
        assert (
            client.get(f"/assessment/assessment.xlsx{NOVEMBER}&person={other.pk}").status_code
            == 404
        )


def test_another_community_is_a_404(client, world):
    b = world.b.community.code
    for user in (world.a.stationmaster, world.a.grid_member):
        client.force_login(user)
        assert client.get(f"/assessment/?community={b}").status_code == 404
        assert client.get(f"/assessment/assessment.xlsx?community={b}").status_code == 404
    client.force_login(world.a.stationmaster)
    person = world.b.grid_member.pk
    assert client.get(f"/assessment/?person={person}").status_code == 404
    assert client.get("/assessment/?person=x").status_code == 404
    client.force_login(world.outsider)
    assert client.get("/assessment/").status_code == 404


def test_the_district_picks_a_community(client, world):
    client.force_login(world.district_officer)
    response = client.get(f"/assessment/?community={world.b.community.code}")
    assert response.status_code == 200
    assert lines_of(response) == {"gl_b", "gm_b", "gm_b_b"}
    assert 'id="community"' in response.content.decode()
    person = world.b.grid_member.pk
    response = client.get(f"/assessment/?community={world.b.community.code}&person={person}")
    assert 'data-person="gm_b"' in response.content.decode()
    assert 'data-part="patrol"' in response.content.decode()


def test_an_administrator_picks_any_community(client, world):
    client.force_login(make_user("root", is_superuser=True, is_staff=True))
    response = client.get("/assessment/")
    assert response.status_code == 200
    assert lines_of(response) == {"gl_a", "gm_a", "gm_a_b"}
    response = client.get(f"/assessment/?community={world.b.community.code}")
    assert lines_of(response) == {"gl_b", "gm_b", "gm_b_b"}


def test_a_month_that_is_no_month_is_a_400_that_says_so(client, world):
    client.force_login(world.a.stationmaster)
    response = client.get("/assessment/?month=2026-13")
    assert response.status_code == 400
    assert "“2026-13” is not a month from 1900-01 to 2099-12 (YYYY-MM)" in response.content.decode()
    assert client.get("/assessment/?month=0001-01").status_code == 400


def test_the_export_holds_the_page_lines(client, world):
    world.a.grid_member_b.full_name = "=HYPERLINK(1)"
    world.a.grid_member_b.save()
    make_patrol(world.a.grid, D(2026, 11, 3), Slot.MORNING, member=world.a.grid_member)
    client.force_login(world.a.stationmaster)
    response = client.get("/assessment/assessment.xlsx" + NOVEMBER)
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(
        f'assessment-{world.a.community.code}-202611.xlsx"'
    )
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Community", world.a.community.name, world.a.community.code)
    assert rows[1][:2] == ("Month", "2026-11")
    assert rows[2][1].startswith("Score = 30 ×")
    assert rows[4][:4] == ("Rank", "Name", "Username", "Windows patrolled")
    by_username = {row[2]: row for row in rows[5:]}
    assert set(by_username) == {"gl_a", "gm_a", "gm_a_b"}
    member = by_username["gm_a"]
    assert member[3] == 1 and member[-1] == 100
    assert by_username["gm_a_b"][1] == "'=HYPERLINK(1)"  # never a formula
    # A worker's export holds his line only, without a rank.
    client.force_login(world.a.grid_member)
    response = client.get("/assessment/assessment.xlsx" + NOVEMBER)
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.values)
    assert [row[2] for row in rows[5:]] == ["gm_a"] and rows[5][0] is None


@pytest.mark.parametrize("people", [1, 6])
def test_the_page_runs_the_same_queries_whatever_the_rows(
    client, world, people, django_assert_num_queries
):
    add_rows(world.a, people, 3 * people)
    AssessmentWeights.load()
    client.force_login(world.a.stationmaster)
    client.get("/assessment/" + NOVEMBER)
    # The session, the user, the user's posts, the communities, the weights, the lines (one
    # query with a subquery per figure), and the base page's unread notifications.
    with django_assert_num_queries(7):
        response = client.get("/assessment/" + NOVEMBER)
    assert len(lines_of(response)) == 3 + 2 * people


@pytest.mark.parametrize("people", [1, 6])
def test_the_export_runs_the_same_queries_whatever_the_rows(
    client, world, people, django_assert_num_queries
):
    add_rows(world.a, people, 2 * people)
    AssessmentWeights.load()
    client.force_login(world.a.stationmaster)
    with django_assert_num_queries(6):
        response = client.get("/assessment/assessment.xlsx" + NOVEMBER)
    assert response.status_code == 200


def test_the_weights_must_add_up_to_100_in_the_admin(client, world):
    admin = make_user("admin", is_superuser=True, is_staff=True)
    client.force_login(admin)
    AssessmentWeights.load()
    url = "/admin/assessment/assessmentweights/1/change/"
    data = {
        "patrol": 35,
        "on_time": 25,
        "rework": 10,
        "instructions": 10,
        "meetings": 15,
        "visits": 10,
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "The weights add up to 105; they must add up to 100." in response.content.decode()
    assert AssessmentWeights.load().patrol == 30
    data["patrol"] = 25
    data["meetings"] = 20
    assert client.post(url, data).status_code == 302
    weights = AssessmentWeights.load()
    assert (weights.patrol, weights.meetings, weights.total) == (25, 20, 100)
    # The page shows the formula with the new weights.
    client.force_login(world.a.stationmaster)
    assert "25 ×" in client.get("/assessment/").content.decode()


def test_each_line_shows_its_rank_name_link_and_score_escaped(client, world):
    world.a.grid_member_b.full_name = "<b>A&B</b>"
    world.a.grid_member_b.save()
    client.force_login(world.a.stationmaster)
    response = client.get("/assessment/" + NOVEMBER)
    body = response.content.decode()
    lines = response.context["lines"]
    assert len(lines) == 3
    community = world.a.community.code
    for line in lines:
        item = body.split(f'data-line="{line.user.username}">', 1)[1].split("</dl>", 1)[0]
        assert f"data-rank>{line.rank}</span>" in item
        assert f"data-score>{line.score}</span>" in item
        link = f"?month=2026-11&amp;community={community}&amp;person={line.user.pk}"
        assert f'<a href="{link}">' in item
        assert item.count("data-figure=") == len(line.values())
    assert "&lt;b&gt;A&amp;B&lt;/b&gt;</a>" in body and "<b>A&B</b>" not in body


def test_the_community_options_are_the_template_loop_byte_for_byte():
    loop = Template(
        "{% for c in communities %}"
        '<option value="{{ c.code }}"{% if c.code == community.code %} selected{% endif %}>'
        "{{ c.name }}</option>{% endfor %}"
    )
    communities = [
        Area(code="GL-01", name="三坊社区"),
        Area(code="X\"<&>'", name="<b>A&B</b> \"'"),
        Area(code="GL-03", name="&amp;"),
    ]
    for chosen in communities:
        expected = loop.render(Context({"communities": communities, "community": chosen}))
        written = _community_options(communities, chosen)
        assert written == expected
        assert written.count(" selected") == 1
    assert _community_options([], communities[0]) == ""
