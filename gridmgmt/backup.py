"""Backup and restore: the database with `pg_dump -Fc` / `pg_restore`, and every uploaded file
through the storage API (the local disk or the S3-compatible store alike).

A backup is a folder:

    database.dump    pg_dump's custom format
    media/...        every file of the default storage, under its storage name
    manifest.json    when, which database, and each file's size and SHA-256

The database is dumped first and the files copied after: a file uploaded in between is one
more file than the dump names (harmless), and every file the dump names is there, since
the product never deletes an upload.
"""

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connections
from django.utils import timezone

DUMP = "database.dump"
MEDIA = "media"
MANIFEST = "manifest.json"
FORMAT = 1


class BackupError(Exception):
    pass


def backup(folder, *, database="default", storage=None):
    """Write a backup of `database` and of `storage` (the default storage) into `folder`,
    which must be empty or new. Returns the manifest."""
    storage = storage or default_storage
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.iterdir()):
        raise BackupError(f"{folder} is not empty: a backup is written into a new folder.")
    settings_dict = _postgresql(database)
    _run(
        ["pg_dump", "--format=custom", "--no-owner", "--file", str(folder / DUMP)],
        settings_dict,
    )
    files = []
    for name in sorted(_walk(storage)):
        target = folder / MEDIA / name
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        with storage.open(name, "rb") as source, open(target, "wb") as out:
            for chunk in source.chunks():
                digest.update(chunk)
                out.write(chunk)
        files.append({"name": name, "size": target.stat().st_size, "sha256": digest.hexdigest()})
    manifest = {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(),
        "database": settings_dict["NAME"],
        "files": files,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return manifest


def restore(folder, *, database="default", storage=None):
    """Restore a backup written by `backup`: the database's tables are replaced by the
    dump's (`pg_restore --clean`, in one transaction), then every file is written to the
    storage under its own name, replacing a file of that name. Files the backup does not
    hold are left alone. Checks every file's checksum before changing anything."""
    storage = storage or default_storage
    folder = Path(folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{folder} holds no readable {MANIFEST}: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{folder} is a backup of an unknown format.")
    for entry in manifest["files"]:
        if _sha256(folder / MEDIA / entry["name"]) != entry["sha256"]:
            raise BackupError(f"{entry['name']} in the backup does not match its checksum.")
    settings_dict = _postgresql(database)
    connections[database].close()
    _run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            str(folder / DUMP),
        ],
        settings_dict,
    )
    for entry in manifest["files"]:
        name = entry["name"]
        if storage.exists(name):
            storage.delete(name)
        with open(folder / MEDIA / name, "rb") as source:
            saved = storage.save(name, File(source, name=name))
        if saved != name:
            raise BackupError(f"{name} was stored as {saved}.")
    return manifest


def _postgresql(database):
    settings_dict = connections[database].settings_dict
    if connections[database].vendor != "postgresql":
        raise BackupError("Backup and restore need PostgreSQL (DATABASE_URL=postgres://...).")
    return settings_dict


def _run(command, settings_dict):
    """Run a PostgreSQL client tool against the database; the password goes in the
    environment, not the command line."""
    tool = shutil.which(command[0])
    if tool is None:
        raise BackupError(f"{command[0]} is not installed (Debian: postgresql-client).")
    env = {**os.environ}
    for key, variable in [
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("NAME", "PGDATABASE"),
    ]:
        if settings_dict.get(key):
            env[variable] = str(settings_dict[key])
    sslmode = settings_dict.get("OPTIONS", {}).get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = sslmode
    done = subprocess.run(
        [tool, "--dbname", env.get("PGDATABASE", ""), *command[1:]],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()}")


def _walk(storage, folder=""):
    """Every file's name in `storage` (one listing per folder)."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:  # a local MEDIA_ROOT that nothing was uploaded to yet
        return
    for name in files:
        yield f"{folder}{name}"
    for sub in folders:
        yield from _walk(storage, f"{folder}{sub}/")


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
