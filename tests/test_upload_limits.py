"""An upload larger than the site takes is refused from its Content-Length, before its body
is read: a 50 MB request costs the server nothing but the answer."""

import io

from django.conf import settings
from django.test import Client


class CountingBody(io.RawIOBase):
    """A request body of `size` bytes, made as it is read, that counts what was read."""

    def __init__(self, size):
        self.size, self.read_bytes = size, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        n = min(len(buffer), self.size - self.read_bytes)
        buffer[:n] = b"x" * n
        self.read_bytes += n
        return n


def post_body(client, path, size):
    body = CountingBody(size)
    response = client.generic(
        "POST",
        path,
        content_type="multipart/form-data; boundary=BoUnDaRy",
        CONTENT_LENGTH=str(size),
        **{"wsgi.input": body},
    )
    return response, body


def test_a_50_mb_upload_is_refused_before_it_is_read(client, world):
    client.force_login(world.a.stationmaster)
    response, body = post_body(client, "/register/import/", 50 * 1024 * 1024)
    assert response.status_code == 413
    assert body.read_bytes == 0
    text = response.content.decode().replace("\xa0", " ")
    assert "is 50.0 MB; the site takes at most 21.0 MB" in text


def test_the_limit_leaves_room_for_the_largest_upload_a_form_takes():
    from grids.imports import MAX_UPLOAD_BYTES

    assert settings.MAX_REQUEST_BYTES > MAX_UPLOAD_BYTES
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= 5 * 1024 * 1024
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= 5 * 1024 * 1024


def test_a_request_under_the_limit_goes_through(world):
    client = Client()
    client.force_login(world.a.stationmaster)
    response, body = post_body(client, "/register/import/", 1024)
    assert response.status_code != 413
