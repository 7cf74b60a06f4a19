from django.core.management.base import BaseCommand, CommandError

from seeds.demo import generate_demo_data, remove_demo_data, run_deferred_statements
from seeds.models import DeferredStatement


class Command(BaseCommand):
    help = (
        "Generate realistic, deterministic demo companies (with products, export markets and revenue) for "
        "load tests and benchmarks, or remove them again with --remove. Run `manage.py seed` first. Each run "
        "also finishes what an interrupted earlier load left undone (search indexes, statistics); --finish "
        "does only that."
    )

    def add_arguments(self, parser):
        parser.add_argument("--companies", type=int, default=1000, help="How many companies (default 1000).")
        parser.add_argument("--seed", type=int, default=1, help="Random seed: the same seed gives the same data.")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--remove", action="store_true", help="Delete all demo data instead.")
        mode.add_argument(
            "--finish",
            action="store_true",
            help="Only build the search indexes (and refresh the statistics) that an interrupted load left undone.",
        )

    def handle(self, *args, companies, seed, remove, finish, **options):
        if not (remove or finish) and companies < 1:
            raise CommandError("--companies must be at least 1.")
        left = DeferredStatement.objects.count()
        if left:
            self.stdout.write(
                f"An earlier load was interrupted: {left} statements left to run (search indexes, VACUUM)."
            )
        if remove:
            self.stdout.write(f"Removed {remove_demo_data()} demo companies and everything they had.")
        elif not finish:
            try:
                report = generate_demo_data(companies=companies, seed=seed)  # it runs what was left, too
            except ValueError as error:
                raise CommandError(str(error)) from error
            for line in report.lines():
                self.stdout.write(line)
            return
        ran = run_deferred_statements()
        if left or finish:
            self.stdout.write(f"Ran {ran} statements left by an interrupted load.")
