"""The register's exports: safe to open in a spreadsheet, only for those who keep the
register, each one logged with who, which list and how many rows."""

import datetime
import io

import openpyxl
import pytest
from django.utils import timezone

from grids.models import DisclosureLog, Rental, Role
from tests.factories import make_household, make_id_number, make_post, make_resident, make_user

FORMULAS = ['=HYPERLINK("http://x")', "+1", "-2", "@x", "\t=1+1", "\r=1+1"]
# As read back: XML keeps no carriage return, it comes back as a line feed.
ESCAPED = {"'" + text.replace("\r", "\n") for text in FORMULAS}


def _rows(response):
    assert response.status_code == 200, response.status_code
    body = b"".join(response.streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    return list(sheet.iter_rows())


def _register(world, names, population="floating"):
    household = make_household(world.a.grid, address=names[0])
    for i, name in enumerate(names):
        make_resident(
            household,
            name=name,
            population=population,
            id_number=make_id_number(datetime.date(1980 + i, 5, 17)),
        )
    return household


def test_safe_cell_escapes_text_that_a_spreadsheet_would_run_and_nothing_else():
    from grids.exports import safe_cell, safe_row

    assert safe_cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert [safe_cell(v) for v in ("+1", "-2", "@x", "\tx", "\rx")] == [
        "'+1",
        "'-2",
        "'@x",
        "'\tx",
        "'\rx",
    ]
    # Numbers stay numbers, a negative one too; plain text, dates and empty cells as they are.
    day = datetime.date(2026, 1, 2)
    plain = [-2, 3.5, 0, None, "张三", "a=b", day]
    assert safe_row(plain) == plain


def test_safe_cell_drops_the_control_characters_a_workbook_cannot_hold():
    import io

    from openpyxl import Workbook, load_workbook

    from grids.exports import safe_cell, safe_row

    assert safe_row(["张\x07三", "=a\x00", "a\tb\nc"]) == ["张三", "'=a", "a\tb\nc"]
    assert safe_cell("-\x1bx") == "'-x"
    book = Workbook(write_only=True)
    sheet = book.create_sheet("t")
    sheet.append(safe_row(["名\x07字", "-\x1bx"]))  # openpyxl refuses the raw text
    handle = io.BytesIO()
    book.save(handle)
    row = next(load_workbook(handle).active.iter_rows(values_only=True))
    assert row == ("名字", "'-x")


def test_the_floating_export_writes_formulas_as_text(client, world):
    _register(world, FORMULAS)
    client.force_login(world.a.grid_member)
    rows = _rows(client.get("/register/floating/", {"format": "xlsx"}))
    names = {row[1].value: row[1] for row in rows[1:]}
    assert set(names) == ESCAPED
    for cell in names.values():
        assert cell.data_type == "s"  # text, not a formula ("f")


def test_the_household_export_writes_formulas_as_text(client, world):
    for address in FORMULAS:
        make_household(world.a.grid, address=address, room="-2")
    client.force_login(world.a.grid_member)
    rows = _rows(client.get(f"/grids/{world.a.grid.code}/households/", {"format": "xlsx"}))
    addresses = {row[0].value for row in rows[1:]}
    assert addresses == ESCAPED
    assert all(row[0].data_type == "s" and row[1].value == "'-2" for row in rows[1:])
    # A number stays a number: the count of residents.
    assert all(row[4].data_type == "n" for row in rows[1:])


def test_the_rental_export_writes_formulas_as_text(client, world):
    household = _register(world, ["租户"])
    today = timezone.localdate()
    Rental.objects.create(
        household=household,
        landlord_name="=1+1",
        starts_on=today - datetime.timedelta(days=10),
        ends_on=today + datetime.timedelta(days=300),
    )
    client.force_login(world.a.grid_member)
    rows = _rows(client.get("/register/rentals/", {"format": "xlsx"}))
    assert [row[2].value for row in rows[1:]] == ["'=1+1"]


@pytest.fixture
def onlookers(world):
    """People whose posts reach the register's pages but who do not keep the register: a
    volunteer and a party member of A's first grid, a building leader of its building."""
    grid = world.a.grid
    people = {}
    for role, area in (
        (Role.VOLUNTEER, grid),
        (Role.PARTY_MEMBER, grid),
        (Role.BUILDING_LEADER, grid.children.get()),
    ):
        people[role] = make_user(f"onlooker_{role}")
        make_post(area, role, people[role])
    return people


@pytest.mark.parametrize(
    "url", ["/register/floating/", "/register/rentals/", "/grids/{grid}/households/"]
)
def test_those_who_do_not_keep_the_register_cannot_export(client, world, onlookers, url):
    _register(world, ["张三", "李四"])
    url = url.format(grid=world.a.grid.code)
    for person in onlookers.values():
        client.force_login(person)
        page = client.get(url)  # the page itself, without the export button
        assert page.status_code in (200, 404), person
        assert "format=xlsx" not in page.content.decode()
        response = client.get(url, {"format": "xlsx"})
        assert response.status_code in (403, 404), (person, url, response.status_code)
        assert "spreadsheetml" not in response.get("Content-Type", "")
    assert not DisclosureLog.objects.filter(action="export").exists()


def test_an_export_spanning_areas_holds_only_where_the_user_keeps_the_register(client, world):
    """A volunteer in one grid who is a grid member in another exports only the second."""
    _register(world, ["网格成员的"])
    other = make_household(world.a.other_grid, address="志愿者的")
    make_resident(other, name="志愿者看到的", population="floating")
    make_post(world.a.other_grid, Role.VOLUNTEER, world.a.grid_member)
    client.force_login(world.a.grid_member)
    assert "志愿者看到的" in client.get("/register/floating/").content.decode()
    rows = _rows(client.get("/register/floating/", {"format": "xlsx"}))
    assert [row[1].value for row in rows[1:]] == ["网格成员的"]


@pytest.mark.parametrize(
    "url,what,count",
    [
        ("/register/floating/", "floating-population", 3),
        ("/register/rentals/", "rentals", 1),
        ("/grids/{grid}/households/", "households", 1),
    ],
)
def test_an_export_is_logged_with_who_what_and_how_many_rows(client, world, url, what, count):
    household = _register(world, ["甲", "乙", "丙"])
    today = timezone.localdate()
    Rental.objects.create(
        household=household,
        landlord_name="房东",
        starts_on=today - datetime.timedelta(days=10),
        ends_on=today + datetime.timedelta(days=300),
    )
    client.force_login(world.a.grid_leader)
    _rows(client.get(url.format(grid=world.a.grid.code), {"format": "xlsx"}))
    entry = DisclosureLog.objects.get()
    assert entry.user == world.a.grid_leader
    assert entry.action == DisclosureLog.Action.EXPORT
    assert entry.detail == what
    assert entry.rows == count
    # The station reads it in the disclosure log, with the number of rows.
    client.force_login(world.a.stationmaster)
    body = client.get("/register/disclosures/").content.decode()
    assert what in body and f"data-rows>{count}<" in body


def test_unmasking_is_logged_with_who_and_whose(client, world):
    household = _register(world, ["张三"])
    resident = household.residents.get()
    client.force_login(world.a.stationmaster)
    response = client.post(f"/residents/{resident.pk}/unmask/")
    assert resident.id_number in response.content.decode()
    entry = DisclosureLog.objects.get()
    assert (entry.user, entry.action, entry.resident) == (
        world.a.stationmaster,
        DisclosureLog.Action.UNMASK_ID,
        resident,
    )
