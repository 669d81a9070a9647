"""What every task shares: how it survives a lost worker and a database restart, and how it
is enqueued without making a page depend on the broker."""

import logging

from django.db import InterfaceError, OperationalError, transaction

logger = logging.getLogger(__name__)

# For tasks that are safe to run twice (all of ours: each claims its work with a conditional
# update or a unique key). The message is acknowledged only when the task has finished, and
# given back to the broker when the process running it dies, so a killed worker delays the
# work and never loses it. A database that is down is retried with backoff for about 25
# minutes (5 s, 10 s, ... capped at 5 min, 10 times): longer than a restart.
DURABLE = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError, InterfaceError),
    "max_retries": 10,
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": False,
}

# Publishing with the broker down gives up after about a second: the row that records the
# work is saved already, and a periodic task sends what is still owed.
PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.3, "interval_max": 0.5}


def send_soon(task, *args, **kwargs):
    """Enqueue `task` once the current transaction commits (at once outside one). Best
    effort: a broker error is logged, not raised, so the page still answers with what it
    saved."""

    def send():
        try:
            task.apply_async(args, kwargs, retry=True, retry_policy=PUBLISH_RETRY)
        except Exception:
            # Kombu raises its own, redis's and socket errors here: none may reach the page.
            logger.warning("Could not enqueue %s%r; a sweep will do it later", task.name, args)

    transaction.on_commit(send)
