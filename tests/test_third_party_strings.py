"""Strings that come from installed packages read in the reader's language: django-filter's
sort menus (their descending labels, which django-filter itself formats once at import) and
django-axes' lockout messages, from the project's catalogue."""

import html
import re

import pytest
from axes.helpers import get_lockout_message
from axes.models import AccessAttempt
from django.conf import settings
from django.utils import translation

from grids.models import User

SORT_MENU = re.compile(r'<select name="sort"[^>]*>(.*?)</select>', re.S)
OPTION = re.compile(r"<option[^>]*>(.*?)</option>", re.S)
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def sort_labels(client, url):
    page = client.get(url).content.decode()
    menu = SORT_MENU.search(page)
    assert menu, f"no sort menu on {url}"
    return [html.unescape(label).strip() for label in OPTION.findall(menu.group(1))][1:]


@pytest.mark.parametrize(
    "url, chinese, english",
    [
        (
            "/incidents/",
            [
                "登记时间",
                "登记时间（降序）",
                "办理时限",
                "办理时限（降序）",
                "编号",
                "编号（降序）",
            ],  # noqa: E501
            [
                "Filed",
                "Filed (descending)",
                "Deadline",
                "Deadline (descending)",
                "Number",
                "Number (descending)",
            ],
        ),
        (
            "/grids/",
            ["编码", "编码（降序）", "名称", "名称（降序）", "社区", "社区（降序）"],
            [
                "Code",
                "Code (descending)",
                "Name",
                "Name (descending)",
                "Community",
                "Community (descending)",
            ],
        ),
    ],
)
def test_a_sort_menu_reads_in_each_readers_language(client, world, url, chinese, english):
    """Both languages in one process: a label fixed once (django-filter's own behaviour)
    would be wrong in one of them."""
    reader = world.a.stationmaster
    User.objects.filter(pk=reader.pk).update(language="zh-hans")
    client.force_login(reader)
    assert sort_labels(client, url) == chinese

    User.objects.filter(pk=reader.pk).update(language="en")
    client.post("/accounts/language/", {"language": "en", "next": "/"})
    assert sort_labels(client, url) == english

    User.objects.filter(pk=reader.pk).update(language="zh-hans")
    client.post("/accounts/language/", {"language": "zh-hans", "next": "/"})
    assert sort_labels(client, url) == chinese


def test_axes_lockout_messages_are_chinese(settings):
    for cooloff in (settings.AXES_COOLOFF_TIME, None):
        settings.AXES_COOLOFF_TIME = cooloff
        with translation.override("zh-hans"):
            message = str(get_lockout_message())
        assert "账号已锁定" in message, message
        assert not LATIN_WORD.search(message), message
        with translation.override("en"):
            assert str(get_lockout_message()).startswith("Account locked")


def test_a_locked_account_is_told_in_chinese(client, world):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "gm_a", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "gm_a", "password": "pw-test-2026"})
    assert response.status_code == 429
    assert response.headers["Content-Language"] == "zh-hans"
    assert "登录失败次数过多" in response.content.decode()


def test_the_projects_catalogue_comes_first():
    """LOCALE_PATHS is the project's catalogue, and Django merges it over the apps' own."""
    assert [str(path) for path in settings.LOCALE_PATHS] == [str(settings.BASE_DIR / "locale")]
    with translation.override("zh-hans"):
        assert translation.gettext("%s (descending)") == "%s（降序）"
        assert translation.gettext("Access Attempt") == "登录尝试"


@pytest.mark.parametrize(
    "url, chinese, english",
    [
        ("/admin/axes/accessattempt/", "选择 登录尝试 来修改", "Access attempt"),
        ("/admin/axes/accessattempt/{attempt}/change/", "表单数据", "Form Data"),
        ("/admin/django_celery_beat/periodictask/add/", "执行选项", "Execution Options"),
    ],
)
def test_the_administration_pages_of_axes_and_beat_are_chinese(client, db, url, chinese, english):
    admin = User.objects.create_superuser("root", password="pw-test-2026", language="zh-hans")
    attempt = AccessAttempt.objects.create(
        user_agent="test",
        ip_address="127.0.0.1",
        username="gm_a",
        http_accept="*/*",
        path_info="/accounts/login/",
        get_data="",
        post_data="",
        failures_since_start=1,
    )
    client.force_login(admin)
    response = client.get(url.format(attempt=attempt.pk))
    assert response.status_code == 200
    page = response.content.decode()
    assert chinese in page
    assert english not in page
