"""The site speaks Simplified Chinese by default; English is one tap away; a person's
language is taken from their browser at first login and kept."""

from grids.models import User
from tests.factories import make_user


def test_an_anonymous_visitor_without_accept_language_reads_chinese(client, db):
    response = client.get("/accounts/login/")
    assert response.headers["Content-Language"] == "zh-hans"
    assert "登录" in response.content.decode()


def test_a_browser_asking_for_english_reads_english(client, db):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.headers["Content-Language"] == "en"


def test_a_new_users_language_is_taken_from_the_browser_at_first_login(client, db):
    make_user("newcomer", language="")
    client.post(
        "/accounts/login/",
        {"username": "newcomer", "password": "pw-test-2026"},
        HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9",
    )
    client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert User.objects.get(username="newcomer").language == "en"
    # Kept on another device whose browser asks for Chinese.
    client.cookies.clear()
    client.force_login(User.objects.get(username="newcomer"))
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    assert response.headers["Content-Language"] == "en"


def test_a_new_user_whose_browser_says_nothing_gets_chinese_and_can_change_it(client, db):
    user = make_user("newcomer", language="")
    client.force_login(user)
    client.get("/")
    assert User.objects.get(pk=user.pk).language == "zh-hans"
    client.post("/accounts/language/", {"language": "en", "next": "/"})
    assert User.objects.get(pk=user.pk).language == "en"
    assert client.get("/").headers["Content-Language"] == "en"
