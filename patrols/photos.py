"""Observation photos: kept small and without metadata.

The phone already shrinks a photo before storing it (`static/js/patrol-outbox.js`); the
server does it again so that whatever arrives (an older page, a desktop upload) is stored
the same way: upright, at most 1600 px on its longest side, JPEG, at most 400 KB, and with
no EXIF (which holds the phone's location and serial numbers).

A picture with more than MAX_PIXELS pixels is refused before it is decoded (`PhotoField`):
a file of a few kilobytes can hold a picture that takes gigabytes to open. Pillow's own
guard is set to the same limit, so no other code path opens one either.
"""

import io
import warnings

from django import forms
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps

# More than a phone camera's 48-megapixel mode (8000 x 6000).
MAX_PIXELS = 50_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

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


# A photo sent as it was taken (a phone without the page's script) is refused above this.
MAX_UPLOAD_BYTES = 8 * 1024 * 1024


class PhotoField(forms.ImageField):
    """An image field that refuses, with a clear message, a picture of more than MAX_PIXELS
    pixels, reading only its header, and a file larger than MAX_UPLOAD_BYTES."""

    default_error_messages = {
        "too_many_pixels": _(
            "This picture has more than %(limit)d million pixels. Take the photo again with "
            "the phone's normal camera, or send a smaller copy."
        ),
        "too_large": _("A photo can be at most 8 MB."),
    }

    def to_python(self, data):
        if data not in self.empty_values and _too_many_pixels(data):
            raise forms.ValidationError(
                self.error_messages["too_many_pixels"],
                code="too_many_pixels",
                params={"limit": MAX_PIXELS // 1_000_000},
            )
        photo = super().to_python(data)
        if photo is not None and photo.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(self.error_messages["too_large"], code="too_large")
        return photo


def _too_many_pixels(upload):
    """Whether the upload's header names more than MAX_PIXELS pixels (False for a file that
    is not an image at all: ImageField says so)."""
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                width, height = image.size
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        return True
    except Exception:  # not an image: ImageField gives its own message
        return False
    finally:
        upload.seek(0)
    return width * height > MAX_PIXELS
