"""The grid's printable notice board: the QR code on the sheet and on the image leads to the
grid's public page, the team reads back from the PDF, and only the station and the grid
leader of the grid's own areas can print it."""

import io

import pypdfium2
import pytest
import zxingcpp
from PIL import Image

from residents.services import public_url

PDF = "/grids/{code}/notice-board.pdf"
PNG = "/grids/{code}/notice-board.png"


def qr_texts(image):
    return [result.text for result in zxingcpp.read_barcodes(image)]


def read_pdf(data):
    """(width, height) in points, the page's text, and the page drawn as an image."""
    document = pypdfium2.PdfDocument(data)
    try:
        assert len(document) == 1
        page = document[0]
        size = page.get_size()
        text = page.get_textpage().get_text_range()
        image = page.render(scale=2).to_pil()
    finally:
        document.close()
    return size, text, image


@pytest.fixture
def team(world):
    """Work phones for the grid's team, and a leader whose account is closed."""
    for n, user in enumerate(
        [world.a.stationmaster, world.a.grid_leader, world.a.grid_member, world.a.grid_member_b]
    ):
        user.phone = f"1380000{n:04d}"
        user.save(update_fields=["phone"])
    return world


def test_pdf_is_one_a4_sheet_whose_qr_code_holds_the_grids_public_address(client, team):
    world = team
    client.force_login(world.a.stationmaster)
    response = client.get(PDF.format(code=world.a.grid.code))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]

    (width, height), text, image = read_pdf(response.content)
    assert (round(width), round(height)) == (595, 842)
    address = public_url(world.a.grid, request=response.wsgi_request)
    assert address.startswith("http://testserver/")
    assert qr_texts(image) == [address]
    for name in ["Stationmaster A", "Leader A", "Member A", "Backup A"]:
        assert name in text
    for phone in ["13800000000", "13800000001", "13800000002", "13800000003"]:
        assert phone in text
    assert world.a.grid.name in text
    assert "08:00–12:00" in text
    assert "Scan to report" in text
    assert "Leader B" not in text  # another community's people


def test_png_is_the_same_sheet_and_its_qr_code_holds_the_same_address(client, team):
    world = team
    client.force_login(world.a.grid_leader)
    response = client.get(PNG.format(code=world.a.grid.code))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG"
    assert image.width < image.height  # portrait, like the sheet
    assert qr_texts(image) == [public_url(world.a.grid, request=response.wsgi_request)]


def test_board_is_in_chinese_by_default(client, team):
    world = team
    world.a.stationmaster.language = ""
    world.a.stationmaster.save(update_fields=["language"])
    client.force_login(world.a.stationmaster)
    response = client.get(PDF.format(code=world.a.grid.code))
    _size, text, _image = read_pdf(response.content)
    assert "扫码" in text
    assert "Scan to report" not in text


def test_only_the_station_and_the_grid_leader_find_the_board_on_the_grids_page(client, world):
    page = f"/grids/{world.a.grid.code}/"
    for user in [world.a.stationmaster, world.a.grid_leader]:
        client.force_login(user)
        html = client.get(page).content.decode()
        assert PDF.format(code=world.a.grid.code) in html
        assert PNG.format(code=world.a.grid.code) in html
    client.force_login(world.a.grid_member)
    html = client.get(page).content.decode()
    assert "notice-board" not in html


@pytest.mark.parametrize("address", [PDF, PNG])
def test_outside_their_areas_the_board_is_not_found(client, world, address):
    cases = [
        (world.b.stationmaster, world.a.grid, 404),
        (world.a.grid_leader, world.a.other_grid, 404),  # the leader of the first grid only
        (world.outsider, world.a.grid, 404),
        (world.a.grid_member, world.a.grid, 403),  # in their area, not theirs to print
        (world.district_officer, world.a.grid, 200),
    ]
    for user, grid, status in cases:
        client.force_login(user)
        assert client.get(address.format(code=grid.code)).status_code == status, user


def test_board_needs_a_login(client, world):
    response = client.get(PDF.format(code=world.a.grid.code))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_a_long_address_and_a_full_team_still_fit_one_sheet_and_scan(team):
    from grids.models import Role
    from residents.board import board_pdf
    from tests.factories import make_post, make_user

    world = team
    for n in range(20):
        make_post(world.a.grid, Role.VOLUNTEER, make_user(full_name=f"志愿者{n} " + "长" * 40))
    address = "https://example.org/r/" + "x" * 80 + "/"
    (width, height), text, image = read_pdf(board_pdf(world.a.grid, address))
    assert (round(width), round(height)) == (595, 842)
    assert qr_texts(image) == [address]
    assert "Leader A" in text
