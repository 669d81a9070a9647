"""Every demo role, signed in, follows every link of its menu and home page.

The demo data (`seed_demo`, two communities) is built once for this module and rolled back
after it. Each role is walked once, in Chinese, by `tests.walk.walk`; the tests then read what
was reached: every page answers 200, the menu offers exactly the list pages the role may
open, and every page reads in Chinese.
"""

import io

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from grids.demo import demo_accounts
from grids.menu import MENU, Group
from grids.models import Area, Role, User
from tests.visible_text import english_on_page, leftovers_on_page
from tests.walk import is_download, walk

ROLES = ["administrator", *Role.values]

# The marker also makes pytest-django set up the test database before the module's fixture.
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """{role: username}, one demo account per role, in demo data that is rolled back after
    this module."""
    with django_db_blocker.unblock(), transaction.atomic():
        name = connection.settings_dict["NAME"]
        in_memory = connection.vendor == "sqlite" and connection.creation.is_in_memory_db(name)
        assert str(name).startswith("test_") or in_memory, "not a test database"
        call_command("seed_demo", "--seed", "2026", stdout=io.StringIO())
        accounts = {}
        for account in demo_accounts():
            accounts.setdefault(account.role, account.username)
        yield accounts
        transaction.set_rollback(True)


def _client(username, language="zh-hans"):
    user = User.objects.get(username=username)
    user.language = language
    user.save(update_fields=["language"])
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture(scope="module")
def walks(demo):
    """{role: {url: Page}}: each role's walk in Chinese."""
    return {role: walk(_client(username), downloads=True) for role, username in demo.items()}


@pytest.fixture(scope="module")
def data_words(demo):
    """Words that are data, not interface: usernames and the codes of areas (GL)."""
    return {*demo.values(), *Area.objects.values_list("code", flat=True)}


def _menu_urls():
    """(url name, url) of every entry of the menu definition."""
    urls = []
    for node in MENU:
        for entry in node.entries if isinstance(node, Group) else [node]:
            urls.append((entry.url_name, reverse(entry.url_name)))
    return urls


def test_every_demo_role_is_walked(walks):
    assert sorted(walks) == sorted(ROLES)
    for role, pages in walks.items():
        menu = [url for url, page in pages.items() if "menu" in page.found_on]
        assert len(menu) >= 5, (role, menu)


def test_every_link_of_every_role_menu_and_home_page_answers_200(walks):
    refused = [
        f"{role}: {url} ({', '.join(sorted(page.found_on))}) answers {page.status}"
        for role, pages in walks.items()
        for url, page in pages.items()
        if page.status != 200
    ]
    assert not refused, "\n".join(refused)


def test_the_xlsx_exports_of_the_pages_reached_answer_with_a_workbook(walks):
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    downloads = {
        (role, url): page
        for role, pages in walks.items()
        for url, page in pages.items()
        if "download" in page.found_on
    }
    assert {role for role, _url in downloads} >= {
        Role.STATIONMASTER,
        Role.GRID_MEMBER,
        Role.DISTRICT_STAFF,
    }
    wrong = [
        (role, url, page.status, page.content_type)
        for (role, url), page in downloads.items()
        if page.status != 200 or (is_download(url) and "xlsx" in url and page.content_type != xlsx)
    ]
    assert wrong == []


# Lists that open for building and unit leaders but stay empty: every row hangs off a grid and
# their posts lie below the grids. Their menu leaves them out.
EMPTY_BELOW_GRIDS = {
    (role, reverse_name)
    for role in (Role.BUILDING_LEADER, Role.UNIT_LEADER)
    for reverse_name in (
        "grids:list",
        "grids:search",
        "grids:floating",
        "grids:rentals",
        "grids:transfers",
    )
}


def test_the_menu_offers_exactly_the_pages_the_role_may_open(demo, walks):
    """Every page of the menu definition is in a role's menu when, and only when, it answers
    200 for the role (save the lists that are empty below the grids)."""
    wrong = []
    for role, username in demo.items():
        client = _client(username)
        menu = {url for url, page in walks[role].items() if "menu" in page.found_on}
        for name, url in _menu_urls():
            status = client.get(url).status_code
            if url in menu and status != 200:
                wrong.append(f"{role}: {url} is in the menu and answers {status}")
            if url not in menu and status == 200 and (role, name) not in EMPTY_BELOW_GRIDS:
                wrong.append(f"{role}: {url} answers 200 and is not in the menu")
    assert not wrong, "\n".join(wrong)


def test_each_role_finds_its_work_in_the_menu(walks):
    def menu(role):
        return {url for url, page in walks[role].items() if "menu" in page.found_on}

    incidents, board = reverse("incidents:list"), reverse("patrols:board")
    imports, reports = reverse("grids:import"), reverse("reports:report")
    report = reverse("incidents:report")
    for role in ROLES:
        # Every role reports matters and follows its incidents.
        assert incidents in menu(role) and report in menu(role), role
        if role in (Role.BUILDING_LEADER, Role.UNIT_LEADER):
            assert reports not in menu(role), role
    for role in (Role.DISTRICT_STAFF, Role.STREET_STAFF, Role.STATIONMASTER):
        assert board in menu(role), role
    for role in (
        Role.VOLUNTEER,
        Role.COMMUNITY_POLICE,
        Role.PARTY_MEMBER,
        Role.PATROL_MEMBER,
        Role.BUILDING_LEADER,
        Role.UNIT_LEADER,
    ):
        assert imports not in menu(role), role
        assert board not in menu(role), role


def test_every_page_reached_reads_in_chinese(walks, data_words):
    """No English word outside the allowlist (tests/visible_text.py) in the visible text,
    the options and the placeholders, titles and labels; none of the issue's leftovers."""
    found = []
    for role, pages in walks.items():
        for url, page in pages.items():
            if not page.is_html:
                continue
            for leftover in leftovers_on_page(page.html, url):
                found.append(f"{role} {url}: leftover {leftover!r}")
            for text, words in english_on_page(page.html, data_words).items():
                found.append(f"{role} {url}: {text[:80]!r} has {' '.join(words)}")
    assert not found, "\n".join(found)
