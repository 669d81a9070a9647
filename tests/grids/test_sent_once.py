"""An absence or a register upload sent again (a double click, a resend) is recorded once,
and the second sending is shown what the first made."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from grids import imports
from grids.models import Absence, ImportJob
from tests.grids.test_double_submit import token_on
from tests.grids.test_import import person, write_xlsx


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_an_absence_sent_twice_is_recorded_once(client, world):
    client.force_login(world.a.stationmaster)
    url = f"/grids/{world.a.community.code}/team/absences/new/"
    data = {
        "person": world.a.grid_member.pk,
        "starts_on": "2026-12-02",
        "ends_on": "2026-12-04",
        "reason": "sick",
        "once": token_on(client.get(url), "once"),
    }
    first = client.post(url, data)
    again = client.post(url, data, follow=True)
    assert first.status_code == 302
    assert Absence.objects.filter(user=world.a.grid_member).count() == 1
    assert "This form was already sent" in again.content.decode()


def test_a_register_file_sent_twice_is_imported_once(client, world, tmp_path):
    write_xlsx(tmp_path / "mine.xlsx", [person(0, world.a.grid)])
    client.force_login(world.a.grid_member)
    token = token_on(client.get("/register/import/"), "once")

    def send():
        content = (tmp_path / "mine.xlsx").read_bytes()
        upload = SimpleUploadedFile("mine.xlsx", content, content_type=imports.XLSX_TYPE)
        return client.post("/register/import/", {"file": upload, "once": token})

    first, again = send(), send()
    job = ImportJob.objects.get()
    assert first["Location"] == again["Location"] == job.get_absolute_url()
