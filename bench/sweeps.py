"""What the three periodic sweeps cost, idle and with work due, now and at an older commit.

Fills the database DATABASE_URL names (migrated and empty; one an earlier run filled is
reused) with `--communities` communities of `--grids` grids (a grid leader each),
`--settled` incidents long past both levels, `--overdue` incidents due for their warning
and first escalation, and meetings whose reminders make `--reminders` notifications; then
runs record_missed_patrols, sweep_time_limits and send_reminders with time pinned (a Monday
at 12:31: Sunday's windows and Monday's morning have closed), each with work due and then
idle (`--idle-runs` times), and prints the queries (transaction control not counted) and
wall time (of the idle runs, the median). `--before <commit>` also runs the sweeps' code of
that commit on the same data (undoing each run's writes in between).

    createdb -h 127.0.0.1 -U postgres sweeps_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sweeps_bench .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sweeps_bench \\
        .venv/bin/python bench/sweeps.py --before 3deb586
"""

import argparse
import copy
import datetime
import os
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridmgmt.settings")

import django  # noqa: E402

django.setup()

import time_machine  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from grids.models import Area, Post, Role, User  # noqa: E402
from incidents.models import Category, Incident, TimelineEntry  # noqa: E402
from meetings import schedule  # noqa: E402
from meetings.models import Meeting, Participant  # noqa: E402
from notifications.models import Notification  # noqa: E402
from patrols.models import CompleteWindow, MissedPatrol  # noqa: E402

ZONE = timezone.get_fixed_timezone(8 * 60)
NOW = datetime.datetime(2026, 11, 30, 12, 31, tzinfo=ZONE)  # Monday
HOUR = datetime.timedelta(hours=1)


def old_module(commit, path, package):
    """The module at `path` as it was at `commit`, its relative imports made absolute."""
    source = subprocess.run(
        ["git", "show", f"{commit}:{path}"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    source = source.replace("from . import", f"from {package} import").replace(
        "from .", f"from {package}."
    )
    module = types.ModuleType(f"old_{package}")
    exec(compile(source, f"{commit}:{path}", "exec"), module.__dict__)
    return module


def build(args):
    street_parent = Area.objects.create(kind=Area.Kind.DISTRICT, name="Bench", code="BENCH")
    street = Area.objects.create(
        kind=Area.Kind.STREET, parent=street_parent, name="Bench St", code="BENCH-01"
    )
    users = User.objects.bulk_create(
        User(username=f"bench{n}", language="zh-hans", email=f"bench{n}@example.com")
        for n in range(args.communities * (args.grids + 1))
    )
    people = iter(users)
    posts = []
    for c in range(args.communities):
        community = Area.objects.create(
            kind=Area.Kind.COMMUNITY, parent=street, name=f"C{c}", code=f"BENCH-01-{c:03d}"
        )
        posts.append(Post(area=community, role=Role.STATIONMASTER, holder_a=next(people)))
        for g in range(args.grids):
            grid = Area.objects.create(
                kind=Area.Kind.GRID,
                parent=community,
                name=f"G{c}-{g}",
                code=f"{community.code}-{g}",
            )
            posts.append(Post(area=grid, role=Role.GRID_LEADER, holder_a=next(people)))
    Post.objects.bulk_create(posts)
    grid = Area.objects.filter(kind=Area.Kind.GRID).first()
    member = users[1]
    category, _ = Category.objects.get_or_create(code="sanitation", defaults={"name": "环境卫生"})
    with time_machine.travel(NOW - 96 * HOUR, tick=False):
        from incidents.services import open_incident

        first = open_incident(
            grid=grid, by=member, category=category, title="Bench", source=Incident.Source.PATROL
        )
    copies = []
    for n in range(args.settled + args.overdue - 1):
        other = copy.copy(first)
        other.pk = None
        other.number = f"2026-{800000 + n}"
        copies.append(other)
    Incident.objects.bulk_create(copies, batch_size=2000)
    ids = list(Incident.objects.order_by("pk").values_list("pk", flat=True))
    Incident.objects.filter(pk__in=ids[: args.settled]).update(
        warn_at=NOW - 60 * HOUR,
        deadline_at=NOW - 50 * HOUR,
        warned_at=NOW - 50 * HOUR,
        escalation_level=2,
    )
    community = Area.objects.filter(kind=Area.Kind.COMMUNITY).first()
    weekly, _monthly = schedule.ensure_series(community)
    participants = schedule.participants_for(weekly, NOW.date())[:3]
    starts_at = NOW + datetime.timedelta(minutes=30)
    meetings = Meeting.objects.bulk_create(
        Meeting(
            series=weekly,
            community=community,
            kind=weekly.kind,
            scheduled_on=datetime.date(2027, 1, 1) + datetime.timedelta(days=n),
            starts_at=starts_at,
            ends_at=starts_at + HOUR,
        )
        for n in range(args.reminders // (2 * len(participants)))
    )
    Participant.objects.bulk_create(
        Participant(meeting=meeting, post=post, user=user)
        for meeting in meetings
        for post, user in participants
    )
    return ids[args.settled :]


def reset(overdue_ids):
    MissedPatrol.objects.all().delete()
    CompleteWindow.objects.all().delete()
    Notification.objects.all().delete()
    TimelineEntry.objects.filter(action="overdue").delete()
    Incident.objects.filter(pk__in=overdue_ids).update(
        warn_at=NOW - 2 * HOUR,
        deadline_at=NOW - HOUR,
        warned_at=None,
        escalation_level=0,
        escalated_at=None,
    )


def measure(name, function, repeat=1):
    """Run `function` `repeat` times with time pinned; print what the last run did, its
    queries, and the median wall time."""
    count = [0]

    def counting(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    times = []
    for _ in range(repeat):
        count[0] = 0
        with time_machine.travel(NOW, tick=False), connection.execute_wrapper(counting):
            started = time.perf_counter()
            result = function()
            times.append(time.perf_counter() - started)
    done = len(result) if isinstance(result, list) else result
    seconds = statistics.median(times)
    print(f"  {name:<28} {str(done):>12} {count[0]:>8} queries {seconds:9.3f} s", flush=True)


def run(label, patrols, incidents, meetings, overdue_ids, idle_runs):
    print(label, flush=True)
    reset(overdue_ids)
    for state, repeat in (("due", 1), ("idle", idle_runs)):
        measure(f"record_missed_patrols {state}", patrols.record_missed_patrols, repeat)
        measure(f"sweep_time_limits {state}", incidents.sweep_time_limits, repeat)
        measure(f"send_reminders {state}", meetings.send_reminders, repeat)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--communities", type=int, default=100)
    parser.add_argument("--grids", type=int, default=8)
    parser.add_argument("--settled", type=int, default=20000)
    parser.add_argument("--overdue", type=int, default=260)
    parser.add_argument("--reminders", type=int, default=5000)
    parser.add_argument("--before", help="a commit whose sweeps run too, on the same data")
    parser.add_argument(
        "--idle-runs", type=int, default=5, help="idle runs of each sweep (median time shown)"
    )
    args = parser.parse_args()
    if not Area.objects.exists():
        overdue_ids = build(args)
    elif Area.objects.filter(code="BENCH").exists():  # built by an earlier run: reused
        overdue_ids = list(
            Incident.objects.exclude(deadline_at=NOW - 50 * HOUR).values_list("pk", flat=True)
        )
    else:
        sys.exit("The database must be migrated and empty (or filled by this script).")
    grids = Area.objects.filter(kind=Area.Kind.GRID).count()
    print(
        f"{grids} grids, {Incident.objects.count()} incidents ({len(overdue_ids)} overdue), "
        f"{Participant.objects.count()} participants of meetings starting in 30 minutes"
    )
    print(f"  {'sweep':<28} {'done':>12} {'queries':>8}")
    from incidents import services as incidents
    from patrols import services as patrols

    if args.before:
        run(
            f"at {args.before}",
            old_module(args.before, "patrols/services.py", "patrols"),
            old_module(args.before, "incidents/services.py", "incidents"),
            old_module(args.before, "meetings/schedule.py", "meetings"),
            overdue_ids,
            args.idle_runs,
        )
    run("now", patrols, incidents, schedule, overdue_ids, args.idle_runs)


if __name__ == "__main__":
    main()
