from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from .models import Notification


@shared_task(acks_late=True, max_retries=5, retry_backoff=True, bind=True)
def send_notification_email(self, notification_id):
    """Email one notification. At most once per successful send: the row is claimed with a
    conditional update before sending, and released again if sending fails (then retried)."""
    claimed = Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if not claimed:
        return
    notification = Notification.objects.select_related("recipient").get(pk=notification_id)
    if not notification.recipient.email:
        return
    try:
        send_mail(
            notification.title,
            f"{notification.body}\n\n{notification.url}".strip(),
            settings.DEFAULT_FROM_EMAIL,
            [notification.recipient.email],
        )
    except Exception as exc:
        Notification.objects.filter(pk=notification_id).update(emailed_at=None)
        raise self.retry(exc=exc) from exc
