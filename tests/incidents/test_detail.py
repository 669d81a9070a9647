"""An incident's page and its steps through the browser's eyes (test client): the whole
loop, AB routing, first-question responsibility, sensitive categories, who may do what."""

import datetime
import re

import pytest
from django.utils import timezone

from grids.models import Absence, Post, Role
from grids.scope import Scope
from incidents import services
from incidents.models import Category, Handover, Incident, TimelineEntry
from tests.factories import make_user


def category(code="facility", **fields):
    fields.setdefault("name", code)
    return Category.objects.update_or_create(code=code, defaults=fields)[0]


def file(world, by=None, **fields):
    fields.setdefault("category", category())
    fields.setdefault("title", "化粪池渗漏")
    fields.setdefault("source", Incident.Source.PATROL)
    return services.open_incident(grid=world.a.grid, by=by or world.a.grid_member, **fields)


def post_step(client, incident, step, **data):
    return client.post(f"/incidents/{incident.number}/steps/{step}/", data)


@pytest.fixture
def repair_post(world):
    """A grid-leader post whose A holder is away today, so B acts."""
    post = Post.objects.get(area=world.a.grid, role=Role.GRID_LEADER)
    post.holder_b = make_user("gl_a_b", full_name="Leader A backup")
    post.save()
    today = timezone.localdate()
    Absence.objects.create(user=post.holder_a, starts_on=today, ends_on=today, reason="leave")
    return post


def test_the_whole_loop_with_ab_routing_and_first_responsibility(client, world, repair_post):
    incident = file(world)
    assert incident.number.startswith(f"{timezone.localdate().year}-")
    client.force_login(world.a.stationmaster)
    assert post_step(client, incident, "assign", post=repair_post.pk).status_code == 302
    incident.refresh_from_db()
    assert incident.status == "assigned" and incident.handler == repair_post.holder_b

    client.force_login(repair_post.holder_b)
    post_step(client, incident, "start")
    post_step(client, incident, "resolve", note="已疏通")
    client.force_login(world.a.stationmaster)
    post_step(client, incident, "verify")
    post_step(client, incident, "close", satisfaction="satisfied", note="很满意")
    incident.refresh_from_db()
    assert incident.status == "closed" and incident.satisfaction == "satisfied"
    assert incident.first_responsible == world.a.grid_member
    steps = list(incident.timeline.values_list("action", "by__username"))
    assert steps == [
        ("report", "gm_a"),
        ("assign", "sm_a"),
        ("start", "gl_a_b"),
        ("resolve", "gl_a_b"),
        ("verify", "sm_a"),
        ("close", "sm_a"),
    ]
    page = client.get(f"/incidents/{incident.number}/").content.decode()
    assert "Member A" in page and "Satisfied" in page


def test_a_step_the_user_may_not_take_is_403_and_changes_nothing(client, world):
    incident = file(world)
    client.force_login(world.a.grid_member)
    assert post_step(client, incident, "verify").status_code == 403
    assert post_step(client, incident, "no-such-step").status_code == 403
    incident.refresh_from_db()
    assert incident.status == "reported"


def test_a_step_from_the_wrong_state_is_explained(client, world):
    incident = file(world)
    client.force_login(world.a.grid_member)
    post_step(client, incident, "accept")
    response = client.post(f"/incidents/{incident.number}/steps/accept/", follow=True)
    assert "Someone else changed this incident first" in response.content.decode()
    assert TimelineEntry.objects.filter(incident=incident, action="accept").count() == 1


def test_the_first_responsible_person_stays_until_the_receiver_accepts(client, world):
    incident = file(world)
    client.force_login(world.a.grid_member)
    client.post(f"/incidents/{incident.number}/handover/", {"to": world.a.grid_leader.pk})
    incident.refresh_from_db()
    assert incident.first_responsible == world.a.grid_member
    handover = Handover.objects.get()
    client.force_login(world.a.grid_leader)
    client.post(f"/incidents/{incident.number}/handovers/{handover.pk}/", {"decision": "accept"})
    incident.refresh_from_db()
    assert incident.first_responsible == world.a.grid_leader
    actions = list(incident.timeline.values_list("action", flat=True))
    assert actions[-2:] == ["handover", "handover_accepted"]


def test_a_petition_is_hidden_from_a_member_who_does_not_handle_it(client, world):
    petition = file(world, category=category("petition", is_sensitive=True), title="上访")
    client.force_login(world.a.grid_member)  # reported it, but is not its handler
    assert client.get(f"/incidents/{petition.number}/").status_code == 404
    client.force_login(world.a.stationmaster)
    assert client.get(f"/incidents/{petition.number}/").status_code == 200
    post_step(
        client,
        petition,
        "assign",
        post=Post.objects.get(area=world.a.grid, role=Role.GRID_LEADER).pk,
    )
    client.force_login(world.a.grid_leader)  # now its handler
    assert client.get(f"/incidents/{petition.number}/").status_code == 200
    client.force_login(world.a.grid_member)
    assert client.get(f"/incidents/{petition.number}/").status_code == 404


def test_another_community_gets_404(client, world):
    incident = file(world)
    client.force_login(world.b.stationmaster)
    assert client.get(f"/incidents/{incident.number}/").status_code == 404
    assert post_step(client, incident, "verify").status_code == 404


def test_pause_and_restart_the_clock(client, world):
    incident = file(world)
    client.force_login(world.a.stationmaster)
    client.post(f"/incidents/{incident.number}/pause/", {"reason": "等居民回家"})
    incident.refresh_from_db()
    assert incident.is_paused and incident.pause_reason == "等居民回家"
    deadline = incident.deadline_at
    client.post(f"/incidents/{incident.number}/pause/")
    incident.refresh_from_db()
    assert not incident.is_paused and incident.deadline_at >= deadline


def test_supervising_urges_the_handler(client, world):
    incident = file(world)
    client.force_login(world.a.grid_member)
    post_step(client, incident, "accept")
    client.force_login(world.a.stationmaster)
    client.post(f"/incidents/{incident.number}/supervise/", {"note": "今天处理"})
    incident.refresh_from_db()
    assert incident.is_supervised
    assert world.a.grid_member.notifications.filter(body="今天处理").count() == 1


def test_an_extension_needs_the_station(client, world):
    incident = file(world)
    client.force_login(world.a.grid_member)
    post_step(client, incident, "accept")
    client.post(f"/incidents/{incident.number}/extension/", {"hours": 8, "reason": "等配件"})
    extension = incident.extensions.get()
    client.post(f"/incidents/{incident.number}/extensions/{extension.pk}/", {"decision": "approve"})
    extension.refresh_from_db()
    assert extension.is_approved is None  # a member cannot approve
    before = Incident.objects.get(pk=incident.pk).deadline_at
    client.force_login(world.a.stationmaster)
    client.post(f"/incidents/{incident.number}/extensions/{extension.pk}/", {"decision": "approve"})
    assert Incident.objects.get(pk=incident.pk).deadline_at > before


def test_a_dispute_records_its_parties_and_mediation(client, world):
    from tests.factories import make_household, make_resident

    home = make_household(world.a.grid)
    one, two = make_resident(home, name="甲"), make_resident(home, name="乙")
    dispute = file(world, category=category("dispute", is_dispute=True), title="噪音纠纷")
    client.force_login(world.a.stationmaster)
    client.post(
        f"/incidents/{dispute.number}/mediation/",
        {"parties": [one.pk, two.pk], "mediation": "双方和解", "is_mediated": "true"},
    )
    dispute.refresh_from_db()
    assert set(dispute.parties.all()) == {one, two} and dispute.is_mediated is True


def test_a_dispute_s_parties_are_found_by_name_not_listed(client, world):
    """The page shows the parties chosen and a search box, not every resident of the grid;
    the search lists the grid's current residents who match, never those of another grid."""
    from tests.factories import make_household, make_resident

    home, away = make_household(world.a.grid), make_household(world.b.grid)
    party = make_resident(home, name="甲一")
    make_resident(home, name="乙二")
    make_resident(home, name="甲三")
    make_resident(away, name="甲四")
    dispute = file(world, category=category("dispute", is_dispute=True), title="噪音纠纷")
    dispute.parties.set([party])
    client.force_login(world.a.stationmaster)
    page = client.get(f"/incidents/{dispute.number}/").content.decode()
    assert "甲一" in page and "乙二" not in page and "甲三" not in page
    found = client.get(
        f"/incidents/{dispute.number}/parties/", {"parties_q": "甲", "parties": [party.pk]}
    ).content.decode()
    assert "甲三" in found and "甲一" not in found and "乙二" not in found and "甲四" not in found
    # Without JavaScript the search button shows the page again with the matches.
    again = client.post(
        f"/incidents/{dispute.number}/mediation/",
        {"parties": [party.pk], "parties_q": "甲", "_search": "parties", "mediation": "x"},
    ).content.decode()
    assert "甲三" in again and "甲四" not in again
    dispute.refresh_from_db()
    assert dispute.mediation == ""
    # Someone outside the grid gets no matches.
    client.force_login(world.b.stationmaster)
    assert client.get(f"/incidents/{dispute.number}/parties/", {"parties_q": "甲"}).status_code in {
        403,
        404,
    }


def test_the_detail_page_query_count_does_not_grow_with_the_timeline(
    client, world, django_assert_max_num_queries
):
    incident = file(world)
    client.force_login(world.a.stationmaster)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as first:
        client.get(f"/incidents/{incident.number}/")
    for _ in range(10):
        services.supervise(
            incident,
            by=world.a.stationmaster,
            scope=Scope(world.a.stationmaster),
        )
    with django_assert_max_num_queries(len(first.captured_queries)):
        client.get(f"/incidents/{incident.number}/")


def test_deadline_is_in_the_future_on_filing(world):
    incident = file(world)
    assert incident.filed_at < incident.warn_at < incident.deadline_at
    assert incident.deadline_at - incident.filed_at >= datetime.timedelta(
        hours=incident.limit_hours
    )


def test_a_member_who_files_a_petition_is_not_sent_to_a_page_they_cannot_see(client, world):
    category("petition", is_sensitive=True)
    client.force_login(world.a.grid_member)
    response = client.post(
        "/incidents/new/",
        {
            "grid": world.a.grid.pk,
            "category": Category.objects.get(code="petition").pk,
            "urgency": "normal",
            "title": "信访件",
            "source": "walk_in",
            "reporter_kind": "anonymous",
        },
    )
    assert Incident.objects.filter(title="信访件").exists(), response.content.decode()[:500]
    assert response.status_code == 302 and response["Location"] == "/incidents/"


def test_the_detail_page_reads_extensions_handovers_and_parties_only_when_there_are(client, world):
    """The incident's row says whether it has extensions, a pending handover and parties:
    without them the page reads none of the three (a statement each), with them it shows
    them all."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from incidents.models import Extension
    from tests.factories import make_household, make_resident

    incident = file(world)
    client.force_login(world.a.stationmaster)
    client.get(f"/incidents/{incident.number}/")
    with CaptureQueriesContext(connection) as bare:
        page = client.get(f"/incidents/{incident.number}/").content.decode()
    assert "乙方代表" not in page and "offered this incident to" not in page
    Extension.objects.create(
        incident=incident, hours=8, reason="等待配件", requested_by=world.a.grid_member
    )
    Handover.objects.create(
        incident=incident, from_user=world.a.grid_member, to_user=world.a.grid_leader
    )
    household = make_household(world.a.grid)
    incident.parties.set([make_resident(household, name="乙方代表")])
    with CaptureQueriesContext(connection) as full:
        page = client.get(f"/incidents/{incident.number}/").content.decode()
    assert len(full.captured_queries) == len(bare.captured_queries) + 3
    assert "+8 h · 等待配件" in page
    assert "offered this incident to" in page
    assert "乙方代表" in page


def test_each_steps_form_has_ids_of_its_own(client, world):
    """The steps' forms share one form's fields, each drawn with its own ids: every label
    names its own step's field, and the assign step lists the community's posts."""
    incident = file(world)
    client.force_login(world.a.stationmaster)
    page = client.get(incident.get_absolute_url()).content.decode()
    steps = re.findall(r'data-step="(\w+)"', page)
    assert {"assign", "mark_duplicate"} <= set(steps) and len(steps) >= 3
    for step in steps:
        assert page.count(f'for="id_{step}_note"') == 1
        assert page.count(f'id="id_{step}_note"') == 1
    assert page.count('id="id_assign_post"') == 1 and 'id="id_accept_post"' not in page
    assert page.count('id="id_mark_duplicate_duplicate_number"') == 1
    assert page.count(f"{world.a.grid.name} · ") >= 1


def test_a_waiting_incident_lists_the_open_ones_like_it_in_its_grid(client, world):
    first = file(world, title="第一")
    other_category = file(world, title="别类", category=category("noise"))
    other_grid = services.open_incident(
        grid=world.a.other_grid,
        by=world.a.stationmaster,
        category=category(),
        title="别格",
        source=Incident.Source.PATROL,
    )
    second = file(world, title="第二")
    client.force_login(world.a.stationmaster)
    listed = duplicates_box(client, second)
    assert first.number in listed and second.number not in listed
    assert other_category.number not in listed and other_grid.number not in listed
    # Twice: the second request is bound to the statement kept from the first.
    listed = duplicates_box(client, first)
    assert second.number in listed and first.number not in listed


def duplicates_box(client, incident):
    page = client.get(f"/incidents/{incident.number}/").content.decode()
    return page.split("data-duplicates", 1)[1].split("</div>", 1)[0]
