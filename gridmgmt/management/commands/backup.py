from django.core.management.base import BaseCommand, CommandError

from gridmgmt.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Back up the database (pg_dump -Fc) and every uploaded file (local disk or S3) "
        "into a new folder. See docs/operations.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", help="a new or empty folder")

    def handle(self, *args, folder, **options):
        try:
            manifest = backup(folder)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Backed up database {manifest['database']} and {len(manifest['files'])} files "
            f"into {folder}."
        )
