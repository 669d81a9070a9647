"""A meeting's record through its pages: attendance (with a substitute through the AB post),
minutes with the stale-form check, the agenda edited by the station, action items (one
turned into an incident, one done by its owner), closing; who may do what; the list."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from incidents.models import Category, Incident
from meetings import services
from meetings.models import ActionItem, AgendaItem, GridReport, Kind, Participant
from notifications.models import Notification
from tests.incidents.factories import local, make_category, make_incident
from tests.meetings.test_agenda import make_meeting

D = datetime.date
STARTS_AT = local(D(2026, 12, 7), 9)
DURING = local(D(2026, 12, 7), 9, 30)
BEFORE = local(D(2026, 12, 4), 16)


@pytest.fixture
def during():
    with time_machine.travel(DURING, tick=False):
        yield


@pytest.fixture
def meeting(world):
    return make_meeting(world.a.community, STARTS_AT)


def participant(meeting, user):
    return meeting.participants.get(user=user)


def url(name, *args):
    return reverse(f"meetings:{name}", args=args)


def attendance_data(meeting, rows):
    """{user: (attendance, substitute)} → the attendance form's POST data."""
    data = {}
    for user, (attendance, substitute) in rows.items():
        prefix = f"p{participant(meeting, user).pk}"
        data[f"{prefix}-attendance"] = attendance
        data[f"{prefix}-substitute"] = substitute.pk if substitute else ""
    return data


def everyone_present(world, meeting):
    a = world.a
    return attendance_data(
        meeting,
        {u: ("present", None) for u in (a.stationmaster, a.grid_leader, a.grid_member)},
    )


def test_the_series_participants_are_expected(world, meeting):
    a = world.a
    assert set(meeting.participants.values_list("user", flat=True)) == {
        a.stationmaster.pk,
        a.grid_leader.pk,
        a.grid_member.pk,
    }


def test_the_stationmaster_records_attendance_with_a_substitute(client, world, meeting, during):
    a = world.a
    client.force_login(a.stationmaster)
    page = client.get(meeting.get_absolute_url())
    assert page.status_code == 200
    # The AB post's B holder is offered first, as the suggestion.
    assert f'data-suggestion="{a.grid_member_b.pk}"' in page.content.decode()

    data = attendance_data(
        meeting,
        {
            a.stationmaster: ("present", None),
            a.grid_leader: ("absent", None),
            a.grid_member: ("excused", a.grid_member_b),
        },
    )
    response = client.post(url("attendance", meeting.pk), data)
    assert response.status_code == 302

    member = participant(meeting, a.grid_member)
    assert (member.attendance, member.substitute) == ("excused", a.grid_member_b)
    assert participant(meeting, a.grid_leader).attendance == "absent"
    assert participant(meeting, a.stationmaster).attendance == "present"
    assert member.history.first().history_user == a.stationmaster


def test_the_substitute_opens_the_meeting_they_stand_in_at(client, world, meeting, during):
    a = world.a
    client.force_login(a.grid_member_b)
    assert client.get(meeting.get_absolute_url()).status_code == 404
    member = participant(meeting, a.grid_member)
    member.attendance, member.substitute = "excused", a.grid_member_b
    member.save()
    assert client.get(meeting.get_absolute_url()).status_code == 200


def test_someone_present_has_no_substitute(client, world, meeting, during):
    a = world.a
    client.force_login(a.stationmaster)
    data = attendance_data(meeting, {a.grid_member: ("present", a.grid_member_b)})
    client.post(url("attendance", meeting.pk), data)
    member = participant(meeting, a.grid_member)
    assert (member.attendance, member.substitute) == ("present", None)


def test_a_substitute_from_another_community_is_refused(client, world, meeting, during):
    a = world.a
    client.force_login(a.stationmaster)
    data = attendance_data(meeting, {a.grid_member: ("excused", world.b.grid_member)})
    response = client.post(url("attendance", meeting.pk), data)
    assert response.status_code == 400
    assert participant(meeting, a.grid_member).attendance == "expected"
    # The row says why, beside the choices sent.
    page = response.content.decode()
    row = page[page.index(f'data-participant="{a.grid_member.username}"') :]
    assert row.index('class="text-danger small"') < row.index('name="p')


def test_a_participant_reads_the_meeting_but_changes_nothing(client, world, meeting, during):
    a = world.a
    item = ActionItem.objects.create(
        meeting=meeting,
        text="清理楼道",
        owner=a.grid_leader,
        due_on=D(2026, 12, 10),
        grid=a.grid,
        created_by=a.stationmaster,
    )
    agenda_item = services.add_agenda_item(meeting, by=a.stationmaster, text="传达部署")
    client.force_login(a.grid_member)
    page = client.get(meeting.get_absolute_url())
    assert page.status_code == 200
    assert "Save attendance" not in page.content.decode()
    assert "传达部署" in page.content.decode()
    writes = [
        url("attendance", meeting.pk),
        url("minutes", meeting.pk),
        url("close", meeting.pk),
        url("agenda_redraft", meeting.pk),
        url("agenda_add", meeting.pk),
        url("action_add", meeting.pk),
        url("agenda_edit", agenda_item.pk),
        url("agenda_move", agenda_item.pk),
        url("agenda_delete", agenda_item.pk),
        url("action_incident", item.pk),
        url("action_done", item.pk),  # not theirs
    ]
    for address in writes:
        assert client.post(address, {"text": "x", "grid": a.grid.pk}).status_code == 403, address
    meeting.refresh_from_db()
    assert meeting.status == "scheduled" and not ActionItem.objects.get(pk=item.pk).done_at


@pytest.mark.parametrize("who", ["outsider", "other_stationmaster", "non_participant"])
def test_anyone_else_gets_404(client, world, meeting, who, during):
    user = {
        "outsider": world.outsider,
        "other_stationmaster": world.b.stationmaster,
        "non_participant": world.a.grid_member_b,
    }[who]
    client.force_login(user)
    assert client.get(meeting.get_absolute_url()).status_code == 404
    assert client.post(url("close", meeting.pk)).status_code == 404


@pytest.mark.parametrize("meeting_id", [2**63 - 1, 2**63, 10**30])
def test_an_id_no_meeting_can_have_is_404(client, world, meeting, meeting_id):
    """Past the largest bigint too, as Django's lookup answers it (no database error)."""
    client.force_login(world.a.stationmaster)
    assert client.get(reverse("meetings:detail", args=[meeting_id])).status_code == 404
    assert client.get(meeting.get_absolute_url()).status_code == 200


def test_the_district_above_may_edit(client, world, meeting, during):
    client.force_login(world.district_officer)
    page = client.get(meeting.get_absolute_url())
    assert "Save attendance" in page.content.decode()


def test_a_stale_minutes_form_saves_nothing(client, world, meeting, during):
    a = world.a
    client.force_login(a.stationmaster)
    page = client.get(meeting.get_absolute_url())
    seen = page.context["minutes_form"].initial["seen_updated_at"]
    services.record_minutes(meeting, by=world.district_officer, minutes="街道的记录", decisions="")

    response = client.post(
        url("minutes", meeting.pk),
        {"minutes": "站长的记录", "decisions": "一、限期清理", "seen_updated_at": seen},
    )
    assert response.status_code == 400
    assert "Someone else changed" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.minutes == "街道的记录"

    fresh = client.get(meeting.get_absolute_url()).context["minutes_form"]
    response = client.post(
        url("minutes", meeting.pk),
        {
            "minutes": "站长的记录",
            "decisions": "一、限期清理",
            "seen_updated_at": fresh.initial["seen_updated_at"],
        },
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.minutes, meeting.decisions) == ("站长的记录", "一、限期清理")
    assert meeting.history.first().history_user == a.stationmaster


def test_closing_waits_for_everyones_attendance(client, world, meeting, during):
    a = world.a
    client.force_login(a.stationmaster)
    client.post(
        url("attendance", meeting.pk), attendance_data(meeting, {a.grid_member: ("present", None)})
    )
    response = client.post(url("close", meeting.pk), follow=True)
    text = response.content.decode()
    assert "Record everyone" in text and "Leader A" in text and "Stationmaster A" in text
    meeting.refresh_from_db()
    assert meeting.status == "scheduled"

    client.post(url("attendance", meeting.pk), everyone_present(world, meeting))
    client.post(url("close", meeting.pk))
    meeting.refresh_from_db()
    assert (meeting.status, meeting.closed_by, meeting.closed_at) == (
        "closed",
        a.stationmaster,
        DURING,
    )
    assert meeting.history.first().history_user == a.stationmaster

    # Closed: the record is final.
    data = attendance_data(meeting, {a.grid_member: ("absent", None)})
    response = client.post(url("attendance", meeting.pk), data, follow=True)
    assert "can no longer be changed" in response.content.decode()
    assert participant(meeting, a.grid_member).attendance == "present"


def test_a_meeting_cannot_close_before_it_starts(world, meeting):
    a = world.a
    Participant.objects.filter(meeting=meeting).update(attendance="present")
    with time_machine.travel(BEFORE, tick=False), pytest.raises(services.MeetingError):
        services.close_meeting(meeting, by=a.stationmaster)


def test_an_action_item_becomes_an_incident_once(client, world, meeting, during):
    a = world.a
    # The migration's category; created again after a transactional test's flush.
    Category.objects.get_or_create(code="other", defaults={"name": "其他"})
    client.force_login(a.stationmaster)
    response = client.post(
        url("action_add", meeting.pk),
        {
            "action-text": "协调维修破损井盖",
            "action-owner": a.grid_leader.pk,
            "action-due_on": "2026-12-11",
            "action-grid": "",
        },
    )
    assert response.status_code == 302
    item = ActionItem.objects.get(meeting=meeting)
    assert (item.owner, item.due_on, item.grid) == (a.grid_leader, D(2026, 12, 11), None)
    assert (
        Notification.objects.filter(recipient=a.grid_leader, key=f"action-item:{item.pk}").count()
        == 1
    )

    client.post(url("action_incident", item.pk), {"grid": a.other_grid.pk})
    item.refresh_from_db()
    incident = Incident.objects.get()
    assert item.incident == incident and item.grid == a.other_grid
    assert (incident.grid, incident.source, incident.title) == (
        a.other_grid,
        "meeting",
        "协调维修破损井盖",
    )
    assert incident.category.code == "other"
    assert incident.first_responsible == a.stationmaster

    response = client.post(url("action_incident", item.pk), {"grid": a.grid.pk}, follow=True)
    assert "already an incident" in response.content.decode()
    assert Incident.objects.count() == 1


def test_an_incident_must_be_in_the_meetings_community(client, world, meeting, during):
    a = world.a
    item = ActionItem.objects.create(
        meeting=meeting,
        text="x",
        owner=a.grid_leader,
        due_on=D(2026, 12, 10),
        created_by=a.stationmaster,
    )
    client.force_login(a.stationmaster)
    client.post(url("action_incident", item.pk), {"grid": world.b.grid.pk})
    assert not Incident.objects.exists()


def test_an_action_items_deadline_cannot_fall_before_the_meeting(client, world, meeting, during):
    a = world.a
    client.force_login(a.stationmaster)
    response = client.post(
        url("action_add", meeting.pk),
        {"action-text": "x", "action-owner": a.grid_leader.pk, "action-due_on": "2026-12-01"},
    )
    assert response.status_code == 400
    assert not ActionItem.objects.exists()


def test_the_owner_marks_their_action_item_done(client, world, meeting, during):
    a = world.a
    item = ActionItem.objects.create(
        meeting=meeting,
        text="走访",
        owner=a.grid_leader,
        due_on=D(2026, 12, 10),
        created_by=a.stationmaster,
    )
    client.force_login(a.grid_leader)
    client.post(url("action_done", item.pk), {"next": "https://evil.example/"})
    item.refresh_from_db()
    assert item.done_at == DURING and item.history.first().history_user == a.grid_leader


def test_the_station_edits_the_agenda(client, world, meeting, during):
    a = world.a
    client.force_login(a.stationmaster)
    client.post(url("agenda_add", meeting.pk), {"agenda-text": "第一项", "agenda-note": ""})
    client.post(url("agenda_add", meeting.pk), {"agenda-text": "第二项", "agenda-note": ""})
    first, second = meeting.agenda.all()
    client.post(url("agenda_move", second.pk), {"direction": "up"})
    assert list(meeting.agenda.values_list("text", flat=True)) == ["第二项", "第一项"]
    client.post(url("agenda_edit", first.pk), {"text": "第一项（改）", "note": "备注"})
    client.post(url("agenda_delete", second.pk))
    assert list(meeting.agenda.values_list("text", "note")) == [("第一项（改）", "备注")]


def test_the_agenda_is_drafted_when_first_opened_before_the_meeting(client, world, meeting):
    a = world.a
    services.add_agenda_item(meeting, by=a.stationmaster, text="传达部署")
    client.force_login(a.grid_member)  # any reader's first look drafts it
    with time_machine.travel(BEFORE, tick=False):
        client.get(meeting.get_absolute_url())
    meeting.refresh_from_db()
    assert meeting.agenda_generated_at == BEFORE
    with time_machine.travel(BEFORE + datetime.timedelta(hours=1), tick=False):
        client.get(meeting.get_absolute_url())
    meeting.refresh_from_db()
    assert meeting.agenda_generated_at == BEFORE, "opened again: not drafted again"


def test_a_meeting_first_opened_after_it_started_is_not_drafted(client, world, meeting, during):
    client.force_login(world.a.stationmaster)
    client.get(meeting.get_absolute_url())
    meeting.refresh_from_db()
    assert meeting.agenda_generated_at is None


def test_a_sensitive_incident_on_the_agenda_is_for_the_station(client, world, meeting, during):
    petition = make_incident(
        world.a.grid, world.a.stationmaster, category=make_category("p", is_sensitive=True)
    )
    AgendaItem.objects.create(
        meeting=meeting, source="supervised", text="信访件", incident=petition
    )
    client.force_login(world.a.grid_member)
    assert "信访件" not in client.get(meeting.get_absolute_url()).content.decode()
    client.force_login(world.a.stationmaster)
    assert "信访件" in client.get(meeting.get_absolute_url()).content.decode()


# --- The list ---


def test_the_list_shows_the_meetings_the_user_may_see(client, world, during):
    a = world.a
    upcoming = make_meeting(a.community, local(D(2026, 12, 14), 9))
    past = make_meeting(a.community, local(D(2026, 11, 30), 9), status="closed")
    monthly = make_meeting(
        a.community, local(D(2026, 12, 1), 14), kind=Kind.MONTHLY, status="closed"
    )
    other = make_meeting(world.b.community, local(D(2026, 12, 14), 9))

    client.force_login(a.grid_member)
    shown = {m.pk for m in client.get(url("list")).context["page"].object_list}
    assert shown == {upcoming.pk}
    shown = {m.pk for m in client.get(url("list"), {"when": "past"}).context["page"].object_list}
    assert shown == {past.pk, monthly.pk}
    page = client.get(url("list"), {"when": "past", "kind": "monthly"})
    assert [m.pk for m in page.context["page"].object_list] == [monthly.pk]
    assert reverse("meetings:calendar") in page.content.decode()

    client.force_login(world.outsider)
    assert not client.get(url("list")).context["page"].object_list
    client.force_login(world.b.stationmaster)
    assert [m.pk for m in client.get(url("list")).context["page"].object_list] == [other.pk]


@pytest.mark.parametrize("weeks", [1, 6])
def test_the_list_runs_a_fixed_number_of_queries(
    client, world, during, weeks, django_assert_num_queries
):
    for week in range(weeks):
        make_meeting(world.a.community, STARTS_AT + datetime.timedelta(weeks=week + 1))
    client.force_login(world.a.stationmaster)
    # 1 session, 2 user, 3 the scope's posts, 4 unread count, 5 count, 6 the page.
    with django_assert_num_queries(6):
        response = client.get(url("list"))
    assert len(response.context["page"].object_list) == weeks


def _action_item(meeting, side, n, **fields):
    """The n-th action item of `meeting`, owned by the side's grid leader for its grid."""
    return ActionItem.objects.create(
        meeting=meeting,
        text=f"事项{n}",
        owner=side.grid_leader,
        due_on=D(2026, 12, 10),
        grid=side.grid,
        created_by=side.stationmaster,
        **fields,
    )


@pytest.mark.parametrize("size", [1, 5])
def test_the_meeting_page_runs_a_fixed_number_of_queries(
    client, world, during, size, django_assert_num_queries
):
    a = world.a
    meeting = make_meeting(a.community, STARTS_AT)
    for n in range(size):
        _action_item(meeting, a, n)
        AgendaItem.objects.create(meeting=meeting, source="other", text=f"议题{n}", grid=a.grid)
    client.force_login(a.stationmaster)
    # 1 session, 2 user, 3 the meeting, 4 the scope's posts, 5 participants, 6 agenda,
    # 7 action items, 8 grids (the list and the action form's choices), 9 the roster,
    # 10 unread count.
    with django_assert_num_queries(10):
        assert client.get(meeting.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("size", [1, 4])
def test_action_items_show_their_owner_grid_and_incident_in_a_fixed_number_of_queries(
    client, world, during, size, django_assert_num_queries
):
    """The action items are read with only what the page shows of them, their owners,
    grids and incidents: nothing of them is read again row by row."""
    a = world.a
    meeting = make_meeting(a.community, STARTS_AT)
    a.grid_leader.full_name = "李组长"
    a.grid_leader.save()
    incidents = []
    for n in range(size):
        incident = make_incident(a.grid, a.grid_member, title=f"事项{n}")
        incidents.append(incident)
        _action_item(meeting, a, n, incident=incident, done_at=DURING if n % 2 else None)
    client.force_login(a.stationmaster)
    # As test_the_meeting_page_runs_a_fixed_number_of_queries counts them.
    with django_assert_num_queries(10):
        response = client.get(meeting.get_absolute_url())
    page = response.content.decode()
    for incident in incidents:
        assert f'href="{incident.get_absolute_url()}" data-incident="{incident.number}"' in page
        assert f"{incident.number}</a> · {incident.get_status_display()}" in page
    assert page.count("李组长 · ") == size
    assert page.count(f"· {a.grid.name}</div>") == size


def test_an_owner_who_does_not_attend_marks_their_item_done(client, world, meeting, during):
    a = world.a
    item = ActionItem.objects.create(
        meeting=meeting,
        text="核实租户",
        owner=a.grid_member_b,
        due_on=D(2026, 12, 10),
        created_by=a.stationmaster,
    )
    client.force_login(a.grid_member_b)
    response = client.post(url("action_done", item.pk))
    assert response.status_code == 302 and response.url == reverse("home")
    item.refresh_from_db()
    assert item.done_at == DURING


def test_the_monthly_meeting_shows_the_grid_reports(client, world, during):
    a = world.a
    monthly = make_meeting(a.community, local(D(2026, 12, 1), 14, 30), kind=Kind.MONTHLY)
    report = GridReport.objects.create(grid=a.grid, month=D(2026, 11, 1), status="submitted")
    GridReport.objects.create(grid=world.b.grid, month=D(2026, 11, 1), status="submitted")
    client.force_login(a.stationmaster)
    response = client.get(monthly.get_absolute_url())
    assert [r.pk for r in response.context["grid_reports"]] == [report.pk]
    assert report.get_absolute_url() in response.content.decode()


def test_the_attendance_table_is_drawn_as_its_unbound_forms_draw_it(client, world, during):
    """The page draws the attendance rows from the participants without a form each; the
    rows are exactly those of an unbound AttendanceForm per participant: the AB partner
    suggested, someone who stood in from the roster, someone from outside it."""
    from grids.models import User
    from meetings.forms import AttendanceForm
    from meetings.widgets import AttendanceRows

    a = world.a
    meeting = make_meeting(a.community, STARTS_AT)
    member = participant(meeting, a.grid_member)
    # Someone of the roster who is not the AB partner, with a name to escape.
    a.grid_leader.full_name = 'Lee <"&">'
    a.grid_leader.save()
    member.attendance, member.substitute = "excused", a.grid_leader
    member.save()
    leader = participant(meeting, a.grid_leader)
    leader.attendance, leader.substitute = "absent", world.b.grid_member  # not on the roster
    leader.save()
    # The AB partner.
    station = participant(meeting, a.stationmaster)
    station.attendance = "excused"
    station.substitute = User.objects.get(username="sm_a_b")
    station.save()
    client.force_login(a.stationmaster)
    response = client.get(meeting.get_absolute_url())
    drawn = response.context["attendance_forms"]
    assert drawn.roster is not None  # drawn without forms
    forms = [AttendanceForm(participant=p, roster=drawn.roster) for p in drawn.forms]
    expected = str(AttendanceRows(forms))
    assert str(drawn) == expected
    assert expected.count("data-participant=") == 3
    assert f'data-suggestion="{a.grid_member_b.pk}"' in expected
    assert f'<option value="{world.b.grid_member.pk}" selected>' in expected
    assert f'<option value="{a.grid_leader.pk}" selected>' in expected
    assert f'<option value="{station.substitute_id}" selected>' in expected
    assert "Lee &lt;&quot;&amp;&quot;&gt;" in expected
    assert str(drawn) in response.content.decode()
