"""Browser tests run the way the product is deployed, and fail on any console error.

The production security settings (what `settings.py` sets with DEBUG off) are switched on for
every browser test: the Content-Security-Policy, HSTS, secure and HTTP-only cookies, nosniff,
the referrer policy and frame denial, all through the same middleware. Only the redirect to
HTTPS and the proxy header are left off, because the test server speaks plain HTTP on
localhost, where Chromium accepts secure cookies.

Every browser context made through `new_context` (the `page` and `context` fixtures use it) is
watched: a console error or an uncaught exception fails the test. A test that provokes an
expected network error (offline, a refused request) names it with `console.allow(...)`; a
Content-Security-Policy violation can never be allowed.
"""

import re

import pytest

CSP_VIOLATION = re.compile(r"Content Security Policy|Refused to (connect|load|execute|apply)")


class ConsoleWatch:
    def __init__(self):
        self.errors = []
        self.allowed = []

    def allow(self, pattern):
        """Expected errors matching `pattern` (a regular expression) do not fail the test."""
        if CSP_VIOLATION.search(pattern):
            raise ValueError("A CSP violation is never expected.")
        self.allowed.append(re.compile(pattern))

    def record(self, text):
        self.errors.append(text)

    def unexpected(self):
        return [
            text
            for text in self.errors
            if CSP_VIOLATION.search(text) or not any(p.search(text) for p in self.allowed)
        ]


@pytest.fixture
def console():
    return ConsoleWatch()


@pytest.fixture
def new_context(new_context, console):
    """pytest-playwright's context factory, with every page's console watched."""

    def watched(**kwargs):
        context = new_context(**kwargs)
        context.on(
            "console",
            lambda message: (
                message.type == "error"
                and console.record(f"{message.text} ({message.location.get('url', '')})")
            ),
        )
        context.on("weberror", lambda error: console.record(f"uncaught: {error.error}"))
        return context

    yield watched
    unexpected = console.unexpected()
    assert not unexpected, "The browser console showed errors:\n" + "\n".join(unexpected)


@pytest.fixture(autouse=True)
def production_security(settings):
    """The security settings of a deployment (DEBUG off), as in `gridmgmt/settings.py`."""
    settings.DEBUG = False
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_SSL_REDIRECT = False
