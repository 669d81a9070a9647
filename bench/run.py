"""Performance harness: page cost at district (or city) scale, on PostgreSQL, behind gunicorn.

Builds a database of its own (drop, create, migrate, `seed_demo --scale <scale>`) and reports
the seed's wall time, CPU time, peak memory, rows and size on disk. Then, for every page in
PAGES, counts its SQL queries in-process (one GET after a warm-up GET) and times it over HTTP
against gunicorn (`--workers`, 4 as in production; 10 warm-up rounds for every 2 workers,
then N timed ones; a round requests every page once, in turn, one request at a time), and
prints p50, p95, p50 / the floor page's p50, p95 / the floor's p50 against the page's target,
and the change from the last saved run. Then a mixed load (`--users` concurrent users for
`--load-seconds`: grid members patrolling and submitting, stationmasters on the board,
district staff on the reports), beside the floor page alone under the same load: requests per
second, p50 / p95 / p99 per page, errors, and the web workers' peak memory. Every response
must be 200 (a POST: a redirect). Needs PostgreSQL and Redis on 127.0.0.1.

    .venv/bin/python bench/run.py                 # full run at district scale (`make bench`)
    .venv/bin/python bench/run.py --scale city    # ten districts (`make bench SCALE=city`)
    .venv/bin/python bench/run.py --scale community   # the small demo: query counts only differ
    .venv/bin/python bench/run.py --reuse         # keep an already seeded database
    .venv/bin/python bench/run.py --requests 20   # fewer timed requests per page

The database is BENCH_DB (default gridmgmt_bench, gridmgmt_bench_city at city scale), the port
BENCH_PORT (8765). Results go to var/bench/<scale>.json (not committed: they are this
machine's); the next run at that scale prints its change from them, and the query counts of the
other scales' saved runs beside its own (they must be equal).

To add a page, append to PAGES: the path is formatted with the persona's account
(keys username, role, area) and the dates month (the month's first day) and today, e.g.
"/grids/{area}/".
"""

import argparse
import datetime
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
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
    ("visits due", "grid_member", "/care/"),
    ("visits due", "stationmaster", "/care/"),
    ("visits due, overdue", "district_staff", "/care/?overdue=on"),
    ("report, district", "district_staff", "/reports/"),
    ("report, district, month to date", "district_staff", "/reports/?start={month}&end={today}"),
    ("report, street", "street_staff", "/reports/"),
    ("report, community", "stationmaster", "/reports/"),
    ("report, grid", "grid_member", "/reports/?area={area}"),
    ("report, district, XLSX", "district_staff", "/reports/{area}/report.xlsx"),
    ("assessment, community", "stationmaster", "/assessment/"),
    ("assessment, own line", "grid_member", "/assessment/"),
    ("assessment, first community", "district_staff", "/assessment/"),
    ("assessment, XLSX", "stationmaster", "/assessment/assessment.xlsx"),
]
# Pages whose p95 may be up to 5 × the floor's p50; every other page: 3 ×.
TARGETS = {
    ("report, district", "district_staff"): 5,
    ("report, district, month to date", "district_staff"): 5,
    ("home", "district_staff"): 5,
}
DEFAULT_TARGET = 3
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
# gunicorn's workers, as the README's production command runs it (`-w 4`): while a worker waits
# for the database (a statement, a commit's flush), another one uses the core.
PRODUCTION_WORKERS = 4
SERVER_URL = "postgres://postgres@127.0.0.1:5432"
# BENCH_DB and BENCH_PORT let two benches run side by side on one machine.
DB_NAME = os.environ.get("BENCH_DB", "gridmgmt_bench")
HOST, PORT = "127.0.0.1", int(os.environ.get("BENCH_PORT", "8765"))
RESULTS = ROOT / "var" / "bench"
SCALES = ("community", "district", "city")
GRIDS_AT = {"community": 16, "district": 800, "city": 8000}  # how --reuse tells them apart
WARMUP_PER_TWO_WORKERS = 10
WARMUP = WARMUP_PER_TWO_WORKERS  # set by configure
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


def configure(scale, workers):
    """Point the bench at the scale's database (BENCH_DB, when set, wins), and warm up every
    worker: each process compiles a page's statements and fills its caches on its own first
    requests, so the warm-up rounds grow with the workers (10 for every 2)."""
    global DB_NAME, WARMUP
    default = "gridmgmt_bench" if scale == "district" else f"gridmgmt_bench_{scale}"
    DB_NAME = os.environ.get("BENCH_DB", default)
    ENV["DATABASE_URL"] = f"{SERVER_URL}/{DB_NAME}"
    WARMUP = WARMUP_PER_TWO_WORKERS * max(1, -(-workers // 2))


def run_logged(args, log):
    """Run a manage.py command with its output in `log`; return (seconds, CPU seconds)."""
    started = time.monotonic()
    with open(log, "w") as out:
        child = subprocess.Popen(
            args, cwd=ROOT, env={**os.environ, **ENV}, stdout=out, stderr=subprocess.STDOUT
        )
        _, status, usage = os.wait4(child.pid, 0)  # the rusage of this child alone
        child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        sys.exit(f"FAILED: {' '.join(args[1:])}\n{Path(log).read_text()}")
    return time.monotonic() - started, usage.ru_utime + usage.ru_stime


def seeded_grids():
    """How many grids the bench database has (None: no database, or not migrated)."""
    with psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone():
            return None
    with psycopg.connect(ENV["DATABASE_URL"]) as conn:
        if not conn.execute("SELECT to_regclass('grids_area')").fetchone()[0]:
            return None
        return conn.execute("SELECT count(*) FROM grids_area WHERE kind = 'grid'").fetchone()[0]


# The tables whose rows the seed reports, as (label, table).
SEED_TABLES = [
    ("grids", "grids_area WHERE kind = 'grid'"),
    ("households", "grids_household"),
    ("residents", "grids_resident"),
    ("memberships", "grids_membership"),
    ("patrols", "patrols_patrol"),
    ("observations", "patrols_observation"),
    ("incidents", "incidents_incident"),
    ("timeline entries", "incidents_timelineentry"),
]


def database_facts():
    """Rows of the big tables and the database's size on disk."""
    with psycopg.connect(ENV["DATABASE_URL"]) as conn:
        rows = {
            label: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for label, table in SEED_TABLES
        }
        size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    return {"rows": rows, "size_mib": round(size / 2**20)}


def build_database(scale, reuse, workdir):
    """Return (the seed's facts, accounts): seconds, CPU seconds, peak MiB, rows and size
    (the first three None when an existing database was reused)."""
    accounts_json = workdir / "accounts.json"
    manage = [PYTHON, "manage.py"]
    if reuse and seeded_grids() == GRIDS_AT[scale]:
        run_logged([*manage, "migrate", "--no-input"], workdir / "migrate.log")
        run_logged(
            [*manage, "seed_demo", "--if-empty", "--accounts-json", str(accounts_json)],
            workdir / "seed.log",
        )
        seed = {"seconds": None, "cpu_seconds": None, "peak_mib": None}
    else:
        with psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {DB_NAME}")
        run_logged([*manage, "migrate", "--no-input"], workdir / "migrate.log")
        seed_args = ["seed_demo", "--scale", scale, "--seed", "1"]
        seconds, cpu = run_logged(
            [*manage, *seed_args, "--accounts-json", str(accounts_json)], workdir / "seed.log"
        )
        # The command reports its own peak (getrusage of itself); it agrees with
        # `/usr/bin/time -v`, where the child's rusage seen from here did not.
        reported = re.search(r"peak memory (\d+) MiB", (workdir / "seed.log").read_text())
        seed = {
            "seconds": round(seconds, 1),
            "cpu_seconds": round(cpu, 1),
            "peak_mib": int(reported.group(1)) if reported else None,
        }
    seed.update(database_facts())
    return seed, json.loads(accounts_json.read_text())


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


def start_gunicorn(log, workers):
    try:
        get("/healthz", None)
        sys.exit(f"FAILED: something already listens on {HOST}:{PORT}")
    except OSError:
        pass
    server = subprocess.Popen(
        [GUNICORN, "gridmgmt.wsgi", "-b", f"{HOST}:{PORT}", "-w", str(workers)],
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
    from django.utils import timezone

    count_today()
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

    # The report's default period is the last full month; month to date is asked by dates.
    today = timezone.localdate()
    for details in personas.values():
        details.update(month=today.replace(day=1).isoformat(), today=today.isoformat())

    pages = []  # (name, persona, path, queries, cookie)
    for name, persona, path_format in PAGES:
        path = path_format.format(**personas[persona])
        client = clients[persona]
        client.get(path)  # warm per-process caches, like a server that has run a while
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"{name} as {persona}: GET {path} gave {response.status_code}")
        pages.append((name, persona, path, len(queries), client.cookies["sessionid"].value))
    # The pages are requested in turn, one request each a round, so that whatever slows the
    # machine for a while (another process, a checkpoint) falls on every page and on the
    # floor alike instead of on the few pages measured at that moment.
    timings = [[] for _page in pages]
    for i in range(WARMUP + requests):
        for (name, persona, path, _queries, cookie), times in zip(pages, timings, strict=True):
            status, ms = get(path, cookie)
            if status != 200:
                raise RuntimeError(f"{name} as {persona}: HTTP GET {path} gave {status}")
            if i >= WARMUP:
                times.append(ms)
    rows = []
    for (name, persona, _path, queries, _cookie), times in zip(pages, timings, strict=True):
        p95 = statistics.quantiles(times, n=20, method="inclusive")[-1]
        rows.append((name, persona, queries, statistics.median(times), p95))
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


def count_today():
    """Count today so far (reports.rollup.count_today), as beat does every five minutes in
    production: the reports of a period ending today read it while it is fresh."""
    from reports.rollup import count_today as count

    started = time.perf_counter()
    areas = count()
    print(f"today so far: {areas} areas counted in {time.perf_counter() - started:.2f} s")


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
    """The member's patrol in progress (started now if there is none), as a patrol is midway
    at every scale: with an observation, on a grid with an open instruction. The page reads
    each list only when there is one, so a seed's patrol without them (which depends on the
    hour the seed ran) would show two queries fewer at one scale than at another."""
    import uuid

    from grids.models import Area
    from patrols.models import Instruction, Patrol
    from patrols.services import add_observation, start_patrol

    grid = Area.objects.get(code=grid_code)
    patrol = Patrol.objects.filter(member=member, status=Patrol.Status.IN_PROGRESS).first()
    patrol = patrol or start_patrol(grid, by=member)
    if not patrol.observations.exists():
        add_observation(
            patrol, by=member, client_id=uuid.uuid4(), category="sanitation", text="bench"
        )
    if not Instruction.objects.open().filter(grid=grid).exists():
        Instruction.objects.create(grid=grid, text="bench", due_on=patrol.day, issued_by=member)
    return patrol


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


# --- The mixed load ---

CSRF = "b" * 32  # the CSRF cookie and header only have to agree
# The users of the mixed load, in turn: grid members patrolling, stationmasters on the board,
# district staff on the reports.
LOAD_KINDS = ["grid_member", "grid_member", "stationmaster", "district_staff"]


def load_users(count, kinds):
    """`count` users (in-process sessions): for each, (kind, sessionid, details). The grid
    members are the first grids' A holders, each on a grid of their own (with their patrol in
    progress, if any); stationmasters the first communities', district staff the district's
    A and B holders. Runs a few queries per user."""
    from django.test import Client

    from grids.models import Area, Post, Role
    from patrols.models import Patrol

    roles = {
        "grid_member": Role.GRID_MEMBER,
        "stationmaster": Role.STATIONMASTER,
        "district_staff": Role.DISTRICT_STAFF,
    }
    wanted = [kinds[n % len(kinds)] for n in range(count)]
    users = []
    for kind in dict.fromkeys(wanted):
        needed = wanted.count(kind)
        posts = Post.objects.filter(role=roles[kind], closed_on=None).select_related(
            "area", "holder_a", "holder_b"
        )
        kind_of = Area.Kind.DISTRICT if kind == "district_staff" else None
        if kind_of:
            posts = posts.filter(area__kind=kind_of)
        people = []
        for post in posts.order_by("area__code", "pk")[: needed * 2]:
            if post.area_id in {area.pk for _person, area in people} and kind != "district_staff":
                continue
            people.append((post.holder_a, post.area))
            if kind == "district_staff":
                people.append((post.holder_b, post.area))
        for user, area in people[:needed]:
            client = Client(HTTP_HOST=HOST)
            client.force_login(user)
            details = {"area": area.code, "patrol": None}
            if kind == "grid_member":
                patrol = Patrol.objects.filter(member=user, status=Patrol.Status.IN_PROGRESS)
                details["patrol"] = patrol.values_list("pk", flat=True).first()
            users.append((kind, client.cookies["sessionid"].value, details))
    return users


def request(method, path, cookie, data=None, accept=None):
    """One request over a fresh connection; (status, Location, ms)."""
    headers = {"Cookie": f"sessionid={cookie}; csrftoken={CSRF}"}
    body = None
    if method == "POST":
        body = "&".join(f"{k}={v}" for k, v in data.items()).encode()
        headers["X-CSRFToken"] = CSRF
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if accept:
        headers["Accept"] = accept
    started = time.perf_counter()
    conn = http.client.HTTPConnection(HOST, PORT, timeout=120)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
    finally:
        conn.close()
    ms = (time.perf_counter() - started) * 1000
    return response.status, response.getheader("Location", ""), ms


PATROL_URL = re.compile(r"/patrols/(\d+)/$")


def member_round(cookie, details, record):
    """Start a patrol (unless one is in progress), open it, add an observation, submit."""
    if details["patrol"] is None:
        status, location, ms = request("POST", "/patrols/start/", cookie, {"grid": details["area"]})
        found = PATROL_URL.search(location)
        record("patrol start (POST)", ms, status == 302 and found is not None)
        if not found:
            return
        details["patrol"] = int(found.group(1))
    path = f"/patrols/{details['patrol']}/"
    status, _location, ms = request("GET", path, cookie)
    record("patrol page", ms, status == 200)
    status, _location, ms = request(
        "POST",
        f"{path}observations/",
        cookie,
        {"client_id": uuid.uuid4(), "category": "sanitation", "place": "bench", "text": "bench"},
        accept="application/json",
    )
    record("observation (POST)", ms, status == 201)
    status, location, ms = request("POST", f"{path}submit/", cookie, {"summary": "bench"})
    record("patrol submit (POST)", ms, status == 302 and location.endswith(path))
    details["patrol"] = None


ROUNDS = {
    "grid_member": member_round,
    "stationmaster": lambda cookie, details, record: [
        record(label, ms, status == 200)
        for label, path in (
            ("patrol board", "/patrols/board/"),
            ("incident list, community", "/incidents/?view=community"),
        )
        for status, _location, ms in [request("GET", path, cookie)]
    ],
    "district_staff": lambda cookie, details, record: [
        record(label, ms, status == 200)
        for label, path in (("report, district", "/reports/"), ("home, district", "/"))
        for status, _location, ms in [request("GET", path, cookie)]
    ],
    "floor": lambda cookie, details, record: [
        record("notifications (floor)", ms, status == 200)
        for status, _location, ms in [request("GET", "/notifications/", cookie)]
    ],
}


def worker_pids(master):
    """The gunicorn master's worker processes."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == master:
                    pids.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                pass
    return pids


def memory_kib(pid, key):
    """VmRSS or VmHWM of `pid` in KiB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_load(users, seconds, master):
    """Every user in a thread of its own, round after round, for `seconds`. Returns requests
    per second, {label: [ms, …]}, {label: errors} and the workers' peak memory (MiB)."""
    timings, errors = defaultdict(list), defaultdict(int)
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    peak = {"rss": 0}
    done = threading.Event()

    in_time = [0]  # requests answered before the deadline: the throughput counts these

    def record(label, ms, ok):
        with lock:
            timings[label].append(ms)
            if not ok:
                errors[label] += 1
            if time.monotonic() <= deadline:
                in_time[0] += 1

    def user(kind, cookie, details):
        while time.monotonic() < deadline:
            try:
                ROUNDS[kind](cookie, details, record)
            except OSError:
                record(f"{kind} (connection)", 0, False)

    def watch():
        while not done.wait(0.5):
            each = [memory_kib(pid, "VmRSS") for pid in worker_pids(master)]
            peak["rss"] = max(peak["rss"], *each, 0)
            peak["total"] = max(peak.get("total", 0), sum(each))

    threads = [threading.Thread(target=user, args=u) for u in users]
    watcher = threading.Thread(target=watch)
    started = time.monotonic()
    watcher.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    done.set()
    watcher.join()
    hwm = max((memory_kib(pid, "VmHWM") for pid in worker_pids(master)), default=0)
    kinds = [kind for kind, _cookie, _details in users]
    return {
        "seconds": seconds,
        "ended_after": round(elapsed, 1),
        "users": len(users),
        "mix": {kind: kinds.count(kind) for kind in dict.fromkeys(kinds)},
        "requests": sum(len(v) for v in timings.values()),
        "rps": round(in_time[0] / seconds, 2),
        "errors": sum(errors.values()),
        "pages": {
            label: {
                "requests": len(values),
                "errors": errors[label],
                **percentiles(values),
            }
            for label, values in sorted(timings.items())
        },
        "worker_peak_rss_mib": round(peak["rss"] / 1024),
        "workers_peak_total_rss_mib": round(peak.get("total", 0) / 1024),
        "worker_hwm_mib": round(hwm / 1024),
    }


def percentiles(values):
    if len(values) < 2:
        value = round(values[0], 1) if values else None
        return {"p50": value, "p95": value, "p99": value}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {
        "p50": round(statistics.median(values), 1),
        "p95": round(cuts[94], 1),
        "p99": round(cuts[98], 1),
    }


def mixed_load(master, users, seconds):
    """The floor page alone under `users` users, then the mixed load; both results."""
    import django.db

    mixed_users = load_users(users, LOAD_KINDS)
    floor_users = [
        ("floor", cookie, details) for _kind, cookie, details in load_users(users, ["grid_member"])
    ]
    django.db.connections.close_all()
    floor = run_load(floor_users, seconds, master)
    mixed = run_load(mixed_users, seconds, master)
    return floor, mixed


def print_load(floor, mixed):
    mix = ", ".join(f"{count} {kind}" for kind, count in mixed["mix"].items())
    print(
        f"load: {mixed['users']} concurrent users for {mixed['seconds']} s each phase, "
        f"gunicorn -w {mixed['workers']}; mixed: {mix}; floor: {floor['users']} grid_member on "
        "/notifications/"
    )
    table = [("page", "requests", "errors", "p50 ms", "p95 ms", "p99 ms")]
    for label, page in [
        ("notifications alone (floor)", floor["pages"]["notifications (floor)"])
    ] + list(mixed["pages"].items()):
        table.append(
            (
                label,
                str(page["requests"]),
                str(page["errors"]),
                *(f"{page[k]:.1f}" if page[k] is not None else "-" for k in ("p50", "p95", "p99")),
            )
        )
    print_rows(table)
    ratio = mixed["rps"] / floor["rps"] if floor["rps"] else 0
    print(
        f"throughput: mixed {mixed['rps']:.1f} req/s ({mixed['errors']} errors), "
        f"floor alone {floor['rps']:.1f} req/s ({floor['errors']} errors); "
        f"mixed ÷ floor {ratio:.2f}"
    )
    print(
        f"web workers' peak memory: {mixed['worker_hwm_mib']} MiB (VmHWM, largest worker), "
        f"{max(floor['workers_peak_total_rss_mib'], mixed['workers_peak_total_rss_mib'])} MiB "
        "(all workers' RSS at once, polled)"
    )


def print_rows(table):
    """A table for a terminal: text columns left, figures right; a rule under the header."""
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for n, row in enumerate(table):
        cells = [
            c.ljust(w) if i == 0 or (i == 1 and not c[:1].isdigit()) else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        print(" | ".join(cells))
        if n == 0:
            print("-+-".join("-" * w for w in widths))


def change(now, before):
    """The change from `before` as "+12 %" ("new" when there is none)."""
    if before in (None, 0) or now is None:
        return "new"
    return f"{(now - before) / before * 100:+.0f} %"


def print_table(rows, last, other_scales):
    """The pages: queries (and the other scales' where they differ), p50, p95, p50 ÷ floor,
    p95 ÷ floor p50 against the target, and p50's change from the last saved run."""
    floor = rows[0]["p50"]
    before = {(r["name"], r["persona"]): r for r in (last or {}).get("pages", [])}
    header = ("page", "persona", "queries", "p50 ms", "p95 ms", "x floor")
    table = [(*header, "p95/floor", "target", "p50 vs last")]
    over = []
    for row in rows:
        key = (row["name"], row["persona"])
        target = TARGETS.get(key, DEFAULT_TARGET)
        ratio = row["p95"] / floor
        if ratio > target and not row["name"].endswith("(POST)") and row is not rows[0]:
            over.append(f"{row['name']} ({row['persona']}) {ratio:.1f}")
        queries = str(row["queries"])
        others = [
            f"{scale} {counts[key]}"
            for scale, counts in other_scales.items()
            if key in counts and counts[key] != row["queries"]
        ]
        if others:
            queries += f" ({', '.join(others)})"
        table.append(
            (
                row["name"],
                row["persona"],
                queries,
                f"{row['p50']:.1f}",
                f"{row['p95']:.1f}",
                f"{row['p50'] / floor:.2f}",
                f"{ratio:.2f}",
                f"{target} x",
                change(row["p50"], before.get(key, {}).get("p50")),
            )
        )
    print_rows(table)
    compared = ", ".join(other_scales) or "no other scale saved yet"
    same = all(
        counts.get((r["name"], r["persona"]), r["queries"]) == r["queries"]
        for counts in other_scales.values()
        for r in rows
    )
    print(
        f"query counts against the saved runs at other scales ({compared}): "
        + ("the same" if same else "DIFFERENT (in brackets above)")
    )
    print("p95 ÷ floor p50 over target: " + ("; ".join(over) if over else "none"))


def results_path(scale):
    return RESULTS / f"{scale}.json"


def load_results(scale):
    path = results_path(scale)
    return json.loads(path.read_text()) if path.exists() else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=SCALES, default="district")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the bench database if it is seeded at --scale"
    )
    parser.add_argument("--users", type=int, default=8, help="concurrent users of the load")
    parser.add_argument("--load-seconds", type=int, default=60, help="each load phase's length")
    parser.add_argument(
        "--workers",
        type=int,
        default=PRODUCTION_WORKERS,
        help="gunicorn workers (default: the README's production command's)",
    )
    parser.add_argument("--skip-load", action="store_true", help="skip the mixed load")
    parser.add_argument("--skip-import", action="store_true", help="skip the import's cost")
    parser.add_argument("--import-rows", type=int, nargs="*", default=[10_000, 40_000])
    args = parser.parse_args()
    if args.requests < 2:
        parser.error("--requests must be at least 2")
    configure(args.scale, args.workers)
    last = load_results(args.scale)

    with tempfile.TemporaryDirectory(prefix="gridmgmt-bench-") as tmp:
        workdir = Path(tmp)
        seed, accounts = build_database(args.scale, args.reuse, workdir)
        personas = pick_personas(accounts)
        log_path = workdir / "gunicorn.log"
        floor_load = mixed = None
        with open(log_path, "w") as log:
            server = None
            try:
                server = start_gunicorn(log, args.workers)
                rows = measure(personas, args.requests)
                if not args.skip_load:
                    count_today()
                    floor_load, mixed = mixed_load(server.pid, args.users, args.load_seconds)
                    floor_load["workers"] = mixed["workers"] = args.workers
            except Exception:
                log.flush()
                print(f"gunicorn log:\n{log_path.read_text()}", file=sys.stderr)
                raise
            finally:
                if server is not None:
                    stop_gunicorn(server)

    rows = [
        {"name": n, "persona": p, "queries": q, "p50": round(p50, 1), "p95": round(p95, 1)}
        for n, p, q, p50, p95 in rows
    ]
    print_seed(args.scale, seed, (last or {}).get("seed"))
    print(
        f"requests per page: {WARMUP} warm-up + {args.requests} timed, in rounds of every page in "
        f"turn, sequential, gunicorn -w {args.workers} at {HOST}:{PORT}"
    )
    if last:
        print(f"changes are from the last saved run, {last['when']} ({results_path(args.scale)})")
    print()
    other_scales = {}
    for scale in SCALES:
        saved = load_results(scale) if scale != args.scale else None
        if saved:
            other_scales[scale] = {(r["name"], r["persona"]): r["queries"] for r in saved["pages"]}
    print_table(rows, last, other_scales)
    if mixed:
        print()
        print_load(floor_load, mixed)
        if last and last.get("mixed"):
            print(
                f"mixed req/s vs last: {change(mixed['rps'], last['mixed']['rps'])}, "
                f"floor alone vs last: {change(floor_load['rps'], last['floor_load']['rps'])}"
            )
    print()
    sweep_cost()
    if not args.skip_import:
        print()
        import_cost(args.import_rows)

    RESULTS.mkdir(parents=True, exist_ok=True)
    results_path(args.scale).write_text(
        json.dumps(
            {
                "scale": args.scale,
                "when": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
                "seed": seed,
                "workers": args.workers,
                "pages": rows,
                "floor_load": floor_load,
                "mixed": mixed,
            },
            ensure_ascii=False,
            indent=1,
        )
    )
    print(f"\nresults saved to {results_path(args.scale)}")


def print_seed(scale, seed, last):
    if seed["seconds"] is None:
        print(f"seed ({scale}, seed 1): reused")
    else:
        print(
            f"seed time ({scale}, seed 1): {seed['seconds']:.1f} s wall, "
            f"{seed['cpu_seconds']:.1f} s CPU"
            + (f" ({change(seed['seconds'], last.get('seconds'))} wall)" if last else "")
        )
        print(f"seed peak memory: {seed['peak_mib']} MiB")
    rows = ", ".join(f"{count:,} {label}" for label, count in seed["rows"].items())
    print(f"database: {seed['size_mib']:,} MiB on disk; {rows}")


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
