"""Helpers for the residents' channel tests (also the browser journeys)."""

import io

from PIL import Image

from incidents.models import Category
from residents.services import channel_for


def page_path(grid):
    """The grid's public page path, "/r/<token>/" (its channel made on first use)."""
    return f"/r/{channel_for(grid).token}/"


def fire_exit_category():
    """The default category a blocked fire exit is reported under (migration 0014)."""
    return Category.objects.get(code="security")


def jpeg_bytes(size=(800, 600), gps=False, color=(200, 40, 40)):
    """A JPEG picture; with `gps`, its EXIF holds a GPS position and the camera's make."""
    image = Image.new("RGB", size, color)
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    if gps:
        exif[0x8825] = {1: "N", 2: (31.0, 14.0, 5.0), 3: "E", 4: (121.0, 28.0, 10.0)}
    image.save(buffer, "JPEG", quality=90, exif=exif)
    return buffer.getvalue()


def report_data(category=None, **overrides):
    data = {
        "category": str((category or fire_exit_category()).pk),
        "place": "3号楼2单元",
        "text": "消防通道被电动车堵住了",
        "phone": "",
        "website": "",
    }
    data.update(overrides)
    return data
