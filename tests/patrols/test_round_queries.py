"""A member's round (start, observe, submit) writes in a fixed number of queries, however
much the patrol recorded; a returned log submitted again replaces its checks and companions;
and a log submitted (and returned) since it was read is not written from what was read."""

import datetime
import uuid

import pytest
import time_machine
from django.db import connection

from incidents.calendar import Calendar
from patrols import services
from patrols.models import Patrol, PatrolCheck

# These pin PostgreSQL's statements (arrays read with the rows, a write in one statement):
# on SQLite the same pages read them by queries of their own.
PG_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="pins PostgreSQL's statements"
)

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


def at(hour, minute=0):
    return datetime.datetime(2026, 11, 28, hour, minute, tzinfo=SHANGHAI)


def observe(client, patrol, category="sanitation"):
    response = client.post(
        f"/patrols/{patrol.pk}/observations/",
        {"category": category, "place": "东门", "text": "垃圾桶满了", "client_id": uuid.uuid4()},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 201
    return response


@PG_ONLY
@pytest.mark.parametrize("observed", [1, 4])
def test_each_write_of_a_round_runs_a_fixed_number_of_queries(
    client, world, django_assert_num_queries, observed
):
    client.force_login(world.a.grid_member)
    with time_machine.travel(at(8, 30), tick=False):
        # session, user, posts (scope), the grid with its community's schedule, the log (in
        # a savepoint here: the test's transaction; on its own in autocommit)
        with django_assert_num_queries(7):
            response = client.post("/patrols/start/", {"grid": world.a.grid.code})
        patrol = Patrol.objects.get(member=world.a.grid_member, status="in_progress")
        assert response["Location"] == patrol.get_absolute_url()
        assert (patrol.day, patrol.slot) == (datetime.date(2026, 11, 28), "am")
        for category in ["sanitation", "security", "demand", "dispute"][: observed - 1]:
            observe(client, patrol, category)
        # session, user, posts (scope), the patrol, the observation (in a savepoint here)
        with django_assert_num_queries(7):
            observe(client, patrol)
    with time_machine.travel(at(9, 45), tick=False):
        Calendar.around(at(9, 45), days=15)  # the year's days off loaded, as in service
        # session, user, posts (scope), the patrol with what the checks link (and the
        # checks and companions stored), savepoint, the log with its checks and their links
        # (one statement; in autocommit no savepoint), release, the calendar (the next
        # window's message); no team read (nobody named), no re-read
        with django_assert_num_queries(8):
            response = client.post(f"/patrols/{patrol.pk}/submit/", {"summary": "巡查完毕"})
    assert response.status_code == 302 and response["Location"] == patrol.get_absolute_url()
    patrol.refresh_from_db()
    assert patrol.status == "submitted" and patrol.duration_minutes == 75
    assert not patrol.is_short and not patrol.is_all_none and patrol.summary == "巡查完毕"
    checks = {c.question: c for c in patrol.checks.all()}
    assert len(checks) == 4 and not checks["problems"].is_none
    linked = sum(c.observations.count() for c in checks.values())
    assert linked == patrol.observations.count() == observed


def test_a_returned_log_submitted_again_replaces_its_checks_and_companions(client, world):
    member = world.a.grid_member
    client.force_login(member)
    with time_machine.travel(at(8, 30), tick=False):
        client.post("/patrols/start/", {"grid": world.a.grid.code})
        patrol = Patrol.objects.get(member=member, status="in_progress")
        observe(client, patrol)
    with time_machine.travel(at(9, 45), tick=False):
        client.post(
            f"/patrols/{patrol.pk}/submit/",
            {
                "summary": "first",
                "companions": [world.a.grid_member_b.pk, world.a.grid_leader.pk],
                "disputes": "found",
                "disputes_note": "邻里纠纷",
            },
        )
    patrol.refresh_from_db()
    assert set(patrol.companions.all()) == {world.a.grid_member_b, world.a.grid_leader}
    services.review_patrol(patrol, by=world.a.stationmaster, approve=False, comment="补充")
    with time_machine.travel(at(10), tick=False):
        response = client.post(
            f"/patrols/{patrol.pk}/submit/",
            {
                "summary": "second",
                "companions": [world.a.grid_member_b.pk],
                "other_companions": [world.a.stationmaster.pk],
            },
        )
    assert response.status_code == 302
    patrol.refresh_from_db()
    assert patrol.status == "submitted" and patrol.summary == "second"
    assert set(patrol.companions.all()) == {world.a.grid_member_b, world.a.stationmaster}
    checks = {c.question: c for c in patrol.checks.all()}
    assert len(checks) == 4 and PatrolCheck.objects.filter(patrol=patrol).count() == 4
    assert checks["disputes"].is_none and checks["disputes"].note == ""
    assert [o.pk for o in checks["problems"].observations.all()] == [
        o.pk for o in patrol.observations.all()
    ]
    assert PatrolCheck.observations.through.objects.filter(patrolcheck__patrol=patrol).count() == 1

    # Nobody named: the companions are dropped.
    services.review_patrol(patrol, by=world.a.stationmaster, approve=False, comment="再补充")
    with time_machine.travel(at(10, 30), tick=False):
        client.post(f"/patrols/{patrol.pk}/submit/", {"summary": "third"})
    patrol.refresh_from_db()
    assert patrol.summary == "third" and not patrol.companions.exists()


def test_a_log_submitted_and_returned_since_it_was_read_is_refused(world):
    member = world.a.grid_member
    with time_machine.travel(at(8, 30), tick=False):
        patrol = services.start_patrol(world.a.grid, by=member)
    stale = Patrol.objects.get(pk=patrol.pk)
    with time_machine.travel(at(9, 45), tick=False):
        services.submit_patrol(patrol, by=member, summary="first", companions=[world.a.grid_leader])
        services.review_patrol(patrol, by=world.a.stationmaster, approve=False, comment="补充")
        # `stale` was read in progress: its log has been submitted and returned since, so
        # what would be read for it is not what it was read with.
        with pytest.raises(services.PatrolError):
            services.submit_patrol(stale, by=member, summary="stale")
    patrol.refresh_from_db()
    assert patrol.status == "returned" and patrol.summary == "first"
    assert list(patrol.companions.all()) == [world.a.grid_leader]
    assert patrol.checks.count() == 4


def test_a_patrol_in_progress_is_refused_a_second_start_and_keeps_its_transaction(client, world):
    client.force_login(world.a.grid_member)
    with time_machine.travel(at(8, 30), tick=False):
        client.post("/patrols/start/", {"grid": world.a.grid.code})
        response = client.post("/patrols/start/", {"grid": world.a.grid.code}, follow=True)
    assert "finish it first" in response.content.decode()
    assert Patrol.objects.filter(member=world.a.grid_member).count() == 1


@PG_ONLY
def test_a_log_written_at_once_is_refused_when_submitted_since_it_was_read(world):
    """The one statement of a first submission writes nothing, neither checks nor
    companions, when the log is no longer as it was read (a submission in between)."""
    member = world.a.grid_member
    with time_machine.travel(at(8, 30), tick=False):
        patrol = services.start_patrol(world.a.grid, by=member)
        observed = services.add_observation(
            patrol, by=member, client_id=uuid.uuid4(), category="sanitation", text="满"
        )[0]
    stale = Patrol.objects.get(pk=patrol.pk)
    with time_machine.travel(at(9, 45), tick=False):
        services.submit_patrol(patrol, by=member, summary="first")
        checks, observations, corrections, _ = services._check_answers(
            stale, {}, {"sanitation": [observed.pk], "-correction": []}
        )
        written = services._write_at_once(
            stale,
            {"summary": "stale"},
            checks,
            observations,
            corrections,
            companions={world.a.grid_leader.pk},
        )
    assert written is False
    patrol.refresh_from_db()
    assert patrol.summary == "first" and not patrol.companions.exists()
    assert patrol.checks.count() == 4
    assert PatrolCheck.observations.through.objects.filter(patrolcheck__patrol=patrol).count() == 1
