import datetime
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.models import Area, Household, Rental, Resident


class Slot(models.TextChoices):
    MORNING = "am", _("Morning")
    AFTERNOON = "pm", _("Afternoon")


class PatrolSchedule(models.Model):
    """A community's patrol windows, in local time, and the shortest patrol that counts."""

    community = models.OneToOneField(
        Area,
        verbose_name=_("community"),
        on_delete=models.CASCADE,
        related_name="patrol_schedule",
        limit_choices_to={"kind": Area.Kind.COMMUNITY},
    )
    morning_starts_at = models.TimeField(_("morning starts"), default=datetime.time(8))
    morning_ends_at = models.TimeField(_("morning ends"), default=datetime.time(12))
    afternoon_starts_at = models.TimeField(_("afternoon starts"), default=datetime.time(14))
    afternoon_ends_at = models.TimeField(_("afternoon ends"), default=datetime.time(18))
    minimum_minutes = models.PositiveSmallIntegerField(_("minimum minutes"), default=60)
    grace_minutes = models.PositiveSmallIntegerField(
        _("grace minutes"),
        default=30,
        help_text=_("How long after a window closes a missing patrol is recorded."),
    )
    patrols_on_days_off = models.BooleanField(
        _("patrols on days off"),
        default=True,
        help_text=_("Whether grids patrol on weekends and public holidays too."),
    )

    class Meta:
        verbose_name = _("patrol schedule")
        verbose_name_plural = _("patrol schedules")

    def __str__(self):
        return str(self.community)

    def window(self, slot):
        """(start, end) local times of a slot."""
        if slot == Slot.MORNING:
            return self.morning_starts_at, self.morning_ends_at
        return self.afternoon_starts_at, self.afternoon_ends_at


class KeyPoint(models.Model):
    """What the station wants every patrol in a community to look out for."""

    community = models.ForeignKey(
        Area,
        verbose_name=_("community"),
        on_delete=models.CASCADE,
        related_name="key_points",
        limit_choices_to={"kind": Area.Kind.COMMUNITY},
    )
    text = models.CharField(_("key point"), max_length=300)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("key point")
        verbose_name_plural = _("key points")
        ordering = ["-created_at"]

    def __str__(self):
        return self.text


class PatrolQuerySet(models.QuerySet):
    def on(self, day):
        return self.filter(day=day)

    def qualifying(self):
        """Patrols that cover their window: submitted (short ones too: they are flagged)."""
        return self.exclude(status=Patrol.Status.IN_PROGRESS)

    def for_list(self):
        return self.select_related("grid", "member", "reviewed_by")


class Patrol(models.Model):
    """One half-day patrol of a grid: prepared before, recorded during, reported after."""

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("In progress")
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        RETURNED = "returned", _("Returned")

    grid = models.ForeignKey(
        Area,
        verbose_name=_("grid"),
        on_delete=models.PROTECT,
        related_name="patrols",
        limit_choices_to={"kind": Area.Kind.GRID},
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="patrols",
    )
    companions = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("companions"),
        blank=True,
        related_name="patrols_joined",
    )
    day = models.DateField(_("day"))
    # Blank for an extra patrol: one started when no window was open, counted for none.
    slot = models.CharField(_("window"), max_length=2, choices=Slot.choices, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.IN_PROGRESS
    )
    acknowledged_at = models.DateTimeField(_("briefing acknowledged at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    duration_minutes = models.PositiveIntegerField(_("minutes"), null=True, blank=True)
    is_short = models.BooleanField(_("short"), default=False)
    summary = models.TextField(_("summary"), max_length=2000, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_comment = models.TextField(_("review comment"), max_length=2000, blank=True)
    unsent_observations = models.PositiveSmallIntegerField(
        _("observations not yet sent"),
        default=0,
        help_text=_("Observations still waiting on the phone when the log was submitted."),
    )
    # Set on submit: the four checks all answered "none" and nothing was observed. Such a log
    # is accepted and marked for the stationmaster's attention (a patrol that found nothing at
    # all is worth a question).
    is_all_none = models.BooleanField(
        _("four checks all none"),
        default=False,
        help_text=_("All four checks answered “none” and nothing observed."),
    )

    objects = PatrolQuerySet.as_manager()

    class Meta:
        verbose_name = _("patrol")
        verbose_name_plural = _("patrols")
        ordering = ["-day", "-started_at"]
        indexes = [
            models.Index(fields=["grid", "day", "slot"]),
            models.Index(fields=["day"]),
            # The logs waiting for the station's review, whatever the history's length.
            models.Index(
                fields=["grid", "day"],
                condition=Q(status="submitted"),
                name="patrol_waiting_review",
            ),
        ]
        constraints = [
            # One patrol in progress per member at a time.
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(status="in_progress"),
                name="patrol_one_in_progress_per_member",
            )
        ]

    def __str__(self):
        return f"{self.grid} {self.day} {self.get_slot_display()}"

    def get_absolute_url(self):
        return reverse("patrols:detail", args=[self.pk])

    @property
    def is_open(self):
        return self.status in (self.Status.IN_PROGRESS, self.Status.RETURNED)

    @property
    def is_extra(self):
        return not self.slot

    def get_slot_display(self):
        return Slot(self.slot).label if self.slot else _("Extra patrol")


class Observation(models.Model):
    """Something seen during a patrol. `client_id` is made on the phone, so an observation
    sent twice (after a lost connection) is stored once."""

    class Category(models.TextChoices):
        SANITATION = "sanitation", _("Sanitation")
        SECURITY = "security", _("Public security")
        FACILITY = "facility", _("Facility damage")
        DISPUTE = "dispute", _("Dispute")
        POPULATION = "population", _("Rental or floating-population change")
        DEMAND = "demand", _("Resident demand")
        OTHER = "other", _("Other")

    patrol = models.ForeignKey(
        Patrol, verbose_name=_("patrol"), on_delete=models.CASCADE, related_name="observations"
    )
    client_id = models.UUIDField(_("client id"), default=uuid.uuid4, unique=True)
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    building = models.ForeignKey(
        Area,
        verbose_name=_("building"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"kind": Area.Kind.BUILDING},
    )
    place = models.CharField(_("place"), max_length=200, blank=True)
    text = models.TextField(_("what was seen"), max_length=1000)
    photo = models.ImageField(_("photo"), upload_to="observations/%Y/%m/", blank=True)
    is_follow_up = models.BooleanField(
        _("follow up"),
        default=False,
        help_text=_("Kept as a flagged follow-up until it becomes an incident."),
    )
    # When the member saw it (stamped on the phone), and when the server received it: an
    # observation recorded offline arrives later than it was seen.
    observed_at = models.DateTimeField(_("observed at"), default=timezone.now)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)

    class Meta:
        verbose_name = _("observation")
        verbose_name_plural = _("observations")
        ordering = ["observed_at", "pk"]

    def __str__(self):
        return self.text[:50]

    @property
    def arrived_late(self):
        """Sent from the phone well after it was recorded (it waited for a connection)."""
        return self.received_at - self.observed_at > datetime.timedelta(minutes=2)


class PatrolCheck(models.Model):
    """One of the four checks a patrol log answers (the report's 查变化, 找问题, 收诉求,
    化矛盾): "none", or linked to what the patrol recorded: its observations (and through them
    their incidents and a dispute's mediation) and, for changes, the register corrections made
    by completing instructions."""

    class Question(models.TextChoices):
        CHANGES = "changes", _("Changes found")
        PROBLEMS = "problems", _("Problems found")
        DEMANDS = "demands", _("Demands collected")
        DISPUTES = "disputes", _("Disputes eased")

    patrol = models.ForeignKey(
        Patrol, verbose_name=_("patrol"), on_delete=models.CASCADE, related_name="checks"
    )
    question = models.CharField(_("check"), max_length=10, choices=Question.choices)
    is_none = models.BooleanField(_("none"), default=True)
    note = models.TextField(_("note"), max_length=1000, blank=True)
    observations = models.ManyToManyField(
        Observation, verbose_name=_("observations"), blank=True, related_name="checks"
    )
    corrections = models.ManyToManyField(
        "Instruction",
        verbose_name=_("register corrections"),
        blank=True,
        related_name="checks",
    )

    # The observations each check links, by their category ("other" is linked to none).
    CATEGORIES = {
        Question.CHANGES: {Observation.Category.POPULATION},
        Question.PROBLEMS: {
            Observation.Category.SANITATION,
            Observation.Category.SECURITY,
            Observation.Category.FACILITY,
        },
        Question.DEMANDS: {Observation.Category.DEMAND},
        Question.DISPUTES: {Observation.Category.DISPUTE},
    }

    class Meta:
        verbose_name = _("patrol check")
        verbose_name_plural = _("patrol checks")
        constraints = [
            models.UniqueConstraint(fields=["patrol", "question"], name="patrol_check_once")
        ]

    def __str__(self):
        return f"{self.patrol} {self.get_question_display()}"


class InstructionQuerySet(models.QuerySet):
    def open(self):
        return self.filter(completed_at__isnull=True)

    def overdue(self, day):
        return self.open().filter(due_on__lt=day)


class Instruction(models.Model):
    """A verification instruction from the station to a grid, optionally about one household,
    resident or rental."""

    class Outcome(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        CORRECTED = "corrected", _("Corrected")
        NOBODY_HOME = "nobody_home", _("Nobody home")

    grid = models.ForeignKey(
        Area,
        verbose_name=_("grid"),
        on_delete=models.PROTECT,
        related_name="instructions",
        limit_choices_to={"kind": Area.Kind.GRID},
    )
    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.PROTECT, null=True, blank=True
    )
    resident = models.ForeignKey(
        Resident, verbose_name=_("resident"), on_delete=models.PROTECT, null=True, blank=True
    )
    rental = models.ForeignKey(
        Rental, verbose_name=_("rental"), on_delete=models.PROTECT, null=True, blank=True
    )
    text = models.TextField(_("key points"), max_length=1000)
    due_on = models.DateField(_("due on"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    outcome_note = models.TextField(_("note"), max_length=1000, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("completed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    patrol = models.ForeignKey(
        Patrol,
        verbose_name=_("patrol"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="instructions_completed",
    )
    # Set when a change to the map moved the open instruction (see Incident.moved_from).
    moved_from = models.ForeignKey(
        Area,
        verbose_name=_("moved from grid"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    moved_at = models.DateTimeField(_("moved at"), null=True, blank=True)

    objects = InstructionQuerySet.as_manager()

    class Meta:
        verbose_name = _("verification instruction")
        verbose_name_plural = _("verification instructions")
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["grid", "completed_at"])]

    def __str__(self):
        return self.text[:50]

    def is_overdue(self, day):
        return self.completed_at is None and self.due_on < day


class DaySignOff(models.Model):
    """The stationmaster has reviewed every log of a community's day."""

    community = models.ForeignKey(
        Area, verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    day = models.DateField(_("day"))
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    signed_at = models.DateTimeField(_("signed at"), auto_now_add=True)
    note = models.TextField(_("note"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("day sign-off")
        verbose_name_plural = _("day sign-offs")
        constraints = [
            models.UniqueConstraint(fields=["community", "day"], name="signoff_once_per_day")
        ]

    def __str__(self):
        return f"{self.community} {self.day}"


class MissedPatrol(models.Model):
    """A grid window that closed without a submitted patrol. Recorded once."""

    grid = models.ForeignKey(
        Area, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="missed_patrols"
    )
    day = models.DateField(_("day"))
    slot = models.CharField(_("window"), max_length=2, choices=Slot.choices)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("missed patrol")
        verbose_name_plural = _("missed patrols")
        ordering = ["-day", "slot"]
        constraints = [
            models.UniqueConstraint(fields=["grid", "day", "slot"], name="missed_once_per_window")
        ]

    def __str__(self):
        return f"{self.grid} {self.day} {self.get_slot_display()}"


class CompleteWindow(models.Model):
    """A closed window (day, slot) that the coverage check found complete: every grid due in
    it had a submitted log or a missed-patrol record. `fingerprint` is what the window's
    grids depended on when it was checked (see patrols.services._fingerprints); a later check
    skips the window while the fingerprint is unchanged."""

    day = models.DateField(_("day"))
    slot = models.CharField(_("window"), max_length=2, choices=Slot.choices)
    fingerprint = models.CharField(_("fingerprint"), max_length=32)
    checked_at = models.DateTimeField(_("checked at"))

    class Meta:
        verbose_name = _("complete window")
        verbose_name_plural = _("complete windows")
        constraints = [models.UniqueConstraint(fields=["day", "slot"], name="complete_window_once")]

    def __str__(self):
        return f"{self.day} {self.get_slot_display()}"


class CoverageEdit(models.Model):
    """An edit outside the coverage check that may have left a window with a grid neither
    patrolled nor recorded (an administrator deleted a log or a missed-patrol record, or
    changed one): every such edit adds a row, and the number of rows is part of every
    CompleteWindow fingerprint, so all windows are checked again. Rows are never deleted."""

    made_at = models.DateTimeField(_("made at"), default=timezone.now)

    class Meta:
        verbose_name = _("coverage edit")
        verbose_name_plural = _("coverage edits")

    def __str__(self):
        return str(self.made_at)
