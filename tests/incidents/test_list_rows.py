"""The incident list's rows, written in Python, are byte for byte the markup the list's loop
wrote through incidents/_row.html: the same elements, text, whitespace and escaping, in both
languages."""

import datetime

import pytest
from django.template import engines
from django.utils import translation

from grids.models import Area, User
from incidents.models import Category, Incident
from incidents.templatetags.incident_rows import incident_rows

# incidents/incident_list.html's loop before the rows were written in Python.
TEMPLATE = """{% for i in page.object_list %}
  {% include "incidents/_row.html" with incident=i only %}
{% endfor %}"""

NOW = datetime.datetime(2026, 11, 28, 9, 30, tzinfo=datetime.UTC)


def incidents():
    grid = Area(pk=7, kind=Area.Kind.GRID, name='North <&> "1"', code="G1")
    other = Area(pk=8, kind=Area.Kind.GRID, name="南区", code="G2")
    category = Category(pk=1, code="sanitation", name="Sanitation & <waste>")
    named = User(pk=3, username="ann", full_name="Ann & <Bo>")
    unnamed = User(pk=4, username="bob", full_name="")
    hour = datetime.timedelta(hours=1)
    rows = [
        # open, green, supervised, covered for someone
        Incident(
            number="2026-000001",
            title='Bins <full> & "smelly"',
            status=Incident.Status.ACCEPTED,
            is_supervised=True,
            covered_for_id=9,
            warn_at=NOW + hour,
            deadline_at=NOW + 2 * hour,
        ),
        # open, yellow, no handler
        Incident(
            number="2026-000002",
            title="楼道堆物",
            status=Incident.Status.REPORTED,
            warn_at=NOW - hour,
            deadline_at=NOW + 15 * hour,
        ),
        # open, red, paused
        Incident(
            number="2026-123456",
            title="x",
            status=Incident.Status.IN_PROGRESS,
            warn_at=NOW - 3 * hour,
            deadline_at=NOW - hour,
            paused_at=NOW - hour / 2,
        ),
        # closed: no light, no deadline
        Incident(
            number="2026-000004",
            title="",
            status=Incident.Status.CLOSED,
            warn_at=NOW - 3 * hour,
            deadline_at=NOW - hour,
            closed_at=NOW,
        ),
        # covered with no handler named
        Incident(
            number="2026-000005",
            title="y",
            status=Incident.Status.ASSIGNED,
            covered_for_id=3,
            warn_at=NOW + hour,
            deadline_at=NOW + 26 * hour,
        ),
    ]
    handlers = [named, None, unnamed, named, None]
    for i, (incident, handler) in enumerate(zip(rows, handlers, strict=True)):
        incident.grid = grid if i % 2 else other
        incident.category = category
        incident.handler = handler
        incident.light_now = incident.light(NOW)  # as the list's view sets it
    return rows


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_rows_are_the_templates(language, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    with translation.override(language):
        expected = (
            engines["django"].from_string(TEMPLATE).render({"page": {"object_list": incidents()}})
        )
        drawn = incident_rows(incidents())
    assert drawn == expected
    assert {"red", "yellow", "green"} <= {i.light_now for i in incidents()}
    assert "&lt;Bo&gt;" in drawn and "&lt;&amp;&gt;" in drawn and "data-covered" in drawn


def test_no_rows():
    assert incident_rows([]) == ""
