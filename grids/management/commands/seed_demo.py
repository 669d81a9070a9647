import json
import random
import resource
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from care import demo as care_demo
from grids import demo
from incidents import demo as incident_demo
from meetings import demo as meeting_demo
from meetings import report_demo
from patrols import demo as patrol_demo
from places import demo as place_demo
from reports import demo as reports_demo

# The city scale's history, shorter than a district's so that it builds in reasonable time.
CITY_PATROL_DAYS = 13
CITY_INCIDENT_DAYS = 90


class Command(BaseCommand):
    help = (
        "Fill an empty database with demo areas, people, work and a household register, "
        "and print the demo logins."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            choices=sorted(demo.SCALES),
            default="community",
            help=(
                "community: one street, two communities; district: 800 grids (160,000 "
                "households); city: ten districts, 8,000 grids (1.6 million households) with "
                f"less history: {CITY_PATROL_DAYS + 1} days of patrols and "
                f"{CITY_INCIDENT_DAYS} days of incidents (a district has two months and a year)"
            ),
        )
        parser.add_argument("--seed", type=int, default=2026, help="the same seed, the same data")
        parser.add_argument(
            "--accounts-json", metavar="FILE", help="also write the demo logins to FILE as JSON"
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing but print the logins when demo data is present",
        )
        parser.add_argument(
            "--no-logins",
            action="store_true",
            help="do not print the logins (`demo_logins` prints them)",
        )

    def handle(self, *args, scale, seed, accounts_json, if_empty, no_logins, **options):
        started = self.started = time.monotonic()
        if demo.has_demo_data():
            if not if_empty:
                raise CommandError("The database already has areas; seed_demo needs an empty one.")
            self.stdout.write("Demo data is already present.")
        else:
            rng = random.Random(seed)
            with transaction.atomic():
                levels = demo.build_areas_and_people(rng, scale, self.log)
                demo.build_register(rng, levels, self.log)
                if scale == "city":
                    patrol_demo.build_patrols(rng, levels, self.log, days=CITY_PATROL_DAYS)
                    incident_demo.build_incidents(rng, levels, self.log, days=CITY_INCIDENT_DAYS)
                else:
                    patrol_demo.build_patrols(rng, levels, self.log)
                    incident_demo.build_incidents(rng, levels, self.log)
                reports_demo.build_boundaries(rng, levels, self.log)
                meeting_demo.build_meetings(rng, levels, self.log)
                report_demo.build_grid_reports(rng, levels, self.log)
                reports_demo.build_rollup(rng, levels, self.log)
                care_demo.build_care(rng, levels, self.log)
                place_demo.build_places(rng, levels, self.log)
            if connection.vendor == "postgresql":
                # Fresh statistics, so the first queries are planned for the real sizes, and
                # (outside a transaction, e.g. a test's) the visibility maps and free space a
                # bulk load leaves unset, as PostgreSQL advises after loading data: an index-only
                # scan needs them, and rows updated during the seed leave dead versions behind.
                # The project's tables only: a database-wide ANALYZE also takes the shared
                # catalogs, and waits for any other database's open transaction that did.
                tables = connection.introspection.django_table_names(include_views=False)
                command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
                with connection.cursor() as cursor:
                    names = ", ".join(map(connection.ops.quote_name, tables))
                    cursor.execute(f"{command} {names}")
            peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            self.log(
                f"seeded scale={scale} seed={seed} in {time.monotonic() - started:.1f} s, "
                f"peak memory {peak_mib:.0f} MiB"
            )

        accounts = demo.demo_accounts()
        if not no_logins:
            self.stdout.write("\n" + demo.logins_text(accounts))
        if accounts_json:
            with open(accounts_json, "w", encoding="utf-8") as handle:
                json.dump([a.as_dict() for a in accounts], handle, ensure_ascii=False, indent=2)

    def log(self, line):
        """Write `line`, after the seconds since the command started and the CPU seconds it
        has used (where it has started)."""
        if hasattr(self, "started"):
            wall, cpu = time.monotonic() - self.started, time.process_time()
            line = f"[{wall:6.1f} s, CPU {cpu:6.1f} s] {line}"
        self.stdout.write(line)
