"""The district report page: its queries do not grow with the data, street staff see only
their street, the XLSX export has the children's figures, the score follows the weights the
administrator sets, and the demo boundaries tile the map."""

import datetime
import io
import itertools
import random

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from openpyxl import load_workbook

from grids.models import Area, Rental, Role
from incidents.models import Incident
from patrols.models import Instruction, MissedPatrol, Slot
from reports import demo
from reports.district import COLUMNS
from reports.figures import figures_by_child, figures_for
from reports.models import ScoreWeights
from reports.score import formula, score
from tests.factories import (
    make_area,
    make_community,
    make_household,
    make_post,
    make_resident,
    make_user,
)
from tests.incidents.factories import local, make_category, make_incident
from tests.patrols.factories import make_patrol

# A Sunday in November; the default period is the last full month, October.
TODAY = datetime.date(2026, 11, 15)
START, END = datetime.date(2026, 10, 1), datetime.date(2026, 10, 31)
PERIOD = f"start={START}&end={END}"
_seq = itertools.count(1)


@pytest.fixture
def now(db):
    # The migration's row of weights; made again after a transactional test's flush.
    ScoreWeights.load()
    with time_machine.travel(local(TODAY, 10), tick=False):
        yield


@pytest.fixture
def street_staff(world):
    user = make_user("ss_t", full_name="Street Staff")
    make_post(world.street, Role.STREET_STAFF, user)
    return user


def fill_grid(grid, category):
    """A month of work in `grid`: logs (one short), a missed window, incidents closed on time,
    late and still open (one escalated, one reworked and rated), an overdue instruction, a
    household with a resident, a rental and a grid member."""
    member = make_user()
    make_post(grid, Role.GRID_MEMBER, member)
    for day in (5, 6, 7):
        make_patrol(grid, datetime.date(2026, 10, day), Slot.MORNING, member=member)
    make_patrol(grid, datetime.date(2026, 10, 8), Slot.AFTERNOON, member=member, minutes=30)
    MissedPatrol.objects.get_or_create(grid=grid, day=datetime.date(2026, 10, 9), slot=Slot.MORNING)
    for filed_day, closed_day, fields in [
        (2, 3, {"satisfaction": Incident.Satisfaction.SATISFIED}),
        (10, 20, {"rework_count": 1, "satisfaction": Incident.Satisfaction.DISSATISFIED}),
        (12, None, {"escalation_level": 1, "escalated_at": local(datetime.date(2026, 10, 14), 9)}),
    ]:
        made = make_incident(
            grid, member, category=category, at=local(datetime.date(2026, 10, filed_day), 9)
        )
        Incident.objects.filter(pk=made.pk).update(
            deadline_at=local(datetime.date(2026, 10, filed_day + 2), 9),
            closed_at=local(datetime.date(2026, 10, closed_day), 9) if closed_day else None,
            status=Incident.Status.CLOSED if closed_day else Incident.Status.IN_PROGRESS,
            **fields,
        )  # fmt: skip
    instruction = Instruction.objects.create(
        grid=grid, text="核实", due_on=datetime.date(2026, 10, 10), issued_by=member
    )
    Instruction.objects.filter(pk=instruction.pk).update(
        issued_at=local(datetime.date(2026, 10, 1), 9)
    )
    household = make_household(grid, on=datetime.date(2025, 1, 1))
    make_resident(household, on=datetime.date(2025, 1, 1))
    make_resident(household, on=datetime.date(2026, 10, 3), population="floating")
    Rental.objects.create(household=household, starts_on=START, ends_on=TODAY)


def populate(world, grids_per_community):
    """Add grids with a month of work to both communities of the world (and fill the
    world's own first grids)."""
    category = make_category(f"r{next(_seq)}", name=f"类别{next(_seq)}", hours={"normal": 24})
    for side in (world.a, world.b):
        for _ in range(grids_per_community):
            grid = make_area(
                Area.Kind.GRID, side.community, code=f"{side.community.code}-X{next(_seq):03d}"
            )
            fill_grid(grid, category)


def get(client, url):
    """(number of queries, response)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return len(queries), response


LEVELS = {"district": "T", "street": "T-01", "community": "T-01-01", "grid": "T-01-01-01"}


# --- Queries ---


@pytest.mark.parametrize("level", LEVELS)
def test_the_report_costs_the_same_queries_at_two_data_sizes(client, world, now, level):
    client.force_login(world.district_officer)
    url = f"/reports/?area={LEVELS[level]}&{PERIOD}"
    populate(world, 1)
    fill_grid(world.a.grid, make_category("first", hours={"normal": 24}))
    small, response = get(client, url)
    assert response.status_code == 200
    populate(world, 3)
    fill_grid(world.a.grid, make_category("second", hours={"normal": 24}))
    large, response = get(client, url)
    assert response.status_code == 200
    assert large == small, f"{level}: {small} queries, then {large} with more data"
    if level != "grid":
        assert len(response.context["rows"]) >= 1
        assert sum(r.figures.grids for r in response.context["rows"]) >= 4

    # The export runs the same queries as the page, minus what only the page needs.
    exported, response = get(client, f"/reports/{LEVELS[level]}/report.xlsx?{PERIOD}")
    assert response.status_code == 200
    populate(world, 2)
    assert get(client, f"/reports/{LEVELS[level]}/report.xlsx?{PERIOD}")[0] == exported


@pytest.mark.parametrize("level", ["district", "community"])
def test_the_headline_is_every_figure_of_the_areas_grids(client, world, now, level):
    """The headline's register is the children's sum; every other figure is its own count:
    together they equal the figures of all the area's grids counted at once."""
    populate(world, 2)
    client.force_login(world.district_officer)
    _count, response = get(client, f"/reports/?area={LEVELS[level]}&{PERIOD}")
    area = Area.objects.get(code=LEVELS[level])
    whole = figures_for(Area.objects.under(area).grids(), START, END)
    assert whole.residents > 0 and whole.rentals > 0 and whole.by_status
    # The page does not show the status now of those filed: it does not count it.
    whole.by_status = {}
    assert response.context["headline"].as_dict() == whole.as_dict()


def test_the_report_query_count_is_pinned_for_a_community(client, world, now):
    """Session, user, posts (scope), the area, the breadcrumb's areas, unread notifications (header)
    = 6; the weights = 1; the figures of the children, the headline and the trend at once
    (reports.figures.report_figures) = 15: the grids, the children; what does not add up over days
    per child (incidents due and overdue, time to close, instructions, the
    register's roll-up (none here), register, rentals, grid workers) = 7, the time to close and the
    grid workers over all the grids in the same statements as per child (GROUPING SETS); the days
    the roll-up lacks = 1 (all of them here, so the roll-up's two GROUPING SETS statements are not
    run); those days counted live (schedules, patrols, missed windows, incidents, incidents filed) =
    5. The pin is PostgreSQL's: SQLite runs each GROUPING SETS statement as separate GROUP BY
    queries and reads the time to close in two queries (for the percentiles in Python); there the
    count holds at two data sizes."""
    populate(world, 2)
    client.force_login(world.district_officer)
    count, response = get(client, f"/reports/?area=T-01-01&{PERIOD}")
    assert response.status_code == 200
    assert len(response.context["trend"]) == 5  # October 2026 touches five weeks
    assert count == 6 + 1 + 2 + 7 + 1 + 5 or connection.vendor != "postgresql"
    populate(world, 2)
    assert get(client, f"/reports/?area=T-01-01&{PERIOD}")[0] == count


# --- Scope ---


def test_street_staff_see_only_their_street(client, world, now, street_staff):
    other_street = make_area(Area.Kind.STREET, world.district, code="T-02", name="Other Street")
    other_community = make_community(other_street, "T-02-01")
    populate(world, 1)
    client.force_login(street_staff)

    for code in ("T", "T-02", other_community.code, f"{other_community.code}-01"):
        assert client.get(f"/reports/?area={code}&{PERIOD}").status_code == 404, code
        assert client.get(f"/reports/{code}/report.xlsx?{PERIOD}").status_code == 404, code

    response = client.get("/reports/")
    assert response.status_code == 200
    assert response.context["area"] == world.street
    assert (response.context["start"], response.context["end"]) == (START, END)
    assert [r.area.code for r in response.context["rows"]] == ["T-01-01", "T-01-02"]
    assert response.context["ancestors"] == []  # the district is not theirs: no link up
    body = response.content.decode()
    assert "Other Street" not in body and "Test District" not in body


def test_a_community_sees_its_own_report_only(client, world, now):
    client.force_login(world.a.stationmaster)
    assert client.get(f"/reports/?area={world.b.community.code}").status_code == 404
    assert client.get(f"/reports/?area={world.b.grid.code}").status_code == 404
    assert client.get("/reports/?area=T-01").status_code == 404
    response = client.get("/reports/")
    assert response.context["area"] == world.a.community
    assert [r.area for r in response.context["rows"]] == [world.a.grid, world.a.other_grid]

    client.force_login(world.a.grid_member)
    response = client.get("/reports/")
    assert response.context["area"] == world.a.grid
    assert [r.area for r in response.context["rows"]] == [world.a.grid]


def test_someone_without_a_post_is_told_there_is_nothing_to_report(client, world, now):
    client.force_login(world.outsider)
    response = client.get("/reports/")
    assert response.status_code == 404
    assert "nothing to report" in response.content.decode()


def test_a_building_has_no_report(client, world, now):
    client.force_login(world.district_officer)
    assert client.get(f"/reports/?area={world.a.grid.code}-B01").status_code == 404


# --- The page ---


def test_the_children_link_down_with_the_same_dates_and_the_breadcrumb_links_up(client, world, now):
    client.force_login(world.district_officer)
    response = client.get("/reports/?area=T-01&start=2026-09-01&end=2026-10-15")
    body = response.content.decode()
    assert 'href="/reports/?area=T-01-01&amp;start=2026-09-01&amp;end=2026-10-15"' in body
    assert [a.code for a in response.context["ancestors"]] == ["T"]
    assert 'href="?area=T&amp;start=2026-09-01&amp;end=2026-10-15"' in body
    features = response.context["map_data"]["features"]
    assert features == []  # no boundaries yet: the page says so
    assert "No boundaries are recorded" in body


def test_every_column_sorts_on_the_server(client, world, now):
    populate(world, 1)
    fill_grid(world.a.grid, make_category("more", hours={"normal": 24}))
    fill_grid(world.a.grid, make_category("again", hours={"normal": 24}))
    client.force_login(world.district_officer)
    url = f"/reports/?area=T-01-01&{PERIOD}"
    default = [r.area.code for r in client.get(url).context["rows"]]
    assert default == sorted(default)
    for column in COLUMNS:
        for sort in (column.key, f"-{column.key}"):
            rows = client.get(f"{url}&sort={sort}").context["rows"]
            values = [r.value(column.key) for r in rows if r.value(column.key) is not None]
            assert values == sorted(values, reverse=sort.startswith("-")), sort
    rows = client.get(f"{url}&sort=-opened").context["rows"]
    assert rows[0].area == world.a.grid  # filled twice: six incidents
    body = client.get(f"{url}&sort=-opened").content.decode()
    assert 'aria-sort="descending" data-column="opened"' in body
    assert "sort=opened" in body  # the next click reverses it
    assert client.get(f"{url}&sort=nonsense").status_code == 200


def test_the_headline_shows_every_section(client, world, now):
    populate(world, 1)
    client.force_login(world.district_officer)
    response = client.get(f"/reports/?area=T-01-01&{PERIOD}")
    body = response.content.decode()
    headline = response.context["headline"]
    expected = figures_for(Area.objects.under(world.a.community).grids(), START, END)
    # The page does not show the status now of those filed: it does not count it.
    expected.by_status = {}
    assert headline == expected
    assert headline.opened == 3 and headline.done == 3 and headline.missed == 1
    for section in ("patrols", "incidents", "population", "workload", "score"):
        assert f'data-section="{section}"' in body
    assert "500–600 households" in body
    assert f'data-figure="on_time_rate">{headline.on_time / headline.due * 100:.1f}%' in body
    assert response.context["step"] == "week"
    # Longer than two months: by month.
    response = client.get("/reports/?area=T-01-01&start=2026-06-01&end=2026-10-31")
    assert response.context["step"] == "month" and len(response.context["trend"]) == 5


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2026-10-31&end=2026-10-01", "The period starts after it ends."),
        ("start=2020-01-01&end=2026-10-01", "A report covers at most two years."),
        ("start=2026-12-01&end=2026-12-31", "The period starts in the future."),
        ("start=yesterday&end=2026-10-01", "Enter a valid date."),
    ],
)
def test_a_bad_period_is_explained(client, world, now, query, message):
    client.force_login(world.district_officer)
    response = client.get(f"/reports/?area=T-01&{query}")
    assert response.status_code == 400
    assert message in response.content.decode()
    exported = client.get(f"/reports/T-01/report.xlsx?{query}")
    assert exported.status_code == 302 and exported.url.startswith("/reports/?")


# --- Export ---


def test_the_xlsx_export_has_one_row_per_child_with_its_figures(client, world, now):
    populate(world, 2)
    client.force_login(world.district_officer)
    response = client.get(f"/reports/T-01/report.xlsx?{PERIOD}&sort=-opened")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    assert workbook.sheetnames == ["Figures", "Categories", "Areas", "Trend"]

    header, *rows = list(workbook["Areas"].values)
    assert header[:2] == ("Code", "Area") and len(header) == 2 + len(COLUMNS)
    weights = ScoreWeights.load()
    expected = {
        child.code: figures for child, figures in figures_by_child(world.street, START, END)
    }
    assert sorted(row[0] for row in rows) == sorted(expected) == ["T-01-01", "T-01-02"]
    index = {column.key: 2 + n for n, column in enumerate(COLUMNS)}
    for row in rows:
        figures = expected[row[0]]
        assert row[index["grids"]] == figures.grids == 4  # two of them with work
        assert row[index["opened"]] == figures.opened == 6
        assert row[index["closed"]] == figures.closed
        assert row[index["missed"]] == figures.missed == 2
        assert row[index["overdue_open"]] == figures.overdue_open
        assert row[index["households"]] == figures.households
        assert row[index["floating"]] == figures.floating
        assert row[index["rentals"]] == figures.rentals
        assert row[index["coverage"]] == pytest.approx(figures.coverage)
        assert row[index["on_time_rate"]] == pytest.approx(figures.on_time_rate)
        assert row[index["median_hours"]] == pytest.approx(figures.median_hours_to_close)
        assert row[index["score"]] == pytest.approx(score(figures, weights).value)

    summary = {(r[0], r[1]): r[2] for r in workbook["Figures"].values if len(r) >= 3 and r[1]}
    total = figures_for(Area.objects.under(world.street).grids(), START, END)
    assert summary["Incidents", "Filed in the period"] == total.opened == 12
    assert summary["Patrol coverage", "Missed"] == total.missed
    assert summary["Population at the end date", "Rentals"] == total.rentals


# --- Score ---


def test_the_score_formula_is_shown_and_follows_the_weights_the_administrator_sets(
    client, world, now
):
    populate(world, 1)
    client.force_login(world.district_officer)
    url = f"/reports/?area=T-01&{PERIOD}"
    response = client.get(url)
    before = response.context["score"].value
    assert "Score = 30 × on-time closure rate + 25 × closure rate" in response.content.decode()

    admin = make_user("root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    change = "/admin/reports/scoreweights/1/change/"
    fields = {
        "on_time": 50,
        "closure": 10,
        "rework": 10,
        "coverage": 20,
        "instructions": 10,
        "instruction_penalty": "5",
    }
    refused = client.post(change, {**fields, "on_time": 60})
    assert refused.status_code == 200
    assert "they must add up to 100" in refused.content.decode()
    assert ScoreWeights.load().on_time == 30
    assert client.post(change, fields).status_code == 302
    assert client.get("/admin/reports/scoreweights/add/").status_code == 403

    client.force_login(world.district_officer)
    response = client.get(url)
    body = response.content.decode()
    assert "Score = 50 × on-time closure rate + 10 × closure rate" in body
    assert "max(0, 10 − 5 × overdue instructions per grid)" in body
    after = response.context["score"].value
    assert after != before
    assert after == score(response.context["headline"], ScoreWeights.load()).value


def test_the_score_adds_up_its_parts():
    class F:
        on_time_rate, closure_rate, coverage = 0.5, 1.0, 0.75
        rework_rate, closed = 0.2, 10
        overdue_instructions, grids = 2, 4

    weights = ScoreWeights()
    result = score(F, weights)
    # 30 × .5 + 25 × 1 + 15 × .8 + 20 × .75 + (10 − 2 × 2/4)
    assert result.value == pytest.approx(15 + 25 + 12 + 15 + 9)
    with translation.override("en"):
        assert "30 × on-time closure rate" in formula(weights)
    F.on_time_rate = None  # nothing due: full points
    assert score(F, weights).value == pytest.approx(30 + 25 + 12 + 15 + 9)


# --- Demo boundaries ---


def test_the_demo_gives_every_area_down_to_the_grids_a_boundary_inside_its_parent(world):
    levels = {
        kind: list(Area.objects.filter(kind=kind).order_by("code"))
        for kind in (Area.Kind.DISTRICT, Area.Kind.STREET, Area.Kind.COMMUNITY, Area.Kind.GRID)
    }
    demo.build_boundaries(random.Random(1), levels, lambda line: None)
    areas = {a.pk: a for a in Area.objects.exclude(kind__in=["building", "unit"])}
    assert all(a.boundary and a.boundary["type"] == "Polygon" for a in areas.values())

    def box(area):
        ring = area.boundary["coordinates"][0]
        assert ring[0] == ring[-1]
        lons, lats = [p[0] for p in ring], [p[1] for p in ring]
        return min(lons), min(lats), max(lons), max(lats)

    for area in areas.values():
        if area.parent_id:
            inner, outer = box(area), box(areas[area.parent_id])
            assert outer[0] - 1e-9 <= inner[0] and inner[2] <= outer[2] + 1e-9
            assert outer[1] - 1e-9 <= inner[1] and inner[3] <= outer[3] + 1e-9
    lon, lat = box(areas[world.district.pk])[:2]
    assert 119.2 < lon < 119.4 and 26.0 < lat < 26.2
    # Tiles share their edges: the children's areas add up to their parent's.
    for parent in (world.district, world.street, world.a.community):
        children = [a for a in areas.values() if a.parent_id == parent.pk]
        assert sum(_area(c) for c in children) == pytest.approx(_area(areas[parent.pk]), rel=1e-3)


def _area(area):
    ring = area.boundary["coordinates"][0]
    return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in itertools.pairwise(ring))) / 2


def test_the_map_has_a_feature_per_child_with_its_link_and_figures(client, world, now):
    levels = {
        kind: list(Area.objects.filter(kind=kind).order_by("code"))
        for kind in (Area.Kind.DISTRICT, Area.Kind.STREET, Area.Kind.COMMUNITY, Area.Kind.GRID)
    }
    demo.build_boundaries(random.Random(1), levels, lambda line: None)
    populate(world, 1)
    client.force_login(world.district_officer)
    response = client.get(f"/reports/?area=T-01&{PERIOD}")
    data = response.context["map_data"]
    assert [f["properties"]["code"] for f in data["features"]] == ["T-01-01", "T-01-02"]
    first = data["features"][0]["properties"]
    assert first["url"] == f"/reports/?area=T-01-01&{PERIOD}"
    assert set(first["values"]) == {m["key"] for m in data["metrics"]}
    assert 'id="report-map-data"' in response.content.decode()
