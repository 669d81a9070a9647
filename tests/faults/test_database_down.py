"""PostgreSQL unreachable under a running worker: a cluster of the test's own is stopped
while emails are due and started again; every email goes out once, with no restart."""

import os
import time

import psycopg
import pytest

from notifications.tasks import send_notification_email, send_owed_emails
from tests.conftest import missing_service
from tests.faults.conftest import (
    CELERY,
    REDIS_SERVER,
    Processes,
    Redis,
    broker,
    free_port,
    report,
    wait_for,
)
from tests.ops.cluster import Cluster, manage, production_env

NOTIFICATIONS = 20
OUTAGE_SECONDS = 15

# Written while the broker is unreachable for the writer, so no message is queued for them:
# the test queues them itself once PostgreSQL is down.
OWED = f"""
from notifications.services import notify
from grids.models import User
for n in range({NOTIFICATIONS}):
    email = f"owed{{n}}@example.org"
    user = User.objects.create_user(f"owed{{n}}", email=email, language="zh-hans")
    notify([user], key=f"outage:{{n}}", title=f"停电通知 {{n}}", body="明天上午停电")
"""


@pytest.fixture
def stack(tmp_path):
    """A PostgreSQL cluster (migrated), a Redis and a place for a worker, all the test's own."""
    if not (os.path.exists(REDIS_SERVER) and os.path.exists(CELERY)):
        missing_service("the fault tests need redis-server and celery")
    cluster = Cluster()
    redis = Redis(free_port())
    processes = None
    try:
        cluster.create()
        cluster.start()
        redis.start()
        processes = Processes(tmp_path, redis)
        # A production worker (DEBUG off, persistent connections with health checks).
        processes.env = production_env(
            cluster.url,
            REDIS_URL=redis.url,
            EMAIL_URL=f"filemail:///{processes.mail_dir}",
            MEDIA_ROOT=str(processes.media),
            PYTHONUNBUFFERED="1",
        )
        manage(processes.env, "migrate", "--no-input", "-v0")
        with broker(redis.url):
            yield cluster, processes
    finally:
        if processes:
            processes.stop_all()
        redis.stop()
        cluster.remove()


@pytest.mark.faults
def test_with_postgresql_down_the_emails_due_are_all_sent_once_when_it_is_back(stack, capsys):
    cluster, processes = stack
    dead_broker = f"redis://127.0.0.1:{free_port()}/0"
    manage({**processes.env, "REDIS_URL": dead_broker}, "shell", "-c", OWED)
    with psycopg.connect(cluster.url) as db:
        rows = db.execute(
            "SELECT id, title FROM notifications_notification WHERE emailed_at IS NULL"
        ).fetchall()
    assert len(rows) == NOTIFICATIONS
    wanted = {(f"owed{title.split()[-1]}@example.org", title) for _, title in rows}

    worker = processes.worker()
    # The worker's process holds a connection (kept between tasks) when PostgreSQL goes.
    send_owed_emails.delay(older_than_seconds=3600)
    wait_for(lambda: "succeeded" in worker.log.read_text(), 30, 0.2, "the worker's first task")

    cluster.stop()
    # Due while it is down: half have their own message, as sends after commit that were on
    # their way; the other half only the owed-email sweep finds, as beat fires it each minute.
    for pk, _ in rows[: NOTIFICATIONS // 2]:
        send_notification_email.delay(pk)
    send_owed_emails.delay(older_than_seconds=0)
    time.sleep(OUTAGE_SECONDS)
    cluster.start()
    back = time.monotonic()

    def all_sent():
        if not wanted <= set(processes.emails()):
            return False
        with psycopg.connect(cluster.url) as db:
            (owed,) = db.execute(
                "SELECT count(*) FROM notifications_notification WHERE emailed_at IS NULL"
            ).fetchone()
        return owed == 0

    wait_for(all_sent, 120, 0.5, "every owed email after PostgreSQL is back")
    seconds = round(time.monotonic() - back, 1)
    time.sleep(2)  # a duplicate would be written right behind the last one
    sent = processes.emails()
    log = worker.log.read_text()
    lost = len(wanted - set(sent))
    duplicated = sum(count - 1 for count in sent.values())
    report(
        capsys,
        "postgresql down",
        notifications=NOTIFICATIONS,
        outage_seconds=OUTAGE_SECONDS,
        retries=log.count("Retry in"),
        emails_sent=sum(sent.values()),
        lost=lost,
        duplicated=duplicated,
        seconds_back_to_all_sent=seconds,
    )
    assert (lost, duplicated) == (0, 0)
    assert set(sent) == wanted
    assert worker.poll() is None
