import datetime

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone, translation

from gridmgmt.tasks import DURABLE

from . import services
from .models import Notification, NotificationSettings


@shared_task(**DURABLE, bind=True)
def send_notification_email(self, notification_id):
    """Email one notification, in its recipient's language, if they want its kind by email.
    At most once per successful send: the row is claimed with a
    conditional update right before sending, and released again if sending fails (then
    retried, and after the last retry left to `send_owed_emails`). A repeated delivery finds
    the row claimed and does nothing."""
    notification = (
        Notification.objects.select_related("recipient")
        .filter(pk=notification_id, emailed_at__isnull=True)
        .first()
    )
    if notification is None:
        return
    recipient = notification.recipient
    # They may read this kind in the app only; the claim below still keeps the sweep off it.
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
    # owed for the retry, instead of claimed and never sent.
    claimed = Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if not (claimed and wanted):
        return
    try:
        send_mail(
            notification.title,
            message,
            settings.DEFAULT_FROM_EMAIL,
            [recipient.email],
        )
    except Exception as exc:
        Notification.objects.filter(pk=notification_id).update(emailed_at=None)
        raise self.retry(exc=exc) from exc


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
