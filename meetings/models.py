"""Meetings: the station's Monday communication meeting and monthly grid review, what was
said and decided there, and each grid's monthly report to the review."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords


class Kind(models.TextChoices):
    WEEKLY = "weekly", _("Monday communication meeting")
    MONTHLY = "monthly", _("Monthly grid review meeting")


class MeetingSeries(models.Model):
    """A community's standing meeting. The weekly one falls on `weekday`; the monthly one on
    the `working_day`-th working day of the month (on the incidents' working calendar).
    Participants are posts: whoever holds (or stands in for) the post on the day attends."""

    community = models.ForeignKey(
        "grids.Area",
        verbose_name=_("community"),
        on_delete=models.CASCADE,
        related_name="meeting_series",
        limit_choices_to={"kind": "community"},
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    weekday = models.PositiveSmallIntegerField(
        _("weekday"),
        default=0,
        help_text=_("For the weekly meeting: 0 is Monday, 6 is Sunday."),
    )
    working_day = models.PositiveSmallIntegerField(
        _("working day of the month"),
        default=1,
        help_text=_("For the monthly meeting: 1 is the first working day of the month."),
    )
    starts_at = models.TimeField(_("starts at"), default=datetime.time(9))
    duration_minutes = models.PositiveSmallIntegerField(_("minutes"), default=60)
    place = models.CharField(_("place"), max_length=100, blank=True)
    posts = models.ManyToManyField(
        "grids.Post", verbose_name=_("participants (posts)"), blank=True, related_name="+"
    )
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords(m2m_fields=[posts])

    class Meta:
        verbose_name = _("meeting series")
        verbose_name_plural = _("meeting series")
        constraints = [
            models.UniqueConstraint(fields=["community", "kind"], name="one_series_per_kind")
        ]

    def __str__(self):
        return f"{self.community} · {self.get_kind_display()}"


class MeetingQuerySet(models.QuerySet):
    def upcoming(self, now):
        return self.filter(ends_at__gte=now, status=Meeting.Status.SCHEDULED).order_by("starts_at")

    def visible_to(self, scope, user):
        """Meetings of communities the user supervises, and meetings the user attends or
        stands in at."""
        attending = Participant.objects.filter(Q(user=user) | Q(substitute=user))
        return self.filter(
            Q(scope.supervised_q("community")) | Q(pk__in=attending.values("meeting_id"))
        )


class Meeting(models.Model):
    """One occurrence of a series. `scheduled_on` is the day the series gives; `starts_at`
    the moment it really starts (a later working day when that day is a holiday)."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

    series = models.ForeignKey(
        MeetingSeries, verbose_name=_("series"), on_delete=models.CASCADE, related_name="meetings"
    )
    community = models.ForeignKey(
        "grids.Area", verbose_name=_("community"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    scheduled_on = models.DateField(_("scheduled on"))
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    ends_at = models.DateTimeField(_("ends at"))
    moved_from = models.DateField(
        _("moved from"),
        null=True,
        blank=True,
        help_text=_("The day it would have fallen on, when that day is not a working day."),
    )
    place = models.CharField(_("place"), max_length=100, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED
    )
    agenda_generated_at = models.DateTimeField(_("agenda drafted at"), null=True, blank=True)
    minutes = models.TextField(
        pgettext_lazy("meeting record", "minutes"), max_length=20000, blank=True
    )
    decisions = models.TextField(_("decisions"), max_length=5000, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = MeetingQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["series", "scheduled_on"], name="one_meeting_per_day")
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.scheduled_on:%Y-%m-%d}"

    def get_absolute_url(self):
        return reverse("meetings:detail", args=[self.pk])


class Participant(models.Model):
    """Who is expected at a meeting, and whether they came. `user` is the post's acting
    holder when the meeting was planned; `substitute` the person who came in their place
    (the post's B holder, or anyone the stationmaster names)."""

    class Attendance(models.TextChoices):
        EXPECTED = "expected", _("Expected")
        PRESENT = "present", _("Present")
        ABSENT = "absent", _("Absent")
        EXCUSED = "excused", _("Excused")

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="participants"
    )
    post = models.ForeignKey(
        "grids.Post",
        verbose_name=_("post"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("participant"),
        on_delete=models.PROTECT,
        related_name="meeting_participations",
    )
    attendance = models.CharField(
        _("attendance"), max_length=10, choices=Attendance.choices, default=Attendance.EXPECTED
    )
    substitute = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("substituted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "user"], name="one_place_per_person")
        ]

    def __str__(self):
        return str(self.user)


class AgendaItem(models.Model):
    """One line of a meeting's agenda: drafted from the data, then edited by the station."""

    class Source(models.TextChoices):
        OVERDUE = "overdue", _("Overdue incident")
        SUPERVISED = "supervised", _("Supervised incident")
        ESCALATED = "escalated", _("Escalated since the last meeting")
        MISSED_PATROLS = "missed", _("Missed patrols")
        INSTRUCTION = "instruction", _("Open verification instruction")
        ACTION_ITEM = "action", _("Open action item")
        GRID_REPORT = "report", _("Grid report")
        OVERDUE_VISIT = "visit", _("Overdue visit")
        OTHER = "other", _("Other")

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="agenda"
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    text = models.CharField(_("item"), max_length=300)
    note = models.TextField(_("note"), max_length=1000, blank=True)
    incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    grid = models.ForeignKey(
        "grids.Area", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    instruction = models.ForeignKey(
        "patrols.Instruction", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action_item = models.ForeignKey(
        "ActionItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["position", "pk"]

    def __str__(self):
        return self.text


class ActionItemQuerySet(models.QuerySet):
    def open(self):
        return self.filter(done_at__isnull=True, cancelled_at__isnull=True)


class ActionItem(models.Model):
    """Something a meeting decided someone must do by a day. It can become an incident, and
    stays open until it is done (or its incident is closed)."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="action_items"
    )
    text = models.CharField(_("action"), max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="action_items",
    )
    due_on = models.DateField(_("deadline"))
    grid = models.ForeignKey(
        "grids.Area",
        verbose_name=_("grid"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": "grid"},
    )
    incident = models.OneToOneField(
        "incidents.Incident",
        verbose_name=_("incident"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="action_item",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    objects = ActionItemQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        ordering = ["due_on", "pk"]

    def __str__(self):
        return self.text

    @property
    def is_open(self):
        return self.done_at is None and self.cancelled_at is None


# The most a leader writes under one heading of a grid report, in characters; six headings
# make a PDF of a few pages at most.
SECTION_LENGTH = 5000


class GridReport(models.Model):
    """A grid's report to the monthly review: figures drawn from the data for the month
    (kept in `figures` as they were when drafted or refreshed), and the leader's text."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")

    grid = models.ForeignKey(
        "grids.Area", verbose_name=_("grid"), on_delete=models.CASCADE, related_name="reports"
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month reported on."))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    figures = models.JSONField(_("figures"), default=dict)
    figures_at = models.DateTimeField(_("figures as of"), null=True, blank=True)
    public_security = models.TextField(
        _("public security in the grid"), max_length=SECTION_LENGTH, blank=True
    )
    surroundings = models.TextField(
        _("the surrounding area"), max_length=SECTION_LENGTH, blank=True
    )
    sanitation = models.TextField(_("sanitation"), max_length=SECTION_LENGTH, blank=True)
    floating_survey = models.TextField(
        _("floating-population survey"), max_length=SECTION_LENGTH, blank=True
    )
    patrol_prevention = models.TextField(
        _("patrol prevention and control"), max_length=SECTION_LENGTH, blank=True
    )
    hot_issues = models.TextField(
        _("hot issues residents raise"), max_length=SECTION_LENGTH, blank=True
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["figures"])

    TEXT_FIELDS = [
        "public_security",
        "surroundings",
        "sanitation",
        "floating_survey",
        "patrol_prevention",
        "hot_issues",
    ]

    class Meta:
        verbose_name = _("grid report")
        verbose_name_plural = _("grid reports")
        ordering = ["-month", "grid__code"]
        constraints = [
            models.UniqueConstraint(fields=["grid", "month"], name="one_report_per_grid_month")
        ]

    def __str__(self):
        return f"{self.grid} {self.month:%Y-%m}"

    def get_absolute_url(self):
        return reverse("meetings:report", args=[self.pk])


class CalendarFeed(models.Model):
    """A user's private calendar address: the token in it is the only key. Only the token's
    SHA-256 is kept (`meetings.feed.token_hash`), so a copy of the database opens no feed."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self):
        return str(self.user)
