"""A report form sent twice at once (a double click, a resend) files one incident, and the
second sending is shown it. Real threads with their own connections (see test_race.py)."""

import importlib

import pytest
from django.apps import apps
from django.db import connection

from incidents.models import Incident
from tests.conftest import missing_service
from tests.grids.test_double_submit import post_as, token_on
from tests.incidents.test_intake import REPORT, report_data
from tests.incidents.test_race import run_together

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql():
    if connection.vendor != "postgresql":
        missing_service("SQLite serialises writers, so threads cannot race: needs PostgreSQL")


@pytest.fixture(autouse=True)
def _categories():
    """The migration's categories and time limits, loaded again where an earlier
    transactional test emptied the tables."""
    defaults = importlib.import_module("incidents.migrations.0002_defaults")
    defaults.load_defaults(apps, None)


def test_a_report_sent_twice_at_once_files_one_incident(client, world):
    member = world.a.grid_member
    client.force_login(member)
    for round_ in range(8):
        title = f"化粪池渗漏 {round_}"
        data = {
            **report_data(world.a.grid, title=title),
            "once": token_on(client.get(REPORT), "once"),
        }
        outcomes = run_together(post_as(member, REPORT, data), post_as(member, REPORT, data))
        (incident,) = Incident.objects.filter(title=title)
        assert [o.status_code for o in outcomes] == [302, 302], f"round {round_}: {outcomes}"
        assert {o["Location"] for o in outcomes} == {incident.get_absolute_url()}


def test_a_report_sent_again_later_is_shown_the_incident_it_filed(client, world):
    client.force_login(world.a.grid_member)
    data = {**report_data(world.a.grid), "once": token_on(client.get(REPORT), "once")}
    client.post(REPORT, data)
    again = client.post(REPORT, data, follow=True)
    incident = Incident.objects.get()
    assert again.redirect_chain == [(incident.get_absolute_url(), 302)]
    assert "This form was already sent" in again.content.decode()
