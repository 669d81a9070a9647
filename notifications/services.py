import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.functional import Promise

from gridmgmt.tasks import send_soon

from .models import Notification, kind_of

# An email not sent this long after its notification was written is owed: its message was
# lost (broker down, worker killed) or its task gave up, and the periodic sweep sends it.
EMAIL_OWED_AFTER = datetime.timedelta(minutes=1)


def notify(recipients, *, key, title, body="", url="", params=None, kind=None):
    """Tell each recipient once: an inbox entry now, an email after commit (best effort: if
    the broker is down, `send_owed_emails` sends it a minute or so later).

    `title` and `body` may be lazy translations (`ngettext_lazy` with the name of the count
    in `params` for a count), formatted with `params` (whose values may be lazy too): each
    recipient gets them in their own language. A plain string (a person's own note) is
    taken as it is, never formatted. A recipient who already has a
    notification with this `key` is skipped, so a repeated task tells nobody twice. Returns
    the notifications created. Runs one query per recipient, inside a savepoint each.
    `kind` (which decides whether it is also emailed) defaults to the one `key` names.
    A recipient who never chose a language reads the site default, Chinese.
    """
    from .tasks import send_notification_email

    _check_title(title, params)
    created = []
    for recipient in {r.pk: r for r in recipients if r is not None}.values():
        with translation.override(recipient.language or settings.LANGUAGE_CODE):
            fields = {
                "title": _compose(title, params)[:200],
                "body": _compose(body, params),
                "url": url,
                "kind": kind or kind_of(key),
            }
        try:
            with transaction.atomic():
                created.append(Notification.objects.create(recipient=recipient, key=key, **fields))
        except IntegrityError:
            continue
    for notification in created:
        if notification.recipient.email:
            send_soon(send_notification_email, notification.pk)
    return created


def notify_many(notices):
    """Write many notifications at once, for the periodic sweeps: `notices` is an iterable of
    dicts with `recipients` and the keyword arguments of `notify` (key, title, body, url,
    params, kind), composed the same way, each recipient in their own language. A recipient
    who already has a notification with the key is skipped (the database's unique key does
    it, so a concurrent sweep tells nobody twice). Returns how many were written.

    Rows only, in the caller's transaction: their emails are sent by `send_owed_emails`
    (beat, every minute), so a sweep publishes nothing per notification. Runs one query
    per batch of rows (gridmgmt.bulk.batch_size), none when there is nothing to write."""
    from gridmgmt.bulk import batch_size, insert_new

    rows, seen = [], set()
    for notice in notices:
        key, title, params = notice["key"], notice["title"], notice.get("params")
        _check_title(title, params)
        body = notice.get("body", "")
        kind = notice.get("kind") or kind_of(key)
        composed = {}
        for recipient in notice["recipients"]:
            if recipient is None or (recipient.pk, key) in seen:
                continue
            seen.add((recipient.pk, key))
            language = recipient.language or settings.LANGUAGE_CODE
            if language not in composed:
                with translation.override(language):
                    composed[language] = (_compose(title, params)[:200], _compose(body, params))
            text, body_text = composed[language]
            rows.append(
                Notification(
                    recipient=recipient,
                    key=key,
                    title=text,
                    body=body_text,
                    url=notice.get("url", ""),
                    kind=kind,
                )
            )
    fields = ["recipient", "key", "kind", "title", "body", "url", "created_at"]
    size = batch_size()
    return sum(
        len(insert_new(Notification, rows[start : start + size], fields))
        for start in range(0, len(rows), size)
    )


def _check_title(title, params):
    """A title with parameters is one of the product's translated templates (lazy); a
    person's own words never are: they go in `body`, taken as they are. Refuses the mix-up
    before anything is written, so it shows in the tests, not in an inbox."""
    if params and not isinstance(title, Promise):
        raise TypeError(
            "A notification title with params is a lazy translation (gettext_lazy or "
            "ngettext_lazy); a person's own text goes in `body`."
        )


def _compose(text, params):
    """A translation (lazy) formatted with `params` in the active language; a plain string
    as it is."""
    if params and isinstance(text, Promise):
        return str(text % params)
    return str(text)


def send_owed_emails(*, older_than=EMAIL_OWED_AFTER):
    """Enqueue the email of every notification written more than `older_than` ago that has
    a recipient with an address, was never emailed and is not being sent (no claim, or one
    older than EMAIL_LEASE: its worker died). Sending claims the row, so a
    notification enqueued twice is emailed once. Runs one query; returns the ids."""
    from .tasks import send_notification_email

    now = timezone.now()
    owed = list(
        Notification.objects.owed_email(now)
        .filter(created_at__lte=now - older_than)
        .exclude(recipient__email="")
        .order_by("pk")
        .values_list("pk", flat=True)[:5000]
    )
    for pk in owed:
        send_soon(send_notification_email, pk)
    return owed


def mark_read(user, notification_ids=None):
    """Mark the user's notifications read (all of them when no ids are given)."""
    qs = Notification.objects.for_user(user).unread()
    if notification_ids is not None:
        qs = qs.filter(pk__in=notification_ids)
    return qs.update(read_at=timezone.now())
