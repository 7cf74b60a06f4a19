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


@contextlib.contextmanager
def acting_as(user=None, api_key=None):
    token = _acting.set(Acting(user=user if getattr(user, "is_authenticated", False) else None, api_key=api_key))
    try:
        yield
    finally:
        _acting.reset(token)
