"""`manage.py backup` and `restore` round-trip a seeded community with photos: after
backup, wipe (every table dropped, every file deleted) and restore, each table holds the same
rows (count and checksum), each sequence the same value, and each file the same bytes."""

import io
import json
import shutil
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from PIL import Image

from grids.models import ImportJob
from patrols import services as patrols
from tests.conftest import missing_service
from tests.factories import make_household, make_resident

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _pg_tools(settings, tmp_path):
    if connection.vendor != "postgresql":
        missing_service("backup and restore need PostgreSQL (DATABASE_URL)")
    for tool in ("pg_dump", "pg_restore"):
        if not shutil.which(tool):
            missing_service(f"{tool} is not installed (postgresql-client)")
    settings.MEDIA_ROOT = tmp_path / "media"


def photo(colour, name):
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), "image/png")


def seed(world):
    """Households and residents in both communities, a patrol with three photos (two with
    the same name), and an import job with its file and report."""
    for side in (world.a, world.b):
        for n in range(3):
            household = make_household(side.grid, address=f"幸福路 {n} 号")
            make_resident(household, name=f"居民{n}")
    patrol = patrols.start_patrol(world.a.grid, by=world.a.grid_member)
    for colour, name in [("red", "leak.png"), ("green", "leak.png"), ("blue", "lamp.png")]:
        patrols.add_observation(
            patrol,
            by=world.a.grid_member,
            client_id=uuid.uuid4(),
            category="demand",
            text=f"{colour} 路灯",
            photo=photo(colour, name),
        )
    job = ImportJob.objects.create(
        user=world.a.grid_member,
        file=SimpleUploadedFile("register.xlsx", b"PK\x03\x04 not really a workbook"),
        status=ImportJob.Status.FAILED,
    )
    job.report.save("import-errors.xlsx", SimpleUploadedFile("r.xlsx", b"report bytes"))


def database_state():
    """Per table: row count and the md5 of every row's text, in a fixed order; per sequence:
    its value. Two queries per table and per sequence."""
    state = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names()):
            quoted = connection.ops.quote_name(table)
            cursor.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), ''))"
                f" FROM {quoted} t"
            )
            state[table] = cursor.fetchone()
        cursor.execute(
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"
        )
        state.update({f"sequence {name}": value for name, value in cursor.fetchall()})
    return state


def media_files(root):
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def wipe(media_root):
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    shutil.rmtree(media_root)


def test_backup_wipe_restore_gives_back_every_table_and_file(world, settings, tmp_path):
    seed(world)
    before = database_state()
    files = media_files(settings.MEDIA_ROOT)
    assert len(files) == 5  # three photos, the import file and its report
    rows = sum(value[0] for key, value in before.items() if not key.startswith("sequence "))
    assert rows > 50

    call_command("backup", str(tmp_path / "backup"))
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert sorted(entry["name"] for entry in manifest["files"]) == sorted(files)

    wipe(settings.MEDIA_ROOT)
    assert connection.introspection.table_names() == []
    assert not settings.MEDIA_ROOT.exists()

    call_command("restore", str(tmp_path / "backup"), "--no-input")
    after = database_state()
    assert after.keys() == before.keys()
    assert [t for t in before if before[t] != after[t]] == []
    assert media_files(settings.MEDIA_ROOT) == files
    tables = sum(1 for key in before if not key.startswith("sequence "))
    print(
        f"\nround trip: {tables} tables, {rows} rows, {len(before) - tables} sequences, "
        f"{len(files)} files equal"
    )


def test_backup_wants_a_new_folder_and_restore_refuses_a_damaged_backup(world, tmp_path):
    seed(world)
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "something").write_text("x")
    with pytest.raises(CommandError, match="not empty"):
        call_command("backup", str(tmp_path / "used"))

    call_command("backup", str(tmp_path / "backup"))
    name = json.loads((tmp_path / "backup" / "manifest.json").read_text())["files"][0]["name"]
    (tmp_path / "backup" / "media" / name).write_bytes(b"changed")
    with pytest.raises(CommandError, match="does not match its checksum"):
        call_command("restore", str(tmp_path / "backup"), "--no-input")
    assert ImportJob.objects.count() == 1  # nothing was touched
