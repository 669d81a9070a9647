import os
import time
import urllib.error
import urllib.request
from urllib.parse import urljoin

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from grids import demo

POLL_SECONDS = 0.5
# After the web server answers, the worker and beat may still be printing their banners.
SETTLE_SECONDS = 2


class Command(BaseCommand):
    help = (
        "Print the address and the demo logins; with --wait, once the web server at that "
        "address answers, so they come after the processes' start-up lines."
    )

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000/", help="the address")
        parser.add_argument(
            "--wait",
            action="store_true",
            help="print once the web server answers; print nothing if it has not answered "
            "within --timeout seconds or the process that started this one has ended",
        )
        parser.add_argument("--timeout", type=float, default=120)

    def handle(self, *args, url, wait, timeout, **options):
        if wait:
            if not wait_for(urljoin(url, "/healthz"), timeout):
                return
            time.sleep(SETTLE_SECONDS)
            headline = _(
                "Grid management is running at %(url)s (Ctrl-C stops everything; "
                "`make logins` prints this list again)."
            )
        else:
            headline = _("Grid management: %(url)s")
        if not demo.has_demo_data():
            raise CommandError(_("There is no demo data yet: `make run` creates it."))
        text = demo.logins_text(demo.demo_accounts())
        self.stdout.write(f"\n{headline % {'url': url}}\n{text}\n")
        self.stdout.flush()


def wait_for(url, timeout):
    """True once `url` answers 200; False after `timeout` seconds, or as soon as the process
    that started this one is gone (make run was stopped before the server came up)."""
    parent = os.getppid()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and os.getppid() == parent:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(POLL_SECONDS)
    return False
