"""Performance harness: page cost at district scale, on PostgreSQL, behind gunicorn.

Builds the database `gridmgmt_bench` (drop, create, migrate, `seed_demo --scale district`)
and reports the seed's wall time and peak memory. Then, for every page in PAGES, counts its
SQL queries in-process (one GET after a warm-up GET) and times it over HTTP against gunicorn
(5 warm-up requests, then N sequential ones), and prints p50, p95 and p50 / the floor page's
p50. Every response must be 200. Needs PostgreSQL and Redis on 127.0.0.1.

    .venv/bin/python bench/run.py                 # full run (`make bench`)
    .venv/bin/python bench/run.py --reuse         # keep an already seeded database
    .venv/bin/python bench/run.py --requests 20   # fewer timed requests per page

To add a page, append to PAGES: the path is formatted with the persona's account
(keys username, role, area), e.g. "/grids/{area}/".
"""

import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

# (name, persona, path); the first page is the floor the others are compared with.
PAGES = [
    ("notifications (floor)", "grid_member", "/notifications/"),
    ("home", "stationmaster", "/"),
    ("home", "district_staff", "/"),
    ("home", "grid_member", "/"),
    ("home", "grid_leader", "/"),
    ("home", "street_staff", "/"),
    ("grid list", "district_staff", "/grids/"),
    ("grid detail", "grid_member", "/grids/{area}/"),
    ("household list", "grid_member", "/grids/{area}/households/"),
    ("household list", "stationmaster", "/grids/{area}-01/households/"),
    ("search by name", "stationmaster", "/register/search/?q=%E7%8E%8B"),
    ("search by name", "district_staff", "/register/search/?q=%E7%8E%8B%E4%BC%9F"),
    ("search by phone end", "district_staff", "/register/search/?q=5678"),
    ("floating population", "stationmaster", "/register/floating/"),
    ("rentals", "stationmaster", "/register/rentals/"),
    ("patrol board, community", "stationmaster", "/patrols/board/"),
    ("patrol board, street", "street_staff", "/patrols/board/"),
    ("patrol page (in progress)", "grid_member", "/patrols/{patrol}/"),
    ("patrol list", "grid_member", "/patrols/"),
    ("incident list, community", "stationmaster", "/incidents/?view=community"),
    ("incident list, mine", "grid_member", "/incidents/"),
    ("incident detail", "stationmaster", "/incidents/{incident}/"),
    ("meeting list", "stationmaster", "/meetings/"),
    ("monthly meeting", "stationmaster", "/meetings/{meeting}/"),
    ("grid reports of a month", "stationmaster", "/meetings/reports/"),
    ("grid report", "grid_member", "/meetings/reports/{report}/"),
    ("report, district", "district_staff", "/reports/"),
    ("report, street", "street_staff", "/reports/"),
    ("report, community", "stationmaster", "/reports/"),
    ("report, grid", "grid_member", "/reports/?area={area}"),
    ("report, district, XLSX", "district_staff", "/reports/{area}/report.xlsx"),
]
# persona -> the role whose first demo account plays it (demo accounts list the first
# community first, so "stationmaster" is the first community's).
PERSONAS = {
    "street_staff": "street_staff",
    "stationmaster": "stationmaster",
    "district_staff": "district_staff",
    "grid_member": "grid_member",
    "grid_leader": "grid_leader",
}

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
SERVER_URL = "postgres://postgres@127.0.0.1:5432"
# BENCH_DB and BENCH_PORT let two benches run side by side on one machine.
DB_NAME = os.environ.get("BENCH_DB", "gridmgmt_bench")
HOST, PORT = "127.0.0.1", int(os.environ.get("BENCH_PORT", "8765"))
WARMUP = 5
ENV = {
    "DATABASE_URL": f"{SERVER_URL}/{DB_NAME}",
    "REDIS_URL": "redis://127.0.0.1:6379/15",
    "DEBUG": "false",
    "SECRET_KEY": "bench",
    "ALLOWED_HOSTS": HOST,
    "SECURE_SSL_REDIRECT": "false",
    "TESTING": "true",
    "DJANGO_SETTINGS_MODULE": "gridmgmt.settings",
}


def run_logged(args, log):
    """Run a manage.py command with its output in `log`; return (seconds, peak MiB)."""
    started = time.monotonic()
    with open(log, "w") as out:
        child = subprocess.Popen(
            args, cwd=ROOT, env={**os.environ, **ENV}, stdout=out, stderr=subprocess.STDOUT
        )
        _, status, usage = os.wait4(child.pid, 0)  # the rusage of this child alone
        child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        sys.exit(f"FAILED: {' '.join(args[1:])}\n{Path(log).read_text()}")
    return time.monotonic() - started, usage.ru_maxrss / 1024


def is_seeded():
    with psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone():
            return False
    with psycopg.connect(ENV["DATABASE_URL"]) as conn:
        if not conn.execute("SELECT to_regclass('grids_area')").fetchone()[0]:
            return False
        return conn.execute("SELECT EXISTS (SELECT 1 FROM grids_area)").fetchone()[0]


def build_database(reuse, workdir):
    """Return (seed time, seed peak memory, accounts); the first two as printable text."""
    accounts_json = workdir / "accounts.json"
    manage = [PYTHON, "manage.py"]
    if reuse and is_seeded():
        run_logged([*manage, "migrate", "--no-input"], workdir / "migrate.log")
        run_logged(
            [*manage, "seed_demo", "--if-empty", "--accounts-json", str(accounts_json)],
            workdir / "seed.log",
        )
        seed = ("reused", "reused")
    else:
        with psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {DB_NAME}")
        run_logged([*manage, "migrate", "--no-input"], workdir / "migrate.log")
        seed_args = ["seed_demo", "--scale", "district", "--seed", "1"]
        seconds, _ = run_logged(
            [*manage, *seed_args, "--accounts-json", str(accounts_json)], workdir / "seed.log"
        )
        # The command reports its own peak (getrusage of itself); it agrees with
        # `/usr/bin/time -v`, where the child's rusage seen from here did not.
        reported = re.search(r"peak memory (\d+) MiB", (workdir / "seed.log").read_text())
        seed = (f"{seconds:.1f} s", f"{reported.group(1)} MiB" if reported else "unknown")
    return *seed, json.loads(accounts_json.read_text())


def pick_personas(accounts):
    personas = {}
    for persona, role in PERSONAS.items():
        found = [a for a in accounts if a["role"] == role]
        if not found:
            sys.exit(f"FAILED: no demo account with role {role!r} for persona {persona!r}")
        personas[persona] = found[0]
    return personas


def get(path, cookie):
    """One GET over a fresh connection (gunicorn's sync workers close it); (status, ms)."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection(HOST, PORT, timeout=60)
    try:
        conn.request("GET", path, headers={"Cookie": f"sessionid={cookie}"} if cookie else {})
        response = conn.getresponse()
        response.read()
    finally:
        conn.close()
    return response.status, (time.perf_counter() - started) * 1000


def start_gunicorn(log):
    try:
        get("/healthz", None)
        sys.exit(f"FAILED: something already listens on {HOST}:{PORT}")
    except OSError:
        pass
    server = subprocess.Popen(
        [GUNICORN, "gridmgmt.wsgi", "-b", f"{HOST}:{PORT}", "-w", "2"],
        cwd=ROOT,
        env={**os.environ, **ENV},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited on start")
        try:
            if get("/healthz", None)[0] == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise RuntimeError("gunicorn did not answer /healthz with 200 within 30 s")


def stop_gunicorn(server):
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def measure(personas, requests):
    """One row per page: (name, persona, queries, p50, p95)."""
    import django

    os.environ.update(ENV)
    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    clients = {}
    for persona, account in personas.items():
        clients[persona] = Client(HTTP_HOST=HOST)
        clients[persona].force_login(get_user_model().objects.get(username=account["username"]))

    member = get_user_model().objects.get(username=personas["grid_member"]["username"])
    personas["grid_member"]["patrol"] = open_patrol(member, personas["grid_member"]["area"]).pk
    personas["stationmaster"]["incident"] = new_incident(member, personas["grid_member"]["area"])
    from meetings.models import GridReport, Meeting

    community = personas["stationmaster"]["area"]
    personas["stationmaster"]["meeting"] = (
        Meeting.objects.filter(community__code=community, kind="monthly")
        .order_by("-starts_at")[0]
        .pk
    )
    personas["grid_member"]["report"] = (
        GridReport.objects.filter(grid__code=personas["grid_member"]["area"])
        .order_by("-month")[0]
        .pk
    )

    rows = []
    for name, persona, path_format in PAGES:
        path = path_format.format(**personas[persona])
        client = clients[persona]
        client.get(path)  # warm per-process caches, like a server that has run a while
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"{name} as {persona}: GET {path} gave {response.status_code}")
        cookie = client.cookies["sessionid"].value
        timings = []
        for i in range(WARMUP + requests):
            status, ms = get(path, cookie)
            if status != 200:
                raise RuntimeError(f"{name} as {persona}: HTTP GET {path} gave {status}")
            if i >= WARMUP:
                timings.append(ms)
        p95 = statistics.quantiles(timings, n=20, method="inclusive")[-1]
        rows.append((name, persona, len(queries), statistics.median(timings), p95))
    grid = personas["grid_member"]["area"]
    rows.append(
        measure_post(
            clients["grid_member"],
            "patrol submit (POST)",
            "grid_member",
            lambda: f"/patrols/{open_patrol(member, grid).pk}/submit/",
            {"summary": "bench"},
            requests,
        )
    )
    rows.append(
        measure_post(
            clients["grid_member"],
            "incident accept (POST)",
            "grid_member",
            lambda: f"/incidents/{new_incident(member, grid)}/steps/accept/",
            {"note": ""},
            requests,
        )
    )
    return rows


def sweep_cost():
    """The time-limit sweep over every open incident, twice (the second finds nothing new)."""
    from incidents.models import Incident
    from incidents.services import sweep_time_limits

    open_count = Incident.objects.open().count()
    for run in ("first", "second"):
        started = time.perf_counter()
        warned, escalated = sweep_time_limits()
        seconds = time.perf_counter() - started
        print(
            f"time-limit sweep ({run} run) over {open_count:,} open incidents: {seconds:.2f} s, "
            f"{warned} warned, {escalated} escalated"
        )


def open_patrol(member, grid_code):
    """The member's patrol in progress (started now if there is none)."""
    from grids.models import Area
    from patrols.models import Patrol
    from patrols.services import start_patrol

    patrol = Patrol.objects.filter(member=member, status=Patrol.Status.IN_PROGRESS).first()
    return patrol or start_patrol(Area.objects.get(code=grid_code), by=member)


def new_incident(member, grid_code):
    """A freshly reported incident in the member's grid; its number."""
    from grids.models import Area
    from incidents.models import Category
    from incidents.services import open_incident

    incident = open_incident(
        grid=Area.objects.get(code=grid_code),
        category=Category.objects.get(code="demand"),
        by=member,
        title="bench",
        source="patrol",
    )
    return incident.number


def measure_post(client, name, persona, prepare, data, requests):
    """Time a POST over HTTP; `prepare()` gives a fresh path before each request (one more for
    the in-process query count). Each must answer with a redirect."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.post(prepare(), data)
    if response.status_code != 302:
        raise RuntimeError(f"{name} gave {response.status_code}")
    token = "b" * 32  # the CSRF cookie and header only have to agree
    cookie = f"sessionid={client.cookies['sessionid'].value}; csrftoken={token}"
    body = "&".join(f"{key}={value}" for key, value in data.items())
    timings = []
    for i in range(WARMUP + requests):
        path = prepare()
        started = time.perf_counter()
        conn = http.client.HTTPConnection(HOST, PORT, timeout=60)
        try:
            conn.request(
                "POST",
                path,
                body=body,
                headers={
                    "Cookie": cookie,
                    "X-CSRFToken": token,
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )
            status = conn.getresponse().status
        finally:
            conn.close()
        if status != 302:
            raise RuntimeError(f"{name}: HTTP POST {path} gave {status}")
        if i >= WARMUP:
            timings.append((time.perf_counter() - started) * 1000)
    p95 = statistics.quantiles(timings, n=20, method="inclusive")[-1]
    return (name, persona, len(queries), statistics.median(timings), p95)


def print_table(rows):
    floor = rows[0][3]
    table = [("page", "persona", "queries", "p50 ms", "p95 ms", "x floor")]
    for name, persona, queries, p50, p95 in rows:
        table.append(
            (name, persona, str(queries), f"{p50:.1f}", f"{p95:.1f}", f"{p50 / floor:.2f}")
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for n, row in enumerate(table):
        cells = [
            c.ljust(w) if i < 2 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        print(" | ".join(cells))
        if n == 0:
            print("-+-".join("-" * w for w in widths))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page")
    parser.add_argument(
        "--reuse", action="store_true", help="keep gridmgmt_bench if it is already seeded"
    )
    parser.add_argument("--skip-import", action="store_true", help="skip the import's cost")
    parser.add_argument("--import-rows", type=int, nargs="*", default=[10_000, 40_000])
    args = parser.parse_args()
    if args.requests < 2:
        parser.error("--requests must be at least 2")

    with tempfile.TemporaryDirectory(prefix="gridmgmt-bench-") as tmp:
        workdir = Path(tmp)
        seed_time, seed_memory, accounts = build_database(args.reuse, workdir)
        personas = pick_personas(accounts)
        log_path = workdir / "gunicorn.log"
        with open(log_path, "w") as log:
            server = None
            try:
                server = start_gunicorn(log)
                rows = measure(personas, args.requests)
            except Exception:
                log.flush()
                print(f"gunicorn log:\n{log_path.read_text()}", file=sys.stderr)
                raise
            finally:
                if server is not None:
                    stop_gunicorn(server)

    print(f"seed time (district, seed 1): {seed_time}")
    print(f"seed peak memory: {seed_memory}")
    print(
        f"requests per page: {WARMUP} warm-up + {args.requests} timed, sequential, "
        f"gunicorn -w 2 at {HOST}:{PORT}"
    )
    print()
    print_table(rows)
    print()
    sweep_cost()
    if not args.skip_import:
        print()
        import_cost(args.import_rows)


def import_cost(rows):
    """The register import's time and peak memory (bench/import_bench.py), on a scratch
    database of its own."""
    name = "gridmgmt_importbench"
    with psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    env = {**os.environ, **ENV, "DATABASE_URL": f"{SERVER_URL}/{name}"}
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True
    )
    print("register import (XLSX, one row per resident):")
    subprocess.run(
        [PYTHON, "bench/import_bench.py", "--rows", *map(str, rows)], cwd=ROOT, env=env, check=True
    )


if __name__ == "__main__":
    main()
