"""What the loaders keep in the database of their own."""

from django.db import models


class DeferredStatement(models.Model):
    """A statement that a demo-data load (``seeds.demo``) leaves to run after its commit: the build of a
    search index it dropped for the load, or a ``VACUUM (ANALYZE)`` of a table it filled. The load writes
    these rows in its own transaction, and ``seeds.demo.run_deferred_statements`` deletes each row as its
    statement runs. A load killed after its commit leaves them here, and the next
    ``manage.py generate_demo_data`` (``--finish``: nothing else) runs them: an index that a load dropped is
    never lost."""

    statement = models.TextField(help_text="SQL, safe to run again: an index build says IF NOT EXISTS.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]  # the order the load chose: the longest index builds first

    def __str__(self) -> str:
        return self.statement

    @property
    def runs_in_a_transaction(self) -> bool:
        """``VACUUM`` cannot; an index build can."""
        return not self.statement.startswith("VACUUM")
