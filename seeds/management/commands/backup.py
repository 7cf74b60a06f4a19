import datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from seeds.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Back up the whole registry database: on PostgreSQL with pg_dump (custom format), on SQLite with the "
        "online backup API. Every table: companies, products, the change log, users, tokens and API keys. "
        "Restore it with `manage.py restore FILE`."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            type=Path,
            help="The backup file to write (default: var/backups/registry-<date and time>.dump for PostgreSQL, "
            ".sqlite3 for SQLite).",
        )
        parser.add_argument(
            "--force", action="store_true", help="Replace the --output file if it exists (refused otherwise)."
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="The database alias (default: default).")

    def handle(self, *args, output, force, database, **options):
        if database not in settings.DATABASES:
            raise CommandError(f"There is no database {database!r}: the settings have {', '.join(settings.DATABASES)}.")
        if output is None:
            suffix = ".dump" if settings.DATABASES[database]["ENGINE"].endswith("postgresql") else ".sqlite3"
            output = settings.VAR_DIR / "backups" / f"registry-{datetime.datetime.now():%Y%m%d-%H%M%S}{suffix}"
        try:
            outcome = backup(output, using=database, overwrite=force)
        except BackupError as error:
            raise CommandError(str(error)) from error
        size = outcome.path.stat().st_size
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up {outcome.database} ({outcome.engine}, {outcome.tables} tables) to {outcome.path} "
                f"({size:,} bytes)."
            )
        )
