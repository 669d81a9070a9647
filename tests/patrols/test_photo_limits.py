"""A photo is refused, with a clear message, when it has more pixels than a phone's camera
makes: a small file can hold a picture that takes gigabytes to open (a decompression
bomb)."""

import io
import os
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from care.forms import VisitForm
from incidents.intake_forms import TeamReportForm
from patrols import photos
from patrols.forms import ObservationForm
from patrols.models import Observation
from places.forms import CheckForm
from tests.patrols.test_patrol_flow import start


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def png(width, height):
    buffer = io.BytesIO()
    Image.new("1", (width, height)).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def send(client, patrol, data):
    return client.post(
        f"/patrols/{patrol.pk}/observations/",
        {"category": "demand", "text": "井盖", "photo": data, "client_id": str(uuid.uuid4())},
        headers={"Accept": "application/json"},
    )


@pytest.mark.parametrize("side", [12_000, 8_000])  # 144 and 64 million pixels
def test_a_picture_with_too_many_pixels_is_refused_with_a_reason(client, world, side):
    data = png(side, side)
    assert len(data) < 200_000  # small on disk
    client.force_login(world.a.grid_member)
    patrol = start(client, world)
    response = send(client, patrol, SimpleUploadedFile("bomb.png", data, "image/png"))
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"photo"}
    assert "million pixels" in response.json()["reason"]
    assert not Observation.objects.exists()


def test_a_picture_at_the_limit_is_accepted_and_stored_small(client, world):
    side = int(photos.MAX_PIXELS**0.5)
    client.force_login(world.a.grid_member)
    patrol = start(client, world)
    response = send(client, patrol, SimpleUploadedFile("ok.png", png(side, side), "image/png"))
    assert response.status_code == 201
    stored = Image.open(Observation.objects.get().photo)
    assert max(stored.size) == photos.LONGEST_SIDE


def noise_png(width, height):
    """A picture that does not compress: about width × height × 3 bytes on disk."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "form", [ObservationForm, TeamReportForm, VisitForm, CheckForm], ids=lambda f: f.__name__
)
def test_every_photo_field_refuses_a_file_over_8_mb_with_a_reason(form):
    """The limit lives in PhotoField, which every form with a photo uses."""
    field = form.base_fields["photo"]
    big = noise_png(1800, 1700)
    assert len(big) > photos.MAX_UPLOAD_BYTES
    with translation.override("zh-hans"):
        with pytest.raises(ValidationError) as refused:
            field.clean(SimpleUploadedFile("big.png", big, "image/png"))
        assert refused.value.messages == ["照片不能超过 8 MB。"]
    small = noise_png(600, 400)
    assert field.clean(SimpleUploadedFile("small.png", small, "image/png")).size == len(small)
