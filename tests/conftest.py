"""Personas and service checks shared by every test.

The personas: a district officer; two communities (A and B), each with a stationmaster,
and for its first grid a grid leader and a grid member (each post with an A and a B
holder); and an outsider who holds no post.

Tests that need Redis or Chromium skip with a reason when they are missing, except with
CI=true, where a missing service is a failure.
"""

import os
import shutil
from dataclasses import dataclass

import pytest
import redis
from django.conf import settings as django_settings

from grids.models import Area, Role, User
from tests.factories import make_area, make_community, make_post, make_user

# pytest-playwright runs an event loop in the main thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def missing_service(reason):
    """Skip, or in CI fail: a test that needs a service must run there."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: a missing service is a failure)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@dataclass
class Side:
    community: Area
    grid: Area
    other_grid: Area
    stationmaster: User
    grid_leader: User
    grid_member: User
    grid_member_b: User


@dataclass
class World:
    district: Area
    street: Area
    district_officer: User
    a: Side
    b: Side
    outsider: User


def _side(street, code, letter):
    community = make_community(street, code)
    grids = list(community.children.order_by("code"))
    stationmaster = make_user(f"sm_{letter}", full_name=f"Stationmaster {letter.upper()}")
    make_post(community, Role.STATIONMASTER, stationmaster, make_user(f"sm_{letter}_b"))
    leader = make_user(f"gl_{letter}", full_name=f"Leader {letter.upper()}")
    make_post(grids[0], Role.GRID_LEADER, leader)
    member = make_user(
        f"gm_{letter}", full_name=f"Member {letter.upper()}", email=f"gm_{letter}@example.com"
    )
    member_b = make_user(f"gm_{letter}_b", full_name=f"Backup {letter.upper()}")
    make_post(grids[0], Role.GRID_MEMBER, member, member_b)
    return Side(community, grids[0], grids[1], stationmaster, leader, member, member_b)


@pytest.fixture
def world(db):
    return build_world()


def build_world():
    """The personas of the `world` fixture (for a fixture of a wider scope)."""
    district = make_area(Area.Kind.DISTRICT, code="T", name="Test District")
    street = make_area(Area.Kind.STREET, district, code="T-01", name="Test Street")
    officer = make_user("district_officer", full_name="District Officer")
    make_post(district, Role.DISTRICT_STAFF, officer)
    return World(
        district=district,
        street=street,
        district_officer=officer,
        a=_side(street, "T-01-01", "a"),
        b=_side(street, "T-01-02", "b"),
        outsider=make_user("outsider", full_name="Outsider"),
    )


@pytest.fixture
def redis_url():
    url = os.environ.get("REDIS_URL")
    if not url:
        missing_service("REDIS_URL is not set")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        missing_service(f"Redis at {url} does not answer: {exc}")
    if url != django_settings.CELERY_BROKER_URL:
        missing_service("Celery's broker is not Redis")
    return url


@pytest.fixture
def celery_worker_on_redis(redis_url, transactional_db):
    """A real Celery worker, in a thread, consuming from Redis."""
    from celery.contrib.testing.worker import start_worker

    from gridmgmt.celery import app

    with start_worker(
        app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30
    ):
        yield app


@pytest.fixture(scope="session")
def browser_type_launch_args():
    if not shutil.which(CHROMIUM):
        missing_service(f"Chromium is not installed at {CHROMIUM}")
    return {
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
            "--disable-dev-shm-usage",
            "--disable-gpu",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A phone: the grid member's screen."""
    return {
        **browser_context_args,
        "viewport": {"width": 390, "height": 844},
        "is_mobile": True,
        "has_touch": True,
        "locale": "en-US",
    }
