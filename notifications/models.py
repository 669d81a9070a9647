import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# How long a worker may take to send one email before another may send it instead.
EMAIL_LEASE = datetime.timedelta(minutes=10)


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(recipient=user)

    def unread(self):
        return self.filter(read_at__isnull=True)

    def owed_email(self, now):
        """Never emailed, and not being sent: no claim, or a claim older than EMAIL_LEASE
        (the worker sending it died)."""
        return self.filter(
            models.Q(email_claimed_at__isnull=True)
            | models.Q(email_claimed_at__lt=now - EMAIL_LEASE),
            emailed_at__isnull=True,
        )


class Kind(models.TextChoices):
    """What a notification is about; each person chooses which kinds also arrive by email."""

    INCIDENT = "incident", _("My incidents: assigned, returned, urged, near their deadline")
    STATION = (
        "station",
        _(
            "For the station: new incidents, work to verify, requests for more time, handovers, "
            "overdue and escalated incidents"
        ),
    )
    PATROL = "patrol", _("Patrols: missed windows and returned logs")
    MEETING = "meeting", _("Meetings and grid reports: reminders, moves and action items")
    DIGEST = "digest", _("The daily digest")
    OTHER = "other", _("Everything else")


# The key's first word names its kind (meeting keys start "meeting-<pk>-").
KIND_OF_KEY = {
    "assigned": Kind.INCIDENT,
    "returned": Kind.INCIDENT,
    "urge": Kind.INCIDENT,
    "incident-yellow": Kind.INCIDENT,
    "absence-cover": Kind.INCIDENT,
    "handover": Kind.INCIDENT,
    "filed": Kind.STATION,
    "resolved": Kind.STATION,
    "extension": Kind.STATION,
    "handover-waiting": Kind.STATION,
    "incident-red": Kind.STATION,
    "escalated": Kind.STATION,
    "patrol-missed": Kind.PATROL,
    "patrol-returned": Kind.PATROL,
    "meeting": Kind.MEETING,
    "action-item": Kind.MEETING,
    "report-returned": Kind.MEETING,
    "digest": Kind.DIGEST,
}


def kind_of(key):
    """The kind a notification key names: its longest known prefix before ":" or "-"."""
    head = key.split(":", 1)[0]
    while head:
        if head in KIND_OF_KEY:
            return KIND_OF_KEY[head]
        head = head.rpartition("-")[0]
    return Kind.OTHER


class Notification(models.Model):
    """One message to one person: shown in the inbox and sent by email.

    `key` names what the notification is about (say "patrol-missed:GL-01-02-03:2026-11-28:am");
    a recipient gets each key at most once, however often the sender runs.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    key = models.CharField(_("deduplication key"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), max_length=5000, blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)
    # Taken by the worker sending the email; a claim older than EMAIL_LEASE was a worker that
    # died while sending, and the email is owed again.
    email_claimed_at = models.DateTimeField(_("email claimed at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="notification_once_per_key")
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            # The emails still owed, for the sweep that sends them.
            models.Index(
                fields=["created_at"],
                condition=models.Q(emailed_at__isnull=True),
                name="notification_email_owed",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_read(self):
        return self.read_at is not None


DEFAULT_DIGEST_AT = datetime.time(8, 0)


class NotificationSettings(models.Model):
    """One person's choices: which kinds also arrive by email, and when a stationmaster's
    daily digest comes. A person without a row gets every kind by email and the digest at
    08:00 local time."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notification_settings",
    )
    # A list of Kind values (JSON, so the embedded SQLite default works too).
    email_kinds = models.JSONField(_("kinds sent by email"), default=list, blank=True)
    digest_at = models.TimeField(_("daily digest at"), default=DEFAULT_DIGEST_AT)

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")

    def __str__(self):
        return str(self.user)

    @classmethod
    def for_user(cls, user):
        """The user's settings, unsaved defaults when they have none. Runs one query."""
        found = cls.objects.filter(user=user).first()
        return found or cls(user=user, email_kinds=list(Kind.values), digest_at=DEFAULT_DIGEST_AT)

    def wants_email(self, kind):
        return kind in self.email_kinds
