"""One page's cost in-process: request times, queries, SQL time, the slowest statements and,
optionally, a profile of one request.

Runs the page with Django's test client as `username` on the database DATABASE_URL names
(e.g. a bench database `bench/run.py` seeded), after one warm-up request:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gridmgmt_bench \\
        .venv/bin/python bench/profile_page.py sm-01-01-a /meetings/ --requests 10 --profile 40

prints each request's milliseconds, then for one more request the number of queries, their
time, the `--slowest` statements (each cut to `--width` characters; `--full` prints them
whole, ready for EXPLAIN) and, with `--profile N`, the N costliest functions by cumulative
time. The bench's demo accounts: ds-gl-a (district staff), ss-01-a (street), sm-01-01-a
(stationmaster), gl-01-01-01-a (grid leader), gm-01-01-01-a (grid member).
"""

import argparse
import cProfile
import io
import pstats
import sys
import time

import inprocess  # noqa: E402, F401  (sets Django up)
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("username")
    parser.add_argument("path")
    parser.add_argument("--requests", type=int, default=5, help="timed requests")
    parser.add_argument("--slowest", type=int, default=8, help="statements to print")
    parser.add_argument("--width", type=int, default=200, help="characters of each statement")
    parser.add_argument("--full", action="store_true", help="print the statements whole")
    parser.add_argument("--profile", type=int, default=0, help="functions of the profile")
    args = parser.parse_args()

    client = Client()
    client.force_login(get_user_model().objects.get(username=args.username))
    response = client.get(args.path)
    if response.status_code != 200:
        sys.exit(f"{args.path} answered {response.status_code}")
    times = []
    for _ in range(args.requests):
        started = time.perf_counter()
        client.get(args.path)
        times.append((time.perf_counter() - started) * 1000)
    print("ms:", ", ".join(f"{ms:.1f}" for ms in times))

    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        client.get(args.path)
        total = (time.perf_counter() - started) * 1000
    queries = captured.captured_queries
    sql = sum(float(q["time"]) for q in queries) * 1000
    print(f"one request: {total:.1f} ms, {len(queries)} queries, {sql:.1f} ms of SQL")
    for query in sorted(queries, key=lambda q: -float(q["time"]))[: args.slowest]:
        text = query["sql"] if args.full else query["sql"][: args.width]
        print(f"{float(query['time']) * 1000:7.1f} ms  {text}{';' if args.full else ''}")

    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        client.get(args.path)
        profile.disable()
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(args.profile)
        print(out.getvalue())


if __name__ == "__main__":
    main()
