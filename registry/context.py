"""Who is acting in the current request: the user and, for a third-party app, its API key. Set by the API
for the duration of a request, read by the change log."""

import contextlib
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Acting:
    user: object = None
    api_key: object = None


_acting: ContextVar[Acting | None] = ContextVar("acting", default=None)


def current_actor() -> Acting:
    return _acting.get() or Acting()


def begin_acting(user=None, api_key=None) -> None:
    """From now on in this thread, changes are made by ``user`` (through ``api_key``): pair with
    ``end_acting()`` in a ``finally``."""
    _acting.set(Acting(user=user if getattr(user, "is_authenticated", False) else None, api_key=api_key))


def end_acting() -> None:
    _acting.set(None)


@contextlib.contextmanager
def acting_as(user=None, api_key=None):
    begin_acting(user, api_key)
    try:
        yield
    finally:
        end_acting()
