"""Trying a fetch again when the failure is transient (5xx, connection reset, timeout), with a growing delay."""

from __future__ import annotations

from collections.abc import Callable

from archive.errors import FetchError
from archive.options import RetryPolicy


def retrying(policy: RetryPolicy, fetch: Callable, *args):
    """Call ``fetch``; transient failures are tried again after a growing delay, others raise at once."""
    for attempt in range(1, max(1, policy.attempts) + 1):
        try:
            return fetch(*args)
        except FetchError as exc:
            if not exc.transient or attempt >= policy.attempts:
                raise
            policy.sleep(policy.delay(attempt))
    raise AssertionError("unreachable")
