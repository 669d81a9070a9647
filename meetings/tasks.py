from celery import shared_task

from gridmgmt.tasks import DURABLE


@shared_task(**DURABLE)
def plan_meetings():
    """Create the coming weeks' meetings of every active series (moving those that fall on a
    holiday and telling their participants); run by beat. Idempotent: one meeting per series
    and day. Returns how many were created."""
    from .schedule import plan_meetings as plan

    return plan()


@shared_task(**DURABLE)
def send_reminders():
    """Remind participants the working day before and one hour before; run by beat every few
    minutes. Idempotent: each reminder's notification key names the meeting and the kind of
    reminder, so each person hears each reminder once. Returns how many were sent."""
    from .schedule import send_reminders as send

    return send()


@shared_task(**DURABLE)
def draft_grid_reports():
    """On the first days of a month, draft every grid's report for the month just ended;
    run by beat daily. Idempotent: one report per grid and month. Returns how many."""
    from .gridreports import draft_monthly_reports

    return draft_monthly_reports()
