"""Observation photos: kept small and without metadata.

The phone already shrinks a photo before storing it (`static/js/patrol-outbox.js`); the
server does it again so that whatever arrives (an older page, a desktop upload) is stored
the same way: upright, at most 1600 px on its longest side, JPEG, at most 400 KB, and with
no EXIF (which holds the phone's location and serial numbers).
"""

import io

from django.core.files.base import ContentFile
from PIL import Image, ImageOps

LONGEST_SIDE = 1600
MAX_BYTES = 400 * 1024
QUALITIES = (85, 75, 65, 55, 45, 35)


def shrink(upload):
    """A ContentFile holding `upload` (an image the form has already checked) re-encoded as
    described above. Reads the whole image into memory (at most a few megabytes)."""
    upload.seek(0)
    with Image.open(upload) as original:
        image = ImageOps.exif_transpose(original).convert("RGB")
    image.thumbnail((LONGEST_SIDE, LONGEST_SIDE), Image.Resampling.LANCZOS)
    while True:
        for quality in QUALITIES:
            data = _jpeg(image, quality)
            if len(data) <= MAX_BYTES:
                return ContentFile(data, name=_jpeg_name(upload.name))
        # Even the lowest quality is too large (a very detailed picture): make it smaller.
        image = image.resize((image.width * 3 // 4, image.height * 3 // 4))


def _jpeg(image, quality):
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()


def _jpeg_name(name):
    stem = (name or "photo").rsplit("/", 1)[-1].rsplit(".", 1)[0] or "photo"
    return f"{stem[:80]}.jpg"
