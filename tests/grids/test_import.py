"""The register's XLSX import: the files are built here with openpyxl's write-only mode."""

import datetime
import io
import time

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from grids import imports
from grids.identity import check_char
from grids.imports import COLUMNS
from grids.models import Household, ImportJob, Membership, Resident, Role, User
from grids.tasks import import_register
from tests.factories import make_household, make_post, make_resident, make_user

HEADERS = [column.header for column in COLUMNS]
RELATIONS = ["户主", "配偶", "子女", "父母"]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def id_number(n):
    """A valid, unique ID number for person `n`; its sex is odd n: male."""
    born = datetime.date(1950, 1, 1) + datetime.timedelta(days=n // 1000)
    first17 = f"330106{born:%Y%m%d}{n % 1000:03d}"
    return first17 + check_char(first17)


def person(n, grid, *, building="", unit="", per_household=3, **overrides):
    """Row values for person `n`; every `per_household` people share a room."""
    row = {
        "grid": grid.code,
        "building": building,
        "unit": unit,
        "room": str(100 + n // per_household),
        "address": "幸福路 8 号",
        "housing": "自住",
        "name": f"居民{n}",
        "sex": "男" if n % 1000 % 2 else "女",
        "birth_date": None,
        "id_number": id_number(n),
        "phone": f"139{n:08d}",
        "relation": RELATIONS[n % per_household],
        "population": "户籍",
        "moved_in_on": "2020-03-01",
    }
    row.update(overrides)
    return [row[column.key] for column in COLUMNS]


def write_xlsx(path, rows, headers=HEADERS):
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("住户")
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    workbook.save(path)


def make_job(tmp_path, user, rows, name="register.xlsx", **kwargs):
    (tmp_path / "imports").mkdir(exist_ok=True)
    write_xlsx(tmp_path / "imports" / name, rows, **kwargs)
    return ImportJob.objects.create(user=user, file=f"imports/{name}")


def run(job):
    import_register(job.pk)
    job.refresh_from_db()
    return job


def report_rows(job):
    workbook = openpyxl.load_workbook(job.report.path, read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    workbook.close()
    assert rows[0] == ("Row", "Column", "Value", "Reason")
    return rows[1:]


def test_a_valid_file_creates_households_residents_and_memberships_by_the_uploader(tmp_path, world):
    grid, user = world.a.grid, world.a.grid_member
    building = grid.children.get()
    unit = building.children.get()
    rows = [person(n, grid, building=building.code, unit=unit.code) for n in range(3)]
    rows += [person(n, grid, housing="出租", population="流动") for n in range(3, 6)]
    job = run(make_job(tmp_path, user, rows))

    assert job.status == ImportJob.Status.DONE
    assert (job.households_created, job.residents_created, job.rows_total) == (2, 6, 6)
    assert job.progress_percent == 100 and job.finished_at
    first, second = Household.objects.order_by("room")
    assert (first.grid, first.building, first.unit, first.room) == (grid, building, unit, "100")
    assert (second.building, second.housing) == (None, Household.Housing.RENTED)
    head = Resident.objects.get(name="居民0")
    assert head.household == first and head.relation == Resident.Relation.HEAD
    assert head.birth_date == datetime.date(1950, 1, 1)  # from the ID number
    assert head.moved_in_on == datetime.date(2020, 3, 1)
    assert set(second.residents.values_list("population", flat=True)) == {"floating"}
    memberships = Membership.objects.filter(household=second)
    assert memberships.count() == 3
    assert {(m.grid_id, m.population) for m in memberships} == {(grid.pk, "floating")}
    assert {h.history_user for h in Household.history.all()} == {user}
    assert Resident.history.filter(history_user=user, history_type="+").count() == 6


def test_one_bad_id_number_among_10000_rows_saves_nothing_and_the_report_names_it(tmp_path, world):
    grid = world.a.grid
    bad = person(4999, grid)
    bad[imports.INDEX["id_number"]] = bad[imports.INDEX["id_number"]][:-1] + "0"
    rows = (bad if n == 4999 else person(n, grid) for n in range(10_000))
    job = run(make_job(tmp_path, world.a.grid_member, rows))

    assert job.status == ImportJob.Status.FAILED
    assert job.error_count == 1 and job.rows_total == 10_000
    assert not Household.objects.exists() and not Resident.objects.exists()
    [(row, column, value, reason)] = report_rows(job)
    # Row 5,001 in Excel: the header is row 1.
    assert (row, column, value) == (5001, "身份证号", bad[imports.INDEX["id_number"]])
    assert "last character" in reason


# No skip, no SQLite-only shortcut: CI runs it on PostgreSQL, where bulk writes differ.
@pytest.mark.django_db
def test_a_10000_row_file_imports_fully(tmp_path, world, django_assert_max_num_queries):
    grid = world.a.grid
    rows = (person(n, grid, per_household=4) for n in range(10_000))
    job = make_job(tmp_path, world.a.grid_member, rows)
    # Queries go per batch of rows, never per row. (SQLite caps the parameters of one
    # statement, so Django splits its batches further: about 500 queries there, 100 on
    # PostgreSQL.)
    with django_assert_max_num_queries(1000):
        job = run(job)

    assert job.status == ImportJob.Status.DONE, job.error_count
    assert (job.households_created, job.residents_created) == (2500, 10_000)
    assert Resident.objects.count() == 10_000 and Membership.objects.count() == 10_000
    assert Household.objects.count() == 2500
    assert Resident.history.count() == 10_000


def test_a_grid_outside_the_uploaders_scope_is_reported_on_each_row(tmp_path, world):
    volunteer = make_user("volunteer")
    make_post(world.a.grid, Role.VOLUNTEER, volunteer)
    make_post(world.a.other_grid, Role.GRID_MEMBER, volunteer)
    rows = [
        person(0, world.a.other_grid),
        person(1, world.b.grid),
        person(2, world.a.grid),
        person(3, world.b.grid),
    ]
    job = run(make_job(tmp_path, volunteer, rows))

    assert job.status == ImportJob.Status.FAILED and not Household.objects.exists()
    errors = {(row, column): reason for row, column, _, reason in report_rows(job)}
    assert set(errors) == {(3, "网格编码"), (4, "网格编码"), (5, "网格编码")}
    assert errors[3, "网格编码"] == "There is no grid with this code in your area."
    assert errors[4, "网格编码"] == "You do not keep the register of this grid."


def test_an_id_number_twice_in_the_file_is_reported(tmp_path, world):
    grid = world.a.grid
    rows = [person(n, grid) for n in range(4)]
    rows[3][imports.INDEX["id_number"]] = id_number(1)
    rows[3][imports.INDEX["sex"]] = rows[1][imports.INDEX["sex"]]
    job = run(make_job(tmp_path, world.a.grid_member, rows))

    assert job.status == ImportJob.Status.FAILED and not Resident.objects.exists()
    assert [(r, c, reason) for r, c, _, reason in report_rows(job)] == [
        (5, "身份证号", "This ID number is also on row 3.")
    ]


def test_an_id_number_the_register_holds_is_reported_for_a_current_resident_and_one_who_moved_out(
    tmp_path, world
):
    household = make_household(world.a.grid)
    make_resident(household, id_number=id_number(0))
    gone = make_resident(household, id_number=id_number(1), moved_out_on=datetime.date(2024, 1, 1))
    assert gone.moved_out_on
    rows = [person(n, world.a.grid) for n in range(3)]
    job = run(make_job(tmp_path, world.a.grid_member, rows))

    reported = report_rows(job)
    assert [(r, c) for r, c, _, _ in reported] == [(2, "身份证号"), (3, "身份证号")]
    assert all("already in the register" in reason for *_, reason in reported)
    assert Resident.objects.count() == 2


def test_every_bad_cell_of_a_row_is_reported_with_its_column(tmp_path, world):
    grid = world.a.grid
    bad = person(
        1,
        grid,
        building="NO-SUCH",
        unit="U9",
        housing="别墅",
        sex="女",  # the ID number says male
        birth_date="1990-02-30",
        phone="12345",
        relation="",
        moved_in_on=datetime.date(2099, 1, 1),  # a date cell
    )
    unit_only = person(2, grid, unit="U1", name="")
    job = run(make_job(tmp_path, world.a.grid_member, [person(0, grid), bad, unit_only]))

    assert {(r, c) for r, c, _, _ in report_rows(job)} == {
        (3, "楼栋编码"),
        (3, "住房类型"),
        (3, "性别"),
        (3, "出生日期"),
        (3, "电话"),
        (3, "与户主关系"),
        (3, "迁入日期"),
        (4, "单元编码"),
        (4, "姓名"),
    }
    assert [r for r, *_ in report_rows(job)] == sorted(r for r, *_ in report_rows(job))
    assert not Resident.objects.exists()


def test_a_file_without_a_required_column_is_reported_on_row_1(tmp_path, world):
    headers = [h for h in HEADERS if h != "姓名"]
    job = run(make_job(tmp_path, world.a.grid_member, [], headers=headers))
    assert [(r, c) for r, c, _, _ in report_rows(job)] == [(1, "姓名")]


def test_a_file_that_is_not_a_workbook_fails_with_a_report(tmp_path, world):
    (tmp_path / "imports").mkdir()
    (tmp_path / "imports" / "junk.xlsx").write_bytes(b"not a zip")
    job = run(ImportJob.objects.create(user=world.a.grid_member, file="imports/junk.xlsx"))
    assert job.status == ImportJob.Status.FAILED
    assert [reason for *_, reason in report_rows(job)] == ["This file is not an XLSX workbook."]


def test_the_task_claims_a_job_once_and_ignores_one_that_is_gone(tmp_path, world):
    job = run(make_job(tmp_path, world.a.grid_member, [person(0, world.a.grid)]))
    assert job.status == ImportJob.Status.DONE
    import_register(job.pk)  # a repeated delivery
    import_register(job.pk + 1000)
    assert Resident.objects.count() == 1


@pytest.mark.parametrize(
    "language, grid_comment, id_comment",
    [
        (
            "en",
            "Required. Header in English: Grid code.\nA grid where you keep",
            "Optional. Header in English: ID number.\n18 characters.",
        ),
        (
            "zh-hans",
            "必填。英文列名：Grid code。\n你维护登记的网格",
            "选填。英文列名：ID number。\n18 位。",
        ),
    ],
)
def test_the_template_has_the_chinese_headers_with_comments_in_the_readers_language(
    client, world, language, grid_comment, id_comment
):
    User.objects.filter(pk=world.a.grid_member.pk).update(language=language)
    client.force_login(world.a.grid_member)
    response = client.get("/register/import/template.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == imports.XLSX_TYPE
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    header = next(sheet.iter_rows(max_row=1))
    assert [cell.value for cell in header] == HEADERS
    assert header[0].comment.text.startswith(grid_comment)
    assert header[9].comment.text.startswith(id_comment)
    codes = {row[1] for row in workbook["编码"].iter_rows(min_row=2, values_only=True)}
    assert world.a.grid.code in codes and world.b.grid.code not in codes


def test_only_register_keepers_may_upload(client, world):
    client.force_login(world.outsider)
    assert client.get("/register/import/").status_code == 403
    assert client.post("/register/import/").status_code == 403
    assert client.get("/register/import/template.xlsx").status_code == 403
    client.force_login(world.a.grid_member)
    assert client.get("/register/import/").status_code == 200


def upload(name, content=b""):
    return SimpleUploadedFile(name, content, content_type=imports.XLSX_TYPE)


def test_uploading_a_file_queues_a_job_after_commit(
    client, world, tmp_path, django_capture_on_commit_callbacks
):
    write_xlsx(tmp_path / "mine.xlsx", [person(0, world.a.grid)])
    client.force_login(world.a.grid_member)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            "/register/import/",
            {"file": upload("mine.xlsx", (tmp_path / "mine.xlsx").read_bytes())},
        )
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/register/import/{job.pk}/"
    assert len(callbacks) == 1
    assert (job.user, job.status) == (world.a.grid_member, ImportJob.Status.QUEUED)
    assert (tmp_path / job.file.name).exists()


def test_an_upload_that_is_not_xlsx_or_too_large_gets_a_field_error(
    client, world, tmp_path, monkeypatch
):
    client.force_login(world.a.grid_member)
    response = client.post("/register/import/", {"file": upload("register.csv", b"a,b")})
    assert "Upload an .xlsx file" in response.context["form"].errors["file"][0]
    response = client.post("/register/import/", {"file": upload("register.xlsx", b"plain")})
    assert response.context["form"].errors["file"] == ["This file is not an XLSX workbook."]
    monkeypatch.setattr(imports, "MAX_UPLOAD_BYTES", 100)
    response = client.post("/register/import/", {"file": upload("big.xlsx", b"x" * 101)})
    assert "the limit is 100" in response.context["form"].errors["file"][0]
    assert not ImportJob.objects.exists()


def test_the_upload_page_lists_only_the_users_jobs_in_fixed_queries(
    client, world, django_assert_num_queries
):
    for n in range(3):
        ImportJob.objects.create(user=world.a.grid_member, file=f"imports/mine{n}.xlsx")
    ImportJob.objects.create(user=world.a.grid_leader, file="imports/leaders.xlsx")
    client.force_login(world.a.grid_member)
    # session, user, posts (scope), the user's recent jobs, unread count
    with django_assert_num_queries(5):
        body = client.get("/register/import/").content.decode()
    assert "mine2.xlsx" in body and "leaders.xlsx" not in body


def test_another_user_gets_404_on_someones_job_pages(client, tmp_path, world):
    rows = [person(0, world.b.grid)]  # out of scope: the job fails with a report
    job = run(make_job(tmp_path, world.a.grid_member, rows))
    assert job.report
    pages = [f"/register/import/{job.pk}/", f"/register/import/{job.pk}/report.xlsx"]
    client.force_login(world.a.grid_leader)  # same grid, not the uploader
    assert [client.get(url).status_code for url in pages] == [404, 404]
    client.force_login(world.a.grid_member)
    assert [client.get(url).status_code for url in pages] == [200, 200]
    response = client.get(pages[1])
    assert response["Content-Disposition"].startswith("attachment")


def test_the_progress_partial_polls_until_the_job_is_finished(client, world):
    job = ImportJob.objects.create(
        user=world.a.grid_member,
        file="imports/x.xlsx",
        status=ImportJob.Status.VALIDATING,
        rows_total=200,
        rows_done=50,
    )
    client.force_login(world.a.grid_member)
    url = f"/register/import/{job.pk}/"
    page = client.get(url).content.decode()
    assert "<html" in page and 'hx-trigger="every 1s"' in page

    partial = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in partial
    assert f'hx-get="{url}"' in partial and 'hx-trigger="every 1s"' in partial
    assert 'aria-valuenow="25"' in partial and 'width="25%"' in partial
    assert "50 / 200" in partial

    job.status, job.rows_done, job.residents_created = ImportJob.Status.DONE, 200, 200
    job.save()
    partial = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in partial and "Saved 200 residents." in partial


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_an_upload_is_imported_by_a_real_worker(client, tmp_path, world, celery_worker_on_redis):
    side = world.a
    write_xlsx(tmp_path / "w.xlsx", [person(n, side.grid) for n in range(6)])
    client.force_login(side.grid_member)
    response = client.post(
        "/register/import/", {"file": upload("w.xlsx", (tmp_path / "w.xlsx").read_bytes())}
    )
    assert response.status_code == 302
    job = ImportJob.objects.get()
    deadline = time.monotonic() + 30
    while not job.is_finished and time.monotonic() < deadline:
        time.sleep(0.2)
        job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert (job.households_created, job.residents_created) == (2, 6)
    assert Resident.objects.filter(household__grid=side.grid).count() == 6
