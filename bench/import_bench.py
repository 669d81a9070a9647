"""The register import's cost: wall time and peak memory for a 10,000- and a 40,000-row file.

Each size runs in its own process (peak RSS only ever grows), against the database in
DATABASE_URL. The script makes the areas and the uploader it needs, and removes what an
earlier run imported, so it can be run again. Use a scratch database:

    createdb -h 127.0.0.1 -U postgres gridmgmt_importbench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/gridmgmt_importbench
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/import_bench.py                # 10,000 and 40,000 rows
    .venv/bin/python bench/import_bench.py --rows 2000    # other sizes
"""

import argparse
import datetime
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GRID = "BENCH-01-01-01"
PER_HOUSEHOLD = 4


def build_file(path, rows):
    """A valid register file of `rows` residents, streamed to `path`."""
    import openpyxl

    from grids.identity import check_char
    from grids.imports import COLUMNS

    relations = ["户主", "配偶", "子女", "父母"]
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("住户")
    sheet.append([column.header for column in COLUMNS])
    for n in range(rows):
        born = datetime.date(1950, 1, 1) + datetime.timedelta(days=n // 1000)
        first17 = f"330106{born:%Y%m%d}{n % 1000:03d}"
        values = {
            "grid": GRID,
            "building": f"{GRID}-B01",
            "unit": f"{GRID}-B01-U1",
            "room": str(100 + n // PER_HOUSEHOLD),
            "address": "幸福路 8 号",
            "housing": "自住",
            "name": f"居民{n}",
            "sex": "男" if n % 2 else "女",
            "birth_date": None,
            "id_number": first17 + check_char(first17),
            "phone": f"139{n:08d}",
            "relation": relations[n % PER_HOUSEHOLD],
            "population": "户籍",
            "moved_in_on": "2020-03-01",
        }
        sheet.append([values[column.key] for column in COLUMNS])
    workbook.save(path)


def prepare():
    """The area tree down to one unit, and a grid member to upload; nothing imported yet."""
    from grids.models import (
        Area,
        Household,
        HouseholdGrid,
        ImportJob,
        Membership,
        Post,
        Resident,
        Role,
        User,
    )

    parent = None
    for kind, code in [
        (Area.Kind.DISTRICT, "BENCH"),
        (Area.Kind.STREET, "BENCH-01"),
        (Area.Kind.COMMUNITY, "BENCH-01-01"),
        (Area.Kind.GRID, GRID),
        (Area.Kind.BUILDING, f"{GRID}-B01"),
        (Area.Kind.UNIT, f"{GRID}-B01-U1"),
    ]:
        parent, _ = Area.objects.get_or_create(
            code=code, defaults={"kind": kind, "parent": parent, "name": code}
        )
    grid = Area.objects.get(code=GRID)
    user, created = User.objects.get_or_create(username="import_bench")
    if created:
        Post.objects.create(area=grid, role=Role.GRID_MEMBER, holder_a=user)
    # Raw deletes: one statement each, nothing loaded, so the baseline stays small.
    residents = Resident.objects.filter(household__grid=grid)
    for queryset in [
        Membership.objects.filter(grid=grid),
        Resident.tags.through.objects.filter(resident__in=residents),
        Resident.history.filter(household__grid=grid),
        residents,
        Household.history.filter(grid=grid),
        HouseholdGrid.objects.filter(grid=grid),
        Household.objects.filter(grid=grid),
        ImportJob.objects.filter(user=user),
    ]:
        queryset._raw_delete(queryset.db)
    return user


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def measure(path):
    """In a fresh process: import the file at `path`, print one line of numbers."""
    import django

    django.setup()
    from grids import imports
    from grids.models import ImportJob

    user = prepare()
    job = ImportJob.objects.create(user=user, file=os.path.relpath(path, os.environ["MEDIA_ROOT"]))
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.VALIDATING)
    before = peak_rss_mb()
    started = time.perf_counter()
    report = imports._validate(job)
    validated = time.perf_counter()
    assert not report.count, f"{report.count} errors"
    assert imports._write(job) is None
    written = time.perf_counter()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.status
    print(
        f"{job.residents_created:>7,} rows  {job.households_created:>6,} households  "
        f"check {validated - started:5.1f} s  write {written - validated:5.1f} s  "
        f"total {written - started:5.1f} s  "
        f"({job.residents_created / (written - started):,.0f} rows/s)  "
        f"peak RSS {peak_rss_mb():5.0f} MB (before the import {before:4.0f} MB)"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="*", default=[10_000, 40_000])
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridmgmt.settings")
    if args.measure:
        measure(args.measure)
        return
    if not os.environ.get("DATABASE_URL"):
        sys.exit("Set DATABASE_URL to a scratch database (see the docstring).")
    import django

    django.setup()
    with tempfile.TemporaryDirectory() as media:
        (Path(media) / "imports").mkdir()
        for rows in args.rows:
            path = Path(media) / "imports" / f"bench-{rows}.xlsx"
            started = time.perf_counter()
            build_file(path, rows)
            size = path.stat().st_size / 1024 / 1024
            print(f"built {rows:,} rows, {size:.1f} MB, in {time.perf_counter() - started:.1f} s")
            subprocess.run(
                [sys.executable, __file__, "--measure", str(path)],
                # DEBUG off, as in production: with it on, Django keeps every query's SQL.
                env={
                    **os.environ,
                    "MEDIA_ROOT": media,
                    "DEBUG": "false",
                    "SECRET_KEY": "import-bench",
                    "ALLOWED_HOSTS": "localhost",
                },
                check=True,
            )


if __name__ == "__main__":
    main()
