"""A grid member's patrol round in-process, as the bench's mixed load plays it
(bench/run.py `member_round`): the cost of each of its three writes.

Runs as `username` (a grid member) on the database DATABASE_URL names, with Django's test
client, after one warm-up round:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gridmgmt_bench \\
        .venv/bin/python bench/profile_round.py gm-01-01-01-a --rounds 10 --profile submit

each round POSTs /patrols/start/ (the member's first grid), GETs the patrol's page, POSTs
an observation (JSON, as the phone's outbox does) and submits the log. Prints each POST's
milliseconds over the rounds (the medians first, of the time and of this process's
CPU time), then for one more round each POST's number of
queries, their time and the `--slowest` statements (`--full` prints them whole), and with
`--profile STEP` (start, observation or submit) the `--functions` costliest functions of
that POST by cumulative time. It writes: run it on a copy of a bench database.
"""

import argparse
import cProfile
import io
import pstats
import re
import statistics
import sys
import time
import uuid

import inprocess  # noqa: E402, F401  (sets Django up)
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Q  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from grids.models import GRID_WORKER_ROLES, Post  # noqa: E402
from patrols.models import Patrol  # noqa: E402

STEPS = ("start", "observation", "submit")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("username")
    parser.add_argument("--rounds", type=int, default=10, help="timed rounds")
    parser.add_argument("--slowest", type=int, default=5, help="statements to print per POST")
    parser.add_argument("--width", type=int, default=160, help="characters of each statement")
    parser.add_argument("--full", action="store_true", help="print the statements whole")
    parser.add_argument("--queries", action="store_true", help="print every statement")
    parser.add_argument("--profile", choices=STEPS, help="profile this POST of one round")
    parser.add_argument("--functions", type=int, default=40, help="functions of the profile")
    args = parser.parse_args()

    user = get_user_model().objects.get(username=args.username)
    post = (
        Post.objects.filter(Q(holder_a=user) | Q(holder_b=user), role__in=GRID_WORKER_ROLES)
        .select_related("area")
        .first()
    )
    if post is None:
        sys.exit(f"{args.username} holds no grid worker post")
    grid = post.area.code
    # A patrol left in progress by an earlier run would make every start refuse.
    Patrol.objects.filter(member=user, status=Patrol.Status.IN_PROGRESS).update(
        status=Patrol.Status.SUBMITTED
    )
    client = Client()
    client.force_login(user)

    def one_round(wrap=lambda step, call: call()):
        """One round; `wrap(step, call)` runs each POST. Returns {step: ms}."""
        times = {}

        def timed(step, call):
            started, cpu = time.perf_counter(), time.process_time()
            response = wrap(step, call)
            times[step] = (time.perf_counter() - started) * 1000
            times[f"{step} cpu"] = (time.process_time() - cpu) * 1000
            return response

        response = timed("start", lambda: client.post("/patrols/start/", {"grid": grid}))
        found = re.search(r"/patrols/(\d+)/$", response.get("Location", ""))
        if response.status_code != 302 or not found:
            sys.exit(f"start answered {response.status_code} {response.get('Location')}")
        path = f"/patrols/{found.group(1)}/"
        if client.get(path).status_code != 200:
            sys.exit(f"{path} did not answer 200")
        response = timed(
            "observation",
            lambda: client.post(
                f"{path}observations/",
                {
                    "client_id": uuid.uuid4(),
                    "category": "sanitation",
                    "place": "bench",
                    "text": "bench",
                },
                HTTP_ACCEPT="application/json",
            ),
        )
        if response.status_code != 201:
            sys.exit(f"observation answered {response.status_code}")
        response = timed("submit", lambda: client.post(f"{path}submit/", {"summary": "bench"}))
        if response.status_code != 302 or not response["Location"].endswith(path):
            sys.exit(f"submit answered {response.status_code} {response.get('Location')}")
        return times

    one_round()  # warm-up
    rounds = [one_round() for _ in range(args.rounds)]
    for step in STEPS:
        times = [r[step] for r in rounds]
        print(
            f"{step:12} median {statistics.median(times):6.1f} ms "
            f"({statistics.median(r[f'{step} cpu'] for r in rounds):.1f} ms CPU):",
            ", ".join(f"{ms:.1f}" for ms in times),
        )

    captured = {}

    def capture(step, call):
        with CaptureQueriesContext(connection) as context:
            response = call()
        captured[step] = context.captured_queries
        return response

    times = one_round(capture)
    for step in STEPS:
        queries = captured[step]
        sql = sum(float(q["time"]) for q in queries) * 1000
        print(f"\n{step}: {times[step]:.1f} ms, {len(queries)} queries, {sql:.1f} ms of SQL")
        shown = queries if args.queries else sorted(queries, key=lambda q: -float(q["time"]))
        for query in shown[: None if args.queries else args.slowest]:
            text = query["sql"] if args.full else query["sql"][: args.width]
            print(f"{float(query['time']) * 1000:7.1f} ms  {text}{';' if args.full else ''}")

    if args.profile:
        profile = cProfile.Profile()

        def profiled(step, call):
            if step != args.profile:
                return call()
            profile.enable()
            try:
                return call()
            finally:
                profile.disable()

        one_round(profiled)
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(args.functions)
        print(out.getvalue())


if __name__ == "__main__":
    main()
