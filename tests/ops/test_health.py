"""The health probes and the 503 page, in-process. The same with a real PostgreSQL stopped
and started again is `test_database_outage.py`."""

from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client


def test_healthz_answers_without_the_database_session_or_https(settings, client):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    client.cookies["sessionid"] = "a-stale-session"
    with mock.patch("django.db.backends.base.base.BaseDatabaseWrapper.ensure_connection") as db:
        response = client.get("/healthz", HTTP_HOST="10.0.0.7")  # a probe by the backend's IP
    assert not db.called
    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    assert "sessionid" not in response.cookies


def test_readyz_reports_each_service_with_its_latency(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker"}
    for check in body["checks"].values():
        assert check["status"] == "ok" and check["latency_ms"] >= 0


def test_readyz_is_503_naming_the_service_that_is_down(client, db):
    with mock.patch("gridmgmt.views._check_broker", side_effect=ConnectionRefusedError):
        response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["broker"]["status"] == "error"
    assert checks["broker"]["error"] == "ConnectionRefusedError"
    assert checks["database"]["status"] == "ok"


def failing_sessions():
    """Every read of a session fails as it does with PostgreSQL down."""
    return mock.patch(
        "django.contrib.sessions.backends.db.SessionStore.load",
        side_effect=OperationalError("connection refused"),
    )


@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [
        ("zh-CN,zh;q=0.9", "服务暂时不可用，您已保存的内容不会丢失。"),
        ("en-US,en;q=0.9", "The service is briefly unavailable; nothing you saved is lost."),
    ],
)
def test_with_the_database_down_a_page_is_a_503_in_the_visitors_language(
    world, accept_language, expected
):
    client = Client(raise_request_exception=False)
    client.force_login(world.a.grid_member)
    with failing_sessions():
        response = client.get("/", HTTP_ACCEPT_LANGUAGE=accept_language)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert expected in response.content.decode()


def test_the_language_cookie_wins_over_the_browser(world, settings):
    client = Client(raise_request_exception=False)
    client.force_login(world.a.grid_member)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    with failing_sessions():
        response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US")
    assert response.status_code == 503
    assert "您已保存的内容不会丢失" in response.content.decode()


def test_any_other_error_is_still_a_500(world):
    client = Client(raise_request_exception=False)
    client.force_login(world.a.grid_member)
    with mock.patch("reports.home.render", side_effect=ValueError("a bug")):
        response = client.get("/")
    assert response.status_code == 500
