"""A local S3-compatible server (moto in server mode) for the storage tests."""

import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import missing_service

MOTO_SERVER = Path(sys.executable).with_name("moto_server")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_server():
    """`moto_server` on a free port of 127.0.0.1, for the whole session; its endpoint URL."""
    server = str(MOTO_SERVER) if MOTO_SERVER.exists() else shutil.which("moto_server")
    if not server:
        missing_service("moto_server is not installed (pip install 'moto[server]')")
    port = free_port()
    process = subprocess.Popen(
        [server, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                missing_service("moto_server did not start within 20 s")
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
def s3_storage(s3_server, settings):
    """The default storage is a fresh bucket on the local S3 server; returns the bucket."""
    import boto3

    bucket = f"grid-{uuid.uuid4().hex[:12]}"
    credentials = {
        "endpoint_url": s3_server,
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
        "region_name": "us-east-1",
    }
    boto3.client("s3", **credentials).create_bucket(Bucket=bucket)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": s3_server,
                "access_key": "testing",
                "secret_key": "testing",
                "region_name": "us-east-1",
                "default_acl": None,
                "file_overwrite": False,
            },
        },
    }
    return boto3.resource("s3", **credentials).Bucket(bucket)
