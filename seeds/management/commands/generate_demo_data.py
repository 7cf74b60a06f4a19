from django.core.management.base import BaseCommand, CommandError

from seeds.demo import generate_demo_data, remove_demo_data


class Command(BaseCommand):
    help = (
        "Generate realistic, deterministic demo companies (with products, export markets and revenue) for "
        "load tests and benchmarks, or remove them again with --remove. Run `manage.py seed` first."
    )

    def add_arguments(self, parser):
        parser.add_argument("--companies", type=int, default=1000, help="How many companies (default 1000).")
        parser.add_argument("--seed", type=int, default=1, help="Random seed: the same seed gives the same data.")
        parser.add_argument("--remove", action="store_true", help="Delete all demo data instead.")

    def handle(self, *args, companies, seed, remove, **options):
        if remove:
            self.stdout.write(f"Removed {remove_demo_data()} demo companies and everything they had.")
            return
        if companies < 1:
            raise CommandError("--companies must be at least 1.")
        try:
            report = generate_demo_data(companies=companies, seed=seed)
        except ValueError as error:
            raise CommandError(str(error)) from error
        for line in report.lines():
            self.stdout.write(line)
