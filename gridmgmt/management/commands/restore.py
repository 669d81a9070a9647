from django.core.management.base import BaseCommand, CommandError

from gridmgmt.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore a folder written by `manage.py backup`: replaces the database's tables and "
        "writes back every uploaded file. Stop the web, worker and beat processes first. "
        "See docs/operations.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", help="a folder written by manage.py backup")
        parser.add_argument(
            "--no-input", action="store_false", dest="interactive", help="Do not ask to confirm."
        )

    def handle(self, *args, folder, interactive, **options):
        if interactive:
            answer = input(
                "This replaces every table of the database and the uploaded files of the same "
                "names. Type 'yes' to go on: "
            )
            if answer != "yes":
                raise CommandError("Restore cancelled.")
        try:
            manifest = restore(folder)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Restored database {manifest['database']} from {folder} "
            f"and {len(manifest['files'])} files."
        )
