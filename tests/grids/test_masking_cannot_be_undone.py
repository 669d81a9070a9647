"""A masked ID number cannot be completed from what the same output shows.

The eight hidden digits of `330106********1234` are the birth date (YYYYMMDD). Every role
that sees masked numbers walks the demo data (`seed_demo`, two communities): the pages of its
menu and home page and, from them, the pages, fragments (htmx) and downloads (XLSX) they link
to. In each output, for every masked number shown, the birth date of the residents it can
stand for must not appear, in any format a page or a spreadsheet writes it.
"""

import contextlib
import datetime
import io
import re
from collections import Counter, defaultdict
from urllib.parse import urlencode, urlsplit

import openpyxl
import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.urls import Resolver404, resolve
from django.utils import timezone

from grids.demo import demo_accounts
from grids.models import Resident, User
from grids.scope import Scope
from tests.walk import links

pytestmark = pytest.mark.django_db

# Every role below the station sees masked ID numbers only; the station and the administrator
# see them masked too (unmasking one is a logged action, not something a page gives away).
ROLES = [
    "volunteer",
    "party_member",
    "grid_member",
    "grid_leader",
    "building_leader",
    "unit_leader",
    "information_officer",
    "patrol_member",
    "community_police",
    "stationmaster",
    "administrator",
]

MASKED = re.compile(r"(?<![\d*])(\d{6})\*{8}(\d{3}[\dX])(?![\d*])")
HX_GET = re.compile(r'hx-get="([^"]+)"')
PER_VIEW = 4  # outputs of one view (and one format) opened per role
YOUNGEST = 8  # residents born most recently, whose pages are opened too: a baby's
# move-in date is its birth date


DATES = [
    # 19900101
    (re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)"), "ymd"),
    # 1990-01-01, 1990/1/1, 1990.01.01, 1990年1月1日
    (re.compile(r"(?<!\d)(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)"), "ymd"),
    # 01/01/1990 (day first or month first)
    (re.compile(r"(?<!\d)(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?!\d)"), "dmy"),
]


def dates_shown(text):
    """Every date `text` writes in a form a page, a form or a spreadsheet uses: as YYYYMMDD,
    YYYY-MM-DD (with - / . or 年月日, padded or not) or DD/MM/YYYY and MM/DD/YYYY."""
    found = set()
    for pattern, order in DATES:
        for a, b, c in pattern.findall(text):
            candidates = [(a, b, c)] if order == "ymd" else [(c, b, a), (c, a, b)]
            for y, m, d in candidates:
                with contextlib.suppress(ValueError):
                    found.add(datetime.date(int(y), int(m), int(d)))
    return found


def _names(text, name):
    """Whether `text` names `name` as a whole (张伟 is not 张伟东)."""
    return re.search(rf"(?<![\u4e00-\u9fff]){re.escape(name)}(?![\u4e00-\u9fff])", text)


def _context(text, born):
    """Where `text` writes `born`, for the failure message."""
    for pattern, _order in DATES:
        for match in pattern.finditer(text):
            if born in dates_shown(match.group(0)):
                return text[max(0, match.start() - 80) : match.end() + 20]
    return born.isoformat()


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """{role: username} and the people (name, birth date) behind each mask, in demo data
    rolled back after this module."""
    with django_db_blocker.unblock(), transaction.atomic():
        name = connection.settings_dict["NAME"]
        in_memory = connection.vendor == "sqlite" and connection.creation.is_in_memory_db(name)
        assert str(name).startswith("test_") or in_memory, "not a test database"
        call_command("seed_demo", "--seed", "2026", stdout=io.StringIO())
        accounts = {}
        for account in demo_accounts(communities=1):
            accounts.setdefault(account.role, account.username)
        behind = defaultdict(set)
        for name, number in Resident.objects.exclude(id_number="").values_list("name", "id_number"):
            born = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
            behind[number[:6], number[-4:]].add((name, born))
        yield accounts, behind
        transaction.set_rollback(True)


def _text(response):
    """What a response shows: the HTML as sent (values of fields included), or every cell of
    a workbook (dates as the spreadsheet writes them)."""
    content_type = response.get("Content-Type", "")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if "spreadsheetml" in content_type:
        workbook = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
        cells = []
        for sheet in workbook.worksheets:
            for row in sheet.iter_rows(values_only=True):
                for value in row:
                    if isinstance(value, datetime.datetime | datetime.date):
                        cells.append(f"{value:%Y-%m-%d}")
                    elif value is not None:
                        cells.append(str(value))
        return "\n".join(cells)
    if content_type.startswith("text/"):
        return body.decode()
    return ""


def _view_key(url):
    path = urlsplit(url).path
    try:
        name = resolve(path).view_name
    except Resolver404:
        return None
    return name, "format=xlsx" in urlsplit(url).query


def _starting_points(user):
    """Pages a crawl from the menu may not reach within PER_VIEW: the pages of the youngest
    residents in the user's areas, the register search and the resident picker (htmx)."""
    scope = Scope(user)
    youngest = (
        scope.filter(Resident.objects.exclude(id_number=""), "household__grid")
        .order_by("-birth_date")
        .values_list("pk", "name")[:YOUNGEST]
    )
    urls = []
    for pk, name in youngest:
        urls += [f"/residents/{pk}/", f"/residents/{pk}/edit/"]
        surname = name[:1]
        urls.append("/register/search/?" + urlencode({"q": surname}))
        urls.append("/pick/residents/?" + urlencode({"name": "r", "r_q": surname}))
    return urls


def crawl(client, user):
    """{url: text}: the home page, every same-site link and htmx fragment found from it,
    breadth first, at most PER_VIEW outputs per view and format, plus the starting points."""
    queue = ["/", *_starting_points(user)]
    outputs, opened = {}, Counter()
    while queue:
        url = queue.pop(0)
        if url in outputs or url.startswith(("/accounts/logout", "/admin/", "/i18n/")):
            continue
        key = _view_key(url)
        if key is None or opened[key] >= PER_VIEW:
            continue
        opened[key] += 1
        response = client.get(url)
        outputs[url] = text = _text(response) if response.status_code == 200 else ""
        if text and response.get("Content-Type", "").startswith("text/html"):
            menu, main = links(text, url)
            queue += menu + main + [h.replace("&amp;", "&") for h in HX_GET.findall(text)]
    return outputs


@pytest.mark.parametrize("role", ROLES)
def test_no_output_completes_a_masked_id_number(demo, role):
    accounts, behind = demo
    user = User.objects.get(username=accounts[role])
    user.language = "zh-hans"
    user.save(update_fields=["language"])
    client = Client()
    client.force_login(user)
    outputs = crawl(client, user)

    today = timezone.localdate()
    masked_outputs = 0
    rebuilt = []
    for url, text in outputs.items():
        masks = set(MASKED.findall(text))
        masked_outputs += bool(masks)
        # Today's date (a form's default day) is on a page whoever is born when: it tells
        # nobody that a baby was born today.
        shown = dates_shown(text) - {today} if masks else set()
        for mask in masks:
            # The residents shown with this mask: many share one (a region, a sequence code
            # and a check digit), and the output names the person beside it.
            for name, born in behind.get(mask, ()):
                if born in shown and _names(text, name):
                    rebuilt.append((url, f"{mask[0]}********{mask[1]}", _context(text, born)))
    # Those who keep the register reach outputs with masked numbers: the walk is not empty.
    if role in {"grid_member", "grid_leader", "stationmaster", "administrator"}:
        assert masked_outputs >= 5, (role, sorted(outputs))
    assert not rebuilt, f"{role}: {len(rebuilt)} numbers can be rebuilt, e.g. {rebuilt[:5]}"
