"""Import jobs always end: one whose worker stopped is queued again a bounded number of
times, then failed with a reason the uploader reads; the page stops polling then."""

import datetime

from django.utils import timezone

from grids import imports
from grids.models import ImportJob

LONG_AGO = datetime.timedelta(minutes=10)


def stale_job(user, status, attempts):
    job = ImportJob.objects.create(
        user=user, file="imports/x.xlsx", status=status, attempts=attempts, rows_done=500
    )
    ImportJob.objects.filter(pk=job.pk).update(
        heartbeat_at=timezone.now() - LONG_AGO, created_at=timezone.now() - LONG_AGO
    )
    return job


def test_a_job_whose_worker_stopped_is_queued_again_and_sent(
    world, django_capture_on_commit_callbacks
):
    job = stale_job(world.a.grid_member, ImportJob.Status.VALIDATING, attempts=1)
    beating = ImportJob.objects.create(
        user=world.a.grid_member,
        file="imports/y.xlsx",
        status=ImportJob.Status.VALIDATING,
        attempts=1,
        heartbeat_at=timezone.now(),
    )
    with django_capture_on_commit_callbacks() as callbacks:
        again, failed = imports.recover_imports()
    assert (again, failed, len(callbacks)) == ([job.pk], [], 1)
    job.refresh_from_db()
    assert (job.status, job.rows_done) == (ImportJob.Status.QUEUED, 0)
    assert ImportJob.objects.get(pk=beating.pk).status == ImportJob.Status.VALIDATING
    assert imports.recover_imports() == ([], [])  # it waits for the next stale period


def test_after_its_last_attempt_a_job_fails_and_the_page_says_why_and_stops_polling(client, world):
    job = stale_job(world.a.grid_member, ImportJob.Status.WRITING, attempts=imports.MAX_ATTEMPTS)
    assert imports.recover_imports() == ([], [job.pk])
    job.refresh_from_db()
    assert (job.status, job.failure) == (
        ImportJob.Status.FAILED,
        ImportJob.Failure.STOPPED_SAVING,
    )
    client.force_login(world.a.grid_member)
    partial = client.get(job.get_absolute_url(), headers={"HX-Request": "true"}).text
    assert "hx-trigger" not in partial
    assert "The server stopped while saving the rows." in partial


def test_an_upload_with_the_broker_down_answers_with_the_saved_job(
    client, world, monkeypatch, tmp_path, settings
):
    from kombu.exceptions import OperationalError

    from grids.tasks import import_register
    from tests.grids.test_import import person, upload, write_xlsx

    settings.MEDIA_ROOT = tmp_path

    def down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(import_register, "apply_async", down)
    write_xlsx(tmp_path / "mine.xlsx", [person(0, world.a.grid)])
    client.force_login(world.a.grid_member)
    response = client.post(
        "/register/import/",
        {"file": upload("mine.xlsx", (tmp_path / "mine.xlsx").read_bytes())},
        follow=True,
    )
    assert response.status_code == 200 and "The file is uploaded." in response.text
    assert ImportJob.objects.get().status == ImportJob.Status.QUEUED
