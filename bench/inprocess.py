"""Django set up in this process as the bench's gunicorn runs it (DEBUG off, the production
middleware), for the scripts that time pages with the test client: importing this module
does it. The database is the one DATABASE_URL names."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridmgmt.settings")
for name, value in {
    "DEBUG": "false",
    "SECRET_KEY": "bench",
    "SECURE_SSL_REDIRECT": "false",
    "TESTING": "true",
    "ALLOWED_HOSTS": "testserver",
}.items():
    os.environ.setdefault(name, value)

import django  # noqa: E402

django.setup()
