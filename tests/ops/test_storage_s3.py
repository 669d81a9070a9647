"""Uploaded files on an S3-compatible store (moto in server mode): an observation photo and
a register import with its error report go through the storage API, never a local path."""

import io

import openpyxl
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from grids.imports import XLSX_TYPE
from grids.models import ImportJob, Resident
from grids.tasks import import_register
from patrols.models import Observation
from tests.grids.test_import import HEADERS, person

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_local_media(settings, tmp_path):
    """A local MEDIA_ROOT that must stay empty: anything written there missed the store."""
    settings.MEDIA_ROOT = tmp_path / "must-stay-empty"


def keys(bucket):
    return sorted(obj.key for obj in bucket.objects.all())


def xlsx(rows):
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("住户")
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def test_an_observation_photo_is_stored_in_the_bucket_and_served_from_it(
    client, world, s3_storage, tmp_path
):
    default_storage._setup()
    assert type(default_storage._wrapped).__name__ == "S3Storage"
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), "blue").save(buffer, "PNG")
    client.force_login(world.a.grid_member)
    client.post("/patrols/start/", {"grid": world.a.grid.code})
    patrol = world.a.grid_member.patrols.get()
    response = client.post(
        f"/patrols/{patrol.pk}/observations/",
        {
            "category": "demand",
            "text": "路灯坏了",
            "photo": SimpleUploadedFile("lamp.png", buffer.getvalue(), "image/png"),
            "client_id": "6f1c0c2e-3d4b-4a5e-9f10-2b3c4d5e6f70",
        },
    )
    assert response.status_code == 302
    observation = Observation.objects.get()
    assert keys(s3_storage) == [observation.photo.name]
    stored = s3_storage.Object(observation.photo.name).get()["Body"].read()

    response = client.get(f"/patrols/observations/{observation.pk}/photo/")
    assert response.status_code == 200
    served = b"".join(response.streaming_content)
    assert served == stored
    assert Image.open(io.BytesIO(served)).size == (8, 6)
    assert not (tmp_path / "must-stay-empty").exists()


def test_a_register_import_reads_its_file_from_the_bucket(
    client, world, s3_storage, tmp_path, django_capture_on_commit_callbacks
):
    rows = [person(n, world.a.grid) for n in range(6)]
    client.force_login(world.a.grid_member)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            "/register/import/",
            {"file": SimpleUploadedFile("register.xlsx", xlsx(rows), XLSX_TYPE)},
        )
    assert response.status_code == 302 and len(callbacks) == 1
    job = ImportJob.objects.get()
    assert keys(s3_storage) == [job.file.name]

    import_register(job.pk)  # what the worker runs
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert Resident.objects.count() == 6
    assert not (tmp_path / "must-stay-empty").exists()


def test_an_import_with_errors_writes_its_report_to_the_bucket_and_serves_it(
    client, world, s3_storage, tmp_path, django_capture_on_commit_callbacks
):
    rows = [person(0, world.a.grid), person(1, world.a.grid, id_number="110101")]
    client.force_login(world.a.grid_member)
    with django_capture_on_commit_callbacks():
        client.post(
            "/register/import/",
            {"file": SimpleUploadedFile("bad.xlsx", xlsx(rows), XLSX_TYPE)},
        )
    job = ImportJob.objects.get()
    import_register(job.pk)
    job.refresh_from_db()
    assert (job.status, job.error_count) == (ImportJob.Status.FAILED, 1)
    assert keys(s3_storage) == sorted([job.file.name, job.report.name])

    response = client.get(f"/register/import/{job.pk}/report.xlsx")
    assert response.status_code == 200
    report = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(report.worksheets[0].iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in rows] == [3]  # the second person, below the header
    assert not (tmp_path / "must-stay-empty").exists()
    assert Resident.objects.count() == 0
