"""Building the areas' roll-up (reports.rollup.roll_up_areas) next to a write that forgets
days: it never waits for the write (so the two cannot deadlock), builds no day the write is
forgetting, and the write's forgetting wins."""

import datetime
import threading

import pytest
import time_machine
from django.db import connection, transaction

from reports.models import AreaDay, GridDay
from reports.rollup import fill_missing, forget_days, roll_up_areas
from tests.patrols.factories import local

pytestmark = pytest.mark.django_db(transaction=True)

TODAY = datetime.date(2026, 11, 25)
ONE, TWO = TODAY - datetime.timedelta(days=2), TODAY - datetime.timedelta(days=1)


def holding(forget, release):
    """Start a thread that runs `forget` in a transaction and keeps it open until `release`
    is set; returns the thread once `forget` ran. SQLite has no row locks (a write locks the
    whole database until it commits): there the write commits at once, the build follows."""
    done = threading.Event()
    hold = connection.vendor == "postgresql"

    def run():
        try:
            with transaction.atomic():
                forget()
                if hold:
                    done.set()
                    release.wait(timeout=30)
            done.set()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    assert done.wait(timeout=10)
    return thread


def within_seconds(call, seconds=10):
    """call() in a thread, which must finish within `seconds` (it must not wait for a lock)."""
    outcome = []

    def run():
        try:
            outcome.append(call())
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=seconds)
    assert not thread.is_alive(), "building the areas' rows waited for a lock"
    return outcome[0]


def test_building_never_waits_for_a_write_that_forgets_a_day(world):
    grid = world.a.grid
    with time_machine.travel(local(TODAY, 10), tick=False):
        fill_missing(days=2)
    community = world.a.community
    assert AreaDay.objects.filter(area=community, day__in=[ONE, TWO]).count() == 2

    # The areas' rows of ONE are gone (built again below), and a write now forgets ONE for
    # one grid: it holds that grid's row, deleted, until it commits.
    AreaDay.objects.filter(day=ONE).delete()
    release = threading.Event()
    writer = holding(lambda: forget_days([(grid.pk, ONE)], today=TODAY), release)
    try:
        # ONE lacks the grid's row being forgotten: not built; TWO is.
        built = within_seconds(lambda: roll_up_areas([ONE, TWO]))
        assert built == AreaDay.objects.filter(day=TWO).count() > 0
        assert not AreaDay.objects.filter(day=ONE).exists()
    finally:
        release.set()
        writer.join(timeout=10)
    assert not GridDay.objects.filter(grid=grid, day=ONE).exists()

    # A write that forgets TWO holds its areas' rows, deleted: nothing is built, at once.
    release = threading.Event()
    writer = holding(lambda: forget_days([(grid.pk, TWO)], today=TODAY), release)
    try:
        assert within_seconds(lambda: roll_up_areas([TWO])) == 0
    finally:
        release.set()
        writer.join(timeout=10)
    assert not AreaDay.objects.filter(day=TWO).exists()

    # Rolled up again, both days are built.
    with time_machine.travel(local(TODAY, 11), tick=False):
        fill_missing(days=2)
    assert AreaDay.objects.filter(area=community, day__in=[ONE, TWO]).count() == 2
