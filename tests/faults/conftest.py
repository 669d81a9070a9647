"""Real processes for the fault tests: a Redis of the test's own on a free port, Celery
workers and beats started as subprocesses against the test database, killed with SIGKILL.
Every wait is bounded. The test process itself sends through the same Redis.

The fault tests are marked `faults`; CI=true runs them with shorter durations.
"""

import email
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from contextlib import contextmanager
from email.header import decode_header, make_header
from pathlib import Path

import kombu.pools
import pytest
from django.db import connection

from tests.conftest import IN_CI, missing_service

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))
REDIS_SERVER = "/usr/bin/redis-server"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, timeout, every=0.1, what="condition"):
    """Poll `condition` until it is true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


class Redis:
    def __init__(self, port):
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--daemonize", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._answers, 10, what=f"redis on port {self.port}")

    def _answers(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


class Processes:
    """Celery workers and beats for one test, with the environment of the test database."""

    def __init__(self, tmp_path, redis):
        self.tmp_path = tmp_path
        self.redis = redis
        self.mail_dir = tmp_path / "mail"
        self.mail_dir.mkdir()
        self.media = tmp_path / "media"
        self.media.mkdir()
        self.started = []
        db = connection.settings_dict
        user = db["USER"] or "postgres"
        auth = f"{user}:{db['PASSWORD']}" if db["PASSWORD"] else user
        host, port = db["HOST"] or "127.0.0.1", db["PORT"] or "5432"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("CELERY_")}
        self.env.update(
            # pytest-django's test database: the subprocess must use the same one.
            DATABASE_URL=f"postgres://{auth}@{host}:{port}/{db['NAME']}",
            REDIS_URL=redis.url,
            EMAIL_URL=f"filemail:///{self.mail_dir}",
            MEDIA_ROOT=str(self.media),
            CONN_MAX_AGE="0",
            PYTHONUNBUFFERED="1",
        )

    def worker(self, name="w", concurrency=1):
        log = self.tmp_path / f"{name}-{len(self.started)}.log"
        command = [CELERY, "-A", "gridmgmt", "worker", "--pool=prefork"]
        command += [f"--concurrency={concurrency}", "-l", "INFO", "-n", f"{name}@faults"]
        command += ["--without-gossip", "--without-mingle"]
        process = self._start(command, log)
        wait_for(lambda: "ready." in log.read_text(), 60, 0.2, f"worker {name} to start")
        return process

    def beat(self, name="b"):
        log = self.tmp_path / f"{name}-{len(self.started)}.log"
        command = [CELERY, "-A", "gridmgmt", "beat", "-l", "INFO", "--pidfile="]
        command += ["-S", "django_celery_beat.schedulers:DatabaseScheduler"]
        return self._start(command, log)

    def _start(self, command, log):
        with open(log, "w") as out:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process.log = log
        self.started.append(process)
        return process

    @staticmethod
    def kill(process):
        """SIGKILL the process and its children (the pool), as a machine losing it would."""
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    def stop_all(self):
        for process in self.started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.started:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill(process)

    def emails(self):
        """Counter of (recipient, subject) over every email the workers sent."""
        sent = Counter()
        for path in self.mail_dir.glob("*.log"):
            for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                if not chunk.strip():
                    continue
                message = email.message_from_bytes(chunk)
                subject = str(make_header(decode_header(message["Subject"])))
                sent[(message["To"], subject)] += 1
        return sent


@contextmanager
def broker(url):
    """Point this process's Celery app (the one pages enqueue through) at `url`."""
    from gridmgmt.celery import app

    def reset():
        # Kombu keeps process-wide connection and producer pools keyed by the broker's URL:
        # close and forget them all, or a later test publishes through a closed pool.
        kombu.pools.reset()
        if app._pool is not None:
            app._pool.force_close_all()
        app._pool = None
        app.amqp._producer_pool = None

    before = app.conf.broker_url
    reset()
    app.conf.broker_url = url
    try:
        yield app
    finally:
        reset()
        app.conf.broker_url = before


@pytest.fixture
def faults(tmp_path, transactional_db, settings):
    """A Redis of the test's own (started), this process enqueueing through it, and a way
    to start workers and beats on it."""
    if connection.vendor != "postgresql":
        missing_service("the fault tests need PostgreSQL (DATABASE_URL)")
    if not (os.path.exists(REDIS_SERVER) and os.path.exists(CELERY)):
        missing_service("the fault tests need redis-server and celery")
    redis = Redis(free_port())
    redis.start()
    processes = Processes(tmp_path, redis)
    settings.MEDIA_ROOT = processes.media
    try:
        with broker(redis.url):
            yield processes
    finally:
        processes.stop_all()
        redis.stop()


def report(capsys, name, **numbers):
    """Print a fault run's numbers so they can be quoted."""
    with capsys.disabled():
        figures = ", ".join(f"{key}={value}" for key, value in numbers.items())
        print(f"\n[faults] {name}: {figures}")


# How long the beat test runs: minutes locally, less in CI.
BEAT_SECONDS = int(os.environ.get("FAULTS_BEAT_SECONDS", 45 if IN_CI else 150))
