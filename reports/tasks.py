from celery import shared_task

from gridmgmt.tasks import DURABLE


@shared_task(**DURABLE)
def roll_up_population():
    """Roll up every grid's figures (patrol windows, incident events, the register) of the
    past days (up to yesterday) that have no roll-up yet, or whose roll-up a back-dated write
    forgot; run by beat hourly (reports.rollup). At-least-once and idempotent: a day already
    rolled up is skipped, and rolling a day up again writes the same counts over the same
    rows. Returns how many days were rolled up."""
    from .rollup import fill_missing

    return fill_missing()


@shared_task(**DURABLE)
def count_today():
    """Count today's figures so far for every area above the grids (reports.rollup.
    count_today), read by the reports whose period ends today; run by beat every five
    minutes. Idempotent: each run replaces the rows of the one before, and a run lost only
    leaves the rows older (a report counts today live once they are stale). Returns the
    number of rows saved."""
    from .rollup import count_today as count

    return count()
