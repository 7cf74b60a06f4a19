from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from seeds.loader import DATA_DIR, load_seed_data


class Command(BaseCommand):
    help = (
        "Load the seed data (seeds/data/: sources, categories, standards, companies with their products and "
        "export markets) through the domain services. Idempotent: running it again changes nothing new."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--data-dir", type=Path, default=DATA_DIR, help=f"Folder of the seed files (default: {DATA_DIR})."
        )

    def handle(self, *args, **options):
        try:
            report = load_seed_data(options["data_dir"])
        except ValidationError as error:
            raise CommandError(f"Seed data is invalid, nothing was loaded: {'; '.join(error.messages)}") from error
        for line in report.lines():
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS("Seed data loaded."))
