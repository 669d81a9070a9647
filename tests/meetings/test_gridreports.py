"""The monthly grid report: drafted from the data when a month ends, written and submitted
by the grid's leader, read by the station (which grids have submitted), shown at the monthly
meeting, printed and downloaded as a PDF."""

import base64
import datetime
import random
import re
import zlib
from collections import Counter
from pathlib import Path

import pytest
import time_machine
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from grids import services as register
from grids.models import Area, Household, Membership, Post, Rental, Role
from incidents.models import Incident, IncidentQuerySet
from meetings import gridreports, report_demo, tasks
from meetings.models import GridReport, Kind, Meeting, MeetingSeries
from notifications.models import Notification
from patrols.models import MissedPatrol, Patrol, Slot
from tests.factories import make_community, make_household, make_post, make_resident, make_user
from tests.incidents.factories import make_category, make_incident
from tests.patrols.factories import local, make_patrol

D = datetime.date
NOV, DEC = D(2026, 11, 1), D(2026, 12, 1)
# Reports are drafted on the first of the month; the pinned moment is that morning.
DRAFT_DAY = local(DEC, 10)
AM, PM = Slot.MORNING, Slot.AFTERNOON


@pytest.fixture
def pinned():
    with time_machine.travel(DRAFT_DAY, tick=False):
        yield


def report_of(grid, month=NOV):
    return GridReport.objects.get(grid=grid, month=month)


# --- The figures, against the rows ---


def seed_month(world):
    """A month of patrols, incidents and register changes in world.a.grid, with rows just
    outside it (another grid, the months before and after) that must not count."""
    grid, other = world.a.grid, world.a.other_grid
    member = world.a.grid_member

    # Patrols: done, approved, short, returned, in progress; one window with a short and a
    # full log (it counts as done); rows outside the month or the grid.
    make_patrol(grid, D(2026, 11, 2), AM, member=member)
    make_patrol(grid, D(2026, 11, 2), PM, status=Patrol.Status.APPROVED)
    make_patrol(grid, D(2026, 11, 3), AM, minutes=30)
    make_patrol(grid, D(2026, 11, 9), PM, minutes=40, status=Patrol.Status.APPROVED)
    make_patrol(grid, D(2026, 11, 4), AM, status=Patrol.Status.RETURNED)
    make_patrol(grid, D(2026, 11, 5), AM, status=Patrol.Status.IN_PROGRESS)
    make_patrol(grid, D(2026, 11, 10), AM, minutes=20)
    make_patrol(grid, D(2026, 11, 10), AM, minutes=75)
    make_patrol(grid, D(2026, 10, 31), PM)
    make_patrol(grid, D(2026, 12, 1), AM)
    make_patrol(other, D(2026, 11, 2), AM)
    for day, slot in [((2026, 11, 6), AM), ((2026, 11, 6), PM), ((2026, 11, 30), PM)]:
        MissedPatrol.objects.create(grid=grid, day=D(*day), slot=slot)
    MissedPatrol.objects.create(grid=grid, day=D(2026, 10, 30), slot=AM)
    MissedPatrol.objects.create(grid=other, day=D(2026, 11, 7), slot=AM)

    # Incidents: closed on time, closed late, open and overdue, open and not yet due, filed
    # in October and closed in November, filed in October and still open, another grid's.
    noise = make_category("noise", name="噪音扰民")
    by = world.a.grid_member

    def incident(filed, closed=None, **fields):
        item = make_incident(grid=fields.pop("grid", grid), by=by, at=filed, **fields)
        if closed:
            Incident.objects.filter(pk=item.pk).update(status="closed", closed_at=closed)
        return item

    incident(local(D(2026, 11, 3), 10), local(D(2026, 11, 4), 9))
    incident(local(D(2026, 11, 10), 10), local(D(2026, 11, 20), 9), category=noise)
    incident(local(D(2026, 11, 20), 10), category=noise)
    incident(local(D(2026, 11, 28), 10))
    incident(local(D(2026, 10, 20), 10), local(D(2026, 11, 2), 9))
    incident(local(D(2026, 10, 26), 10))
    incident(local(D(2026, 11, 5), 10), grid=other)

    # The register: a resident moves to the other grid mid-month, one moves in from it, one
    # moves out with her household closing, a household and its resident arrive, a floating
    # resident arrives; rentals run across, start in and end in the month.
    oct1 = D(2026, 10, 1)
    h1 = make_household(grid, on=oct1)
    make_resident(h1, on=oct1)
    make_resident(h1, on=oct1, population="floating")
    mover = make_resident(h1, on=oct1)
    h3 = make_household(other, on=oct1)
    make_resident(h3, on=oct1)
    h5 = make_household(other, on=oct1)
    incomer = make_resident(h5, on=oct1, population="floating")
    h4 = make_household(grid, on=oct1)
    leaver = make_resident(h4, on=oct1)
    h6 = make_household(grid, on=D(2026, 11, 5))
    make_resident(h6, on=D(2026, 11, 5))
    h2 = make_household(grid, on=D(2026, 11, 10))
    make_resident(h2, on=D(2026, 11, 10), population="floating")
    make_resident(h2, on=D(2026, 12, 1))  # after the month

    register.move_resident(mover, to=h3, on=D(2026, 11, 15), by=None)
    register.move_resident(incomer, to=h1, on=D(2026, 11, 16), by=None)
    register.move_out(leaver, on=D(2026, 11, 25), by=None)
    Household.objects.filter(pk=h4.pk).update(closed_on=D(2026, 11, 25))

    for household, starts, ends in [
        (h1, D(2026, 9, 1), D(2026, 12, 31)),
        (h2, D(2026, 11, 10), D(2027, 3, 1)),
        (h6, D(2026, 11, 5), D(2027, 5, 1)),
        (h4, D(2026, 8, 1), D(2026, 11, 20)),
        (h3, D(2026, 10, 1), D(2026, 12, 31)),
    ]:
        Rental.objects.create(
            household=household, starts_on=starts, ends_on=ends, landlord_name="房东"
        )


def expected_figures(grid, start, end):
    """The month's figures counted straight from the rows, in Python."""
    start_at = local(start, 0)
    end_at = local(end + datetime.timedelta(days=1), 0)

    logs = Counter()  # (day, slot) -> what the window's logs were
    full, covered, returned = set(), set(), set()
    for patrol in Patrol.objects.filter(grid=grid):
        if not start <= patrol.day <= end:
            continue
        window = (patrol.day, patrol.slot)
        if patrol.status in (Patrol.Status.SUBMITTED, Patrol.Status.APPROVED):
            covered.add(window)
            if not patrol.is_short:
                full.add(window)
        elif patrol.status == Patrol.Status.RETURNED:
            returned.add(window)
        logs[window] += 1
    missed = [m for m in MissedPatrol.objects.filter(grid=grid) if start <= m.day <= end]

    incidents = list(Incident.objects.filter(grid=grid).select_related("category"))
    opened = [i for i in incidents if start_at <= i.filed_at < end_at]
    due = [i for i in incidents if start_at <= i.deadline_at < end_at]

    def as_of(day):
        return [
            m
            for m in Membership.objects.filter(grid=grid)
            if m.moved_in_on <= day and (m.moved_out_on is None or m.moved_out_on > day)
        ]

    def rentals(day):
        return [
            r
            for r in Rental.objects.filter(household__grid=grid)
            if r.starts_on <= day <= r.ends_on
        ]

    before = start - datetime.timedelta(days=1)
    return {
        "windows": 2 * ((end - start).days + 1),
        "done": len(full),
        "short": len(covered - full),
        "returned": len(returned - covered),
        "missed": len(missed),
        "opened": len(opened),
        "by_category": dict(Counter(i.category.name for i in opened)),
        "by_status": dict(Counter(i.status for i in opened)),
        "closed": sum(1 for i in incidents if i.closed_at and start_at <= i.closed_at < end_at),
        "due": len(due),
        "on_time": sum(1 for i in due if i.closed_at and i.closed_at <= i.deadline_at),
        "overdue_open": sum(
            1
            for i in incidents
            if i.status in IncidentQuerySet.OPEN_STATES and i.deadline_at <= end_at
        ),
        "households": len({m.household_id for m in as_of(end)}),
        "residents": len(as_of(end)),
        "floating": sum(1 for m in as_of(end) if m.population == "floating"),
        "rentals": len(rentals(end)),
        "households_before": len({m.household_id for m in as_of(before)}),
        "residents_before": len(as_of(before)),
        "floating_before": sum(1 for m in as_of(before) if m.population == "floating"),
        "rentals_before": len(rentals(before)),
    }


def test_the_drafted_report_has_the_figures_counted_from_the_grids_rows(world, pinned):
    seed_month(world)

    assert gridreports.draft_monthly_reports() == 4  # every grid of the two communities

    report = report_of(world.a.grid)
    assert report.status == GridReport.Status.DRAFT
    assert report.figures_at == timezone.now()
    expected = expected_figures(world.a.grid, NOV, D(2026, 11, 30))
    assert {key: report.figures[key] for key in expected} == expected
    # The data really exercises each figure (so the comparison above can fail).
    assert expected["windows"] == 60
    assert (expected["done"], expected["short"], expected["returned"]) == (3, 2, 1)
    assert expected["missed"] == 3
    assert expected["opened"] == 4
    assert expected["by_category"] == {"环境卫生": 2, "噪音扰民": 2}
    assert expected["closed"] == 3
    assert 0 < expected["on_time"] < expected["due"]
    assert expected["overdue_open"] == 2
    # The resident who moved to the other grid on the 15th counts here before, not after;
    # the one who came from it on the 16th after, not before.
    assert (expected["households_before"], expected["households"]) == (2, 3)
    assert (expected["residents_before"], expected["residents"]) == (4, 5)
    assert (expected["floating_before"], expected["floating"]) == (1, 3)
    assert (expected["rentals_before"], expected["rentals"]) == (2, 3)

    other = report_of(world.a.other_grid).figures
    expected = expected_figures(world.a.other_grid, NOV, D(2026, 11, 30))
    assert {key: other[key] for key in expected} == expected
    assert (other["residents_before"], other["residents"]) == (2, 2)


def test_drafting_again_creates_nothing_more(world, pinned):
    assert gridreports.draft_monthly_reports() == 4
    first = list(GridReport.objects.values_list("pk", "grid_id", "month", "figures_at"))

    assert gridreports.draft_monthly_reports() == 0
    assert tasks.draft_grid_reports() == 0  # the beat task, called as a plain function
    assert gridreports.draft_monthly_reports(today=D(2026, 12, 20)) == 0
    assert list(GridReport.objects.values_list("pk", "grid_id", "month", "figures_at")) == first

    # A grid added later gets its draft on the next run; the next month starts on the 1st.
    new_grid = Area.objects.create(
        kind=Area.Kind.GRID, parent=world.a.community, code="T-01-01-09", name="new"
    )
    assert gridreports.draft_monthly_reports(today=D(2026, 12, 2)) == 1
    assert report_of(new_grid).status == GridReport.Status.DRAFT
    assert gridreports.draft_monthly_reports(today=D(2027, 1, 1)) == 5
    assert set(GridReport.objects.values_list("month", flat=True)) == {NOV, DEC}


def test_drafting_runs_the_same_number_of_queries_for_more_grids(world, pinned):
    def queries():
        GridReport.objects.all().delete()
        with CaptureQueriesContext(connection) as captured:
            created = gridreports.draft_monthly_reports()
        return created, len(captured)

    small = queries()
    make_community(world.street, "T-01-03", grids=6)
    make_patrol(world.a.grid, D(2026, 11, 3))
    large = queries()
    assert (small[0], large[0]) == (4, 10)
    assert small[1] == large[1]


def test_refreshing_a_draft_takes_in_late_data_and_a_submitted_report_keeps_its_figures(
    world, pinned
):
    gridreports.draft_monthly_reports()
    report = report_of(world.a.grid)
    make_patrol(world.a.grid, D(2026, 11, 12), PM)
    gridreports.refresh_figures(report)
    assert report_of(world.a.grid).figures["done"] == 1

    gridreports.submit(report, by=world.a.grid_leader, updated_at=None)
    make_patrol(world.a.grid, D(2026, 11, 13), PM)
    with pytest.raises(gridreports.ReportLocked):
        gridreports.refresh_figures(report)
    assert report_of(world.a.grid).figures["done"] == 1


# --- Writing and submitting ---


def url(report, suffix=""):
    return f"/meetings/reports/{report.pk}/{suffix}"


def texts(**overrides):
    data = {name: "" for name in GridReport.TEXT_FIELDS}
    return {**data, **overrides}


@pytest.fixture
def draft(world, pinned):
    gridreports.draft_monthly_reports()
    return report_of(world.a.grid)


def test_the_leader_writes_saves_and_submits_the_report(client, world, draft):
    client.force_login(world.a.grid_leader)
    page = client.get(url(draft))
    assert page.status_code == 200
    assert b'name="public_security"' in page.content
    seen = page.context["form"]["seen_updated_at"].value()

    response = client.post(
        url(draft), {**texts(public_security="治安平稳"), "seen_updated_at": seen, "save": ""}
    )
    assert response.status_code == 302
    saved = report_of(world.a.grid)
    assert (saved.status, saved.public_security) == ("draft", "治安平稳")

    response = client.post(
        url(draft),
        {
            **texts(public_security="治安平稳", hot_issues="加装电梯"),
            "seen_updated_at": saved.updated_at.isoformat(),
            "submit": "",
        },
    )
    assert response.status_code == 302
    submitted = report_of(world.a.grid)
    assert submitted.status == GridReport.Status.SUBMITTED
    assert submitted.submitted_by == world.a.grid_leader
    assert submitted.submitted_at == timezone.now()
    assert submitted.hot_issues == "加装电梯"
    assert submitted.history.count() == 2  # drafted in bulk (no entry), saved, submitted

    # Submitted, it is read-only: the page has no form and a late post changes nothing.
    page = client.get(url(draft))
    assert page.context["form"] is None
    assert "加装电梯" in page.content.decode()
    client.post(
        url(draft),
        {**texts(hot_issues="改了"), "seen_updated_at": submitted.updated_at.isoformat()},
    )
    assert report_of(world.a.grid).hot_issues == "加装电梯"


def test_a_stale_form_says_so_and_saves_nothing(client, world, draft):
    client.force_login(world.a.grid_leader)
    seen = client.get(url(draft)).context["form"]["seen_updated_at"].value()
    with time_machine.travel(DRAFT_DAY + datetime.timedelta(minutes=5), tick=False):
        gridreports.save_text(
            draft, by=world.a.grid_leader, updated_at=None, texts={"sanitation": "另一台手机"}
        )

    response = client.post(
        url(draft), {**texts(sanitation="我的版本"), "seen_updated_at": seen, "submit": ""}
    )
    assert response.status_code == 200
    assert "Someone else changed" in response.content.decode()
    report = report_of(world.a.grid)
    assert (report.status, report.sanitation) == ("draft", "另一台手机")

    # The service checks too, under a row lock (two phones posting the same version).
    with pytest.raises(gridreports.StaleReport):
        gridreports.submit(
            draft, by=world.a.grid_leader, updated_at=DRAFT_DAY, texts={"sanitation": "x"}
        )
    assert report_of(world.a.grid).status == "draft"


def test_the_acting_b_leader_may_write_and_submit(client, world, draft):
    deputy = make_user("gl_a_b")
    Post.objects.filter(area=world.a.grid, role=Role.GRID_LEADER).update(holder_b=deputy)
    client.force_login(deputy)
    response = client.post(url(draft), {**texts(sanitation="干净"), "submit": ""})
    assert response.status_code == 302
    assert report_of(world.a.grid).submitted_by == deputy


def test_others_read_but_cannot_write_and_other_grids_get_404(client, world, draft):
    other_leader = make_user("gl_a_other")
    make_post(world.a.other_grid, Role.GRID_LEADER, other_leader)
    body = {**texts(public_security="不该保存"), "submit": ""}

    for reader in (world.a.grid_member, world.a.stationmaster, world.district_officer):
        client.force_login(reader)
        page = client.get(url(draft))
        assert page.status_code == 200
        assert page.context["form"] is None
        assert client.post(url(draft), body).status_code == 403
    for outsider in (other_leader, world.b.grid_leader, world.b.stationmaster, world.outsider):
        client.force_login(outsider)
        assert client.get(url(draft)).status_code == 404
        assert client.post(url(draft), body).status_code == 404
        assert client.get(url(draft, "pdf/")).status_code == 404
    # A grid member may not refresh; the station may.
    client.force_login(world.a.grid_member)
    assert client.post(url(draft, "refresh/")).status_code == 403
    client.force_login(world.a.stationmaster)
    assert client.post(url(draft, "refresh/")).status_code == 302
    assert report_of(world.a.grid).public_security == ""


def test_the_station_returns_a_submitted_report_to_the_leader_with_a_note(
    client, world, draft, django_capture_on_commit_callbacks
):
    gridreports.submit(draft, by=world.a.grid_leader, updated_at=None)
    client.force_login(world.a.grid_leader)
    assert client.post(url(draft, "return/"), {"note": "x"}).status_code == 403

    client.force_login(world.a.stationmaster)
    with django_capture_on_commit_callbacks():
        response = client.post(url(draft, "return/"), {"note": "请补充周边情况"})
    assert response.status_code == 302
    report = report_of(world.a.grid)
    assert (report.status, report.submitted_at) == ("draft", None)
    assert report.history.first().history_change_reason == "请补充周边情况"
    notice = Notification.objects.get(recipient=world.a.grid_leader)
    assert notice.body == "请补充周边情况"
    assert notice.url == url(draft)


# --- PDF and print ---


def pdf_text(data):
    """The text a PDF shows, read back from reportlab's output: its content streams are
    ASCII85 + Flate, and the CJK font's strings UTF-16BE literals with PDF escapes."""
    escapes = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}

    def unescape(literal):
        return re.sub(
            rb"\\([0-7]{1,3}|.)",
            lambda m: bytes([int(m[1], 8)]) if m[1][:1].isdigit() else escapes.get(m[1], m[1]),
            literal,
            flags=re.S,
        )

    shown, font = [], b""
    token = re.compile(rb"/(F\d+) [\d.]+ Tf|\(((?:\\.|[^\\)])*)\) Tj", re.S)
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", data, re.S):
        content = zlib.decompress(base64.a85decode(stream.strip().removesuffix(b"~>")))
        for match in token.finditer(content):
            if match[1]:
                font = match[1]
                continue
            raw = unescape(match[2])
            shown.append(raw.decode("latin-1" if font == b"F1" else "utf-16-be"))
    return "\n".join(shown)


def test_the_pdf_is_an_a4_pdf_with_the_chinese_font(client, world, draft):
    gridreports.save_text(
        draft,
        by=world.a.grid_leader,
        updated_at=None,
        texts={"public_security": "本月治安平稳 <b>&", "hot_issues": "加装电梯\n停车难"},
    )
    client.force_login(world.a.stationmaster)
    response = client.get(url(draft, "pdf/"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert len(response.content) > 1024
    assert b"STSong-Light" in response.content
    assert b"/MediaBox [ 0 0 595.2756 841.8898 ]" in response.content  # A4 in points
    text = pdf_text(response.content)
    assert "Monthly grid report: T-01-01-01, 2026-11" in text
    assert "本月治安平稳 <b>&" in text  # escaped for reportlab's markup, shown as written
    assert "停车难" in text
    assert "Public security in the grid" in text


def test_the_page_links_a_print_stylesheet_for_a4(client, world, draft):
    client.force_login(world.a.grid_leader)
    page = client.get(url(draft)).content.decode()
    assert "css/grid-report.css" in page
    assert "js/grid-report.js" in page
    css = (Path(__file__).parents[2] / "static/css/grid-report.css").read_text()
    assert "@page { size: A4" in css
    assert "@media print" in css


# --- The station's list and the meeting ---


def test_the_stationmaster_sees_how_many_grids_have_submitted(client, world, draft):
    gridreports.submit(draft, by=world.a.grid_leader, updated_at=None)
    client.force_login(world.a.stationmaster)
    page = client.get("/meetings/reports/?month=2026-11")
    assert page.context["counts"] == {"total": 2, "submitted": 1, "draft": 1, "missing": 0}
    assert "1 of 2 submitted" in page.content.decode()
    assert [g.code for g in page.context["page"]] == [world.a.grid.code, world.a.other_grid.code]
    assert page.context["page"][0].report_status == "submitted"

    missing = client.get("/meetings/reports/?month=2026-10")
    assert "0 of 2 submitted" in missing.content.decode()
    assert missing.context["counts"]["missing"] == 2

    drafts = client.get("/meetings/reports/?month=2026-11&status=draft")
    assert [g.code for g in drafts.context["page"]] == [world.a.other_grid.code]

    # The district sees every community, and filters by one; a grid member sees their grid.
    client.force_login(world.district_officer)
    assert "1 of 4 submitted" in client.get("/meetings/reports/").content.decode()
    page = client.get(f"/meetings/reports/?month=2026-11&community={world.b.community.code}")
    assert page.context["counts"]["submitted"] == 0
    client.force_login(world.a.grid_member)
    assert "1 of 1 submitted" in client.get("/meetings/reports/").content.decode()
    client.force_login(world.a.stationmaster)
    page = client.get(f"/meetings/reports/?community={world.b.community.code}")
    assert page.status_code == 404


def test_the_list_runs_the_same_queries_for_more_grids(
    client, world, pinned, django_assert_num_queries
):
    client.force_login(world.district_officer)

    def load():
        # session, user, the user's posts, unread notifications, the communities to pick
        # from, the counts, the page's count, the page's rows
        with django_assert_num_queries(8):
            response = client.get("/meetings/reports/?month=2026-11")
        return response

    gridreports.draft_monthly_reports()
    assert "0 of 4 submitted" in load().content.decode()
    make_community(world.street, "T-01-03", grids=6)
    GridReport.objects.all().delete()
    gridreports.draft_monthly_reports()
    assert "0 of 10 submitted" in load().content.decode()


def monthly_meeting(community, day):
    series = MeetingSeries.objects.create(community=community, kind=Kind.MONTHLY)
    start = local(day, 9)
    return Meeting.objects.create(
        series=series,
        community=community,
        kind=Kind.MONTHLY,
        scheduled_on=day,
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=1),
    )


def test_the_monthly_meeting_shows_the_communitys_reports_submitted_first(world, pinned):
    gridreports.draft_monthly_reports()
    GridReport.objects.create(grid=world.a.grid, month=D(2026, 10, 1))  # an older month
    later = report_of(world.a.other_grid)
    gridreports.submit(later, by=world.a.grid_leader, updated_at=None, texts={})

    meeting = monthly_meeting(world.a.community, D(2026, 12, 2))
    reports = list(gridreports.reports_for_meeting(meeting))
    assert [(r.grid, r.month, r.status) for r in reports] == [
        (world.a.other_grid, NOV, "submitted"),
        (world.a.grid, NOV, "draft"),
    ]
    html = render_to_string("meetings/_grid_reports.html", {"grid_reports": reports})
    assert html.index(later.get_absolute_url()) < html.index(
        report_of(world.a.grid).get_absolute_url()
    )
    assert "Submitted" in html

    meeting.kind = Kind.WEEKLY
    assert list(gridreports.reports_for_meeting(meeting)) == []


# --- Demo data ---


def test_the_demo_has_two_months_of_reports_the_older_all_submitted(world, pinned):
    levels = {Area.Kind.GRID: list(Area.objects.grids().order_by("code"))}
    report_demo.build_grid_reports(random.Random(1), levels, lambda line: None)

    october = GridReport.objects.filter(month=D(2026, 10, 1))
    assert october.count() == 4
    assert set(october.values_list("status", flat=True)) == {"submitted"}
    assert all(r.public_security and r.submitted_at <= timezone.now() for r in october)
    assert GridReport.objects.filter(month=NOV).count() == 4
    # The task finds them there and drafts nothing.
    assert gridreports.draft_monthly_reports() == 0
