"""The station home's counts per community are read by a statement compiled once and bound to
each request's values (gridmgmt.statements): bound, it is the statement Django compiles for
those values, for one community or two and any day."""

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from gridmgmt import statements
from reports import home

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_statements_kept():
    statements.forget()
    yield
    statements.forget()


def build(values):
    return home._community_counts(values).query.sql_with_params()


@pytest.mark.parametrize(
    ("ids", "today", "now"),
    [
        (
            [12],
            datetime.date(2026, 12, 5),
            datetime.datetime(2026, 12, 5, 1, 2, tzinfo=datetime.UTC),
        ),
        (
            [3],
            datetime.date(2024, 2, 29),
            datetime.datetime(2024, 2, 28, 23, 59, tzinfo=datetime.UTC),
        ),
        (
            [7, 9],
            datetime.date(2027, 1, 1),
            datetime.datetime(2026, 12, 31, 16, 0, tzinfo=datetime.UTC),
        ),
    ],
)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="statements are compiled once on PostgreSQL only"
)
def test_the_bound_statement_is_djangos(ids, today, now):
    values = {"today": today, "last_month": home._last_month(today), "now": now}
    values.update({f"community_{n}": pk for n, pk in enumerate(ids)})
    key = ("reports.home.community_counts", len(ids))
    for _ in range(2):  # compiled, then bound
        sql, params = statements.compiled(key, build, values)
        django_sql, django_params = build(values)
        assert (sql, list(params)) == (django_sql, list(django_params))
    assert statements._built[(timezone.get_default_timezone_name(), key)] is not None


def test_the_station_reads_its_counts_as_before(world):
    today = datetime.date(2026, 12, 5)
    now = timezone.now()
    ids = [world.a.community.pk, world.b.community.pk]
    values = {"today": today, "last_month": home._last_month(today), "now": now}
    values.update({f"community_{n}": pk for n, pk in enumerate(ids)})
    expected = list(home._community_counts(values))
    assert home._community_rows(ids, today, now) == expected
    assert home._community_rows(ids, today, now) == expected
    assert {row["pk"] for row in expected} == set(ids)


def test_the_station_incidents_read_bound_are_the_querysets(client, world):
    """statements.model_rows: the instances read by the bound statement, compiled then
    bound, are those the queryset gives, with their related rows and annotations."""
    from grids.scope import Scope
    from incidents.models import Incident
    from tests.incidents.factories import make_incident

    side = world.a
    now = timezone.now()
    # The grid's incidents handled by its member, the other grid's by the stationmaster.
    for grid, handler in ((side.grid, side.grid_member), (side.other_grid, side.stationmaster)):
        for _ in range(3):
            incident = make_incident(grid, side.grid_member, at=now - datetime.timedelta(days=2))
            Incident.objects.filter(pk=incident.pk).update(
                handler=handler, deadline_at=now - datetime.timedelta(hours=1)
            )
    scope = Scope(side.stationmaster)
    ids = [side.community.pk]
    # The grid's incidents' post covered (as the station does while its A and B are away):
    # its incidents are mine too.
    post = side.grid.posts.filter(holder_a=side.grid_member).get()
    Incident.objects.filter(grid=side.grid).update(post=post)
    values = {"now": now, "covered_0": post.pk}

    def build(v):
        return home._station_incidents(scope, ids, True, 1, v)

    def seen(rows):
        return [
            (
                row.pk,
                row.number,
                row.title,
                row.deadline_at,
                row.grid.name,
                row.category.name,
                row.handler.display_name,
                row._rank_late,
                row._count_mine,
                row._first,
            )
            for row in rows
        ]

    expected = seen(build(values))
    assert len(expected) == 6
    # Mine: those the stationmaster handles, and those of the post they cover.
    assert [row[8] for row in expected] == [6] * 6
    for _ in range(3):  # as usual, compiled, then bound
        assert seen(statements.model_rows(("test", 1), build, values)) == expected

    # Covering nothing: only those the stationmaster handles are mine.
    def uncovered(v):
        return home._station_incidents(scope, ids, True, 0, v)

    alone = seen(uncovered({"now": now}))
    assert [row[8] for row in alone] == [3] * 6
    for _ in range(3):
        assert seen(statements.model_rows(("test", 0), uncovered, {"now": now})) == alone
