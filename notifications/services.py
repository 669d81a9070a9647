from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from .models import Notification


def notify(recipients, *, key, title, body="", url="", params=None):
    """Tell each recipient once: an inbox entry now, an email after commit.

    `title` and `body` may be lazy translations, formatted with `params` (whose values may be
    lazy too): each recipient gets them in their own language. A recipient who already has a
    notification with this `key` is skipped, so a repeated task tells nobody twice. Returns
    the notifications created. Runs one query per recipient, inside a savepoint each.
    """
    from .tasks import send_notification_email

    created = []
    for recipient in {r.pk: r for r in recipients if r is not None}.values():
        with translation.override(recipient.language or None):
            fields = {
                "title": (str(title) % params if params else str(title))[:200],
                "body": str(body) % params if params and body else str(body),
                "url": url,
            }
        try:
            with transaction.atomic():
                created.append(Notification.objects.create(recipient=recipient, key=key, **fields))
        except IntegrityError:
            continue
    for notification in created:
        if notification.recipient.email:
            transaction.on_commit(lambda pk=notification.pk: send_notification_email.delay(pk))
    return created


def mark_read(user, notification_ids=None):
    """Mark the user's notifications read (all of them when no ids are given)."""
    qs = Notification.objects.for_user(user).unread()
    if notification_ids is not None:
        qs = qs.filter(pk__in=notification_ids)
    return qs.update(read_at=timezone.now())
