from django.core.management.base import BaseCommand

from care import services


class Command(BaseCommand):
    help = (
        "Put every resident holding a tag with a visit rule under it (tag date: today for "
        "those without one) and recompute every next visit. Run after loading residents in "
        "bulk, or after changing rules outside the admin. Idempotent."
    )

    def handle(self, *args, **options):
        count = services.sync_all()
        self.stdout.write(f"people checked: {count}")
