"""Redis stopped while people work: pages answer with what they saved, and when Redis is
back the emails go out once and the imports finish, with no action by the user."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from grids import imports
from grids.models import ImportJob, Resident
from grids.tasks import recover_imports
from incidents.models import Incident
from notifications.models import Notification
from notifications.tasks import send_owed_emails
from tests.faults.conftest import report, wait_for
from tests.grids.test_import import person, write_xlsx
from tests.incidents.factories import make_incident

URGES, IMPORTS = 3, 2


@pytest.mark.faults
@pytest.mark.django_db(transaction=True)
def test_with_redis_down_urges_and_imports_answer_and_finish_when_it_is_back(
    client, world, faults, tmp_path, capsys
):
    member, station = world.a.grid_member, world.a.stationmaster
    incidents = [make_incident(world.a.grid, member) for _ in range(URGES)]
    Incident.objects.filter(pk__in=[i.pk for i in incidents]).update(handler=member)
    faults.redis.stop()

    failed = 0
    client.force_login(station)
    for incident in incidents:
        response = client.post(
            f"/incidents/{incident.number}/supervise/", {"note": "请今天处理"}, follow=True
        )
        failed += response.status_code != 200 or "The handler was urged." not in response.text
    client.force_login(member)
    for n in range(IMPORTS):
        path = tmp_path / f"r{n}.xlsx"
        write_xlsx(path, [person(100 * n + i, world.a.grid) for i in range(3)])
        upload = SimpleUploadedFile(path.name, path.read_bytes(), content_type=imports.XLSX_TYPE)
        response = client.post("/register/import/", {"file": upload}, follow=True)
        failed += response.status_code != 200 or "The file is uploaded." not in response.text
    urged = Notification.objects.filter(key__startswith="urge:", recipient=member)
    assert urged.count() == URGES and ImportJob.objects.count() == IMPORTS

    # Redis comes back (empty: nothing was queued while it was down), a worker runs, and
    # beat's periodic sweeps find what is owed (here without their minute's grace).
    faults.redis.start()
    faults.worker()
    send_owed_emails.delay(older_than_seconds=0)
    recover_imports.delay(stale_after_seconds=0)
    wanted = {(member.email, n.title) for n in urged}

    def finished():
        jobs_done = all(j.is_finished for j in ImportJob.objects.all())
        return jobs_done and wanted <= set(faults.emails())

    wait_for(finished, 90, 0.5, "the emails and imports")
    sent = faults.emails()
    jobs = list(ImportJob.objects.all())
    lost = len(wanted - set(sent)) + sum(j.status != ImportJob.Status.DONE for j in jobs)
    duplicated = sum(count - 1 for count in sent.values())
    report(
        capsys,
        "redis down",
        actions=URGES + IMPORTS,
        failed_requests=failed,
        lost=lost,
        duplicated=duplicated,
    )
    assert (failed, lost, duplicated) == (0, 0, 0)
    assert Resident.objects.count() == 3 * IMPORTS
