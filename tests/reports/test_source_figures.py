"""Where matters come from (patrol, desk, team member, resident), residents' own ratings
apart from the satisfaction staff record, and the time from a resident's report to the first
response: counted in the database, equal to the rows, live and from the daily roll-up."""

import datetime
import io

import pytest
import time_machine
from django.utils import translation
from openpyxl import load_workbook

from grids.models import Area
from incidents.models import Incident, TimelineEntry
from meetings.gridreports import figure_sections
from reports.district import summary
from reports.figures import figures_for
from reports.models import GridDay, ScoreWeights
from reports.rollup import fill_missing
from reports.score import score
from tests.factories import make_user
from tests.incidents.factories import local, make_category
from tests.reports.test_figures import (  # noqa: F401 (fixture)
    END,
    START,
    assert_same,
    expected_for,
    incident,
    march,
    seeded,
)
from tests.reports.test_report_rollup import NOW, every_grid

D = datetime.date
S = Incident.Status


def entry(made, at, action, by=None, to_status=""):
    return TimelineEntry.objects.create(
        incident=made, at=at, action=action, by=by, to_status=to_status
    )


def rating(made, at, satisfied=True):
    """A resident's rating, logged as residents.services.rate_matter logs it: one that is
    not satisfied reopens the matter."""
    return entry(made, at, "resident_rating", to_status="" if satisfied else S.REOPENED.value)


@pytest.fixture
def sourced(seeded):  # noqa: F811
    """The seeded world, with matters from every source in March and residents' matters
    answered, closed and rated."""
    world = seeded
    grid, other = world.a.grid, world.a.other_grid
    member = world.a.grid_member
    cat = make_category("fire", name="消防", hours={"normal": 24})
    with time_machine.travel(NOW, tick=False):
        for day, source in [(3, "walk_in"), (4, "phone"), (5, "meeting"), (7, "other")]:
            incident(grid, cat, local(march(day), 9), local(march(day + 2), 9), source=source)
        incident(grid, cat, local(march(6), 9), local(march(8), 9), source="team")
        # Answered after 2.5 hours, closed by staff with no satisfaction, rated satisfied.
        r1 = incident(grid, cat, local(march(8), 9), local(march(10), 9), local(march(10), 9),
                      source="resident", satisfaction="satisfied")  # fmt: skip
        entry(r1, local(march(8), 11, 30), "accept", by=member)
        rating(r1, local(march(11), 8))
        # The sweep's entry (nobody's) is no answer; answered after 6 hours; rated not
        # satisfied, done again, then rated basically satisfied.
        r2 = incident(grid, cat, local(march(12), 9), local(march(14), 9), local(march(19), 9),
                      source="resident", satisfaction="basically")  # fmt: skip
        entry(r2, local(march(12), 10), "overdue")
        entry(r2, local(march(12), 15), "accept", by=member)
        entry(r2, local(march(12), 16), "start", by=member)
        rating(r2, local(march(14), 9), satisfied=False)
        rating(r2, local(march(20), 9))
        # Not answered yet.
        incident(grid, cat, local(march(30), 9), local(D(2026, 4, 1), 9), source="resident",
                 status=S.REPORTED)  # fmt: skip
        # Filed and closed in February, rated in March.
        r4 = incident(grid, cat, local(D(2026, 2, 26), 9), local(D(2026, 2, 27), 9),
                      local(D(2026, 2, 28), 9), source="resident",
                      satisfaction="satisfied")  # fmt: skip
        entry(r4, local(D(2026, 2, 26), 10), "accept", by=make_user())
        rating(r4, local(march(2), 9))
        # Decoys: rated in April; another grid's rating.
        rating(r1, local(D(2026, 4, 1), 9))
        r5 = incident(other, cat, local(march(8), 9), local(march(10), 9), local(march(10), 9),
                      source="resident", satisfaction="satisfied")  # fmt: skip
        rating(r5, local(march(11), 9))
    return world


def test_sources_ratings_and_response_time_of_a_month_equal_the_rows(sourced):
    grid = sourced.a.grid
    with time_machine.travel(NOW, tick=False):
        figures = figures_for(Area.objects.filter(pk=grid.pk), START, END)
    assert_same(figures, expected_for(grid, START, END, NOW))
    # Spelled out: the seeded world's nine came from patrols.
    assert (figures.from_patrol, figures.from_desk, figures.from_team) == (9, 4, 1)
    assert figures.from_resident == 3  # filed 03-08, 03-12, 03-30
    assert figures.opened == 9 + 4 + 1 + 3
    assert (figures.resident_satisfied, figures.resident_rated) == (3, 4)
    assert figures.resident_satisfaction_rate == pytest.approx(3 / 4)
    # Staff-recorded satisfaction leaves the residents' matters out: the seeded (4, 5).
    assert (figures.satisfied, figures.rated) == (4, 5)
    assert figures.median_hours_to_response == pytest.approx((2.5 + 6) / 2)


def test_from_the_daily_roll_up_they_are_the_same(sourced):
    world = sourced
    with time_machine.travel(NOW, tick=False):
        live = every_grid(world, NOW)
        fill_missing(days=45)
        assert (
            sum(
                GridDay.objects.filter(grid=world.a.grid, day__range=(START, END)).values_list(
                    "from_desk", flat=True
                )
            )
            == 4
        )
        assert GridDay.objects.get(grid=world.a.grid, day=march(14)).resident_rated == 1
        rolled = every_grid(world, NOW)
    assert rolled == live
    assert live[0][1].resident_rated == 4


def test_the_report_shows_where_matters_come_from_and_the_residents_ratings(sourced):
    with time_machine.travel(NOW, tick=False):
        figures = figures_for(Area.objects.filter(pk=sourced.a.grid.pk), START, END)
    with translation.override("en"):
        sections = summary(figures, score(figures, ScoreWeights.load()))
        sections = {key: lines for key, _title, lines in sections}
        values = {str(label): value for label, _text, value in sections["sources"]}
    assert values["Patrols"] == 9
    assert values["Station desk (walk-in, phone, meeting, other)"] == 4
    assert values["Team members"] == 1
    assert values["Residents"] == 3
    assert values["Residents' own ratings: satisfied"] == pytest.approx(0.75)
    assert values["Median hours from a resident's report to the first response"] == (
        pytest.approx(4.25)
    )


def test_the_export_holds_the_new_figures(client, sourced):
    client.force_login(sourced.district_officer)
    with time_machine.travel(NOW, tick=False):
        response = client.get(
            f"/reports/{sourced.a.community.code}/report.xlsx?start={START}&end={END}"
        )
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    found = {(r[0], r[1]): r[2] for r in workbook["Figures"].values if len(r) >= 3 and r[1]}
    section = "Where matters come from"
    assert found[section, "Patrols"] == 9 + 2  # the community's: the other grid's too
    assert found[section, "Station desk (walk-in, phone, meeting, other)"] == 4
    assert found[section, "Team members"] == 1
    assert found[section, "Residents"] == 3 + 1  # and the other grid's
    assert found[section, "Residents' own ratings: satisfied"] == pytest.approx(4 / 5)
    assert found[section, "Median hours from a resident's report to the first response"] == (
        pytest.approx(4.25)  # the other grid's matter was never answered
    )


def test_the_monthly_grid_report_lists_them_and_older_reports_do_not(sourced):
    with time_machine.travel(NOW, tick=False):
        figures = figures_for(Area.objects.filter(pk=sourced.a.grid.pk), START, END).as_dict()
    with translation.override("en"):
        titles = [str(section["title"]) for section in figure_sections(figures)]
        (section,) = [s for s in figure_sections(figures) if s["title"] == titles[4]]
        rows = {str(label): value for label, value in section["rows"]}
        older = {k: v for k, v in figures.items() if k not in SOURCE_NAMES}
        older_titles = [str(s["title"]) for s in figure_sections(older)]
    assert titles[4] == "Where matters come from"
    assert rows["Team members"] == 1
    assert rows["Residents' own ratings: satisfied"] == "75%"
    assert rows["Median hours from a resident's report to the first response"] == "4.2"
    assert "Where matters come from" not in older_titles


SOURCE_NAMES = {
    "from_patrol",
    "from_desk",
    "from_team",
    "from_resident",
    "resident_rated",
    "resident_satisfied",
    "resident_satisfaction_rate",
    "median_hours_to_response",
}


def test_the_report_page_shows_where_matters_come_from(client, sourced):
    client.force_login(sourced.district_officer)
    with time_machine.travel(NOW, tick=False):
        response = client.get(f"/reports/?area={sourced.a.community.code}&start={START}&end={END}")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-section="sources"' in body
    assert "Where matters come from" in body
    assert "Residents&#x27; own ratings: satisfied" in body
    assert "3 / 4 (75.0%)" not in body  # the community's: the other grid's rating too
    assert "4 / 5 (80.0%)" in body
