"""Login lockout counts failures per username and client address together, and behind a
proxy the client address is read from X-Forwarded-For, trusting only as many entries as
there are proxies (TRUSTED_PROXY_COUNT). So nobody can lock everyone out of an account, and
nobody escapes a lockout by sending a made-up address."""

import pytest
from django.test import Client

from gridmgmt.client_ip import client_ip
from tests.factories import make_user

LOGIN = "/accounts/login/"
PROXY = "10.0.0.2"


@pytest.fixture
def behind_one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1


def attempt(username, password, forwarded_for):
    client = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded_for)
    return client.post(LOGIN, {"username": username, "password": password})


def locked(response):
    return response.status_code == 429 or b"locked" in response.content.lower()


def test_failures_from_one_address_do_not_lock_the_account_for_others(db, behind_one_proxy):
    make_user("victim")
    for _ in range(6):
        attempt("victim", "wrong", "203.0.113.7")
    assert locked(attempt("victim", "pw-test-2026", "203.0.113.7"))
    # The owner, from their own address behind the same proxy, still logs in.
    response = attempt("victim", "pw-test-2026", "198.51.100.20")
    assert response.status_code == 302 and not locked(response)


def test_a_made_up_forwarded_address_does_not_escape_the_lockout(db, behind_one_proxy):
    make_user("target")
    for n in range(6):
        # The client prepends a different address each time; the proxy appends the real one.
        attempt("target", "wrong", f"192.0.2.{n}, 203.0.113.7")
    assert locked(attempt("target", "pw-test-2026", "192.0.2.99, 203.0.113.7"))


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "203.0.113.7", "10.0.0.2"),  # no proxy: the header is the client's own words
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "1.2.3.4, 203.0.113.7", "203.0.113.7"),
        (2, "1.2.3.4, 203.0.113.7, 10.0.0.9", "203.0.113.7"),
        (2, "203.0.113.7", "203.0.113.7"),  # fewer entries than proxies: the outermost
        (1, "", "10.0.0.2"),
        (1, "not-an-address", "10.0.0.2"),
    ],
)
def test_the_client_address_trusts_only_the_proxies_entries(
    rf, settings, count, forwarded, expected
):
    settings.TRUSTED_PROXY_COUNT = count
    request = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected
