import datetime

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import InterfaceError, OperationalError
from django.template.loader import render_to_string
from django.utils import timezone, translation

from gridmgmt.tasks import DURABLE

from . import services
from .models import Notification, NotificationSettings


@shared_task(**DURABLE, bind=True)
def send_notification_email(self, notification_id, sent=False):
    """Email one notification, in its recipient's language, if they want its kind by email.

    At least once, and once in practice: the row is claimed (`email_claimed_at`) with a
    conditional update right before sending, so a repeated delivery while it is being sent
    does nothing; it is marked emailed after sending. A failed send releases the claim and
    retries. A worker that dies while sending leaves a claim that expires after EMAIL_LEASE,
    and `send_owed_emails` sends it then. Only a worker dying between the mail server's
    acceptance and the mark could send it twice. `sent`: the retry of a mark that failed."""
    if sent:
        _mark_emailed(notification_id)
        return
    notification = (
        Notification.objects.select_related("recipient")
        .filter(pk=notification_id, emailed_at__isnull=True)
        .first()
    )
    if notification is None:
        return
    recipient = notification.recipient
    # They may read this kind in the app only: then it is marked handled, unsent, so the
    # sweep leaves it alone.
    wanted = bool(recipient.email) and NotificationSettings.for_user(recipient).wants_email(
        notification.kind
    )
    if wanted:
        with translation.override(recipient.language or settings.LANGUAGE_CODE):
            message = render_to_string(
                "notifications/email.txt",
                {"notification": notification, "site": settings.SITE_URL},
            )
    # The claim is the last query before sending: a database lost before it leaves the row
    # owed for the retry.
    now = timezone.now()
    claimed = (
        Notification.objects.owed_email(now)
        .filter(pk=notification_id)
        .update(email_claimed_at=now, **({} if wanted else {"emailed_at": now}))
    )
    if not (claimed and wanted):
        return
    try:
        send_mail(notification.title, message, settings.DEFAULT_FROM_EMAIL, [recipient.email])
    except Exception as exc:
        Notification.objects.filter(pk=notification_id).update(email_claimed_at=None)
        raise self.retry(exc=exc) from exc
    try:
        _mark_emailed(notification_id)
    except (OperationalError, InterfaceError) as exc:
        # Sent, but the database is gone: retry only the mark, never the send.
        raise self.retry(exc=exc, args=[notification_id], kwargs={"sent": True}) from exc


def _mark_emailed(notification_id):
    Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )


@shared_task(**DURABLE)
def send_owed_emails(older_than_seconds=None):
    """Enqueue every email still owed (its message lost or its task given up); run by beat
    every minute. At-least-once, and idempotent: each email is claimed when it is sent.
    Returns how many were enqueued."""
    if older_than_seconds is None:
        return len(services.send_owed_emails())
    return len(services.send_owed_emails(older_than=datetime.timedelta(seconds=older_than_seconds)))


@shared_task(**DURABLE)
def send_daily_digests():
    """Send the stationmasters' daily digests that are due; run by beat every five minutes.
    At-least-once, and idempotent: a digest's key names its recipient and day, so a repeated
    run sends nothing twice. Returns how many were sent."""
    from .digest import send_daily_digests

    return len(send_daily_digests())
