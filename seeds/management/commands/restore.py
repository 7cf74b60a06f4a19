from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from seeds.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` into the database (DATABASE_URL), which must be empty: "
        "on PostgreSQL a new database (createdb), on SQLite a new file. --force replaces what it holds."
    )

    def add_arguments(self, parser):
        parser.add_argument("backup", type=Path, help="The backup file.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Restore even if the database has tables: it then holds exactly what the backup holds (on "
            "PostgreSQL the public schema is dropped and recreated, in one transaction with the restore).",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="The database alias (default: default).")

    def handle(self, *args, backup, force, database, **options):
        try:
            outcome = restore(backup, using=database, force=force)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {outcome.path} into {outcome.database} ({outcome.engine}, {outcome.tables} tables). "
                "If this code is newer than the backup, run `manage.py migrate` next."
            )
        )
