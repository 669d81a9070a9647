"""The import's work is bounded: a file with more rows than the limit is refused at once,
and the error report lists the first errors only, then says how many more there are."""

from grids import imports
from grids.models import ImportJob, Resident
from tests.grids.test_import import _media, make_job, person, report_rows, run  # noqa: F401


def test_a_file_over_the_row_limit_is_refused_without_checking_its_rows(tmp_path, world):
    grid = world.a.grid
    rows = (person(n, grid) for n in range(imports.MAX_ROWS + 1))
    job = run(make_job(tmp_path, world.a.grid_member, rows))

    assert job.status == ImportJob.Status.FAILED
    [(row, column, value, reason)] = report_rows(job)
    assert row == 1 and "50,000 rows" in reason and "split it" in reason
    assert (job.rows_done, job.rows_total) == (0, 0)  # not one row was checked
    assert not Resident.objects.exists()


def test_a_file_whose_dimension_hides_its_rows_is_stopped_at_the_limit(
    tmp_path, world, monkeypatch
):
    """The estimate can be wrong (a writer records no dimension): the check stops anyway."""
    monkeypatch.setattr(imports, "MAX_ROWS", 100)
    monkeypatch.setattr(imports._Sheet, "estimate_rows", lambda self: 0)
    grid = world.a.grid
    job = run(make_job(tmp_path, world.a.grid_member, [person(n, grid) for n in range(150)]))
    assert job.status == ImportJob.Status.FAILED
    [(_, _, _, reason)] = report_rows(job)
    assert "more than 100 rows" in reason
    assert job.rows_total <= 101


def test_the_report_lists_the_first_errors_and_counts_the_rest(tmp_path, world):
    grid = world.a.grid
    # Every row has two errors: a bad phone and an unknown housing type.
    rows = (person(n, grid, phone="12345", housing="别墅") for n in range(1_500))
    job = run(make_job(tmp_path, world.a.grid_member, rows))

    assert job.status == ImportJob.Status.FAILED
    assert job.error_count == 3_000
    listed = report_rows(job)
    assert len(listed) == imports.MAX_ERRORS + 1
    *errors, (row, column, value, reason) = listed
    assert all(r is not None for r, *_ in errors)
    assert (row, column, value) == (None, None, None)
    assert reason == "… and 2,000 more errors, not listed here."
