"""The household register's XLSX import.

One row per resident; consecutive rows with the same grid, building, unit, room and address
are one household. `run_import` reads the file twice, streaming it both times (openpyxl's
read-only mode, one row at a time): the first pass checks every row and writes any errors to
a report as it finds them; only when there are none does the second pass save the rows, in
batches, in one transaction. Memory does not grow with the file, except for the set of ID
numbers seen (to find duplicates within it).
"""

import datetime
import logging
import re
import tempfile
import threading
import zipfile
from dataclasses import dataclass, field

import openpyxl
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import connection, transaction
from django.db.models import Q
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation
from simple_history.utils import bulk_create_with_history

from gridmgmt.tasks import send_soon

from .exports import safe_row
from .identity import birth_date_from_id, normalize_id_number, validate_id_number
from .models import (
    GRID_WORKER_ROLES,
    SUPERVISOR_ROLES,
    Area,
    Household,
    HouseholdGrid,
    ImportJob,
    Membership,
    Resident,
)
from .scope import Scope
from .signals import register_changed

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# The work one file may cause is bounded: a register of more rows is split into several
# files, and the error report lists the first MAX_ERRORS errors, then says how many more.
MAX_ROWS = 50_000
MAX_ERRORS = 1_000
BATCH = 1000  # rows per database round trip, in both passes
PROGRESS_EVERY = 500  # rows between progress updates
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# A running job beats every HEARTBEAT_SECONDS; one that has not beaten for STALE_AFTER (or,
# queued, was not taken by a worker) is started again from the beginning, at most
# MAX_ATTEMPTS times in all, then failed with a reason the uploader sees. A job still queued
# after QUEUED_AT_MOST (the broker was lost for that long) fails too.
HEARTBEAT_SECONDS = 10
STALE_AFTER = datetime.timedelta(minutes=2)
MAX_ATTEMPTS = 3
QUEUED_AT_MOST = datetime.timedelta(days=1)
RUNNING = (ImportJob.Status.VALIDATING, ImportJob.Status.WRITING)


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # what a community office calls it
    english: str  # also accepted as the header
    note: str  # explains the column in the template's comment, in the reader's language
    required: bool = True
    width: int = 12
    choices: dict = field(default_factory=dict)  # what may be typed -> the stored value


def _choices(chinese, choices_class):
    """The Chinese words, and the stored English values, each mapped to the stored value."""
    return {**chinese, **{value: value for value in choices_class.values}}


HOUSING = _choices(
    {
        "自住": Household.Housing.OWNER_OCCUPIED,
        "出租": Household.Housing.RENTED,
        "集体": Household.Housing.COLLECTIVE,
        "空置": Household.Housing.VACANT,
    },
    Household.Housing,
)
SEX = _choices({"男": Resident.Sex.MALE, "女": Resident.Sex.FEMALE}, Resident.Sex)
RELATION = _choices(
    {
        "户主": Resident.Relation.HEAD,
        "配偶": Resident.Relation.SPOUSE,
        "子女": Resident.Relation.CHILD,
        "父母": Resident.Relation.PARENT,
        "孙子女": Resident.Relation.GRANDCHILD,
        "其他亲属": Resident.Relation.OTHER_RELATIVE,
        "租户": Resident.Relation.TENANT,
        "其他": Resident.Relation.OTHER,
    },
    Resident.Relation,
)
POPULATION = _choices(
    {"户籍": Resident.Population.REGISTERED, "流动": Resident.Population.FLOATING},
    Resident.Population,
)


def _choice_note(choices):
    chinese = [word for word in choices if not word.isascii()]
    return " / ".join(f"{word} ({choices[word]})" for word in chinese)


COLUMNS = (
    Column(
        "grid",
        "网格编码",
        "Grid code",
        gettext_lazy("A grid where you keep the register: see the sheet 编码."),
    ),
    Column(
        "building", "楼栋编码", "Building code", gettext_lazy("A building of that grid."), False
    ),
    Column("unit", "单元编码", "Unit code", gettext_lazy("A unit of that building."), False),
    Column("room", "房号", "Room", gettext_lazy("Room or house number, e.g. 301."), width=8),
    Column("address", "地址", "Address", gettext_lazy("Street and number."), width=28),
    Column("housing", "住房类型", "Housing", _choice_note(HOUSING), choices=HOUSING),
    Column("name", "姓名", "Name", gettext_lazy("Full name."), width=10),
    Column("sex", "性别", "Sex", _choice_note(SEX), width=6, choices=SEX),
    Column(
        "birth_date",
        "出生日期",
        "Birth date",
        gettext_lazy("A date, or text YYYY-MM-DD. When blank, taken from the ID number."),
        False,
    ),
    Column(
        "id_number",
        "身份证号",
        "ID number",
        gettext_lazy("18 characters. Keep this column formatted as text."),
        False,
        width=21,
    ),
    Column("phone", "电话", "Phone", gettext_lazy("11 digits starting with 1."), False, width=13),
    Column(
        "relation", "与户主关系", "Relation to the head", _choice_note(RELATION), choices=RELATION
    ),
    Column("population", "人口类型", "Population", _choice_note(POPULATION), choices=POPULATION),
    Column("moved_in_on", "迁入日期", "Moved in on", gettext_lazy("A date, or text YYYY-MM-DD.")),
)
INDEX = {column.key: i for i, column in enumerate(COLUMNS)}
TEXT_COLUMNS = {"id_number", "phone", "room"}  # digits that must not become numbers
HOUSEHOLD_KEY = ("grid", "building", "unit", "room", "address")
MAX_LENGTHS = {"room": 20, "address": 200, "name": 50}
PHONE = re.compile(r"1\d{10}")
DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")


def may_import(scope):
    """Whether the user keeps the register anywhere, and so may upload a file."""
    roles = SUPERVISOR_ROLES | GRID_WORKER_ROLES
    return scope.is_global or any(post.role in roles for post in scope.posts)


@transaction.atomic
def start_import(*, by, file):
    """Save the upload as a queued job; a worker picks it up after commit (best effort: if
    the broker is down, `recover_imports` sends it again later)."""
    from .tasks import import_register

    job = ImportJob.objects.create(user=by, file=file)
    send_soon(import_register, job.pk)
    return job


def recover_imports(*, stale_after=STALE_AFTER):
    """Start again every unfinished job whose worker stopped beating `stale_after` ago (or
    that no worker took): a running job goes back to the queue, a queued one is sent again.
    A job that has had MAX_ATTEMPTS, or was queued for QUEUED_AT_MOST, fails with the
    reason. Safe, as a job saves nothing before its last transaction; each change is
    conditional on the job being as it was read, so racing sweeps act once. Returns
    (started again, failed) job ids. Runs one query, and one or two per stale job."""
    from .tasks import import_register

    now = timezone.now()
    cutoff = now - stale_after
    stale = ImportJob.objects.filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff),
        status__in=[ImportJob.Status.QUEUED, *RUNNING],
    ).only("pk", "status", "attempts", "heartbeat_at", "created_at")
    again, failed = [], []
    for job in stale:
        as_read = ImportJob.objects.filter(
            pk=job.pk, status=job.status, attempts=job.attempts, heartbeat_at=job.heartbeat_at
        )
        queued = job.status == ImportJob.Status.QUEUED
        if job.attempts >= MAX_ATTEMPTS or (queued and job.created_at < now - QUEUED_AT_MOST):
            failure = {
                ImportJob.Status.QUEUED: ImportJob.Failure.NOT_STARTED,
                ImportJob.Status.VALIDATING: ImportJob.Failure.STOPPED_CHECKING,
                ImportJob.Status.WRITING: ImportJob.Failure.STOPPED_SAVING,
            }[job.status]
            if as_read.update(status=ImportJob.Status.FAILED, failure=failure, finished_at=now):
                failed.append(job.pk)
            continue
        # The beat doubles as "sent at": the job waits `stale_after` before the next try.
        if as_read.update(status=ImportJob.Status.QUEUED, heartbeat_at=now, rows_done=0):
            again.append(job.pk)
            send_soon(import_register, job.pk)
    return again, failed


# --- The template ---


def build_template(user, stream):
    """Write the template to `stream`: a header row in Chinese, each header with a comment
    in the reader's language (its English name, which the header may also be) and
    drop-downs for the choices, and a sheet of the codes of the areas where `user` keeps the
    register. Runs one query (streamed)."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("住户")
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for i, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(i)
        sheet.column_dimensions[letter].width = column.width
        if column.key in TEXT_COLUMNS:
            sheet.column_dimensions[letter].number_format = "@"
        if column.choices:
            words = ",".join(word for word in column.choices if not word.isascii())
            validation = DataValidation(type="list", formula1=f'"{words}"', allow_blank=True)
            validation.add(f"{letter}2:{letter}1048576")
            sheet.data_validations.append(validation)
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font = bold
        if column.required:
            about = _("Required. Header in English: %(header)s.")
        else:
            about = _("Optional. Header in English: %(header)s.")
        about %= {"header": column.english}
        cell.comment = Comment(f"{about}\n{column.note}", "gridmgmt")
        cell.comment.width, cell.comment.height = 240, 90
        header.append(cell)
    sheet.append(header)

    codes = workbook.create_sheet("编码")
    codes.append(["类型 kind", "编码 code", "名称 name", "上级编码 parent code"])
    scope = Scope(user)
    kinds = {
        Area.Kind.GRID: "网格 grid",
        Area.Kind.BUILDING: "楼栋 building",
        Area.Kind.UNIT: "单元 unit",
    }
    areas = (
        scope.filter(Area.objects.filter(kind__in=kinds)).select_related("parent").order_by("path")
    )
    for area in areas.iterator(chunk_size=2000):
        if scope.works_register(area):
            codes.append(safe_row([kinds[area.kind], area.code, area.name, area.parent.code]))
    workbook.save(stream)


# --- Reading the file ---


class FileProblem(Exception):
    """The file cannot be read as a register at all: one error, for row 1 or none."""

    def __init__(self, reason, column=None):
        super().__init__(reason)
        self.reason = reason
        self.column = column


class _Sheet:
    """The first sheet of an uploaded file, streamed. Use as a context manager."""

    def __init__(self, job):
        self.job = job

    def __enter__(self):
        self._file = self.job.file.open("rb")
        try:
            self._workbook = openpyxl.load_workbook(self._file, read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError):
            self._file.close()
            raise FileProblem(_("This file is not an XLSX workbook.")) from None
        self.sheet = self._workbook.worksheets[0]
        return self

    def __exit__(self, *exc):
        self._workbook.close()
        self._file.close()

    def estimate_rows(self):
        """The number of data rows, from the sheet's dimension, or, when the writer left it
        out, by counting the row tags in the compressed XML (streamed). 0 when unknown."""
        if self.sheet.max_row:
            return max(0, self.sheet.max_row - 1)
        try:
            archive, path = self._workbook._archive, self.sheet._worksheet_path
        except AttributeError:
            return 0
        count, tail = 0, b""
        with archive.open(path) as source:
            while chunk := source.read(1 << 20):
                data = tail + chunk
                count += data.count(b"<row ") + data.count(b"<row>")
                tail = data[-4:]  # too short to hold a whole tag, so none is counted twice
        return max(0, count - 1)

    def rows(self):
        """Yield (Excel row number, values in COLUMNS order) for every row after the header
        that is not blank."""
        header = next(self.sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
        layout = _layout(header)
        # Trust no dimension: some writers record a wrong one, which would cut the file short.
        self.sheet.reset_dimensions()
        width = max(len(header), 1)
        rows = self.sheet.iter_rows(min_row=2, max_col=width, values_only=True)
        for number, values in enumerate(rows, start=2):
            raw = tuple(None if i is None else values[i] for i in layout)
            if any(_text(value) for value in raw):
                yield number, raw


def _layout(header):
    """For each of COLUMNS, its position in the file (or None for a missing optional one).
    Headers may be in Chinese or English, in any order."""
    names = {}
    for column in COLUMNS:
        names[column.header] = column
        names[column.english.lower()] = column
    positions = {}
    for i, name in enumerate(header):
        column = names.get(_text(name).lower())
        if column is None:
            continue
        if column.key in positions:
            raise FileProblem(_("This column appears twice."), column)
        positions[column.key] = i
    for column in COLUMNS:
        if column.required and column.key not in positions:
            raise FileProblem(_("This column is missing."), column)
    return [positions.get(column.key) for column in COLUMNS]


def _text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _date(value):
    """A date from a date cell or YYYY-MM-DD text; None when blank; ValueError otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    match = DATE.fullmatch(_text(value))
    if not match:
        raise ValueError
    return datetime.date(*(int(part) for part in match.groups()))


# --- Checking rows ---


@dataclass
class Row:
    number: int
    household_key: tuple
    is_new_household: bool
    household: dict
    resident: dict


class _Checker:
    """Checks one row at a time, remembering the areas it has looked up, the ID numbers it
    has seen and the household the last row belonged to."""

    def __init__(self, user):
        self.scope = Scope(user)
        self.today = timezone.localdate()
        self._grids = {}
        self._children = {}
        self._ids = {}
        self._key = None
        self._housing = None
        self._head_row = None

    def grid(self, code):
        """(grid, None) or (None, reason). Runs one query per new code."""
        if code not in self._grids:
            grid = Area.objects.grids().filter(code=code).first()
            if grid is None or not self.scope.contains(grid):
                self._grids[code] = None, _("There is no grid with this code in your area.")
            elif not self.scope.works_register(grid):
                self._grids[code] = None, _("You do not keep the register of this grid.")
            else:
                self._grids[code] = grid, None
        return self._grids[code]

    def child(self, parent, kind, code):
        """The building or unit `code` right under `parent`, or None. Runs one query per new
        code."""
        key = (parent.pk, kind, code)
        if key not in self._children:
            found = Area.objects.filter(parent=parent, kind=kind, code=code).first()
            self._children[key] = found
        return self._children[key]

    def check(self, number, raw):
        """The row's household and resident fields, and a list of its errors as
        (row, column index, value, reason)."""
        errors = []
        text = {column.key: _text(raw[i]) for i, column in enumerate(COLUMNS)}

        def error(key, reason):
            errors.append((number, INDEX[key], raw[INDEX[key]], reason))

        for column in COLUMNS:
            if column.required and not text[column.key]:
                error(column.key, _("This column is required."))
        for key, limit in MAX_LENGTHS.items():
            if len(text[key]) > limit:
                error(key, _("At most %(limit)d characters.") % {"limit": limit})

        chosen = {}
        for column in COLUMNS:
            if column.choices and text[column.key]:
                value = column.choices.get(text[column.key]) or column.choices.get(
                    text[column.key].lower()
                )
                if value is None:
                    words = "、".join(w for w in column.choices if not w.isascii())
                    error(column.key, _("Choose one of: %(choices)s.") % {"choices": words})
                chosen[column.key] = value

        grid = building = unit = None
        if text["grid"]:
            grid, reason = self.grid(text["grid"])
            if reason:
                error("grid", reason)
        if text["building"] and grid:
            building = self.child(grid, Area.Kind.BUILDING, text["building"])
            if building is None:
                error(
                    "building",
                    _("Grid %(grid)s has no building with this code.") % {"grid": grid.code},
                )
        if text["unit"]:
            if not text["building"]:
                error("unit", _("A unit needs its building code."))
            elif building:
                unit = self.child(building, Area.Kind.UNIT, text["unit"])
                if unit is None:
                    error(
                        "unit",
                        _("Building %(building)s has no unit with this code.")
                        % {"building": building.code},
                    )

        id_number = normalize_id_number(text["id_number"])
        id_is_valid = False
        if id_number:
            try:
                validate_id_number(id_number)
                id_is_valid = True
            except ValidationError as exc:
                reason = " ".join(exc.messages)
                if isinstance(raw[INDEX["id_number"]], int | float):
                    reason += " " + _(
                        "Excel stored it as a number, which can change its last digits: "
                        "format the column as text and type it again."
                    )
                error("id_number", reason)
        if id_is_valid:
            first = self._ids.setdefault(id_number, number)
            if first != number:
                error("id_number", _("This ID number is also on row %(row)d.") % {"row": first})
                id_is_valid = False
            elif chosen.get("sex"):
                from_id = Resident.Sex.MALE if int(id_number[16]) % 2 else Resident.Sex.FEMALE
                if chosen["sex"] != from_id:
                    error(
                        "sex",
                        _("This does not match the ID number (%(sex)s).")
                        % {"sex": Resident.Sex(from_id).label},
                    )

        dates = {}
        for key in ("birth_date", "moved_in_on"):
            try:
                dates[key] = _date(raw[INDEX[key]])
            except ValueError:
                error(key, _("Enter a date as YYYY-MM-DD."))
                continue
            if dates[key] and dates[key] > self.today:
                error(key, _("This date is in the future."))
        birth_date = dates.get("birth_date")
        if id_is_valid and "birth_date" in dates:
            from_id = birth_date_from_id(id_number)
            if birth_date and birth_date != from_id:
                error(
                    "birth_date",
                    _("This does not match the ID number (%(date)s).")
                    % {"date": from_id.isoformat()},
                )
            birth_date = birth_date or from_id
        moved_in_on = dates.get("moved_in_on")
        if birth_date and moved_in_on and moved_in_on < birth_date:
            error("moved_in_on", _("This is before the birth date."))

        phone = text["phone"]
        if phone and not PHONE.fullmatch(phone):
            error("phone", _("A phone number has 11 digits and starts with 1."))

        key = tuple(text[name] for name in HOUSEHOLD_KEY)
        is_new_household = key != self._key
        if is_new_household:
            self._key, self._housing, self._head_row = key, chosen.get("housing"), None
        elif chosen.get("housing") and self._housing and chosen["housing"] != self._housing:
            error(
                "housing",
                _("This differs from the household's first row (%(housing)s).")
                % {"housing": Household.Housing(self._housing).label},
            )
        if chosen.get("relation") == Resident.Relation.HEAD:
            if self._head_row:
                error(
                    "relation",
                    _("This household already has a head, on row %(row)d.")
                    % {"row": self._head_row},
                )
            else:
                self._head_row = number

        row = Row(
            number=number,
            household_key=key,
            is_new_household=is_new_household,
            household={
                "grid": grid,
                "building": building,
                "unit": unit,
                "room": text["room"],
                "address": text["address"],
                "housing": chosen.get("housing"),
            },
            resident={
                "name": text["name"],
                "sex": chosen.get("sex"),
                "birth_date": birth_date,
                "id_number": id_number if id_is_valid else "",
                "phone": phone,
                "relation": chosen.get("relation"),
                "population": chosen.get("population"),
                "moved_in_on": moved_in_on,
            },
        )
        return row, errors


def registered_id_numbers(id_numbers):
    """Those of `id_numbers` that the register holds, for a current resident or one who
    moved out: an import never makes a second person under a number. Runs one query."""
    return set(
        Resident.objects.filter(id_number__in=id_numbers).values_list("id_number", flat=True)
    )


def already_registered():
    """The row error for such a number: the person is moved (or registered again) on the
    household's page, as the same person."""
    return _(
        "This ID number is already in the register (living here or moved out): add the person "
        "on the household's page, where they can be moved here as the same person."
    )


# --- The error report ---


class _Report:
    """The error report, streamed to a temporary file as errors are found: the first
    MAX_ERRORS of them, and a last line saying how many more were counted."""

    def __init__(self):
        self.count = 0
        self._workbook = self._sheet = None

    def add(self, errors):
        """`errors` as (row, column index or None, value, reason), in any order."""
        for number, index, value, reason in sorted(errors, key=lambda e: (e[0], e[1] or 0)):
            if self.count >= MAX_ERRORS:
                self.count += 1
                continue
            if self._workbook is None:
                self._workbook = openpyxl.Workbook(write_only=True)
                self._sheet = self._workbook.create_sheet(_("Errors"))
                self._sheet.freeze_panes = "A2"
                for letter, width in zip("ABCD", (8, 14, 24, 70), strict=True):
                    self._sheet.column_dimensions[letter].width = width
                self._sheet.append([_("Row"), _("Column"), _("Value"), _("Reason")])
            header = COLUMNS[index].header if index is not None else ""
            if not isinstance(value, str | int | float | datetime.date | type(None)):
                value = str(value)
            # The value is as uploaded: written so that a spreadsheet never runs it.
            self._sheet.append(safe_row([number, header, value, str(reason)]))
            self.count += 1

    def save(self, job):
        unlisted = self.count - MAX_ERRORS
        if unlisted > 0:
            more = ngettext(
                "… and %(count)s more error, not listed here.",
                "… and %(count)s more errors, not listed here.",
                unlisted,
            ) % {"count": formats.number_format(unlisted, force_grouping=True)}
            self._sheet.append([None, None, None, more])
        with tempfile.TemporaryFile() as stream:
            self._workbook.save(stream)
            stream.seek(0)
            job.report.save(f"import-{job.pk}-errors.xlsx", File(stream), save=False)


# --- Running an import ---


def run_import(job_id):
    """Check the claimed job's file and save it all or nothing. Updates the job's progress
    as it goes, and its heartbeat from a thread; on errors saves a report to the job and
    marks it failed. Called by the task after it has claimed the job (status `validating`,
    its attempt counted)."""
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    language = job.user.language or settings.LANGUAGE_CODE
    with translation.override(language), _Heartbeat(job):
        try:
            report = _validate(job)
            if not report.count:
                report = _write(job)
            if report and report.count:
                _fail(job, report)
        except _Superseded:
            logger.warning("Register import %s was started again elsewhere", job_id)
        except Exception:
            logger.exception("Register import %s stopped", job_id)
            ImportJob.objects.filter(pk=job_id, attempts=job.attempts).update(
                status=ImportJob.Status.FAILED, finished_at=timezone.now()
            )
    job.refresh_from_db()
    return job


class _Superseded(Exception):
    """The job was given up as stopped and started again while this run went on."""


class _Heartbeat:
    """Marks the job alive every HEARTBEAT_SECONDS from a thread with its own database
    connection, so it keeps beating while the write's long transaction is open. Stops when
    the job is no longer this attempt's or no longer running."""

    def __init__(self, job):
        self.job = job
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _beat(self):
        mine = ImportJob.objects.filter(
            pk=self.job.pk, attempts=self.job.attempts, status__in=RUNNING
        )
        try:
            while not self._stop.wait(HEARTBEAT_SECONDS):
                if not mine.update(heartbeat_at=timezone.now()):
                    return
        except Exception:
            logger.warning("Register import %s: the heartbeat failed", self.job.pk, exc_info=True)
        finally:
            connection.close()


def _validate(job):
    """Pass 1: stream the file and check every row. Returns the report (maybe empty)."""
    report = _Report()
    checker = _Checker(job.user)
    done = 0
    try:
        with _Sheet(job) as sheet:
            estimate = sheet.estimate_rows()
            if estimate > MAX_ROWS:
                raise FileProblem(_too_many_rows())
            ImportJob.objects.filter(pk=job.pk).update(rows_total=estimate, rows_done=0)
            errors, pending_ids = [], {}
            for number, raw in sheet.rows():
                if done == MAX_ROWS:  # the estimate was wrong: stop at the limit anyway
                    raise FileProblem(_too_many_rows())
                row, row_errors = checker.check(number, raw)
                errors += row_errors
                if row.resident["id_number"]:
                    pending_ids[row.resident["id_number"]] = number
                done += 1
                if done % BATCH == 0:
                    _check_registered(pending_ids, errors)
                    report.add(errors)
                    errors, pending_ids = [], {}
                if done % PROGRESS_EVERY == 0:
                    ImportJob.objects.filter(pk=job.pk).update(
                        rows_done=done, rows_total=max(estimate, done)
                    )
            _check_registered(pending_ids, errors)
            report.add(errors)
    except FileProblem as problem:
        column = INDEX[problem.column.key] if problem.column else None
        report.add([(1, column, None, problem.reason)])
    if not done and not report.count:
        report.add([(2, None, None, _("The file has no rows below the header."))])
    ImportJob.objects.filter(pk=job.pk).update(rows_done=done, rows_total=done)
    return report


def _too_many_rows():
    return _(
        "This file has more than %(limit)s rows: split it into files of at most %(limit)s "
        "rows each and upload them one after another."
    ) % {"limit": formats.number_format(MAX_ROWS, force_grouping=True)}


def _check_registered(pending_ids, errors):
    for id_number in registered_id_numbers(pending_ids):
        errors.append(
            (
                pending_ids[id_number],
                INDEX["id_number"],
                id_number,
                already_registered(),
            )
        )


class _Conflict(Exception):
    """The register changed between checking and saving."""


def _write(job):
    """Pass 2: stream the file again and save every row in one transaction, the job's
    final counts included. Returns a report if the register changed in between (then
    nothing is saved), else None."""
    ImportJob.objects.filter(pk=job.pk, attempts=job.attempts).update(
        status=ImportJob.Status.WRITING
    )
    writer = _Writer(job.user)
    try:
        with _Sheet(job) as sheet, transaction.atomic():
            checker = _Checker(job.user)
            for number, raw in sheet.rows():
                row, errors = checker.check(number, raw)
                if errors:
                    raise RuntimeError(f"Row {number} passed the check but not the write.")
                writer.add(row)
            writer.flush()
            done = ImportJob.objects.filter(
                pk=job.pk, attempts=job.attempts, status=ImportJob.Status.WRITING
            ).update(
                status=ImportJob.Status.DONE,
                households_created=writer.households_created,
                residents_created=writer.residents_created,
                finished_at=timezone.now(),
            )
            if not done:
                raise _Superseded  # rolls the whole write back: the newer attempt saves
    except _Conflict as conflict:
        report = _Report()
        report.add(conflict.args[0])
        return report
    return None


class _Writer:
    """Collects households and residents and saves them a batch at a time, with their
    history (by the uploader) and their memberships."""

    def __init__(self, user):
        self.user = user
        self.today = timezone.localdate()
        self.households, self.residents, self.rows = [], [], []
        self.household = None
        self.households_created = self.residents_created = 0

    def add(self, row):
        if row.is_new_household:
            self.household = Household(created_on=self.today, **row.household)
            self.households.append(self.household)
        self.residents.append(Resident(household=self.household, **row.resident))
        self.rows.append(row.number)
        if len(self.residents) >= BATCH:
            self.flush()

    def flush(self):
        """Runs a handful of queries per batch: the ID check, then households, residents,
        their history, and memberships, in bulk."""
        ids = {r.id_number: n for r, n in zip(self.residents, self.rows, strict=True)}
        ids.pop("", None)
        taken = registered_id_numbers(ids)
        if taken:
            reason = already_registered()
            raise _Conflict([(ids[i], INDEX["id_number"], i, reason) for i in taken])
        if self.households:
            bulk_create_with_history(self.households, Household, default_user=self.user)
            HouseholdGrid.objects.bulk_create(
                HouseholdGrid(household=h, grid_id=h.grid_id, since_on=h.created_on)
                for h in self.households
            )
        if self.residents:
            bulk_create_with_history(self.residents, Resident, default_user=self.user)
            Membership.objects.bulk_create(
                Membership(
                    resident=resident,
                    household_id=resident.household_id,
                    grid_id=resident.household.grid_id,
                    population=resident.population,
                    moved_in_on=resident.moved_in_on,
                )
                for resident in self.residents
            )
            register_changed.send(
                sender=Membership,
                grid_ids={resident.household.grid_id for resident in self.residents},
                since=min(resident.moved_in_on for resident in self.residents),
            )
        self.households_created += len(self.households)
        self.residents_created += len(self.residents)
        self.households, self.residents, self.rows = [], [], []


def _fail(job, report):
    report.save(job)
    job.status = ImportJob.Status.FAILED
    job.error_count = report.count
    job.finished_at = timezone.now()
    job.save(update_fields=["report", "status", "error_count", "finished_at"])
